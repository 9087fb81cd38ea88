"""A throwaway PostgreSQL server for the tests: Debian's ``postgresql`` binaries, run as the ``postgres``
user when we are root (the server refuses root), on 127.0.0.1 and a free port, with a generated password.

Everything lives in one temporary folder (data, log, unix socket), removed by ``stop()``. A watchdog
process stops the server and removes the folder if the Python process that started it dies without
calling ``stop()`` (SIGKILL, a crash, a CI timeout).
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

#: Tried in order after ``pg_config --bindir``: Debian keeps the server programs off PATH.
DEBIAN_ROOT = Path("/usr/lib/postgresql")

# The watchdog: argv = parent pid, temporary folder, data folder, then the pg_ctl command (with runuser).
# It polls every 0.5 s; once the parent is gone (reparented, or no such pid) it stops the server
# at once and removes the folder. Its own stdio is /dev/null, so it never holds a pipe of ours.
WATCHDOG = """
import os, shutil, subprocess, sys, time
parent, root, data, *pg_ctl = sys.argv[1:]
parent = int(parent)

def parent_alive():
    if os.getppid() != parent:  # reparented: the parent died (even if it is still a zombie)
        return False
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True

while parent_alive():
    time.sleep(0.5)
if os.path.exists(os.path.join(data, "postmaster.pid")):
    subprocess.run([*pg_ctl, "stop", "-D", data, "-m", "immediate", "-w", "-t", "30"], cwd=root,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
shutil.rmtree(root, ignore_errors=True)
"""


class PostgresUnavailable(Exception):
    """No server could be started here; the message (one line) says why."""


def find_bindir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: ``pg_config --bindir``, else the highest
    ``/usr/lib/postgresql/*/bin``, else wherever an ``initdb`` on PATH really lives; None if none has both."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out:
            candidates.append(Path(out))

    def version(bindir: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))

    candidates += sorted(DEBIAN_ROOT.glob("*/bin"), key=version, reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def reason(text: str) -> str:
    """The line of a program's output that says what went wrong: the first error, else the last line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if re.search(r"\b(error|FATAL|PANIC)\b", line)]
    return (errors or lines or ["(no output)"])[0 if errors else -1]


class PostgresServer:
    """``PostgresServer().start()``; then ``url(database)``, ``create_database``, ``drop_database``, ``stop()``.

    Superuser ``postgres`` with ``password``; TCP needs the password (scram-sha-256), the unix socket
    in the temporary folder does not. ``start()`` raises PostgresUnavailable when it cannot be done here.
    """

    def __init__(self, bindir: Path | None = None) -> None:
        self.bindir = bindir
        self.password = secrets.token_urlsafe(18)
        self.port: int | None = None
        self.pid: int | None = None  # the postmaster's
        self.root: Path | None = None  # the temporary folder
        self._as_postgres: list[str] = []  # the runuser prefix when we are root
        self._watchdog: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:  # never the password
        return f"PostgresServer(port={self.port}, pid={self.pid}, root={self.root})"

    @property
    def data_dir(self) -> Path:
        assert self.root is not None, "not started"
        return self.root / "data"

    @property
    def log_path(self) -> Path:
        assert self.root is not None, "not started"
        return self.root / "postgres.log"

    @property
    def watchdog_pid(self) -> int | None:
        return self._watchdog.pid if self._watchdog else None

    def start(self) -> PostgresServer:
        """initdb, then pg_ctl start on a free port (another one if that port was taken meanwhile)."""
        if self.pid is not None:
            return self
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        try:
            import psycopg  # noqa: F401  (only to fail here, with a reason, rather than in a test)
        except ImportError:
            raise PostgresUnavailable("psycopg is not installed (pip install 'mmsnb[team]')") from None
        bindir = self.bindir or find_bindir()
        if bindir is None:
            raise PostgresUnavailable(
                f"initdb and pg_ctl not found in `pg_config --bindir`, {DEBIAN_ROOT}/*/bin or on PATH"
                " (Debian: apt-get install postgresql)"
            )
        self.bindir = bindir
        owner = None
        if os.geteuid() == 0:  # the server refuses to run as root: everything runs as postgres
            runuser = shutil.which("runuser") or next(
                (p for p in ("/usr/sbin/runuser", "/sbin/runuser") if os.path.exists(p)), None
            )
            if runuser is None:
                raise PostgresUnavailable("running as root and there is no runuser to run the server as postgres")
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable("running as root and there is no 'postgres' user to run the server") from None
            self._as_postgres = [runuser, "-u", "postgres", "--"]

        # /tmp itself when root: every folder above ours must be traversable by postgres.
        self.root = root = Path(tempfile.mkdtemp(prefix="mmsnb-pg-", dir="/tmp" if owner else None))
        os.chmod(root, 0o755)
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", WATCHDOG, str(os.getpid()), str(root), str(self.data_dir), *self._pg_ctl()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd="/",
            start_new_session=True,
        )
        pwfile, sockets = root / "pwfile", root / "socket"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        sockets.mkdir()
        if owner:
            for path in (root, pwfile, sockets):
                os.chown(path, owner.pw_uid, owner.pw_gid)

        initdb = [
            *self._as_postgres,
            str(bindir / "initdb"),
            f"--pgdata={self.data_dir}",
            "--username=postgres",
            f"--pwfile={pwfile}",
            "--auth-host=scram-sha-256",
            "--auth-local=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",  # a throwaway cluster: no need to wait for the disk
        ]
        self._run(initdb, "initdb")
        pwfile.unlink()

        for attempt in range(5):
            port = free_port()
            log = self._launch(port)
            if log is None:
                break
            if "Address already in use" not in log or attempt == 4:
                raise PostgresUnavailable(f"pg_ctl start failed: {reason(log)}")
        self.port = port
        self.pid = int((self.data_dir / "postmaster.pid").read_text().split()[0])

    def _launch(self, port: int) -> str | None:
        """pg_ctl start on ``port``; None when it started, else what the log (or pg_ctl) said."""
        assert self.root is not None
        options = [
            "-c listen_addresses=127.0.0.1",
            f"-p {port}",
            f"-k {shlex.quote(str(self.root / 'socket'))}",
            "-c fsync=off",  # throwaway data, as above
        ]
        logged = self.log_path.stat().st_size if self.log_path.exists() else 0
        start = [*self._pg_ctl(), "start", "-D", str(self.data_dir), "-l", str(self.log_path)]
        result = self._run([*start, "-o", " ".join(options), "-w", "-t", "60"], "pg_ctl start", check=False)
        if result.returncode == 0:
            return None
        log = self.log_path.read_bytes()[logged:].decode(errors="replace") if self.log_path.exists() else ""
        return log or result.stderr

    def crash(self) -> None:
        """Stop the server at once (``pg_ctl stop -m immediate``), as a crash would; its data stays."""
        self._run([*self._pg_ctl(), "stop", "-D", str(self.data_dir), "-m", "immediate", "-w", "-t", "30"], "stop")
        self.pid = None

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """The server stopped (SIGSTOP: the postmaster, then its backends and helpers) while the block runs, as a
        machine that hangs would; its kernel still acknowledges every packet. Resumed (SIGCONT) after, always."""
        assert self.pid is not None, "not started"
        stopped = [self.pid]
        try:
            os.kill(self.pid, signal.SIGSTOP)  # first: it starts no backend while the others are stopped
            for pid in subprocess.run(["pgrep", "-P", str(self.pid)], capture_output=True, text=True).stdout.split():
                os.kill(int(pid), signal.SIGSTOP)
                stopped.append(int(pid))
            yield
        finally:
            for stopped_pid in reversed(stopped):
                os.kill(stopped_pid, signal.SIGCONT)

    def restart(self) -> None:
        """Start the crashed server again on its port, with its data."""
        assert self.port is not None
        failed = self._launch(self.port)
        if failed is not None:
            raise PostgresUnavailable(f"pg_ctl start failed: {reason(failed)}")
        self.pid = int((self.data_dir / "postmaster.pid").read_text().split()[0])

    def _pg_ctl(self) -> list[str]:
        assert self.bindir is not None
        return [*self._as_postgres, str(self.bindir / "pg_ctl")]

    def _run(self, command: list[str], what: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        try:
            result = subprocess.run(
                command,
                cwd=self.root,  # a folder postgres may enter
                env={**os.environ, "LC_ALL": "C"},
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=120,
            )
        except (OSError, subprocess.SubprocessError) as error:
            raise PostgresUnavailable(f"{what} could not run: {reason(str(error))}") from error
        if check and result.returncode != 0:
            raise PostgresUnavailable(f"{what} failed: {reason(result.stderr or result.stdout)}")
        return result

    def stop(self) -> None:
        """pg_ctl stop -m fast (immediate if that hangs), end the watchdog, remove the temporary folder."""
        if self.root is not None and (self.data_dir / "postmaster.pid").exists():
            for mode in ("fast", "immediate"):
                try:
                    self._run([*self._pg_ctl(), "stop", "-D", str(self.data_dir), "-m", mode, "-w", "-t", "30"], "stop")
                    break
                except PostgresUnavailable:
                    continue
        if self._watchdog is not None:
            self._watchdog.terminate()
            self._watchdog.wait()
            self._watchdog = None
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
        self.pid = None

    def url(self, database: str = "postgres", *, password: bool = True) -> str:
        """``postgresql://postgres:PASSWORD@127.0.0.1:PORT/DATABASE`` (no ``:PASSWORD`` with password=False)."""
        assert self.port is not None, "not started"
        user = f"postgres:{quote(self.password, safe='')}" if password else "postgres"
        return f"postgresql://{user}@127.0.0.1:{self.port}/{quote(database, safe='')}"

    def _execute(self, statement: str, name: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url(), autocommit=True, connect_timeout=30) as connection:
            connection.execute(sql.SQL(statement).format(sql.Identifier(name)))

    def create_database(self, name: str) -> None:
        self._execute("CREATE DATABASE {}", name)

    def drop_database(self, name: str) -> None:
        """Drops it even with connections left open (they are ended)."""
        self._execute("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
