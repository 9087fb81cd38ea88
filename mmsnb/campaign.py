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
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from .client import Client
from .errors import AuthError, BadRequestError, InputError, MMSError, NotFoundError, QuotaError, TransportError
from .ledger import Ledger, Prior
from .plan import Request, Row, check_rows, group_requests

#: The outcome of each row of a send.
SEND_STATES = ("accepted", "invalid", "rejected", "duplicate", "quota", "unknown", "already-sent", "planned")
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


def _campaign_name(**parameters: Any) -> str:
    """A name derived from what the call says, not from its recipients: adding a row keeps the campaign."""
    def plain(value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, os.PathLike):
            return os.fspath(value)
        return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)

    digest = hashlib.sha256(json.dumps({k: plain(v) for k, v in sorted(parameters.items())}, ensure_ascii=False).encode())
    return "auto-" + digest.hexdigest()[:16]


def _from_prior(prior: Prior, retry_unknown: bool) -> _Outcome | None:
    """What an earlier run settles for a row, or None when the row is to be sent now."""
    if prior.state == "accepted":
        return _Outcome("already-sent", prior.message_id, prior.request_no, prior.http_status, None, None, prior.done_at)
    if prior.state in ("sending", "unknown") and not retry_unknown:
        reason = prior.error or "the run stopped while this request was under way"
        return _Outcome("unknown", prior.message_id, prior.request_no, prior.http_status, prior.error_code,
                        f"An earlier request may have reached the gateway ({reason}); not repeated. Pass retry_unknown=True to send it again.")
    if prior.state == "rejected":
        return _Outcome("rejected", None, prior.request_no, prior.http_status, prior.error_code, prior.error)
    return None


class _Stop:
    """Set once when the campaign must stop (quota used up, credentials refused, interrupted)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.state: str | None = None
        self.reason = ""

    def set(self, state: str, exc: Exception | str) -> None:
        with self._lock:
            if self.state is None:
                self.state, self.reason = state, f"Not sent: {exc} Run again to resume."


def _settle(exc: MMSError) -> tuple[str, str, bool]:
    """For an error from a send: the ledger's request state, the rows' state, and whether the campaign stops."""
    if isinstance(exc, QuotaError):
        return "unsent", "quota", True
    if isinstance(exc, AuthError):
        return "unsent", "rejected", True
    if isinstance(exc, (BadRequestError, InputError)):
        return "rejected", "rejected", False
    if isinstance(exc, NotFoundError) or (isinstance(exc, TransportError) and not exc.maybe_sent):
        return "unsent", "rejected", False
    return "unknown", "unknown", False


def _attempt(client: Client, ledger: Ledger, campaign: str, request: Request, stop: _Stop) -> _Outcome:
    """Send one request through the ledger: intent first, then the outcome."""
    if stop.state is not None:
        return _Outcome(stop.state, error=stop.reason)
    request_id, number = ledger.begin(campaign, request.content_key, request.addresses, request.content.delivery_report)
    content = request.content
    try:
        result = client.send_checked(
            request.addresses,
            subject=content.subject,
            sender=content.sender,
            priority=content.priority,
            delivery_report=content.delivery_report,
            attachments=content.attachments,
        )
    except MMSError as exc:
        ledger_state, row_state, stops = _settle(exc)
        if stops:
            stop.set(row_state, exc)
        ledger.finish(request_id, ledger_state, http_status=exc.http_status, error_code=exc.code, error=str(exc))
        error = str(exc)
        if row_state == "unknown" and not isinstance(exc, TransportError):
            error += " The message may have been accepted, so it is not repeated."
        return _Outcome(row_state, None, number, exc.http_status, exc.code, error)
    at = ledger.finish(request_id, "accepted", message_id=result.message_id, http_status=result.http_status)
    return _Outcome("accepted", result.message_id, number, result.http_status, None, None, at)


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
    group: bool = True,
    max_addresses: int = 50,
    workers: int = 4,
    dry_run: bool = False,
    allow_partial: bool = False,
    retry_unknown: bool = False,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Send one MMS per recipient row; returns the frame with ``send_state`` and ``message_id``.

    ``subject``, ``attachments``, ``sender`` and ``priority`` are each a constant or the name of
    a column; ``subject`` may be a template over the row's columns (``"Cześć {first_name}!"``).
    Every request goes through the ledger, so running the same call again sends nothing twice.
    ``allow_partial=True`` sends what the quota allows when the campaign needs more;
    ``retry_unknown=True`` repeats requests whose outcome is unknown.

    >>> results = mmsnb.send(client, frame, subject="Cześć {first_name}!", attachments="data/promo.jpg")  # doctest: +SKIP
    """
    rows = check_rows(
        frame, to=to, subject=subject, attachments=attachments, sender=sender, priority=priority,
        delivery_report=delivery_report, max_message_bytes=client.max_message_bytes,
    )
    book = ledger if isinstance(ledger, Ledger) else Ledger(ledger if ledger is not None else client.ledger)
    try:
        name = campaign or _campaign_name(
            to=to, subject=subject, attachments=attachments, sender=sender, priority=priority, delivery_report=delivery_report
        )
        outcomes: dict[int, _Outcome] = {}
        for row in rows:
            if row.error is not None:
                outcomes[row.position] = _Outcome("invalid", error=row.error)
            elif row.duplicate_of is not None:
                label = frame.index[row.duplicate_of]
                shown = "(" + ", ".join(map(str, label)) + ")" if isinstance(label, tuple) else str(label)
                outcomes[row.position] = _Outcome("duplicate", error=f"Same number and content as row {shown}; sent once.")
        prior = book.prior(name)
        to_send = []
        for row in rows:
            if row.position in outcomes:
                continue
            earlier = prior.get((row.address, row.content_key))
            settled = _from_prior(earlier, retry_unknown) if earlier else None
            if settled:
                outcomes[row.position] = settled
            else:
                to_send.append(row)
        requests = group_requests(to_send, group=group, max_addresses=max_addresses)
        limit = client.limit()
        book.record_quota(limit)
        attrs = {"campaign": name, "ledger": str(book.path), "requests": len(requests), "available": limit.available,
                 "resets_on": limit.resets_on}
        if dry_run:
            for no, request in enumerate(requests, 1):
                for pos in request.positions:
                    outcomes[pos] = _Outcome("planned", request_no=no)
            return _result_frame(frame, rows, outcomes, attrs)
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
        stop = _Stop()
        bar = tqdm(total=sum(len(r.positions) for r in fitting), unit="row", desc=f"Sending {name}", disable=progress is False)
        pool = ThreadPoolExecutor(max_workers=max(1, workers))
        try:
            futures = {pool.submit(_attempt, client, book, name, r, stop): r for r in fitting}
            for done, future in enumerate(as_completed(futures), 1):
                request = futures[future]
                outcome = future.result()
                for pos in request.positions:
                    outcomes[pos] = outcome
                bar.update(len(request.positions))
                bar.set_postfix(requests=f"{done}/{len(fitting)}", refresh=False)
        except BaseException:
            stop.set("quota", "the run was interrupted.")
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            bar.close()
        return _result_frame(frame, rows, outcomes, attrs)
    finally:
        if book is not ledger:
            book.close()
