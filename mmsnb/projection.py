"""When the request quota would run out: the arithmetic behind :func:`mmsnb.plot.quota`, apart from the drawing.

:func:`project` reads quota readings and returns a :class:`Projection`: a record of what the readings say
(used up, too few readings, one burst, an unsteady pace, or a steady pace that runs out or lasts until the
reset) with the numbers it rests on. Words are chosen where it is shown, not here.

>>> import pandas as pd
>>> readings = pd.DataFrame({
...     "read_at": pd.to_datetime(["2026-01-21 12:00", "2026-01-21 12:10", "2026-01-21 12:20"], utc=True),
...     "used": [0.0, 100.0, 200.0], "available": [1000.0, 900.0, 800.0],
...     "resets_on": pd.to_datetime(["2026-01-22"] * 3, utc=True)})
>>> p = project(readings, recent=pd.Timedelta("1h"))
>>> p.kind, round(p.per_second * 60), p.runs_out
('runs-out', 10, Timestamp('2026-01-21 13:40:00+0000', tz='UTC'))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

#: A pace is projected only from readings that span at least this long (or half of ``recent``)...
MIN_SPAN = pd.Timedelta(minutes=15)
#: ... and only when the pace of the first half of that span and of the second are within this factor.
STEADY = 2.0

ZERO = pd.Timedelta(0)
Kind = Literal["used-up", "one-reading", "none-used", "burst", "unsteady", "runs-out", "lasts"]


@dataclass(frozen=True, kw_only=True)
class Projection:
    """What the quota readings say about the time ahead.

    ``kind`` is one of: ``used-up`` (nothing available), ``one-reading`` (too few readings since the
    reset), ``none-used`` (no use over the span), ``burst`` (use within too short a span to tell a pace),
    ``unsteady`` (the two halves' paces ``first`` and ``second`` differ by more than :data:`STEADY`),
    ``runs-out`` (a steady pace ``per_second`` uses what is left at ``runs_out``) or ``lasts`` (it does
    not run out before ``reset``). ``start`` and ``end`` bound the projected lines, whose levels at
    ``end`` are ``used_at_end`` and ``available_at_end``; ``end == start`` when nothing is projected.
    """

    kind: Kind
    start: pd.Timestamp
    end: pd.Timestamp
    span: pd.Timedelta = ZERO
    used: float = 0.0
    per_second: float = 0.0
    first: float = 0.0
    second: float = 0.0
    runs_out: pd.Timestamp | None = None
    reset: pd.Timestamp | None = None
    used_at_end: float = 0.0
    available_at_end: float = 0.0

    @property
    def projected(self) -> bool:
        """True when a steady pace was carried on (``runs-out`` or ``lasts``)."""
        return self.kind in ("runs-out", "lasts")


def project(readings: pd.DataFrame, *, recent: pd.Timedelta) -> Projection:
    """The projection from ``readings`` (``read_at``, ``used``, ``available``, ``resets_on``; UTC, sorted by
    ``read_at``, at least one row), using the readings of the last ``recent`` since the quota last reset."""
    last = readings.iloc[-1]
    start: pd.Timestamp = last["read_at"]
    reset = None if pd.isna(last["resets_on"]) else last["resets_on"]

    def nothing(
        kind: Kind, span: pd.Timedelta = ZERO, used: float = 0.0, first: float = 0.0, second: float = 0.0
    ) -> Projection:
        return Projection(
            kind=kind,
            start=start,
            end=start,
            span=span,
            used=used,
            first=first,
            second=second,
            reset=reset,
            used_at_end=float(last["used"]),
            available_at_end=float(last["available"]),
        )

    if last["available"] <= 0:
        return nothing("used-up")
    window_no = readings["used"].diff().lt(0).cumsum()
    since_reset = readings[window_no == window_no.iloc[-1]]
    window = since_reset[since_reset["read_at"] >= start - recent]
    span = window["read_at"].iloc[-1] - window["read_at"].iloc[0]
    used = float(window["used"].iloc[-1] - window["used"].iloc[0])
    if used <= 0:
        return nothing("one-reading" if len(window) < 2 else "none-used", span)
    if len(window) < 3 or span < min(MIN_SPAN, recent / 2):
        return nothing("burst", span, used)
    elapsed = (window["read_at"] - window["read_at"].iloc[0]).dt.total_seconds().to_numpy()
    values = window["used"].to_numpy()
    middle = elapsed[-1] / 2
    at_middle = float(np.interp(middle, elapsed, values))
    first, second = (at_middle - values[0]) / middle, (values[-1] - at_middle) / middle
    if min(first, second) <= 0 or max(first, second) > STEADY * min(first, second):
        return nothing("unsteady", span, used, first, second)
    per_second = used / span.total_seconds()
    runs_out = start + pd.Timedelta(seconds=float(last["available"]) / per_second)
    lasts = reset is not None and runs_out >= reset
    end = min(reset, start + span) if lasts else runs_out
    gone = (end - start).total_seconds() * per_second
    return Projection(
        kind="lasts" if lasts else "runs-out",
        start=start,
        end=end,
        span=span,
        used=used,
        per_second=per_second,
        runs_out=None if lasts else runs_out,
        reset=reset,
        used_at_end=float(last["used"]) + gone,
        available_at_end=float(last["available"]) - gone,
    )
