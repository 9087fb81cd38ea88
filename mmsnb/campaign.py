"""Send a campaign: a table of recipients in, the same table with outcomes out.

>>> results = mmsnb.send(client, frame, to="msisdn", subject="Cześć {first_name}!",
...                      attachments="data/promo.jpg", campaign="spring")   # doctest: +SKIP
>>> results.send_state.value_counts()                                        # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, replace
from itertools import count
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from .client import Client
from .errors import (
    AuthError,
    BadRequestError,
    InputError,
    LedgerError,
    MMSError,
    NotFoundError,
    QuotaError,
    RedirectError,
    ThrottledError,
    TransportError,
)
from .ledger import Begun, Claim, Ledger, holding, now
from .answers import SendResult
from .pacing import MOST_IN_FLIGHT, Pace, RateCap, Ticket
from .plan import Checked, Content, Request, Row, check_rows, group_requests

#: The outcome of each row of a send.
SEND_STATES = (
    "accepted", "invalid", "rejected", "duplicate", "quota", "unknown", "already-sent", "in-progress", "stopped", "planned",
)
SEND_STATE_DTYPE = pd.CategoricalDtype(list(SEND_STATES))
RESULT_COLUMNS = ("address", "carrier_hint", "send_state", "message_id", "request_no", "http_status", "error_code", "error", "sent_at")
_RESULT_DTYPES = {"send_state": SEND_STATE_DTYPE, "request_no": "Int64", "http_status": "Int64", "error_code": "Int64"}


@dataclass
class _Outcome:
    state: str
    message_id: str | None = None
    request_no: int | None = None
    http_status: int | None = None
    error_code: int | None = None
    error: str | None = None
    sent_at: str | None = None


def campaign_name(meaning: dict[str, Any]) -> str:
    """A name derived from what the message means (content digests, subject template, sender…), not how it was spelled.

    >>> campaign_name({"subject": "Hej", "attachments": []})
    'auto-5465ffcba600e86b'
    """
    digest = hashlib.sha256(json.dumps(meaning, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8", "replace"))
    return "auto-" + digest.hexdigest()[:16]


def _from_claim(claim: Claim) -> _Outcome:
    """What a recipient's existing claim means for this run's row."""
    if claim.state == "accepted":
        return _Outcome("already-sent", claim.message_id, claim.request_no, claim.http_status, None, None, claim.done_at)
    if claim.state == "in-progress":
        return _Outcome("in-progress", None, claim.request_no, error=(
            f"Another run of this campaign is sending to this number now (its request {claim.request_no}); not sent again here. "
            "Run again later to see its outcome."))
    if claim.state == "unknown":
        reason = claim.error or "the run stopped while this request was under way"
        return _Outcome("unknown", claim.message_id, claim.request_no, claim.http_status, claim.error_code,
                        f"An earlier request may have reached the gateway ({reason}); not repeated. Pass retry_unknown=True to send it again.")
    return _Outcome("rejected", None, claim.request_no, claim.http_status, claim.error_code, claim.error)


class _Stop:
    """Set once when the campaign must stop (quota used up, credentials refused, ledger failing, interrupted)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.state: str | None = None
        self.reason = ""

    def set(self, state: str, exc: Exception | str) -> None:
        with self._lock:
            if self.state is None:
                self.state, self.reason = state, f"Not sent: {exc} Run again to resume."


def _settle(exc: MMSError) -> tuple[str, str, str | None]:
    """For an error from a send: the ledger's request state, the rows' state, and the state of the rows
    not yet sent when the campaign must stop (None: it goes on)."""
    if isinstance(exc, (QuotaError, ThrottledError)):
        return "unsent", "quota", "quota"
    if isinstance(exc, RedirectError) and exc.http_status == 303:
        return "unknown", "unknown", "rejected"
    if isinstance(exc, (AuthError, RedirectError)):
        return "unsent", "rejected", "rejected"
    if isinstance(exc, (BadRequestError, InputError)):
        return "rejected", "rejected", None
    if isinstance(exc, NotFoundError) or (isinstance(exc, TransportError) and not exc.maybe_sent):
        return "unsent", "rejected", None
    return "unknown", "unknown", None


@dataclass(frozen=True)
class _Run:
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
    on_wait: Callable[[float], None] = lambda seconds: None


class _ClaimTaken(MMSError):
    """While a request waited out a "slow down", another run took its recipients (it judged this run gone)."""


def _attempt(run: _Run, request: Request) -> dict[int, _Outcome]:
    """Take a place in flight, claim the request's recipients and write its intent, send to those claimed, write the outcome.

    The intent is written only once the request has its place, so a killed run leaves in doubt
    only the requests that were really under way.
    """
    with ExitStack() as gate:
        ticket = gate.enter_context(run.pace.slot())
        if run.stop.state is not None:
            return {pos: _Outcome(run.stop.state, error=run.stop.reason) for pos in request.positions}
        if run.rate is not None:
            run.rate.wait()
        content = request.content
        try:
            begun = run.ledger.begin(
                run.run_id, run.campaign, request.content_key, request.addresses, content.delivery_report,
                slot=request.content_key if run.per_row else "", retry_unknown=run.retry_unknown,
            )
        except LedgerError as exc:
            run.stop.set("stopped", exc)
            return {pos: _Outcome("stopped", error=run.stop.reason) for pos in request.positions}
        out = {pos: _from_claim(begun.held[a]) for a, pos in zip(request.addresses, request.positions) if a in begun.held}
        positions = [pos for a, pos in zip(request.addresses, request.positions) if a not in begun.held]
        if not begun.claimed:
            return out
        assert begun.request_id is not None
        try:
            result = _paced_send(run, begun, content, gate.pop_all(), ticket)
        except _ClaimTaken as exc:
            outcome = _Outcome("in-progress", None, begun.request_no, error=str(exc))
            _finish(run, begun.request_id, "unsent", outcome, error=str(exc))
            return {**out, **{pos: outcome for pos in positions}}
        except MMSError as exc:
            ledger_state, row_state, stop_state = _settle(exc)
            if stop_state is not None:
                run.stop.set(stop_state, exc)
            error = str(exc)
            if row_state == "unknown" and not isinstance(exc, TransportError):
                error += " The message may have been accepted, so it is not repeated."
            outcome = _Outcome(row_state, None, begun.request_no, exc.http_status, exc.code, error)
            _finish(run, begun.request_id, ledger_state, outcome, http_status=exc.http_status, error_code=exc.code, error=str(exc))
            return {**out, **{pos: outcome for pos in positions}}
    outcome = _Outcome("accepted", result.message_id, begun.request_no, result.http_status)
    _finish(run, begun.request_id, "accepted", outcome, message_id=result.message_id, http_status=result.http_status)
    return {**out, **{pos: outcome for pos in positions}}


def _finish(run: _Run, request_id: int, state: str, outcome: _Outcome, **record: Any) -> None:
    """Write a request's outcome to the ledger (and its time onto an accepted row); when the ledger fails, stop the run and say so."""
    try:
        at = run.ledger.finish(request_id, state, **record)
    except LedgerError as failure:
        run.stop.set("stopped", failure)
        if state == "accepted":
            outcome.sent_at = now()
            outcome.error = (f"Accepted, but the ledger could not record it ({failure}) Keep these results: the ledger "
                             "shows this request as unknown, so it is not sent again.")
        else:
            outcome.error = f"{outcome.error} The ledger could not record this: {failure}"
        return
    if state == "accepted":
        outcome.sent_at = at


def _paced_send(run: _Run, begun: Begun, content: Content, gate: ExitStack, ticket: Ticket) -> SendResult:
    """Send within the pace: the first attempt in the place already held (``gate``), each later one in a new place.

    While a "slow down" is waited out the request is marked ``throttled`` in the ledger (a re-run
    after a crash may send it: the gateway did not take it), and it takes its claim back before
    it is sent again.
    """
    assert begun.request_id is not None
    request_id, attempts = begun.request_id, count()

    @contextmanager
    def first() -> Iterator[None]:
        with gate, run.pace.observe(ticket):
            yield

    def attempt() -> AbstractContextManager[None]:
        if next(attempts) == 0:
            return first()
        if not run.ledger.resume(run.run_id, request_id):
            raise _ClaimTaken(
                "Another run of this campaign took these recipients while this request waited out a \"slow down\"; "
                "not sent here. Run again later to see its outcome."
            )
        return run.pace.attempt(run.rate)

    def waiting(seconds: float) -> None:
        run.ledger.pause(request_id)
        run.on_wait(seconds)

    try:
        return run.client.send_checked(
            begun.claimed, subject=content.subject, sender=content.sender, priority=content.priority,
            delivery_report=content.delivery_report, attachments=content.attachments, attempt=attempt, on_wait=waiting,
        )
    finally:
        gate.close()


def _result_frame(frame: pd.DataFrame, rows: list[Row], outcomes: dict[int, _Outcome], attrs: dict) -> pd.DataFrame:
    out = frame.copy()
    n = len(rows)
    values: dict[str, list] = {c: [None] * n for c in RESULT_COLUMNS}
    for row in rows:
        o = outcomes[row.position]
        record = (row.address, row.carrier, o.state, o.message_id, o.request_no, o.http_status, o.error_code, o.error, o.sent_at)
        for column, value in zip(RESULT_COLUMNS, record):
            values[column][row.position] = value
    for column in RESULT_COLUMNS:
        if column == "sent_at":
            out[column] = pd.to_datetime(pd.Series(values[column], index=out.index, dtype="object"), utc=True, format="ISO8601").astype("datetime64[us, UTC]")
        else:
            out[column] = pd.array(values[column], dtype=_RESULT_DTYPES.get(column, "string"))
    out.attrs["mmsnb"] = attrs
    return out


def _label(frame: pd.DataFrame, position: int) -> str:
    label = frame.index[position]
    return "(" + ", ".join(map(str, label)) + ")" if isinstance(label, tuple) else str(label)


def _checked_outcomes(frame: pd.DataFrame, checked: Checked, per_row: bool) -> dict[int, _Outcome]:
    """The rows that are settled by their checks alone: invalid, or a repeat of an earlier row."""
    outcomes: dict[int, _Outcome] = {}
    for row in checked.rows:
        if row.error is not None:
            outcomes[row.position] = _Outcome("invalid", error=row.error)
        elif row.duplicate_of is not None:
            first = _label(frame, row.duplicate_of)
            outcomes[row.position] = _Outcome("duplicate", error=(
                f"Same number and content as row {first}; sent once." if per_row else
                f"Same number as row {first}: one message per number per campaign, with row {first}'s content. "
                "Pass per_row=True to send each row's own content."))
    return outcomes


def send(
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
    ledger: str | os.PathLike | Ledger | None = None,
    per_row: bool = False,
    attachments_dir: str | os.PathLike | None = None,
    group: bool = True,
    max_addresses: int = 50,
    workers: int | str = "auto",
    max_workers: int = 32,
    rate: str | None = None,
    dry_run: bool = False,
    allow_partial: bool = False,
    retry_unknown: bool = False,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Send one MMS per number; returns the frame with ``send_state``, ``message_id`` and the other result columns.

    ``subject``, ``attachments``, ``sender`` and ``priority`` are each a constant or the name of
    a column; ``subject`` may be a template over the row's columns (``"Cześć {first_name}!"``).
    Files named in a column are read only from inside ``attachments_dir`` (default: the folder of
    the CSV read by :func:`read_recipients`, else the working directory).

    A number gets one message per campaign: repeats are ``duplicate``, and the recipient is claimed
    in the ``ledger`` before the request leaves, so running the call again, or at the same time in
    another notebook, never sends twice. ``per_row=True`` sends each row's own content to a number
    listed on several rows. The automatic ``campaign`` name comes from the message's content.
    ``dry_run=True`` plans and sends nothing; ``allow_partial=True`` sends what the quota allows;
    ``retry_unknown=True`` repeats requests whose outcome is unknown.

    Pace: with ``workers="auto"`` the number of requests in flight starts at 2, doubles while
    answers come back healthy, and halves when the gateway says "slow down" (429, 503) or a
    request times out, up to ``max_workers``; an integer keeps that many. ``rate="10/s"`` (or
    ``"600/min"``) spaces requests to a contract's rate. A "slow down" answer is waited out as
    told (up to the client's ``max_wait``) and the same request sent again under its intent.

    >>> results = mmsnb.send(client, frame, subject="Cześć {first_name}!", attachments="data/promo.jpg")  # doctest: +SKIP
    """
    pace = _pace(workers, max_workers)
    cap = None if rate is None else RateCap.parse(rate)
    checked = check_rows(
        frame, to=to, subject=subject, attachments=attachments, sender=sender, priority=priority,
        delivery_report=delivery_report, max_message_bytes=client.max_message_bytes, per_row=per_row,
        attachments_dir=attachments_dir,
    )
    name = campaign or campaign_name(checked.meaning)
    rows = checked.rows
    outcomes = _checked_outcomes(frame, checked, per_row)
    book = ledger if isinstance(ledger, Ledger) else Ledger(ledger if ledger is not None else client.ledger)
    try:
        claims = book.claims(name)
        to_send = []
        for row in rows:
            if row.position in outcomes:
                continue
            assert row.address is not None
            hold = holding(claims.get(row.address, ()), row.content_key if per_row else "", retry_unknown)
            if hold is not None:
                outcomes[row.position] = _from_claim(hold)
            else:
                to_send.append(row)
        requests = group_requests(to_send, group=group, max_addresses=max_addresses)
        limit = client.limit()
        attrs = {"campaign": name, "ledger": str(book.path), "requests": len(requests), "available": limit.available,
                 "resets_on": limit.resets_on, "files": [{"path": p, "bytes": a.size, "type": a.content_type, "sha256": a.digest.hex()}
                                                         for p, a in checked.files.items()]}
        if dry_run:
            for no, request in enumerate(requests, 1):
                for pos in request.positions:
                    outcomes[pos] = _Outcome("planned", request_no=no)
            return _result_frame(frame, rows, outcomes, attrs)
        book.record_quota(limit)
        if len(requests) > limit.available and not allow_partial:
            raise QuotaError(
                f"This campaign needs {len(requests)} requests but only {limit.available} are available"
                f" (the counter resets on {limit.resets_on}). Nothing was sent. Pass allow_partial=True to send"
                f" the first {limit.available}, or group more recipients per request."
            )
        fitting, over = requests[: limit.available], requests[limit.available :]
        for request in over:
            for pos in request.positions:
                outcomes[pos] = _Outcome("quota", error=f"Not sent: the quota allows {limit.available} requests now; run again after it resets on {limit.resets_on}.")
        attrs["in_flight"] = pace.decisions
        if fitting:
            _execute(_Run(client, book, book.start_run(name), name, per_row, retry_unknown, pace, cap, _Stop()), fitting, outcomes, progress)
        return _result_frame(frame, rows, outcomes, attrs)
    finally:
        if book is not ledger:
            book.close()


def _pace(workers: int | str, max_workers: int) -> Pace:
    """The pace a send's ``workers`` and ``max_workers`` ask for; :class:`InputError` naming the one that makes no sense."""
    if isinstance(max_workers, bool) or not isinstance(max_workers, int) or not 1 <= max_workers <= MOST_IN_FLIGHT:
        raise InputError(f"max_workers= must be a whole number from 1 to {MOST_IN_FLIGHT}, not {max_workers!r}.")
    if workers == "auto":
        return Pace(ceiling=max_workers)
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MOST_IN_FLIGHT:
        raise InputError(f"workers= must be \"auto\" or a whole number from 1 to {MOST_IN_FLIGHT}, not {workers!r}.")
    return Pace(ceiling=workers, fixed=True)


def _execute(run: _Run, requests: list[Request], outcomes: dict[int, _Outcome], progress: bool | None) -> None:
    """Send ``requests`` on a thread pool, as fast as the pace allows, with a progress bar; outcomes go into ``outcomes``."""
    bar = tqdm(total=sum(len(r.positions) for r in requests), unit="row", desc=f"Sending {run.campaign}", disable=progress is False)
    started = time.monotonic()
    run = replace(run, on_wait=lambda seconds: bar.set_postfix_str(f"waiting {seconds:g} s: the gateway asked to slow down"))
    pool = ThreadPoolExecutor(max_workers=min(run.pace.ceiling, len(requests)))
    try:
        futures = [pool.submit(_attempt, run, r) for r in requests]
        for done, future in enumerate(as_completed(futures), 1):
            settled = future.result()
            outcomes.update(settled)
            bar.update(len(settled))
            pace = done / max(time.monotonic() - started, 1e-9)
            bar.set_postfix(requests=f"{done}/{len(requests)}", in_flight=run.pace.limit, rate=f"{pace:.1f}/s", refresh=False)
    except BaseException:
        run.stop.set("stopped", "the run was interrupted.")
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
        try:
            run.ledger.end_run(run.run_id)
        except LedgerError:
            pass
