"""The sandbox's HTTPS server: a real gateway stand-in on loopback, in a background thread.

>>> with Sandbox(quota=100, seed=0) as sb:            # doctest: +SKIP
...     client = sb.client()
...     client.send_mms("501102030", subject="Test").message_id
"""

from __future__ import annotations

import base64
import json
import os
import socket
import ssl
import sys
import tempfile
import threading
import time
from collections import deque
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ..client import Client
from ..endpoints import DOC_PATH, LIMIT_PATH, SEND_PATH, STATUS_PATH, TOKEN_PATH
from ..errors import ConfigError
from ..ledger import gateway_key, keep_own_ledger
from ..pacing import RateCap
from .faults import FaultPlan, Faults
from .gateway import Gateway, GatewayError, Received
from .openapi import document

_HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"
_ENDPOINTS = {SEND_PATH: "send", STATUS_PATH: "status", LIMIT_PATH: "limit", TOKEN_PATH: "token", DOC_PATH: "doc"}
_METHODS = {"send": "POST", "token": "POST", "status": "GET", "limit": "GET", "doc": "GET"}
_SLOW_DOWN = {
    "throttled": (429, "Too Many Requests"),
    "busy": (503, "Service Unavailable"),
    "unavailable": (503, "Service Unavailable"),
}


def _first(values: list[str] | None) -> str | None:
    """The first value of a query or form field; None when the field is absent."""
    return values[0] if values else None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mmsnb-sandbox"
    sys_version = ""
    timeout = 120
    server: _Server  # the server that made this handler (BaseRequestHandler types it as any BaseServer)

    def setup(self) -> None:
        super().setup()
        self.request.do_handshake()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the sandbox does not print every request."""

    @property
    def sandbox(self) -> Sandbox:
        return self.server.sandbox

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, ssl.SSLError, TimeoutError):
            self.close_connection = True

    def _reply(
        self, status: int, body: Any, content_type: str = "application/json", headers: dict[str, str] | None = None
    ) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
        if self.sandbox.latency:
            time.sleep(self.sandbox.latency)
        self.send_response(status)
        self.send_header(
            "Content-Type", content_type + ("; charset=utf-8" if content_type == "application/json" else "")
        )
        self.send_header("Content-Length", str(len(raw)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status == 401 and self.path.startswith(TOKEN_PATH):
            self.send_header("WWW-Authenticate", 'Basic realm="token"')
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(raw)

    def _drop(self) -> None:
        self.close_connection = True
        with suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        endpoint = _ENDPOINTS.get(url.path.rstrip("/") or "/")
        body = self._body()
        if endpoint is None:
            return self._reply(404, {"code": 404, "message": "Not found", "description": f"No resource at {url.path}."})
        if method != _METHODS[endpoint]:
            allowed = _METHODS[endpoint]
            return self._reply(
                405,
                {"code": 405, "message": "Method not allowed", "description": f"{url.path} takes {allowed}."},
                headers={"Allow": allowed},
            )
        if endpoint == "token":
            return self._token(body)
        if endpoint == "doc":
            return self._reply(200, document(self.sandbox.url, self.sandbox.token_url))
        try:
            self.sandbox.gateway.check_token(self.headers.get("Authorization"))
        except GatewayError as exc:
            return self._reply(exc.http_status, exc.body)
        admitted = self.sandbox.enter()
        try:
            self._api(
                endpoint, url.query, body, self.sandbox.faults.pick(endpoint) or (None if admitted else "throttled")
            )
        finally:
            if admitted:
                self.sandbox.leave()

    def _api(self, endpoint: str, query: str, body: bytes, fault: str | None) -> None:
        """Answer a send, status or limit call, with ``fault`` injected."""
        gateway = self.sandbox.gateway
        try:
            if fault == "revoke_token":
                gateway.revoke_tokens()
                gateway.check_token(self.headers.get("Authorization"))
            if fault == "server_error":
                return self._reply(
                    500, {"code": 1, "message": "Internal error", "description": "The service failed; try again later."}
                )
            if fault == "html_error":
                return self._reply(502, _HTML_502, "text/html")
            if fault in _SLOW_DOWN:
                return self._slow_down(fault)
            if fault == "drop_before":
                return self._drop()
            if endpoint == "send":
                answer = gateway.send(body, self.headers.get("Content-Type") or "")
            elif endpoint == "status":
                answer = gateway.status(_first(parse_qs(query).get("id")))
            else:
                answer = gateway.limit()
        except GatewayError as exc:
            return self._reply(exc.http_status, exc.body)
        if fault == "drop_after":
            return self._drop()
        if fault == "slow":
            time.sleep(self.sandbox.faults.faults.slow_seconds)
        if fault == "garbage":
            return self._reply(200, json.dumps(answer).encode()[: max(len(json.dumps(answer)) // 2, 1)])
        self._reply(200, answer)

    def _slow_down(self, fault: str) -> None:
        """429 (or 503) "slow down": the request was not taken, nor counted against the quota."""
        status, message = _SLOW_DOWN[fault]
        wait = self.sandbox.faults.faults.retry_after
        headers = {} if fault == "unavailable" else {"Retry-After": f"{wait:g}"}
        self._reply(
            status,
            {"code": status, "message": message, "description": "Slow down; the request was not processed."},
            headers=headers,
        )

    def _token(self, body: bytes) -> None:
        form = parse_qs(body.decode("utf-8", "replace"))
        scheme, _, value = (self.headers.get("Authorization") or "").partition(" ")
        client_id = client_secret = None
        if scheme.lower() == "basic":
            try:
                client_id, _, client_secret = base64.b64decode(value).decode("utf-8").partition(":")
                client_id, client_secret = unquote(client_id), unquote(client_secret)
            except (ValueError, UnicodeDecodeError):
                pass
        try:
            token = self.sandbox.gateway.issue_token(client_id, client_secret, _first(form.get("grant_type")))
        except GatewayError as exc:
            return self._reply(
                exc.http_status, {"error": exc.body["message"], "error_description": exc.body["description"]}
            )
        self._reply(200, token)

    def __getattr__(self, name: str) -> Any:
        """Every method reaches the dispatcher (``do_GET``, ``do_TRACE``…),
        which answers 405 where it doesn't belong.
        """
        if name.startswith("do_"):
            return lambda: self._dispatch(name[3:])
        raise AttributeError(name)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], context: ssl.SSLContext, sandbox: Sandbox) -> None:
        self.context, self.sandbox = context, sandbox
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet about clients that hang up or refuse the certificate; print anything else."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, TimeoutError)):
            super().handle_error(request, client_address)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = self.socket.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr


_RUNNING: dict[str, Sandbox] = {}
_RUNNING_LOCK = threading.Lock()


class Sandbox:
    """A local MMSOnnet gateway over HTTPS on loopback, for demos and tests.

    Settings: ``quota`` requests per ``window`` seconds; ``token_lifetime`` seconds;
    ``seed`` makes outcomes repeatable; ``time_scale`` simulated seconds per real second
    (default 60: every message is final within about ten seconds); ``outcomes`` and
    ``delays`` shape the lifecycle; ``ported_in`` lists numbers ported into Orange;
    ``latency`` seconds are added to every answer; ``faults`` injects trouble. ``max_in_flight``
    and ``rate`` (``"20/s"``) make it answer 429 with ``Retry-After`` when more API requests
    are in progress at once, or arrive within a second, than they allow. What is sent to the
    sandbox is recorded in its own ``ledger`` (default: a file in its temporary folder, removed
    when it stops), never in a real campaign's.

    >>> with Sandbox(quota=100, seed=0) as sb:       # doctest: +SKIP
    ...     sb.client().limit().available
    100
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        faults: Faults | None = None,
        max_in_flight: int | None = None,
        rate: str | None = None,
        ledger: str | os.PathLike[str] | None = None,
        **gateway: Any,
    ) -> None:
        self.gateway = Gateway(**gateway)
        self.faults = FaultPlan(faults, self.gateway.seed)
        self.latency = latency
        if max_in_flight is not None and (
            isinstance(max_in_flight, bool) or not isinstance(max_in_flight, int) or max_in_flight < 1
        ):
            raise ConfigError(f"max_in_flight= must be a whole number of at least 1, not {max_in_flight!r}.")
        self.max_in_flight = max_in_flight
        #: ``rate``: at most ``allowed`` API requests in any ``window`` seconds
        #: (one second, or one interval when slower), as ``(window, allowed)``.
        self._rate: tuple[float, int] | None = None
        if rate is not None:
            interval = RateCap.parse(rate).interval
            window = max(1.0, interval)
            self._rate = (window, max(1, round(window / interval)))
        self._arrivals: deque[float] = deque()
        self._busy = 0
        self._admission = threading.Lock()
        import trustme  # here, not at the top: importing mmsnb.sandbox stays light until a sandbox is made

        self._dir = tempfile.TemporaryDirectory(prefix="mmsnb-sandbox-")
        ca = trustme.CA()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost", "::1").configure_cert(context)
        self.ca_path = str(Path(self._dir.name) / "sandbox-ca.pem")
        #: The ledger of what is sent to this sandbox (kept apart from any real campaign's ledger).
        self.ledger = Path(ledger) if ledger is not None else Path(self._dir.name) / "ledger.sqlite"
        ca.cert_pem.write_to_path(self.ca_path)
        self._server = _Server((host, port), context, self)
        self.host, self.port = host, self._server.server_address[1]
        self._thread: threading.Thread | None = None
        self._stopped = False

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    @property
    def client_id(self) -> str:
        return self.gateway.client_id

    @property
    def client_secret(self) -> str:
        return self.gateway.client_secret

    @property
    def received(self) -> list[Received]:
        """The sends it accepted, decoded, in order."""
        return list(self.gateway.received)

    def __repr__(self) -> str:
        return f"Sandbox(url={self.url!r}, quota={self.gateway.quota}, seed={self.gateway.seed})"

    def env(self) -> dict[str, str]:
        """The ``MMSNB_*`` variables that point :meth:`Client.from_env` (and the ledger) at this sandbox."""
        return {
            "MMSNB_CLIENT_ID": self.client_id,
            "MMSNB_CLIENT_SECRET": self.client_secret,
            "MMSNB_BASE_URL": self.url,
            "MMSNB_TOKEN_URL": self.token_url,
            "MMSNB_CA_BUNDLE": self.ca_path,
            "MMSNB_LEDGER": str(self.ledger),
        }

    def client(self, **kwargs: Any) -> Client:
        """A :class:`Client` that trusts this sandbox's certificate; ``kwargs`` go to :class:`Client`."""
        kwargs.setdefault("verify", self.ca_path)
        return Client(self.client_id, self.client_secret, base_url=self.url, token_url=self.token_url, **kwargs)

    @classmethod
    def behind(cls, client: Client) -> Sandbox | None:
        """The running embedded sandbox ``client`` talks to, or None (a real gateway).

        >>> mmsnb.Sandbox.behind(client).received       # doctest: +SKIP
        """
        with _RUNNING_LOCK:
            return _RUNNING.get(gateway_key(client.base_url))

    def enter(self) -> bool:
        """Take a place for an API request, counted while it is answered (latency included); False when
        ``max_in_flight`` are in progress or ``rate`` allows no more now."""
        with self._admission:
            if self.max_in_flight is not None and self._busy >= self.max_in_flight:
                return False
            if self._rate is not None:
                window, allowed = self._rate
                now = time.monotonic()
                while self._arrivals and self._arrivals[0] <= now - window:
                    self._arrivals.popleft()
                if len(self._arrivals) >= allowed:
                    return False
                self._arrivals.append(now)
            self._busy += 1
            return True

    def leave(self) -> None:
        """Give back the place an admitted request held."""
        with self._admission:
            self._busy -= 1

    def fail_next(self, kind: str, *, endpoint: str = "send", times: int = 1) -> None:
        """Inject fault ``kind`` into the next ``times`` requests to ``endpoint`` ('send', 'status', 'limit')."""
        self.faults.fail_next(kind, endpoint=endpoint, times=times)

    def reset_quota(self) -> None:
        """Start a new quota window, as the gateway does on its reset date."""
        self.gateway.reset_quota()

    def start(self) -> Sandbox:
        if self._stopped:
            raise ConfigError("This sandbox has stopped and cannot start again; make a new one: mmsnb.Sandbox(...).")
        if self._thread is None:
            with _RUNNING_LOCK:
                _RUNNING[gateway_key(self.url)] = self
            keep_own_ledger(self.url, self.ledger)
            self._thread = threading.Thread(
                target=self._server.serve_forever, args=(0.05,), name="mmsnb-sandbox", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
            keep_own_ledger(self.url, None)
            with _RUNNING_LOCK:
                _RUNNING.pop(gateway_key(self.url), None)
        self._server.server_close()
        self._dir.cleanup()
        self._stopped = True

    def serve(self, stop_after: float | None = None) -> None:
        """Serve in this thread until interrupted, or for ``stop_after`` seconds."""
        self.start()
        try:
            if self._thread is not None:
                self._thread.join(stop_after)
        finally:
            self.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
