"""The real PostgreSQL server the tests start (tests/postgres.py): it answers with the password and only
with it, listens on 127.0.0.1 only, and does not outlive a pytest process that is killed."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

TESTS = Path(__file__).resolve().parent

# A stand-in for a pytest process: starts a server with the same helper, says where it is, then waits to be killed.
CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from postgres import PostgresServer
server = PostgresServer().start()
print(json.dumps({"pid": server.pid, "root": str(server.root), "watchdog": server.watchdog_pid}), flush=True)
time.sleep(600)
"""


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_connects_with_the_url(pg_url):
    with psycopg.connect(pg_url, connect_timeout=10) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)
        assert connection.info.dbname == urlsplit(pg_url).path.lstrip("/")


def test_a_wrong_or_missing_password_is_refused(postgres_server, pg_url):
    wrong = pg_url.replace(postgres_server.password, "not-the-password")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed") as refused:
        psycopg.connect(wrong, connect_timeout=10)
    assert postgres_server.password not in str(refused.value)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(postgres_server.url(password=False), connect_timeout=10)
    assert postgres_server.password not in repr(postgres_server)


def test_listens_on_loopback_only(postgres_server, pg_url):
    with psycopg.connect(pg_url, connect_timeout=10) as connection:
        assert connection.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)
        assert connection.execute("SHOW port").fetchone() == (str(postgres_server.port),)


def test_the_server_stops_when_its_parent_is_killed(postgres_server, tmp_path):
    """A child Python process starts a second server and is SIGKILLed: the watchdog must stop the server
    and remove its folder. The 30 s deadline only fails a server that never stops (it takes about 1 s)."""
    errors = tmp_path / "child.err"
    with errors.open("wb") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(TESTS)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr
        )
    try:
        assert child.stdout is not None
        ready, _, _ = select.select([child.stdout], [], [], 120)
        line = child.stdout.readline() if ready else b""
        assert line, f"the child started no server: {errors.read_text()[-2000:]}"
        started = json.loads(line)
        pid, root, watchdog = started["pid"], Path(started["root"]), started["watchdog"]
        assert alive(pid) and alive(watchdog) and root.is_dir()

        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        deadline = time.monotonic() + 30
        while alive(pid) or alive(watchdog) or root.exists():
            assert time.monotonic() < deadline, (
                f"30 s after its parent was killed: server running {alive(pid)}, watchdog running {alive(watchdog)},"
                f" folder {root} still there {root.exists()}"
            )
            time.sleep(0.1)
        # the pipe to the child is closed: neither the server nor the watchdog kept it open
        assert child.stdout.read() == b""
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()
