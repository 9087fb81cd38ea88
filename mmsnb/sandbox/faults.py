"""Faults the sandbox can inject, at random rates (seeded) or scripted for the next requests.

>>> Faults(server_error=0.05, drop_after=0.01).any()
True
"""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import dataclass, fields

#: Every fault kind, and what the sandbox does for it.
KINDS = {
    "server_error": "answer 500 with a JSON error body, without processing",
    "html_error": "answer 502 with an HTML page, without processing",
    "slow": "process, then answer only after `slow_seconds` (past a client's read timeout)",
    "drop_before": "close the connection without processing",
    "drop_after": "process, then close the connection without answering",
    "garbage": "process, then answer 200 with truncated JSON",
    "revoke_token": "revoke every access token, then answer 401 code 41",
    "throttled": "answer 429 with Retry-After (`retry_after` seconds), without processing",
    "busy": "answer 503 with Retry-After (`retry_after` seconds), without processing",
    "unavailable": "answer 503 without Retry-After, without processing",
}


#: Fields of :class:`Faults` that are settings, not rates.
SETTINGS = ("slow_seconds", "retry_after")


@dataclass
class Faults:
    """Rates (0..1) of each fault per request; ``status_error`` applies to status calls only."""

    server_error: float = 0.0
    html_error: float = 0.0
    slow: float = 0.0
    drop_before: float = 0.0
    drop_after: float = 0.0
    garbage: float = 0.0
    revoke_token: float = 0.0
    throttled: float = 0.0
    busy: float = 0.0
    unavailable: float = 0.0
    status_error: float = 0.0
    slow_seconds: float = 3.0
    retry_after: float = 1.0

    def any(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self) if f.name not in SETTINGS)


class FaultPlan:
    """Decides, per request, which fault (if any) to inject; deterministic for a seed."""

    def __init__(self, faults: Faults | None, seed: int) -> None:
        self.faults = faults or Faults()
        self._rng = random.Random(f"faults|{seed}")
        self._lock = threading.Lock()
        self._scripted: dict[str, deque[str]] = {}

    def fail_next(self, kind: str, *, endpoint: str = "send", times: int = 1) -> None:
        if kind not in KINDS and kind != "status_error":
            raise ValueError(f"Unknown fault {kind!r}; choose one of {', '.join(KINDS)}.")
        with self._lock:
            self._scripted.setdefault(endpoint, deque()).extend([kind] * times)

    def pick(self, endpoint: str) -> str | None:
        """The fault for the next request to ``endpoint`` ('send', 'status', 'limit'), or None."""
        with self._lock:
            queue = self._scripted.get(endpoint)
            if queue:
                return queue.popleft()
            if not self.faults.any():
                return None
            roll = self._rng.random()
            kinds = list(KINDS) + (["status_error"] if endpoint == "status" else [])
            for kind in kinds:
                rate = getattr(self.faults, kind)
                if roll < rate:
                    return "server_error" if kind == "status_error" else kind
                roll -= rate
            return None
