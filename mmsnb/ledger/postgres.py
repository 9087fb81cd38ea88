"""The PostgreSQL engine: a team's shared ledger, through psycopg 3 and one connection pool per process.

Each write is one transaction on a connection taken from the pool, so a send's threads write at
the same time. Claims of one campaign are taken one transaction at a time (a transaction-scoped
advisory lock on the campaign's name, as SQLite's write lock does for the whole file); with a
``min_gap`` the numbers are locked too, so two campaigns cannot both contact a number at once.
Needs ``pip install 'mmsnb[team]'``.

>>> store = PostgresStore(locate("postgresql://me@localhost/team"))  # connects to a server not here  # doctest: +SKIP
"""

from __future__ import annotations

import atexit
import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from .. import redact
from ..errors import LedgerError
from ..words import N_
from .location import Location
from .schema import SCHEMA_VERSION, check_version, statements, tables

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

#: Seconds to wait for the server to answer a connection, and for a free connection of the pool.
CONNECT_TIMEOUT = 10
#: Connections a process keeps open to one ledger at most (a send's threads share them).
POOL_SIZE = 8
#: Seconds a statement waits for a lock another run holds (as SQLite waits for its file) before giving up.
LOCK_TIMEOUT = 30
#: Seconds one call of the ledger (a transaction: its statements, their waits for locks, its commit; or the
#: check of a pooled connection) may take before the server is taken for lost: a server that stopped (frozen,
#: while its machine still acknowledges every packet) would otherwise keep a campaign waiting for ever.
ANSWER_TIMEOUT = 2 * LOCK_TIMEOUT
#: The first key of every advisory lock mmsnb takes (the second is the hash of a campaign or a number).
_LOCK_CLASS = 0x6D6D73  # "mms"
_INSTALL = "pip install 'mmsnb[team]'"

_POOLS: dict[tuple[int, str], ConnectionPool] = {}
#: ``.error``: the last call in this thread the server left unanswered (the pool, when the check of a connection
#: it would lend goes unanswered, tries others, and says only that it found none in time).
_UNANSWERED = threading.local()
# The pool logs each failed reconnection as a warning; with no logging set up, Python would print every
# one under a notebook's cell. The sentence of the LedgerError says what happened; logging, if set up, shows them.
logging.getLogger("psycopg.pool").addHandler(logging.NullHandler())
_POOLS_LOCK = threading.Lock()


def explain(location: Location, exc: Exception, *, reading: bool = False) -> LedgerError:
    """A sentence for a PostgreSQL failure that names the ledger (without its password) and says what to do;
    ``reading``: it failed while only reading (opt-outs, history), so nothing was changed (a message of the
    catalogue, said in Polish where Polish is chosen)."""
    said = redact.redact(str(exc).strip().replace("\n", " "))
    text = said.lower()
    values: dict[str, object] = {"where": str(location), "said": said}
    if "password authentication failed" in text or "no password supplied" in text:
        sentence = N_(
            "The ledger {where!r} refused the credentials ({said}). Check the user and the password "
            "(in the URL, PGPASSWORD or ~/.pgpass)."
        )
    elif "database" in text and "does not exist" in text:
        sentence = N_(
            "The ledger {where!r} names a database that does not exist ({said}). Create it (createdb) or fix the URL."
        )
    elif "permission denied" in text and "create table" in text:
        sentence = N_(
            "The ledger {where!r} has no mmsnb tables yet (or older ones), and this user may not create them "
            "({said}). Have the database's owner (or a user with CREATE on its schema) run mmsnb once against it; "
            "after that, rights to read and write its tables are enough."
        )
    elif "permission denied" in text:
        sentence = N_(
            "The ledger {where!r} may not be read or written by this user ({said}). "
            "Ask for SELECT, INSERT, UPDATE and DELETE on its tables, and USAGE on their sequences."
        )
    elif "lock timeout" in text:
        sentence = N_(
            "The ledger {where!r} stayed locked by another run for over {seconds} s (one claiming these recipients "
            "that stopped answering, e.g. a laptop gone to sleep). Nothing was sent without its record; run again "
            "later."
        )
        values["seconds"] = LOCK_TIMEOUT
    elif any(
        s in text
        for s in ("server closed the connection", "terminating connection", "consuming input", "no answer within")
    ):
        sentence = (
            N_(
                "The ledger {where!r} lost its connection to the server ({said}) while it was being read; nothing "
                "was changed. Run again when the server answers."
            )
            if reading
            else N_(
                "The ledger {where!r} lost its connection to the server ({said}) while it was being written. "
                "A campaign stops here: requests under way are recorded as unknown and are not repeated. "
                "An opt-out or opt-in may not be recorded: check it when the server answers."
            )
        )
    elif "couldn't get a connection" in text or "pool" in text:
        sentence = N_(
            "The ledger {where!r} gave no connection within {seconds} s: the server is down or unreachable. "
            "Run again when it answers."
        )
        values["seconds"] = CONNECT_TIMEOUT
    elif any(s in text for s in ("connection refused", "could not connect", "timeout expired", "connection failed")):
        sentence = N_(
            "The ledger {where!r} cannot be reached ({said}). Check that the server runs and the host and port "
            "are right."
        )
    else:
        sentence = N_("The ledger {where!r} failed ({said}). Check the database, then run again.")
    return LedgerError(sentence, values=values)


class _Watchdog:
    """One thread that runs each armed action whose deadline passes before it is disarmed."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Nothing armed and no thread yet (a forked child's state: the parent's thread is not in it)."""
        self._due: dict[int, tuple[float, Callable[[], None]]] = {}
        self._changed = threading.Condition()
        self._keys = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float, action: Callable[[], None]) -> int:
        """Run ``action`` in ``seconds`` unless disarmed first; returns the key to disarm it with."""
        with self._changed:
            key = next(self._keys)
            self._due[key] = (time.monotonic() + seconds, action)
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="mmsnb-ledger-watchdog", daemon=True)
                self._thread.start()
            self._changed.notify()
        return key

    def disarm(self, key: int) -> None:
        """The action of ``key`` will not run (if it is running, this waits until it has)."""
        with self._changed:
            self._due.pop(key, None)

    def _watch(self) -> None:
        with self._changed:
            while True:
                now = time.monotonic()
                for key, (deadline, action) in list(self._due.items()):
                    if deadline <= now:
                        del self._due[key]
                        action()
                soonest = min((deadline for deadline, _ in self._due.values()), default=None)
                self._changed.wait(None if soonest is None else soonest - now)


_WATCHDOG = _Watchdog()
os.register_at_fork(after_in_child=_WATCHDOG.reset)


@contextmanager
def _answered(conn: psycopg.Connection[Any], seconds: float) -> Iterator[None]:
    """Cut ``conn`` (shut its socket) if the block still waits for the server after ``seconds``: every call on
    it then fails at once, with "no answer within … s". Keepalives cannot tell a frozen server from a busy one."""
    psycopg, _ = _modules()
    cut = threading.Event()

    def shut() -> None:
        cut.set()
        with suppress(OSError, psycopg.Error), socket.socket(fileno=os.dup(conn.fileno())) as sock:
            sock.shutdown(socket.SHUT_RDWR)

    key = _WATCHDOG.arm(seconds, shut)
    try:
        yield
    except psycopg.Error:
        if cut.is_set():
            _UNANSWERED.error = psycopg.OperationalError(f"no answer within {seconds:g} s")
            raise _UNANSWERED.error from None
        raise
    finally:
        _WATCHDOG.disarm(key)  # never cut after the block: the connection may be another's by then


def _modules() -> tuple[Any, Any]:
    """psycopg and psycopg_pool, or a :class:`LedgerError` that says how to install them."""
    try:
        import psycopg
        import psycopg_pool
    except ImportError:
        raise LedgerError(
            N_("A PostgreSQL ledger needs the team extra, which is not installed: {install}"),
            values={"install": _INSTALL},
        ) from None
    return psycopg, psycopg_pool


class PostgresTransaction:
    """Statements inside one transaction of a PostgreSQL ledger (written with ``?`` placeholders, like SQLite's)."""

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("?", "%s")

    def execute(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._cursor.execute(self._sql(sql), tuple(args))
        return self._cursor.fetchall() if self._cursor.description else []

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._cursor.executemany(self._sql(sql), [tuple(r) for r in rows])

    def insert(self, sql: str, args: Sequence[Any]) -> int:
        """Run an ``INSERT`` and return the new row's id."""
        (found,) = self.execute(sql + " RETURNING id", args)
        return int(found[0])

    def serialize(self, keys: Iterable[str]) -> None:
        """Wait until no other transaction holds any of ``keys``, then hold them until this one ends
        (taken in one order, so two transactions never wait for each other)."""
        self.execute(
            "SELECT COUNT(pg_advisory_xact_lock(?, k)) FROM "
            "(SELECT DISTINCT hashtext(key) AS k FROM unnest(?::text[]) AS key ORDER BY k) AS keys",
            (_LOCK_CLASS, list(keys)),
        )


def _close_pools() -> None:
    with _POOLS_LOCK:
        for key, pool in list(_POOLS.items()):
            if key[0] == os.getpid():
                pool.close()
        _POOLS.clear()


atexit.register(_close_pools)


class PostgresStore:
    """A ledger in a PostgreSQL database; every Ledger of this process on the same URL shares one pool."""

    def __init__(self, location: Location) -> None:
        self.location = location
        #: What lost the server (the first cause, not an echo of it): every call after it fails at once.
        self._lost: Exception | None = None
        self._psycopg, pool_module = _modules()
        key = (os.getpid(), location.conninfo)
        with _POOLS_LOCK, self._guard():
            pool = _POOLS.get(key)
            if pool is None:
                self._migrate()
                pool = pool_module.ConnectionPool(
                    location.conninfo,
                    min_size=1,
                    max_size=POOL_SIZE,
                    kwargs=self._settings(),
                    check=self._check,
                    timeout=CONNECT_TIMEOUT,
                    name="mmsnb-ledger",
                    open=True,
                )
                _POOLS[key] = pool
        self._pool = pool

    @staticmethod
    def _check(conn: psycopg.Connection[Any]) -> None:
        """The pool's check of a connection before it is lent, in :data:`ANSWER_TIMEOUT` at most."""
        _, pool_module = _modules()
        with _answered(conn, ANSWER_TIMEOUT):
            pool_module.ConnectionPool.check_connection(conn)

    def _settings(self) -> dict[str, Any]:
        """What every connection adds to the URL: timeouts that turn a stuck database into a sentence (a lock
        held by a run whose laptop went to sleep, a connection gone quiet), and a name the activity views show."""
        settings: dict[str, Any] = {
            "connect_timeout": CONNECT_TIMEOUT,
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
            "options": f"-c lock_timeout={LOCK_TIMEOUT * 1000} "
            f"-c idle_in_transaction_session_timeout={LOCK_TIMEOUT * 2 * 1000}",
        }
        if "application_name" not in self.location.conninfo:
            settings["application_name"] = "mmsnb"
        return settings

    def _migrate(self) -> None:
        """Create the schema, or bring an older one up to date (one process at a time); refuse a newer one.
        A ledger already up to date is only read, so a user who may write but not create tables can use it."""
        with (
            self._psycopg.connect(self.location.conninfo, **self._settings()) as conn,
            _answered(conn, ANSWER_TIMEOUT),
            conn.transaction(),
        ):
            tx = PostgresTransaction(conn.cursor())
            tx.serialize(["schema"])
            found = tx.execute("SELECT to_regclass('schema_version') IS NOT NULL")[0][0]
            version = tx.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")[0][0] if found else 0
            check_version(version, str(self.location))
            if version == SCHEMA_VERSION:
                return
            for statement in statements(tables("postgresql")):
                tx.execute(statement)
            tx.execute("DELETE FROM schema_version")
            tx.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))

    @contextmanager
    def _guard(self, *, reading: bool = False) -> Iterator[None]:
        """Turn psycopg's errors (and the pool's) into :class:`LedgerError` naming this ledger (worded for a
        read when ``reading``); once the server is lost, this Ledger fails at once from then on (a campaign
        stops without waiting again)."""
        _, pool_module = _modules()
        try:
            yield
        except (self._psycopg.Error, pool_module.PoolTimeout) as exc:
            unanswered = getattr(_UNANSWERED, "error", None) if isinstance(exc, pool_module.PoolTimeout) else None
            error = explain(self.location, unanswered or exc, reading=reading)
            waited = isinstance(exc, self._psycopg.errors.LockNotAvailable)  # the server is there: a lock was not
            if isinstance(exc, (self._psycopg.OperationalError, pool_module.PoolTimeout)) and not waited:
                self._lost = self._lost or (unanswered or exc).with_traceback(None)
            raise error from None

    @contextmanager
    def write(self) -> Iterator[PostgresTransaction]:
        """One transaction on a connection of the pool, committed when the block ends."""
        with self._transaction(reading=False) as tx:
            yield tx

    @contextmanager
    def read(self) -> Iterator[PostgresTransaction]:
        """One transaction that only reads; a failure says that nothing was changed."""
        with self._transaction(reading=True) as tx:
            yield tx

    @contextmanager
    def _transaction(self, *, reading: bool) -> Iterator[PostgresTransaction]:
        if self._lost is not None:
            raise explain(self.location, self._lost, reading=reading)
        _UNANSWERED.error = None
        with (
            self._guard(reading=reading),
            self._pool.connection() as conn,
            _answered(conn, ANSWER_TIMEOUT),
            conn.transaction(),
        ):
            yield PostgresTransaction(conn.cursor())

    def close(self) -> None:
        """Nothing to close: the pool serves every Ledger of this process, and closes when it exits."""
