"""What a send and a poll add to a frame: the states, the columns and their dtypes, and what the send recorded.

States are :class:`~enum.StrEnum` members, so they compare equal to their text
(``results.send_state == "accepted"``) and the columns stay plain categoricals that survive CSV and Parquet.

>>> SendState.ALREADY_SENT == "already-sent"
True
>>> list(SEND_STATE_DTYPE.categories[:3])
['accepted', 'invalid', 'rejected']
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import pandas as pd

from . import words
from .errors import Fix


class SendState(StrEnum):
    """The outcome of one row of a send."""

    ACCEPTED = "accepted"
    INVALID = "invalid"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    QUOTA = "quota"
    UNKNOWN = "unknown"
    ALREADY_SENT = "already-sent"
    IN_PROGRESS = "in-progress"
    STOPPED = "stopped"
    OPTED_OUT = "opted-out"
    TOO_SOON = "too-soon"
    PLANNED = "planned"
    PAUSED = "paused"


class Category(StrEnum):
    """What a gateway status means for delivery, in display order."""

    DELIVERED = "delivered"
    PENDING = "pending"
    PARTIAL = "partial"
    FAILED = "failed"
    UNKNOWN = "unknown"


#: The send states in order, as text.
SEND_STATES: tuple[str, ...] = tuple(state.value for state in SendState)
#: pandas dtype of the ``send_state`` column.
SEND_STATE_DTYPE = pd.CategoricalDtype(list(SEND_STATES))
#: Status categories in display order; every chart and table uses this order.
CATEGORIES: tuple[str, ...] = tuple(category.value for category in Category)
#: pandas dtype of the ``status_category`` column.
CATEGORY_DTYPE = pd.CategoricalDtype(list(CATEGORIES))

#: Columns a send adds, in order.
RESULT_COLUMNS = (
    "address",
    "carrier_hint",
    "send_state",
    "message_id",
    "request_no",
    "http_status",
    "error_code",
    "error",
    "sent_at",
)
#: Columns a poll adds, in order.
POLLED_COLUMNS = ("status", "status_category", "status_meaning", "final", "polled_at", "delivered_at")
#: The dtype of every result column (``string`` unless named).
DTYPES: dict[str, Any] = {
    "send_state": SEND_STATE_DTYPE,
    "request_no": "Int64",
    "http_status": "Int64",
    "error_code": "Int64",
    "sent_at": "datetime64[us, UTC]",
    "status_category": CATEGORY_DTYPE,
    "final": "boolean",
    "polled_at": "datetime64[us, UTC]",
    "delivered_at": "datetime64[us, UTC]",
}
_KEY = "mmsnb"


@dataclass(kw_only=True)
class Outcome:
    """What happened to one row of a send: its state and what the gateway and the ledger said."""

    state: SendState
    message_id: str | None = None
    request_no: int | None = None
    http_status: int | None = None
    error_code: int | None = None
    error: str | None = None
    sent_at: str | None = None
    #: What to change, as data: ``error`` names it where it says ``{fix}``, or it follows (see :mod:`mmsnb.words`).
    fix: Fix | None = None
    #: The error as a message of the catalogue and its values, where it has one (to say it in Polish); given
    #: alone, ``error`` is its English.
    said_as: tuple[str, dict[str, object]] | None = None

    def __post_init__(self) -> None:
        if self.error is None and self.said_as is not None:
            self.error = self.text()

    def text(self, lang: words.Lang = "en") -> str | None:
        """The error alone (``{fix}`` where it names what to change), in ``lang``: Polish where the catalogue has it."""
        if self.said_as is None or (lang == "en" and self.error is not None):
            return self.error
        template, values = self.said_as
        said = {k: words.translated(v, lang) if isinstance(v, str) and " " in v else v for k, v in values.items()}
        return words.Speaker(lang)(template, **{"fix": "{fix}", **said})

    def said(self, edge: words.Edge = "python", lang: words.Lang = "en") -> str | None:
        """The error in ``edge``'s words, in ``lang`` (the ``error`` column holds Python's, in the language of the
        library's sentences: English unless ``MMSNB_LANG`` says Polish)."""
        sentence = self.text(lang)
        return None if sentence is None else words.say(sentence, self.fix, edge, lang)


def column(name: str, values: list[Any], index: pd.Index) -> pd.Series:
    """A result column from Python values (ISO text for times), with its documented dtype.

    >>> column("request_no", [1, None], pd.RangeIndex(2)).dtype
    Int64Dtype()
    """
    dtype = DTYPES.get(name, "string")
    if dtype == "datetime64[us, UTC]":
        times = pd.to_datetime(pd.Series(values, index=index, dtype="object"), utc=True, format="ISO8601")
        return times.astype(dtype)
    return pd.Series(pd.array(values, dtype=dtype), index=index)


@dataclass(frozen=True)
class SendInfo:
    """What a send recorded beside its rows: read it as ``results.mms.info``.

    ``ledger`` is where the send was recorded (``poll`` records statuses there too); ``requests``
    the API requests it planned; ``available`` and ``resets_on`` the quota it read; ``files`` each
    distinct file it read (path, bytes, type, sha256); ``in_flight`` the pace's decisions; ``media`` what
    each file became (``results.mms.media`` shows it as a frame); ``fixes`` the errors that name what to change,
    as data (each row's position, sentence and fix), for a front end to word (:meth:`said`); ``subject`` the subject
    (or its template) when one is used for every row, and ``started`` when the send (or the plan) was made (ISO 8601,
    UTC): with them :meth:`title` shows an automatic campaign name as a person recognises it.
    A dry run's ``starts`` and ``ends`` say when the send would start and roughly end (ISO time, UTC; see
    ``Plan.when``).
    """

    campaign: str
    ledger: str
    requests: int
    available: int
    resets_on: date | None = None
    files: tuple[dict[str, Any], ...] = ()
    in_flight: tuple[tuple[str, int], ...] = field(default=())
    media: tuple[dict[str, Any], ...] = ()
    fixes: tuple[dict[str, Any], ...] = ()
    subject: str | None = None
    started: str | None = None
    starts: str | None = None
    ends: str | None = None

    def title(self, lang: str | None = None) -> str:
        """The campaign as a person recognises it (:func:`mmsnb.words.campaign_title`): the subject's first words and
        the day, when the name is automatic."""
        started = None if self.started is None else datetime.fromisoformat(self.started)
        return words.campaign_title(self.campaign, self.subject, started, lang)

    def said(self, position: int, edge: words.Edge, lang: words.Lang = "en") -> str | None:
        """The error of the row at ``position`` in ``edge``'s words, when it names what to change; else None.
        The sentence is in the language the send spoke (``lang`` words the fix)."""
        for said in self.fixes:
            if said["row"] == position:
                fix = said["fix"]
                return words.say(said["sentence"], Fix(**{**fix, "others": tuple(fix.get("others", ()))}), edge, lang)
        return None

    def attach(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` carrying this record (as JSON-safe values in ``frame.attrs``)."""
        record = asdict(self)
        record["resets_on"] = None if self.resets_on is None else self.resets_on.isoformat()
        record["files"], record["in_flight"] = list(self.files), [list(d) for d in self.in_flight]
        record["media"], record["fixes"] = list(self.media), list(self.fixes)
        frame.attrs[_KEY] = record
        return frame

    @classmethod
    def of(cls, frame: pd.DataFrame) -> SendInfo | None:
        """The record a send attached to ``frame`` (it follows copies, slices and ``concat``), or None."""
        record = frame.attrs.get(_KEY)
        if not isinstance(record, dict):
            return None
        resets_on = record.get("resets_on")
        return cls(
            record["campaign"],
            record["ledger"],
            record["requests"],
            record["available"],
            date.fromisoformat(resets_on) if resets_on else None,
            tuple(record.get("files", ())),
            tuple((d, n) for d, n in record.get("in_flight", ())),
            tuple(record.get("media", ())),
            tuple(record.get("fixes", ())),
            record.get("subject"),
            record.get("started"),
            record.get("starts"),
            record.get("ends"),
        )
