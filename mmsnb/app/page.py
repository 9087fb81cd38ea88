"""The app's page, as the notebook served by ``mmsnb app`` shows it: send, delivery, past campaigns.

>>> page()                               # in the app's notebook: the whole page  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import io
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import pandas as pd

from ..errors import AuthError, ConfigError, MMSError, ServerError, ThrottledError, TransportError
from ..result_columns import SendState
from ..widgets import Composer, Monitor
from ..widgets.markup import line
from ..words import CAMPAIGN_STATE_WORDS, N_, Speaker, campaign_title, language
from . import FOLDER_VARIABLE, SANDBOX_VARIABLE

if TYPE_CHECKING:
    from ..campaign import Plan
    from ..client import Client

#: The send states of rows that did not reach the gateway, or that it refused: listed as failed.
FAILED_STATES = (SendState.INVALID, SendState.REJECTED, SendState.QUOTA, SendState.UNKNOWN, SendState.STOPPED)
#: The page's look: readable on a phone (the form's rows wrap, tables scroll sideways) and on a laptop.
STYLE = """<style>
.mmsnb-app { max-width: 1100px; margin: 0 auto; padding: 8px; box-sizing: border-box; }
.mmsnb-app .widget-hbox { flex-wrap: wrap; }
.mmsnb-app .jupyter-widgets { box-sizing: border-box; max-width: calc(100% - 4px); }
.mmsnb-app .mmsnb-table { overflow-x: auto; max-width: 100%; }
.mmsnb-app .widget-tab > .lm-TabBar .lm-TabBar-tab { min-width: 0; flex: 1 1 auto; }
.mmsnb-app a.mmsnb-download { color: #0072B2; text-decoration: underline; }
.mmsnb-banner { background: #FFF4D6; border: 1px solid #E69F00; padding: 6px 10px; border-radius: 4px; }
@media (max-width: 600px) {
  .mmsnb-app { padding: 2px; }
  .mmsnb-app .mmsnb-composer .widget-hbox > .widget-vbox {
    margin-right: 0 !important; flex: 1 1 100% !important; min-width: 0;
  }
  .mmsnb-app .widget-tab > .widget-tab-contents { padding: 8px 4px; }
}
</style>"""


def log(sentence: str) -> None:
    """A line in the server's log (the kernel's error stream goes there), never on the page."""
    print(f"mmsnb app: {sentence}", file=sys.__stderr__, flush=True)


#: The ledger's request states of a send the gateway refused, or whose outcome is unknown: failed numbers.
REFUSED = ("rejected", "unknown")
#: The past campaigns' headers, and the failed numbers' (looked up in the page's language).
PAST_COLUMNS = (N_("Campaign"), N_("First sent"), N_("Recipients"), N_("Delivered"), N_("Failed"), N_("Not final"))
RATE_COLUMN = N_("Delivered of those accepted")
STATE_COLUMN = N_("State")
FAILED_COLUMNS = (N_("Number"), N_("What happened"), N_("Reason"))
NOT_SENT, NOT_DELIVERED = N_("not sent"), N_("not delivered")


def past_campaigns(client: Client, _: Speaker) -> pd.DataFrame:
    """One row per campaign in the ledger ``client``'s sends use (``mmsnb.campaigns()``), newest first, as a person
    reads it: its name (an automatic one as the subject's first words and the day), first send in local time,
    recipients, outcomes, the delivery rate with its interval, and where it stands (paused until when, say). The
    index holds each campaign's key."""
    from ..analysis import campaigns
    from ..ledger import history

    book = history(client=client)
    table = campaigns(book).iloc[::-1]
    columns = [_(c) for c in (*PAST_COLUMNS, RATE_COLUMN, STATE_COLUMN)]
    if table.empty:
        return pd.DataFrame(columns=columns)
    values = (
        [
            campaign_title(c, book.subjects.get(c), None if pd.isna(t) else t, _.lang)
            for c, t in zip(table.index, table["first_sent"], strict=True)
        ],
        [_.when(t) if pd.notna(t) else "" for t in table["first_sent"]],
        table["recipients"].to_numpy(),
        table["delivered"].to_numpy(),
        table["failed"].to_numpy(),
        table["not_final"].to_numpy(),
        [rate(*r, _) for r in zip(table["rate"], table["rate_low"], table["rate_high"], strict=True)],
        [standing(*s, _) for s in zip(table["state"], table["state_until"], strict=True)],
    )
    return pd.DataFrame(dict(zip(columns, values, strict=True)), index=pd.Index(table.index, name="campaign"))


def rate(value: float, low: float, high: float, _: Speaker) -> str:
    """A share with its interval, as "82 % (74–88 %)"; empty when nothing was accepted."""
    if pd.isna(value):
        return ""
    return f"{_.number(value * 100, 0)} % ({_.number(low * 100, 0)}–{_.number(high * 100, 0)} %)"


def standing(state: Any, until: Any, _: Speaker) -> str:
    """A campaign's state in words, with until when in local time: "Paused until 6 December 2026, 08:00"."""
    if pd.isna(state):
        return ""
    said = _(CAMPAIGN_STATE_WORDS[str(state)])
    return said if pd.isna(until) else _("{state} until {when}", state=said, when=_.when(until))


def campaign_failures(campaign: str, client: Client, _: Speaker) -> pd.DataFrame:
    """The numbers of ``campaign`` that failed, with the reason: refused at sending, or a failed status."""
    from ..delivery_statuses import describe
    from ..ledger import history

    h = history(campaign, client=client)
    refused = h.sends[h.sends["state"].isin(REFUSED)].drop_duplicates("address")
    latest = h.statuses.sort_values("polled_at").drop_duplicates("address", keep="last")
    failed = latest[latest["category"] == "failed"]
    number, happened, reason = (_(c) for c in FAILED_COLUMNS)
    return pd.DataFrame(
        {
            number: pd.concat([refused["address"], failed["address"]]).str.removeprefix("tel:").to_numpy(),
            happened: [_(NOT_SENT)] * len(refused) + [_(NOT_DELIVERED)] * len(failed),
            reason: [
                *refused["error"].fillna(_("refused by the gateway")),
                *(describe(status).meaning_in(_.lang) for status in failed["status"]),
            ],
        }
    )


def failed_rows(
    results: pd.DataFrame, column: str, _: Speaker, reasons: Sequence[str | None] | None = None
) -> pd.DataFrame:
    """The rows of a send's results that failed, as a person reads them: the number (as written in ``column``
    when it is not a valid one), what happened and why (``reasons``, one per row in the page's language, else the
    row's error; a failed status's meaning in the page's language)."""
    from ..delivery_statuses import describe

    states = results["send_state"].astype("string")
    refused = states.isin([s.value for s in FAILED_STATES]).fillna(False)
    undelivered = results.get("status_category", pd.Series(pd.NA, index=results.index)).astype("string").eq("failed")
    rows = results[refused | undelivered.fillna(False)]
    written = rows[column].astype("string") if column in rows else pd.Series(pd.NA, index=rows.index, dtype="string")
    meaning = pd.Series(
        [
            describe(s).meaning_in(_.lang) if isinstance(s, str) else pd.NA
            for s in rows.get("status", [pd.NA] * len(rows))
        ],
        index=rows.index,
        dtype="object",
    )
    if reasons is not None:
        said = pd.Series(list(reasons), index=results.index, dtype="object")[rows.index]
        errors = said.where(said.notna(), rows["error"])
    else:
        errors = rows["error"]
    number, happened, reason = (_(c) for c in FAILED_COLUMNS)
    return pd.DataFrame(
        {
            number: rows["address"].astype("string").str.removeprefix("tel:").fillna(written).to_numpy(),
            happened: [_(NOT_SENT) if r else _(NOT_DELIVERED) for r in refused[rows.index]],
            reason: errors.fillna(meaning).fillna("").to_numpy(),
        }
    )


def html_table(frame: pd.DataFrame, _: Speaker, limit: int = 200) -> str:
    """A table with the frame's own (plain-language) headers, scrolling sideways on a narrow screen."""
    cell = "padding:3px 12px 3px 0;text-align:left;vertical-align:top"
    head = "".join(f'<th style="{cell};border-bottom:1px solid #ccc">{escape(str(c))}</th>' for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f'<td style="{cell}">{"" if pd.isna(v) else escape(str(v))}</td>' for v in row) + "</tr>"
        for row in frame.head(limit).itertuples(index=False)
    )
    more = line(_("… and {n} more in the download.", n=len(frame) - limit)) if len(frame) > limit else ""
    return (
        f'<div class="mmsnb-table"><table style="border-collapse:collapse;font-size:13px">'
        f"<tr>{head}</tr>{body}</table></div>{more}"
    )


def downloads(frame: pd.DataFrame, name: str, _: Speaker) -> str:
    """Links that save ``frame`` as CSV and, when openpyxl is installed, as an Excel workbook."""
    csv = frame.to_csv(index=False).encode("utf-8-sig")
    links = [_link(csv, f"{name}.csv", "text/csv", _("Download CSV"))]
    try:
        book = io.BytesIO()
        frame.to_excel(book, index=False)
    except ImportError:
        pass
    else:
        xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        links.append(_link(book.getvalue(), f"{name}.xlsx", xlsx, _("Download Excel")))
    return " · ".join(links)


def _link(data: bytes, filename: str, mime: str, label: str) -> str:
    href = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return f'<a class="mmsnb-download" download="{escape(filename)}" href="{href}">{escape(label)}</a>'


#: What the page says when the gateway, or the app's settings for it, fail: the person at the page cannot fix
#: credentials or settings, so the page says who can; the library's full sentence goes to the server's log.
FOR_PAGE: tuple[tuple[type[MMSError], str], ...] = (
    (AuthError, N_("The gateway refused the app's credentials. Whoever runs the app must check them.")),
    (
        ConfigError,
        N_("The app's settings for the gateway are missing or wrong. Whoever runs the app must check them."),
    ),
    (TransportError, N_("The gateway could not be reached. Try again in a few minutes.")),
    (ServerError, N_("The gateway had trouble answering. Try again in a few minutes.")),
    (ThrottledError, N_("The gateway is busy. Try again in a few minutes.")),
)


def for_page(error: MMSError, _: Speaker) -> str:
    """The sentence the page shows for ``error`` in the page's language; a failure of the gateway or its settings
    is logged in full."""
    for kind, sentence in FOR_PAGE:
        if isinstance(error, kind):
            log(str(error))
            return _(sentence)
    return error.say("form", _.lang)


class AppComposer(Composer):
    """The composer as the app shows it: what became of a send, and the gateway's failures, in plain words."""

    #: Why each row of the last send was not sent, in the page's language (None where it was).
    reasons: list[str | None] | None = None

    def describe(self, error: MMSError) -> str:
        return for_page(error, self._)

    def _sent(self, results: pd.DataFrame, column: str, planned: Plan) -> None:
        self.reasons = [
            str(planned.settled[i].said("form", self.lang)) if i in planned.settled else None
            for i in range(len(results))
        ]
        super()._sent(results, column, planned)


class Delivery(widgets.VBox):
    """The live monitor of this visit's last send, and its failed numbers, which stay listed after it ends."""

    def __init__(self, composer: AppComposer) -> None:
        self.composer, self._ = composer, composer._
        self.monitor: Monitor | None = None
        self.column = ""  # the recipients' column of numbers in the send the monitor follows
        #: Called when a send's monitor appears here (the page shows this tab then).
        self.shown: Callable[[], object] = lambda: None
        self.headline = widgets.HTML(line(self._("Nothing sent in this visit yet: send from the first tab.")))
        self.failed = widgets.HTML().add_class("mmsnb-failed")
        self.links = widgets.HTML().add_class("mmsnb-downloads")
        self.box = widgets.VBox()
        super().__init__([self.headline, self.box, self.failed, self.links])
        self.add_class("mmsnb-delivery")
        composer.monitor_box.layout.display = "none"  # the monitor is shown here instead
        composer.monitor_box.observe(self._new_monitor, "children")

    def _new_monitor(self, change: dict[str, Any]) -> None:
        monitor = next(iter(change["new"]), None)
        if monitor is self.monitor:
            return
        if not isinstance(monitor, Monitor):  # a send with nothing to follow: the last one's view is closed
            self.monitor, self.box.children = None, []
            self.headline.value, self.failed.value, self.links.value = self.composer.status.value, "", ""
            return
        self.monitor, self.column = monitor, self.composer.recipients.frame()[1]
        monitor.table.layout.display = "none"  # its columns are the library's; the failures below say it plainly
        self.headline.value = self.composer.status.value
        self.box.children = [monitor]
        for part in (monitor.summary, monitor.elapsed):
            part.observe(lambda _: self._show_failed(), "value")
        self._show_failed()
        self.shown()

    def _show_failed(self) -> None:
        if self.monitor is None:
            return
        try:
            failed = failed_rows(self.monitor.results, self.column, self._, self.composer.reasons)
        except (KeyError, ValueError) as exc:  # never a traceback on the page: a line in the log
            log(f"the failed numbers could not be listed ({exc})")
            return
        _ = self._
        if failed.empty:
            self.failed.value, self.links.value = line(_("No failed numbers so far.")), ""
            return
        heading = _.ngettext("{n} failed number", "{n} failed numbers", len(failed))
        self.failed.value = f"<b>{escape(heading)}</b>" + html_table(failed, _)
        self.links.value = downloads(failed, _("failed-numbers"), _)


class Past(widgets.VBox):
    """Past campaigns from the ledger; the chosen one's failed numbers, and its report to download. The ledger is
    read by :meth:`refresh` (the page calls it each time the tab is shown: reading it loads the statistics
    libraries, which would delay the form by about a second)."""

    def __init__(self, client: Client, _: Speaker) -> None:
        self.client, self._ = client, _
        self.titles: dict[str, str] = {}  # each campaign's title, by its key
        self.refresh_button = widgets.Button(description=_("Refresh"), icon="refresh").add_class("mmsnb-refresh")
        self.table = widgets.HTML().add_class("mmsnb-campaigns")
        self.choice = widgets.Dropdown(description=_("Campaign"), options=[], layout=widgets.Layout(width="auto"))
        self.report = widgets.HTML().add_class("mmsnb-report")
        self.report_button = widgets.Button(description=_("Prepare the report"), icon="file")
        self.report_button.add_class("mmsnb-report-button")
        self.report_link = widgets.HTML().add_class("mmsnb-report-link")
        self.refresh_button.on_click(lambda _: self.refresh())
        self.report_button.on_click(lambda _: self.prepare_report())
        self.choice.observe(lambda _: self._show_report(), "value")
        parts = [self.refresh_button, self.table, self.choice, self.report, self.report_button, self.report_link]
        super().__init__(parts)
        self.add_class("mmsnb-past")
        self.report_button.layout.display = "none"

    def refresh(self) -> None:
        """Read the ledger again."""
        _ = self._
        try:
            table = past_campaigns(self.client, _)
        except MMSError as exc:
            self.table.value = line(_("⚠ The past campaigns could not be read: {why}", why=exc.say("form", _.lang)))
            log(f"the past campaigns could not be read: {exc}")
            return
        if table.empty:
            self.table.value = line(_("No campaigns in the ledger yet."))
        else:
            self.table.value = html_table(table, _)
        self.titles = dict(zip(table.index, table[_(PAST_COLUMNS[0])], strict=True))
        previous, names = self.choice.value, list(self.titles)
        self.choice.options = [(title, key) for key, title in self.titles.items()]
        self.choice.value = previous if previous in names else (names[0] if names else None)
        if self.choice.value == previous:  # no change to observe: show the chosen campaign's report again
            self._show_report()

    def _show_report(self) -> None:
        campaign, _ = self.choice.value, self._
        self.report_link.value = ""
        self.report_button.layout.display = None if campaign else "none"
        if not campaign:
            self.report.value = ""
            return
        try:
            failed = campaign_failures(campaign, self.client, _)
        except MMSError as exc:
            self.report.value = line(_("⚠ The campaign could not be read: {why}", why=exc.say("form", _.lang)))
            log(f"campaign {campaign!r} could not be read: {exc}")
            return
        if failed.empty:
            self.report.value = line(_("{campaign}: no failed numbers.", campaign=self.titles[campaign]), "ok")
        else:
            heading = _.ngettext(
                "{campaign}: {n} failed number",
                "{campaign}: {n} failed numbers",
                len(failed),
                campaign=self.titles[campaign],
            )
            self.report.value = f"<b>{escape(heading)}</b>" + html_table(failed, _) + downloads(failed, campaign, _)

    def prepare_report(self) -> None:
        """Write the chosen campaign's report (``mmsnb.report``) and offer it as a link that saves it."""
        from ..export import write_report

        campaign, _ = self.choice.value, self._
        if not campaign:
            return
        try:
            with tempfile.TemporaryDirectory(prefix="mmsnb-report-") as folder:
                path = write_report(campaign, os.path.join(folder, "report.html"), client=self.client, lang=_.lang)
                page = path.read_bytes()
        except MMSError as exc:
            self.report_link.value = line(_("⚠ The report could not be made: {why}", why=exc.say("form", _.lang)))
            log(f"the report of campaign {campaign!r} could not be made: {exc}")
            return
        name = f"{campaign}.html"
        self.report_link.value = _link(
            page, name, "text/html", _("Download the report of {campaign}", campaign=self.titles[campaign])
        )


def banner(_: Speaker) -> widgets.HTML:
    """The line that says the app is practising on a sandbox, when it is."""
    if not os.environ.get(SANDBOX_VARIABLE):
        return widgets.HTML()
    return widgets.HTML(
        '<div class="mmsnb-banner"><b>'
        + escape(_("Practice mode."))
        + "</b> "
        + escape(
            _(
                "No gateway credentials are set, so this app sends to a local sandbox: nothing reaches a phone. "
                "Ask whoever runs the app to set the credentials to send for real."
            )
        )
        + "</div>"
    )


def page(lang: str | None = None) -> widgets.VBox:
    """The whole page in ``lang`` (else ``MMSNB_LANG``, else English): a heading, the sandbox banner when
    practising, and the three parts as tabs."""
    folder = os.environ.get(FOLDER_VARIABLE)
    if folder:
        os.chdir(folder)  # the folder `mmsnb app` was started in: its .env and ledger, not the package's
    _ = Speaker(language(lang))
    title = _("MMS campaigns")
    heading = widgets.HTML(f'{STYLE}<h2 style="margin:4px 0">{escape(title)}</h2>')
    try:
        from ..client import Client

        client = Client.from_env()
        composer = AppComposer(client, lang=_.lang)
    except MMSError as exc:
        problem = line(f"⚠ {for_page(exc, _)}", "error")
        return widgets.VBox([heading, widgets.HTML(problem)]).add_class("mmsnb-app")
    composer.progress.layout.display = "none"  # the status line says "Sending…"; the bar's details are technical
    composer.results_table.layout.display = "none"  # the delivery tab lists what failed, in plain words
    composer.recipients.table_info.value = line(_("Choose a CSV file with a column of numbers."))
    delivery = Delivery(composer)
    titles = (_("Send"), _("Delivery"), _("Past campaigns"))
    past = Past(client, _)
    tabs = widgets.Tab([composer, delivery, past], titles=titles)
    tabs.add_class("mmsnb-tabs")
    delivery.shown = lambda: tabs.set_trait("selected_index", 1)  # after a send: its delivery
    tabs.observe(lambda change: past.refresh() if change["new"] == 2 else None, "selected_index")
    return widgets.VBox([heading, banner(_), tabs]).add_class("mmsnb-app")
