"""Poll delivery statuses of a sent campaign until every message is final.

>>> results = mmsnb.poll(client, results, timeout=300)     # doctest: +SKIP
>>> results.status_category.value_counts()                # doctest: +SKIP
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
from tqdm.auto import tqdm

from .answers import DeliveryStatus
from .client import Client
from .errors import InputError, MMSError
from .ledger import Ledger, now
from .statuses import CATEGORY_DTYPE, DELIVERED

POLLED_COLUMNS = ("status", "status_category", "status_meaning", "final", "polled_at", "delivered_at")
#: Growing pause between polling rounds: first, factor, longest (seconds).
BACKOFF = (1.0, 1.5, 30.0)


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
    return pause - (pd.Timestamp.now(tz="UTC") - newest).total_seconds()


def poll(
    client: Client,
    results: pd.DataFrame,
    *,
    timeout: float = 600,
    interval: float | None = None,
    progress: bool | None = None,
    ledger: str | os.PathLike | Ledger | None = None,
    workers: int = 8,
) -> pd.DataFrame:
    """Ask for the status of each distinct message until all are final or ``timeout`` seconds pass.

    A message is first asked about one pause after it was sent; pauses grow from 1 s to 30 s
    unless ``interval`` fixes them. Status calls go out on ``workers`` threads. Per-address detail goes back
    to each row; rows never sent pass through unchanged. Every answer is kept in the ledger.

    >>> results = mmsnb.poll(client, mmsnb.send(client, frame, subject="Hej"))   # doctest: +SKIP
    """
    if "message_id" not in results.columns:
        raise InputError("The frame has no message_id column: pass the results of mmsnb.send.")
    path = ledger if ledger is not None else results.attrs.get("mmsnb", {}).get("ledger") or client.ledger
    book = ledger if isinstance(ledger, Ledger) else Ledger(path)
    try:
        done = results["final"].fillna(False).astype(bool) if "final" in results else pd.Series(False, index=results.index)
        settled = set(results.loc[done, "message_id"].dropna()) - set(results.loc[~done, "message_id"].dropna())
        ids = [m for m in pd.unique(results["message_id"].dropna()) if m and m not in settled]
        reports = book.delivery_reports(ids)
        latest: dict[str, DeliveryStatus] = {}
        seen_at: dict[str, str] = {}
        delivered: dict[tuple[str, str], str] = {}
        pending = list(ids)
        started = time.monotonic()
        pauses = pauses_between_rounds(interval)
        bar = tqdm(total=len(ids), unit="msg", desc="Polling", disable=progress is False)

        def ask(message_id: str) -> DeliveryStatus | None:
            try:
                return client.delivery_status(message_id, delivery_report=reports.get(message_id, True))
            except MMSError:
                return None

        try:
            time.sleep(max(0.0, min(_first_wait(results, ids, next(pauses)), timeout)))
            with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
                while pending:
                    still = []
                    for message_id, status in zip(pending, pool.map(ask, pending)):
                        if status is None:
                            still.append(message_id)
                            continue
                        at = now()
                        book.record_status(status, at)
                        latest[message_id], seen_at[message_id] = status, at
                        for a in status.addresses or ():
                            if a.category == DELIVERED:
                                delivered.setdefault((message_id, a.address), at)
                        if not status.addresses and status.category == DELIVERED:
                            delivered.setdefault((message_id, ""), at)
                        if status.final:
                            bar.update(1)
                        else:
                            still.append(message_id)
                    pending = still
                    left = timeout - (time.monotonic() - started)
                    if not pending or left <= 0:
                        break
                    time.sleep(min(next(pauses), left))
        finally:
            bar.close()
        return _spread(results, latest, seen_at, delivered)
    finally:
        if book is not ledger:
            book.close()


def _spread(results: pd.DataFrame, latest: dict[str, DeliveryStatus], seen_at: dict[str, str], delivered: dict) -> pd.DataFrame:
    out = results.copy()
    n = len(out)
    columns: dict[str, list] = {c: [None] * n for c in POLLED_COLUMNS}
    previous = {c: (out[c].tolist() if c in out.columns else [None] * n) for c in POLLED_COLUMNS}
    for i, (message_id, address) in enumerate(zip(out["message_id"].tolist(), out.get("address", pd.Series([None] * n)).tolist())):
        status = latest.get(message_id) if isinstance(message_id, str) else None
        if status is None:
            for c in POLLED_COLUMNS:
                columns[c][i] = None if pd.isna(previous[c][i]) else previous[c][i]
            continue
        detail = next((a for a in status.addresses if a.address == address), None)
        text, category, meaning, final = (
            (detail.status, detail.category, detail.meaning, detail.final) if detail
            else (status.status, status.category, status.meaning, status.final)
        )
        if not detail and status.addresses and len(status.addresses) == 1:
            only = status.addresses[0]
            text, category, meaning, final = only.status, only.category, only.meaning, only.final
        columns["status"][i], columns["status_category"][i] = text, category
        columns["status_meaning"][i], columns["final"][i] = meaning, final
        columns["polled_at"][i] = seen_at[message_id]
        columns["delivered_at"][i] = (
            None if pd.isna(previous["delivered_at"][i]) else previous["delivered_at"][i]
        ) or delivered.get((message_id, address)) or delivered.get((message_id, ""))
    out["status"] = pd.array(columns["status"], dtype="string")
    out["status_category"] = pd.Categorical(columns["status_category"], dtype=CATEGORY_DTYPE)
    out["status_meaning"] = pd.array(columns["status_meaning"], dtype="string")
    out["final"] = pd.array(columns["final"], dtype="boolean")
    for c in ("polled_at", "delivered_at"):
        out[c] = pd.to_datetime(pd.Series(columns[c], index=out.index, dtype="object"), utc=True, format="mixed").astype("datetime64[us, UTC]")
    return out



