"""Test helpers: stand-in servers on loopback that a test scripts, and counting what the gateway received."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
import trustme
from postgres import free_port

__all__ = ["CHROMIUM_ARGS", "free_port"]  # and the helpers below

#: How every browser test starts Debian's Chromium here: as root (no sandbox), headless, without the background
#: traffic that this machine's closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: The access token every stand-in gateway issues.
TOKEN = "standin-token-0123456789abcdef"


class VirtualClock:
    """A clock that only moves when slept on: ``client.clock``/``client.sleep`` (and ``RateCap``'s) for a test.

    ``slept`` lists every wait asked for, so a test sees how long the code would have waited without waiting.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        """Time passes without anyone sleeping (a notebook left open)."""
        self.now += seconds

    def on(self, client):
        """``client``, waiting by this clock from now on."""
        client.clock, client.sleep = self, self.sleep
        return client


#: Saturday 5 December 2026, 10:00 in Warsaw.
SATURDAY_10 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


class WallClock(VirtualClock):
    """A virtual clock that is also a time of day: ``client.now`` and the sandbox's clock."""

    def __init__(self, start: datetime = SATURDAY_10) -> None:
        super().__init__()
        self.origin = start - timedelta(seconds=self.now)

    def wall(self) -> datetime:
        return self.origin + timedelta(seconds=self.now)

    def on(self, client):
        super().on(client)
        client.now = self.wall
        return client


def orange(n: int, start: int = 0) -> list[str]:
    """``n`` distinct numbers in Orange's 501 range, written nationally."""
    return [f"501{i:06d}" for i in range(start, start + n)]


def token_of(sandbox) -> str:
    """An access token fetched by hand from a sandbox, as any HTTP client would."""
    resp = requests.post(
        sandbox.token_url,
        data={"grant_type": "client_credentials"},
        auth=(sandbox.client_id, sandbox.client_secret),
        verify=sandbox.ca_path,
        timeout=5,
    )
    assert resp.status_code == 200, resp.text
    return resp.json()["access_token"]


def received_addresses(sandbox) -> Counter:
    """How many messages each address got, as the sandbox (the gateway) counted them."""
    return Counter(a for r in sandbox.received for a in r.addresses)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.hits.append((self.command, self.path, dict(self.headers), body))  # type: ignore[attr-defined]
        answer = self.server.answer(self, body)  # type: ignore[attr-defined]
        if answer is None:  # the answer function wrote (or broke) the connection itself
            self.close_connection = True
            return
        status, headers, payload = answer
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers, "Content-Length": str(len(raw))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = do_PUT = _any


class Server:
    """A scripted HTTP(S) server on 127.0.0.1 in a thread: ``answer(handler, body) -> (status, headers, body)``,
    or None when the answer function dealt with the connection itself.

    ``hits`` lists every request it got as (method, path, headers, body).
    """

    def __init__(self, answer: Callable, *, tls_dir: Path | None = None) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.answer, self._server.hits = answer, []  # type: ignore[attr-defined]
        self.ca_path: str | None = None
        if tls_dir is not None:
            ca = trustme.CA()
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert("127.0.0.1").configure_cert(context)
            self.ca_path = str(tls_dir / "standin-ca.pem")
            ca.cert_pem.write_to_path(self.ca_path)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        scheme = "https" if tls_dir is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def hits(self) -> list:
        return self._server.hits  # type: ignore[attr-defined]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def send_together(sandbox, frame, runs: list[dict]) -> list:
    """``mmsnb.send(client, frame, **options)`` once per ``options`` in ``runs``, each in its own thread with its
    own client, released together; their results in the same order (the first error is raised here)."""
    import mmsnb

    start, errors = threading.Barrier(len(runs)), []
    results: list[Any] = [None] * len(runs)

    def run(n: int) -> None:
        client = sandbox.client(timeout=(5, 10))
        try:
            start.wait()
            results[n] = mmsnb.send(client, frame, progress=False, **runs[n])
        except BaseException as exc:  # raised below, in the test's thread
            errors.append(exc)
        finally:
            client.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(runs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def run_together(runs: list[tuple[str, Path, dict[str, str]]], timeout: float = 240) -> list[str]:
    """Start ``python -c code`` for each (code, working folder, environment), wait until every one has
    printed "ready", release them all at once (a line on their stdin), and wait for each to end well;
    what each printed after "ready", in the same order."""
    children = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            env=env,
            cwd=folder,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for code, folder, env in runs
    ]
    for child in children:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
    for child in children:  # all are loaded and waiting: release them together
        child.stdin.write("go\n")
        child.stdin.flush()
    said = []
    for child in children:
        out, err = child.communicate(timeout=timeout)
        assert child.returncode == 0, err
        said.append(out)
    return said


def upload(name: str, data: bytes, content_type: str = "") -> dict:
    """One file as ipywidgets 8's FileUpload puts it in ``value``."""
    return {
        "name": name,
        "type": content_type,
        "size": len(data),
        "content": memoryview(data),
        "last_modified": datetime.now(UTC),
    }


def token_or(answer: Callable) -> Callable:
    """An answer that issues :data:`TOKEN` on the token path, reads a quota of 100, and leaves sends to ``answer``."""

    def answering(handler, body):
        if handler.path.startswith("/oauth/v2/token"):
            return 200, {}, {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600}
        if handler.path.endswith("/limit"):
            return 200, {}, {"used": "0", "available": "100", "date": "Tue Jan 22 2026"}
        return answer(handler, body)

    return answering
