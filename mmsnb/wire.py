"""The wire format of an MMSOnnet send: the ``messagePart`` JSON and the multipart body.

>>> body, content_type = encode(message_part(["tel:+48501102030"], subject="Cześć"), [])
>>> content_type
'application/json'
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Union

from urllib3.fields import RequestField
from urllib3.filepost import encode_multipart_formdata

from .errors import InputError

#: Default limit of a message's attachments in bytes, as the sandbox enforces it.
MAX_MESSAGE_BYTES = 300 * 1024

#: Media types an MMS can carry.
SUPPORTED_TYPES = frozenset(
    {
        "image/jpeg", "image/png", "image/gif", "image/bmp", "image/vnd.wap.wbmp",
        "text/plain", "audio/amr", "audio/mpeg", "audio/mp4", "video/3gpp", "video/mp4",
        "application/smil",
    }
)
PRIORITIES = ("Default", "Low", "Normal", "High")
_SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}
#: Media types of the usual MMS file extensions; the platform's guesses differ (``audio/AMR``,
#: ``audio/3gpp``, ``application/smil+xml`` or nothing at all) and are used only for other names.
TYPES_BY_SUFFIX = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".jpe": "image/jpeg", ".png": "image/png", ".gif": "image/gif",
    ".bmp": "image/bmp", ".wbmp": "image/vnd.wap.wbmp", ".txt": "text/plain", ".amr": "audio/amr",
    ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".3gp": "video/3gpp", ".mp4": "video/mp4",
    ".smil": "application/smil", ".smi": "application/smil",
}


def too_large(size: int, limit: int, what: str = "The attachments total") -> InputError:
    """The sentence for content over the gateway's size limit."""
    return InputError(f"{what} {size / 1024:.0f} KB, over the gateway's limit of {limit / 1024:.0f} KB.")


def read_file(path: Path, label: str, max_bytes: int | None = None) -> bytes:
    """The bytes of a regular file the user named; :class:`InputError` saying why when it cannot be read.

    A file over ``max_bytes`` is refused from its size alone, without reading it.
    """
    try:
        found = path.stat()
        if not stat.S_ISREG(found.st_mode):
            raise InputError(f"{label} is not a regular file (a folder, device or pipe): name a file.")
        if max_bytes is not None and found.st_size > max_bytes:
            raise too_large(found.st_size, max_bytes, f"{label} is")
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{label} does not exist: check the path.") from None
    except OSError as exc:
        raise InputError(f"{label} cannot be read ({exc.strerror}).") from None


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
    def of(cls, spec: "AttachmentSpec", *, max_bytes: int | None = None) -> "Attachment":
        """An attachment from a path, ``(filename, bytes)`` or ``(filename, bytes, content_type)``.

        A file over ``max_bytes`` is refused without being read.
        """
        if isinstance(spec, Attachment):
            return spec
        if isinstance(spec, (str, os.PathLike)):
            path = Path(spec)
            data = read_file(path, f"Attachment {str(path)!r}", max_bytes)
            name, ctype = path.name, None
        elif isinstance(spec, tuple) and len(spec) in (2, 3):
            name, data = spec[0], spec[1]
            ctype = spec[2] if len(spec) == 3 else None
            if not isinstance(data, (bytes, bytearray)):
                raise InputError(f"Attachment {name!r}: the second item must be bytes.")
            data = bytes(data)
        else:
            raise InputError(
                f"Attachment {spec!r} is not understood: give a path, (filename, bytes) or (filename, bytes, content_type)."
            )
        name = safe_filename(name)
        ctype = ctype or TYPES_BY_SUFFIX.get(os.path.splitext(name)[1].lower()) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        if not data:
            raise InputError(f"Attachment {name!r} is empty (0 bytes).")
        if ctype.split(";")[0].strip().lower() not in SUPPORTED_TYPES:
            raise InputError(
                f"Attachment {name!r} has type {ctype}, which an MMS cannot carry; "
                "use JPEG, PNG, GIF, text, AMR/MP3 audio or 3GP/MP4 video."
            )
        signatures = _SIGNATURES.get(ctype.split(";")[0].strip().lower())
        if signatures and not data.startswith(signatures):
            raise InputError(f"Attachment {name!r} is not a valid {ctype.split('/')[1].split(';')[0].upper()} file: its content does not match its name.")
        return cls(name, ctype, data)


AttachmentSpec = Union[str, os.PathLike, tuple, Attachment]


def message_part(
    addresses: list[str],
    *,
    subject: str | None = None,
    sender: str | None = None,
    priority: str | None = None,
    delivery_report: bool = True,
) -> dict:
    """The ``messagePart`` JSON object, with only the fields that are set."""
    if priority is not None and priority not in PRIORITIES:
        raise InputError(f"Priority {priority!r} is not one of {', '.join(PRIORITIES)}.")
    part: dict = {"addresses": list(addresses)}
    if subject is not None:
        part["subject"] = subject
    if priority is not None:
        part["priority"] = priority
    if sender is not None:
        part["senderAddress"] = sender
    part["deliveryReport"] = bool(delivery_report)
    return part


def encode(part: dict, attachments: list[Attachment]) -> tuple[bytes, str]:
    """The request body and its Content-Type: JSON alone, or multipart with base64 parts."""
    text = json.dumps(part, ensure_ascii=False).encode("utf-8")
    if not attachments:
        return text, "application/json"
    fields = [
        RequestField(
            "messagePart",
            text,
            filename="messagePart",
            headers={
                "Content-Type": "application/json; name=messagePart",
                "Content-Transfer-Encoding": "binary",
                "Content-Disposition": 'form-data; name="messagePart"; filename="messagePart"',
            },
        )
    ]
    for att in attachments:
        fields.append(
            RequestField(
                att.filename,
                att.b64,
                filename=att.filename,
                headers={
                    "Content-Type": att.content_type,
                    "Content-Transfer-Encoding": "base64",
                    "Content-Disposition": f'form-data; name="{att.filename}"; filename="{att.filename}"',
                },
            )
        )
    return encode_multipart_formdata(fields)
