"""Turn a recipients table into checked rows and the requests that will carry them.

Every row is checked before anything is sent; a bad row gets a reason and the rest go on.

>>> checked = check_rows(frame, to="msisdn", subject="Cześć {first_name}!")   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import string
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import cached_property
from numbers import Number
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import InputError
from .numbers import imprecise_dtype, parse
from .paths import base_folder, inside
from .wire import PRIORITIES, Attachment, too_large


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
    """Each distinct file is read and base64-encoded once per campaign, and listed for the dry run."""

    def __init__(self, base: Path, max_bytes: int) -> None:
        self.base, self.max_bytes = base, max_bytes
        self._files: dict[Any, Attachment | InputError] = {}
        self._resolved: dict[tuple[str, bool], Path] = {}
        self.read: dict[str, Attachment] = {}

    def _path(self, spec: str | os.PathLike, from_data: bool) -> Path:
        """The real path of a file (worked out once per spelling); files named in data must lie in the base folder."""
        key = (os.fspath(spec), from_data)
        if key not in self._resolved:
            self._resolved[key] = inside(self.base, spec) if from_data else Path(os.path.realpath(spec))
        return self._resolved[key]

    def get(self, spec: Any, *, from_data: bool) -> Attachment:
        path = self._path(spec, from_data) if isinstance(spec, (str, os.PathLike)) else None
        key = str(path) if path is not None else id(spec)
        if key not in self._files:
            try:
                self._files[key] = Attachment.of(path if path is not None else spec, max_bytes=self.max_bytes)
                if path is not None:
                    self.read[str(path)] = self._files[key]
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


def _text(name: str, value: Any) -> str | None:
    """A subject or sender as text that can go on the wire (UTF-8), or None; numbers become their digits."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, Number)):
        raise InputError(f"The {name} in this row is {type(value).__name__} {_short(value)}, not text.")
    text = str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(
            f"The {name} has a character that cannot be sent ({text[exc.start]!r} at position {exc.start}, "
            "a broken character from a bad copy or export); retype that part."
        ) from None
    return text


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _check_parameters(**parameters: Any) -> None:
    """Constants that must be text (or a column's name): :class:`InputError` naming the parameter otherwise."""
    for name, value in parameters.items():
        if value is not None and not isinstance(value, str):
            raise InputError(f"{name}= must be text or the name of a column, not {type(value).__name__} {_short(value)}.")


def _meaning(fields: _Fields, *, subject: Any, sender: Any, priority: Any, delivery_report: bool, attachments: Any,
             constant_files: list | None, cache: _AttachmentCache) -> dict[str, Any]:
    """What the message means, independent of spelling: constants as given, columns by name, files by their digests."""
    def value(v: Any) -> Any:
        return {"column": str(v)} if fields.column(v) is not None else v

    files: Any = {"column": str(attachments)}
    if constant_files is not None:
        try:
            files = [[a.content_type, a.digest.hex()] for a in (cache.get(f, from_data=False) for f in constant_files)]
        except InputError as exc:
            files = {"unreadable": str(exc)}
    return {"subject": value(subject), "sender": value(sender), "priority": value(priority),
            "delivery_report": bool(delivery_report), "attachments": files}


@dataclass
class Checked:
    """The rows after their checks, and the files they read (real path -> attachment)."""

    rows: list[Row]
    files: dict[str, Attachment]
    meaning: dict[str, Any]


def check_frame(frame: pd.DataFrame) -> None:
    """Frame-level problems, raised before anything is sent: not a frame, repeated column names."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"Expected a pandas DataFrame of recipients, got {type(frame).__name__}.")
    repeated = sorted(name for name, n in Counter(str(c) for c in frame.columns).items() if n > 1)
    if repeated:
        raise InputError(f"The frame has repeated column names: {', '.join(map(repr, repeated))}. Rename or drop the copies first.")


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
    per_row: bool = False,
    attachments_dir: str | os.PathLike | None = None,
) -> Checked:
    """Check every row: number, values, attachments; mark repeats of a number (of a number and content with ``per_row``)."""
    check_frame(frame)
    _check_parameters(to=to, subject=subject, sender=sender, priority=priority)
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
    if subject_col is None and not (template or "").strip() and att_col is None and not constant_files:
        raise InputError("An MMS needs a subject or an attachment: pass subject= or attachments=. Nothing was sent.")
    cache = _AttachmentCache(base_folder(attachments_dir, frame.attrs), max_message_bytes)
    meaning = _meaning(fields, subject=subject, sender=sender, priority=priority, delivery_report=delivery_report,
                       attachments=attachments, constant_files=constant_files, cache=cache)
    imprecise = imprecise_dtype(frame[number_col].dtype)
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
            if imprecise:
                raise InputError(imprecise)
            checked = parse(number)
            row.address, row.carrier = checked.address, checked.carrier
            values = {}
            for name, constant_value in (("subject", subject), ("sender", sender), ("priority", priority)):
                values[name] = columns[name][i] if columns[name] is not None else constant_value
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
            if columns["attachments"] is not None:
                files = tuple(cache.get(s, from_data=True) for s in _as_list(columns["attachments"][i]))
            else:
                files = tuple(cache.get(s, from_data=False) for s in constant_files or ())
            total = sum(f.size for f in files)
            if total > max_message_bytes:
                raise too_large(total, max_message_bytes)
            text = _text("subject", values["subject"])
            if not (text or "").strip() and not files:
                raise InputError("This row's message has neither a subject nor an attachment; an empty MMS is not sent.")
            content = Content(text, _text("sender", values["sender"]), values["priority"], bool(delivery_report), files)
            row.content = contents.setdefault(content.key, content)
        except InputError as exc:
            row.error = str(exc)
            continue
        except Exception as exc:  # one odd value must not stop the other rows
            row.error = f"This row could not be prepared ({type(exc).__name__}: {exc}); check its values."
            continue
        row.content_key = row.content.key
        seen = first.setdefault((row.address, row.content_key if per_row else ""), i)
        if seen != i:
            row.duplicate_of = seen
    return Checked(rows, cache.read, meaning)


def group_requests(rows: list[Row], *, group: bool, max_addresses: int) -> list[Request]:
    """The requests that carry ``rows``: one per row, or rows of equal content together."""
    if isinstance(max_addresses, bool) or not isinstance(max_addresses, int) or max_addresses < 1:
        raise InputError(f"max_addresses= must be a whole number of at least 1, not {max_addresses!r}.")
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
