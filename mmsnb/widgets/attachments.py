"""The attachments part of the composer: upload, thumbnails, the size bar, refusals, and the switches
"Fit to the limit" (images over the limit are re-encoded to fit, WEBP and HEIC converted to JPEG) and
"Keep photo metadata" (EXIF, GPS and XMP sent as they are).

>>> panel = AttachmentsPanel(max_bytes=300 * 1024)
>>> panel.add([{"name": "terms.txt", "type": "text/plain", "content": memoryview(b"Regulamin")}])
>>> [a.filename for a in panel.files], panel.total
(['terms.txt'], 9)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import ipywidgets as widgets

from ..errors import InputError
from ..images import CONVERTIBLE, FITTABLE, kind
from ..media import MAX_SOURCE_BYTES
from ..message import SUPPORTED_TYPES, Attachment
from ..words import FORM_SWITCHES, Speaker, language
from .markup import counted, line, size, taken

#: Image types a browser can show, with their ipywidgets.Image format.
IMAGE_FORMATS = {"image/jpeg": "jpeg", "image/png": "png", "image/gif": "gif", "image/bmp": "bmp", "image/webp": "webp"}
#: The label of the switch that lets images over the limit in, to be fitted when the plan is made.
FIT_LABEL = FORM_SWITCHES["fit"]
_NAMES = {"image/webp": "WEBP", "image/heic": "HEIC"}


def fittable(attachment: Attachment) -> bool:
    """Whether sending with ``fit=True`` can shrink the file (JPEG, PNG, GIF) or convert it (WEBP, HEIC)."""
    return kind(attachment.data) in (*FITTABLE, *CONVERTIBLE)


def image(attachment: Attachment, layout: widgets.Layout) -> widgets.Image:
    """An Image widget showing an image attachment."""
    return widgets.Image(value=attachment.data, format=IMAGE_FORMATS[attachment.content_type], layout=layout)


class AttachmentsPanel(widgets.VBox):
    """Files to send: a FileUpload, one row per file (thumbnail or name, size, remove button),
    a bar of the total size against the gateway's limit, and the reasons for refused files.

    With ``fit`` ticked (the default), JPEG, PNG, GIF, WEBP and HEIC images are taken whatever their
    size: the plan re-encodes them to fit (:func:`mmsnb.plan` with ``fit=True``). Other files, and
    every file with ``fit`` unticked, must fit the limit as they are. ``keep_metadata`` (unticked by
    default) sends photos' EXIF, GPS and XMP as they are.

    >>> panel = AttachmentsPanel(max_bytes=300 * 1024)
    >>> panel.bar.max
    307200
    """

    def __init__(
        self, *, max_bytes: int, fit: bool = True, keep_metadata: bool = False, lang: str | None = None
    ) -> None:
        self._ = _ = Speaker(language(lang))
        self.max_bytes = max_bytes
        #: Called after each change of the files.
        self.on_change: Callable[[], None] = lambda: None
        self.files: list[Attachment] = []
        self._rows: dict[int, widgets.HBox] = {}
        self.upload = widgets.FileUpload(description=_("Attach files"), multiple=True, icon="paperclip").add_class(
            "mmsnb-upload"
        )
        self.rows = widgets.VBox()
        self.bar = widgets.IntProgress(value=0, min=0, max=max_bytes, layout=widgets.Layout(width="220px"))
        self.size_line = widgets.HTML()
        self.refusals = widgets.HTML().add_class("mmsnb-refusals")
        self.fit = widgets.Checkbox(
            value=fit,
            description=_(FIT_LABEL),
            indent=False,
            tooltip=_("Re-encode images so the message fits the gateway's limit; convert WEBP and HEIC photos to JPEG"),
            layout=widgets.Layout(width="auto", margin="0 16px 0 0"),
        ).add_class("mmsnb-fit")
        self.keep_metadata = widgets.Checkbox(
            value=keep_metadata,
            description=_(FORM_SWITCHES["keep_metadata"]),
            indent=False,
            tooltip=_("Send photos' EXIF, GPS position and XMP as they are (removed by default)"),
            layout=widgets.Layout(width="auto"),
        ).add_class("mmsnb-keep-metadata")
        self.upload.observe(lambda change: self.add(change["new"]), "value")
        self.fit.observe(lambda _: self._show(), "value")
        self.keep_metadata.observe(lambda _: self.on_change(), "value")
        switches = widgets.HBox([self.fit, self.keep_metadata])
        super().__init__([self.upload, self.rows, widgets.HBox([self.bar, self.size_line]), switches, self.refusals])
        self._show()

    @property
    def total(self) -> int:
        """Bytes of all files."""
        return sum(f.size for f in self.files)

    @property
    def fixed(self) -> int:
        """Bytes that fitting cannot change: every file without "Fit to the limit", else the files that are not
        images it can shrink."""
        return sum(f.size for f in self.files if not (self.fit.value and fittable(f)))

    @property
    def over_limit(self) -> bool:
        """Whether the files cannot fit the limit: as they are, or (with "Fit to the limit") even with the images
        shrunk."""
        return self.fixed > self.max_bytes

    @property
    def problems(self) -> list[str]:
        """What keeps these files from being sent, as sentences; empty when they can go."""
        out, _ = [], self._
        if self.over_limit:
            if self.fit.value or not any(fittable(f) for f in self.files):
                out.append(_("Remove attachments: they are over the size limit."))
            else:
                out.append(
                    _("Remove attachments, or tick “{switch}”: they are over the size limit.", switch=_(FIT_LABEL))
                )
        if not self.fit.value:
            out += [
                _(
                    "{file} is a {kind} photo, which many phones cannot show: tick “{switch}” to send it as a JPEG, "
                    "or remove it.",
                    file=f.filename,
                    kind=_NAMES[f.content_type],
                    switch=_(FIT_LABEL),
                )
                for f in self.files
                if f.content_type in CONVERTIBLE
            ]
        return out

    def add(self, uploads: Iterable[dict[str, Any]]) -> None:
        """Take uploaded files (FileUpload's value: dicts with name, type and content);
        refuse what the gateway would.
        """
        uploads = tuple(uploads)
        if not uploads or taken(uploads):  # nothing, or the count of the files taken (set below)
            return
        refused = []
        for item in uploads:
            browser_type = item.get("type") if item.get("type") in SUPPORTED_TYPES else None
            name, content = item["name"], bytes(item["content"])
            spec: tuple[str, bytes] | tuple[str, bytes, str] = (
                (name, content, browser_type) if browser_type else (name, content)
            )
            try:
                attachment = Attachment.of(spec)
            except InputError as exc:
                refused.append(exc.say("form", self._.lang))
                continue
            if attachment.size > self.max_bytes:
                reason = self._too_big(attachment)
                if reason:
                    refused.append(reason)
                    continue
            self.files.append(attachment)
        self.refusals.value = "<br>".join(
            line(self._("✗ Refused: {reason}", reason=reason), "error") for reason in refused
        )
        self._show()

    def _too_big(self, attachment: Attachment) -> str:
        """Why a file over the limit is refused ('' when "Fit to the limit" will shrink it)."""
        _ = self._
        over = _(
            "{file} is {size}, over the gateway's limit of {limit} for a whole message.",
            file=attachment.filename,
            size=size(attachment.size, self._.lang),
            limit=size(self.max_bytes, self._.lang),
        )
        if not fittable(attachment):
            return over
        if not self.fit.value:
            return over + " " + _("Tick “{switch}” to shrink it.", switch=_(FIT_LABEL))
        if attachment.size > MAX_SOURCE_BYTES:
            return _(
                "{file} is {size}, more than the {limit} an image may be to be fitted: make it smaller first.",
                file=attachment.filename,
                size=size(attachment.size, self._.lang),
                limit=size(MAX_SOURCE_BYTES, self._.lang),
            )
        return ""

    def remove(self, attachment: Attachment) -> None:
        """Drop one file."""
        self.files = [f for f in self.files if f is not attachment]
        self.refusals.value = ""
        self._show()

    def _row(self, attachment: Attachment) -> widgets.HBox:
        box = widgets.Layout(width="48px", height="48px", object_fit="contain")
        thumb = image(attachment, box) if attachment.content_type in IMAGE_FORMATS else widgets.HTML("▤", layout=box)
        text = widgets.HTML(
            f"{line(attachment.filename, 'muted')}<br>"
            f"{size(attachment.size, self._.lang)} · {self._kind(attachment.content_type)}"
        )
        remove = widgets.Button(
            icon="times", tooltip=self._("Remove {file}", file=attachment.filename), layout=widgets.Layout(width="36px")
        )
        remove.add_class("mmsnb-remove").on_click(lambda _: self.remove(attachment))
        return widgets.HBox([thumb, text, remove], layout=widgets.Layout(align_items="center"))

    def _kind(self, content_type: str) -> str:
        """A file's type as a person names it: "JPEG", "text"."""
        major, _slash, minor = content_type.partition("/")
        if major == "text":
            return self._("text")
        return minor.removeprefix("x-").split("+")[0].upper() or content_type

    def _show(self) -> None:
        rows = {id(f): self._rows.get(id(f)) or self._row(f) for f in self.files}
        for key, row in self._rows.items():
            if key not in rows:
                for child in row.children:
                    child.close()
                row.close()
        self._rows = rows
        self.rows.children = list(rows.values())
        self.upload.value = tuple(counted(f.filename, f.content_type, f.size) for f in self.files)  # "(2)"
        _, total = self._, self.total
        self.bar.value = min(total, self.max_bytes)
        self.bar.bar_style = "danger" if self.over_limit else "warning" if total > self.max_bytes else ""
        text = _("{size} of {limit}", size=size(total, self._.lang), limit=size(self.max_bytes, self._.lang))
        if self.over_limit:
            fixed, over = self.fixed, size(self.fixed - self.max_bytes, self._.lang)
            said = (
                _("{text}: {over} over the gateway's limit. Remove a file.", text=text, over=over)
                if fixed == total
                else _(
                    "{text}: {over} over the gateway's limit even with the images fitted ({other} are other files). "
                    "Remove a file.",
                    text=text,
                    over=over,
                    other=size(fixed, self._.lang),
                )
            )
            self.size_line.value = line(said, "error")
        elif total > self.max_bytes:
            self.size_line.value = line(
                _("{text}: the images will be fitted to the limit before sending.", text=text), "warn"
            )
        else:
            self.size_line.value = line(text)
        self.on_change()
