"""A campaign in two steps: :func:`plan` checks a table of recipients and says what a send would do;
:meth:`Plan.send` does it and returns the table with outcomes. :func:`send` is both at once.

>>> plan = mmsnb.plan(client, frame, subject="Cześć {first_name}!", attachments="data/promo.jpg")
>>> plan
Plan 'auto-...': 57 recipients in 22 requests; ... requests available; 3 invalid skipped. 12 in other networks'
ranges (they fail unless ported to Orange). It would start now and end around ... (Europe/Warsaw; at about
5 requests a second).
>>> results = plan.send(progress=False)
>>> results.send_state.value_counts().head(2)
send_state
accepted    57
invalid      3
Name: count, dtype: int64
"""

from __future__ import annotations

import hashlib
import html
import json
import os
from collections import Counter
from contextlib import suppress
from dataclasses import asdict, dataclass, replace
from datetime import UTC
from typing import Any, Unpack

import pandas as pd

from .client import Client
from .dispatch import Progress, Run, from_claim
from .errors import Fix, InputError, LedgerError, MMSError, QuotaError
from .gateway_answers import Limit
from .ledger import Claim, Contact, Ledger, LedgerSpec, Location, OptOut, holding, locate
from .media import Media
from .message import MAX_MESSAGE_BYTES, Attachment, check_limit, check_no_control
from .options import PLAN_OPTIONS, SEND_OPTIONS, PlanOptions, check_options
from .pacing import MOST_IN_FLIGHT, Pace, RateCap
from .phones import ORANGE
from .result_columns import RESULT_COLUMNS, Outcome, SendInfo, SendState, column
from .rows import Checked, Request, Row, check_rows, group_requests
from .rules import MinGap, opted_out
from .schedule import Hours, local_words
from .storing import stored_campaign
from .waiting import TYPICAL_PACE, Estimate, Timing, estimate, send_in_rounds
from .words import N_, SEND_STATE_WORDS, TIME_ZONE, Counted, Speaker, errors_language, language

#: How a plan's summary counts the rows it skips, per send state (English keeps the state's name).
_SKIPPED: dict[SendState, tuple[str, str]] = {
    SendState.INVALID: (N_("{n} invalid"), N_("{n} invalid")),
    SendState.DUPLICATE: (N_("{n} duplicate"), N_("{n} duplicate")),
    SendState.ALREADY_SENT: (N_("{n} already-sent"), N_("{n} already-sent")),
    SendState.IN_PROGRESS: (N_("{n} in-progress"), N_("{n} in-progress")),
    SendState.UNKNOWN: (N_("{n} unknown"), N_("{n} unknown")),
    SendState.REJECTED: (N_("{n} rejected"), N_("{n} rejected")),
    SendState.OPTED_OUT: (N_("{n} opted-out"), N_("{n} opted-out")),
    SendState.TOO_SOON: (N_("{n} too-soon"), N_("{n} too-soon")),
}


def campaign_name(meaning: dict[str, Any]) -> str:
    """A name derived from what the message means (content digests, subject template, sender…), not how it was spelled.

    >>> campaign_name({"subject": "Hej", "attachments": []})
    'auto-5465ffcba600e86b'
    """
    text = json.dumps(meaning, sort_keys=True, ensure_ascii=False, default=str)
    return "auto-" + hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]


def _label(frame: pd.DataFrame, position: int) -> str:
    label = frame.index[position]
    return "(" + ", ".join(map(str, label)) + ")" if isinstance(label, tuple) else str(label)


def _checked_outcomes(frame: pd.DataFrame, checked: Checked, per_row: bool) -> dict[int, Outcome]:
    """The rows that are settled by their checks alone: invalid, or a repeat of an earlier row."""
    outcomes: dict[int, Outcome] = {}
    for row in checked.rows:
        if row.error is not None:
            outcomes[row.position] = Outcome(state=SendState.INVALID, error=row.error, fix=row.fix, said_as=row.said_as)
        elif row.duplicate_of is not None:
            first = _label(frame, row.duplicate_of)
            outcomes[row.position] = Outcome(
                state=SendState.DUPLICATE,
                said_as=(
                    N_("Same number and content as row {first}; sent once.")
                    if per_row
                    else N_(
                        "Same number as row {first}: one message per number per campaign, with row {first}'s content."
                    ),
                    {"first": first},
                ),
                fix=None if per_row else Fix(option="per_row", value=True, to="send each row's own content"),
            )
    return outcomes


@dataclass(frozen=True)
class _Known:
    """What the ledger knows of a campaign's recipients before it is sent."""

    claims: dict[str, list[Claim]]
    opted_out: dict[str, OptOut]
    contacts: dict[str, Contact]


def _known(ledger: Location | Ledger, campaign: str, addresses: list[str], min_gap: MinGap | None) -> _Known:
    """The campaign's claims, the opt-outs and (with ``min_gap``) the recent contacts of ``addresses``;
    none when the ledger file does not exist yet (it is not created)."""
    if isinstance(ledger, Location) and not ledger.exists():
        return _Known({}, {}, {})
    with Ledger.open(ledger) as book:
        contacts = {} if min_gap is None else book.contacts(campaign, addresses, min_gap.since())
        return _Known(book.claims(campaign), book.opted_out(addresses), contacts)


def _to_send(
    rows: list[Row],
    known: _Known,
    settled: dict[int, Outcome],
    *,
    per_row: bool,
    retry_unknown: bool,
    min_gap: MinGap | None,
) -> list[Row]:
    """The ``rows`` still to send; the outcomes of those the ledger settles (a claim, an opt-out, a recent
    contact) go into ``settled``."""
    to_send = []
    for row in rows:
        assert row.address is not None
        claims = known.claims.get(row.address)  # most numbers have none: no need to look
        hold = None if claims is None else holding(claims, row.content_key if per_row else "", retry_unknown)
        if hold is not None:
            settled[row.position] = from_claim(hold)
        elif row.address in known.opted_out:
            settled[row.position] = opted_out(known.opted_out[row.address])
        elif row.address in known.contacts:
            assert min_gap is not None
            settled[row.position] = min_gap.too_soon(known.contacts[row.address])
        else:
            to_send.append(row)
    return to_send


_SHORT = N_(
    "This campaign needs {needed} but only {available} are available (the counter resets on {resets_on}). "
    "Nothing was sent."
)
_SHORT_NONE = N_(
    "This campaign needs {needed} but only {available} are available (the counter resets on {resets_on}). "
    "Nothing was sent. Run again after the counter resets on {resets_on}."
)


def _shortfall(needed: int, limit: Limit) -> dict[str, object] | None:
    """The values of the sentence that says why ``limit`` cannot carry ``needed`` requests; None when it can."""
    if needed <= limit.available:
        return None
    return {"needed": Counted("{n} request", "{n} requests", needed), "available": limit.available,
            "resets_on": limit.resets_on}  # fmt: skip


def _record_quota_after(client: Client, book: Ledger) -> None:
    """Keep a quota reading taken after a send, so the ledger's quota history shows what the send used."""
    with suppress(MMSError, LedgerError):  # the outcomes are recorded; a missing reading only costs the chart a point
        book.record_quota(client.limit())


#: A pace said per second, minute or hour.
_PACES = (
    (1, (N_("{n} request a second"), N_("{n} requests a second"))),
    (60, (N_("{n} request a minute"), N_("{n} requests a minute"))),
    (3600, (N_("{n} request an hour"), N_("{n} requests an hour"))),
)


def _pace_words(pace: float, _: Speaker) -> str:
    """A pace in requests a second, said per second, minute or hour, whichever reads as 1 or more.

    >>> [_pace_words(pace, Speaker()) for pace in (5.0, 0.5, 1 / 3600)]
    ['5 requests a second', '30 requests a minute', '1 request an hour']
    """
    per, forms = next(((p, f) for p, f in _PACES if pace * p >= 1), _PACES[-1])
    return _.ngettext(*forms, max(1, round(pace * per)))


def _timing(
    wait_for_quota: bool, window: str | None, days: str | None, tz: str, start_at: Any, wait_for_hours: bool
) -> Timing:
    """When a send may go on, from its options; :class:`InputError` for hours that cannot be read."""
    for name, value in (("wait_for_quota", wait_for_quota), ("wait_for_hours", wait_for_hours)):
        if not isinstance(value, bool):
            raise InputError(N_("{name}= must be True or False, not {value!r}."), values={"name": name, "value": value})
    hours = Hours.parse(window=window, days=days, tz=tz, start_at=start_at)
    return Timing(hours, wait_for_quota=wait_for_quota, wait_for_hours=wait_for_hours)


def _pace(workers: int | str, max_workers: int) -> Pace:
    """The pace a send's ``workers`` and ``max_workers`` ask for;
    :class:`InputError` naming the one that makes no sense.
    """
    if isinstance(max_workers, bool) or not isinstance(max_workers, int) or not 1 <= max_workers <= MOST_IN_FLIGHT:
        raise InputError(
            N_("max_workers= must be a whole number from 1 to {most}, not {value!r}."),
            values={"most": MOST_IN_FLIGHT, "value": max_workers},
        )
    if workers == "auto":
        return Pace(ceiling=max_workers)
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MOST_IN_FLIGHT:
        raise InputError(
            N_('workers= must be "auto" or a whole number from 1 to {most}, not {value!r}.'),
            values={"most": MOST_IN_FLIGHT, "value": workers},
        )
    return Pace(ceiling=workers, fixed=True)


@dataclass(frozen=True, eq=False, kw_only=True)
class Plan:
    """A campaign checked and ready to send; making it wrote nothing and sent nothing.

    ``rows`` are the checked rows and ``requests`` the API requests that will carry the rows to
    send; ``settled`` holds the rows already decided (invalid, repeated, or settled by an earlier
    run in the ledger); ``limit`` is the quota read when planning; ``to``, ``group`` and ``max_addresses``
    are the options it was planned with, stored with the campaign when it is sent. Shown in a notebook,
    a Plan is its dry-run frame (:meth:`to_frame`).

    >>> plan = mmsnb.plan(client, frame, subject="Hej", campaign="plan-example")
    >>> plan.to_frame().send_state.value_counts().head(2)
    send_state
    planned    57
    invalid     3
    Name: count, dtype: int64
    >>> results = plan.send(rate="100/s", progress=False)
    """

    client: Client
    frame: pd.DataFrame
    campaign: str
    ledger: Location | Ledger
    rows: list[Row]
    requests: list[Request]
    settled: dict[int, Outcome]
    limit: Limit
    files: dict[str, Attachment]
    per_row: bool = False
    retry_unknown: bool = False
    min_gap: MinGap | None = None
    processed: Media | None = None
    #: The subject (or its template) when one is used for every row; None when it comes from a column.
    subject: str | None = None
    to: str = "msisdn"
    group: bool = True
    max_addresses: int = 50
    #: The sending hours a send asking for none keeps: those of the campaign's latest send, for a resumed plan.
    hours: Hours | None = None

    @property
    def media(self) -> pd.DataFrame:
        """What sending will do to each distinct file: metadata removed, converted, fitted (and GPS found).

        The columns are those of :data:`mmsnb.media.REPORT_COLUMNS`.
        """
        assert self.processed is not None
        return self.processed.report()

    @property
    def recipients(self) -> int:
        """How many rows the requests carry."""
        return sum(len(r.positions) for r in self.requests)

    @property
    def other_networks(self) -> int:
        """How many recipients to send lie in another network's number range: they fail unless ported to Orange."""
        carriers = {row.position: row.carrier for row in self.rows}
        return sum(carriers.get(p) != ORANGE for r in self.requests for p in r.positions)

    def shortfall(self) -> str | None:
        """Why the quota read when planning cannot carry every request; None when it can (in English unless
        ``MMSNB_LANG`` says Polish)."""
        values = _shortfall(len(self.requests), self.limit)
        return None if values is None else Speaker(errors_language())(_SHORT, **values)

    def _unsettled(self, book: Ledger, outcomes: dict[int, Outcome]) -> list[Request]:
        """The requests still to send, without the recipients the ledger settled since the plan was made
        (their outcomes go into ``outcomes``)."""
        claims = book.claims(self.campaign)
        left = []
        for request in self.requests:
            addresses, positions = [], []
            for address, position in zip(request.addresses, request.positions, strict=True):
                hold = holding(claims.get(address, ()), request.content_key if self.per_row else "", self.retry_unknown)
                if hold is None:
                    addresses.append(address)
                    positions.append(position)
                else:
                    outcomes[position] = from_claim(hold)
            if addresses:
                left.append(replace(request, addresses=addresses, positions=positions))
        return left

    def _info(self, limit: Limit, requests: int, in_flight: tuple[tuple[str, int], ...] = ()) -> SendInfo:
        book = self.ledger.location if isinstance(self.ledger, Ledger) else self.ledger
        files = tuple(
            {"path": p, "bytes": a.size, "type": a.content_type, "sha256": a.digest.hex()}
            for p, a in self.files.items()
        )
        media = () if self.processed is None else tuple(self.processed.records())
        started = pd.Timestamp.now(tz="UTC").isoformat()
        return SendInfo(
            self.campaign, str(book), requests, limit.available, limit.resets_on, files, in_flight, media,
            subject=self.subject, started=started,
        )  # fmt: skip

    def _frame(self, outcomes: dict[int, Outcome], info: SendInfo) -> pd.DataFrame:
        """The input frame with the result columns."""
        out, lang = self.frame.copy(), errors_language()
        values: dict[str, list[Any]] = {c: [None] * len(self.rows) for c in RESULT_COLUMNS}
        for row in self.rows:
            o = outcomes[row.position]
            record = (
                row.address,
                row.carrier or None,  # no known network: missing, as a CSV gives it back
                o.state,
                o.message_id,
                o.request_no,
                o.http_status,
                o.error_code,
                o.said(lang=lang),
                o.sent_at,
            )
            for name, value in zip(RESULT_COLUMNS, record, strict=True):
                values[name][row.position] = value
        for name in RESULT_COLUMNS:
            out[name] = column(name, values[name], out.index)
        fixes = tuple(
            {"row": pos, "sentence": o.text(lang), "fix": {**asdict(o.fix), "others": list(o.fix.others)}}  # JSON-safe
            for pos, o in sorted(outcomes.items())
            if o.fix is not None and o.error is not None
        )
        return replace(info, fixes=fixes).attach(out)

    def to_frame(self) -> pd.DataFrame:
        """The dry run: every row with the state it would get,
        ``planned`` (with its request number) for those to send; ``.mms.info.starts`` and ``.ends`` say when a
        send now would start and roughly end (as :meth:`when` does).
        """
        return self._dry_run(Timing(), None)

    def _dry_run(self, timing: Timing, rate: str | None) -> pd.DataFrame:
        """The dry run of a send with ``timing`` and ``rate``."""
        outcomes = dict(self.settled)
        for no, request in enumerate(self.requests, 1):
            for pos in request.positions:
                outcomes[pos] = Outcome(state=SendState.PLANNED, request_no=no)
        told, _ = self._estimate(timing.hours, rate)
        info = replace(
            self._info(self.limit, len(self.requests)),
            starts=told.starts.astimezone(UTC).isoformat(),
            ends=None if told.ends is None else told.ends.astimezone(UTC).isoformat(),
        )
        return self._frame(outcomes, info)

    def _estimate(self, hours: Hours | None, rate: str | None) -> tuple[Estimate, float]:
        """When a send from now within ``hours`` would start and end, and the pace assumed (``rate``'s, at most
        :data:`~mmsnb.waiting.TYPICAL_PACE`)."""
        pace = TYPICAL_PACE if rate is None else min(TYPICAL_PACE, 1 / RateCap.parse(rate).interval)
        return estimate(len(self.requests), self.limit, hours, self.client.now(), pace), pace

    def __repr__(self) -> str:
        return self.said()

    def said(self, lang: str | None = None) -> str:
        """What the plan would do, in a sentence or two, in ``lang`` (default: ``MMSNB_LANG``, else English)."""
        _ = Speaker(language(lang))
        skipped = Counter(o.state for o in self.settled.values())
        told = ", ".join(_.ngettext(*_SKIPPED[s], skipped[s]) for s in _SKIPPED if skipped[s]) or _("nothing")
        lines = [
            _(
                "Plan {campaign}: {recipients} in {requests}; {available} available; {skipped} skipped.",
                campaign=repr(self.campaign),
                recipients=_.ngettext("{n} recipient", "{n} recipients", self.recipients),
                requests=_.ngettext("{n} request", "{n} requests", len(self.requests)),
                available=_.ngettext("{n} request", "{n} requests", self.limit.available),
                skipped=told,
            )
        ]
        if self.other_networks:
            lines.append(
                _.ngettext(
                    "{n} in other networks' ranges (they fail unless ported to Orange).",
                    "{n} in other networks' ranges (they fail unless ported to Orange).",
                    self.other_networks,
                )
            )
        if self.requests:
            lines.append(self.when(lang=_.lang))
        return " ".join(lines)

    def when(
        self,
        *,
        window: str | None = None,
        days: str | None = None,
        tz: str = TIME_ZONE,
        start_at: Any = None,
        rate: str | None = None,
        lang: str | None = None,
    ) -> str:
        """When the send would start and, from the quota read when planning and the pace, roughly when it would
        end, in a sentence (the plan's summary ends with it, for a send now) in ``lang`` (default: ``MMSNB_LANG``,
        else English). The options are those of :meth:`send`; the pace is ``rate``'s, at most
        :data:`~mmsnb.waiting.TYPICAL_PACE` requests a second. Past the quota, the estimate takes it to renew each
        day from the reset the gateway announced.

        >>> plan.when(window="08:00-20:00", start_at="2030-01-07 09:00")
        'It would start on Monday, 7 January 2030, 09:00 (Europe/Warsaw) and end around Monday, 7 January 2030,
        09:00 (Europe/Warsaw; at about 5 requests a second).'
        >>> plan.when(window="08:00-20:00", start_at="2030-01-07 09:00", lang="pl")
        'Start: poniedziałek, 7 stycznia 2030, 09:00 (Europe/Warsaw); przewidywany koniec: poniedziałek, 7 stycznia
        2030, 09:00 (Europe/Warsaw; w tempie około 5 wiadomości na sekundę).'
        """
        _ = Speaker(language(lang))
        timing = _timing(False, window, days, tz, start_at, True)
        told, pace = self._estimate(timing.hours, rate)
        zone = timing.tz
        at = {"zone": str(zone)}
        starts = (
            _("on {moment} ({zone})", moment=local_words(told.starts, zone, _.lang), **at) if told.waits else _("now")
        )
        if told.ends is None:
            return _("It would start {starts}; the quota allows no request now, so when it would end cannot be told.",
                     starts=starts)  # fmt: skip
        at.update(starts=starts, moment=local_words(told.ends, zone, _.lang), pace=_pace_words(pace, _))
        if told.resets:
            resets = _.ngettext("{n} quota reset", "{n} quota resets", told.resets)
            return _("It would start {starts} and end around {moment} ({zone}; at about {pace}; with "
                     "wait_for_quota=True, after {resets}).", resets=resets, **at)  # fmt: skip
        return _("It would start {starts} and end around {moment} ({zone}; at about {pace}).", **at)

    def _repr_html_(self) -> str:
        """The summary over the dry-run frame; in Polish, over the rows with what would happen to each in words
        (no column of the library's)."""
        _, frame = Speaker(language()), self.to_frame()
        if _.lang != "en":
            shown = self.frame.copy()
            shown[_("Outcome")] = [_(SEND_STATE_WORDS[str(state)]) for state in frame["send_state"]]
            shown[_("Why")] = frame["error"].fillna("").to_numpy()
            frame = shown
        table: str = frame._repr_html_()  # type: ignore[operator]
        return f"<p>{html.escape(self.said(_.lang))}</p>{table}"

    def send(
        self,
        *,
        workers: int | str = "auto",
        max_workers: int = 32,
        rate: str | None = None,
        allow_partial: bool = False,
        progress: Progress = None,
        wait_for_quota: bool = False,
        window: str | None = None,
        days: str | None = None,
        tz: str = TIME_ZONE,
        start_at: Any = None,
        wait_for_hours: bool = True,
    ) -> pd.DataFrame:
        """Send the plan; returns the frame with ``send_state``, ``message_id`` and the other result columns.

        The quota is read again first (:func:`send` uses the plan's reading). ``allow_partial=True``
        sends what it allows. Every request claims its recipients in the ledger before it leaves, so
        sending a plan again (or another run of the campaign at the same time) never sends twice. Before
        the first request leaves, the ledger stores the campaign (each recipient's message, the files once
        each), so that :func:`mmsnb.resume` can finish it from the ledger alone.

        Pace: with ``workers="auto"`` the number of requests in flight starts at 16, doubles while
        answers come back healthy, and halves when the gateway says "slow down" (429, 503) or a
        request times out, up to ``max_workers``; an integer keeps that many. ``rate="10/s"`` (or
        ``"600/min"``) spaces requests to a contract's rate. A "slow down" answer is waited out as
        told (up to the client's ``max_wait``) and the same request sent again under its intent.
        ``progress`` shows a bar (``None``: where one shows), none (``False``), or is a function told the rows
        done and the rows in all after each request (the Composer's bar).

        Larger than the quota: ``wait_for_quota=True`` sends what the quota allows, waits for the reset the
        gateway announced (reading the limit again, never assuming it renewed) and goes on, for as many resets
        as it takes. Sending hours: ``window="08:00-20:00"``, ``days="Mon-Sat"`` (or ``"Mon,Wed,Fri"``, or
        Polish ``"pn-sb"``) and ``start_at`` (a datetime or text such as ``"2026-12-05 10:00"``) in the time zone
        ``tz``: no request leaves outside them. A send waits for the next opening (``wait_for_hours=False``:
        it stops there instead, its unsent rows ``paused``, and sending it again later resumes it). The bar
        says what it waits for and until when. An interrupted wait leaves nothing claimed: send again to resume.
        A plan :func:`mmsnb.resume` makes keeps the hours the campaign was last sent with, unless others are given.
        """
        timing = _timing(wait_for_quota, window, days, tz, start_at, wait_for_hours)
        return self._execute(
            self.client.limit(),
            workers=workers,
            max_workers=max_workers,
            rate=rate,
            allow_partial=allow_partial,
            progress=progress,
            timing=timing if timing.hours is not None else replace(timing, hours=self.hours),
        )

    def _execute(
        self,
        limit: Limit,
        *,
        workers: int | str,
        max_workers: int,
        rate: str | None,
        allow_partial: bool,
        progress: Progress,
        timing: Timing,
    ) -> pd.DataFrame:
        """Send the requests the quota reading ``limit`` allows (as many readings as ``timing`` waits for)."""
        pace = _pace(workers, max_workers)
        cap = None if rate is None else RateCap.parse(rate)
        outcomes = dict(self.settled)
        with Ledger.open(self.ledger) as book:
            book.store(stored_campaign(self, timing.hours))
            book.record_quota(limit)
            requests = self._unsettled(book, outcomes)
            short = _shortfall(len(requests), limit)
            if short is not None and not allow_partial and not timing.wait_for_quota:
                if not limit.available:
                    raise QuotaError(_SHORT_NONE, values=short)
                raise QuotaError(
                    _SHORT,
                    values=short,
                    fix=Fix(
                        option="allow_partial",
                        value=True,
                        to=f"send the first {limit.available}, or group more recipients per request",
                        otherwise="Send to fewer numbers now, or run again after the reset.",
                    ),
                )

            def start_run() -> Run:
                return Run.start(
                    self.client,
                    book,
                    self.campaign,
                    per_row=self.per_row,
                    retry_unknown=self.retry_unknown,
                    pace=pace,
                    rate=cap,
                    min_gap=self.min_gap,
                    hours=timing.hours,
                )

            if requests:
                rounds = send_in_rounds(
                    self.client, book, self.campaign, requests, limit, timing, start_run=start_run, progress=progress
                )
                outcomes.update(rounds)
                _record_quota_after(self.client, book)
            else:  # nothing left (sent, opted out, held): a campaign paused or interrupted before is finished
                with suppress(LedgerError):
                    book.set_finished(self.campaign, if_recorded=True)
        return self._frame(outcomes, self._info(limit, len(requests), tuple(pace.decisions)))


def plan(
    client: Client,
    frame: pd.DataFrame,
    *,
    to: str = "msisdn",
    subject: str | None = None,
    attachments: Any = None,
    sender: str | None = None,
    priority: str | None = None,
    delivery_report: bool = True,
    campaign: str | None = None,
    ledger: LedgerSpec = None,
    per_row: bool = False,
    attachments_dir: str | os.PathLike[str] | None = None,
    group: bool = True,
    max_addresses: int = 50,
    retry_unknown: bool = False,
    max_message_bytes: int = MAX_MESSAGE_BYTES,
    min_gap: Any = None,
    fit: bool = False,
    keep_metadata: bool = False,
) -> Plan:
    """Check every row and plan the requests; nothing is written and nothing is sent.

    ``subject``, ``attachments``, ``sender`` and ``priority`` are each a constant or the name of
    a column; ``subject`` may be a template over the row's columns (``"Cześć {first_name}!"``).
    Files named in a column are read only from inside ``attachments_dir`` (default: the folder of
    the CSV read by :func:`read_recipients`, else the working directory). A message's attachments
    may total ``max_message_bytes`` (their raw bytes, before base64): ``fit=True`` re-encodes JPEG, PNG
    and GIF images (and converts WEBP and HEIC photos to JPEG) so that each message fits; without it an
    oversized row is ``invalid``. The EXIF (GPS included), XMP and comments of JPEG and PNG files are
    removed unless ``keep_metadata=True``. ``plan.media`` says what was done to each file.

    A number gets one message per campaign: repeats are ``duplicate``, and numbers an earlier run
    of the campaign settled (in the ``ledger``) are not planned again. ``per_row=True`` sends each
    row's own content to a number listed on several rows. The automatic ``campaign`` name comes
    from the message's content. Requests carry up to ``max_addresses`` numbers with the same
    content (``group=False``: one each). ``retry_unknown=True`` plans again the recipients whose
    earlier request had an unknown outcome.

    Numbers opted out in the ledger (:func:`mmsnb.opt_out`) are ``opted-out``. ``min_gap`` (``"7D"``,
    ``"36h"``) leaves out as ``too-soon`` the numbers that another campaign's message reached within
    that time (this campaign's own are governed by its claims). Both rules are applied again when
    each request claims its recipients, so a change made meanwhile by anyone sharing the ledger holds.

    >>> plan = mmsnb.plan(client, frame, subject="Cześć {first_name}!", attachments="data/promo.jpg")
    """
    check_limit(max_message_bytes)
    gap = None if min_gap is None else MinGap.parse(min_gap)
    if campaign is not None and (not isinstance(campaign, str) or not campaign.strip()):
        raise InputError(f"campaign= must be a name (text), or None for the automatic name; not {campaign!r}.")
    if campaign is not None:
        check_no_control("campaign name", campaign)
    checked = check_rows(
        frame,
        to=to,
        subject=subject,
        attachments=attachments,
        sender=sender,
        priority=priority,
        delivery_report=delivery_report,
        max_message_bytes=max_message_bytes,
        per_row=per_row,
        attachments_dir=attachments_dir,
        fit=fit,
        keep_metadata=keep_metadata,
    )
    frame = frame.copy()
    name = campaign or campaign_name(checked.meaning)
    where = ledger if isinstance(ledger, Ledger) else locate(ledger, gateway=client.base_url).absolute()
    settled = _checked_outcomes(frame, checked, per_row)
    candidates = [row for row in checked.rows if row.position not in settled]
    known = _known(where, name, list({str(row.address) for row in candidates}), gap)
    to_send = _to_send(candidates, known, settled, per_row=per_row, retry_unknown=retry_unknown, min_gap=gap)
    requests = group_requests(to_send, group=group, max_addresses=max_addresses)
    return Plan(
        client=client,
        frame=frame,
        campaign=name,
        ledger=where,
        rows=checked.rows,
        requests=requests,
        settled=settled,
        limit=client.limit(),
        files=checked.files,
        per_row=per_row,
        retry_unknown=retry_unknown,
        min_gap=gap,
        processed=checked.media,
        subject=checked.meaning["subject"] if isinstance(checked.meaning["subject"], str) else None,
        to=to,
        group=group,
        max_addresses=max_addresses,
    )


def send(
    client: Client,
    frame: pd.DataFrame,
    *,
    dry_run: bool = False,
    workers: int | str = "auto",
    max_workers: int = 32,
    rate: str | None = None,
    allow_partial: bool = False,
    progress: Progress = None,
    wait_for_quota: bool = False,
    window: str | None = None,
    days: str | None = None,
    tz: str = TIME_ZONE,
    start_at: Any = None,
    wait_for_hours: bool = True,
    **planning: Unpack[PlanOptions],
) -> pd.DataFrame:
    """Plan and send in one step: ``plan(client, frame, **planning).send(...)``; returns the results frame.

    ``planning`` takes every option of :func:`plan` (``to``, ``subject``, ``attachments``, ``sender``,
    ``priority``, ``delivery_report``, ``campaign``, ``ledger``, ``per_row``, ``attachments_dir``,
    ``group``, ``max_addresses``, ``retry_unknown``, ``max_message_bytes``, ``min_gap``, ``fit``,
    ``keep_metadata``; typed as :class:`mmsnb.options.PlanOptions`); the others are those
    of :meth:`Plan.send`. ``dry_run=True`` returns the plan's frame and sends nothing.

    >>> results = mmsnb.send(
    ...     client, frame, subject="Cześć {first_name}!", attachments="data/promo.jpg", campaign="send-example",
    ...     progress=False,
    ... )
    """
    check_options(planning, PLAN_OPTIONS, "send()", "help(mmsnb.send) and help(mmsnb.plan)", near=SEND_OPTIONS)
    timing = _timing(wait_for_quota, window, days, tz, start_at, wait_for_hours)
    planned = plan(client, frame, **planning)
    if dry_run:
        return planned._dry_run(timing, rate)
    return planned._execute(
        planned.limit,
        workers=workers,
        max_workers=max_workers,
        rate=rate,
        allow_partial=allow_partial,
        progress=progress,
        timing=timing,
    )
