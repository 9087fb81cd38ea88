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
from ..words import Speaker, language
from .markup import counted, line, taken

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
def _check(value: object, lang: str = "en") -> Number | str:
    try:
        return parse(value)
    except InputError as exc:
        return exc.say("form", lang)


@dataclass(frozen=True)
class RecipientCheck:
    """Every recipient checked: how many are valid, why the others are not, and which are outside Orange's ranges."""

    valid: int = 0
    distinct: int = 0
    invalid: tuple[str, ...] = ()
    other_networks: dict[str, int] = field(default_factory=dict)


def check_numbers(values: Iterable[object], labels: Sequence[str] | None = None, lang: str = "en") -> RecipientCheck:
    """Check each number; ``labels`` (e.g. row names) prefix the reasons of invalid ones, said in ``lang``."""
    addresses: list[str] = []
    invalid: list[str] = []
    networks: Counter[str] = Counter()
    for i, value in enumerate(values):
        try:
            outcome = _check(value, lang)
        except TypeError:  # an unhashable cell, such as a list
            outcome = _check(str(value), lang)
        if isinstance(outcome, str):
            invalid.append(f"{labels[i]}: {outcome}" if labels else outcome)
            continue
        addresses.append(outcome.address)
        if outcome.carrier != ORANGE:
            _ = Speaker(language(lang))
            networks[outcome.carrier or _("an unknown network")] += 1
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

    def __init__(self, table: pd.DataFrame | None = None, *, lang: str | None = None) -> None:
        self._ = _ = Speaker(language(lang))
        #: Called after each check.
        self.on_change: Callable[[], None] = lambda: None
        self.table: pd.DataFrame | None = None
        self.check = RecipientCheck()
        self.text = widgets.Textarea(
            placeholder=_("501 102 030, +48 510 000 000 … one per line or separated by commas"),
            layout=widgets.Layout(width="100%", height="7em"),
        ).add_class("mmsnb-numbers")
        self.csv = widgets.FileUpload(
            description=_("CSV or Excel file"), accept=".csv,.xlsx,text/csv", icon="table"
        ).add_class("mmsnb-csv")
        self.column = widgets.Dropdown(description=_("Numbers in"), style={"description_width": "initial"}).add_class(
            "mmsnb-column"
        )
        self.table_info = widgets.HTML(line(_("Choose a CSV or Excel file.")))
        self.tabs = widgets.Tab(
            [self.text, widgets.VBox([widgets.HBox([self.csv, self.column]), self.table_info])],
            titles=(_("Type or paste"), _("Table")),
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
            self.set_table(table, _("The table given"))
        self.refresh()

    @property
    def using_table(self) -> bool:
        """True when the recipients come from the table tab."""
        selected: int | None = self.tabs.selected_index
        return selected == TABLE

    def set_table(self, table: pd.DataFrame, source: str) -> None:
        """Use ``table`` for the recipients and guess its number column."""
        if table.empty or not len(table.columns):
            self.table_info.value = line(self._("{source} has no rows.", source=source), "error")
            return
        self.table = table
        names = [str(c) for c in table.columns]
        self.column.options = names
        self.column.value = guess_column(table)
        others = [name for name in names if name != self.column.value]
        _ = self._
        hint = " " + _("The subject may name them, e.g. {example}.", example=f"{{{others[0]}}}") if others else ""
        rows = _.ngettext("{n} row", "{n} rows", len(table))
        self.table_info.value = line(
            _("{source}: {rows}; columns {names}.", source=source, rows=rows, names=", ".join(names)) + hint
        )
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
        labels = [self._("Row {label}", label=label) for label in frame.index] if self.using_table else None
        self.check = check_numbers(numbers, labels, self._.lang)
        self.count.value = self._count_line()
        self.issues.value = self._issues()
        self.on_change()

    def _count_line(self) -> str:
        check, _ = self.check, self._
        tone = "ok" if check.valid else "error"
        text = _.ngettext("{n} valid recipient", "{n} valid recipients", check.valid)
        if check.distinct < check.valid:
            text += " " + _("({n} repeated: each number gets the message once)", n=check.valid - check.distinct)
        if check.invalid:
            text += "; " + _.ngettext("{n} invalid", "{n} invalid", len(check.invalid))
        return f"<b>{line(text, tone)}</b>"

    def _issues(self) -> str:
        check, lines, _ = self.check, [], self._
        for reason in check.invalid[:_SHOWN_INVALID]:
            lines.append(line("✗ " + reason, "error"))
        if len(check.invalid) > _SHOWN_INVALID:
            more = len(check.invalid) - _SHOWN_INVALID
            lines.append(line(_.ngettext("… and {n} more invalid number.", "… and {n} more invalid numbers.", more)))
        if check.other_networks:
            counts = ", ".join(f"{name} {n}" for name, n in sorted(check.other_networks.items()))
            total = sum(check.other_networks.values())
            lines.append(
                line(
                    "⚠ "
                    + _.ngettext(
                        "{n} number is in another network's range ({counts}).",
                        "{n} numbers are in other networks' ranges ({counts}).",
                        total,
                        counts=counts,
                    )
                    + " "
                    + _("MMSOnnet reaches Orange numbers only, so these fail unless ported to Orange."),
                    "warn",
                )
            )
        return "<br>".join(lines)

    def _on_csv(self, change: dict[str, Any]) -> None:
        if not change["new"]:
            return
        upload = change["new"][0]
        if taken(change["new"]):  # the count of the file taken (below), not an upload
            return
        try:
            table = read_recipients(bytes(upload["content"]), name=safe_filename(upload["name"]))
        except MMSError as exc:
            self.csv.value = ()
            self.table_info.value = line(exc.say("form", self._.lang), "error")
            return
        self.csv.value = (counted(upload["name"], upload.get("type", ""), len(upload["content"])),)  # "(1)"
        self.set_table(table, upload["name"])
