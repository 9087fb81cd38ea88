"""The campaign ledger: a SQLite journal of every send, status answer and quota reading.

The intent of a request is written (and committed, durably) before the request goes out, and
its outcome after the answer, so a killed kernel leaves a true record: a request with an intent
and no outcome may have reached the gateway and is never repeated silently.

Each recipient of a campaign is *claimed* in the transaction that writes the intent. A claim
that is accepted, under way or unknown is never sent again, by this run or any other sharing
the ledger (threads, notebooks, processes), so two runs of one campaign deliver each message once.

>>> with Ledger("/tmp/example-ledger.sqlite") as ledger:     # doctest: +SKIP
...     ledger.history().sends
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union
from urllib.parse import urlsplit

import pandas as pd
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_fixed

from .answers import DeliveryStatus, Limit
from .config import VARIABLES, environment
from .errors import InputError, LedgerError
from .results import CATEGORY_DTYPE

if TYPE_CHECKING:
    from .client import Client

DEFAULT_NAME = "mmsnb-ledger.sqlite"
SCHEMA_VERSION = 2


class RequestState(StrEnum):
    """A request's state in the ledger. ``sending``: intent written, no outcome yet (under way, or the
    run stopped); ``throttled``: the gateway said "slow down" and the run waits to send it again;
    ``unsent``: certainly never reached the gateway, so a later run sends it."""

    SENDING = "sending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNKNOWN = "unknown"
    UNSENT = "unsent"
    THROTTLED = "throttled"


class ClaimState(StrEnum):
    """What a recipient's claim means now: ``in-progress`` while a live run sends it; ``unsent``: free to send."""

    ACCEPTED = "accepted"
    IN_PROGRESS = "in-progress"
    UNKNOWN = "unknown"
    REJECTED = "rejected"
    UNSENT = "unsent"


REQUEST_STATES: tuple[str, ...] = tuple(state.value for state in RequestState)
#: Seconds to wait for another connection's lock on the ledger before giving up.
BUSY_TIMEOUT = 30.0
#: A run on another machine that has not written for this long is taken to have stopped.
LEASE = timedelta(minutes=2)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    ended_at TEXT
);
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
    done_at TEXT,
    run_id INTEGER REFERENCES runs (id)
);
CREATE INDEX IF NOT EXISTS requests_campaign_number ON requests (campaign, request_no);
CREATE INDEX IF NOT EXISTS requests_message ON requests (message_id);
CREATE TABLE IF NOT EXISTS claims (
    campaign TEXT NOT NULL,
    address TEXT NOT NULL,
    slot TEXT NOT NULL,
    request_id INTEGER NOT NULL REFERENCES requests (id),
    PRIMARY KEY (campaign, address, slot)
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
#: Ledgers of schema 1 (per-content recipients, no runs) gain the runs and claims; a recipient's
#: claim is the request that matters most (accepted, then under way or unknown, then the rest).
_MIGRATE_FROM_1 = """
ALTER TABLE requests ADD COLUMN run_id INTEGER REFERENCES runs (id);
INSERT OR REPLACE INTO claims (campaign, address, slot, request_id)
    SELECT r.campaign, r.address, '', r.request_id FROM recipients r JOIN requests q ON q.id = r.request_id
    ORDER BY CASE q.state WHEN 'accepted' THEN 3 WHEN 'sending' THEN 2 WHEN 'unknown' THEN 2 ELSE 1 END, q.id;
DROP TABLE recipients;
"""
_CLAIMS = (
    "SELECT c.address, c.slot, q.content_key, q.state, q.message_id, q.request_no, "
    "q.http_status, q.error_code, q.error, q.done_at, "
    "u.host, u.pid, u.seen_at, u.ended_at FROM claims c JOIN requests q ON q.id = c.request_id "
    "LEFT JOIN runs u ON u.id = q.run_id WHERE c.campaign = ?"
)


def now() -> str:
    """The current UTC time as ISO text, as the ledger stores it."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


#: What ``ledger=`` accepts anywhere in mmsnb.
LedgerSpec = Union[str, os.PathLike[str], "Ledger", None]
_OWN_LEDGERS: dict[str, Path] = {}
_OWN_LOCK = threading.Lock()


def keep_own_ledger(gateway: str, path: str | os.PathLike[str] | None) -> None:
    """Record that sends to ``gateway`` (a base URL) have their own ledger at ``path`` (None: not any more).

    The embedded sandbox does this, so what is sent to it never mixes with a real campaign's record.
    """
    with _OWN_LOCK:
        if path is None:
            _OWN_LEDGERS.pop(gateway_key(gateway), None)
        else:
            _OWN_LEDGERS[gateway_key(gateway)] = Path(path)


def gateway_key(url: str) -> str:
    """One name for a gateway however its URL is spelled: ``https://localhost:8443/`` and
    ``https://127.0.0.1:8443`` are the same loopback gateway.

    >>> gateway_key("https://localhost:8443/")
    'https://loopback:8443'
    """
    parts = urlsplit(url)
    host = "loopback" if parts.hostname in ("localhost", "127.0.0.1", "::1") else parts.hostname
    return f"{parts.scheme.lower()}://{host}:{parts.port or 443}"


def ledger_path(spec: str | os.PathLike[str] | None = None, *, gateway: str | None = None) -> Path:
    """Where a ledger is: ``spec`` when given; else ``MMSNB_LEDGER`` from the environment or a ``.env``
    file; else the gateway's own (an embedded sandbox's); else ``mmsnb-ledger.sqlite`` in the working directory.

    >>> ledger_path("team.sqlite").name
    'team.sqlite'
    """
    if spec is not None:
        if not isinstance(spec, (str, os.PathLike)):
            raise InputError(f"ledger= must be a path (or a Ledger), not {type(spec).__name__} {spec!r}.")
        return Path(spec)
    configured = environment().get(VARIABLES["ledger"])
    if configured:
        return Path(configured)
    with _OWN_LOCK:
        own = _OWN_LEDGERS.get(gateway_key(gateway)) if gateway else None
    return own or Path.cwd() / DEFAULT_NAME


def _alive(host: str | None, pid: int | None, seen_at: str | None, ended_at: str | None) -> bool:
    """Whether the run that wrote an intent may still be sending it."""
    if ended_at is not None or host is None or pid is None:
        return False
    if host == socket.gethostname():
        if pid == os.getpid():
            return True
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return seen_at is not None and datetime.fromisoformat(seen_at) > datetime.now(UTC) - LEASE


@dataclass(frozen=True)
class Claim:
    """What the ledger holds for one recipient of a campaign.

    ``state`` is ``accepted``, ``in-progress`` (a live run is sending it now), ``unknown`` (it may
    have reached the gateway), ``rejected`` or ``unsent`` (free to send again).
    """

    address: str
    slot: str
    content_key: str
    state: ClaimState
    message_id: str | None
    request_no: int
    http_status: int | None
    error_code: int | None
    error: str | None
    done_at: str | None

    def blocks(self, retry_unknown: bool) -> bool:
        """Whether this claim keeps the recipient from being sent again."""
        if self.state == ClaimState.UNSENT:
            return False
        return not (self.state == ClaimState.UNKNOWN and retry_unknown)


def _claim(row: tuple[Any, ...]) -> Claim:
    address, slot, content_key, state, message_id, request_no, http_status, error_code, error, done_at, *run = row
    if state in (RequestState.SENDING, RequestState.THROTTLED):
        if _alive(*run):
            claim = ClaimState.IN_PROGRESS
        elif state == RequestState.THROTTLED:
            claim = ClaimState.UNSENT  # the gateway had not taken it when the run stopped
        else:
            claim, error = ClaimState.UNKNOWN, error or "the run stopped while this request was under way"
    else:
        claim = ClaimState(state)
    return Claim(address, slot, content_key, claim, message_id, request_no, http_status, error_code, error, done_at)


def holding(claims: Iterable[Claim], slot: str, retry_unknown: bool) -> Claim | None:
    """The claim that keeps a recipient of ``slot`` from being sent, if any.

    The slot ``""`` is the campaign's one message per number: any claim on the number holds it.
    A content key as slot (``per_row=True``: one message per number and content) is held by a
    claim of that same content, whichever slot it was taken in.
    """
    order = (ClaimState.ACCEPTED, ClaimState.IN_PROGRESS, ClaimState.UNKNOWN, ClaimState.REJECTED)
    found = [c for c in claims if (slot == "" or c.content_key == slot) and c.blocks(retry_unknown)]
    return min(found, key=lambda c: order.index(c.state)) if found else None


@dataclass(frozen=True)
class Begun:
    """The intent of one request: which addresses it claimed, and what holds the others."""

    request_id: int | None
    request_no: int | None
    claimed: list[str]
    held: dict[str, Claim]


@dataclass(frozen=True)
class History:
    """The ledger as DataFrames: ``sends`` (one row per recipient per request), ``statuses``, ``quota``."""

    sends: pd.DataFrame
    statuses: pd.DataFrame
    quota: pd.DataFrame


_UTC = "datetime64[us, UTC]"
#: The dtype of every column of :attr:`History.sends` (``mmsnb.read_results`` reads a saved one back with these).
SENDS_DTYPES: dict[str, Any] = {
    "campaign": "string",
    "request_no": "int64",
    "content_key": "string",
    "address": "string",
    "delivery_report": "bool",
    "state": pd.CategoricalDtype(list(REQUEST_STATES)),
    "message_id": "string",
    "http_status": "Int64",
    "error_code": "Int64",
    "error": "string",
    "intent_at": _UTC,
    "sent_at": _UTC,
}
#: The dtype of every column of :attr:`History.statuses`.
STATUSES_DTYPES: dict[str, Any] = {
    "campaign": "string",
    "message_id": "string",
    "address": "string",
    "status": "string",
    "category": CATEGORY_DTYPE,
    "final": "bool",
    "polled_at": _UTC,
}
#: The dtype of every column of :attr:`History.quota`.
QUOTA_DTYPES: dict[str, Any] = {"read_at": _UTC, "used": "int64", "available": "int64", "resets_on": _UTC}


def _utc(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True, format="ISO8601")


def _nearly_full(path: Path) -> bool:
    """Whether the ledger's disk has less than 1 MiB free (SQLite reports a full disk as an I/O error at times)."""
    try:
        return shutil.disk_usage(path.parent).free < 2**20
    except OSError:
        return False


def _explain(path: Path, exc: sqlite3.Error) -> LedgerError:
    """A sentence for a SQLite failure that names the ledger file and says what to do."""
    said = str(exc)
    text = said.lower()
    where = f"The ledger {str(path)!r}"
    if "not a database" in text:
        sentence = (
            f"{where} is not a ledger (not a SQLite database). Point ledger= or {VARIABLES['ledger']} at another file."
        )
    elif "readonly" in text or "read-only" in text:
        sentence = f"{where} is read-only. Make it (and its folder) writable, or point ledger= at a writable file."
    elif "unable to open" in text:
        if path.is_dir():
            sentence = f"{where} is a folder. Point ledger= at a file, e.g. {str(path / DEFAULT_NAME)!r}."
        elif not path.parent.is_dir():
            sentence = (
                f"{where} cannot be created: its folder {str(path.parent)!r} does not exist. "
                "Create the folder or choose another path."
            )
        elif not os.access(path.parent, os.W_OK):
            sentence = (
                f"{where} cannot be written: its folder {str(path.parent)!r} is read-only. Choose a writable folder."
            )
        else:
            sentence = f"{where} cannot be opened or created (check the folder's permissions), or choose another path."
    elif "full" in text or ("i/o" in text and _nearly_full(path)):
        sentence = (
            f"{where} cannot be written: the disk is full. "
            "Free some space and run again; nothing was sent without its record."
        )
    elif "locked" in text or "busy" in text:
        sentence = f"{where} stayed locked by another program for over 30 s. Close what holds it and run again."
    elif "no such table" in text or "no such column" in text or "malformed" in text:
        sentence = f"{where} is damaged or not an mmsnb ledger ({said}). Point ledger= at another file."
    else:
        sentence = f"{where} failed ({said}). Check the file and the disk, then run again."
    return LedgerError(sentence)


class Ledger:
    """A SQLite ledger file, safe to share between threads and processes.

    ``ledger=`` anywhere in mmsnb is a path or a Ledger; None means the one :func:`ledger_path`
    finds. Every SQLite failure becomes a :class:`LedgerError` that names the file.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = ledger_path(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        with self._guard():
            self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT)
            self._wal()
            self._conn.execute("PRAGMA synchronous=FULL")
            self._migrate()

    def _wal(self) -> None:
        """Switch to write-ahead logging, waiting while another connection holds the file.

        SQLite does not call its busy handler for this switch, so two runs opening a new ledger at
        the same moment would see "database is locked" at once; this waits as the handler would.
        """
        assert self._conn is not None
        waiting = Retrying(
            retry=retry_if_exception(lambda exc: isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)),
            wait=wait_fixed(0.01),
            stop=stop_after_delay(BUSY_TIMEOUT),
            reraise=True,
        )
        waiting(self._conn.execute, "PRAGMA journal_mode=WAL")

    def _migrate(self) -> None:
        assert self._conn is not None
        with self._transaction():
            (version,) = self._conn.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise LedgerError(
                    f"The ledger {str(self.path)!r} was written by a newer mmsnb (schema {version}, this one knows "
                    f"{SCHEMA_VERSION}). "
                    "Upgrade mmsnb: pip install -U mmsnb."
                )
            old = self._conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'recipients'").fetchone()
            for statement in (_SCHEMA + (_MIGRATE_FROM_1 if old else "")).split(";"):
                if statement.strip():
                    self._conn.execute(statement)
            if version != SCHEMA_VERSION:
                self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @classmethod
    @contextmanager
    def open(cls, spec: LedgerSpec = None, *, gateway: str | None = None) -> Iterator[Ledger]:
        """The ledger ``spec`` names, for a ``with`` block: a Ledger given is used and left open; one
        opened here (from a path, or found by :func:`ledger_path` for ``gateway``) is closed after.

        >>> with Ledger.open("team.sqlite") as ledger:       # doctest: +SKIP
        ...     ledger.history().sends
        """
        if isinstance(spec, Ledger):
            yield spec
            return
        with cls(ledger_path(spec, gateway=gateway)) as ledger:
            yield ledger

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    def close(self) -> None:
        """Close the connection; the file stays as it is."""
        if self._conn is not None:
            self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn SQLite's errors into :class:`LedgerError` naming this file."""
        try:
            yield
        except sqlite3.Error as exc:
            raise _explain(self.path, exc) from None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (``BEGIN IMMEDIATE``) so that readers-then-writers never race."""
        assert self._conn is not None
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise

    def _write(self, sql: str, rows: Iterable[tuple[Any, ...]] | tuple[Any, ...] = ()) -> None:
        with self._lock, self._guard():
            assert self._conn is not None
            if isinstance(rows, tuple):
                self._conn.execute(sql, rows)
            else:
                self._conn.executemany(sql, rows)

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock, self._guard():
            assert self._conn is not None
            return self._conn.execute(sql, args).fetchall()

    # -- runs and claims -----------------------------------------------------
    def start_run(self, campaign: str) -> int:
        """Record that this process starts sending ``campaign``; returns the run's id."""
        at = now()
        with self._lock, self._guard(), self._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO runs (campaign, host, pid, started_at, seen_at) VALUES (?, ?, ?, ?, ?)",
                (campaign, socket.gethostname(), os.getpid(), at, at),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def end_run(self, run_id: int) -> None:
        """Record that the run stopped: intents it left without an outcome are unknown from now on."""
        self._write("UPDATE runs SET ended_at = ?, seen_at = ? WHERE id = ?", (now(), now(), run_id))

    def claims(self, campaign: str) -> dict[str, list[Claim]]:
        """Every claim of the campaign, by address."""
        out: dict[str, list[Claim]] = {}
        for row in self._read(_CLAIMS, (campaign,)):
            claim = _claim(row)
            out.setdefault(claim.address, []).append(claim)
        return out

    def begin(
        self,
        run_id: int,
        campaign: str,
        content_key: str,
        addresses: list[str],
        delivery_report: bool,
        *,
        slot: str = "",
        retry_unknown: bool = False,
    ) -> Begun:
        """Claim the free addresses and write the request's intent, in one transaction, before it is sent.

        Addresses held by another claim (accepted, in progress, unknown, rejected) are returned in
        ``held`` and left out of the request; with none free, no request is written.
        """
        at = now()
        with self._lock, self._guard(), self._transaction() as conn:
            conn.execute("UPDATE runs SET seen_at = ? WHERE id = ?", (at, run_id))
            held: dict[str, Claim] = {}
            for start in range(0, len(addresses), 500):
                chunk = addresses[start : start + 500]
                found: dict[str, list[Claim]] = {}
                for row in conn.execute(
                    _CLAIMS + f" AND c.address IN ({','.join('?' * len(chunk))})", (campaign, *chunk)
                ):
                    claim = _claim(row)
                    found.setdefault(claim.address, []).append(claim)
                for address in chunk:
                    hold = holding(found.get(address, ()), slot, retry_unknown)
                    if hold is not None:
                        held[address] = hold
            claimed = [a for a in addresses if a not in held]
            if not claimed:
                return Begun(None, None, [], held)
            (number,) = conn.execute(
                "SELECT COALESCE(MAX(request_no), 0) + 1 FROM requests WHERE campaign = ?", (campaign,)
            ).fetchone()
            cursor = conn.execute(
                "INSERT INTO requests (campaign, request_no, content_key, addresses, delivery_report, state, "
                "intent_at, run_id) "
                "VALUES (?, ?, ?, ?, ?, 'sending', ?, ?)",
                (campaign, number, content_key, json.dumps(claimed), int(delivery_report), at, run_id),
            )
            request_id = cursor.lastrowid
            conn.executemany(
                "INSERT INTO claims (campaign, address, slot, request_id) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (campaign, address, slot) DO UPDATE SET request_id = excluded.request_id",
                [(campaign, a, slot, request_id) for a in claimed],
            )
        return Begun(request_id, number, claimed, held)

    def finish(
        self,
        request_id: int,
        state: RequestState,
        *,
        message_id: str | None = None,
        http_status: int | None = None,
        error_code: int | None = None,
        error: str | None = None,
    ) -> str:
        """Write the outcome of a request; returns the time written."""
        at = now()
        self._write(
            "UPDATE requests SET state = ?, message_id = ?, http_status = ?, error_code = ?, error = ?, done_at = ? "
            "WHERE id = ?",
            (state, message_id, http_status, error_code, error, at, request_id),
        )
        return at

    def pause(self, request_id: int) -> None:
        """The gateway said "slow down": the request was not taken, and waits to be sent again."""
        self._write("UPDATE requests SET state = 'throttled' WHERE id = ?", (request_id,))

    def resume(self, run_id: int, request_id: int) -> bool:
        """Before a waiting request is sent again:
        True (and ``sending`` again) if it still holds every claim it took.
        """
        with self._lock, self._guard(), self._transaction() as conn:
            conn.execute("UPDATE runs SET seen_at = ? WHERE id = ?", (now(), run_id))
            (addresses,) = conn.execute("SELECT addresses FROM requests WHERE id = ?", (request_id,)).fetchone()
            (held,) = conn.execute("SELECT COUNT(*) FROM claims WHERE request_id = ?", (request_id,)).fetchone()
            if held != len(json.loads(addresses)):
                return False
            conn.execute("UPDATE requests SET state = 'sending' WHERE id = ?", (request_id,))
            return True

    def delivery_reports(self, message_ids: Iterable[str]) -> dict[str, bool]:
        """Whether each known message was sent asking for a delivery report."""
        ids = list(message_ids)
        out: dict[str, bool] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for mid, report in self._read(
                f"SELECT message_id, delivery_report FROM requests WHERE message_id IN ({marks})", tuple(chunk)
            ):
                out[mid] = bool(report)
        return out

    # -- statuses and quota -------------------------------------------------
    def record_status(self, status: DeliveryStatus, polled_at: str) -> None:
        """Keep one status answer: a row per address (the message's status for each when it gives no detail)."""
        rows: list[tuple[str, str | None, str, str, int, str]] = [
            (status.message_id, a.address, a.status, a.category, int(a.final), polled_at) for a in status.addresses
        ]
        if not rows:
            found = self._read("SELECT addresses FROM requests WHERE message_id = ?", (status.message_id,))
            addresses = json.loads(found[0][0]) if found else [None]
            rows = [
                (status.message_id, a, status.status, status.category, int(status.final), polled_at) for a in addresses
            ]
        self._write("INSERT INTO statuses VALUES (?, ?, ?, ?, ?, ?)", rows)

    def record_quota(self, limit: Limit) -> None:
        """Keep a quota reading, with the time it was read."""
        resets = limit.resets_on.isoformat() if limit.resets_on else None
        self._write("INSERT INTO quota VALUES (?, ?, ?, ?)", (now(), limit.used, limit.available, resets))

    # -- analysis ----------------------------------------------------------
    def history(self, campaign: str | None = None) -> History:
        """The ledger as DataFrames, for one campaign or all."""
        where, args = ("WHERE campaign = ?", (campaign,)) if campaign else ("", ())
        with self._lock, self._guard():
            requests = pd.read_sql_query(f"SELECT * FROM requests {where} ORDER BY id", self._conn, params=args)
            statuses = pd.read_sql_query(
                "SELECT q.campaign, s.message_id, COALESCE(s.address, '') AS address, s.status, s.category, s.final, "
                "s.polled_at "
                "FROM statuses s JOIN requests q ON q.message_id = s.message_id "
                + ("WHERE q.campaign = ? " if campaign else "")
                + "ORDER BY s.polled_at",
                self._conn,
                params=args,
            )
            quota = pd.read_sql_query("SELECT * FROM quota ORDER BY read_at", self._conn)
        requests["addresses"] = requests["addresses"].map(json.loads)
        sends = requests.explode("addresses").rename(columns={"addresses": "address", "done_at": "sent_at"})
        sends = sends.drop(columns=["id", "run_id"]).reset_index(drop=True)
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
        for frame, dtypes in ((sends, SENDS_DTYPES), (statuses, STATUSES_DTYPES), (quota, QUOTA_DTYPES)):
            for col, dtype in dtypes.items():  # the documented dtypes, for an empty history too
                frame[col] = frame[col].astype(dtype)
        return History(sends, statuses, quota)


def history(campaign: str | None = None, ledger: LedgerSpec = None, *, client: Client | None = None) -> History:
    """The ledger as DataFrames for analysis: ``.sends``, ``.statuses`` and ``.quota``.

    Without ``ledger``, the one :func:`ledger_path` finds for ``client``'s gateway (an embedded
    sandbox keeps its own). A ledger that does not exist yet has an empty history, and reading it
    does not create it.

    >>> h = mmsnb.history("spring-promo")             # doctest: +SKIP
    >>> h.statuses.groupby("category").size()         # doctest: +SKIP
    """
    if not isinstance(ledger, Ledger):
        path = ledger_path(ledger, gateway=None if client is None else client.base_url)
        ledger = path if path.exists() else ":memory:"  # reading never creates a ledger: no file, no history
    with Ledger.open(ledger) as book:
        return book.history(campaign)
