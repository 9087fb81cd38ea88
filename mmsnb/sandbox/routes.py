"""What the sandbox answers to each request: the route, the token, the body (read only then, and no more
than the route allows), the injected faults, then the gateway's answer.

>>> ROUTES["/Messaging/v1/MMSOnnet"]
('send', 'POST')
"""

from __future__ import annotations

import base64
import json
import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote_plus, urlsplit

from ..endpoints import DOC_PATH, LIMIT_PATH, SEND_PATH, STATUS_PATH, TOKEN_PATH
from .gateway import GatewayError
from .http import Reply, Request, TooLarge
from .openapi import document

if TYPE_CHECKING:
    from .server import Sandbox

#: Each path's endpoint and the one method it takes.
ROUTES = {
    SEND_PATH: ("send", "POST"),
    STATUS_PATH: ("status", "GET"),
    LIMIT_PATH: ("limit", "GET"),
    TOKEN_PATH: ("token", "POST"),
    DOC_PATH: ("doc", "GET"),
}
#: The longest body read where no message is sent (token form, status and limit queries).
SMALL_BODY = 64 * 1024
#: RFC 6750 §3: how an API 401 names the scheme it wants and why.
_BEARER_INVALID = (
    'Bearer realm="MMSOnnet", error="invalid_token", error_description="The access token is invalid or expired"'
)
#: RFC 6749 §5.1: token answers, successful or not, are never cached.
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
#: RFC 6749 §5.2 / RFC 7617: the scheme a token request's 401 asks for.
_BASIC_REALM = 'Basic realm="MMSOnnet token", charset="UTF-8"'
_HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"
_SLOW_DOWN = {
    "throttled": (429, "Too Many Requests"),
    "busy": (503, "Service Unavailable"),
    "unavailable": (503, "Service Unavailable"),
}


def body_limit(max_message_bytes: int) -> int:
    """The longest send body read: a message at the size limit, base64 with line breaks, plus room for the rest.

    >>> body_limit(300 * 1024)
    722944
    """
    return max_message_bytes * 3 // 2 + 256 * 1024


def _first(values: list[str] | None) -> str | None:
    """The first value of a query or form field; None when the field is absent."""
    return values[0] if values else None


def _body(request: Request, limit: int) -> bytes:
    body = request.body(limit)
    if body is None:
        raise TooLarge(f"The request body is over {limit} bytes, more than this endpoint takes.")
    return body


def _late(sandbox: Sandbox, reply: Reply) -> Reply:
    """``reply`` after the sandbox's ``latency`` (none for a dropped connection)."""
    if sandbox.latency and not reply.drop:
        time.sleep(sandbox.latency)
    return reply


def answer(sandbox: Sandbox, request: Request) -> Reply:
    """The sandbox's answer to ``request``, after its latency (an API call waits in its place in flight)."""
    url = urlsplit(request.target)
    path = url.path.rstrip("/") or "/"
    if path not in ROUTES:
        missing = {"code": 404, "message": "Not found", "description": f"No resource at {url.path}."}
        return _late(sandbox, Reply.json(404, missing))
    endpoint, method = ROUTES[path]
    if request.method not in (method, "HEAD" if method == "GET" else method):
        wrong = {"code": 405, "message": "Method not allowed", "description": f"{url.path} takes {method}."}
        return _late(sandbox, Reply.json(405, wrong, headers={"Allow": method}))
    if endpoint == "token":
        return _late(sandbox, _token(sandbox, request.headers.get("authorization"), _body(request, SMALL_BODY)))
    if endpoint == "doc":
        return _late(sandbox, Reply.json(200, document(sandbox.url, sandbox.token_url)))
    try:
        sandbox.gateway.check_token(request.headers.get("authorization"))
    except GatewayError as exc:
        return _late(sandbox, Reply.json(exc.http_status, exc.body, headers={"WWW-Authenticate": _BEARER_INVALID}))
    limit = body_limit(sandbox.gateway.max_message_bytes) if endpoint == "send" else SMALL_BODY
    body = _body(request, limit)
    admitted = sandbox.enter()
    try:
        fault = sandbox.faults.pick(endpoint) or (None if admitted else "throttled")
        return _late(sandbox, _api(sandbox, request, endpoint, url.query, body, fault))
    finally:
        if admitted:
            sandbox.leave()


def _api(sandbox: Sandbox, request: Request, endpoint: str, query: str, body: bytes, fault: str | None) -> Reply:
    """Answer a send, status or limit call, with ``fault`` injected."""
    gateway = sandbox.gateway
    try:
        if fault == "revoke_token":
            gateway.revoke_tokens()
            gateway.check_token(request.headers.get("authorization"))
        if fault == "server_error":
            return Reply.json(
                500, {"code": 1, "message": "Internal error", "description": "The service failed; try again later."}
            )
        if fault == "html_error":
            return Reply(502, _HTML_502, "text/html")
        if fault in _SLOW_DOWN:
            return _slow_down(sandbox, fault)
        if fault == "drop_before":
            return Reply(0, drop=True)
        if endpoint == "send":
            result = gateway.send(body, request.headers.get("content-type") or "")
        elif endpoint == "status":
            result = gateway.status(_first(parse_qs(query).get("id")))
        else:
            result = gateway.limit()
    except GatewayError as exc:
        headers = {"WWW-Authenticate": _BEARER_INVALID} if exc.http_status == 401 else None
        return Reply.json(exc.http_status, exc.body, headers=headers)
    if fault == "drop_after":
        return Reply(0, drop=True)
    if fault == "slow":
        time.sleep(sandbox.faults.faults.slow_seconds)
    if fault == "garbage":
        text = json.dumps(result).encode()
        return Reply(200, text[: max(len(text) // 2, 1)])
    return Reply.json(200, result)


def _slow_down(sandbox: Sandbox, fault: str) -> Reply:
    """429 (or 503) "slow down": the request was not taken, nor counted against the quota."""
    status, message = _SLOW_DOWN[fault]
    wait = sandbox.faults.faults.retry_after
    headers = {} if fault == "unavailable" else {"Retry-After": f"{wait:g}"}
    body = {"code": status, "message": message, "description": "Slow down; the request was not processed."}
    return Reply.json(status, body, headers=headers)


def _token(sandbox: Sandbox, authorization: str | None, body: bytes) -> Reply:
    """The token endpoint: RFC 6749 §2.3.1 client authentication, §5.1 and §5.2 answers."""
    form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    grant_types = form.get("grant_type") or []
    if len(grant_types) > 1:
        return _token_error(400, "invalid_request", "The request repeats grant_type; send it once.")
    scheme, _, value = (authorization or "").strip().partition(" ")
    client_id = client_secret = raw = None
    unreadable = (
        "No client authentication: send the client id and secret in HTTP Basic auth (RFC 6749 §2.3.1)."
        if scheme.lower() != "basic"
        else None
    )
    if scheme.lower() == "basic":
        try:
            raw = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            unreadable = (
                "The Basic credentials are not Base64 of UTF-8 text: the client id and secret are form-encoded, "
                "joined by ':', encoded in UTF-8 and then in Base64 (RFC 6749 §2.3.1)."
            )
        else:
            # §2.3.1: each of id and secret is application/x-www-form-urlencoded, so the first ':' splits them.
            encoded_id, _, encoded_secret = raw.partition(":")
            client_id, client_secret = unquote_plus(encoded_id), unquote_plus(encoded_secret)
    try:
        token = sandbox.gateway.issue_token(
            client_id, client_secret, grant_types[0] if grant_types else None, raw=raw, unreadable=unreadable
        )
    except GatewayError as exc:
        return _token_error(exc.http_status, str(exc.body["message"]), str(exc.body["description"]))
    return Reply.json(200, token, headers=dict(_NO_STORE))


def _token_error(status: int, error: str, description: str) -> Reply:
    """An RFC 6749 §5.2 error answer; a 401 names the Basic scheme (and UTF-8, RFC 7617) it wants."""
    headers = dict(_NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = _BASIC_REALM
    return Reply.json(status, {"error": error, "error_description": description}, headers=headers)
