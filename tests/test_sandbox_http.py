"""The sandbox as an HTTP server: every request gets an answer with a status line, hostile input included.

Raw TLS sockets send what no well-behaved client would; nothing may reach stderr as a traceback.
"""

from __future__ import annotations

import base64
import json
import socket
import ssl
from pathlib import Path

import pytest
import requests
from helpers import token_of

import mmsnb
from mmsnb.endpoints import LIMIT_PATH, SEND_PATH, TOKEN_PATH


def exchange(sandbox: mmsnb.Sandbox, raw: bytes, *, read_for: float = 5.0) -> bytes:
    """Send ``raw`` bytes on a fresh TLS connection and return everything the sandbox answers until it closes."""
    context = ssl.create_default_context(cafile=sandbox.ca_path)
    chunks = []
    with (
        socket.create_connection((sandbox.host, sandbox.port), timeout=read_for) as plain,
        context.wrap_socket(plain, server_hostname="127.0.0.1") as sock,
    ):
        sock.sendall(raw)
        try:
            while data := sock.recv(65536):
                chunks.append(data)
        except (TimeoutError, ConnectionError, ssl.SSLError):
            pass
    return b"".join(chunks)


def status_and_body(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n")[0]
    assert status_line.startswith(b"HTTP/1.1 "), answer[:200]
    return int(status_line.split()[1]), json.loads(body or b"{}")


def test_a_chunked_body_is_read_so_the_next_request_on_the_connection_is_answered(sandbox):
    """The cause of a flake: http.server left a chunked body unread and took it for the next request line,
    answering in HTTP/0.9 (an HTML page with no status line) on a connection the client reused."""
    session = requests.Session()
    statuses = []
    for _ in range(40):
        first = session.post(
            sandbox.token_url,
            data=iter([b"grant_type=client_credentials"]),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            auth=(sandbox.client_id, sandbox.client_secret),
            verify=sandbox.ca_path,
            timeout=5,
        )
        second = session.post(
            sandbox.token_url,
            data={"grant_type": "client_credentials"},
            auth=(sandbox.client_id, sandbox.client_secret),
            verify=sandbox.ca_path,
            timeout=5,
        )
        statuses += [first.status_code, second.status_code]
    assert set(statuses) == {200}


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"POST " + SEND_PATH.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
        (b"POST " + SEND_PATH.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
        (b"GET " + LIMIT_PATH.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n", 431),
    ],
    ids=["request line", "length not a number", "negative length", "huge header"],
)
def test_malformed_requests_get_an_answer_with_a_status_line(sandbox, capfd, head, status):
    got, body = status_and_body(exchange(sandbox, head))
    assert got == status and body["message"]
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize(
    "line", [b"GET /\r\n", b"GET " + LIMIT_PATH.encode() + b"\n", b"POST " + TOKEN_PATH.encode() + b"\r\n"]
)
def test_an_http_0_9_request_line_is_answered_400_at_once(sandbox, capfd, line):
    """A request line with no HTTP version (HTTP/0.9) is refused at once, not left waiting for a head that never
    comes. The socket's timeout only guards the test (the sandbox would wait far longer): the answer must arrive."""
    context = ssl.create_default_context(cafile=sandbox.ca_path)
    chunks = []
    with (
        socket.create_connection((sandbox.host, sandbox.port), timeout=30) as plain,
        context.wrap_socket(plain, server_hostname="127.0.0.1") as sock,
    ):
        sock.sendall(line)
        while data := sock.recv(65536):  # a TimeoutError here is the failure: no answer, no close
            chunks.append(data)
    status, body = status_and_body(b"".join(chunks))
    assert status == 400 and "HTTP version" in body["description"]
    assert "Traceback" not in capfd.readouterr().err


def test_a_huge_body_is_refused_from_its_length_after_the_token_and_before_it_is_read(sandbox, capfd):
    huge = b"Content-Length: " + str(10**12).encode() + b"\r\n"
    anonymous = b"POST " + SEND_PATH.encode() + b" HTTP/1.1\r\nHost: x\r\n" + huge + b"\r\n"
    assert status_and_body(exchange(sandbox, anonymous))[0] == 401
    bearer = f"Authorization: Bearer {token_of(sandbox)}\r\n".encode()
    signed = b"POST " + SEND_PATH.encode() + b" HTTP/1.1\r\nHost: x\r\n" + bearer + huge + b"\r\n"
    status, body = status_and_body(exchange(sandbox, signed))
    assert status == 413 and "too large" in body["message"].lower()
    assert sandbox.gateway.used() == 0
    assert "Traceback" not in capfd.readouterr().err


def test_deeply_nested_json_is_a_bad_request(sandbox, capfd):
    nested = b"[" * 100_000 + b"]" * 100_000
    resp = requests.post(
        sandbox.url + SEND_PATH,
        data=nested,
        headers={"Authorization": "Bearer " + token_of(sandbox), "Content-Type": "application/json"},
        verify=sandbox.ca_path,
        timeout=10,
    )
    assert resp.status_code == 400 and resp.json()["code"] == 21
    assert "Traceback" not in capfd.readouterr().err


def test_a_secret_that_decodes_to_non_ascii_is_refused_not_dropped(sandbox, capfd):
    resp = requests.post(
        sandbox.token_url,
        data={"grant_type": "client_credentials"},
        auth=(sandbox.client_id.encode(), "zły".encode()),
        verify=sandbox.ca_path,
        timeout=5,
    )
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"
    assert "Traceback" not in capfd.readouterr().err


def test_every_answer_has_a_status_line_even_for_unknown_methods(sandbox):
    status, body = status_and_body(
        exchange(sandbox, b"BREW " + TOKEN_PATH.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    )
    assert status == 405 and body["message"] == "Method not allowed"


def test_a_client_that_expects_100_continue_is_asked_for_its_body_or_answered_at_once(sandbox):
    form = b"grant_type=client_credentials"
    basic = base64.b64encode(f"{sandbox.client_id}:{sandbox.client_secret}".encode())
    context = ssl.create_default_context(cafile=sandbox.ca_path)
    with (
        socket.create_connection((sandbox.host, sandbox.port), timeout=5) as plain,
        context.wrap_socket(plain, server_hostname="127.0.0.1") as sock,
    ):
        sock.sendall(
            b"POST " + TOKEN_PATH.encode() + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + basic + b"\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nExpect: 100-continue\r\n"
            b"Content-Length: " + str(len(form)).encode() + b"\r\n\r\n"
        )
        assert sock.recv(65536).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(form)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK")
    refused = b"POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n"
    assert status_and_body(exchange(sandbox, refused))[0] == 404


@pytest.mark.parametrize(("path", "status"), [("/nowhere", 404), (SEND_PATH, 413)])
def test_a_client_still_sending_a_refused_body_reads_the_answer(sandbox, path, status):
    resp = requests.post(
        sandbox.url + path,
        data=b"x" * 8_000_000,
        verify=sandbox.ca_path,
        timeout=30,
        headers={"Authorization": "Bearer " + token_of(sandbox), "Content-Type": "application/json"},
    )
    assert resp.status_code == status


def test_chunked_framing_wins_over_a_content_length(sandbox):
    basic = base64.b64encode(f"{sandbox.client_id}:{sandbox.client_secret}".encode())
    raw = (
        b"POST " + TOKEN_PATH.encode() + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + basic + b"\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 99999999\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n1d\r\ngrant_type=client_credentials\r\n0\r\n\r\n"
    )
    assert status_and_body(exchange(sandbox, raw))[0] == 200


def test_a_stopped_sandbox_answers_nothing_more_on_a_kept_alive_connection(make_sandbox, tmp_path):
    sandbox = make_sandbox()
    ca = tmp_path / "ca.pem"  # the sandbox removes its own copy when it stops
    ca.write_bytes(Path(sandbox.ca_path).read_bytes())
    session = requests.Session()
    doc = sandbox.url + "/doc/api/Messaging/v1/MMSOnnet/doc.json"
    assert session.get(doc, verify=str(ca), timeout=5).status_code == 200
    sandbox.stop()
    with pytest.raises(requests.ConnectionError):
        session.get(doc, verify=str(ca), timeout=5)
