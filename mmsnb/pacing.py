"""How fast a campaign sends: how many requests are in flight (found by itself), and an optional rate cap.

:class:`Pace` is the congestion control TCP uses, applied to requests: it starts with a few in
flight and doubles them each round trip while answers come back healthy (slow start), then adds
one per round trip (additive increase), and halves them when the gateway says "slow down"
(429, 503) or stops answering in time (multiplicative decrease). :class:`RateCap` spaces
requests evenly for contracts that state a rate.

>>> pace = Pace(start=2, ceiling=8)
>>> with pace.slot() as ticket:
...     pace.healthy(ticket, latency=0.1)
>>> pace.limit
3
>>> RateCap.parse("600/min").interval
0.1
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .errors import Fix, InputError, ServerError, ThrottledError, TransportError

#: The most requests one campaign keeps in flight (each waits on a thread of its own).
MOST_IN_FLIGHT = 256
#: Requests in flight at first (at most the ceiling): as adaptive concurrency limiters start (Netflix's
#: concurrency-limits starts at 20; TCP's first window is 10 segments, RFC 6928), so that a campaign does not
#: spend its first round trips far below what the gateway takes.
START = 16
#: A round trip whose latency grew past this multiple of the best seen stops the growth.
LATENCY_CLIMB = 2.0
_UNITS = {"s": 1.0, "sec": 1.0, "second": 1.0, "min": 60.0, "minute": 60.0, "h": 3600.0, "hour": 3600.0}


@dataclass(frozen=True)
class Ticket:
    """One request's place in flight: the pace's epoch when it started (a halving starts a new one)."""

    epoch: int


class Pace:
    """The number of requests allowed in flight at once, adjusted from how the gateway answers.

    ``fixed=True`` keeps ``ceiling`` in flight and never adjusts. ``decisions`` records every
    change as ``(what, limit)``: ``("grow", 5)``, ``("halve", 2)``.
    """

    def __init__(self, *, start: int = START, ceiling: int = 32, fixed: bool = False) -> None:
        if isinstance(ceiling, bool) or not isinstance(ceiling, int) or not 1 <= ceiling <= MOST_IN_FLIGHT:
            raise InputError(
                f"The requests in flight must be a whole number from 1 to {MOST_IN_FLIGHT}, not {ceiling!r}."
            )
        self.ceiling, self.fixed = ceiling, fixed
        self.limit = ceiling if fixed else max(1, min(start, ceiling))
        self.decisions: list[tuple[str, int]] = []
        self._threshold = ceiling  # slow start doubles up to here; after a halving it adds one per round trip
        self._cond = threading.Condition(threading.Lock())
        self._in_flight = 0
        self._epoch = 0
        self._healthy = 0
        self._best = math.inf

    @contextmanager
    def slot(self) -> Iterator[Ticket]:
        """Wait for a place in flight, hold it for the request, then give it back."""
        with self._cond:
            while self._in_flight >= self.limit:
                self._cond.wait()
            self._in_flight += 1
            ticket = Ticket(self._epoch)
        try:
            yield ticket
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify()  # one place came free: one waiting request takes it

    @contextmanager
    def attempt(self, cap: RateCap | None = None, ready: Callable[[], None] = lambda: None) -> Iterator[None]:
        """One request in flight: wait for a place (and for ``cap``), call ``ready()`` (what must hold once the
        place is had), then learn from how the request ended."""
        with self.slot() as ticket:
            if cap is not None:
                cap.wait()
            ready()
            with self.observe(ticket):
                yield

    @contextmanager
    def observe(self, ticket: Ticket) -> Iterator[None]:
        """Learn from one request: "slow down" (429, 503) or no answer in time halves the pace;
        a good answer may grow it.
        """
        started = time.monotonic()
        try:
            yield
        except (ThrottledError, ServerError, TransportError) as exc:
            if isinstance(exc, ThrottledError) or exc.http_status == 503 or getattr(exc, "maybe_sent", False):
                self.slow(ticket)
            raise
        self.healthy(ticket, time.monotonic() - started)

    def healthy(self, ticket: Ticket, latency: float) -> None:
        """A request came back well after ``latency`` seconds: grow while latency does not climb."""
        with self._cond:
            self._best = min(self._best, latency)
            if self.fixed or self.limit >= self.ceiling or latency > LATENCY_CLIMB * self._best:
                return
            self._healthy += 1
            # Below the threshold, slow start: one more per healthy answer, so the limit doubles each round trip;
            # above it, additive increase: one more per round trip.
            grow = self.limit < self._threshold or self._healthy >= self.limit
            if grow:
                self._healthy = 0
                self.limit += 1
                self.decisions.append(("grow", self.limit))
                self._cond.notify()  # one place more

    def slow(self, ticket: Ticket) -> None:
        """The gateway said "slow down" (or did not answer in time): halve, once per round trip."""
        with self._cond:
            if self.fixed or ticket.epoch != self._epoch:
                return
            self._epoch += 1
            self._healthy = 0
            self.limit = self._threshold = max(1, self.limit // 2)
            self.decisions.append(("halve", self.limit))


class RateCap:
    """At most one request per ``interval`` seconds across all threads, evenly spaced.

    Built with :meth:`parse` from ``"10/s"``, ``"600/min"`` or ``"3600/h"``. ``clock`` and
    ``sleep`` are the time functions it uses.
    """

    def __init__(
        self,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._next = -math.inf

    @classmethod
    def parse(
        cls,
        rate: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> RateCap:
        """A cap from text such as ``"10/s"`` or ``"600/min"``."""
        found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*/\s*([a-z]+)\s*", str(rate).lower())
        if not found or found.group(2) not in _UNITS or float(found.group(1)) <= 0:
            raise InputError(
                "{fix} is not a rate: write it as requests per time, e.g. '10/s', '600/min' or '3600/h'.",
                fix=Fix(option="rate", value=repr(rate)),
            )
        return cls(_UNITS[found.group(2)] / float(found.group(1)), clock=clock, sleep=sleep)

    def wait(self) -> None:
        """Take the next place in the schedule, sleeping until its time comes."""
        with self._lock:
            now = self._clock()
            at = max(now, self._next)
            self._next = at + self.interval
        if at > now:
            self._sleep(at - now)
