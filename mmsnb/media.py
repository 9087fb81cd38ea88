"""What each file becomes before it is sent, decided once per distinct file per campaign.

By default the private metadata of JPEG and PNG photos (EXIF with its GPS position, XMP, IPTC,
comments) is removed, colour profiles kept (``keep_metadata=True`` sends the files as they are).
With ``fit=True``, a message whose attachments total more than the limit has its JPEG, PNG and GIF
images re-encoded until it fits, and WEBP and HEIC photos are converted to JPEG; without it such
a message is refused with how much too big it is. The original files are never changed.

:meth:`Media.report` says what was done to each file: a frame with the columns of :data:`REPORT_COLUMNS`;
:meth:`Media.records` gives the same rows with ``how``, what was done as a record (converted from what and
how, metadata removed, fitted and how, refused) for each front end to word (:mod:`mmsnb.words`).

>>> media = Media(fit=False, keep_metadata=False, limit=300 * 1024)
>>> media.clean(Attachment.of(("hello.txt", b"hi")), "hello.txt").data
b'hi'
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from . import images, words
from .errors import Fix, InputError, too_large
from .message import Attachment, may_shrink
from .words import N_, Phrase

#: The columns of :meth:`Media.report`: the file as read, and as sent.
REPORT_COLUMNS: dict[str, Any] = {
    "file": "string",  # the path (or the name of bytes given in code)
    "type": "string",  # its media type, read from its bytes for images
    "bytes": "int64",
    "pixels": "string",  # "960×720"; empty for what is not an image
    "gps": "boolean",  # whether it said where it was taken
    "metadata_removed": "string",  # "EXIF, XMP": what was left out ("" when nothing)
    "sent_type": "string",
    "sent_bytes": "Int64",  # empty when the file was refused
    "sent_pixels": "string",
    "done": "string",  # ``how`` in words: "as is", "metadata removed", "fitted (JPEG quality 65)"…
}
#: A file is not read above this size even to be fitted (a phone's photo is a few MB).
MAX_SOURCE_BYTES = 50 * 1024 * 1024
_NAMES = {"image/webp": "WEBP", "image/heic": "HEIC"}


def _named_apart(attachments: tuple[Attachment, ...]) -> tuple[Attachment, ...]:
    """The attachments, the second and later of a repeated name renamed ``stem-2.ext``, ``stem-3.ext``…"""
    seen: set[str] = set()
    out = []
    for attachment in attachments:
        name, n = attachment.filename, 1
        stem, suffix = os.path.splitext(name)
        while name.lower() in seen:
            n += 1
            name = f"{stem}-{n}{suffix}"
        seen.add(name.lower())
        out.append(attachment if name == attachment.filename else replace(attachment, filename=name))
    return tuple(out)


def _pixels(size: tuple[int, int] | None) -> str:
    return "" if size is None else f"{size[0]}×{size[1]}"


@dataclass
class _Entry:
    """What is known of one file: as read, and as sent."""

    file: str
    type: str
    size: int
    pixels: str
    gps: bool | None
    removed: tuple[str, ...] = ()
    sent: Attachment | None = None
    sent_pixels: str = ""
    converted_from: str = ""  # "WEBP", "HEIC"
    conversion: images.Fitted | None = None
    cleaned: bool = False  # its metadata removed
    fitted: images.Fitted | None = None
    refused: bool = False

    def how(self) -> dict[str, Any]:
        """What was done to it, as a JSON-safe record."""
        return {
            "converted_from": self.converted_from,
            "conversion": None if self.conversion is None else self.conversion.how(),
            "cleaned": self.cleaned,
            "fitted": None if self.fitted is None else self.fitted.how(),
            "refused": self.refused,
        }


def said(exc: InputError) -> str | Phrase:
    """``exc``'s sentence as a value of another sentence: said in each language where the catalogue has it."""
    return exc.sentence if exc.template is None else Phrase(exc.template, exc.values)


def unprepared(filename: str, exc: Exception) -> InputError:
    """The sentence for a failure mmsnb did not foresee while preparing the file ``filename``: it names the file."""
    said = str(exc)[:200] or "no reason given"
    return InputError(
        N_(
            "Attachment {name} could not be prepared: the image library failed on it ({said}). Save it again with "
            "an image editor, or send another file."
        ),
        values={"name": repr(filename), "said": said},
    )


class Media:
    """The files of one campaign (or one message) on their way out: cleaned, converted and fitted, each once."""

    def __init__(self, *, fit: bool, keep_metadata: bool, limit: int) -> None:
        if not isinstance(fit, bool):
            raise InputError(f"fit= must be True or False, not {fit!r}.")
        if not isinstance(keep_metadata, bool):
            raise InputError(f"keep_metadata= must be True or False, not {keep_metadata!r}.")
        self.fitting, self.keep_metadata, self.limit = fit, keep_metadata, limit
        self._lock = threading.Lock()
        self._cleaned: dict[tuple[str, bytes], Attachment | InputError] = {}
        self._fitted: dict[tuple[tuple[str, bytes], ...], tuple[Attachment, ...] | InputError] = {}
        self._entries: dict[tuple[str, bytes], _Entry] = {}  # by name and digest as read, then also as cleaned

    def read(self, spec: Any, *, beneath: Path | None = None) -> Attachment:
        """The file ``spec`` names, read: up to the message limit, or up to :data:`MAX_SOURCE_BYTES` for an
        image whose bytes may shrink on the way (fitted, or its metadata removed); a path a data column named
        from ``beneath``, the folder it was checked to lie in."""
        if not isinstance(spec, (str, os.PathLike)):
            return Attachment.of(spec)
        if (self.fitting or not self.keep_metadata) and may_shrink(os.fspath(spec)):
            largest = max(self.limit, MAX_SOURCE_BYTES)
            return Attachment.of(spec, max_bytes=largest, image=True, beneath=beneath)
        return Attachment.of(spec, max_bytes=self.limit, beneath=beneath)

    def clean(self, attachment: Attachment, label: str) -> Attachment:
        """``attachment`` as it will be sent before any fitting: without metadata, WEBP and HEIC as JPEG."""
        key = (attachment.filename, attachment.digest)
        with self._lock:
            found = self._cleaned.get(key)
            if found is None:
                try:
                    found = self._clean(attachment, label)
                except InputError as exc:
                    found = InputError(
                        N_("Attachment {name}: {sentence}"),
                        fix=exc.fix,
                        values={"name": repr(attachment.filename), "sentence": said(exc)},
                    )
                    self._entries[key].refused = True
                except Exception as exc:  # a file made to trip the image library: named, and the other rows go on
                    found = unprepared(attachment.filename, exc)
                    if key in self._entries:
                        self._entries[key].refused = True
                self._cleaned[key] = found
        if isinstance(found, InputError):
            raise found
        return found

    def _clean(self, attachment: Attachment, label: str) -> Attachment:
        data, image_kind = attachment.data, images.kind(attachment.data)
        entry = _Entry(label, image_kind or attachment.content_type, attachment.size, "", None)
        self._entries[(attachment.filename, attachment.digest)] = entry
        if image_kind is not None:
            entry.pixels, entry.gps = _pixels(images.pixels(data)), images.has_gps(data)
            if image_kind in images.FITTABLE:
                images.check_whole(data)
        sent = attachment
        if image_kind in images.CONVERTIBLE:
            if not self.fitting:
                raise InputError(
                    N_("it is a {kind} photo, which many phones cannot show."),
                    values={"kind": _NAMES[image_kind]},
                    fix=Fix(option="fit", value=True, to="convert it to JPEG, or convert it yourself"),
                )
            converted = images.fit(data, self.limit)
            stem = os.path.splitext(attachment.filename)[0]
            sent = Attachment(f"{stem}.jpg", "image/jpeg", converted.data)
            entry.removed, entry.sent_pixels = ("all (converted)",), _pixels(converted.pixels)
            entry.converted_from, entry.conversion = _NAMES[image_kind], converted
        elif image_kind in ("image/jpeg", "image/png", "image/gif") and not self.keep_metadata:
            cleaned = images.without_metadata(data, image_kind)
            if cleaned.removed:
                sent = replace(attachment, data=cleaned.data)
                entry.removed, entry.cleaned = cleaned.removed, True
        entry.sent = sent
        entry.sent_pixels = entry.sent_pixels or entry.pixels
        self._entries[(sent.filename, sent.digest)] = entry
        return sent

    def fit(self, attachments: tuple[Attachment, ...]) -> tuple[Attachment, ...]:
        """The attachments of one message, fitted to the limit when they total more (with ``fit=True``);
        :class:`InputError` saying how much too big, and what would help, otherwise. Two parts of one
        message never share a name (``photo.jpg``, ``photo-2.jpg``): a phone tells the parts apart by it."""
        attachments = _named_apart(attachments)
        total = sum(a.size for a in attachments)
        if total <= self.limit:
            return attachments
        shrinkable = [a for a in attachments if images.kind(a.data) in images.FITTABLE]
        if not self.fitting:
            fix = Fix(option="fit", value=True, to="shrink the images to fit") if shrinkable else None
            raise too_large(total, self.limit, fix=fix)
        key = tuple((a.filename, a.digest) for a in attachments)
        with self._lock:
            found = self._fitted.get(key)
            if found is None:
                try:
                    found = self._fit(attachments, shrinkable, total)
                except InputError as exc:
                    found = exc
                self._fitted[key] = found
        if isinstance(found, InputError):
            raise found
        return found

    def _fit(
        self, attachments: tuple[Attachment, ...], shrinkable: list[Attachment], total: int
    ) -> tuple[Attachment, ...]:
        """Share what the limit leaves after the other files equally among the images, smallest first; an
        image under its share stays as it is and leaves the rest to the larger ones."""
        fixed = total - sum(a.size for a in shrinkable)
        room = self.limit - fixed
        if room <= 0:
            raise too_large(fixed, self.limit, what=N_("The attachments that are not images total"))
        out: dict[int, Attachment] = {}
        for done, attachment in enumerate(sorted(shrinkable, key=lambda a: a.size)):
            share = room // (len(shrinkable) - done)
            if attachment.size <= share:
                room -= attachment.size
                continue
            try:
                fitted = images.fit(attachment.data, share)
            except InputError as exc:
                raise InputError(
                    N_("Attachment {name} cannot be fitted: {why}"),
                    values={"name": repr(attachment.filename), "why": said(exc)},
                ) from None
            except Exception as exc:  # a file made to trip the image library
                raise unprepared(attachment.filename, exc) from None
            sent = Attachment(attachment.filename, fitted.content_type, fitted.data)
            out[id(attachment)] = sent
            room -= sent.size
            entry = self._entries.get((attachment.filename, attachment.digest))
            if entry is not None and (entry.sent is None or sent.size < entry.sent.size or entry.fitted is None):
                entry.sent, entry.sent_pixels = sent, _pixels(fitted.pixels)  # the smallest it was sent at
                entry.fitted = fitted
        return tuple(out.get(id(a), a) for a in attachments)

    def records(self) -> list[dict[str, Any]]:
        """The report's rows as JSON-safe dicts, with ``how`` (what a results frame keeps in
        ``results.mms.info.media``)."""
        with self._lock:
            entries = list({id(e): e for e in self._entries.values()}.values())
        rows = [
            (
                e.file,
                e.type,
                e.size,
                e.pixels,
                e.gps,
                ", ".join(e.removed),
                e.sent.content_type if e.sent else None,
                e.sent.size if e.sent else None,
                e.sent_pixels,
                words.done(e.how()),
            )
            for e in entries
        ]
        return [
            {**dict(zip(REPORT_COLUMNS, row, strict=True)), "how": e.how()}
            for row, e in zip(rows, entries, strict=True)
        ]

    def report(self) -> pd.DataFrame:
        """One row per distinct file: as read (type, bytes, pixels, GPS) and as sent, and what was done."""
        frame = pd.DataFrame(self.records(), columns=list(REPORT_COLUMNS), dtype="object")
        return frame.astype(REPORT_COLUMNS)
