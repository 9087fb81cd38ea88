"""Keep secrets out of logs: every log record is scrubbed of registered secrets and tokens.

requests-oauthlib logs the token request's headers (Basic auth holds the client secret) and
the token itself at DEBUG; urllib3 logs URLs. Once :func:`install` has run, any record, from
any logger, has those values replaced by ``***`` before a handler sees it.

>>> register("s3cr3t-value")
>>> redact("Authorization: Basic abc= s3cr3t-value")
'Authorization: Basic *** ***'
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

MASK = "***"
_secrets: set[str] = set()
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
    with _lock:
        _secrets.update(v for v in values if v and len(v) >= 4)


def redact(text: str) -> str:
    """``text`` with every registered secret and every bearer/basic credential masked."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
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
