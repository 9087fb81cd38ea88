"""A live view of a sent campaign's delivery, polled in a background thread.

>>> monitor = Monitor(client, results)
>>> monitor                          # in a notebook: bars per category, refreshed while it polls
Monitor(...)
"""

from __future__ import annotations

import html
import threading
import time

import ipywidgets as widgets
import numpy as np
import numpy.typing as npt
import pandas as pd

from ..client import Client
from ..delivery_statuses import CATEGORY_COLORS
from ..errors import MMSError
from ..ledger import LedgerSpec
from ..polling import Poller
from ..result_columns import CATEGORIES, SendInfo
from ..words import CATEGORY_WORDS, Speaker, language
from . import markup
from .markup import line


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def open_rows(results: pd.DataFrame) -> np.ndarray:
    """Which rows have a message whose status is not final yet (or not known yet)."""
    sent: npt.NDArray[np.bool_] = results["message_id"].notna().to_numpy()
    if "final" not in results.columns:
        return sent
    final: npt.NDArray[np.bool_] = results["final"].fillna(False).to_numpy(dtype=bool)
    return sent & ~final


def heading(results: pd.DataFrame, _: Speaker) -> str:
    """The view's heading: "Delivery", and the campaign as a person recognises it when the send recorded it."""
    info = SendInfo.of(results)
    return _("Delivery") if info is None else _("Delivery: {campaign}", campaign=info.title(_.lang))


class Monitor(widgets.VBox):
    """Counts per status category (bars in the category colours), the rows not final yet and the
    elapsed time, refreshed while a background thread polls; the kernel stays free meanwhile.

    Polling ends when every message is final, when Stop is pressed or when the widget is closed.
    ``results`` holds the latest polled DataFrame. Pauses grow from 1 s to 30 s unless
    ``interval`` fixes them.

    >>> monitor = Monitor(client, mmsnb.send(client, frame, subject="Hej, {first_name}", progress=False))
    >>> bool(monitor.wait(timeout=120).final.all())
    True
    """

    def __init__(
        self,
        client: Client,
        results: pd.DataFrame,
        *,
        interval: float | None = None,
        ledger: LedgerSpec = None,
        lang: str | None = None,
    ) -> None:
        self._stop = threading.Event()  # first: ipywidgets calls close() even on a failed __init__
        #: The view's language ("en" or "pl": ``lang``, else ``MMSNB_LANG``, else English) and its words.
        self.lang = language(lang)
        self._ = _ = Speaker(self.lang)
        self._poller = Poller(client, results, ledger=ledger, interval=interval)
        self.client, self.results = client, results
        self._bars = {
            c: widgets.IntProgress(
                min=0, max=1, style={"bar_color": CATEGORY_COLORS[c]}, layout=widgets.Layout(width="240px")
            )
            for c in CATEGORIES
        }
        self._counts = {c: widgets.HTML() for c in CATEGORIES}
        chart = [
            widgets.HBox(
                [
                    widgets.HTML(
                        f'<span style="color:{CATEGORY_COLORS[c]}">■</span> {_(CATEGORY_WORDS[c])}',
                        layout=widgets.Layout(width="150px"),
                    ),
                    self._bars[c],
                    self._counts[c],
                ]
            )
            for c in CATEGORIES
        ]
        self.summary = widgets.HTML()
        self.elapsed = widgets.HTML().add_class("mmsnb-elapsed")
        self.table = widgets.HTML().add_class("mmsnb-open-rows")
        self.stop_button = widgets.Button(description=_("Stop"), icon="stop", layout=widgets.Layout(width="120px"))
        self.stop_button.on_click(lambda _: self.stop())
        super().__init__(
            [
                widgets.HTML(f'<b style="font-size:1.05em">{html.escape(heading(results, _))}</b>'),
                self.summary,
                *chart,
                widgets.HBox([self.stop_button, self.elapsed], layout=widgets.Layout(align_items="center")),
                self.table,
            ],
            layout=widgets.Layout(margin="10px 0 0 0"),
        )
        self.add_class("mmsnb-monitor")
        self._show()
        self._thread = threading.Thread(target=self._run, name="mmsnb-monitor", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        """True while the background thread polls."""
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stop polling (after the round under way, if any)."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> pd.DataFrame:
        """Wait until polling ends or ``timeout`` seconds pass; returns the latest results."""
        self._thread.join(timeout)
        return self.results

    def close(self) -> None:
        """Stop polling and close the widget."""
        if hasattr(self, "_stop"):  # not when __init__ never ran (an argument missing): ipywidgets closes it then too
            self.stop()
        super().close()

    def _show(self) -> None:
        results, _ = self.results, self._
        sent = results["message_id"].notna()
        total = int(sent.sum())
        counts: pd.Series | dict[str, int] = (
            results.loc[sent, "status_category"].value_counts() if "status_category" in results.columns else {}
        )
        for category in CATEGORIES:
            n = int(counts.get(category, 0))
            self._bars[category].max = max(total, 1)
            self._bars[category].value = n
            self._counts[category].value = str(n)
        still = open_rows(results)
        waiting = int(still.sum())
        text = _(
            "Sent {to}: {final} final, {waiting} not yet.",
            to=_.ngettext("to {n} recipient", "to {n} recipients", total),
            final=_.number(total - waiting),
            waiting=_.number(waiting),
        )
        if len(results) > total:
            text += " " + _("Rows not sent: {n}.", n=_.number(len(results) - total))
        self.summary.value = line(text)
        self.table.value = (
            "<b>" + _("Not final yet") + "</b>" + markup.table(markup.shown_statuses(results[still], _), _=_)
            if still.any()
            else ""
        )

    def _run(self) -> None:
        _ = self._
        started = due = time.monotonic()
        headline, detail, tone = _("Stopped"), ".", "warn"
        try:
            while not self._stop.is_set():
                if time.monotonic() >= due:
                    self._poller.round()
                    self.results = self._poller.frame()
                    self._show()
                    if not self._poller.pending:
                        headline, tone = _("Every message is final"), "ok"
                        break
                    due = time.monotonic() + self._poller.next_pause()
                self.elapsed.value = line(_("Checking for {clock}", clock=_clock(time.monotonic() - started)))
                self._stop.wait(min(1.0, max(due - time.monotonic(), 0.0)))
        except Exception as exc:  # a thread's exception would reach no one: show it instead
            said = exc.say("form", self.lang) if isinstance(exc, MMSError) else str(exc)
            headline, detail, tone = _("Checking stopped"), f": {said}", "error"
        finally:
            self._poller.close()
            self.elapsed.value = line(
                _("{headline} after {clock}", headline=headline, clock=_clock(time.monotonic() - started)) + detail,
                tone,
            )
            self.stop_button.disabled = True
