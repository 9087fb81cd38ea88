"""The quota projection as a record, apart from any drawing: each kind, with its numbers checked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from mmsnb.projection import project

RESET = pd.Timestamp("2026-01-22", tz="UTC")


def readings(minutes: list[float], used: list[float], total: float = 1000.0, reset=RESET) -> pd.DataFrame:
    start = pd.Timestamp("2026-01-21 12:00", tz="UTC")
    return pd.DataFrame(
        {
            "read_at": [start + pd.Timedelta(minutes=m) for m in minutes],
            "used": used,
            "available": [total - u for u in used],
            "resets_on": [reset] * len(used),
        }
    )


def test_a_steady_pace_runs_out_when_what_is_left_is_used():
    p = project(readings([0, 10, 20, 30], [0, 100, 200, 300]), recent=pd.Timedelta("1h"))
    assert p.kind == "runs-out" and p.projected
    assert p.per_second == pytest.approx(10 / 60)
    assert p.runs_out == pd.Timestamp("2026-01-21 12:30", tz="UTC") + pd.Timedelta(minutes=70)
    assert p.end == p.runs_out and p.available_at_end == pytest.approx(0) and p.used_at_end == pytest.approx(1000)


def test_a_pace_that_lasts_until_the_reset_is_drawn_for_as_long_as_it_was_seen():
    p = project(
        readings([0, 10, 20, 30], [0, 1, 2, 3], reset=pd.Timestamp("2026-01-21 14:00", tz="UTC")),
        recent=pd.Timedelta("1h"),
    )
    assert p.kind == "lasts" and p.runs_out is None
    assert p.end == pd.Timestamp("2026-01-21 13:00", tz="UTC")  # 30 minutes seen, 30 carried on


@pytest.mark.parametrize(
    ("minutes", "used", "kind"),
    [
        ([0], [5], "one-reading"),
        ([0, 30], [5, 5], "none-used"),
        ([0, 1, 2], [0, 50, 100], "burst"),
        ([0, 10, 20, 30], [0, 10, 20, 300], "unsteady"),
        ([0, 10], [500, 1000], "used-up"),
    ],
)
def test_no_projection_without_a_steady_pace(minutes, used, kind):
    p = project(readings(minutes, used), recent=pd.Timedelta("1h"))
    assert p.kind == kind and not p.projected and p.end == p.start


def test_only_readings_since_the_last_reset_count():
    p = project(readings([0, 10, 20, 30, 40], [800, 900, 0, 0, 0]), recent=pd.Timedelta("1h"))
    assert p.kind == "none-used" and p.span == pd.Timedelta(minutes=20)
