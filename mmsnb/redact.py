r"""Keep secrets out of logs: every log record is scrubbed of registered secrets and tokens.

requests-oauthlib logs the token request's headers (Basic auth holds the client secret) and
the token itself at DEBUG; urllib3 logs URLs. Once :func:`install` has run, any record, from
any logger, has those values replaced by ``***`` before a handler sees it.

>>> register("s3cr3t-value")
>>> redact("Authorization: Basic abc= s3cr3t-value")
'Authorization: Basic *** ***'

A value the client sends is masked in every form a server may echo it back in:

>>> register_sent("pass+word/ł")
>>> redact("form pass%2Bword%2F%C5%82, url pass%2bword/%c5%82, json pass+word\\/\\u0142")
'form ***, url ***, json ***'
"""

from __future__ import annotations

import json
import logging
import re
import threading
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
_secrets: set[str] = set()
#: The secrets, longest first (a longer one may hold a shorter one).
_ordered: tuple[str, ...] = ()
#: For each secret that holds a percent-encoding, how to find it with the hex digits in either case.
_percented: dict[str, re.Pattern[str]] = {}
_PERCENT = re.compile(r"(%[0-9A-Fa-f]{2})")
_lock = threading.Lock()
_installed = False
_PATTERNS = (
    (re.compile(r"(Bearer|Basic)\s+[A-Za-z0-9\-._~+/=]+"), r"\1 " + MASK),
    (
        re.compile(r"""(['"]?(?:access_token|refresh_token|client_secret)['"]?\s*[:=]\s*['"]?)[^'",&\s}]+"""),
        r"\1" + MASK,
    ),
)


def register(*values: str | None) -> None:
    """Remember values that must never be shown (secrets, tokens)."""
    global _ordered
    with _lock:
        new = {v for v in values if v and len(v) >= 4} - _secrets
        if new:
            _secrets.update(new)
            _ordered = tuple(sorted(_secrets, key=len, reverse=True))
            _percented.update({v: _any_case(v) for v in new if _PERCENT.search(v)})


def _any_case(secret: str) -> re.Pattern[str]:
    """A pattern for ``secret`` whose percent-encodings match in upper or lower case (``%2B`` or ``%2b``)."""
    parts = _PERCENT.split(secret)
    return re.compile("".join(f"(?i:{part})" if i % 2 else re.escape(part) for i, part in enumerate(parts)))


def sent_forms(value: str) -> set[str]:
    """The forms ``value`` takes on the wire or in a server's echo of it: as it is, percent-encoded (UTF-8,
    ``/`` kept or not), form-encoded (``+`` for a space), and each of them inside a JSON string.

    >>> sorted(sent_forms("a b"))
    ['a b', 'a%20b', 'a+b']
    """
    forms = {value, quote(value), quote(value, safe=""), quote_plus(value)}
    for form in list(forms):
        for escaped in (json.dumps(form)[1:-1], json.dumps(form, ensure_ascii=False)[1:-1]):
            forms |= {escaped, escaped.replace("/", "\\/")}
    return forms


def register_sent(*values: str | None) -> None:
    """Remember values the client sends, in each of their :func:`sent_forms`."""
    register(*(form for value in values if value for form in sent_forms(value)))


def holds_secret(text: str, shortest: int = 16) -> bool:
    """Whether ``text`` holds a registered secret or token of at least ``shortest`` characters (a shorter one,
    such as a brief password, may occur in an ordinary value by chance).

    >>> register("short-secret", "a-token-of-some-length")
    >>> holds_secret("id-a-token-of-some-length"), holds_secret("id-short-secret")
    (True, False)
    """
    return any(len(secret) >= shortest and _found(secret, text) for secret in _ordered)


def _found(secret: str, text: str) -> bool:
    percented = _percented.get(secret)
    return secret in text if percented is None else percented.search(text) is not None


def redact(text: str) -> str:
    """``text`` with every registered secret and every bearer/basic credential masked."""
    for secret in _ordered:
        percented = _percented.get(secret)
        if percented is not None:
            text = percented.sub(MASK, text)
        elif secret in text:
            text = text.replace(secret, MASK)
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


def install() -> None:
    """Scrub every log record created from now on (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            try:
                message = record.getMessage()
            except Exception:
                return record
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
