"""A preview of the message as a phone would show it.

>>> preview = Preview()
>>> preview.show(sender="Sklep", subject="Cześć!", files=[])
>>> "Sklep" in preview.header.value and "Cześć!" in preview.body.value
True
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import ipywidgets as widgets

from ..message import Attachment
from ..words import Speaker, language
from .attachments import IMAGE_FORMATS, image
from .markup import size

_HEADER = '<div style="text-align:center;border-bottom:1px solid #ddd;padding-bottom:6px;line-height:1.3">{}</div>'
_BUBBLE = (
    '<div style="background:#e9e9eb;border-radius:14px;padding:8px 11px;margin:8px 0;white-space:pre-wrap;'
    'overflow-wrap:anywhere;line-height:1.35;color:#111">{}</div>'
)


class Preview(widgets.VBox):
    """The sender at the top, the subject as a message bubble, the pictures, then the other files."""

    def __init__(self, *, lang: str | None = None) -> None:
        self._ = Speaker(language(lang))
        self.header = widgets.HTML()
        self.body = widgets.HTML(layout=widgets.Layout(width="100%"))
        self.pictures = widgets.VBox(layout=widgets.Layout(width="100%"))
        self.others = widgets.HTML()
        self._images: dict[int, widgets.Image] = {}
        phone = widgets.VBox(
            [self.header, self.body, self.pictures, self.others],
            layout=widgets.Layout(width="250px", min_height="400px", border="9px solid #2b2b2b", padding="10px"),
        ).add_class("mmsnb-preview")
        title = self._("Preview")
        super().__init__([widgets.HTML(f"<b>{title}</b>"), phone])

    def show(self, *, sender: str, subject: str, files: Sequence[Attachment]) -> None:
        """Show this message."""
        _ = self._
        nameless, now = _("(no sender name)"), _("MMS · now")
        name = f"<b>{escape(sender)}</b>" if sender else f'<b style="color:#888">{nameless}</b>'
        self.header.value = _HEADER.format(f'{name}<br><small style="color:#888">{now}</small>')
        self.body.value = _BUBBLE.format(escape(subject)) if subject else ""
        pictures = {
            id(f): self._images.get(id(f)) or image(f, widgets.Layout(width="100%", margin="0 0 6px 0"))
            for f in files
            if f.content_type in IMAGE_FORMATS
        }
        for key, picture in self._images.items():
            if key not in pictures:
                picture.close()
        self._images = pictures
        self.pictures.children = list(pictures.values())
        self.others.value = "<br>".join(
            f"▤ {escape(f.filename)} <small>({size(f.size, self._.lang)})</small>"
            for f in files
            if f.content_type not in IMAGE_FORMATS
        )
