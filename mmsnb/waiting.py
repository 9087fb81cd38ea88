"""Campaigns larger than the quota, and sending hours: send what may go now, wait, and go on.

A send goes in rounds. Each round sends what the quota reading allows while the sending hours are open;
a request whose turn comes after the hours close is not begun (no intent is written), and the round
ends. Between rounds the campaign waits, when asked to: for the next opening of its hours, or for the
quota reset the gateway announced (the limit is read again after the wait, never assumed renewed). The
waiting is by ``client.now`` and ``client.sleep``, so a test's virtual clock waits without waiting. A
waiting run holds no claim: interrupted, it leaves the campaign to be resumed by sending it again.

The ledger keeps each campaign's state (sending, paused, waiting for the quota, finished), with the live
run that holds it there; when that run dies, the campaign reads as interrupted.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from tqdm.auto import tqdm

from .client import Client
from .dispatch import Progress, Run, dispatch
from .errors import LedgerError
from .gateway_answers import Limit
from .ledger import CampaignState, Ledger
from .result_columns import Outcome, SendState
from .rows import Request
from .schedule import Hours, LocalTime, awaited
from .words import N_, TIME_ZONE, Counted, Day, Later, Phrase, Speaker, errors_language

#: The first wait when a quota reading still says 0 on or after the day it named; each next one doubles, up to
#: :data:`LONGEST_RETRY` seconds (the card gives the reset's day, not its hour).
FIRST_RETRY = 30.0
LONGEST_RETRY = 900.0
#: A waiting run writes to the ledger at least this often, so that runs elsewhere see it alive (its lease).
HEARTBEAT = 300.0
#: The time zone of the gateway's reset date (Orange Polska's).
GATEWAY_TZ = ZoneInfo(TIME_ZONE)


@dataclass(frozen=True)
class Timing:
    """When a send may go on: its sending ``hours`` (None: any time), whether it waits for the quota reset
    (``wait_for_quota``) and for the next opening of its hours (``wait_for_hours``; else it stops there)."""

    hours: Hours | None = None
    wait_for_quota: bool = False
    wait_for_hours: bool = True

    @property
    def tz(self) -> ZoneInfo:
        """The time zone its times are said in."""
        return GATEWAY_TZ if self.hours is None else self.hours.tz


def reset_moment(resets_on: date | None) -> datetime | None:
    """The start of the day the gateway said its counter resets on, in its time zone."""
    return None if resets_on is None else datetime.combine(resets_on, time(0), tzinfo=GATEWAY_TZ)


@runtime_checkable
class Watching(Protocol):
    """A ``progress`` function that is also told of each wait (the Composer's progress line): ``wait`` says what
    the campaign waits for and until when, in each language."""

    def __call__(self, done: int, total: int) -> None: ...

    def waiting(self, wait: Later) -> None:
        """The campaign waits: ``wait`` says for what and until when."""


class Waiter:
    """Waits for a campaign by the client's clock, recording its state in the ledger and showing it on a bar (or
    telling a :class:`Watching` progress function)."""

    def __init__(self, client: Client, book: Ledger, campaign: str, timing: Timing, progress: Progress) -> None:
        self.client, self.book, self.campaign, self.timing = client, book, campaign, timing
        self.shown = progress is None or progress is True
        self.watching = progress if isinstance(progress, Watching) else None

    def until(self, moment: datetime, state: CampaignState, why: Phrase) -> None:
        """Wait until ``moment`` (by ``client.now``), writing the state at least every :data:`HEARTBEAT` seconds.

        Interrupted, the wait's run ends and the campaign reads as interrupted: nothing is claimed, nothing lost.
        """
        run_id = self.book.start_run(self.campaign)
        zone = str(self.timing.tz)
        wait = Phrase(
            N_("waiting for {why}, until {until} ({zone})"),
            {"why": why, "until": LocalTime(moment, self.timing.tz), "zone": zone},
        )
        if self.watching is not None:
            self.watching.waiting(wait)
        _ = Speaker(errors_language())
        bar = tqdm(total=0, bar_format="{desc}", desc=f"{self.campaign}: {wait.said(_)}", disable=not self.shown)
        reason = f"Waiting for {why}."
        try:
            while True:
                record(self.book, self.campaign, state, reason=reason, until=moment, run_id=run_id)
                left = (moment - self.client.now()).total_seconds()
                if left <= 0:
                    return
                self.client.sleep(min(left, HEARTBEAT))
        finally:
            bar.close()
            with suppress(LedgerError):
                self.book.end_run(run_id)

    def for_quota(self, limit: Limit) -> Limit:
        """Wait until a reading of the limit allows a request: until the day the gateway named, then (while it
        still says 0) at growing intervals; each reading is kept in the ledger."""
        step = FIRST_RETRY
        while limit.available == 0:
            now, reset = self.client.now(), reset_moment(limit.resets_on)
            if reset is not None and reset > now:
                moment = reset
            else:
                moment, step = now + timedelta(seconds=step), min(step * 2, LONGEST_RETRY)
            day = Phrase(N_("an unnamed day")) if limit.resets_on is None else Day(limit.resets_on)
            why = Phrase(N_("the quota to reset (the gateway said on {day})"), {"day": day})
            self.until(moment, CampaignState.WAITING_FOR_QUOTA, why)
            limit = self.client.limit()
            self.book.record_quota(limit)
        return limit


def record(book: Ledger, campaign: str, state: CampaignState, **told: Any) -> None:
    """Record the campaign's state, if the ledger can (a failing ledger stops the send where it matters)."""
    with suppress(LedgerError):
        book.set_state(campaign, state, **told)


def _leave(
    outcomes: dict[int, Outcome],
    requests: list[Request],
    state: SendState,
    error: str | None,
    said_as: tuple[str, dict[str, object]] | None,
) -> None:
    """Give every row of ``requests`` the outcome of rows left unsent (``said_as``: its error as a message of the
    catalogue)."""
    for request in requests:
        for pos in request.positions:
            outcomes[pos] = Outcome(state=state, error=error, said_as=said_as)


def _offset(progress: Progress, before: int, total: int) -> Progress:
    """``progress`` for a round that starts with ``before`` rows done of the send's ``total``."""
    if not callable(progress):
        return progress
    told = progress
    return lambda done, _: told(before + done, total)


def send_in_rounds(
    client: Client,
    book: Ledger,
    campaign: str,
    requests: list[Request],
    limit: Limit,
    timing: Timing,
    *,
    start_run: Callable[[], Run],
    progress: Progress,
) -> dict[int, Outcome]:
    """Send ``requests`` in as many rounds as the quota and the hours take (one, unless waiting is asked for);
    the outcome of each row. Records the campaign's state as it goes, and at the end."""
    outcomes: dict[int, Outcome] = {}
    waiter = Waiter(client, book, campaign, timing, progress)
    total, left = sum(len(r.positions) for r in requests), requests
    while left:
        now = client.now()
        why = None if timing.hours is None else timing.hours.closed(now)
        if why is not None and timing.hours is not None:
            opening = timing.hours.next_opening(now)
            if not timing.wait_for_hours:
                said_as: tuple[str, dict[str, object]] = (
                    N_("Not sent: {why} Send the campaign again then to resume it."),
                    {"why": why},
                )
                _leave(outcomes, left, SendState.PAUSED, Speaker(errors_language())(said_as[0], why=why), said_as)
                record(book, campaign, CampaignState.PAUSED, reason=Speaker()(said_as[0], why=why), until=opening)
                return outcomes
            waiter.until(opening, CampaignState.PAUSED, awaited(timing.hours, now))
            limit = client.limit()  # it may have renewed meanwhile
            book.record_quota(limit)
            continue
        if limit.available == 0 and timing.wait_for_quota:
            limit = waiter.for_quota(limit)
            continue
        if limit.available == 0:
            break
        fitting, over = left[: limit.available], left[limit.available :]
        run = start_run()
        record(book, campaign, CampaignState.SENDING, run_id=run.run_id)
        done = dispatch(run, fitting, progress=_offset(progress, total - sum(len(r.positions) for r in left), total))
        outcomes.update(done)
        again = [r for r in fitting if any(done[p].state in (SendState.QUOTA, SendState.PAUSED) for p in r.positions)]
        left = again + over
        if run.stop.state not in (None, SendState.QUOTA, SendState.PAUSED):  # credentials refused, ledger failing
            _leave(outcomes, over, run.stop.state or SendState.STOPPED, run.stop.reason, run.stop.said_as)
            record(book, campaign, CampaignState.INTERRUPTED, reason=run.stop.reason)
            return outcomes
        if not left or not (timing.wait_for_quota or timing.hours is not None):
            break
        limit = client.limit()
        book.record_quota(limit)
        if run.stop.state == SendState.QUOTA:  # the gateway refused for the quota: none is left, whatever it counts
            limit = replace(limit, available=0)
    if left:
        _leave_for_quota(outcomes, left, limit)
        day = "an unnamed day" if limit.resets_on is None else Day(limit.resets_on)
        record(
            book,
            campaign,
            CampaignState.PAUSED,
            reason=f"The quota is used up; the gateway said it resets on {day}.",
            until=reset_moment(limit.resets_on),
        )
    else:
        with suppress(LedgerError):
            book.set_finished(campaign)
    return outcomes


def _leave_for_quota(outcomes: dict[int, Outcome], requests: list[Request], limit: Limit) -> None:
    """The rows the quota left unsent (those a refusal of the gateway already explains keep its sentence)."""
    said_as: tuple[str, dict[str, object]] = (
        N_("Not sent: the quota allows {available} now; run again after it resets on {day}."),
        {"available": Counted("{n} request", "{n} requests", limit.available), "day": limit.resets_on},
    )
    for request in requests:
        for pos in request.positions:
            if outcomes.get(pos) is None or outcomes[pos].state != SendState.QUOTA:
                outcomes[pos] = Outcome(state=SendState.QUOTA, said_as=said_as)


#: The pace a plan's estimate assumes, in requests a second: what a healthy gateway answers (``rate=`` caps it).
TYPICAL_PACE = 5.0
#: An estimate looks this many quota windows or openings ahead at most.
_HORIZON = 3650


def _next_reset(after: datetime, announced: datetime | None) -> datetime:
    """The next quota reset after ``after``: the one the gateway announced, else the next midnight in its zone."""
    if announced is not None and announced > after:
        return announced
    day = after.astimezone(GATEWAY_TZ).date() + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=GATEWAY_TZ)


@dataclass(frozen=True)
class Estimate:
    """When a send would start (``waits``: later than now) and roughly end (None: it cannot be told), and the
    quota resets it would wait for."""

    starts: datetime
    ends: datetime | None
    resets: int
    waits: bool = False


def estimate(requests: int, limit: Limit, hours: Hours | None, now: datetime, pace: float) -> Estimate:
    """When ``requests`` sent from ``now`` at ``pace`` requests a second would start and end: within ``hours``,
    waiting for the quota, which is taken to renew to its full size (``used + available``) at the reset the
    gateway announced and at each midnight after it (the card names the day only)."""
    starts = now if hours is None else hours.next_opening(now)
    at, left, available, resets, full = starts, requests, limit.available, 0, limit.used + limit.available
    if _next_reset(now, reset_moment(limit.resets_on)) <= starts:  # it renews before the hours open
        available = full
    for _ in range(_HORIZON):
        if left == 0:
            return Estimate(starts, at, resets, starts > now)
        at = at if hours is None else hours.next_opening(at)
        if available == 0:
            if full == 0:
                break
            at, available, resets = _next_reset(at, reset_moment(limit.resets_on)), full, resets + 1
            continue
        closes = None if hours is None else hours.closes_at(at)
        room = left if closes is None else int((closes - at).total_seconds() * pace)
        sent = min(left, available, room)
        if sent == 0 and closes is not None:
            at = closes
            continue
        at, left, available = at + timedelta(seconds=sent / pace), left - sent, available - sent
    return Estimate(starts, None, resets, starts > now)
