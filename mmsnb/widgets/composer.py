"""The composer: a form to write, check and send one MMS to many recipients, then watch it arrive.

>>> composer = Composer(client)
>>> composer                         # in a notebook: the form
Composer(...)
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import pandas as pd

from ..campaign import Plan, plan
from ..client import Client
from ..errors import InputError, MMSError
from ..ledger import LedgerSpec
from ..message import (
    MAX_MESSAGE_BYTES,
    MAX_SENDER_NAME,
    MAX_SUBJECT_BYTES,
    PRIORITIES,
    check_limit,
    check_sender,
    render_subject,
)
from ..result_columns import SendState
from ..rules import MinGap
from ..words import FORM_SWITCHES, N_, SEND_STATE_WORDS, Later, Speaker, campaign_title, done, language
from . import markup
from .attachments import AttachmentsPanel
from .markup import line, size
from .monitor import Monitor
from .preview import Preview
from .recipients import RecipientsPanel

_STYLE = {"description_width": "130px"}
#: How the confirmation says the rows a send skips, per send state: the singular and plural sentence.
_SKIPPED = {
    SendState.INVALID: (N_("{n} invalid number: skipped."), N_("{n} invalid numbers: skipped.")),
    SendState.DUPLICATE: (
        N_("{n} repeated number: each number gets the message once."),
        N_("{n} repeated numbers: each number gets the message once."),
    ),
    SendState.ALREADY_SENT: (
        N_("{n} recipient already got this message in this campaign, so it is not sent again."),
        N_("{n} recipients already got this message in this campaign, so it is not sent again."),
    ),
    SendState.IN_PROGRESS: (
        N_("{n} recipient is being sent to by another run of this campaign now, so not here."),
        N_("{n} recipients are being sent to by another run of this campaign now, so not here."),
    ),
    SendState.UNKNOWN: (
        N_("{n} recipient: an earlier send's outcome is unknown, so it is not repeated."),
        N_("{n} recipients: an earlier send's outcome is unknown, so it is not repeated."),
    ),
    SendState.REJECTED: (
        N_("{n} recipient was refused by the gateway before, so it is not repeated."),
        N_("{n} recipients were refused by the gateway before, so it is not repeated."),
    ),
    SendState.OPTED_OUT: (N_("{n} recipient opted out: not sent."), N_("{n} recipients opted out: not sent.")),
    SendState.TOO_SOON: (
        N_("{n} recipient was contacted by another campaign within the minimum gap: not sent."),
        N_("{n} recipients were contacted by another campaign within the minimum gap: not sent."),
    ),
}
_TROUBLE = (SendState.QUOTA, SendState.REJECTED, SendState.UNKNOWN, SendState.STOPPED)
#: The priorities offered, by what a person reads: the gateway's default is its normal priority.
_PRIORITIES = ((N_("Normal"), "Default"), (N_("Low"), "Low"), (N_("High"), "High"))


def campaign_label(planned: Plan, subject: str, named: bool, _: Speaker) -> str:
    """The campaign as a person recognises it: the name they gave, else the subject's first words and the date
    (the internal key, ``planned.campaign``, stays as it is)."""
    if named:
        return _("Campaign: {name}.", name=planned.campaign)
    title = campaign_title(planned.campaign, subject, pd.Timestamp.now(tz="UTC"), _.lang)
    return _("Campaign: {name} (named automatically).", name=title)


def _media_lines(planned: Plan, keep_metadata: bool, _: Speaker) -> list[str]:
    """Each file before and after (size, pixels, what was done), then a warning for each photo that says where it
    was taken: that the location is removed, or that it is sent with it."""
    records = planned.processed.records() if planned.processed is not None else []
    lines, warnings = [], []
    for r in records:
        after = "" if r["sent_bytes"] == r["bytes"] else f" → {size(r['sent_bytes'], _.lang)}"
        if r["sent_pixels"]:
            changed = r["sent_pixels"] != r["pixels"] and r["pixels"]
            after += f", {r['pixels']} → {r['sent_pixels']}" if changed else f", {r['sent_pixels']}"
        what = done(r["how"], "form", r["metadata_removed"], _.lang)
        lines.append(line(f"{r['file']} {size(r['bytes'], _.lang)}{after} ({what})"))
        if r["gps"]:
            if keep_metadata and done(r["how"]) == "as is":
                said = _(
                    "⚠ {file} says where it was taken (GPS) and will be sent with it (untick “{switch}” to remove it).",
                    file=r["file"],
                    switch=_("Keep photo metadata"),
                )
            else:
                said = _(
                    "⚠ {file} says where it was taken (GPS); the location is removed before sending.", file=r["file"]
                )
            warnings.append(line(said, "warn"))
    return ([_("Attachments:"), *lines] if lines else []) + warnings


@dataclass(frozen=True)
class _Watch:
    """The form's progress function: told the rows done, and each wait (:class:`mmsnb.waiting.Watching`)."""

    told: Callable[[int, int], None]
    waiting: Callable[[Later], None]

    def __call__(self, done: int, total: int) -> None:
        self.told(done, total)


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
    removed unless "Keep photo metadata", ``keep_metadata``, is ticked). With "Wait for the message limit to
    reset" ticked, a send larger than the limit sends what it allows and the rest after the reset (the form waits;
    see :meth:`Plan.send`'s ``wait_for_quota``). ``results`` holds the last
    results and ``monitor`` the live view of their delivery (polled every ``interval`` seconds,
    or at growing pauses). Of the client, only ``base_url`` is ever shown.

    >>> composer = Composer(client, recipients=frame)
    >>> composer.results is None       # until "Confirm and send" is pressed
    True
    """

    #: How the line after a send names each send state (by default, as the results' ``send_state`` does).

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
        lang: str | None = None,
    ) -> None:
        self.monitor: Monitor | None = None  # first: ipywidgets calls close() even on a failed __init__
        #: The form's language ("en" or "pl": ``lang``, else ``MMSNB_LANG``, else English) and its words.
        self.lang = language(lang)
        self._ = _ = Speaker(self.lang)
        self.client, self.ledger, self.interval = client, ledger, interval
        self.max_message_bytes = check_limit(max_message_bytes)
        self.results: pd.DataFrame | None = None
        self._pending: tuple[Plan, str] | None = None
        self._busy = False

        self.subject = widgets.Textarea(
            description=_("Subject"),
            placeholder=_("The text of the message"),
            style=_STYLE,
            layout=widgets.Layout(width="100%", height="5em"),
        ).add_class("mmsnb-subject")
        self.subject_count = widgets.HTML(layout=widgets.Layout(margin="0 0 0 138px")).add_class("mmsnb-subject-count")
        self.sender_count = widgets.HTML(layout=widgets.Layout(margin="0 0 0 138px")).add_class("mmsnb-sender-count")
        self.sender = widgets.Text(
            description=_("Sender"),
            placeholder=_("Name shown to the recipient"),
            style=_STYLE,
            layout=widgets.Layout(width="100%"),
        ).add_class("mmsnb-sender")
        self.priority = widgets.Dropdown(
            description=_("Priority"),
            options=[(_(label), value) for label, value in _PRIORITIES if value in PRIORITIES],
            value="Default",
            style=_STYLE,
            layout=widgets.Layout(width="270px"),
        )
        self.delivery_report = widgets.Checkbox(value=True, description=_("Delivery report"), indent=False)
        self.campaign = widgets.Text(
            description=_("Campaign"),
            placeholder=_("named from the subject and the date"),
            style=_STYLE,
            layout=widgets.Layout(width="100%"),
        )
        self.min_gap = widgets.Text(
            description=_("Minimum gap"),
            placeholder=_("e.g. 7D (7 days) or 36h (36 hours); empty: none"),
            tooltip=_("Leave out numbers another campaign contacted within this time"),
            style=_STYLE,
            layout=widgets.Layout(width="100%"),
        ).add_class("mmsnb-min-gap")
        #: The switch "Wait for the message limit to reset": a send larger than the limit sends the rest after it.
        self.wait_for_quota = widgets.Checkbox(
            value=False, description=_(FORM_SWITCHES["wait_for_quota"]), indent=False
        ).add_class("mmsnb-wait-for-quota")
        self.preview = Preview(lang=self.lang)
        self.attachments = AttachmentsPanel(
            max_bytes=max_message_bytes, fit=fit, keep_metadata=keep_metadata, lang=self.lang
        )
        #: The switches "Fit to the limit" and "Keep photo metadata" (in the attachments panel).
        self.fit, self.keep_metadata = self.attachments.fit, self.attachments.keep_metadata
        table = recipients if isinstance(recipients, pd.DataFrame) else None
        self.recipients = RecipientsPanel(table, lang=self.lang)
        if recipients is not None and table is None:
            self.recipients.text.value = "\n".join(map(str, recipients))

        self.quota = widgets.HTML().add_class("mmsnb-quota")
        self.send_button = widgets.Button(description=_("Send…"), icon="paper-plane", button_style="primary")
        self.send_button.add_class("mmsnb-send")
        self.why = widgets.HTML().add_class("mmsnb-why")
        self.confirm_text = widgets.HTML().add_class("mmsnb-confirm-text")
        self.confirm_button = widgets.Button(description=_("Confirm and send"), icon="check", button_style="success")
        self.confirm_button.add_class("mmsnb-confirm")
        self.cancel_button = widgets.Button(description=_("Cancel")).add_class("mmsnb-cancel")
        self.confirmation = widgets.VBox(
            [self.confirm_text, widgets.HBox([self.confirm_button, self.cancel_button])],
            layout=widgets.Layout(display="none", border="1px solid #E69F00", padding="4px 10px", margin="8px 0"),
        )
        self.status = widgets.HTML().add_class("mmsnb-status")
        self.progress = widgets.Output()
        #: Recipients done of all, and the time left, while sending.
        self.progress_bar = widgets.IntProgress(min=0, max=1, layout=widgets.Layout(width="240px", display="none"))
        self.progress_text = widgets.HTML().add_class("mmsnb-progress")
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
        _ = self._

        def section(title: str) -> widgets.HTML:
            return widgets.HTML(
                f'<b style="font-size:1.05em">{title}</b>', layout=widgets.Layout(margin="10px 0 2px 0")
            )

        form = widgets.VBox(
            [
                section(_("Recipients")),
                self.recipients,
                section(_("Message")),
                self.subject,
                self.subject_count,
                self.sender,
                self.sender_count,
                widgets.HBox([self.priority, self.delivery_report]),
                self.campaign,
                self.min_gap,
                self.wait_for_quota,
                section(_("Attachments")),
                self.attachments,
                widgets.HBox(
                    [self.send_button, self.why], layout=widgets.Layout(margin="12px 0 0 0", align_items="center")
                ),
            ],
            layout=widgets.Layout(flex="1 1 auto", max_width="640px", margin="0 28px 0 0"),
        )
        title, gateway = _("Compose an MMS"), _("Gateway: {url}", url=self.client.base_url)
        heading = widgets.HTML(f'<h3 style="margin:0">{title}</h3>{line(gateway)}')
        return [
            heading,
            self.quota,
            widgets.HBox([form, self.preview]),
            self.confirmation,
            self.status,
            widgets.HBox([self.progress_bar, self.progress_text], layout=widgets.Layout(align_items="center")),
            self.progress,
            self.results_table,
            self.monitor_box,
        ]

    # -- state -------------------------------------------------------------
    @property
    def problems(self) -> list[str]:
        """What keeps the message from being sent; empty when it can go."""
        _, out = self._, []
        if not self.recipients.check.valid:
            out.append(_("Add at least one valid number."))
        if not self.subject.value.strip() and not self.attachments.files:
            out.append(_("Write a subject or attach a file."))
        if len(self.subject.value.encode("utf-8", "surrogatepass")) > MAX_SUBJECT_BYTES:
            out.append(_("The subject is too long: shorten it, or send a long text as a .txt attachment."))
        if (sender := self._sender_problem()) is not None:
            out.append(sender)
        out += self.attachments.problems
        text: str = self.min_gap.value.strip()
        if text:
            try:
                MinGap.parse(text)
            except InputError:
                out.append(
                    _(
                        "Minimum gap {text} is not a length of time with its unit, of a second or more: "
                        "write e.g. 7D, 36h or 90min.",
                        text=repr(text),
                    )
                )
        return out

    def _changed(self) -> None:
        self._withdraw()
        self._count_fields()
        self.preview.show(
            sender=self.sender.value.strip(), subject=self._preview_subject(), files=self.attachments.files
        )
        self._update_buttons()

    def _count_fields(self) -> None:
        """Count the subject and the sender against their limits, before Send (past them, :attr:`problems` says
        why Send is off)."""
        _ = self._
        subject, sender = self.subject.value, self.sender.value.strip()
        size = len(subject.encode("utf-8", "surrogatepass"))
        counted = _.ngettext("{n} character", "{n} characters", len(subject))
        of = _("{size} of {limit}", size=markup.size(size, _.lang), limit=markup.size(MAX_SUBJECT_BYTES, _.lang))
        self.subject_count.value = line(f"{counted} · {of}", "error" if size > MAX_SUBJECT_BYTES else "muted")
        said = _(
            "{n} of {most} characters: a name, or a number of up to 15 digits",
            n=len(sender),
            most=MAX_SENDER_NAME,
        )
        self.sender_count.value = line(said, "muted" if self._sender_problem() is None else "error")

    def _sender_problem(self) -> str | None:
        try:
            check_sender(self.sender.value.strip() or None)
        except InputError as exc:
            return exc.say("form", self.lang)
        return None

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

    def _day(self, limit: Any) -> str:
        return self._.day(limit.resets_on) if limit.resets_on else self._("an unknown date")

    def _read_quota(self) -> None:
        _ = self._
        try:
            limit = self.client.limit()
        except MMSError as exc:
            self.quota.value = line(_("The message limit could not be read: {error}", error=self.describe(exc)))
            return
        text = _(
            "Message limit: {used} used, {available} left; it resets on {day}. The limit counts the messages handed "
            "to the gateway; one message goes to one or more recipients.",
            used=_.number(limit.used),
            available=_.number(limit.available),
            day=self._day(limit),
        )
        self.quota.value = line(text, "muted" if limit.available else "warn")

    def describe(self, error: MMSError) -> str:
        """The sentence the form shows for ``error`` (in the form's words; a subclass may say it otherwise)."""
        return error.say("form", self.lang)

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
        if short is not None and not self.wait_for_quota.value:
            self._error(short)
            return
        _ = self._
        requests, available = len(planned.requests), planned.limit.available
        states = Counter(o.state for o in planned.settled.values())
        unsendable = self._unsendable(planned)
        if unsendable and not planned.recipients:
            self._error(" ".join(unsendable))
            return
        states[SendState.INVALID] -= sum(unsendable.values())
        to = _.ngettext("to {n} recipient", "to {n} recipients", planned.recipients)
        lines = [
            "<b>"
            + _("Send {to} in {messages}?", to=to, messages=_.ngettext("{n} message", "{n} messages", requests))
            + "</b>"
            if planned.recipients
            else "<b>" + _("Nothing new to send.") + "</b> " + _("Confirm shows the earlier results."),
            _(
                "Message limit: {available} left, {after} after this send (it resets on {day}).",
                available=_.number(available),
                after=_.number(max(available - requests, 0)),
                day=self._day(planned.limit),
            ),
            *([_("The rest is sent after the limit resets.")] if short is not None else []),
            *(_.ngettext(*_SKIPPED[state], states[state]) for state in _SKIPPED if states[state]),
            *(
                line(
                    _(
                        "{recipients}: not sent: {error}",
                        recipients=_.ngettext("{n} recipient", "{n} recipients", n),
                        error=error,
                    ),
                    "error",
                )
                for error, n in unsendable.items()
            ),
            *(
                [
                    _.ngettext(
                        "{n} recipient is in another network's range: it fails unless ported to Orange.",
                        "{n} recipients are in other networks' ranges: they fail unless ported to Orange.",
                        planned.other_networks,
                    )
                ]
                if planned.other_networks
                else []
            ),
            campaign_label(planned, self.subject.value, bool(self.campaign.value.strip()), _),
        ]
        self.confirm_text.value = "<br>".join([*lines, *_media_lines(planned, self.keep_metadata.value, _)])
        self._pending = (planned, options["to"])
        self.confirmation.layout.display = "flex"
        self._update_buttons()

    def _unsendable(self, planned: Plan) -> Counter[str]:
        """The rows with a valid number that cannot be sent for their message (e.g. attachments that do not fit),
        counted by the sentence that says why."""
        return Counter(
            str(planned.settled[row.position].said("form", self.lang))
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
        self.status.value = line(self._("Sending…"))
        self.progress.clear_output()
        started = time.monotonic()
        self.progress_bar.layout.display = "flex"
        try:
            with self.progress:  # an exception leaving an Output becomes a traceback there: catch it inside
                try:
                    outcome: pd.DataFrame | MMSError = planned.send(
                        progress=_Watch(
                            lambda done, total: self._progressed(done, total, time.monotonic() - started),
                            self._waiting,
                        ),
                        wait_for_quota=self.wait_for_quota.value,
                    )
                except MMSError as exc:
                    outcome = exc
            if isinstance(outcome, MMSError):
                self._error(outcome)
            else:
                self._sent(outcome, column, planned)
        finally:
            self._busy = False
            self._read_quota()
            self._update_buttons()

    def _waiting(self, wait: Later) -> None:
        """Say on the progress line what the send waits for and until when."""
        said = wait.said(self._)
        self.status.value = line(f"{said[0].upper()}{said[1:]}.")

    def _progressed(self, done: int, total: int, elapsed: float) -> None:
        """Show the recipients done of all and, from the pace so far, about how long is left."""
        _ = self._
        self.status.value = line(_("Sending…"))
        self.progress_bar.max, self.progress_bar.value = max(total, 1), done
        text = _.ngettext("{done} of {n} recipient done", "{done} of {n} recipients done", total, done=_.number(done))
        if 0 < done < total:
            text += "; " + _("about {left} left", left=_.duration(elapsed / done * (total - done)))
        self.progress_text.value = line(text)

    def _sent(self, results: pd.DataFrame, column: str, planned: Plan) -> None:
        _ = self._
        self.results = results
        counts = results.send_state.value_counts()
        outcomes = ", ".join(f"{_(SEND_STATE_WORDS[str(state)])}: {_.number(n)}" for state, n in counts.items() if n)
        text = _("Done: {outcomes}.", outcomes=outcomes)
        trouble = results.loc[results.send_state.isin(_TROUBLE), "error"].dropna()
        if len(trouble):
            text += " " + trouble.iloc[0]
        self.status.value = line(text, "warn" if len(trouble) else "ok")
        why = [
            planned.settled[i].said("form", self.lang) if i in planned.settled else error
            for i, error in enumerate(results["error"])
        ]
        self.results_table.value = markup.table(markup.shown_results(results, column, why, _), _=_)
        if self.monitor is not None:
            self.monitor.close()
            self.monitor = None
        if results["message_id"].notna().any():
            self.monitor = Monitor(self.client, results, interval=self.interval, ledger=self.ledger, lang=self.lang)
        self.monitor_box.children = [self.monitor] if self.monitor else []

    def close(self) -> None:
        """Close the form and stop its monitor."""
        if self.monitor is not None:
            self.monitor.close()
        super().close()
