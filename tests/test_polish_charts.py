"""Every chart, the HTML report and the workbook in Polish (``lang="pl"``): titles, labels, legends, tick labels and
tables in plain Polish words (none English, no column or state names), numbers with a decimal comma, and series
told apart in greyscale; the campaign's automatic name shown by its subject and day."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.container import BarContainer
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from test_polish_forms import problems

import mmsnb
from mmsnb import plot, words
from mmsnb.result_columns import SendInfo
from mmsnb.widgets import Monitor

SUBJECT = "Cześć {imie}, wiosenna wyprzedaż już trwa — zajrzyj do nas!"
#: What the test's data names: the group column and its values, the named campaign (the person's own words).
OURS = ("wariant", "wiosna", "Europe/Warsaw")


@pytest.fixture(scope="module")
def sent(tmp_path_factory) -> Iterator[tuple[pd.DataFrame, mmsnb.History, Path]]:
    """Two campaigns sent to a real sandbox and polled: one named automatically (split by ``wariant``), one named
    ``wiosna``; their results and the ledger's history."""
    folder = tmp_path_factory.mktemp("charts")
    ledger = folder / "ledger.sqlite"
    with mmsnb.Sandbox(quota=100, seed=0, time_scale=6000) as sandbox:
        client = sandbox.client(timeout=(2, 2))
        numbers = [f"5011020{k:02d}" for k in range(12)] + ["12"]
        frame = pd.DataFrame({"msisdn": numbers, "imie": "Ala", "wariant": ["a", "b"] * 6 + ["a"]})
        results = mmsnb.send(client, frame, subject=SUBJECT, ledger=ledger, progress=False)
        results = mmsnb.poll(client, results, ledger=ledger, progress=False)
        named = mmsnb.send(client, frame.iloc[:4], subject="Hej", campaign="wiosna", ledger=ledger, progress=False)
        mmsnb.poll(client, named, ledger=ledger, progress=False)
        history = mmsnb.history(ledger=ledger)
        client.close()
        yield results, history, folder


#: Each chart of :mod:`mmsnb.plot`, drawn in Polish from the results and the ledger's history.
DRAW: dict[str, Callable[[pd.DataFrame, mmsnb.History], Axes]] = {
    "outcomes": lambda results, _: plot.outcomes(results, by="wariant", lang="pl"),
    "timeline": lambda _, history: plot.timeline(history, lang="pl"),
    "delivery_times": lambda results, _: plot.delivery_times(results, lang="pl"),
    "quota": lambda _, history: plot.quota(history, remaining=5, lang="pl"),
    "compare": lambda results, _: plot.compare(mmsnb.compare(results, by="wariant"), lang="pl"),
    "retrieval": lambda results, _: plot.retrieval(mmsnb.retrieval(results, by="wariant"), lang="pl"),
    "campaigns": lambda _, history: plot.campaigns(mmsnb.campaigns(history), lang="pl"),
    "by_hour": lambda _, history: plot.by_hour(history, lang="pl"),
}
#: The charts mmsnb.plot draws (its public functions).
PUBLIC_CHARTS = tuple(DRAW)


@pytest.fixture(autouse=True)
def close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def charts(results: pd.DataFrame, history: mmsnb.History) -> dict[str, Axes]:
    """Each chart of :mod:`mmsnb.plot`, drawn in Polish."""
    return {name: draw(results, history) for name, draw in DRAW.items()}


def texts(ax: Axes) -> list[str]:
    """Every text of the chart a person reads: titles, axis labels, tick labels, legends, notes (colour bar too)."""
    found = []
    for axes in ax.figure.axes:
        found += [axes.get_title(), axes.get_xlabel(), axes.get_ylabel(), *(t.get_text() for t in axes.texts)]
        found += [t.get_text() for t in (*axes.get_xticklabels(), *axes.get_yticklabels())]
        if (legend := axes.get_legend()) is not None:
            found += [legend.get_title().get_text(), *(t.get_text() for t in legend.get_texts())]
    return [t for t in found if t.strip()]


def ours_removed(strings: list[str]) -> list[str]:
    out = []
    for text in strings:
        for theirs in OURS:
            text = text.replace(theirs, " ")
        out.append(text)
    return out


def test_plain_polish_everywhere_on_every_chart(sent) -> None:
    results, history, _ = sent
    drawn = charts(results, history)
    for name, ax in drawn.items():
        said = texts(ax)
        assert ax.get_title() and ax.get_xlabel(), name
        assert problems(ours_removed(said)) == [], (name, said)
        assert not any("auto-" in t for t in said), (name, said)  # an automatic name by its day, not its key
        decimal_points = [t for t in said if re.search(r"\d\.\d", t) and ":" not in t]
        assert decimal_points == [], (name, decimal_points)  # a decimal comma ("38,5 %"), never a point


def test_every_chart_takes_lang() -> None:
    import inspect

    drawn = [
        n
        for n, f in vars(plot).items()
        if inspect.isfunction(f) and not n.startswith("_") and f.__module__ == plot.__name__
    ]
    assert sorted(drawn) == sorted(PUBLIC_CHARTS)
    for name in drawn:
        assert "lang" in inspect.signature(getattr(plot, name)).parameters, name


def test_polish_words_numbers_and_days_on_the_charts(sent) -> None:
    results, history, _ = sent
    drawn = charts(results, history)
    assert drawn["delivery_times"].get_title().startswith("Czas od wysłania do doręczenia (")
    assert drawn["quota"].get_title() == "Limit wiadomości"
    assert drawn["quota"].texts[0].get_text().startswith("Wykorzystano ")
    assert [t.get_text() for t in drawn["quota"].get_legend().get_texts()][:2] == ["wykorzystane", "dostępne"]
    ticks = [t.get_text() for t in drawn["by_hour"].get_yticklabels()]
    assert ticks == ["pon.", "wt.", "śr.", "czw.", "pt.", "sob.", "niedz."]
    shares = [t.get_text() for t in drawn["outcomes"].texts if t.get_text()]
    assert shares and all(re.fullmatch(r"\d+ \(\d+(,\d)? %\)", s) for s in shares), shares
    labels = [t.get_text() for t in drawn["campaigns"].get_xticklabels()]
    today = words.campaign_title("auto-" + "0" * 16, None, results["sent_at"].min(), "pl")
    assert labels[0].startswith(f"{today}\nprzyjęto "), labels  # the ledger has no subject: the day it was sent
    assert labels[1].startswith("wiosna\n"), labels


def styles(ax: Axes) -> list[tuple[object, ...]]:
    """What tells each series of ``ax`` apart without colour: a line's marker and line style, a bar's hatch."""
    legend = ax.get_legend()
    handles = (
        legend.legend_handles if legend is not None else [x for x in ax.lines if not x.get_label().startswith("_")]
    )
    out: list[tuple[object, ...]] = []
    for handle in handles:
        if isinstance(handle, Line2D):
            out.append((handle.get_marker(), handle.get_linestyle()))
        elif isinstance(handle, Rectangle | BarContainer):
            out.append(("hatch", handle.get_hatch()))
    return out


@pytest.mark.parametrize("name", PUBLIC_CHARTS)
def test_each_chart_reads_in_greyscale(sent, name: str) -> None:
    results, history, _ = sent
    ax = DRAW[name](results, history)
    if name == "by_hour":  # a colour scale: its lightness must rise with the value, so grey shades keep the order
        image = ax.images[0]
        rgb = np.array([to_rgb(image.cmap(v)) for v in np.linspace(0, 1, 11)])
        lightness = rgb @ [0.299, 0.587, 0.114]
        assert np.all(np.diff(lightness) > 0)
        return
    seen = styles(ax)  # compare and campaigns draw one series (dots with intervals): nothing to tell apart
    assert len(set(seen)) == len(seen), (name, seen)


def test_the_html_report_in_polish_has_plain_words_in_its_tables_and_the_campaign_by_its_subject(sent) -> None:
    results, _history, folder = sent
    page = mmsnb.report(results, folder / "raport.html", by="wariant", lang="pl").read_text(encoding="utf-8")
    parsed = Page()
    parsed.feed(page)
    assert parsed.headings[0].startswith("Kampania „Cześć {imie}, wiosenna wyprzedaż już…” — ")
    assert "auto-" not in page
    headers = {cell for table in parsed.tables for cell in table[0]}
    assert {"Wynik", "Odbiorcy", "Udział", "Odsetek doręczeń", "Powód"} <= headers
    cells = [cell for table in parsed.tables for row in table for cell in row]
    assert "Nie wysłano — numer nieprawidłowy" in cells
    strings = ours_removed([*parsed.text, *parsed.alts])
    assert problems([s.replace("mmsnb", " ").replace("Ala", " ") for s in strings]) == []
    assert not any(re.search(r"\d\.\d", s) for s in cells), cells  # decimal commas in the tables too


def test_the_workbook_in_polish_names_its_sheets_columns_and_values_in_words(sent) -> None:
    results, _history, folder = sent
    path = mmsnb.report(results, folder / "raport.xlsx", by="wariant", lang="pl")
    sheets = pd.read_excel(path, sheet_name=None, dtype=str)
    assert list(sheets) == [
        "O raporcie",
        "Liczby",
        "Według wariant",
        "Jak szybko odbiorcy otwierali",
        "Niepowodzenia według rodzaju",
        "Wyniki",
    ]
    back = sheets["Wyniki"]
    assert "Numer" in back.columns and not back["Numer"].dropna().str.startswith("tel:").any()
    assert "Wysłano (Europe/Warsaw)" in back.columns
    strings = [str(name) for name in sheets] + [str(c) for s in sheets.values() for c in s.columns if c != "msisdn"]
    strings += [str(v) for s in sheets.values() for v in s.to_numpy().ravel() if isinstance(v, str)]
    theirs = {*results["msisdn"], "Ala", "a", "b"}
    strings = [s for s in ours_removed(strings) if s not in theirs]
    assert problems([s.replace("mmsnb", " ") for s in strings]) == []


class Page(HTMLParser):
    """The report's visible text, its headings, the alt texts of its charts and its tables (rows of cells)."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.headings: list[str] = []
        self.alts: list[str] = []
        self.tables: list[list[list[str]]] = []
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in.append(tag)
        if tag == "img":
            self.alts.append(dict(attrs).get("alt") or "")
            self._in.pop()
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.tables[-1][-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data: str) -> None:
        if "style" in self._in or not data.strip():
            return
        self.text.append(data)
        if "h1" in self._in:
            self.headings.append(data)
        if self._in and self._in[-1] in ("td", "th"):
            self.tables[-1][-1][-1] += data.strip()


def test_an_automatic_name_is_shown_by_its_subject_and_day_a_chosen_one_as_chosen(sent) -> None:
    results, _history, _folder = sent
    info = SendInfo.of(results)
    assert info is not None and info.campaign.startswith("auto-")  # the internal key stays as it is
    json.dumps(results.attrs)  # JSON-safe: the subject and the time are text
    assert info.subject == SUBJECT
    day = words.campaign_title(info.campaign, None, datetime.fromisoformat(info.started or ""), "pl")
    assert info.title("pl") == f"„Cześć {{imie}}, wiosenna wyprzedaż już…” — {day.removeprefix('Kampania z ')}"
    assert words.campaign_title("wiosna", SUBJECT, datetime.now(UTC), "pl") == "wiosna"
    moment = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)  # already 6 December in Warsaw
    assert words.campaign_title(info.campaign, "Hej", moment, "pl") == "„Hej” — 6 grudnia 2026"
    assert words.campaign_title(info.campaign, "Hej", moment, "en") == "“Hej” — 6 December 2026"
    assert words.campaign_title(info.campaign, "x" * 5000, None, "pl") == "„" + "x" * 30 + "…”"


def test_the_monitor_shows_the_campaign_by_its_subject(sent, client) -> None:
    results, _history, _folder = sent
    monitor = Monitor(client, results.iloc[:0], lang="pl")
    try:
        heading = monitor.children[0].value
        assert "Doręczenie: „Cześć {imie}, wiosenna wyprzedaż już…” — " in heading and "auto-" not in heading
    finally:
        monitor.stop()
        monitor.close()


def test_a_report_from_the_ledger_names_the_campaign_by_its_subject_and_day_or_as_chosen(sent) -> None:
    results, _history, folder = sent
    ledger = folder / "ledger.sqlite"
    key = str(results.mms.info.campaign)
    day = words.campaign_title(key, results.mms.info.subject, results["sent_at"].min(), "pl")
    assert day.startswith("„Cześć {imie}, wiosenna")  # the subject the ledger stored with the campaign
    for campaign, title in ((key, f"Kampania {day}"), ("wiosna", "Kampania wiosna")):
        page = Page()
        page.feed(mmsnb.report(campaign, folder / "z-rejestru.html", ledger=ledger, lang="pl").read_text("utf-8"))
        assert page.headings == [title]
        assert problems(ours_removed([s.replace("mmsnb", " ") for s in page.text])) == []


@pytest.mark.parametrize("name", PUBLIC_CHARTS)
def test_a_chart_with_nothing_to_show_says_so_in_polish(sent, name: str) -> None:
    results, history, _ = sent
    empty = mmsnb.History(history.sends.iloc[:0], history.statuses.iloc[:0], history.quota.iloc[:0])
    if name == "compare":  # mmsnb.compare refuses no rows: an empty comparison as it would look
        ax = plot.compare(pd.DataFrame(columns=["sent", "rate", "rate_low", "rate_high"]), lang="pl")
    else:
        ax = DRAW[name](results.iloc[:0], empty)
    said = texts(ax)
    assert any(t.startswith("Nic do pokazania: ") for t in said), said
    assert problems(ours_removed(said)) == []
