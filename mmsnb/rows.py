"""Check a recipients table row by row, and group the good rows into the requests that will carry them.

Every row is checked before anything is sent; a bad row gets a reason and the rest go on.

>>> plan = mmsnb.plan(client, frame, subject="Cześć {first_name}!")  # its rows are checked here
>>> plan.to_frame().query("send_state == 'invalid'").error.iloc[0]
"'(22) 594 90 00' is a fixed-line or service number; only mobile numbers can receive an MMS."
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
import os
from collections import Counter
from collections.abc import Hashable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from numbers import Number
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .errors import Fix, InputError
from .media import Media
from .message import (
    PRIORITIES,
    Attachment,
    Message,
    check_sender,
    check_subject,
    render_subject,
    subject_fields,
)
from .paths import base_folder, inside
from .phones import imprecise_dtype, parse, parse_usual
from .words import N_, Phrase


@dataclass(slots=True)
class Row:
    """One input row after its checks."""

    position: int
    address: str | None = None
    carrier: str | None = None
    error: str | None = None
    fix: Fix | None = None  # what would help, as data (see :mod:`mmsnb.words`)
    said_as: tuple[str, dict[str, object]] | None = None  # the error as a message of the catalogue, and its values
    content_key: str = ""
    message: Message | None = None
    duplicate_of: int | None = None


@dataclass
class Request:
    """One planned API request: a message and up to ``max_addresses`` addresses."""

    message: Message
    content_key: str
    addresses: list[str]
    positions: list[int]


class _Refusal(NamedTuple):
    """Why a row cannot be sent: the sentence, its fix, and the sentence as a message of the catalogue."""

    error: str
    fix: Fix | None
    said_as: tuple[str, dict[str, object]] | None

    @classmethod
    def of(cls, exc: Exception) -> _Refusal:
        """What ``exc`` says of the row it stopped."""
        if isinstance(exc, InputError):
            return cls(exc.sentence, exc.fix, None if exc.template is None else (exc.template, exc.values))
        return cls(f"This row could not be prepared ({type(exc).__name__}: {exc}); check its values.", None, None)

    def mark(self, row: Row) -> None:
        """Mark ``row`` invalid, for this reason."""
        row.error, row.fix, row.said_as = self


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
        columns: list[Hashable] = []
        for name in subject_fields(text):
            if name not in self.columns:
                raise InputError(
                    f"The template {text!r} names column {name!r}, which the frame does not have. "
                    f"Columns: {', '.join(self.columns)}."
                )
            columns.append(self.columns[name])
        return columns


class _AttachmentCache:
    """Each distinct file is read, cleaned (:class:`~mmsnb.media.Media`) and base64-encoded once per campaign,
    and listed for the dry run."""

    def __init__(self, base: Path, media: Media) -> None:
        self.base, self.media = base, media
        self._files: dict[Any, Attachment | InputError] = {}
        self._resolved: dict[tuple[str, bool], Path] = {}
        self.read: dict[str, Attachment] = {}

    def _path(self, spec: str | os.PathLike[str], from_data: bool) -> Path:
        """The real path of a file (worked out once per spelling); files named in data must lie in the base folder."""
        key = (os.fspath(spec), from_data)
        if key not in self._resolved:
            self._resolved[key] = inside(self.base, spec) if from_data else Path(os.path.realpath(spec))
        return self._resolved[key]

    def original(self, spec: Any, *, from_data: bool) -> Attachment:
        """The file as read."""
        path = self._path(spec, from_data) if isinstance(spec, (str, os.PathLike)) else None
        key = str(path) if path is not None else id(spec)
        if key not in self._files:
            try:
                beneath = self.base if from_data else None  # read from the folder it was checked to lie in
                attachment = self.media.read(path if path is not None else spec, beneath=beneath)
                self._files[key] = attachment
                if path is not None:
                    self.read[str(path)] = attachment
            except InputError as exc:
                self._files[key] = exc
        found = self._files[key]
        if isinstance(found, InputError):
            raise found
        return found

    def get(self, spec: Any, *, from_data: bool) -> Attachment:
        """The file as it will be sent (before the message is fitted)."""
        original = self.original(spec, from_data=from_data)
        label = os.fspath(spec) if isinstance(spec, (str, os.PathLike)) else original.filename
        return self.media.clean(original, label)


def _as_list(value: Any) -> list[Any]:
    if _missing(value):
        return []
    if isinstance(value, (list, tuple)) and not (
        isinstance(value, tuple) and len(value) in (2, 3) and isinstance(value[1], bytes)
    ):
        return list(value)
    return [value]


def _text(name: str, value: Any) -> str | None:
    """A subject or sender as text that can go on the wire (UTF-8), or None; numbers become their digits."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, Number)):
        raise InputError(
            N_("The {name} in this row is {kind} {value}, not text."),
            values={"name": Phrase(name), "kind": type(value).__name__, "value": _short(value)},
        )
    text = str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(
            N_(
                "The {name} has a character that cannot be sent ({char} at position {position}, a broken character "
                "from a bad copy or export); retype that part."
            ),
            values={"name": Phrase(name), "char": repr(text[exc.start]), "position": exc.start},
        ) from None
    return text


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _check_parameters(**parameters: Any) -> None:
    """Constants that must be text (or a column's name): :class:`InputError` naming the parameter otherwise."""
    for name, value in parameters.items():
        if value is not None and not isinstance(value, str):
            raise InputError(
                f"{name}= must be text or the name of a column, not {type(value).__name__} {_short(value)}."
            )


def _meaning(
    fields: _Fields,
    *,
    subject: Any,
    sender: Any,
    priority: Any,
    delivery_report: bool,
    attachments: Any,
    constant_files: list[Any] | None,
    cache: _AttachmentCache,
) -> dict[str, Any]:
    """What the message means, independent of spelling: constants as given, columns by name, files by their digests."""

    def value(v: Any) -> Any:
        return {"column": str(v)} if fields.column(v) is not None else v

    files: Any = {"column": str(attachments)}
    if constant_files is not None:
        try:
            files = [
                [a.content_type, a.digest.hex()] for a in (cache.original(f, from_data=False) for f in constant_files)
            ]
        except InputError as exc:
            files = {"unreadable": str(exc)}
    return {
        "subject": value(subject),
        "sender": value(sender),
        "priority": value(priority),
        "delivery_report": bool(delivery_report),
        "attachments": files,
    }


@dataclass
class Checked:
    """The rows after their checks, the files they read (real path -> attachment as read), and what the
    files became (:class:`~mmsnb.media.Media`)."""

    rows: list[Row]
    files: dict[str, Attachment]
    meaning: dict[str, Any]
    media: Media


def check_frame(frame: pd.DataFrame) -> None:
    """Frame-level problems, raised before anything is sent: not a frame, repeated column names."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"Expected a pandas DataFrame of recipients, got {type(frame).__name__}.")
    repeated = sorted(name for name, n in Counter(str(c) for c in frame.columns).items() if n > 1)
    if repeated:
        raise InputError(
            f"The frame has repeated column names: {', '.join(map(repr, repeated))}. Rename or drop the copies first."
        )


def _content(subject: str | None, sender: str | None, priority: Any, originals: list[Attachment]) -> tuple[Any, ...]:
    """One row's content for the campaign's name: its text as sent, and its files as read (before cleaning
    or fitting, so that ``fit=``, ``keep_metadata=`` or a newer image library keep the name)."""
    return (
        subject,
        sender,
        None if priority is None else str(priority),
        *(a.content_type + a.digest.hex() for a in originals),
    )


def _codes(column: pd.Series) -> np.ndarray | None:
    """A code for each value of ``column``, equal exactly where the values read the same in a template
    (every missing value one code); None when its types do not allow that to be told cheaply."""
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return np.asarray(column.cat.codes)
    if isinstance(dtype, pd.StringDtype):
        return pd.factorize(column)[0]
    if not isinstance(dtype, np.dtype):
        return None
    values = column.to_numpy()
    if dtype.kind in "iub":
        return pd.factorize(values)[0]
    if dtype.kind == "f":  # by their bits: -0.0 is written apart from 0.0
        return pd.factorize(values.view(f"i{dtype.itemsize}"))[0]
    if dtype.kind == "O" and all(type(v) is str or _missing(v) for v in values):
        return pd.factorize(values)[0]
    return None


def _groups(columns: list[pd.Series], n: int) -> np.ndarray:
    """Each of ``n`` rows' group, numbered from 0 in order of first appearance: rows of a group hold the same
    values in ``columns`` (where the values do not allow that to be told cheaply, each row is its own group)."""
    group = np.zeros(n, dtype=np.int64)
    for column in columns:
        codes = _codes(column)
        if codes is None:
            return np.arange(n)
        group = pd.factorize(group * (int(codes.max(initial=-1)) + 2) + (codes.astype(np.int64) + 1))[0]
    return group


class _Recipe:
    """How each row's message is made: the parameters resolved once against the frame's columns."""

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        to: str,
        subject: str | None,
        attachments: Any,
        sender: str | None,
        priority: str | None,
        delivery_report: bool,
        max_message_bytes: int,
        attachments_dir: str | os.PathLike[str] | None,
        media: Media,
    ) -> None:
        _check_parameters(to=to, subject=subject, sender=sender, priority=priority)
        fields = _Fields(frame)
        number_col = fields.column(to)
        if number_col is None:
            raise InputError(
                f"The frame has no column {to!r} of numbers. Columns: {', '.join(fields.columns) or 'none'}. "
                "Pass to='your column'."
            )
        subject_col = fields.column(subject)
        self.template = None if subject_col is not None or subject is None else subject
        self.template_columns = [] if self.template is None else fields.template_columns(self.template)
        if self.template is not None and not self.template_columns:
            check_subject(render_subject(self.template, {}))
        if fields.column(sender) is None:
            check_sender(sender)
        if priority is not None and fields.column(priority) is None and priority not in PRIORITIES:
            raise InputError(
                f"Priority {priority!r} is neither one of {', '.join(PRIORITIES)} nor a column of the frame."
            )
        att_col = fields.column(attachments) if isinstance(attachments, str) else None
        self.constant_files = None if att_col is not None else _as_list(attachments)
        if subject_col is None and not (self.template or "").strip() and att_col is None and not self.constant_files:
            raise InputError(
                "An MMS needs a subject or an attachment: pass {fix}. Nothing was sent.",
                fix=Fix(option="subject", others=("attachments",)),
            )
        self.cache = _AttachmentCache(base_folder(attachments_dir, frame.attrs), media)
        self.meaning = _meaning(
            fields,
            subject=subject,
            sender=sender,
            priority=priority,
            delivery_report=delivery_report,
            attachments=attachments,
            constant_files=self.constant_files,
            cache=self.cache,
        )
        self.imprecise = imprecise_dtype(frame[number_col].dtype)
        self.numbers = frame[number_col].tolist()
        varying = [*self.template_columns, subject_col, fields.column(sender), fields.column(priority), att_col]
        group = _groups([frame[c] for c in dict.fromkeys(c for c in varying if c is not None)], len(frame))
        self.group: list[int] = group.tolist()
        self.firsts: list[int] = np.unique(group, return_index=True)[1].tolist()
        self.records = self._records(frame) if self.template is not None else None
        self.constants = {"subject": subject, "sender": sender, "priority": priority}
        self.columns = {
            name: (frame[col].tolist() if col is not None else None)
            for name, col in (
                ("subject", subject_col),
                ("sender", fields.column(sender)),
                ("priority", fields.column(priority)),
                ("attachments", att_col),
            )
        }
        self.delivery_report, self.max_message_bytes = bool(delivery_report), max_message_bytes
        self.varies = bool(self.template_columns) or any(c is not None for c in self.columns.values())
        self.contents: set[tuple[Any, ...]] = set()
        self.tried: set[int] = set()  # the groups whose content was collected
        self._made: dict[int, Message | _Refusal] = {}
        self._by_key: dict[str, Message] = {}

    def _records(self, frame: pd.DataFrame) -> list[dict[Hashable, Any]]:
        """The template's columns in the first row of each group, as :meth:`pandas.DataFrame.to_dict` gives them."""
        return frame[list(dict.fromkeys(self.template_columns))].iloc[self.firsts].to_dict("records")

    def identity(self) -> dict[str, Any]:
        """What the campaign means: the parameters, and when content varies by row, a digest of every row's
        content (:meth:`_parts` collects it), sorted so that the rows' order does not matter."""
        if not self.varies:
            return self.meaning
        rows = sorted(json.dumps(c, ensure_ascii=False) for c in self.contents)
        digest = hashlib.sha256("\n".join(rows).encode("utf-8", "surrogatepass")).hexdigest()
        return {**self.meaning, "contents": digest}

    def cover(self, rows: list[Row]) -> None:
        """Collect the content of rows whose message was not made (a wrong number), so that
        correcting a number later keeps the campaign's name."""
        for group in {self.group[row.position] for row in rows} - self.tried:
            with suppress(Exception):  # the rows are invalid already; their content is wanted only if they have one
                self._parts(self.firsts[group])

    def _parts(self, i: int) -> tuple[str | None, str | None, Any, list[Any]]:
        """Row ``i``'s subject, sender, priority and files (as named); with content that varies by row,
        the row's content (files as read) joins the campaign's."""
        self.tried.add(self.group[i])
        values = {}
        for name, constant in self.constants.items():
            given = self.columns[name]
            values[name] = given[i] if given is not None else constant
            if given is not None and _missing(values[name]):
                raise InputError(N_("The {name} is missing in this row."), values={"name": Phrase(name)})
        if self.template is not None:
            assert self.records is not None
            record = self.records[self.group[i]]
            for col in self.template_columns:
                if _missing(record[col]):
                    raise InputError(
                        N_("The subject template needs column {column}, which is missing in this row."),
                        values={"column": repr(str(col))},
                    )
            values["subject"] = render_subject(self.template, record)
        subject, sender = _text("subject", values["subject"]), _text("sender", values["sender"])
        named = self.columns["attachments"]
        specs = _as_list(named[i]) if named is not None else self.constant_files or []
        if self.varies:
            originals = [self.cache.original(s, from_data=named is not None) for s in specs]
            self.contents.add(_content(subject, sender, values["priority"], originals))
        return subject, sender, values["priority"], specs

    def message(self, i: int) -> Message:
        """Row ``i``'s message, checked; :class:`InputError` saying what is wrong with the row."""
        subject, sender, priority, specs = self._parts(i)
        from_data = self.columns["attachments"] is not None
        files = tuple(self.cache.get(s, from_data=from_data) for s in specs)
        message = Message(subject, sender, priority, self.delivery_report, self.cache.media.fit(files))
        return message.check(self.max_message_bytes)

    def made(self, i: int) -> Message | _Refusal:
        """Row ``i``'s message, or why it cannot be made: made once for the rows of equal values (its group),
        when the first of them with a good number asks."""
        group = self.group[i]
        if group not in self._made:
            try:
                message = self.message(i)
                self._made[group] = self._by_key.setdefault(message.key, message)
            except Exception as exc:  # one odd value must not stop the other rows
                self._made[group] = _Refusal.of(exc)  # kept as data: the exception's traceback would hold this recipe
        return self._made[group]


@contextmanager
def _uncollected() -> Iterator[None]:
    """Python's cycle collector paused while the rows' objects are made: they form no cycles, and with a
    million rows it would walk all those made so far again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@_uncollected()
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
    attachments_dir: str | os.PathLike[str] | None = None,
    fit: bool = False,
    keep_metadata: bool = False,
) -> Checked:
    """Check every row: number, values, attachments (cleaned, and fitted with ``fit``);
    mark repeats of a number (of a number and content with ``per_row``).
    """
    check_frame(frame)
    media = Media(fit=fit, keep_metadata=keep_metadata, limit=max_message_bytes)
    recipe = _Recipe(
        frame,
        to=to,
        subject=subject,
        attachments=attachments,
        sender=sender,
        priority=priority,
        delivery_report=delivery_report,
        max_message_bytes=max_message_bytes,
        attachments_dir=attachments_dir,
        media=media,
    )
    rows: list[Row] = []
    first: dict[str | tuple[str, str], int] = {}  # the first row of each number (and content, with per_row)
    usual = [None] * len(recipe.numbers) if recipe.imprecise else parse_usual(recipe.numbers)
    for i, number in enumerate(recipe.numbers):
        row = Row(i)
        rows.append(row)
        read = usual[i]
        if read is None:
            try:
                if recipe.imprecise:
                    raise InputError(recipe.imprecise)
                checked = parse(number)
            except Exception as exc:  # one odd value must not stop the other rows
                _Refusal.of(exc).mark(row)
                continue
            read = checked.address, checked.carrier
        row.address, row.carrier = read
        message = recipe.made(i)
        if isinstance(message, _Refusal):
            message.mark(row)
            continue
        row.message, row.content_key = message, message.key
        seen = first.setdefault((row.address, message.key) if per_row else row.address, i)
        if seen != i:
            row.duplicate_of = seen
    recipe.cover(rows)
    return Checked(rows, recipe.cache.read, recipe.identity(), media)


@_uncollected()
def group_requests(rows: list[Row], *, group: bool, max_addresses: int) -> list[Request]:
    """The requests that carry ``rows``: one per row, or rows of equal content together."""
    if isinstance(max_addresses, bool) or not isinstance(max_addresses, int) or max_addresses < 1:
        raise InputError(f"max_addresses= must be a whole number of at least 1, not {max_addresses!r}.")
    size = max_addresses if group else 1
    by_content: dict[str, list[tuple[Message, str, int]]] = {}
    for row in rows:
        if row.message is None or row.address is None:
            raise ValueError(f"Row {row.position} did not pass its checks, so it cannot be sent.")
        by_content.setdefault(row.content_key, []).append((row.message, row.address, row.position))
    requests = []
    for key, members in by_content.items():
        for start in range(0, len(members), size):
            chunk = members[start : start + size]
            requests.append(Request(chunk[0][0], key, [a for _, a, _ in chunk], [p for _, _, p in chunk]))
    return requests
