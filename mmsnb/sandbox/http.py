"""HTTP/1.1 for the sandbox, framed by h11, so hostile or broken input gets an answer, never a dropped
connection or a page where a status line belongs.

The standard library's ``http.server`` left a chunked body unread and took it for the next request line,
which it answered in HTTP/0.9 style: an HTML page with no status line, read by a client that reused the
connection as the answer to its next request. It also trusts ``Content-Length`` and reads a body before the
handler can refuse it. h11 parses strictly; here a body is read only when the route asks for it, and no more
of it than the route allows.

>>> Reply.json(404, {"code": 404}).body
b'{"code": 404}'
"""

from __future__ import annotations

import json
import re
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import h11

#: The longest request head (request line and headers) read, in bytes.
MAX_HEAD = 16 * 1024
#: The most of a body nobody asked for (a refused request's) read and dropped so the connection can stay open.
DRAIN_LIMIT = 1024 * 1024
#: How long, and how much, a refused body is still read and dropped before the connection closes.
LINGER_SECONDS = 2.0
LINGER_LIMIT = 64 * 1024 * 1024
#: Seconds a kept-alive connection may sit idle, or a request take to arrive, before it is closed.
IDLE_SECONDS = 120.0
#: A whole request line: method, target and HTTP version (a line without a version is HTTP/0.9, refused).
_REQUEST_LINE = re.compile(rb"[^ \r\n]+ [^ \r\n]+ HTTP/[0-9]\.[0-9]\r?\n")
_REASONS = {400: "Bad request", 413: "Request entity too large", 431: "Request header fields too large"}


@dataclass
class Reply:
    """An answer: status, body, type and extra headers; ``drop`` hangs up without answering (a fault)."""

    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False

    @classmethod
    def json(cls, status: int, body: Any, headers: dict[str, str] | None = None) -> Reply:
        """A JSON answer."""
        return cls(status, json.dumps(body, ensure_ascii=False).encode("utf-8"), headers=dict(headers or {}))


@dataclass(frozen=True)
class Request:
    """One request as the sandbox sees it: ``body(limit)`` reads the body, or returns None (nothing read)
    when it is longer than ``limit`` bytes. Header names are lower case."""

    method: str
    target: str
    headers: dict[str, str]
    body: Callable[[int], bytes | None]


class TooLarge(Exception):
    """A body over the route's limit: answered 413, and the connection closed."""


class _Exchange:
    """One connection: requests answered one after the other while the client keeps it open."""

    def __init__(self, sock: ssl.SSLSocket, answer: Callable[[Request], Reply]) -> None:
        self.sock, self.answer = sock, answer
        self.conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        self.length: int | None = None

    def serve(self) -> None:
        while True:
            try:
                head = self._event()
            except h11.RemoteProtocolError as exc:
                return self._refuse(exc.error_status_hint, f"The request could not be read ({exc}).")
            if not isinstance(head, h11.Request):
                return
            chunked = any(k == b"transfer-encoding" for k, _ in head.headers)  # chunked framing wins over a length
            self.length = None if chunked else next((int(v) for k, v in head.headers if k == b"content-length"), None)
            request = Request(
                head.method.decode("ascii", "replace"),
                head.target.decode("ascii", "replace"),
                {k.decode("latin-1"): v.decode("latin-1") for k, v in head.headers},
                self._body,
            )
            try:
                reply = self.answer(request)
                if not reply.drop and self.conn.their_state is h11.SEND_BODY and not self._drained():
                    reply.headers["Connection"] = "close"
            except TooLarge as exc:
                return self._refuse(413, str(exc))
            except h11.RemoteProtocolError as exc:
                return self._refuse(exc.error_status_hint, f"The request body could not be read ({exc}).")
            except (OSError, h11.LocalProtocolError):
                raise
            except Exception as exc:  # a fault of the sandbox itself: answered like a gateway's, never printed
                reply = Reply.json(
                    500,
                    {
                        "code": 1,
                        "message": "Internal error",
                        "description": f"The sandbox failed ({type(exc).__name__}: {exc}).",
                    },
                )
            if reply.drop:
                return
            self._send(reply, head.method == b"HEAD")
            if self.conn.our_state is h11.MUST_CLOSE:
                if self.conn.their_state is h11.SEND_BODY:
                    _linger(self.sock)
                return
            self.conn.start_next_cycle()

    def _drained(self) -> bool:
        """Whether the unread body of a refused request was read and dropped, so the connection can stay open.

        A client waiting for ``100 Continue`` is not asked for its body: the connection closes after the answer.
        """
        return not self.conn.client_is_waiting_for_100_continue and self._body(DRAIN_LIMIT) is not None

    def _event(self) -> Any:
        while True:
            event = self.conn.next_event()
            if event is not h11.NEED_DATA:
                return event
            self.conn.receive_data(self.sock.recv(65536))
            if _versionless(self.conn):
                raise h11.RemoteProtocolError("its first line names no HTTP version; HTTP/0.9 is not served", 400)

    def _body(self, limit: int) -> bytes | None:
        if self.length is not None and self.length > limit:
            return None
        if self.conn.client_is_waiting_for_100_continue:
            continuing = h11.InformationalResponse(status_code=100, headers=[], reason=_reason(100))
            self.sock.sendall(self.conn.send(continuing) or b"")
        chunks, size = [], 0
        while True:
            event = self._event()
            if isinstance(event, h11.Data):
                size += len(event.data)
                if size > limit:
                    return None
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return b"".join(chunks)
            else:
                raise ConnectionError("the client closed the connection within a request body")

    def _send(self, reply: Reply, head_only: bool = False) -> None:
        headers = [("Server", "mmsnb-sandbox"), ("Content-Type", reply.content_type)]
        headers += [("Content-Length", str(len(reply.body))), *reply.headers.items()]
        reason = _reason(reply.status)
        data = self.conn.send(h11.Response(status_code=reply.status, headers=headers, reason=reason)) or b""
        if reply.body and not head_only:
            data += self.conn.send(h11.Data(data=reply.body)) or b""
        self.sock.sendall(data + (self.conn.send(h11.EndOfMessage()) or b""))

    def _refuse(self, status: int, description: str) -> None:
        """Answer a request that could not be read (malformed, too large) in the card's error shape, then close
        gently: what the client still sends is read and dropped for a moment, so that it reads this answer
        rather than a reset connection."""
        if self.conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return
        body = {
            "code": 21 if status == 400 else status,
            "message": _REASONS.get(status, "Bad request"),
            "description": description,
        }
        self._send(Reply.json(status, body, {"Connection": "close"}))
        _linger(self.sock)


def _versionless(conn: h11.Connection) -> bool:
    """Whether a request's first line has arrived whole without an HTTP version (``GET /``, HTTP/0.9): h11 would
    wait for the rest of a head that never comes."""
    if conn.their_state is not h11.IDLE:
        return False
    line, newline, _ = conn.trailing_data[0].partition(b"\n")
    return bool(newline) and line.strip() != b"" and not _REQUEST_LINE.fullmatch(line + newline)


def _reason(status: int) -> str:
    """The standard reason phrase of ``status`` (empty for an unregistered code)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _linger(sock: ssl.SSLSocket, seconds: float = LINGER_SECONDS) -> None:
    """Read and drop what the client still sends, for at most ``seconds`` or :data:`LINGER_LIMIT` bytes, so
    that a client still sending a refused body reads the answer rather than a reset connection."""
    deadline, left = time.monotonic() + seconds, LINGER_LIMIT
    with suppress(OSError):
        while left > 0 and (wait := deadline - time.monotonic()) > 0:
            sock.settimeout(wait)
            data = sock.recv(65536)
            if not data:
                return
            left -= len(data)


class Server(socketserver.ThreadingTCPServer):
    """A threaded TLS server (loopback) whose every connection is framed by h11 and answered by ``answer``."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], context: ssl.SSLContext, answer: Callable[[Request], Reply]) -> None:
        self.context, self.answer = context, answer
        self.open: set[ssl.SSLSocket] = set()
        self.open_lock = threading.Lock()
        super().__init__(address, _Connection)

    def close_connections(self) -> None:
        """Close every open connection (kept-alive ones included): a stopped server answers nothing more."""
        with self.open_lock:
            for sock in self.open:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = self.socket.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a connection's own trouble is answered (or was the client's); nothing is printed."""


class _Connection(socketserver.BaseRequestHandler):
    server: Server

    def handle(self) -> None:
        sock: ssl.SSLSocket = self.request
        sock.settimeout(IDLE_SECONDS)
        with self.server.open_lock:
            self.server.open.add(sock)
        try:
            with suppress(OSError):
                sock.do_handshake()
                _Exchange(sock, self.server.answer).serve()
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        finally:
            with self.server.open_lock:
                self.server.open.discard(sock)
