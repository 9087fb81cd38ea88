"""Small HTML snippets shared by the widgets: status lines, sizes and tables.

>>> line("Sent.", "ok")
'<span style="color:#009E73">Sent.</span>'
>>> size(10256), size(1536)
('10 KB', '1.5 KB')
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

import pandas as pd

from ..delivery_statuses import CATEGORY_COLORS, describe
from ..result_columns import Category
from ..words import N_, SEND_STATE_WORDS, Speaker, written

TONES = {
    "ok": CATEGORY_COLORS[Category.DELIVERED],
    "warn": CATEGORY_COLORS[Category.PARTIAL],
    "error": CATEGORY_COLORS[Category.FAILED],
    "muted": "#666666",
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ENGLISH = Speaker("en")
_CELL = "padding:2px 10px 2px 0;text-align:left;vertical-align:top"


def counted(name: str, kind: str, size: int) -> dict[str, Any]:
    """A file taken, as a FileUpload's value holds it but without its content: the button shows how many files
    its value holds, so a value of the files taken counts them."""
    return {"name": name, "type": kind, "size": max(size, 1), "content": memoryview(b""), "last_modified": _EPOCH}


def taken(uploads: Sequence[dict[str, Any]]) -> bool:
    """Whether a FileUpload's value is the count of files taken (:func:`counted`), not new files."""
    return all(not len(u["content"]) and u.get("last_modified") == _EPOCH for u in uploads)


def line(text: str, tone: str = "muted") -> str:
    """One line of text, escaped, in the colour of its tone ('ok', 'warn', 'error', 'muted')."""
    return f'<span style="color:{TONES[tone]}">{escape(text)}</span>'


def size(n: int, lang: str = "en") -> str:
    """A byte count in KB, as the form shows it (with ``lang``'s decimal mark)."""
    return Speaker("pl" if lang == "pl" else "en").number(n / 1024) + " KB"


def table(frame: pd.DataFrame, *, limit: int = 20, _: Speaker = ENGLISH) -> str:
    """An HTML table of the first ``limit`` rows of ``frame`` (its columns named for a person), then how many
    more there are."""
    shown = [str(c) for c in frame.columns]
    head = "".join(f'<th style="{_CELL};border-bottom:1px solid #ccc">{escape(c)}</th>' for c in shown)
    cells = [f"{_CELL};white-space:nowrap"] * (len(shown) - 1) + [_CELL]  # only the last column wraps
    body = "".join(
        "<tr>"
        + "".join(
            f'<td style="{style}">{"" if pd.isna(v) else escape(str(v))}</td>'
            for style, v in zip(cells, row, strict=True)
        )
        + "</tr>"
        for row in frame.head(limit).itertuples(index=False)
    )
    rest = len(frame) - limit
    tail = line(_.ngettext("… and {n} more row.", "… and {n} more rows.", rest)) if rest > 0 else ""
    return f'<table style="border-collapse:collapse;font-size:12px;line-height:1.5"><tr>{head}</tr>{body}</table>{tail}'


def shown_results(results: pd.DataFrame, column: str, why: Sequence[object], _: Speaker) -> pd.DataFrame:
    """The results of a send as the Composer shows them: the number as given, what happened, and ``why``."""
    return pd.DataFrame(
        {
            _(N_("Number")): results[column].astype(str).to_numpy(),
            _(N_("Outcome")): [_(SEND_STATE_WORDS.get(str(s), str(s))) for s in results["send_state"]],
            _(N_("Why")): list(why),
        }
    )


def shown_statuses(results: pd.DataFrame, _: Speaker) -> pd.DataFrame:
    """Rows still waiting for a final status as the Monitor shows them: the number and the status in words."""
    statuses = results["status"] if "status" in results.columns else pd.Series([None] * len(results))
    return pd.DataFrame(
        {
            _(N_("Number")): [written(a) for a in results["address"]],
            _(N_("Status")): [
                describe(None if pd.isna(s) else str(s)).meaning_in(_.lang) if not pd.isna(s) else _("not known yet")
                for s in statuses
            ],
        }
    )
