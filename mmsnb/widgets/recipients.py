"""The recipients part of the composer: typed numbers, a DataFrame, or an uploaded CSV file.

>>> split_numbers("501 102 030, +48 510 000 000\\n0048501102031")
['501 102 030', '+48 510 000 000', '0048501102031']
>>> check_numbers(["501 102 030", "12"]).valid
1
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import ipywidgets as widgets
import pandas as pd

from ..errors import InputError, MMSError
from ..files import read_recipients
from ..message import safe_filename
from ..phones import ORANGE, Number, parse
from .markup import line

#: Name of the number column of typed recipients.
NUMBER_COLUMN = "msisdn"
_SEPARATORS = re.compile(r"[\n,;\t]+")
_SHOWN_INVALID = 8
#: Index of the table tab (the first tab takes typed numbers).
TABLE = 1


def split_numbers(text: str) -> list[str]:
    """The numbers in free text: one per line, or separated by commas, semicolons or tabs."""
    return [token.strip() for token in _SEPARATORS.split(text) if token.strip()]


@lru_cache(maxsize=20_000)
def _check(value: object) -> Number | str:
    try:
        return parse(value)
    except InputError as exc:
        return str(exc)


@dataclass(frozen=True)
class RecipientCheck:
    """Every recipient checked: how many are valid, why the others are not, and which are outside Orange's ranges."""

    valid: int = 0
    distinct: int = 0
    invalid: tuple[str, ...] = ()
    other_networks: dict[str, int] = field(default_factory=dict)


def check_numbers(values: Iterable[object], labels: Sequence[str] | None = None) -> RecipientCheck:
    """Check each number; ``labels`` (e.g. row names) prefix the reasons of invalid ones."""
    addresses: list[str] = []
    invalid: list[str] = []
    networks: Counter[str] = Counter()
    for i, value in enumerate(values):
        try:
            outcome = _check(value)
        except TypeError:  # an unhashable cell, such as a list
            outcome = _check(str(value))
        if isinstance(outcome, str):
            invalid.append(f"{labels[i]}: {outcome}" if labels else outcome)
            continue
        addresses.append(outcome.address)
        if outcome.carrier != ORANGE:
            networks[outcome.carrier or "an unknown network"] += 1
    return RecipientCheck(len(addresses), len(set(addresses)), tuple(invalid), dict(networks))


def guess_column(frame: pd.DataFrame) -> str:
    """The column most likely to hold the numbers: ``msisdn`` if present, else the one whose first values parse best."""
    names = [str(c) for c in frame.columns]
    if NUMBER_COLUMN in names:
        return NUMBER_COLUMN
    sample = frame.head(20)
    return max(names, key=lambda name: check_numbers(sample.iloc[:, names.index(name)]).valid)


class RecipientsPanel(widgets.VBox):
    """Numbers typed or pasted, or a table (a DataFrame or an uploaded CSV) with a chosen number column.

    The count of valid recipients, the invalid numbers with their reasons and the numbers in other
    networks' ranges are shown as they change; ``check`` holds the latest outcome.

    >>> panel = RecipientsPanel()
    >>> panel.text.value = "501 102 030, 12"
    >>> panel.check.valid
    1
    """

    def __init__(self, table: pd.DataFrame | None = None) -> None:
        #: Called after each check.
        self.on_change: Callable[[], None] = lambda: None
        self.table: pd.DataFrame | None = None
        self.check = RecipientCheck()
        self.text = widgets.Textarea(
            placeholder="501 102 030, +48 510 000 000 … one per line or separated by commas",
            layout=widgets.Layout(width="100%", height="7em"),
        ).add_class("mmsnb-numbers")
        self.csv = widgets.FileUpload(description="CSV or Excel", accept=".csv,.xlsx,text/csv", icon="table").add_class(
            "mmsnb-csv"
        )
        self.column = widgets.Dropdown(description="Numbers in", style={"description_width": "initial"}).add_class(
            "mmsnb-column"
        )
        self.table_info = widgets.HTML(line("Choose a CSV file, or pass recipients=frame."))
        self.tabs = widgets.Tab(
            [self.text, widgets.VBox([widgets.HBox([self.csv, self.column]), self.table_info])],
            titles=("Type or paste", "Table"),
            layout=widgets.Layout(width="100%"),
        )
        self.count = widgets.HTML().add_class("mmsnb-count")
        self.issues = widgets.HTML().add_class("mmsnb-issues")
        for widget in (self.text, self.column):
            widget.observe(lambda _: self.refresh(), "value")
        self.tabs.observe(lambda _: self.refresh(), "selected_index")
        self.csv.observe(self._on_csv, "value")
        super().__init__([self.tabs, self.count, self.issues], layout=widgets.Layout(width="100%"))
        if table is not None:
            self.set_table(table, "The DataFrame given")
        self.refresh()

    @property
    def using_table(self) -> bool:
        """True when the recipients come from the table tab."""
        selected: int | None = self.tabs.selected_index
        return selected == TABLE

    def set_table(self, table: pd.DataFrame, source: str) -> None:
        """Use ``table`` for the recipients and guess its number column."""
        if table.empty or not len(table.columns):
            self.table_info.value = line(f"{source} has no rows.", "error")
            return
        self.table = table
        names = [str(c) for c in table.columns]
        self.column.options = names
        self.column.value = guess_column(table)
        others = [name for name in names if name != self.column.value]
        hint = f" The subject may name them, e.g. {{{others[0]}}}." if others else ""
        self.table_info.value = line(f"{source}: {len(table)} rows; columns {', '.join(names)}.{hint}")
        self.tabs.selected_index = TABLE
        self.refresh()

    def frame(self) -> tuple[pd.DataFrame, str]:
        """The recipients as :func:`mmsnb.send` takes them: a frame and the name of its number column."""
        if not self.using_table:
            return pd.DataFrame({NUMBER_COLUMN: split_numbers(self.text.value)}), NUMBER_COLUMN
        if self.table is None:
            return pd.DataFrame({NUMBER_COLUMN: []}), NUMBER_COLUMN
        return self.table, self.column.value

    def refresh(self) -> None:
        """Check the recipients again and show the outcome."""
        frame, name = self.frame()
        numbers = frame[next(c for c in frame.columns if str(c) == name)].tolist()
        labels = [f"Row {label}" for label in frame.index] if self.using_table else None
        self.check = check_numbers(numbers, labels)
        self.count.value = self._count_line()
        self.issues.value = self._issues()
        self.on_change()

    def _count_line(self) -> str:
        check = self.check
        tone = "ok" if check.valid else "error"
        text = f"{check.valid} valid recipient{'' if check.valid == 1 else 's'}"
        if check.distinct < check.valid:
            text += f" ({check.valid - check.distinct} repeated: each number gets the message once)"
        if check.invalid:
            text += f"; {len(check.invalid)} invalid"
        return f"<b>{line(text, tone)}</b>"

    def _issues(self) -> str:
        check, lines = self.check, []
        for reason in check.invalid[:_SHOWN_INVALID]:
            lines.append(line("✗ " + reason, "error"))
        if len(check.invalid) > _SHOWN_INVALID:
            lines.append(line(f"… and {len(check.invalid) - _SHOWN_INVALID} more invalid numbers."))
        if check.other_networks:
            counts = ", ".join(f"{name} {n}" for name, n in sorted(check.other_networks.items()))
            total = sum(check.other_networks.values())
            lines.append(
                line(
                    f"ⓘ {total} number{'s are' if total > 1 else ' is'} in other networks' ranges ({counts}). "
                    "MMSOnnet reaches Orange numbers only, so these fail unless ported to Orange.",
                    "warn",
                )
            )
        return "<br>".join(lines)

    def _on_csv(self, change: dict[str, Any]) -> None:
        if not change["new"]:
            return
        upload = change["new"][0]
        self.csv.value = ()
        try:
            table = read_recipients(bytes(upload["content"]), name=safe_filename(upload["name"]))
        except MMSError as exc:
            self.table_info.value = line(str(exc), "error")
            return
        self.set_table(table, upload["name"])
