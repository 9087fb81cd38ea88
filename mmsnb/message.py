"""What an MMS says and carries, and its one check: attachments, media types, priorities, the size and field limits.

>>> message = Message(subject="Cześć!", attachments=(Attachment.of(("hello.txt", b"hi")),))
>>> message.check().size
2
>>> render_subject("Cześć {first_name}!", {"first_name": "Zofia"})
'Cześć Zofia!'
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
import os
import re
import string
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from .errors import Fix, InputError, too_large
from .images import CONVERTIBLE, FITTABLE
from .images import kind as image_kind
from .paths import read_file
from .words import N_, Phrase

#: Default limit of a message's attachments in bytes (raw file bytes, before base64), as the sandbox enforces it.
MAX_MESSAGE_BYTES = 300 * 1024
#: The longest subject in bytes of UTF-8: the subject is the message's text, and 30 KB is the smallest
#: OMA MMS message-size class (30, 100, 300 KB), so any handset that takes an MMS takes its text whole.
MAX_SUBJECT_BYTES = 30 * 1024
#: The widest a template's format may pad or cut a value (``{amount:>10}``, ``{price:.2f}``).
MAX_FORMAT_WIDTH = 999
_DIGIT_RUN = re.compile(r"\d+")
#: C0 and C1 control characters (and DEL): refused in a sender and a campaign name.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: The same, less the tab and line breaks a message's text may hold: refused in a subject.
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: The longest sender name: an alphanumeric originator has at most 11 characters (3GPP TS 23.040).
MAX_SENDER_NAME = 11
#: A sender that is a number: up to 15 digits (E.164), with an optional ``+`` or ``tel:+``.
_SENDER_NUMBER = re.compile(r"(?:tel:)?\+?[0-9]{1,15}")
#: The priorities the gateway accepts.
PRIORITIES = ("Default", "Low", "Normal", "High")
#: Media types an MMS can carry.
SUPPORTED_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/bmp",
        "image/vnd.wap.wbmp",
        "text/plain",
        "audio/amr",
        "audio/mpeg",
        "audio/mp4",
        "video/3gpp",
        "video/mp4",
        "application/smil",
    }
)
#: Media types of the usual MMS file extensions; the platform's guesses differ (``audio/AMR``,
#: ``audio/3gpp``, ``application/smil+xml`` or nothing at all) and are used only for other names.
TYPES_BY_SUFFIX = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jpe": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".bmp": "image/bmp",
    ".wbmp": "image/vnd.wap.wbmp",
    ".txt": "text/plain",
    ".amr": "audio/amr",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".3gp": "video/3gpp",
    ".mp4": "video/mp4",
    ".smil": "application/smil",
    ".smi": "application/smil",
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".heif": "image/heic",
}
_SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}


def check_limit(max_message_bytes: int) -> int:
    """``max_message_bytes`` when it is a usable limit; :class:`InputError` naming the option otherwise.

    >>> check_limit(300 * 1024)
    307200
    """
    if isinstance(max_message_bytes, bool) or not isinstance(max_message_bytes, int) or max_message_bytes < 1:
        raise InputError(f"max_message_bytes= must be a whole number of bytes, at least 1, not {max_message_bytes!r}.")
    return max_message_bytes


def check_priority(priority: str | None) -> str | None:
    """``priority`` when the gateway accepts it; :class:`InputError` naming the choices otherwise.

    >>> check_priority("High")
    'High'
    """
    if priority is not None and priority not in PRIORITIES:
        raise InputError(f"Priority {priority!r} is not one of {', '.join(PRIORITIES)}.")
    return priority


def check_subject(subject: str | None) -> str | None:
    """``subject`` when it fits an MMS; :class:`InputError` saying by how much it is too long otherwise.

    >>> check_subject("Cześć!")
    'Cześć!'
    """
    if subject is not None:
        check_no_control("subject", subject, _CONTROL_IN_TEXT)
    size = 0 if subject is None else len(subject.encode("utf-8", "surrogatepass"))
    if size > MAX_SUBJECT_BYTES:
        raise too_large(
            size,
            MAX_SUBJECT_BYTES,
            N_("The subject is"),
            N_(
                "The subject carries the message's text, and 30 KB is the smallest MMS size class; send a longer "
                "text as a .txt attachment."
            ),
        )
    return subject


def check_sender(sender: str | None) -> str | None:
    """``sender`` when phones can show it: a name of at most 11 characters, or a number of at most 15 digits;
    :class:`InputError` saying so otherwise.

    >>> check_sender("Sklep Żabka"), check_sender("+48501102030")
    ('Sklep Żabka', '+48501102030')
    """
    if sender is not None:
        check_no_control("sender", sender)
    if sender is None or len(sender) <= MAX_SENDER_NAME or _SENDER_NUMBER.fullmatch(sender):
        return sender
    shown = sender if len(sender) <= 20 else sender[:20] + "…"
    raise InputError(
        "The sender {sender} is {n} characters long; phones show a sender name of at most {most} characters "
        "(or a number of at most 15 digits). Shorten it.",
        values={"sender": repr(shown), "n": f"{len(sender):,}", "most": MAX_SENDER_NAME},
    )


def check_no_control(what: str, text: str, control: re.Pattern[str] = _CONTROL) -> None:
    """:class:`InputError` when ``text`` (the ``what``: sender, subject, campaign name) holds a control
    character: invisible, shown as a box, or taken by a phone or a log as the end of a line. A subject
    may hold tabs and line breaks; a sender and a campaign name none.

    >>> check_no_control("sender", "A\\r\\nB")
    Traceback (most recent call last):
    ...
    mmsnb.errors.InputError: The sender 'A\\r\\nB' holds a control character (U+000D, a carriage return), ...
    """
    found = control.search(text)
    if found is None:
        return
    shown = text if len(text) <= 40 else text[:40] + "…"
    char = found[0]
    named = Phrase(_CONTROL_NAMES.get(char, N_("an invisible character")))
    values = {"what": Phrase(what), "text": repr(shown), "code": f"U+{ord(char):04X}", "named": named}
    raise InputError(
        N_(
            "The {what} {text} holds a control character ({code}, {named}), which phones show as a box or not at "
            "all (a subject may hold tabs and line breaks). Remove it."
        )
        if control is _CONTROL_IN_TEXT
        else N_(
            "The {what} {text} holds a control character ({code}, {named}), which phones show as a box or not at "
            "all. Remove it."
        ),
        values=values,
    )


_CONTROL_NAMES = {
    "\t": N_("a tab"),
    "\n": N_("a line break"),
    "\r": N_("a carriage return"),
    "\x00": N_("a null character"),
}


def safe_filename(name: str) -> str:
    """A file name with no path, control characters or quotes, safe for a header.

    >>> safe_filename('../../etc/pa"ss\\nwd.jpg')
    'pa_ss_wd.jpg'
    """
    base = re.split(r"[\\/]", str(name))[-1]
    base = "".join("_" if unicodedata.category(ch).startswith("C") else ch for ch in base)
    base = re.sub(r'["\';:<>|*?]', "_", base).strip(" .")
    if len(base) > 120:
        stem, suffix = os.path.splitext(base)
        base = stem[: 120 - len(suffix[:16])] + suffix[:16]
    return base or "attachment"


@dataclass(frozen=True)
class Attachment:
    """One file to send: name, media type and bytes; base64 is computed once and kept.

    >>> Attachment.of(("hello.txt", b"hi")).content_type
    'text/plain'
    """

    filename: str
    content_type: str
    data: bytes = field(repr=False)

    @cached_property
    def b64(self) -> bytes:
        """The base64 text of the file in 76-character lines (RFC 2045), encoded once."""
        return base64.encodebytes(self.data).replace(b"\n", b"\r\n")

    @cached_property
    def digest(self) -> bytes:
        """SHA-256 of the file, computed once."""
        return hashlib.sha256(self.data).digest()

    @property
    def size(self) -> int:
        return len(self.data)

    @classmethod
    def of(
        cls, spec: AttachmentSpec, *, max_bytes: int | None = None, image: bool = False, beneath: Path | None = None
    ) -> Attachment:
        """An attachment from a path, ``(filename, bytes)`` or ``(filename, bytes, content_type)``.

        A file over ``max_bytes`` (the gateway's limit, or with ``image`` the most mmsnb reads of an
        image to shrink it) is refused without being read. WEBP and HEIC photos are let through as what
        they are, for :class:`~mmsnb.media.Media` to convert or refuse. A path a data column named is read
        from ``beneath``, the folder it was checked to lie in (see :func:`mmsnb.paths.read_file`).
        """
        if isinstance(spec, Attachment):
            return spec
        if isinstance(spec, (str, os.PathLike)):
            path = Path(spec)
            fix = Fix(option="fit", value=True, to="shrink it") if may_shrink(path.name) else None
            label = Phrase(N_("Attachment {name}"), {"name": repr(str(path))})
            data, name, ctype = read_file(path, label, max_bytes, fix, image=image, beneath=beneath), path.name, None
        elif isinstance(spec, tuple) and len(spec) in (2, 3):
            name, data = spec[0], spec[1]
            ctype = spec[2] if len(spec) == 3 else None
            if not isinstance(data, (bytes, bytearray)):
                raise InputError(f"Attachment {name!r}: the second item must be bytes.")
            data = bytes(data)
        else:
            raise InputError(
                f"Attachment {spec!r} is not understood: give a path, (filename, bytes) or (filename, bytes, "
                "content_type)."
            )
        name = safe_filename(name)
        ctype = ctype or _guess_type(name) or "application/octet-stream"
        kind = ctype.split(";")[0].strip().lower()
        if not data:
            raise InputError(N_("Attachment {name} is empty (0 bytes)."), values={"name": repr(name)})
        photo = image_kind(data)
        if photo in CONVERTIBLE:
            return cls(name, photo, data)
        if kind not in SUPPORTED_TYPES:
            raise InputError(
                N_(
                    "Attachment {name} has type {type}, which an MMS cannot carry; use JPEG, PNG, GIF, text, AMR/MP3 "
                    "audio or 3GP/MP4 video."
                ),
                values={"name": repr(name), "type": ctype},
            )
        signatures = _SIGNATURES.get(kind)
        if signatures and not data.startswith(signatures):
            raise InputError(
                N_("Attachment {name} is not a valid {kind} file: its content does not match its name."),
                values={"name": repr(name), "kind": kind.split("/")[1].upper()},
            )
        return cls(name, ctype, data)


AttachmentSpec = str | os.PathLike[str] | tuple[str, bytes] | tuple[str, bytes, str] | Attachment
_SHRINKABLE = (*FITTABLE, *CONVERTIBLE)


def may_shrink(name: str) -> bool:
    """Whether a file's name says it is an image that cleaning or fitting may make smaller.

    >>> may_shrink("IMG_0042.HEIC"), may_shrink("terms.txt")
    (True, False)
    """
    return _guess_type(name) in _SHRINKABLE


def _guess_type(name: str) -> str | None:
    """The media type a file's name suggests."""
    return TYPES_BY_SUFFIX.get(os.path.splitext(name)[1].lower()) or mimetypes.guess_type(name)[0]


@dataclass(frozen=True)
class Message:
    """What one MMS says and carries, whoever it goes to; equal messages can share one request.

    >>> Message(subject="Hej", priority="High").check().priority
    'High'
    """

    subject: str | None = None
    sender: str | None = None
    priority: str | None = None
    delivery_report: bool = True
    attachments: tuple[Attachment, ...] = ()

    @property
    def size(self) -> int:
        """The attachments' bytes, as the size limit counts them."""
        return sum(a.size for a in self.attachments)

    @cached_property
    def key(self) -> str:
        """A digest of everything the message says and carries."""
        digest = hashlib.sha256()
        fields = [self.subject, self.sender, self.priority, self.delivery_report]
        digest.update(json.dumps(fields, ensure_ascii=False).encode())
        for a in self.attachments:
            digest.update(a.filename.encode() + b"\0" + a.content_type.encode() + b"\0" + a.digest)
        return digest.hexdigest()[:32]

    def check(self, max_bytes: int = MAX_MESSAGE_BYTES) -> Message:
        """This message when the gateway would take it; :class:`InputError` saying what is wrong otherwise."""
        check_priority(self.priority)
        check_subject(self.subject)
        check_sender(self.sender)
        if not (self.subject or "").strip() and not self.attachments:
            raise InputError(
                N_(
                    "This message has neither a subject nor an attachment: an MMS needs a subject or an attachment, "
                    "and an empty one is not sent."
                ),
                values={},
            )
        if self.size > max_bytes:
            raise too_large(self.size, max_bytes)
        return self


def subject_fields(template: str) -> list[str]:
    """The column names a subject template fills in; :class:`InputError` when it is not a valid template
    or a field does more than name a column (an attribute, an index, a conversion, a field inside a format).

    >>> subject_fields("Cześć {first_name}, {amount:.2f} zł!")
    ['first_name', 'amount']
    """
    return list(_fields(template))


@lru_cache(maxsize=64)
def _fields(template: str) -> tuple[str, ...]:
    """The names of a template's fields, each checked to name a column only (read once per template)."""
    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(template)]
    except ValueError as exc:
        raise InputError(
            f"The subject {template!r} is not a valid template ({exc}); write {{{{ and }}}} for literal braces."
        ) from None
    names = []
    for name, spec, conversion in fields:
        if name is None:
            continue
        if name == "" or name.isdigit():
            raise InputError(
                f"The template {template!r} has an empty or numbered field; name a column, e.g. {{first_name}}."
            )
        if "." in name or "[" in name:
            raise InputError(
                f"The template {template!r} has the field {{{name}}}, which reaches inside a value; "
                "a template may only name columns, e.g. {first_name}."
            )
        if conversion is not None or "{" in (spec or ""):
            raise InputError(
                f"The template {template!r} does more with field {{{name}}} than fill in a column; "
                "a template may only name columns, with a format such as {amount:.2f}."
            )
        names.append(name)
    _check_widths(template, [(name, spec) for name, spec, _ in fields if name is not None])
    return tuple(names)


def _check_widths(template: str, fields: list[tuple[str, str | None]]) -> None:
    """:class:`InputError` when a field's format asks for a width or precision of more than
    :data:`MAX_FORMAT_WIDTH` characters, or the fields together for more than a subject may hold: refused
    before a value is formatted, so that ``{n:099999999d}`` never builds 100 MB to be refused after."""
    total = 0
    for name, spec in fields:
        widths = [int(digits) for digits in _DIGIT_RUN.findall(spec or "")]
        if any(width > MAX_FORMAT_WIDTH for width in widths):
            raise InputError(
                f"The template field {{{name}:{spec}}} asks for more than {MAX_FORMAT_WIDTH} characters; "
                f"a format may pad or cut a value to at most {MAX_FORMAT_WIDTH}, e.g. {{{name}:>10}}."
            )
        total += max(widths, default=0)
    if total > MAX_SUBJECT_BYTES:
        raise InputError(
            f"The template's formats ask for {total:,} characters in all, more than a subject holds "
            f"({MAX_SUBJECT_BYTES:,} bytes); pad fewer fields, or pad them less."
        )


def render_subject(template: str, values: Mapping[Any, Any]) -> str:
    """The subject a recipient reads: ``template`` filled in with the row's ``values``; its fields may
    only name columns (:func:`subject_fields`), so a template never reaches inside a value."""
    _fields(template)
    try:
        return template.format_map(values)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise InputError(
            N_("The subject template {template} does not fit this row's values ({why})."),
            values={"template": repr(template), "why": str(exc)},
        ) from None
