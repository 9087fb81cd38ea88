"""The SQLite engine: one file, one connection per Ledger shared by its threads, write-ahead logging,
every commit synced to disk.

>>> store = SQLiteStore(Location(Path(":memory:")))
>>> with store.read() as tx:
...     tx.execute("SELECT version FROM schema_version")
[(4,)]
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import stat
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_fixed

from ..config import VARIABLES
from ..errors import LedgerError
from ..words import N_
from .location import DEFAULT_NAME, Location
from .schema import SCHEMA_VERSION, check_version, statements, tables

#: Seconds to wait for another connection's lock on the ledger before giving up.
BUSY_TIMEOUT = 30.0

#: Ledgers of schema 2 keep their claims' key (campaign first) and gain an index by number.
_MIGRATE_FROM_2 = "CREATE INDEX IF NOT EXISTS claims_address ON claims (address)"
#: Ledgers of schema 1 (per-content recipients, no runs) gain the runs and claims; a recipient's
#: claim is the request that matters most (accepted, then under way or unknown, then the rest).
_MIGRATE_FROM_1 = """
ALTER TABLE requests ADD COLUMN run_id INTEGER REFERENCES runs (id);
INSERT OR REPLACE INTO claims (campaign, address, slot, request_id)
    SELECT r.campaign, r.address, '', r.request_id FROM recipients r JOIN requests q ON q.id = r.request_id
    ORDER BY CASE q.state WHEN 'accepted' THEN 3 WHEN 'sending' THEN 2 WHEN 'unknown' THEN 2 ELSE 1 END, q.id;
DROP TABLE recipients
"""


def _nearly_full(path: Path) -> bool:
    """Whether the ledger's disk has less than 1 MiB free (SQLite reports a full disk as an I/O error at times)."""
    try:
        return shutil.disk_usage(path.parent).free < 2**20
    except OSError:
        return False


#: What :func:`check_one_name` says when the ledger file, or its write-ahead log, has more than one name.
_LINKED_FILE = N_(
    "The ledger {where!r} is a file with {links} names (hard links), which SQLite does not support: a run through "
    "each name would keep its own record and send every message again. Copy the ledger to a new file, remove the "
    "other names, and point ledger= or {variable} at the copy."
)
_LINKED_LOG = N_(
    "The ledger {where!r} has a write-ahead log with {links} names (hard links), which SQLite does not support: a "
    "run through each name would keep its own record and send every message again. Copy the ledger to a new file, "
    "remove the other names, and point ledger= or {variable} at the copy."
)


def check_one_name(path: Path) -> None:
    """:class:`LedgerError` when the ledger file or its write-ahead log has more than one name (a hard link),
    or is a mount point of its own (a file bind-mounted into a container, ``-v team.sqlite:/data/l.sqlite``).

    SQLite keeps a log per name and does not support this: runs through two names would each keep their
    own record, and each would send every message.
    """
    for file, sentence in ((path, _LINKED_FILE), (Path(f"{path}-wal"), _LINKED_LOG)):
        try:
            found = os.stat(file)
        except OSError:
            continue  # not there (yet): nothing to share
        links = found.st_nlink
        if stat.S_ISREG(found.st_mode) and links > 1:  # a folder has a name per subfolder: explained on opening
            raise LedgerError(sentence, values={"where": str(path), "links": links, "variable": VARIABLES["ledger"]})
    _check_not_mounted(path)


def _check_not_mounted(path: Path) -> None:
    """:class:`LedgerError` when the ledger file, its write-ahead log or its shared memory is a mount point."""
    mounted = mount_points()
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if os.path.realpath(file) in mounted and os.path.isfile(file):
            raise LedgerError(
                N_(
                    "The ledger {where!r} is a file mounted on its own (as a container's volume of one file), which "
                    "SQLite does not support: its write-ahead log here is not the one beside the file elsewhere, so a "
                    "run here and a run there would each send every message. Mount the folder that holds the ledger "
                    "instead, so the log is shared, and point ledger= or {variable} at the file inside it."
                ),
                values={"where": str(path), "variable": VARIABLES["ledger"]},
            )


def mount_points(mountinfo: str = "/proc/self/mountinfo") -> set[str]:
    r"""The mount points this process sees (Linux), as paths: ``\040`` in the kernel's list is a space.

    Empty where there is no such list (macOS, Windows).
    """
    try:
        with open(mountinfo, "rb") as file:
            lines = file.read().splitlines()
    except OSError:
        return set()
    points = set()
    for line in lines:
        fields = line.split(b" ")
        if len(fields) > 4:
            raw = re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m[1], 8)]), fields[4])
            points.add(os.fsdecode(raw))
    return points


def explain(path: Path, exc: sqlite3.Error) -> LedgerError:
    """A sentence for a SQLite failure that names the ledger file and says what to do (a message of the catalogue,
    said in Polish where Polish is chosen)."""
    said = str(exc)
    text = said.lower()
    values = {"where": str(path), "said": said, "variable": VARIABLES["ledger"], "folder": str(path.parent)}
    if "not a database" in text:
        sentence = N_(
            "The ledger {where!r} is not a ledger (not a SQLite database). Point ledger= or {variable} at another file."
        )
    elif "readonly" in text or "read-only" in text:
        sentence = N_(
            "The ledger {where!r} is read-only. Make it (and its folder) writable, or point ledger= at a writable file."
        )
    elif "unable to open" in text:
        if path.is_dir():
            sentence = N_("The ledger {where!r} is a folder. Point ledger= at a file, e.g. {file!r}.")
            values["file"] = str(path / DEFAULT_NAME)
        elif not path.parent.is_dir():
            sentence = N_(
                "The ledger {where!r} cannot be created: its folder {folder!r} does not exist. "
                "Create the folder or choose another path."
            )
        elif not os.access(path.parent, os.W_OK):
            sentence = N_(
                "The ledger {where!r} cannot be written: its folder {folder!r} is read-only. Choose a writable folder."
            )
        else:
            sentence = N_(
                "The ledger {where!r} cannot be opened or created (check the folder's permissions), or choose another "
                "path."
            )
    elif "full" in text or ("i/o" in text and _nearly_full(path)):
        sentence = N_(
            "The ledger {where!r} cannot be written: the disk is full. "
            "Free some space and run again; nothing was sent without its record."
        )
    elif "locked" in text or "busy" in text:
        sentence = N_(
            "The ledger {where!r} stayed locked by another program for over 30 s. Close what holds it and run again."
        )
    elif "no such table" in text or "no such column" in text or "malformed" in text:
        sentence = N_("The ledger {where!r} is damaged or not an mmsnb ledger ({said}). Point ledger= at another file.")
    else:
        sentence = N_("The ledger {where!r} failed ({said}). Check the file and the disk, then run again.")
    return LedgerError(sentence, values=values)


class SQLiteTransaction:
    """Statements inside one transaction of a SQLite ledger (``?`` placeholders)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, tuple(args)).fetchall()

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)

    def insert(self, sql: str, args: Sequence[Any]) -> int:
        """Run an ``INSERT`` and return the new row's id."""
        cursor = self._conn.execute(sql, tuple(args))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def serialize(self, keys: Iterable[str]) -> None:
        """Nothing to do: a SQLite write transaction (``BEGIN IMMEDIATE``) already excludes every other writer."""


class SQLiteStore:
    """A SQLite ledger file, safe to share between threads and processes."""

    def __init__(self, location: Location) -> None:
        assert location.path is not None
        self.location, self.path = location, location.path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        check_one_name(self.path)
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
        """Create the schema, or bring an older one up to date; refuse a newer one."""
        assert self._conn is not None
        with self._begin() as tx:

            def has(table: str) -> bool:
                return bool(tx.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)))

            if has("schema_version"):
                version = tx.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")[0][0]
            else:  # schema 2 kept its version in the file's header
                version = tx.execute("PRAGMA user_version")[0][0]
            check_version(version, str(self.path))
            legacy, older = has("recipients"), has("claims") or has("recipients")
            for statement in statements(tables("sqlite")) + (statements(_MIGRATE_FROM_1) if legacy else []):
                tx.execute(statement)
            if older and version < SCHEMA_VERSION:
                tx.execute(_MIGRATE_FROM_2)
            if version != SCHEMA_VERSION:
                tx.execute("DELETE FROM schema_version")
                tx.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
                tx.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn SQLite's errors into :class:`LedgerError` naming this file."""
        try:
            yield
        except sqlite3.Error as exc:
            raise explain(self.path, exc) from None

    @contextmanager
    def _begin(self) -> Iterator[SQLiteTransaction]:
        """One write transaction, taken at once (``BEGIN IMMEDIATE``) so that readers-then-writers never race."""
        assert self._conn is not None
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield SQLiteTransaction(self._conn)
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise

    @contextmanager
    def write(self) -> Iterator[SQLiteTransaction]:
        """One write transaction; every other writer waits for it."""
        with self._lock, self._guard(), self._begin() as tx:
            yield tx

    @contextmanager
    def read(self) -> Iterator[SQLiteTransaction]:
        """Statements that only read."""
        with self._lock, self._guard():
            assert self._conn is not None
            yield SQLiteTransaction(self._conn)

    def close(self) -> None:
        """Close the connection; the file stays as it is."""
        if self._conn is not None:
            self._conn.close()
