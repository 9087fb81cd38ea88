"""Carry a plan's requests to the gateway: claim, send within the pace, record the outcome.

Each request takes its place in flight, then claims its recipients and writes its intent in one
ledger transaction, then goes out; its answer goes to the ledger with the next transaction (before any
later intent), and its rows are reported once it is committed.

>>> plan = mmsnb.plan(client, frame.head(3), subject="Hej", campaign="dispatch-example", ledger="out/ledger.sqlite")
>>> plan.send(progress=False).send_state.astype(str).tolist()  # dispatch carries plan.requests
['accepted', 'accepted', 'accepted']
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack, contextmanager, suppress
from dataclasses import dataclass, replace
from itertools import count
from typing import Any

from tqdm.auto import tqdm

from .client import Client
from .errors import (
    AuthError,
    ConfigError,
    Fix,
    LedgerError,
    MMSError,
    QuotaError,
    RedirectError,
    ThrottledError,
    TransportError,
)
from .gateway_answers import SendResult, refused
from .ledger import Begun, Claim, ClaimState, Ledger, RequestState, now
from .ledger.group import Pending
from .message import Message
from .pacing import Pace, RateCap, Ticket
from .result_columns import Outcome, SendState
from .rows import Request
from .rules import MinGap, opted_out
from .schedule import Hours
from .words import N_, Later, Phrase, Speaker, errors_language


def from_claim(claim: Claim) -> Outcome:
    """What a recipient's existing claim means for this run's row."""
    if claim.state == ClaimState.ACCEPTED:
        return Outcome(
            state=SendState.ALREADY_SENT,
            message_id=claim.message_id,
            request_no=claim.request_no,
            http_status=claim.http_status,
            sent_at=claim.done_at,
        )
    if claim.state == ClaimState.IN_PROGRESS:
        return Outcome(
            state=SendState.IN_PROGRESS,
            request_no=claim.request_no,
            said_as=(
                N_(
                    "Another run of this campaign is sending to this number now (its request {request_no}); "
                    "not sent again here. Run again later to see its outcome."
                ),
                {"request_no": claim.request_no},
            ),
        )
    if claim.state == ClaimState.UNKNOWN:
        return Outcome(
            state=SendState.UNKNOWN,
            message_id=claim.message_id,
            request_no=claim.request_no,
            http_status=claim.http_status,
            error_code=claim.error_code,
            said_as=(
                N_("An earlier request may have reached the gateway ({reason}); not repeated.")
                if claim.error
                else N_(
                    "An earlier request may have reached the gateway (the run stopped while this request was under "
                    "way); not repeated."
                ),
                {"reason": claim.error},
            ),
            fix=Fix(option="retry_unknown", value=True, to="send it again"),
        )
    return Outcome(
        state=SendState.REJECTED,
        request_no=claim.request_no,
        http_status=claim.http_status,
        error_code=claim.error_code,
        error=claim.error,
    )


class _Stop:
    """Set once when the campaign must stop (quota used up, credentials refused, ledger failing, interrupted)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.state: SendState | None = None
        self.reason = ""
        self.said_as: tuple[str, dict[str, object]] | None = None

    def set(self, state: SendState, exc: Exception | Later | str) -> None:
        """Stop with ``state`` for the reason ``exc`` (kept as a message of the catalogue, to say it in each
        language; ``reason`` says it in the language of the library's sentences)."""
        with self._lock:
            if self.state is None:
                why = exc if isinstance(exc, Exception | Later) else Phrase(exc)
                self.said_as = (N_("Not sent: {why} Run again to resume."), {"why": why})
                self.state, self.reason = state, Speaker(errors_language())(self.said_as[0], why=why)

    def left(self, state: SendState, **more: Any) -> Outcome:
        """The outcome of a row this stop leaves unsent."""
        return Outcome(state=state, error=self.reason, said_as=self.said_as, **more)


def _settle(exc: MMSError) -> tuple[RequestState, SendState, SendState | None]:
    """For an error from a send: the ledger's request state, the rows' state, and the state of the rows
    not yet sent when the campaign must stop (None: it goes on).

    A certain refusal (:func:`~mmsnb.gateway_answers.refused`) is ``unsent`` in the ledger: a later run sends it again.
    """
    if isinstance(exc, (QuotaError, ThrottledError)):
        return RequestState.UNSENT, SendState.QUOTA, SendState.QUOTA
    stop = SendState.REJECTED if isinstance(exc, (AuthError, ConfigError, RedirectError)) else None
    if refused(exc):
        return RequestState.UNSENT, SendState.REJECTED, stop
    return RequestState.UNKNOWN, SendState.UNKNOWN, stop


@dataclass(frozen=True, kw_only=True)
class Run:
    """What every request of one run shares."""

    client: Client
    ledger: Ledger
    run_id: int
    campaign: str
    per_row: bool
    retry_unknown: bool
    pace: Pace
    rate: RateCap | None
    stop: _Stop
    min_gap: MinGap | None = None
    on_wait: Callable[[float], None] = lambda seconds: None
    hours: Hours | None = None

    @classmethod
    def start(
        cls,
        client: Client,
        ledger: Ledger,
        campaign: str,
        *,
        per_row: bool,
        retry_unknown: bool,
        pace: Pace,
        rate: RateCap | None,
        min_gap: MinGap | None = None,
        hours: Hours | None = None,
    ) -> Run:
        """A new run of ``campaign``, registered in the ledger."""
        run_id = ledger.start_run(campaign)
        return cls(
            client=client,
            ledger=ledger,
            run_id=run_id,
            campaign=campaign,
            per_row=per_row,
            retry_unknown=retry_unknown,
            pace=pace,
            rate=rate,
            stop=_Stop(),
            min_gap=min_gap,
            hours=hours,
        )


class _ClaimTaken(MMSError):
    """While a request waited out a "slow down", another run took its recipients (it judged this run gone)."""


class _Closed(MMSError):
    """While a request waited out a "slow down", its campaign's sending hours closed: it waits for the opening."""

    def __init__(self, why: Phrase) -> None:
        super().__init__(why.message, values=why.values)
        self.why = why


class _KeptOut(MMSError):
    """While a request waited out a "slow down", the rules came to keep some of its recipients out."""

    def __init__(self, resumed: Begun) -> None:
        super().__init__("Some recipients opted out, or were reached by another campaign, while the request waited.")
        self.resumed = resumed


class _Taken:
    """A request's recipients as last taken: fewer after a wait when the rules came to keep some out."""

    def __init__(self, begun: Begun) -> None:
        self.begun = begun

    def narrow(self, resumed: Begun) -> None:
        """Go on with the recipients ``resumed`` kept; remember why the others were left out."""
        begun = self.begun
        self.begun = replace(
            begun,
            claimed=resumed.claimed,
            opted_out={**begun.opted_out, **resumed.opted_out},
            too_soon={**begun.too_soon, **resumed.too_soon},
        )


@dataclass(frozen=True)
class _Written:
    """A request's outcome on its way to the ledger: its rows are reported once it is committed."""

    pending: Pending[str]
    state: RequestState
    outcome: Outcome


#: A request's rows' outcomes, and the outcome written to the ledger if one was (None: nothing to wait for).
Settled = tuple[dict[int, Outcome], _Written | None]


def _attempt(run: Run, request: Request) -> Settled:
    """Take a place in flight, claim the request's recipients and write its intent, send to those claimed,
    write the outcome.

    The intent is written only once the request has its place, so a killed run leaves in doubt
    only the requests that were really under way. The outcome is not waited for here (see :func:`_recorded`).
    """
    pairs = list(zip(request.addresses, request.positions, strict=True))
    with ExitStack() as gate:
        ticket = gate.enter_context(run.pace.slot())
        if run.stop.state is not None:
            return {pos: run.stop.left(run.stop.state) for pos in request.positions}, None
        if run.rate is not None:
            run.rate.wait()
        closed = None if run.hours is None else run.hours.closed(run.client.now())
        if closed is not None:  # no intent is written outside the sending hours: the rest waits for the opening
            run.stop.set(SendState.PAUSED, closed)
            return {pos: run.stop.left(SendState.PAUSED) for pos in request.positions}, None
        message = request.message
        try:
            begun = run.ledger.begin(
                run.run_id,
                run.campaign,
                request.content_key,
                request.addresses,
                message.delivery_report,
                slot=request.content_key if run.per_row else "",
                retry_unknown=run.retry_unknown,
                contacted_since=None if run.min_gap is None else run.min_gap.since(),
            )
        except LedgerError as exc:
            run.stop.set(SendState.STOPPED, exc)
            return {pos: run.stop.left(SendState.STOPPED) for pos in request.positions}, None
        if not begun.claimed:
            return _left_out(run, begun, pairs), None
        taken = _Taken(begun)
        try:
            result = _paced_send(run, taken, message, gate.pop_all(), ticket)
        except MMSError as exc:
            return _failed(run, taken.begun, pairs, exc)
    out = _left_out(run, taken.begun, pairs)
    if result is None:
        return out, None
    assert begun.request_id is not None
    outcome = Outcome(
        state=SendState.ACCEPTED,
        message_id=result.message_id,
        request_no=begun.request_no,
        http_status=result.http_status,
    )
    written = _finish(
        run,
        begun.request_id,
        RequestState.ACCEPTED,
        outcome,
        message_id=result.message_id,
        http_status=result.http_status,
    )
    return {**out, **{pos: outcome for pos in request.positions if pos not in out}}, written


def _failed(run: Run, begun: Begun, pairs: list[tuple[str, int]], exc: MMSError) -> Settled:
    """The outcomes of a request the gateway did not accept (or that was not sent), written to the ledger."""
    assert begun.request_id is not None
    out = _left_out(run, begun, pairs)
    positions = [pos for _, pos in pairs if pos not in out]
    if isinstance(exc, _ClaimTaken):
        outcome = Outcome(state=SendState.IN_PROGRESS, request_no=begun.request_no, error=str(exc))
        written = _finish(run, begun.request_id, RequestState.UNSENT, outcome, error=str(exc))
        return {**out, **{pos: outcome for pos in positions}}, written
    if isinstance(exc, _Closed):
        run.stop.set(SendState.PAUSED, exc.why)
        outcome = run.stop.left(SendState.PAUSED, request_no=begun.request_no)
        written = _finish(run, begun.request_id, RequestState.UNSENT, outcome, error=run.stop.reason)
        return {**out, **{pos: outcome for pos in positions}}, written
    ledger_state, row_state, stop_state = _settle(exc)
    if stop_state is not None:
        run.stop.set(stop_state, exc)
    error, said = exc.sentence, None if exc.template is None else (exc.template, dict(exc.values))
    if row_state == SendState.UNKNOWN and not isinstance(exc, TransportError):
        error += " The message may have been accepted, so it is not repeated."
        sentence = exc.sentence if said is None else Phrase(*said)
        said = (N_("{sentence} The message may have been accepted, so it is not repeated."), {"sentence": sentence})
    outcome = Outcome(
        state=row_state,
        request_no=begun.request_no,
        http_status=exc.http_status,
        error_code=exc.code,
        error=error,
        fix=exc.fix,
        said_as=said,
    )
    written = _finish(
        run,
        begun.request_id,
        ledger_state,
        outcome,
        http_status=exc.http_status,
        error_code=exc.code,
        error=str(exc),
    )
    return {**out, **{pos: outcome for pos in positions}}, written


def _left_out(run: Run, begun: Begun, pairs: list[tuple[str, int]]) -> dict[int, Outcome]:
    """The outcomes of the rows the request did not claim: held by a claim, opted out, or contacted too recently."""
    out: dict[int, Outcome] = {}
    for address, pos in pairs:
        if address in begun.held:
            out[pos] = from_claim(begun.held[address])
        elif address in begun.opted_out:
            out[pos] = opted_out(begun.opted_out[address])
        elif address in begun.too_soon:
            assert run.min_gap is not None
            out[pos] = run.min_gap.too_soon(begun.too_soon[address])
    return out


def _finish(run: Run, request_id: int, state: RequestState, outcome: Outcome, **record: Any) -> _Written:
    """Hand a request's outcome to the ledger's next transaction, without waiting for it."""
    return _Written(run.ledger.finish_later(request_id, state, **record), state, outcome)


def _recorded(run: Run, written: _Written) -> None:
    """Once a request's outcome is committed: its time onto an accepted row; when the ledger failed, stop the
    run and say so."""
    state, outcome = written.state, written.outcome
    try:
        at = written.pending.wait()
    except LedgerError as failure:
        run.stop.set(SendState.STOPPED, failure)
        _ = Speaker(errors_language())
        if state == RequestState.ACCEPTED:
            outcome.sent_at = now()
            outcome.error = _(
                "Accepted, but the ledger could not record it ({failure}) Keep these results: the ledger "
                "shows this request as unknown, so it is not sent again.",
                failure=failure,
            )
        else:
            outcome.error = _(
                "{error} The ledger could not record this: {failure}", error=outcome.text(_.lang), failure=failure
            )
        outcome.said_as = None  # said above, in the language of the library's sentences
        return
    if state == RequestState.ACCEPTED:
        outcome.sent_at = at


def _paced_send(run: Run, taken: _Taken, message: Message, gate: ExitStack, ticket: Ticket) -> SendResult | None:
    """Send within the pace: the first attempt in the place already held (``gate``), each later one in a new place.

    While a "slow down" is waited out the request is marked ``throttled`` in the ledger (a re-run
    after a crash may send it: the gateway did not take it). Once it has its place again it takes its
    claims back, checking opt-outs and ``min_gap`` anew in the same transaction: the recipients now kept
    out leave the request (``taken`` says which), and it goes out to the others. None: none was left.
    """
    request_id, attempts = taken.begun.request_id, count()
    assert request_id is not None

    @contextmanager
    def first() -> Iterator[None]:
        with gate, run.pace.observe(ticket):
            yield

    def take_back() -> None:
        closed = None if run.hours is None else run.hours.closed(run.client.now())
        if closed is not None:
            raise _Closed(closed)
        since = None if run.min_gap is None else run.min_gap.since()
        resumed = run.ledger.resume(run.run_id, request_id, contacted_since=since)
        if resumed is None:
            raise _ClaimTaken(
                'Another run of this campaign took these recipients while this request waited out a "slow down"; '
                "not sent here. Run again later to see its outcome."
            )
        if resumed.opted_out or resumed.too_soon:
            raise _KeptOut(resumed)

    def attempt() -> AbstractContextManager[None]:
        return first() if next(attempts) == 0 else run.pace.attempt(run.rate, take_back)

    def waiting(seconds: float) -> None:
        run.ledger.pause(run.run_id, request_id)
        run.on_wait(seconds)

    try:
        while taken.begun.claimed:
            try:
                return run.client.send_checked(taken.begun.claimed, message, attempt=attempt, on_wait=waiting)
            except _KeptOut as kept:  # sent again, to the recipients left, each attempt taking them back anew
                taken.narrow(kept.resumed)
        return None
    finally:
        gate.close()


#: Seconds between two reports of the rows done (the bar, a ``progress`` function): the requests that ended
#: meanwhile are reported together, so that the thread reporting them is not woken for each.
REPORT_EVERY = 0.05


class _Finished:
    """The requests' futures as they end, taken by the reporting thread in batches."""

    def __init__(self, total: int) -> None:
        self._ended: deque[Future[Settled]] = deque()
        self._left = total
        self._lock = threading.Lock()
        self._all = threading.Event()

    def add(self, future: Future[Settled]) -> None:
        self._ended.append(future)
        with self._lock:
            self._left -= 1
            if self._left == 0:
                self._all.set()

    def taken(self, wait: float) -> list[Future[Settled]]:
        """The futures ended since the last call, after waiting ``wait`` seconds unless every one has ended."""
        self._all.wait(wait)
        return [self._ended.popleft() for _ in range(len(self._ended))]


#: A progress bar (True; None: where one shows), none (False), or a function told ``(rows done, rows in all)``.
Progress = bool | Callable[[int, int], None] | None


def _pace_words(_: Speaker, done: int, requests: int, in_flight: int, elapsed: float) -> str:
    """The progress bar's note on the pace, in plain words: messages sent of all, at what pace, how many at once."""
    return _(
        "{done} of {sent}; {rate} a second; {in_flight} at once",
        done=_.number(done),
        sent=_.ngettext("{n} message", "{n} messages", requests),
        rate=_.number(done / max(elapsed, 1e-9)),
        in_flight=_.number(in_flight),
    )


def dispatch(run: Run, requests: list[Request], *, progress: Progress) -> dict[int, Outcome]:
    """Send ``requests`` on a thread pool, as fast as the pace allows, with a progress bar (or ``progress`` told
    the rows done after each request); the outcome of each row."""
    outcomes: dict[int, Outcome] = {}
    total = sum(len(r.positions) for r in requests)
    _ = Speaker(errors_language())
    shown = progress is not False and not callable(progress)
    bar = tqdm(
        total=total, unit=_("recipients"), desc=_("Sending {campaign}", campaign=run.campaign), disable=not shown
    )
    started = last = time.monotonic()
    run = replace(
        run,
        on_wait=lambda seconds: bar.set_postfix_str(
            _("waiting {seconds} s: the gateway asked to slow down", seconds=_.number(seconds))
        ),
    )
    # A thread per place: the outcome is handed on (not waited for), so a thread's place is free when it goes on.
    pool = ThreadPoolExecutor(max_workers=min(run.pace.ceiling, len(requests)))
    finished = _Finished(len(requests))
    try:
        for r in requests:
            pool.submit(_attempt, run, r).add_done_callback(finished.add)
        done = 0
        while done < len(requests):
            ended = finished.taken(REPORT_EVERY)
            for future in ended:
                settled, written = future.result()
                if written is not None:
                    _recorded(run, written)
                outcomes.update(settled)
                bar.update(len(settled))
                done += 1
            if not ended:
                continue
            if callable(progress):
                progress(len(outcomes), total)
            at = time.monotonic()
            if shown and (at - last >= bar.mininterval or done == len(requests)):  # words made as often as shown
                bar.set_postfix_str(_pace_words(_, done, len(requests), run.pace.limit, at - started), refresh=False)
                last = at
    except BaseException:
        run.stop.set(SendState.STOPPED, N_("the run was interrupted."))
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
        with suppress(LedgerError):
            run.ledger.end_run(run.run_id)
    return outcomes
