"""A plan as the ledger stores it when it is sent, and back: what :func:`mmsnb.resume` needs to finish the
campaign without its frame or its files.

The messages are kept as they are sent (attachments cleaned and fitted), the files once each by their SHA-256,
and each recipient with the row it came from: the frame's index label and the number as given.

>>> message = Message(subject="Hej", attachments=(Attachment.of(("hi.txt", b"hi")),))
>>> record = message_record(message)
>>> files = {message.attachments[0].digest.hex(): b"hi"}
>>> record["attachments"][0]["filename"], rebuilt_message(record, files) == message
('hi.txt', True)
"""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from .ledger import StoredCampaign, StoredRecipient
from .message import Attachment, Message
from .rules import MinGap
from .schedule import Hours

if TYPE_CHECKING:
    from .campaign import Plan


def plain(value: Any) -> Any:
    """``value`` as a JSON value: text, numbers, booleans and None as they are, a tuple (a label of several
    levels) as a list, anything else as its text."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (str, bool, int, float)):
        return None if isinstance(value, float) and np.isnan(value) else value
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return str(value)


def message_record(message: Message) -> dict[str, Any]:
    """``message`` as JSON values, its files named by their SHA-256."""
    return {
        "subject": message.subject,
        "sender": message.sender,
        "priority": message.priority,
        "delivery_report": message.delivery_report,
        "attachments": [
            {"filename": a.filename, "content_type": a.content_type, "sha256": a.digest.hex()}
            for a in message.attachments
        ],
    }


def rebuilt_message(record: dict[str, Any], files: dict[str, bytes]) -> Message:
    """The message ``record`` describes, its files taken from ``files`` (by SHA-256)."""
    attachments = tuple(Attachment(a["filename"], a["content_type"], files[a["sha256"]]) for a in record["attachments"])
    return Message(record["subject"], record["sender"], record["priority"], record["delivery_report"], attachments)


def gap_record(gap: MinGap | None) -> dict[str, Any] | None:
    """``min_gap`` as JSON values: a length of time, or a calendar offset's fields."""
    if gap is None:
        return None
    if isinstance(gap.gap, pd.Timedelta):
        return {"timedelta": gap.gap.isoformat(), "label": gap.label}
    return {"offset": {k: plain(v) for k, v in gap.gap.kwds.items()}, "label": gap.label}


def rebuilt_gap(record: dict[str, Any] | None) -> MinGap | None:
    """The ``min_gap`` ``record`` describes."""
    if record is None:
        return None
    if "timedelta" in record:
        return MinGap(pd.Timedelta(record["timedelta"]), record["label"])
    return MinGap(pd.DateOffset(**record["offset"]), record["label"])


def hours_record(hours: Hours | None) -> dict[str, Any] | None:
    """Sending hours as JSON values: the window's times, the days (0 is Monday), the time zone, the start time."""
    if hours is None:
        return None
    return {
        "opens": None if hours.opens is None else hours.opens.isoformat(),
        "closes": None if hours.closes is None else hours.closes.isoformat(),
        "overnight": hours.overnight,
        "days": sorted(hours.days),
        "tz": str(hours.tz),
        "start_at": None if hours.start_at is None else hours.start_at.isoformat(),
    }


def rebuilt_hours(record: dict[str, Any] | None) -> Hours | None:
    """The sending hours ``record`` describes."""
    if record is None:
        return None
    opens, closes, start_at = (record[k] for k in ("opens", "closes", "start_at"))
    return Hours(
        ZoneInfo(record["tz"]),
        None if opens is None else time.fromisoformat(opens),
        None if closes is None else time.fromisoformat(closes),
        record["overnight"],
        frozenset(record["days"]),
        None if start_at is None else datetime.fromisoformat(start_at),
    )


def stored_campaign(plan: Plan, hours: Hours | None = None) -> StoredCampaign:
    """What finishes ``plan`` sent within ``hours``: its settings, and every recipient it checked (sent, to send,
    or held by the ledger's rules now) with its message, its row's index label and number (in its ``to`` column)
    as given."""
    frame, messages, files = plan.frame, {}, {}
    numbers = frame[plan.to].tolist()
    recipients = []
    for row in plan.rows:
        if row.message is None or row.address is None or row.duplicate_of is not None:
            continue
        if row.content_key not in messages:
            messages[row.content_key] = message_record(row.message)
            files.update({a.digest.hex(): a.data for a in row.message.attachments})
        slot = row.content_key if plan.per_row else ""
        label, number = plain(frame.index[row.position]), plain(numbers[row.position])
        recipients.append(StoredRecipient(row.address, slot, row.content_key, label, number, row.carrier))
    settings = {
        "to": plan.to,
        "index": [plain(name) for name in frame.index.names],
        "per_row": plan.per_row,
        "retry_unknown": plan.retry_unknown,
        "min_gap": gap_record(plan.min_gap),
        "group": plan.group,
        "max_addresses": plan.max_addresses,
        "subject": plan.subject,
        "hours": hours_record(hours),
    }
    return StoredCampaign(plan.campaign, settings, messages, files, recipients)
