"""Poll delivery statuses of a sent campaign until every message is final.

>>> results = mmsnb.poll(client, results, timeout=300)
>>> results.status_category.value_counts()
status_category
delivered    41
failed       15
unknown       1
pending       0
partial       0
Name: count, dtype: int64
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from .client import Client
from .errors import InputError, MMSError
from .gateway_answers import DeliveryStatus
from .ledger import Ledger, LedgerSpec, now
from .result_columns import CATEGORY_DTYPE, POLLED_COLUMNS, Category, SendInfo

#: Growing pause between polling rounds: first, factor, longest (seconds).
BACKOFF = (1.0, 1.5, 30.0)


def _seconds(name: str, value: Any, *, allow_none: bool = False) -> None:
    """:class:`InputError` naming ``name`` unless ``value`` is a number of seconds, 0 or more (or None if allowed)."""
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise InputError(f"{name}= must be a number of seconds, 0 or more, not {value!r}.")


def pauses_between_rounds(interval: float | None) -> Iterator[float]:
    """Pauses between polling rounds: ``interval`` each time, or growing as :data:`BACKOFF` says."""
    wait = interval if interval is not None else BACKOFF[0]
    while True:
        yield wait
        if interval is None:
            wait = min(wait * BACKOFF[1], BACKOFF[2])


def _first_wait(results: pd.DataFrame, ids: list[str], pause: float) -> float:
    """How long to wait before the first round: a message is first asked about ``pause`` seconds after it was sent."""
    if not ids or "sent_at" not in results:
        return 0.0
    newest = results.loc[results["message_id"].isin(ids), "sent_at"].max()
    if pd.isna(newest):
        return 0.0
    elapsed: float = (pd.Timestamp.now(tz="UTC") - newest).total_seconds()
    return pause - elapsed


class Poller:
    """The polling engine that :func:`poll` and the :class:`~mmsnb.Monitor` both drive: one round at a time,
    it asks for the status of each message not final yet and records every answer in the ledger.

    >>> with Poller(client, results) as poller:
    ...     finals = poller.round()           # how many became final in this round: none, all were
    ...     polled = poller.frame()
    >>> finals
    0
    """

    def __init__(
        self,
        client: Client,
        results: pd.DataFrame,
        *,
        ledger: LedgerSpec = None,
        interval: float | None = None,
        workers: int = 8,
    ) -> None:
        if not isinstance(client, Client):
            raise InputError(
                "Pass the client first, then the results: the client comes from mmsnb.connect() or a sandbox's "
                f".client(), not {type(client).__name__}."
            )
        if not isinstance(results, pd.DataFrame) or "message_id" not in results.columns:
            raise InputError("The frame has no message_id column: pass the results of mmsnb.send.")
        _seconds("interval", interval, allow_none=True)
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise InputError(f"workers= must be a whole number of at least 1, not {workers!r}.")
        info = SendInfo.of(results)
        self._stack = ExitStack()
        self.ledger = self._stack.enter_context(
            Ledger.open(ledger if ledger is not None or info is None else info.ledger, gateway=client.base_url)
        )
        self.client, self.results = client, results
        done = (
            results["final"].fillna(False).astype(bool) if "final" in results else pd.Series(False, index=results.index)
        )
        settled = set(results.loc[done, "message_id"].dropna()) - set(results.loc[~done, "message_id"].dropna())
        #: The messages whose status is not final yet.
        self.pending: list[str] = [m for m in pd.unique(results["message_id"].dropna()) if m and m not in settled]
        self.total = len(self.pending)
        self._reports = self.ledger.delivery_reports(self.pending)
        self._latest: dict[str, DeliveryStatus] = {}
        self._seen_at: dict[str, str] = {}
        self._delivered: dict[tuple[str, str], str] = {}
        self._pauses = pauses_between_rounds(interval)
        self._pool = self._stack.enter_context(ThreadPoolExecutor(max_workers=workers))

    def __enter__(self) -> Poller:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Let go of the threads and the ledger."""
        self._stack.close()

    def next_pause(self) -> float:
        """Seconds to wait before the next round."""
        return next(self._pauses)

    def first_wait(self) -> float:
        """Seconds to wait before the first round: a message is first asked about one pause after it was sent."""
        return max(0.0, _first_wait(self.results, self.pending, self.next_pause()))

    def _ask(self, message_id: str) -> DeliveryStatus | None:
        try:
            return self.client.delivery_status(message_id, delivery_report=self._reports.get(message_id, True))
        except MMSError:
            return None

    def round(self) -> int:
        """Ask once about every pending message; returns how many became final."""
        still, finals = [], 0
        for message_id, status in zip(self.pending, self._pool.map(self._ask, self.pending), strict=True):
            if status is None:
                still.append(message_id)
                continue
            at = now()
            self.ledger.record_status(status, at)
            self._latest[message_id], self._seen_at[message_id] = status, at
            for a in status.addresses or ():
                if a.category == Category.DELIVERED:
                    self._delivered.setdefault((message_id, a.address), at)
            if not status.addresses and status.category == Category.DELIVERED:
                self._delivered.setdefault((message_id, ""), at)
            if status.final:
                finals += 1
            else:
                still.append(message_id)
        self.pending = still
        return finals

    def frame(self) -> pd.DataFrame:
        """The results with the latest status of each row's message."""
        return _spread(self.results, self._latest, self._seen_at, self._delivered)


def poll(
    client: Client,
    results: pd.DataFrame,
    *,
    timeout: float = 600,
    interval: float | None = None,
    progress: bool | None = None,
    ledger: LedgerSpec = None,
    workers: int = 8,
) -> pd.DataFrame:
    """Ask for the status of each distinct message until all are final or ``timeout`` seconds pass.

    A message is first asked about one pause after it was sent; pauses grow from 1 s to 30 s
    unless ``interval`` fixes them. Status calls go out on ``workers`` threads. Per-address detail
    goes back to each row; rows never sent pass through unchanged. Every answer is kept in the
    ledger the send used (``results.mms.info.ledger``) unless ``ledger`` names another; results
    that carry no record of their send (read from CSV, or joined from several sends) use the
    default ledger (see :func:`mmsnb.ledger.locate`) unless ``ledger`` is given.

    >>> results = mmsnb.poll(client, mmsnb.send(client, frame, subject="Hej"))
    """
    _seconds("timeout", timeout)
    with Poller(client, results, ledger=ledger, interval=interval, workers=workers) as poller:
        clock, sleep = client.clock, client.sleep
        started = clock()
        bar = tqdm(total=poller.total, unit="msg", desc="Polling", disable=progress is False)
        try:
            sleep(min(poller.first_wait(), timeout))
            while poller.pending:
                bar.update(poller.round())
                left = timeout - (clock() - started)
                if not poller.pending or left <= 0:
                    break
                sleep(min(poller.next_pause(), left))
        finally:
            bar.close()
        return poller.frame()


def _spread(
    results: pd.DataFrame,
    latest: dict[str, DeliveryStatus],
    seen_at: dict[str, str],
    delivered: dict[tuple[str, str], str],
) -> pd.DataFrame:
    out = results.copy()
    n = len(out)
    columns: dict[str, list[Any]] = {c: [None] * n for c in POLLED_COLUMNS}
    previous = {c: (out[c].tolist() if c in out.columns else [None] * n) for c in POLLED_COLUMNS}
    for i, (message_id, address) in enumerate(
        zip(out["message_id"].tolist(), out.get("address", pd.Series([None] * n)).tolist(), strict=True)
    ):
        status = latest.get(message_id) if isinstance(message_id, str) else None
        if status is None:
            for c in POLLED_COLUMNS:
                columns[c][i] = None if pd.isna(previous[c][i]) else previous[c][i]
            continue
        detail = next((a for a in status.addresses if a.address == address), None)
        text, category, meaning, final = (
            (detail.status, detail.category, detail.meaning, detail.final)
            if detail
            else (status.status, status.category, status.meaning, status.final)
        )
        if not detail and status.addresses and len(status.addresses) == 1:
            only = status.addresses[0]
            text, category, meaning, final = only.status, only.category, only.meaning, only.final
        columns["status"][i], columns["status_category"][i] = text, category
        columns["status_meaning"][i], columns["final"][i] = meaning, final
        columns["polled_at"][i] = seen_at[message_id]
        columns["delivered_at"][i] = (
            (None if pd.isna(previous["delivered_at"][i]) else previous["delivered_at"][i])
            or delivered.get((message_id, address))
            or delivered.get((message_id, ""))
        )
    out["status"] = pd.array(columns["status"], dtype="string")
    out["status_category"] = pd.Categorical(columns["status_category"], dtype=CATEGORY_DTYPE)
    out["status_meaning"] = pd.array(columns["status_meaning"], dtype="string")
    out["final"] = pd.array(columns["final"], dtype="boolean")
    for c in ("polled_at", "delivered_at"):
        out[c] = pd.to_datetime(
            pd.Series(columns[c], index=out.index, dtype="object"), utc=True, format="mixed"
        ).astype("datetime64[us, UTC]")
    return out
