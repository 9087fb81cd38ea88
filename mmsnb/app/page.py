"""The app's page, as the notebook served by ``mmsnb app`` shows it: send, delivery, past campaigns.

>>> page()                               # in the app's notebook: the whole page  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import io
import os
import sys
from collections.abc import Callable
from html import escape
from typing import Any

import ipywidgets as widgets
import pandas as pd

from ..errors import AuthError, ConfigError, MMSError, ServerError, ThrottledError, TransportError
from ..result_columns import SendState
from ..widgets import Composer, Monitor
from ..widgets.markup import line
from . import FOLDER_VARIABLE, SANDBOX_VARIABLE

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
PAST_COLUMNS = ["Campaign", "First sent", "Recipients", "Delivered", "Failed", "Not final"]


def past_campaigns() -> pd.DataFrame:
    """One row per campaign in the ledger, newest first: its name, first send, recipients and their outcomes.

    The one place that reads the past (the history now; ``mmsnb.campaigns()`` once it exists)."""
    from ..ledger import history

    h = history()
    if h.sends.empty:
        return pd.DataFrame(columns=PAST_COLUMNS)
    latest = h.statuses.sort_values("polled_at").drop_duplicates(["campaign", "address"], keep="last")
    refused = h.sends[h.sends["state"].isin(REFUSED)].drop_duplicates(["campaign", "address"])
    sends = h.sends.groupby("campaign").agg(first=("sent_at", "min"), recipients=("address", "nunique"))

    def per_campaign(frame: pd.DataFrame) -> pd.Series:
        return frame.groupby("campaign").size().reindex(sends.index, fill_value=0).astype(int)

    table = pd.DataFrame(
        {
            "Campaign": sends.index,
            "First sent": sends["first"].dt.strftime("%Y-%m-%d %H:%M").to_numpy(),
            "Recipients": sends["recipients"].astype(int).to_numpy(),
            "Delivered": per_campaign(latest[latest["category"] == "delivered"]).to_numpy(),
            "Failed": (per_campaign(latest[latest["category"] == "failed"]) + per_campaign(refused)).to_numpy(),
        }
    )
    final = (per_campaign(latest[latest["final"]]) + per_campaign(refused)).to_numpy()
    table["Not final"] = (table["Recipients"] - final).clip(lower=0)
    return table.sort_values("First sent", ascending=False, na_position="last").reset_index(drop=True)


def campaign_failures(campaign: str) -> pd.DataFrame:
    """The numbers of ``campaign`` that failed, with the reason: refused at sending, or a failed status."""
    from ..delivery_statuses import describe
    from ..ledger import history

    h = history(campaign)
    refused = h.sends[h.sends["state"].isin(REFUSED)].drop_duplicates("address")
    latest = h.statuses.sort_values("polled_at").drop_duplicates("address", keep="last")
    failed = latest[latest["category"] == "failed"]
    return pd.DataFrame(
        {
            "Number": pd.concat([refused["address"], failed["address"]]).str.removeprefix("tel:").to_numpy(),
            "What happened": ["not sent"] * len(refused) + ["not delivered"] * len(failed),
            "Reason": [
                *refused["error"].fillna("refused by the gateway"),
                *(describe(status).meaning for status in failed["status"]),
            ],
        }
    )


def failed_rows(results: pd.DataFrame, column: str) -> pd.DataFrame:
    """The rows of a send's results that failed, as a person reads them: the number (as written in ``column``
    when it is not a valid one), what happened and why."""
    states = results["send_state"].astype("string")
    refused = states.isin([s.value for s in FAILED_STATES]).fillna(False)
    undelivered = results.get("status_category", pd.Series(pd.NA, index=results.index)).astype("string").eq("failed")
    rows = results[refused | undelivered.fillna(False)]
    written = rows[column].astype("string") if column in rows else pd.Series(pd.NA, index=rows.index, dtype="string")
    meaning = rows["status_meaning"] if "status_meaning" in rows else pd.Series(pd.NA, index=rows.index)
    return pd.DataFrame(
        {
            "Number": rows["address"].astype("string").str.removeprefix("tel:").fillna(written).to_numpy(),
            "What happened": ["not sent" if r else "not delivered" for r in refused[rows.index]],
            "Reason": rows["error"].fillna(meaning).fillna("").to_numpy(),
        }
    )


def html_table(frame: pd.DataFrame, limit: int = 200) -> str:
    """A table with the frame's own (plain-language) headers, scrolling sideways on a narrow screen."""
    cell = "padding:3px 12px 3px 0;text-align:left;vertical-align:top"
    head = "".join(f'<th style="{cell};border-bottom:1px solid #ccc">{escape(str(c))}</th>' for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f'<td style="{cell}">{"" if pd.isna(v) else escape(str(v))}</td>' for v in row) + "</tr>"
        for row in frame.head(limit).itertuples(index=False)
    )
    more = line(f"… and {len(frame) - limit} more in the download.") if len(frame) > limit else ""
    return (
        f'<div class="mmsnb-table"><table style="border-collapse:collapse;font-size:13px">'
        f"<tr>{head}</tr>{body}</table></div>{more}"
    )


def downloads(frame: pd.DataFrame, name: str) -> str:
    """Links that save ``frame`` as CSV and, when openpyxl is installed, as an Excel workbook."""
    links = [_link(frame.to_csv(index=False).encode("utf-8-sig"), f"{name}.csv", "text/csv", "Download CSV")]
    try:
        book = io.BytesIO()
        frame.to_excel(book, index=False)
    except ImportError:
        pass
    else:
        xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        links.append(_link(book.getvalue(), f"{name}.xlsx", xlsx, "Download Excel"))
    return " · ".join(links)


def _link(data: bytes, filename: str, mime: str, label: str) -> str:
    href = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return f'<a class="mmsnb-download" download="{escape(filename)}" href="{href}">{escape(label)}</a>'


#: What the page says when the gateway, or the app's settings for it, fail: the person at the page cannot fix
#: credentials or settings, so the page says who can; the library's full sentence goes to the server's log.
FOR_PAGE: tuple[tuple[type[MMSError], str], ...] = (
    (AuthError, "The gateway refused the app's credentials. Whoever runs the app must check them."),
    (ConfigError, "The app's settings for the gateway are missing or wrong. Whoever runs the app must check them."),
    (TransportError, "The gateway could not be reached. Try again in a few minutes."),
    (ServerError, "The gateway had trouble answering. Try again in a few minutes."),
    (ThrottledError, "The gateway is busy. Try again in a few minutes."),
)


def for_page(error: MMSError) -> str:
    """The sentence the page shows for ``error``; a failure of the gateway or its settings is logged in full."""
    for kind, sentence in FOR_PAGE:
        if isinstance(error, kind):
            log(str(error))
            return sentence
    return str(error)


class AppComposer(Composer):
    """The composer as the app shows it: what became of a send, and the gateway's failures, in plain words."""

    def describe(self, error: MMSError) -> str:
        return for_page(error)


class Delivery(widgets.VBox):
    """The live monitor of this visit's last send, and its failed numbers, which stay listed after it ends."""

    def __init__(self, composer: AppComposer) -> None:
        self.composer = composer
        self.monitor: Monitor | None = None
        self.column = ""  # the recipients' column of numbers in the send the monitor follows
        #: Called when a send's monitor appears here (the page shows this tab then).
        self.shown: Callable[[], object] = lambda: None
        self.headline = widgets.HTML(line("Nothing sent in this visit yet: send from the first tab."))
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
            failed = failed_rows(self.monitor.results, self.column)
        except (KeyError, ValueError) as exc:  # never a traceback on the page: a line in the log
            log(f"the failed numbers could not be listed ({exc})")
            return
        if failed.empty:
            self.failed.value, self.links.value = line("No failed numbers so far."), ""
            return
        self.failed.value = f"<b>Failed numbers ({len(failed)})</b>" + html_table(failed)
        self.links.value = downloads(failed, "failed-numbers")


class Past(widgets.VBox):
    """Past campaigns from the ledger, and the failed numbers of the one chosen."""

    def __init__(self) -> None:
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh").add_class("mmsnb-refresh")
        self.table = widgets.HTML().add_class("mmsnb-campaigns")
        self.choice = widgets.Dropdown(description="Report", options=[], layout=widgets.Layout(width="auto"))
        self.report = widgets.HTML().add_class("mmsnb-report")
        self.refresh_button.on_click(lambda _: self.refresh())
        self.choice.observe(lambda _: self._show_report(), "value")
        super().__init__([self.refresh_button, self.table, self.choice, self.report])
        self.add_class("mmsnb-past")
        self.refresh()

    def refresh(self) -> None:
        """Read the ledger again."""
        try:
            table = past_campaigns()
        except MMSError as exc:
            self.table.value = line(f"⚠ The past campaigns could not be read: {exc}", "error")
            log(f"the past campaigns could not be read: {exc}")
            return
        if table.empty:
            self.table.value = line("No campaigns in the ledger yet.")
        else:
            self.table.value = html_table(table)
        previous, names = self.choice.value, list(table["Campaign"])
        self.choice.options = names
        self.choice.value = previous if previous in names else (names[0] if names else None)
        if self.choice.value == previous:  # no change to observe: show the chosen campaign's report again
            self._show_report()

    def _show_report(self) -> None:
        campaign = self.choice.value
        if not campaign:
            self.report.value = ""
            return
        try:
            failed = campaign_failures(campaign)
        except MMSError as exc:
            self.report.value = line(f"⚠ The campaign could not be read: {exc}", "error")
            log(f"campaign {campaign!r} could not be read: {exc}")
            return
        if failed.empty:
            self.report.value = line(f"{campaign}: no failed numbers.", "ok")
        else:
            self.report.value = (
                f"<b>{escape(campaign)}: failed numbers ({len(failed)})</b>"
                + html_table(failed)
                + downloads(failed, f"{campaign}-failed")
            )


def banner() -> widgets.HTML:
    """The line that says the app is practising on a sandbox, when it is."""
    if not os.environ.get(SANDBOX_VARIABLE):
        return widgets.HTML()
    return widgets.HTML(
        '<div class="mmsnb-banner"><b>Practice mode.</b> No gateway credentials are set, so this app sends to a '
        "local sandbox: nothing reaches a phone. Ask whoever runs the app to set the credentials to send for real."
        "</div>"
    )


def page() -> widgets.VBox:
    """The whole page: a heading, the sandbox banner when practising, and the three parts as tabs."""
    folder = os.environ.get(FOLDER_VARIABLE)
    if folder:
        os.chdir(folder)  # the folder `mmsnb app` was started in: its .env and ledger, not the package's
    heading = widgets.HTML(f'{STYLE}<h2 style="margin:4px 0">MMS campaigns</h2>')
    try:
        from ..client import Client

        client = Client.from_env()
        composer = AppComposer(client)
    except MMSError as exc:
        problem = line(f"⚠ {for_page(exc)}", "error")
        return widgets.VBox([heading, widgets.HTML(problem)]).add_class("mmsnb-app")
    composer.progress.layout.display = "none"  # the status line says "Sending…"; the bar's details are technical
    composer.results_table.layout.display = "none"  # the delivery tab lists what failed, in plain words
    composer.recipients.table_info.value = line("Choose a CSV file with a column of numbers.")
    delivery = Delivery(composer)
    tabs = widgets.Tab([composer, delivery, Past()], titles=("Send", "Delivery", "Past campaigns"))
    tabs.add_class("mmsnb-tabs")
    delivery.shown = lambda: tabs.set_trait("selected_index", 1)  # after a send: its delivery
    return widgets.VBox([heading, banner(), tabs]).add_class("mmsnb-app")
