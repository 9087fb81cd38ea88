"""The campaign ledger: a SQLite journal of every send, status answer and quota reading.

The intent of a request is written (and committed) before the request goes out, and its
outcome after the answer, so a killed kernel leaves a true record: a request with an intent
and no outcome may have reached the gateway and is never repeated silently.

>>> with Ledger("/tmp/example-ledger.sqlite") as ledger:     # doctest: +SKIP
...     ledger.history().sends
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from .answers import DeliveryStatus, Limit
from .statuses import CATEGORY_DTYPE

DEFAULT_NAME = "mmsnb-ledger.sqlite"

#: Request states in the ledger. ``sending``: intent written, no outcome yet (treated as unknown);
#: ``unsent``: certainly never reached the gateway, so a later run sends it.
REQUEST_STATES = ("sending", "accepted", "rejected", "unknown", "unsent")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign TEXT NOT NULL,
    request_no INTEGER NOT NULL,
    content_key TEXT NOT NULL,
    addresses TEXT NOT NULL,
    delivery_report INTEGER NOT NULL,
    state TEXT NOT NULL,
    message_id TEXT,
    http_status INTEGER,
    error_code INTEGER,
    error TEXT,
    intent_at TEXT NOT NULL,
    done_at TEXT
);
CREATE INDEX IF NOT EXISTS requests_campaign_number ON requests (campaign, request_no);
CREATE INDEX IF NOT EXISTS requests_message ON requests (message_id);
CREATE TABLE IF NOT EXISTS recipients (
    campaign TEXT NOT NULL,
    address TEXT NOT NULL,
    content_key TEXT NOT NULL,
    request_id INTEGER NOT NULL REFERENCES requests (id),
    PRIMARY KEY (campaign, address, content_key)
);
CREATE TABLE IF NOT EXISTS statuses (
    message_id TEXT NOT NULL,
    address TEXT,
    status TEXT NOT NULL,
    category TEXT NOT NULL,
    final INTEGER NOT NULL,
    polled_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS statuses_message ON statuses (message_id);
CREATE TABLE IF NOT EXISTS quota (
    read_at TEXT NOT NULL,
    used INTEGER NOT NULL,
    available INTEGER NOT NULL,
    resets_on TEXT
);
"""


def now() -> str:
    """The current UTC time as ISO text, as the ledger stores it."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def default_path() -> Path:
    """``MMSNB_LEDGER``, or ``mmsnb-ledger.sqlite`` in the working directory."""
    return Path(os.environ.get("MMSNB_LEDGER") or Path.cwd() / DEFAULT_NAME)


@dataclass(frozen=True)
class Prior:
    """What the ledger knows of one recipient of a campaign."""

    state: str
    message_id: str | None
    request_no: int
    http_status: int | None
    error_code: int | None
    error: str | None
    done_at: str | None


@dataclass(frozen=True)
class History:
    """The ledger as DataFrames: ``sends`` (one row per recipient per request), ``statuses``, ``quota``."""

    sends: pd.DataFrame
    statuses: pd.DataFrame
    quota: pd.DataFrame


def _utc(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True, format="ISO8601")


class Ledger:
    """A SQLite ledger file, safe to share between the threads of one campaign."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, sql: str, rows: Iterable[tuple] | tuple = ()) -> None:
        with self._lock:
            if isinstance(rows, tuple):
                self._conn.execute(sql, rows)
            else:
                self._conn.executemany(sql, rows)

    # -- sends -------------------------------------------------------------
    def prior(self, campaign: str) -> dict[tuple[str, str], Prior]:
        """What each (address, content key) of the campaign last came to."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT r.address, r.content_key, q.state, q.message_id, q.request_no, q.http_status, q.error_code, q.error, q.done_at "
                "FROM recipients r JOIN requests q ON q.id = r.request_id WHERE r.campaign = ?",
                (campaign,),
            ).fetchall()
        return {(a, k): Prior(*rest) for a, k, *rest in rows}

    def begin(self, campaign: str, content_key: str, addresses: list[str], delivery_report: bool) -> tuple[int, int]:
        """Write the intent of one request, before it is sent; returns (request id, request number)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                (number,) = self._conn.execute(
                    "SELECT COALESCE(MAX(request_no), 0) + 1 FROM requests WHERE campaign = ?", (campaign,)
                ).fetchone()
                cursor = self._conn.execute(
                    "INSERT INTO requests (campaign, request_no, content_key, addresses, delivery_report, state, intent_at) "
                    "VALUES (?, ?, ?, ?, ?, 'sending', ?)",
                    (campaign, number, content_key, json.dumps(addresses), int(delivery_report), now()),
                )
                request_id = cursor.lastrowid
                self._conn.executemany(
                    "INSERT INTO recipients (campaign, address, content_key, request_id) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (campaign, address, content_key) DO UPDATE SET request_id = excluded.request_id",
                    [(campaign, a, content_key, request_id) for a in addresses],
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return request_id, number

    def finish(
        self,
        request_id: int,
        state: str,
        *,
        message_id: str | None = None,
        http_status: int | None = None,
        error_code: int | None = None,
        error: str | None = None,
    ) -> str:
        """Write the outcome of a request; returns the time written."""
        at = now()
        self._write(
            "UPDATE requests SET state = ?, message_id = ?, http_status = ?, error_code = ?, error = ?, done_at = ? WHERE id = ?",
            (state, message_id, http_status, error_code, error, at, request_id),
        )
        return at

    def delivery_reports(self, message_ids: Iterable[str]) -> dict[str, bool]:
        """Whether each known message was sent asking for a delivery report."""
        ids = list(message_ids)
        out: dict[str, bool] = {}
        with self._lock:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for mid, report in self._conn.execute(
                    f"SELECT message_id, delivery_report FROM requests WHERE message_id IN ({marks})", chunk
                ):
                    out[mid] = bool(report)
        return out

    # -- statuses and quota -------------------------------------------------
    def record_status(self, status: DeliveryStatus, polled_at: str) -> None:
        """Keep one status answer: a row per address (the message's status for each when it gives no detail)."""
        rows = [(status.message_id, a.address, a.status, a.category, int(a.final), polled_at) for a in status.addresses]
        if not rows:
            with self._lock:
                found = self._conn.execute("SELECT addresses FROM requests WHERE message_id = ?", (status.message_id,)).fetchone()
            addresses = json.loads(found[0]) if found else [None]
            rows = [(status.message_id, a, status.status, status.category, int(status.final), polled_at) for a in addresses]
        self._write("INSERT INTO statuses VALUES (?, ?, ?, ?, ?, ?)", rows)

    def record_quota(self, limit: Limit) -> None:
        resets = limit.resets_on.isoformat() if limit.resets_on else None
        self._write("INSERT INTO quota VALUES (?, ?, ?, ?)", (now(), limit.used, limit.available, resets))

    # -- analysis ----------------------------------------------------------
    def history(self, campaign: str | None = None) -> History:
        """The ledger as DataFrames, for one campaign or all."""
        where, args = ("WHERE campaign = ?", (campaign,)) if campaign else ("", ())
        with self._lock:
            requests = pd.read_sql_query(f"SELECT * FROM requests {where} ORDER BY id", self._conn, params=args)
            statuses = pd.read_sql_query(
                "SELECT q.campaign, s.message_id, COALESCE(s.address, '') AS address, s.status, s.category, s.final, s.polled_at "
                "FROM statuses s JOIN requests q ON q.message_id = s.message_id "
                + ("WHERE q.campaign = ? " if campaign else "")
                + "ORDER BY s.polled_at",
                self._conn,
                params=args,
            )
            quota = pd.read_sql_query("SELECT * FROM quota ORDER BY read_at", self._conn)
        requests["addresses"] = requests["addresses"].map(json.loads)
        sends = requests.explode("addresses").rename(columns={"addresses": "address", "done_at": "sent_at"})
        sends = sends.drop(columns=["id"]).reset_index(drop=True)
        for col in ("intent_at", "sent_at"):
            sends[col] = _utc(sends[col])
        for col in ("campaign", "content_key", "address", "message_id", "error"):
            sends[col] = sends[col].astype("string")
        sends["request_no"] = sends["request_no"].astype("int64")
        for col in ("http_status", "error_code"):
            sends[col] = sends[col].astype("Int64")
        sends["delivery_report"] = sends["delivery_report"].astype(bool)
        sends["state"] = sends["state"].astype(pd.CategoricalDtype(list(REQUEST_STATES)))
        for col in ("campaign", "message_id", "address", "status"):
            statuses[col] = statuses[col].astype("string")
        statuses["category"] = statuses["category"].astype(CATEGORY_DTYPE)
        statuses["final"] = statuses["final"].astype(bool)
        statuses["polled_at"] = _utc(statuses["polled_at"])
        quota[["used", "available"]] = quota[["used", "available"]].astype("int64")
        quota["read_at"] = _utc(quota["read_at"])
        quota["resets_on"] = _utc(quota["resets_on"])
        return History(sends, statuses, quota)


def history(campaign: str | None = None, ledger: str | os.PathLike | Ledger | None = None) -> History:
    """The ledger as DataFrames for analysis: ``.sends``, ``.statuses`` and ``.quota``.

    >>> h = mmsnb.history("spring-promo")             # doctest: +SKIP
    >>> h.statuses.groupby("category").size()         # doctest: +SKIP
    """
    if isinstance(ledger, Ledger):
        return ledger.history(campaign)
    with Ledger(ledger) as book:
        return book.history(campaign)
