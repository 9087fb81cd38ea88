"""Where a ledger is: a SQLite file, or a team's PostgreSQL database named by a URL.

A PostgreSQL URL may carry a password; a :class:`Location` keeps it to connect and never shows
it (``str``, ``repr``, the results' record and every message show the URL without it, which
libpq completes from ``PGPASSWORD`` or ``~/.pgpass``, or this process from the URL it saw first).

>>> str(locate("postgresql://team:s3cret@db.example:5432/campaigns"))
'postgresql://team@db.example:5432/campaigns'
>>> locate("sqlite:///team.sqlite").path.name
'team.sqlite'
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Union
from urllib.parse import quote, urlencode, urlsplit

from .. import redact
from ..config import CONNINFO_KEYWORDS, FILE_URL, VARIABLES, environment
from ..errors import Fix, InputError, LedgerError
from ..words import N_

if TYPE_CHECKING:
    from .journal import Ledger

DEFAULT_NAME = "mmsnb-ledger.sqlite"
#: The URL schemes of a PostgreSQL ledger.
POSTGRES_SCHEMES = ("postgresql", "postgres")
#: How to install what a PostgreSQL ledger needs.
INSTALL = "pip install 'mmsnb[team]'"
#: Connection settings that are secrets: kept to connect, never shown.
_SECRET_KEYS = ("password", "sslpassword")
#: What ``ledger=`` accepts anywhere in mmsnb: a path, a ``sqlite:///`` or ``postgresql://`` URL, or a Ledger.
LedgerSpec = Union[str, os.PathLike[str], "Location", "Ledger", None]


def _shown(params: dict[str, str]) -> str:
    """A PostgreSQL URL of connection ``params`` (without any password), which libpq reads back to the same."""
    params = dict(params)
    user, host, port, dbname = (params.pop(k, None) for k in ("user", "host", "port", "dbname"))
    netloc = f"{quote(user, safe='')}@" if user else ""
    if host and "," not in host and not host.startswith("/"):
        netloc += (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")
    else:  # a unix socket's folder, or several hosts, go in the query
        params.update({k: v for k, v in (("host", host), ("port", port)) if v})
    query = urlencode(sorted(params.items()))
    return f"postgresql://{netloc}/{quote(dbname or '', safe='')}" + (f"?{query}" if query else "")


#: Each PostgreSQL URL seen with a password in this process, by its shown form, so a ledger
#: named by a results frame's record (shown without it) reconnects as it was first opened.
_PASSWORDS: dict[str, str] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Location:
    """A ledger's place: ``path`` for SQLite, else a PostgreSQL ``url`` shown without its password."""

    path: Path | None = None
    url: str | None = None
    _conninfo: str | None = field(default=None, repr=False, compare=False)

    @property
    def engine(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return "sqlite" if self.path is not None else "postgresql"

    @property
    def conninfo(self) -> str:
        """The URL to connect with (with its password): never show it."""
        assert self.url is not None
        return self._conninfo or self.url

    @property
    def key(self) -> str:
        """One name for this place however it was spelled (a file's real path; the URL without its password)."""
        return os.path.realpath(self.path) if self.path is not None else str(self.url)

    def exists(self) -> bool:
        """Whether there is a ledger here to read: a SQLite file must exist; a database is asked."""
        return self.path is None or self.path.exists()

    def absolute(self) -> Location:
        """The same place, with a SQLite path made absolute."""
        return self if self.path is None else Location(self.path.absolute())

    def __str__(self) -> str:
        return str(self.path) if self.path is not None else str(self.url)

    def __repr__(self) -> str:
        return f"Location({str(self)!r})"


def parse(spec: str | os.PathLike[str]) -> Location:
    """The :class:`Location` a path or URL names.

    >>> parse("postgres://me@localhost/team").engine
    'postgresql'
    """
    text = os.fspath(spec)
    scheme = text.partition("://")[0].lower() if "://" in text else ""
    if scheme in POSTGRES_SCHEMES or (not scheme and CONNINFO_KEYWORDS.match(text)):
        return _postgres(text if not scheme else "postgresql" + text[len(scheme) :])
    if scheme == "sqlite":
        path = text[len(FILE_URL) :] if text.lower().startswith(FILE_URL) else ""
        if not path:
            raise InputError(
                N_("{text!r} names no file: write sqlite:///relative/path.sqlite or sqlite:////absolute/path."),
                values={"text": text},
            )
        return Location(Path(path))
    if scheme:
        raise InputError(
            N_(
                "{fix} {scheme}:// is not a ledger this version knows: give a file path, "
                "sqlite:///path or postgresql://user@host:port/database."
            ),
            fix=Fix(option="ledger"),
            values={"fix": "{fix}", "scheme": scheme},
        )
    return Location(Path(text))


def _postgres(conninfo: str) -> Location:
    """The Location of a PostgreSQL URL or ``key=value`` string, read as libpq reads it."""
    try:
        from psycopg import ProgrammingError
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:
        raise LedgerError(
            N_("A PostgreSQL ledger needs the team extra, which is not installed: {install}"),
            values={"install": INSTALL},
        ) from None
    unreadable = InputError(  # libpq's own message may repeat the password: it is not shown
        N_(
            "This PostgreSQL ledger URL cannot be read: write postgresql://user:password@host:port/database, "
            "with @ : / ? # % in the password written as %40 %3A %2F %3F %23 %25."
        ),
        values={},
    )
    if "://" in conninfo and "@" in conninfo.split("://", 1)[1].partition("/")[2].partition("?")[0]:
        raise unreadable  # an @ after the host: a password with a / in it, which libpq would cut there
    try:
        params = {k: str(v) for k, v in conninfo_to_dict(conninfo).items()}
    except ProgrammingError:
        raise unreadable from None
    secrets = [params.pop(k) for k in _SECRET_KEYS if k in params]
    shown = _shown(params)
    with _LOCK:
        for secret in secrets:
            redact.register(secret)
        if secrets:
            _PASSWORDS[shown] = conninfo
        known = shown in _PASSWORDS
    if not known:
        configured = environment().get(VARIABLES["ledger"]) or ""
        if configured and configured != conninfo and configured.partition("://")[0].lower() in POSTGRES_SCHEMES:
            parse(configured)  # MMSNB_LEDGER may name this database with its password
    with _LOCK:
        return Location(url=shown, _conninfo=_PASSWORDS.get(shown, conninfo))


_OWN_LEDGERS: dict[str, Path] = {}


def keep_own_ledger(gateway: str, path: str | os.PathLike[str] | None) -> None:
    """Record that sends to ``gateway`` (a base URL) have their own ledger at ``path`` (None: not any more).

    The embedded sandbox does this, so what is sent to it never mixes with a real campaign's record.
    """
    with _LOCK:
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


def locate(spec: str | os.PathLike[str] | Location | None = None, *, gateway: str | None = None) -> Location:
    """Where a ledger is: ``spec`` when given; else, when ``gateway`` is a sandbox embedded in this process,
    the sandbox's own (so practice sends never enter a team's ledger named in ``.env``); else ``MMSNB_LEDGER``
    from the environment or a ``.env`` file; else ``mmsnb-ledger.sqlite`` in the working directory.

    >>> locate("team.sqlite").path.name
    'team.sqlite'
    """
    if isinstance(spec, Location):
        return spec
    if spec is not None:
        if not isinstance(spec, (str, os.PathLike)):
            raise InputError(
                N_("ledger= must be a path, a sqlite:/// or postgresql:// URL, or a Ledger; not {type} {spec!r}."),
                values={"type": type(spec).__name__, "spec": spec},
            )
        return parse(spec)
    with _LOCK:
        own = _OWN_LEDGERS.get(gateway_key(gateway)) if gateway else None
    if own is not None:
        return Location(own)
    configured = environment().get(VARIABLES["ledger"])
    if configured:
        return parse(configured)
    return Location(Path.cwd() / DEFAULT_NAME)
