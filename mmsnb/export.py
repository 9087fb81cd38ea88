"""A campaign's report for people who do not run notebooks: one self-contained HTML page, or an Excel workbook.

``mmsnb.report(results, "report.html")`` (this module's :func:`write_report`) writes either, by the file's suffix.
The page carries its charts inside it (PNG data URIs): it makes no request to anywhere, opens offline, and
reads on a phone. The workbook (openpyxl, ``pip install 'mmsnb[analysis]'``) has a sheet per table, each with
its column types and a frozen header row.

>>> mmsnb.report(results, "out/report.html", by="variant")
PosixPath('out/report.html')
>>> mmsnb.report(results, "out/report.xlsx", by="variant")
PosixPath('out/report.xlsx')
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from . import plot
from .analysis import LEVEL, compare, headline, ledger_results, retrieval
from .delivery_statuses import describe
from .errors import ConfigError, InputError
from .result_columns import POLLED_COLUMNS, RESULT_COLUMNS, SendInfo
from .tables import failures, require, summary
from .words import AUTOMATIC_NAME, CATEGORY_WORDS, N_, SEND_STATE_WORDS, TIME_ZONE, Speaker, campaign_title, speaker

ENGLISH = Speaker("en")

if TYPE_CHECKING:
    from .client import Client
    from .ledger import LedgerSpec

#: The file suffixes :func:`write_report` writes, and what each is.
SUFFIXES = {".html": "page", ".htm": "page", ".xlsx": "workbook"}
#: Dots per inch of the charts in the page (sharp on a phone, a few tens of kB each).
DPI = 110
#: The columns of :func:`mmsnb.tables.failures` a report shows (the examples name people's numbers: left out).
FAILURE_COLUMNS = ["stage", "reason", "detail", "http_status", "error_code", "count", "share"]


@dataclass
class Section:
    """One part of the report: a heading, sentences, and optionally a table and a chart (PNG bytes)."""

    heading: str
    sentences: list[str]
    table: pd.DataFrame | None = None
    chart: bytes | None = None
    alt: str = ""


def write_report(
    data: pd.DataFrame | str,
    path: str | os.PathLike[str],
    *,
    by: str | None = None,
    title: str | None = None,
    ledger: LedgerSpec = None,
    client: Client | None = None,
    lang: str | None = None,
) -> Path:
    """Write the report of the results ``data`` to ``path``: an HTML page (``.html``) or a workbook (``.xlsx``).

    ``data`` is a results frame, or a campaign's name: then its rows are rebuilt from the ledger
    (``ledger=``, or the one ``client``'s sends use; see :func:`mmsnb.analysis.ledger_results`), and the
    report adds the quota readings. Both hold the campaign's numbers, its outcomes, the comparison by the
    column ``by`` (when given, with :func:`mmsnb.compare`), how soon people opened (:func:`mmsnb.retrieval`),
    the failures by kind (without the numbers they name) and the quota. The workbook also has the results
    themselves, times in UTC. ``lang="pl"`` writes the headings, sentences, charts and tables in Polish (default:
    ``MMSNB_LANG``, else English): the tables in plain words (no column names, states or ``tel:`` addresses; the
    workbook's times in Europe/Warsaw); English tables keep their column names. The title shows the campaign as a
    person recognises it: the name someone chose, else the subject's first words and the day it was sent.
    Returns the path written.

    >>> mmsnb.report(results, "report.html", by="variant")
    PosixPath('report.html')
    >>> mmsnb.report("spring-sale", "report.xlsx", client=client)
    PosixPath('report.xlsx')
    """
    target = Path(path)
    kind = SUFFIXES.get(target.suffix.lower())
    if kind is None:
        raise InputError(
            f"Cannot tell what to write from the name {target.name!r}: end it in .html (a page) or .xlsx (a workbook)."
        )
    quota, _ = None, speaker(lang)
    if isinstance(data, str):
        from .ledger import history

        book = history(data, ledger, client=client)
        if book.sends.empty:
            raise InputError(
                N_("The ledger has no campaign named {campaign!r}: 'mmsnb campaigns' lists those it has."),
                values={"campaign": data},
            )
        first = book.sends["sent_at"].dropna().min() if "sent_at" in book.sends else None
        name = title or _heading(data, book.subjects.get(data), None if first is None or pd.isna(first) else first, _)
        data, quota = ledger_results(book), book.quota
    else:
        info = SendInfo.of(data)
        started = None if info is None or info.started is None else datetime.fromisoformat(info.started)
        name = title or (_heading(info.campaign, info.subject, started, _) if info else _("Campaign report"))
    require(data, ("send_state", "status_category", "status", "error", "http_status", "error_code"))
    if kind == "page":
        target.write_text(_page(name, _sections(data, by, quota, charts=True, _=_), _), encoding="utf-8")
    else:
        _workbook(target, data, _sections(data, by, quota, charts=False, _=_), _)
    return target


def _heading(campaign: str, subject: str | None, started: datetime | None, _: Speaker) -> str:
    """The report's title: "Campaign spring-sale", "Campaign “Hej, spring is here” — 5 December 2026", or
    "Campaign of 5 December 2026" (an automatic name with no one subject)."""
    shown = campaign_title(campaign, subject, started, _.lang)
    if AUTOMATIC_NAME.fullmatch(campaign) and not subject:
        return shown
    return _("Campaign {name}", name=shown)


def _chart(draw: Callable[[Axes], Axes], size: tuple[float, float] = (7.2, 4.2)) -> bytes:
    """A chart drawn on a figure of its own (no pyplot state) as PNG bytes."""
    figure = Figure(figsize=size, layout="constrained")
    draw(figure.subplots())
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _sections(
    results: pd.DataFrame, by: str | None, quota: pd.DataFrame | None, *, charts: bool, _: Speaker = ENGLISH
) -> list[Section]:
    """The report's parts, in order; ``quota`` the ledger's readings, if any; ``charts`` draws the charts; ``_``
    the words' language."""

    def chart(draw: Callable[[Axes], Axes], size: tuple[float, float] = (7.2, 4.2)) -> bytes | None:
        return _chart(draw, size) if charts else None

    top = headline(results)
    numbers = Section(
        _("The numbers"),
        [
            _(
                "{rows} rows: {sent} sent to the gateway, {not_sent} never sent (invalid, opted out, repeated or "
                "over the quota).",
                rows=_.number(top["recipients"]),
                sent=_.number(top["sent"]),
                not_sent=_.number(top["not_sent"]),
            ),
            _rate_sentence(top, _),
        ],
        summary(results, lang="en").reset_index() if _.lang == "en" else _summary_table(results, _),
        chart(lambda ax: plot.outcomes(results, ax=ax, lang=_.lang)),
        _("Bars of how many rows ended in each outcome"),
    )
    parts = [numbers]
    if by is not None:
        table = compare(results, by=by)
        parts.append(
            Section(
                _("By {by}", by=by),
                list(table["sentence"]) if _.lang == "en" else _compare_sentences(table, _),
                table.drop(columns="sentence").reset_index() if _.lang == "en" else _compare_table(table, _),
                chart(lambda ax: plot.compare(table, ax=ax, lang=_.lang), (7.2, max(2.4, 1.2 + 0.45 * len(table)))),
                _("Delivery rate of each {by} with its 95 % interval", by=by),
            )
        )
    opened = retrieval(results, by=by) if by is not None else retrieval(results)
    parts.append(
        Section(
            _("How soon people opened"),
            [_opened_sentence(str(group), row, _) for group, row in opened.summary.iterrows()]
            + [
                _(
                    "Messages still waiting at the last poll count as not opened until then, and expired or failed "
                    "ones as never opened, so the curves do not look faster than they are."
                )
            ],
            _seconds(opened.summary).reset_index() if _.lang == "en" else _opened_table(opened.summary, by, _),
            chart(lambda ax: plot.retrieval(opened, ax=ax, lang=_.lang)),
            _("Share of messages opened by each time after sending"),
        )
    )
    kinds = failures(results, lang="en")[FAILURE_COLUMNS]
    failed = _("{rows} rows failed, in {kinds} kinds.", rows=_.number(kinds["count"].sum()), kinds=_.number(len(kinds)))
    shown = kinds if _.lang == "en" else _failures_table(kinds, _)
    parts.append(Section(_("Failures by kind"), [failed if len(kinds) else _("Nothing failed.")], shown))
    info = SendInfo.of(results)
    if quota is not None and not quota.empty:
        last = quota.sort_values("read_at").iloc[-1]
        parts.append(
            Section(
                _("Quota"),
                [
                    _(
                        "At the last reading, {used} requests of the quota were used and {available} left (one "
                        "request carries up to many recipients and costs one).",
                        used=_.number(last["used"]),
                        available=_.number(last["available"]),
                    )
                ],
                None,
                chart(lambda ax: plot.quota(quota, ax=ax, tz=TIME_ZONE, lang=_.lang), (8.4, 4.4)),
                _("Requests used and available over time"),
            )
        )
    elif info is not None:
        parts.append(
            Section(
                _("Quota"),
                [
                    _(
                        "The send planned {requests} requests (one request carries up to many recipients and costs "
                        "one of the quota); {available} were available when it started.",
                        requests=_.number(info.requests),
                        available=_.number(info.available),
                    )
                    if _.lang != "en"
                    else f"The send planned {info.requests:,} requests (one request carries up to many recipients and "
                    f"costs one of the quota); {info.available:,} were available when it started"
                    + (f", until the reset on {info.resets_on:%Y-%m-%d}." if info.resets_on else ".")
                ],
            )
        )
    return parts


def _rate_sentence(top: pd.Series, _: Speaker = ENGLISH) -> str:
    if _.lang != "en":
        return _(
            "{delivered} of the {sent} sent were delivered: {rate} % ({low} to {high} %).",
            delivered=_.number(top["delivered"]),
            sent=_.number(top["sent"]),
            rate=_.number(100 * top["rate"]),
            low=_.number(100 * top["rate_low"]),
            high=_.number(100 * top["rate_high"]),
        )
    if top["sent"] == 0:
        return "Nothing was sent, so there is no delivery rate."
    pending = f" {top['not_final']:,} are not final yet, so the rate may still rise." if top["not_final"] else ""
    return (
        f"{top['delivered']:,} of the {top['sent']:,} sent were delivered: {100 * top['rate']:.1f} % "
        f"({LEVEL:.0%} CI {100 * top['rate_low']:.1f} to {100 * top['rate_high']:.1f} %); "
        f"{top['failed']:,} failed"
        + (f", {top['undetermined']:,} undetermined (the gateway cannot tell)." if top["undetermined"] else ".")
        + pending
    )


def _opened_sentence(group: str, row: pd.Series, _: Speaker = ENGLISH) -> str:
    who = "" if group == "all" else f"{group}: "
    if _.lang != "en":
        return who + _(
            "{share} % opened by the last poll; {never} % never opened (expired or failed).",
            share=_.number(100 * row["retrieved_share"]),
            never=_.number(100 * row["never_retrieved_share"]),
        )
    share = f"{100 * row['retrieved_share']:.1f} %"
    never = f"{100 * row['never_retrieved_share']:.1f} %"
    if pd.isna(row["median"]):
        half = f"fewer than half were opened ({share} by the last poll)"
    else:
        half = f"half were opened within {plot._duration(row['median'])}, {share} by the last poll"
    return f"{who}{half}; {never} were never opened (expired or failed)."


def _seconds(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each time span as a number of seconds (Excel and a page both read that)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype.kind == "m":
            out[f"{column}_seconds"] = out.pop(column).dt.total_seconds()
    return out


_STYLE = """
body { font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 60rem;
       padding: 0.5rem 1rem 2rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
img { max-width: 100%; height: auto; display: block; margin: 0.5rem 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.85rem; }
th, td { border: 1px solid #ddd; padding: 0.2rem 0.4rem; text-align: right; white-space: nowrap; }
th { background: #f4f4f4; }
footer { margin-top: 2rem; color: #777; font-size: 0.8rem; }
"""


def _page(title: str, sections: list[Section], _: Speaker = ENGLISH) -> str:
    """The HTML page: inline style, charts as data URIs, every text escaped."""
    body = [f"<h1>{html.escape(title)}</h1>"]
    for section in sections:
        body.append(f"<section><h2>{html.escape(section.heading)}</h2>")
        body += [f"<p>{html.escape(sentence)}</p>" for sentence in section.sentences]
        if section.chart is not None:
            data = base64.b64encode(section.chart).decode("ascii")
            body.append(f'<img alt="{html.escape(section.alt)}" src="data:image/png;base64,{data}">')
        if section.table is not None and not section.table.empty:
            table = section.table.to_html(index=False, escape=True, na_rep="", float_format=lambda v: f"{v:.4g}")
            body.append(f'<div class="scroll">{table}</div>')
        body.append("</section>")
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC") if _.lang == "en" else _.when(datetime.now(UTC))
    footer = html.escape(_("Made with mmsnb on {made}.", made=made))
    body.append(f"<footer>{footer}</footer>")
    return (
        f'<!DOCTYPE html>\n<html lang="{_.lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _for_excel(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with types a workbook holds: times as UTC without a zone, spans as seconds, categories as text."""
    out = _seconds(frame)
    for column in out.columns:
        values = out[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            out[column] = values.dt.tz_convert("UTC").dt.tz_localize(None)
        elif isinstance(values.dtype, pd.CategoricalDtype):
            out[column] = values.astype("string")
    return out


def _workbook(path: Path, results: pd.DataFrame, sections: list[Section], _: Speaker = ENGLISH) -> None:
    """One sheet per table and the results, each with a frozen, filterable header row (in Polish, the results in
    plain words)."""
    try:
        import openpyxl  # noqa: F401  (only to say how to install it; pandas loads it)
    except ImportError:
        raise ConfigError(
            "Writing a workbook needs openpyxl, which is not installed: pip install 'mmsnb[analysis]'"
        ) from None
    sheets: dict[str, pd.DataFrame] = {}
    words = []
    for section in sections:
        words += [(section.heading, sentence) for sentence in section.sentences]
        if section.table is not None:
            sheets[_sheet_name(section.heading, _)] = section.table
    if _.lang == "en":
        about, about_name, results_name = pd.DataFrame(words, columns=["part", "in words"]), "about", "results"
    else:
        about = pd.DataFrame(words, columns=[_("Part"), _("In words")])
        about_name, results_name, results = _("About the report"), _("Results"), _results_table(results, _)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in {about_name: about, **sheets, results_name: results}.items():
            _for_excel(frame).to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            sheet.freeze_panes = "A2"
            sheet.auto_filter.ref = sheet.dimensions
            for cells in sheet.iter_cols(min_row=1, max_row=min(sheet.max_row, 200)):
                width = max(len(str(c.value)) if c.value is not None else 0 for c in cells)
                sheet.column_dimensions[cells[0].column_letter].width = min(60, max(8, width + 2))
                for cell in cells[1:]:
                    if isinstance(cell.value, datetime):
                        cell.number_format = "yyyy-mm-dd hh:mm:ss"


def _sheet_name(heading: str, _: Speaker = ENGLISH) -> str:
    """A sheet's name from a section's heading: ``The numbers`` → ``summary``, ``By variant`` → ``by variant``
    (in Polish the heading itself, without the characters a sheet's name cannot hold)."""
    if _.lang != "en":
        return heading.translate(str.maketrans("", "", "[]:*?/\\"))[:31]
    names = {"The numbers": "summary", "How soon people opened": "opened", "Failures by kind": "failures"}
    return names.get(heading, heading.lower())[:31]


# -- the tables in plain words (Polish) ---------------------------------------------------------------------


def _percent(share: float, _: Speaker) -> str:
    """A share (0 to 1) as the language writes a percentage: "38,5 %"; empty when there is none."""
    return "" if pd.isna(share) else f"{_.number(100 * share)} %"


def _summary_table(results: pd.DataFrame, _: Speaker) -> pd.DataFrame:
    """How many rows ended in each outcome, in words."""
    table = summary(results, lang="en")
    return pd.DataFrame(
        {
            _("Outcome"): [plot._outcome(str(label), _) for label in table.index],
            _("Recipients"): table["count"].to_numpy(),
            _("Share"): [_percent(s, _) for s in table["share"]],
        }
    )


def _interval(low: float, high: float, _: Speaker) -> str:
    return "" if pd.isna(low) else _("{low} to {high} %", low=_.number(100 * low), high=_.number(100 * high))


def _compare_table(table: pd.DataFrame, _: Speaker) -> pd.DataFrame:
    """:func:`mmsnb.compare`'s table in words: counts, the rate with its interval, the difference and its p."""
    return pd.DataFrame(
        {
            str(table.index.name): table.index.to_numpy(),
            _("Recipients"): table["recipients"].to_numpy(),
            _("Sent"): table["sent"].to_numpy(),
            _("Delivered"): table["delivered"].to_numpy(),
            _("Failed"): table["failed"].to_numpy(),
            _("Not final"): table["not_final"].to_numpy(),
            _("Delivery rate"): [_percent(r, _) for r in table["rate"]],
            _("95 % interval"): [
                _interval(lo, hi, _) for lo, hi in zip(table["rate_low"], table["rate_high"], strict=True)
            ],
            _("Difference (points)"): ["" if pd.isna(d) else _.number(100 * d) for d in table["difference"]],
            _("p-value (adjusted)"): ["" if pd.isna(p) else _.number(p, 3) for p in table["p_adjusted"]],
        }
    )


def _compare_sentences(table: pd.DataFrame, _: Speaker) -> list[str]:
    """Each group of :func:`mmsnb.compare` in a sentence, against the reference group."""
    reference = str(table.attrs.get("reference"))
    said = []
    for group, row in table.iterrows():
        rate = _(
            "{rate} % delivered ({interval})",
            rate=_.number(100 * row["rate"]),
            interval=_interval(row["rate_low"], row["rate_high"], _),
        )
        if row["sent"] == 0:
            said.append(_("{group}: nothing was sent, so there is no rate.", group=group))
        elif str(group) == reference:
            said.append(_("{group} is the reference: {rate}.", group=group, rate=rate))
        elif pd.isna(row["p_adjusted"]):
            said.append(_("{group}: {rate}; the reference had nothing sent to compare with.", group=group, rate=rate))
        else:
            detectable = row["p_adjusted"] < 1 - LEVEL
            template = (
                N_("{group}: {rate}; {points} points from {reference}, a detectable difference (p = {p}).")
                if detectable
                else N_("{group}: {rate}; {points} points from {reference}, no detectable difference (p = {p}).")
            )
            points = f"{'+' if row['difference'] > 0 else ''}{_.number(100 * row['difference'])}"
            said.append(
                _(
                    template,
                    group=group,
                    rate=rate,
                    points=points,
                    reference=reference,
                    p=_.number(row["p_adjusted"], 3),
                )
            )
    return said


def _opened_table(table: pd.DataFrame, by: str | None, _: Speaker) -> pd.DataFrame:
    """:func:`mmsnb.retrieval`'s summary in words; no group column when nothing was split."""
    out = pd.DataFrame(
        {
            _("Messages"): table["messages"].to_numpy(),
            _("Opened"): table["retrieved"].to_numpy(),
            _("Ended unopened"): table["ended"].to_numpy(),
            _("Not final"): table["open"].to_numpy(),
            _("Half opened within"): ["" if pd.isna(m) else _.duration(m.total_seconds()) for m in table["median"]],
            _("Opened by the last poll"): [_percent(s, _) for s in table["retrieved_share"]],
            _("Never opened"): [_percent(s, _) for s in table["never_retrieved_share"]],
        }
    )
    if by is not None:
        out.insert(0, by, table.index.to_numpy())
    return out


#: What a person reads for each stage of :func:`mmsnb.tables.failures`.
STAGE_WORDS = {"send": N_("at sending"), "delivery": N_("at delivery")}


def _failures_table(kinds: pd.DataFrame, _: Speaker) -> pd.DataFrame:
    """The failures by kind in words: when, why (the send state's words, or the card's words for a status)."""
    reasons = [
        _(SEND_STATE_WORDS.get(str(reason), "Not sent"))
        if stage == "send"
        else describe(str(reason)).meaning_in(_.lang)
        for stage, reason in zip(kinds["stage"], kinds["reason"], strict=True)
    ]
    return pd.DataFrame(
        {
            _("When"): [_(STAGE_WORDS[str(stage)]) for stage in kinds["stage"]],
            _("Reason"): reasons,
            _("Recipients"): kinds["count"].to_numpy(),
            _("Share"): [_percent(s, _) for s in kinds["share"]],
        }
    )


#: The results' columns a workbook in plain words keeps, and their headers; the others (ids, codes) are left out.
RESULT_HEADERS = {
    "address": N_("Number"),
    "send_state": N_("Sending"),
    "sent_at": N_("Sent at ({tz})"),
    "status_category": N_("Delivery"),
    "status": N_("What the operator says"),
    "polled_at": N_("Checked at ({tz})"),
    "delivered_at": N_("Delivered at ({tz})"),
}


def _results_table(results: pd.DataFrame, _: Speaker, tz: str = TIME_ZONE) -> pd.DataFrame:
    """The results in plain words: the person's own columns as they are, then the number (without ``tel:``), the
    send's and the delivery's outcome in words, the operator's description of the status, and local times."""
    added = {*RESULT_COLUMNS, *POLLED_COLUMNS}
    out = results[[c for c in results.columns if c not in added]].copy()
    for column, header in RESULT_HEADERS.items():
        if column not in results.columns:
            continue
        values = results[column]
        if column == "address":
            values = values.str.removeprefix("tel:")
        elif column == "send_state":
            values = values.astype("object").map(lambda s: _(SEND_STATE_WORDS[s]) if isinstance(s, str) else "")
        elif column == "status_category":
            values = values.astype("object").map(lambda c: _(CATEGORY_WORDS[c]) if isinstance(c, str) else "")
        elif column == "status":
            values = values.astype("object").map(lambda s: describe(s).meaning_in(_.lang) if isinstance(s, str) else "")
        else:
            values = pd.to_datetime(values, utc=True).dt.tz_convert(tz).dt.tz_localize(None)
        out[_(header, tz=tz)] = values.to_numpy()
    return out
