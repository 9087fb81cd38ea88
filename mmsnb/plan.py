"""Turn a recipients table into checked rows and the requests that will carry them.

Every row is checked before anything is sent; a bad row gets a reason and the rest go on.

>>> rows = check_rows(frame, to="msisdn", subject="Cześć {first_name}!")   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import string
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from .errors import InputError
from .numbers import parse
from .wire import PRIORITIES, Attachment


@dataclass(slots=True)
class Row:
    """One input row after its checks."""

    position: int
    address: str | None = None
    carrier: str | None = None
    error: str | None = None
    content_key: str = ""
    content: "Content | None" = None
    duplicate_of: int | None = None


@dataclass(frozen=True)
class Content:
    """What a message says and carries; rows with equal content can share one request."""

    subject: str | None
    sender: str | None
    priority: str | None
    delivery_report: bool
    attachments: tuple[Attachment, ...] = field(default=())

    @cached_property
    def key(self) -> str:
        digest = hashlib.sha256()
        digest.update(json.dumps([self.subject, self.sender, self.priority, self.delivery_report], ensure_ascii=False).encode())
        for a in self.attachments:
            digest.update(a.filename.encode() + b"\0" + a.content_type.encode() + b"\0" + a.digest)
        return digest.hexdigest()[:32]


@dataclass
class Request:
    """One planned API request: a content and up to ``max_addresses`` addresses."""

    content: Content
    content_key: str
    addresses: list[str]
    positions: list[int]


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


class _Fields:
    """Resolves a parameter that is a constant, a column name, or (for text) a template."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.columns = {str(c): c for c in frame.columns}

    def column(self, value: Any) -> Hashable | None:
        if isinstance(value, str) and value in self.columns:
            return self.columns[value]
        return None

    def template_columns(self, text: str) -> list[Hashable]:
        """The columns a template names; :class:`InputError` when it names one the frame lacks."""
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
        except ValueError as exc:
            raise InputError(f"The subject {text!r} is not a valid template ({exc}); write {{{{ and }}}} for literal braces.") from None
        columns = []
        for name in names:
            if name == "" or name.isdigit():
                raise InputError(f"The template {text!r} has an empty or numbered field; name a column, e.g. {{first_name}}.")
            column = name.split(".")[0].split("[")[0]
            if column not in self.columns:
                raise InputError(f"The template {text!r} names column {name!r}, which the frame does not have. Columns: {', '.join(self.columns)}.")
            columns.append(self.columns[column])
        return columns


class _AttachmentCache:
    """Each distinct file is read and base64-encoded once per campaign."""

    def __init__(self) -> None:
        self._files: dict[Any, Attachment | InputError] = {}
        self._resolved: dict[str, str] = {}

    def _key(self, spec: Any) -> Any:
        """The file's resolved path (worked out once per spelling), or the object itself for in-memory files."""
        if not isinstance(spec, (str, os.PathLike)):
            return id(spec)
        spelling = os.fspath(spec)
        if spelling not in self._resolved:
            self._resolved[spelling] = os.path.realpath(spelling)
        return self._resolved[spelling]

    def get(self, spec: Any) -> Attachment:
        key = self._key(spec)
        if key not in self._files:
            try:
                self._files[key] = Attachment.of(spec)
            except InputError as exc:
                self._files[key] = exc
        found = self._files[key]
        if isinstance(found, InputError):
            raise found
        return found


def _as_list(value: Any) -> list:
    if _missing(value):
        return []
    if isinstance(value, (list, tuple)) and not (isinstance(value, tuple) and len(value) in (2, 3) and isinstance(value[1], bytes)):
        return list(value)
    return [value]


def check_rows(
    frame: pd.DataFrame,
    *,
    to: str,
    subject: str | None,
    attachments: Any,
    sender: str | None,
    priority: str | None,
    delivery_report: bool,
    max_message_bytes: int,
) -> list[Row]:
    """Check every row: number, values, attachments; mark repeats of the same number and content."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"Expected a pandas DataFrame of recipients, got {type(frame).__name__}.")
    fields = _Fields(frame)
    number_col = fields.column(to)
    if number_col is None:
        raise InputError(f"The frame has no column {to!r} of numbers. Columns: {', '.join(fields.columns) or 'none'}. Pass to='your column'.")
    subject_col = fields.column(subject)
    template = None if subject_col is not None or subject is None else subject
    template_columns = [] if template is None else fields.template_columns(template)
    if priority is not None and fields.column(priority) is None and priority not in PRIORITIES:
        raise InputError(f"Priority {priority!r} is neither one of {', '.join(PRIORITIES)} nor a column of the frame.")
    att_col = fields.column(attachments) if isinstance(attachments, str) else None
    constant_files = None if att_col is not None else _as_list(attachments)
    cache = _AttachmentCache()
    records = frame.to_dict("records") if template is not None else None
    numbers = frame[number_col].tolist()
    columns = {name: (frame[col].tolist() if col is not None else None) for name, col in
               (("subject", subject_col), ("sender", fields.column(sender)), ("priority", fields.column(priority)), ("attachments", att_col))}
    rows: list[Row] = []
    first: dict[tuple[str, str], int] = {}
    contents: dict[str, Content] = {}
    for i, number in enumerate(numbers):
        row = Row(i)
        rows.append(row)
        try:
            checked = parse(number)
            row.address, row.carrier = checked.address, checked.carrier
            values = {}
            for name, constant in (("subject", subject), ("sender", sender), ("priority", priority)):
                values[name] = columns[name][i] if columns[name] is not None else constant
                if columns[name] is not None and _missing(values[name]):
                    raise InputError(f"The {name} is missing in this row.")
            if template is not None:
                for col in template_columns:
                    if _missing(records[i][col]):
                        raise InputError(f"The subject template needs column {str(col)!r}, which is missing in this row.")
                try:
                    values["subject"] = template.format_map(records[i])
                except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
                    raise InputError(f"The subject template {template!r} does not fit this row's values ({exc}).") from None
            if values["priority"] is not None and values["priority"] not in PRIORITIES:
                raise InputError(f"Priority {values['priority']!r} is not one of {', '.join(PRIORITIES)}.")
            specs = _as_list(columns["attachments"][i]) if columns["attachments"] is not None else constant_files
            files = tuple(cache.get(s) for s in specs)
            total = sum(f.size for f in files)
            if total > max_message_bytes:
                raise InputError(f"The attachments total {total / 1024:.0f} KB, over the gateway's limit of {max_message_bytes / 1024:.0f} KB.")
            content = Content(
                None if values["subject"] is None else str(values["subject"]),
                None if values["sender"] is None else str(values["sender"]),
                values["priority"],
                bool(delivery_report),
                files,
            )
        except InputError as exc:
            row.error = str(exc)
            continue
        row.content = contents.setdefault(content.key, content)
        row.content_key = row.content.key
        seen = first.setdefault((row.address, row.content_key), i)
        if seen != i:
            row.duplicate_of = seen
    return rows


def group_requests(rows: list[Row], *, group: bool, max_addresses: int) -> list[Request]:
    """The requests that carry ``rows``: one per row, or rows of equal content together."""
    if max_addresses < 1:
        raise InputError("max_addresses must be at least 1.")
    size = max_addresses if group else 1
    by_content: dict[str, list[Row]] = {}
    for row in rows:
        by_content.setdefault(row.content_key, []).append(row)
    requests = []
    for key, members in by_content.items():
        for start in range(0, len(members), size):
            chunk = members[start : start + size]
            requests.append(Request(chunk[0].content, key, [r.address for r in chunk], [r.position for r in chunk]))
    return requests
