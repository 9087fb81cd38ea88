"""The composer: a form to write, check and send one MMS to many recipients, then watch it arrive.

>>> composer = Composer(client)
>>> composer                         # in a notebook: the form
Composer(...)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, ClassVar

import ipywidgets as widgets
import pandas as pd

from ..campaign import Plan, plan
from ..client import Client
from ..errors import InputError, MMSError
from ..ledger import LedgerSpec
from ..message import MAX_MESSAGE_BYTES, PRIORITIES, check_limit, render_subject
from ..result_columns import SendState
from ..rules import MinGap
from ..words import done
from ..words import plural as _plural
from . import markup
from .attachments import AttachmentsPanel
from .markup import line, size
from .monitor import Monitor
from .preview import Preview
from .recipients import RecipientsPanel

_STYLE = {"description_width": "80px"}
#: What the confirmation says of numbers in another network's range.
_PORTED = "they fail unless ported to Orange."
#: How the confirmation names the rows a send skips: (noun, what happens to them) per send state.
_SKIPPED = {
    SendState.INVALID: ("invalid number", "skipped"),
    SendState.DUPLICATE: ("repeated number", "each number gets the message once"),
    SendState.ALREADY_SENT: ("recipient", "already got this message in this campaign, so not sent again"),
    SendState.IN_PROGRESS: ("recipient", "another run of this campaign is sending to them now, so not sent here"),
    SendState.UNKNOWN: ("recipient", "an earlier send's outcome is unknown, so not repeated"),
    SendState.REJECTED: ("recipient", "refused by the gateway before, so not repeated"),
    SendState.OPTED_OUT: ("recipient", "opted out, so not sent"),
    SendState.TOO_SOON: ("recipient", "contacted by another campaign within the minimum gap, so not sent"),
}
_TROUBLE = (SendState.QUOTA, SendState.REJECTED, SendState.UNKNOWN, SendState.STOPPED)


def _day(day: date | None) -> str:
    return day.strftime("%a %d %b %Y") if day else "an unknown date"


def _media_lines(planned: Plan, keep_metadata: bool) -> list[str]:
    """Each file before and after (size, pixels, what was done), then a warning for each photo that says where it
    was taken: that the location is removed, or that it is sent with it."""
    records = planned.processed.records() if planned.processed is not None else []
    lines, warnings = [], []
    for r in records:
        after = "" if r["sent_bytes"] == r["bytes"] else f" → {size(r['sent_bytes'])}"
        if r["sent_pixels"]:
            changed = r["sent_pixels"] != r["pixels"] and r["pixels"]
            after += f", {r['pixels']} → {r['sent_pixels']}" if changed else f", {r['sent_pixels']}"
        lines.append(line(f"{r['file']} {size(r['bytes'])}{after} ({done(r['how'], 'form', r['metadata_removed'])})"))
        if r["gps"]:
            if keep_metadata and done(r["how"]) == "as is":
                fate = " and will be sent with it (untick “Keep photo metadata” to remove it)."
            else:
                fate = "; the location is removed before sending."
            warnings.append(line(f"⚠ {r['file']} says where it was taken (GPS){fate}", "warn"))
    return (["Attachments:", *lines] if lines else []) + warnings


class Composer(widgets.VBox):
    """A form that writes, checks and sends one MMS through :func:`mmsnb.send`, then watches it.

    Recipients are typed or pasted, or come from ``recipients`` (a DataFrame, with a drop-down for
    its number column) or an uploaded CSV. Numbers opted out in the ledger are never sent to, and
    a "Min gap" (``7D``, ``36h``; empty: none) leaves out those another campaign contacted within
    it. Send first shows what the send will spend and whom it leaves out; Confirm
    sends the plan it showed, through the ledger, so pressing again never sends twice. Attachments
    may total ``max_message_bytes``: with "Fit to the limit" (``fit``, on by default) images over it are
    re-encoded to fit and WEBP and HEIC photos converted to JPEG; the confirmation shows each file's size
    before and after, and warns of photos that say where they were taken (their EXIF, GPS and XMP are
    removed unless "Keep photo metadata", ``keep_metadata``, is ticked). ``results`` holds the last
    results and ``monitor`` the live view of their delivery (polled every ``interval`` seconds,
    or at growing pauses). Of the client, only ``base_url`` is ever shown.

    >>> composer = Composer(client, recipients=frame)
    >>> composer.results is None       # until "Confirm and send" is pressed
    True
    """

    #: How the line after a send names each send state (by default, as the results' ``send_state`` does).
    state_words: ClassVar[Mapping[str, str]] = {}

    def __init__(
        self,
        client: Client,
        *,
        recipients: pd.DataFrame | Iterable[str] | None = None,
        ledger: LedgerSpec = None,
        interval: float | None = None,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
        fit: bool = True,
        keep_metadata: bool = False,
    ) -> None:
        self.monitor: Monitor | None = None  # first: ipywidgets calls close() even on a failed __init__
        self.client, self.ledger, self.interval = client, ledger, interval
        self.max_message_bytes = check_limit(max_message_bytes)
        self.results: pd.DataFrame | None = None
        self._pending: tuple[Plan, str] | None = None
        self._busy = False

        self.subject = widgets.Textarea(
            description="Subject",
            placeholder="The text of the message",
            style=_STYLE,
            layout=widgets.Layout(width="100%", height="5em"),
        ).add_class("mmsnb-subject")
        self.subject_count = widgets.HTML(layout=widgets.Layout(margin="0 0 0 88px"))
        self.sender = widgets.Text(
            description="Sender",
            placeholder="Name shown to the recipient",
            style=_STYLE,
            layout=widgets.Layout(width="100%"),
        ).add_class("mmsnb-sender")
        self.priority = widgets.Dropdown(
            description="Priority",
            options=PRIORITIES,
            value="Default",
            style=_STYLE,
            layout=widgets.Layout(width="220px"),
        )
        self.delivery_report = widgets.Checkbox(value=True, description="Delivery report", indent=False)
        self.campaign = widgets.Text(description="Campaign", placeholder="automatic name", style=_STYLE)
        self.min_gap = widgets.Text(
            description="Min gap",
            placeholder="e.g. 7D or 36h; empty: none",
            tooltip="Leave out numbers another campaign contacted within this time",
            style=_STYLE,
        ).add_class("mmsnb-min-gap")
        self.preview = Preview()
        self.attachments = AttachmentsPanel(max_bytes=max_message_bytes, fit=fit, keep_metadata=keep_metadata)
        #: The switches "Fit to the limit" and "Keep photo metadata" (in the attachments panel).
        self.fit, self.keep_metadata = self.attachments.fit, self.attachments.keep_metadata
        table = recipients if isinstance(recipients, pd.DataFrame) else None
        self.recipients = RecipientsPanel(table)
        if recipients is not None and table is None:
            self.recipients.text.value = "\n".join(map(str, recipients))

        self.quota = widgets.HTML().add_class("mmsnb-quota")
        self.send_button = widgets.Button(description="Send…", icon="paper-plane", button_style="primary")
        self.send_button.add_class("mmsnb-send")
        self.why = widgets.HTML().add_class("mmsnb-why")
        self.confirm_text = widgets.HTML().add_class("mmsnb-confirm-text")
        self.confirm_button = widgets.Button(description="Confirm and send", icon="check", button_style="success")
        self.confirm_button.add_class("mmsnb-confirm")
        self.cancel_button = widgets.Button(description="Cancel").add_class("mmsnb-cancel")
        self.confirmation = widgets.VBox(
            [self.confirm_text, widgets.HBox([self.confirm_button, self.cancel_button])],
            layout=widgets.Layout(display="none", border="1px solid #E69F00", padding="4px 10px", margin="8px 0"),
        )
        self.status = widgets.HTML().add_class("mmsnb-status")
        self.progress = widgets.Output()
        self.results_table = widgets.HTML().add_class("mmsnb-results")
        self.monitor_box = widgets.VBox()

        self.recipients.on_change = self.attachments.on_change = self._changed
        for widget in (self.subject, self.sender, self.priority, self.delivery_report, self.campaign, self.min_gap):
            widget.observe(lambda _: self._changed(), "value")
        self.send_button.on_click(self._on_send)
        self.confirm_button.on_click(self._on_confirm)
        self.cancel_button.on_click(lambda _: self._withdraw())

        super().__init__(self._layout())
        self.add_class("mmsnb-composer")
        self._read_quota()
        self._changed()

    def _layout(self) -> list[widgets.Widget]:
        def section(title: str) -> widgets.HTML:
            return widgets.HTML(
                f'<b style="font-size:1.05em">{title}</b>', layout=widgets.Layout(margin="10px 0 2px 0")
            )

        form = widgets.VBox(
            [
                section("Recipients"),
                self.recipients,
                section("Message"),
                self.subject,
                self.subject_count,
                self.sender,
                widgets.HBox([self.priority, self.delivery_report]),
                self.campaign,
                self.min_gap,
                section("Attachments"),
                self.attachments,
                widgets.HBox(
                    [self.send_button, self.why], layout=widgets.Layout(margin="12px 0 0 0", align_items="center")
                ),
            ],
            layout=widgets.Layout(flex="1 1 auto", max_width="640px", margin="0 28px 0 0"),
        )
        heading = widgets.HTML(f'<h3 style="margin:0">Compose an MMS</h3>{line("Gateway: " + self.client.base_url)}')
        return [
            heading,
            self.quota,
            widgets.HBox([form, self.preview]),
            self.confirmation,
            self.status,
            self.progress,
            self.results_table,
            self.monitor_box,
        ]

    # -- state -------------------------------------------------------------
    @property
    def problems(self) -> list[str]:
        """What keeps the message from being sent; empty when it can go."""
        out = []
        if not self.recipients.check.valid:
            out.append("Add at least one valid number.")
        if not self.subject.value.strip() and not self.attachments.files:
            out.append("Write a subject or attach a file.")
        out += self.attachments.problems
        text: str = self.min_gap.value.strip()
        if text:
            try:
                MinGap.parse(text)
            except InputError:
                out.append(
                    f"Min gap {text!r} is not a length of time with its unit, of a second or more: "
                    "write e.g. 7D, 36h or 90min."
                )
        return out

    def _changed(self) -> None:
        self._withdraw()
        self.subject_count.value = line(_plural(len(self.subject.value), "character"))
        self.preview.show(
            sender=self.sender.value.strip(), subject=self._preview_subject(), files=self.attachments.files
        )
        self._update_buttons()

    def _update_buttons(self) -> None:
        problems = self.problems
        self.send_button.disabled = self._busy or bool(problems)
        self.confirm_button.disabled = self._busy
        self.why.value = line(" ".join(problems), "warn") if problems else ""

    def _preview_subject(self) -> str:
        """The subject as the first recipient of a table would read it (templates filled in)."""
        subject: str = self.subject.value
        if self.recipients.using_table and self.recipients.table is not None and "{" in subject:
            try:
                return render_subject(subject, self.recipients.table.iloc[0].to_dict())
            except (MMSError, IndexError):
                return subject
        return subject

    def _options(self) -> dict[str, Any]:
        """The arguments of :func:`mmsnb.plan` for what the form holds now."""
        frame, column = self.recipients.frame()
        subject = self.subject.value
        if not self.recipients.using_table:  # typed numbers have no columns to fill in: braces are literal
            subject = subject.replace("{", "{{").replace("}", "}}")
        return dict(
            frame=frame,
            to=column,
            subject=subject or None,
            attachments=list(self.attachments.files) or None,
            sender=self.sender.value.strip() or None,
            priority=self.priority.value,
            delivery_report=self.delivery_report.value,
            campaign=self.campaign.value.strip() or None,
            ledger=self.ledger,
            max_message_bytes=self.max_message_bytes,
            min_gap=self.min_gap.value.strip() or None,
            fit=self.fit.value,
            keep_metadata=self.keep_metadata.value,
        )

    def _read_quota(self) -> None:
        try:
            limit = self.client.limit()
        except MMSError as exc:
            self.quota.value = line(f"The quota could not be read: {self.describe(exc)}", "error")
            return
        text = f"Quota: {_plural(limit.used, 'request')} used, {limit.available} available"
        self.quota.value = line(
            f"{text}; the counter resets on {_day(limit.resets_on)}.", "muted" if limit.available else "warn"
        )

    def describe(self, error: MMSError) -> str:
        """The sentence the form shows for ``error`` (in the form's words; a subclass may say it otherwise)."""
        return error.say("form")

    def _error(self, error: MMSError | str) -> None:
        self.status.value = line(f"⚠ {self.describe(error) if isinstance(error, MMSError) else error}", "error")

    # -- send --------------------------------------------------------------
    def _on_send(self, _: object = None) -> None:
        if self._busy or self.problems:
            return
        self.status.value = ""
        options = self._options()
        try:
            planned = plan(self.client, **options)
        except MMSError as exc:
            self._error(exc)
            return
        short = planned.shortfall()
        if short is not None:
            self._error(short)
            return
        requests, available = len(planned.requests), planned.limit.available
        states = Counter(o.state for o in planned.settled.values())
        unsendable = self._unsendable(planned)
        if unsendable and not planned.recipients:
            self._error(" ".join(unsendable))
            return
        states[SendState.INVALID] -= sum(unsendable.values())
        lines = [
            f"<b>Send to {_plural(planned.recipients, 'recipient')} in {_plural(requests, 'request')}?</b>"
            if planned.recipients
            else "<b>Nothing new to send.</b> Confirm shows the earlier results.",
            f"Quota: {available} requests available, {available - requests} left after this send "
            f"(the counter resets on {_day(planned.limit.resets_on)}).",
            *(f"{_plural(states[state], noun)}: {fate}." for state, (noun, fate) in _SKIPPED.items() if states[state]),
            *(line(f"{_plural(n, 'recipient')}: not sent: {error}", "error") for error, n in unsendable.items()),
            *(
                [f"{_plural(planned.other_networks, 'recipient')} in other networks' ranges: {_PORTED}"]
                if planned.other_networks
                else []
            ),
            f"Campaign: {planned.campaign}.",
        ]
        self.confirm_text.value = "<br>".join([*lines, *_media_lines(planned, self.keep_metadata.value)])
        self._pending = (planned, options["to"])
        self.confirmation.layout.display = "flex"
        self._update_buttons()

    @staticmethod
    def _unsendable(planned: Plan) -> Counter[str]:
        """The rows with a valid number that cannot be sent for their message (e.g. attachments that do not fit),
        counted by the sentence that says why."""
        return Counter(
            str(planned.settled[row.position].said("form"))
            for row in planned.rows
            if row.error is not None and row.address is not None and row.position in planned.settled
        )

    def _withdraw(self) -> None:
        """Hide the confirmation: the form changed, or Cancel was pressed."""
        self._pending = None
        self.confirmation.layout.display = "none"

    def _on_confirm(self, _: object = None) -> None:
        pending, self._pending = self._pending, None
        if pending is None or self._busy:
            return
        planned, column = pending
        self._busy = True
        self.confirmation.layout.display = "none"
        self._update_buttons()
        self.status.value = line("Sending…")
        self.progress.clear_output()
        try:
            with self.progress:  # an exception leaving an Output becomes a traceback there: catch it inside
                try:
                    outcome: pd.DataFrame | MMSError = planned.send(progress=True)
                except MMSError as exc:
                    outcome = exc
            if isinstance(outcome, MMSError):
                self._error(outcome)
            else:
                self._sent(outcome, column, planned.campaign)
        finally:
            self._busy = False
            self._read_quota()
            self._update_buttons()

    def _sent(self, results: pd.DataFrame, column: str, campaign: str) -> None:
        self.results = results
        counts = results.send_state.value_counts()
        outcomes = ", ".join(f"{n} {self.state_words.get(str(state), state)}" for state, n in counts.items() if n)
        text = f"Campaign {campaign}: {outcomes}."
        trouble = results.loc[results.send_state.isin(_TROUBLE), "error"].dropna()
        if len(trouble):
            text += " " + trouble.iloc[0]
        self.status.value = line(text, "warn" if len(trouble) else "ok")
        columns = [column, "address", "send_state", "message_id", "error"]
        self.results_table.value = markup.table(results, columns, more="composer.results")
        if self.monitor is not None:
            self.monitor.close()
            self.monitor = None
        if results["message_id"].notna().any():
            self.monitor = Monitor(self.client, results, interval=self.interval, ledger=self.ledger)
        self.monitor_box.children = [self.monitor] if self.monitor else []

    def close(self) -> None:
        """Close the form and stop its monitor."""
        if self.monitor is not None:
            self.monitor.close()
        super().close()
