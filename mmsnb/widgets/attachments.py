"""The attachments part of the composer: upload, thumbnails, the size bar and refusals.

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
from ..message import SUPPORTED_TYPES, Attachment
from .markup import line, size

#: Image types a browser can show, with their ipywidgets.Image format.
IMAGE_FORMATS = {"image/jpeg": "jpeg", "image/png": "png", "image/gif": "gif", "image/bmp": "bmp"}


def image(attachment: Attachment, layout: widgets.Layout) -> widgets.Image:
    """An Image widget showing an image attachment."""
    return widgets.Image(value=attachment.data, format=IMAGE_FORMATS[attachment.content_type], layout=layout)


class AttachmentsPanel(widgets.VBox):
    """Files to send: a FileUpload, one row per file (thumbnail or name, size, remove button),
    a bar of the total size against the gateway's limit, and the reasons for refused files.

    >>> panel = AttachmentsPanel(max_bytes=client.max_message_bytes)   # doctest: +SKIP
    """

    def __init__(self, *, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        #: Called after each change of the files.
        self.on_change: Callable[[], None] = lambda: None
        self.files: list[Attachment] = []
        self._rows: dict[int, widgets.HBox] = {}
        self.upload = widgets.FileUpload(description="Attach files", multiple=True, icon="paperclip").add_class(
            "mmsnb-upload"
        )
        self.rows = widgets.VBox()
        self.bar = widgets.IntProgress(value=0, min=0, max=max_bytes, layout=widgets.Layout(width="220px"))
        self.size_line = widgets.HTML()
        self.refusals = widgets.HTML().add_class("mmsnb-refusals")
        self.upload.observe(lambda change: self.add(change["new"]), "value")
        super().__init__([self.upload, self.rows, widgets.HBox([self.bar, self.size_line]), self.refusals])
        self._show()

    @property
    def total(self) -> int:
        """Bytes of all files."""
        return sum(f.size for f in self.files)

    @property
    def over_limit(self) -> bool:
        return self.total > self.max_bytes

    def add(self, uploads: Iterable[dict[str, Any]]) -> None:
        """Take uploaded files (FileUpload's value: dicts with name, type and content);
        refuse what the gateway would.
        """
        uploads = tuple(uploads)
        if not uploads:
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
                refused.append(str(exc))
                continue
            if attachment.size > self.max_bytes:
                refused.append(
                    f"{attachment.filename} is {size(attachment.size)}, over the gateway's limit "
                    f"of {size(self.max_bytes)} for a whole message."
                )
                continue
            self.files.append(attachment)
        self.refusals.value = "<br>".join(line("✗ Refused: " + reason, "error") for reason in refused)
        self.upload.value = ()
        self._show()

    def remove(self, attachment: Attachment) -> None:
        """Drop one file."""
        self.files = [f for f in self.files if f is not attachment]
        self.refusals.value = ""
        self._show()

    def _row(self, attachment: Attachment) -> widgets.HBox:
        box = widgets.Layout(width="48px", height="48px", object_fit="contain")
        thumb = image(attachment, box) if attachment.content_type in IMAGE_FORMATS else widgets.HTML("📎", layout=box)
        text = widgets.HTML(
            f"{line(attachment.filename, 'muted')}<br>{size(attachment.size)} · {attachment.content_type}"
        )
        remove = widgets.Button(
            icon="times", tooltip=f"Remove {attachment.filename}", layout=widgets.Layout(width="36px")
        )
        remove.add_class("mmsnb-remove").on_click(lambda _: self.remove(attachment))
        return widgets.HBox([thumb, text, remove], layout=widgets.Layout(align_items="center"))

    def _show(self) -> None:
        rows = {id(f): self._rows.get(id(f)) or self._row(f) for f in self.files}
        for key, row in self._rows.items():
            if key not in rows:
                for child in row.children:
                    child.close()
                row.close()
        self._rows = rows
        self.rows.children = list(rows.values())
        total = self.total
        self.bar.value = min(total, self.max_bytes)
        self.bar.bar_style = "danger" if self.over_limit else ""
        text = f"{size(total)} of {size(self.max_bytes)}"
        if self.over_limit:
            self.size_line.value = line(
                f"{text}: {size(total - self.max_bytes)} over the gateway's limit. Remove a file.", "error"
            )
        else:
            self.size_line.value = line(text)
        self.on_change()
