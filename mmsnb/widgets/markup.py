"""Small HTML snippets shared by the widgets: status lines, sizes and tables.

>>> line("Sent.", "ok")
'<span style="color:#009E73">Sent.</span>'
>>> size(10256), size(1536)
('10 KB', '1.5 KB')
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import pandas as pd

from ..delivery_statuses import CATEGORY_COLORS
from ..result_columns import Category

TONES = {
    "ok": CATEGORY_COLORS[Category.DELIVERED],
    "warn": CATEGORY_COLORS[Category.PARTIAL],
    "error": CATEGORY_COLORS[Category.FAILED],
    "muted": "#666666",
}
_CELL = "padding:2px 10px 2px 0;text-align:left;vertical-align:top"


def line(text: str, tone: str = "muted") -> str:
    """One line of text, escaped, in the colour of its tone ('ok', 'warn', 'error', 'muted')."""
    return f'<span style="color:{TONES[tone]}">{escape(text)}</span>'


def size(n: int) -> str:
    """A byte count in KB, as the form shows it."""
    return f"{n / 1024:,.1f}".removesuffix(".0") + " KB"


def table(frame: pd.DataFrame, columns: Sequence[str], *, limit: int = 20, more: str = "") -> str:
    """An HTML table of ``columns`` of the first ``limit`` rows; ``more`` names where the rest are."""
    shown = [c for c in columns if c in frame.columns]
    head = "".join(f'<th style="{_CELL};border-bottom:1px solid #ccc">{escape(c)}</th>' for c in shown)
    cells = [f"{_CELL};white-space:nowrap"] * (len(shown) - 1) + [_CELL]  # only the last column wraps
    body = "".join(
        "<tr>"
        + "".join(
            f'<td style="{style}">{"" if pd.isna(v) else escape(str(v))}</td>'
            for style, v in zip(cells, row, strict=True)
        )
        + "</tr>"
        for row in frame[shown].head(limit).itertuples(index=False)
    )
    rest = len(frame) - limit
    tail = line(f"… and {rest} more rows{' in ' + more if more else ''}.") if rest > 0 else ""
    return f'<table style="border-collapse:collapse;font-size:12px;line-height:1.5"><tr>{head}</tr>{body}</table>{tail}'
