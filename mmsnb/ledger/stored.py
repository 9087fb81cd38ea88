"""A campaign as the ledger keeps it when it is sent: its settings, each recipient's message, and the
attachments' bytes once per distinct file, so that it can be finished from the ledger alone.

Storing is idempotent: a campaign sent again (or by two runs at once) keeps the files and messages it stored,
and a later send with new recipients adds them; the settings (rules, sending hours) and each recipient's
message are those of its latest send, so that a resume does what was last asked for. The stored bytes appear
in no history frame.

>>> kept = StoredCampaign("spring", {"per_row": False}, {}, {}, [])
>>> kept
StoredCampaign('spring': 0 recipients, 0 messages, 0 files of 0 bytes)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

#: Rows per statement when many are written or read at once.
_CHUNK = 500
#: The stored files among some digests (the columns to read go in ``{}``; the digests' placeholders after).
_FILES = "SELECT {} FROM stored_files WHERE sha256 IN"


@dataclass(frozen=True)
class StoredRecipient:
    """One recipient of a stored campaign: its address and claim slot, the content it gets, and the row it came
    from (the frame's index label and the number as given, as JSON values)."""

    address: str
    slot: str
    content_key: str
    label: Any
    number: Any
    carrier: str | None


@dataclass(frozen=True)
class StoredCampaign:
    """What finishes a campaign: its ``settings`` (JSON values), its ``messages`` by content key (JSON values,
    attachments named by their SHA-256), the ``files`` by SHA-256 (hex), and its ``recipients`` in order."""

    campaign: str
    settings: dict[str, Any]
    messages: dict[str, dict[str, Any]]
    files: dict[str, bytes]
    recipients: list[StoredRecipient]

    def __repr__(self) -> str:
        """Counts only: the files' bytes and the numbers stay out of what a notebook or a log shows."""
        size = sum(len(data) for data in self.files.values())
        return (
            f"StoredCampaign({self.campaign!r}: {_plural(len(self.recipients), 'recipient')}, "
            f"{_plural(len(self.messages), 'message')}, {_plural(len(self.files), 'file')} of {_plural(size, 'byte')})"
        )


def _plural(n: int, word: str) -> str:
    """ "1 file", "2 files"."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def _marks(chunk: list[str]) -> str:
    return ",".join("?" * len(chunk))


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def write(tx: Any, kept: StoredCampaign, at: str) -> None:
    """Store ``kept`` in the transaction ``tx`` (at time ``at``): the files and messages stored already stay,
    the settings and each recipient's message and row become those of ``kept`` (the campaign's latest send)."""
    campaign = kept.campaign
    tx.serialize([f"stored:{campaign}"])  # one run at a time stores a campaign; its claims are not held up
    tx.execute(
        "INSERT INTO stored_campaigns (campaign, settings, stored_at) VALUES (?, ?, ?) "
        "ON CONFLICT (campaign) DO UPDATE SET settings = excluded.settings",
        (campaign, json.dumps(kept.settings, sort_keys=True), at),
    )
    stored = {key for (key,) in tx.execute("SELECT content_key FROM stored_messages WHERE campaign = ?", (campaign,))}
    tx.executemany(
        "INSERT INTO stored_messages (campaign, content_key, message) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        [
            (campaign, key, json.dumps(message, ensure_ascii=False))
            for key, message in kept.messages.items()
            if key not in stored
        ],
    )
    digests = sorted(kept.files)  # one order: two campaigns storing the same files at once never deadlock
    have = {
        d for chunk in _chunks(digests) for (d,) in tx.execute(f"{_FILES.format('sha256')} ({_marks(chunk)})", chunk)
    }
    tx.executemany(
        "INSERT INTO stored_files (sha256, data) VALUES (?, ?) ON CONFLICT DO NOTHING",
        [(d, kept.files[d]) for d in digests if d not in have],
    )
    _write_recipients(tx, campaign, kept.recipients)


def _write_recipients(tx: Any, campaign: str, recipients: list[StoredRecipient]) -> None:
    """Add the new ``recipients``; give those stored already the message and row they have now."""
    known = {
        (address, slot): tuple(rest)
        for address, slot, *rest in tx.execute(
            "SELECT address, slot, content_key, label, number, carrier FROM stored_recipients WHERE campaign = ?",
            (campaign,),
        )
    }
    rows = {
        (r.address, r.slot): (r.content_key, json.dumps(r.label), json.dumps(r.number), r.carrier) for r in recipients
    }
    tx.executemany(
        "INSERT INTO stored_recipients (campaign, address, slot, content_key, label, number, carrier) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [(campaign, *key, *row) for key, row in rows.items() if key not in known],
    )
    tx.executemany(
        "UPDATE stored_recipients SET content_key = ?, label = ?, number = ?, carrier = ? "
        "WHERE campaign = ? AND address = ? AND slot = ?",
        [(*row, campaign, *key) for key, row in rows.items() if known.get(key, row) != row],
    )


def read(tx: Any, campaign: str) -> StoredCampaign | None:
    """The stored campaign ``campaign``, or None when the ledger keeps no such campaign."""
    found = tx.execute("SELECT settings FROM stored_campaigns WHERE campaign = ?", (campaign,))
    if not found:
        return None
    messages = {
        key: json.loads(text)
        for key, text in tx.execute("SELECT content_key, message FROM stored_messages WHERE campaign = ?", (campaign,))
    }
    digests = sorted({a["sha256"] for m in messages.values() for a in m["attachments"]})
    files = {
        digest: bytes(data)
        for chunk in _chunks(digests)
        for digest, data in tx.execute(f"{_FILES.format('sha256, data')} ({_marks(chunk)})", chunk)
    }
    recipients = [
        StoredRecipient(address, slot, key, json.loads(label), json.loads(number), carrier)
        for address, slot, key, label, number, carrier in tx.execute(
            "SELECT address, slot, content_key, label, number, carrier FROM stored_recipients "
            "WHERE campaign = ? ORDER BY id",
            (campaign,),
        )
    ]
    return StoredCampaign(campaign, json.loads(found[0][0]), messages, files, recipients)


def subjects(tx: Any, campaign: str | None = None) -> dict[str, str]:
    """Each stored campaign's subject (its template, as given), by campaign: the settings alone are read."""
    where, args = ("WHERE campaign = ?", (campaign,)) if campaign else ("", ())
    found = tx.execute(f"SELECT campaign, settings FROM stored_campaigns {where}", args)
    return {name: str(json.loads(settings).get("subject") or "") for name, settings in found}


def sent_before(tx: Any, campaign: str) -> bool:
    """Whether the ledger records requests of ``campaign`` (sent by any version of mmsnb)."""
    return bool(tx.execute("SELECT 1 FROM requests WHERE campaign = ? LIMIT 1", (campaign,)))
