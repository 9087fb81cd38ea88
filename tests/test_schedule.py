"""Sending hours and a start time: parsing, refusals, and the openings across a daylight saving change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mmsnb.errors import InputError
from mmsnb.schedule import Hours, parse_days

WARSAW_SATURDAY_10 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def test_nothing_asked_is_no_hours() -> None:
    assert Hours.parse() is None
    assert Hours.parse(tz="America/New_York") is None


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ("Mon-Sat", {0, 1, 2, 3, 4, 5}),
        ("Mon,Wed,Fri", {0, 2, 4}),
        ("mon, wed , FRI", {0, 2, 4}),
        ("Fri-Mon", {4, 5, 6, 0}),
        ("Sat", {5}),
        ("pn-pt", {0, 1, 2, 3, 4}),
        ("Pn, Śr, Pt", {0, 2, 4}),
        ("sob-nd", {5, 6}),
        ("Monday-Friday,Sun", {0, 1, 2, 3, 4, 6}),
    ],
)
def test_days(days: str, expected: set[int]) -> None:
    assert parse_days(days) == frozenset(expected)


@pytest.mark.parametrize(
    ("options", "fix"),
    [
        ({"window": "8-20"}, "window"),
        ({"window": "08:00"}, "window"),
        ({"window": "08:00-25:00"}, "window"),
        ({"window": "08:61-20:00"}, "window"),
        ({"window": "08:00-08:00"}, "window"),
        ({"window": "24:00-08:00"}, "window"),
        ({"days": "Mon-Funday"}, "days"),
        ({"days": "Mon--Fri"}, "days"),
        ({"days": ""}, "days"),
        ({"days": "Mon,,Fri"}, "days"),
        ({"tz": "Europe/Warsow"}, "tz"),
        ({"tz": "../etc/passwd"}, "tz"),
        ({"start_at": "next Saturday"}, "start_at"),
        ({"start_at": 1733389200}, "start_at"),
    ],
)
def test_refused_with_a_sentence_and_its_fix(options: dict[str, object], fix: str) -> None:
    with pytest.raises(InputError) as refused:
        Hours.parse(**options)  # type: ignore[arg-type]
    assert refused.value.fix is not None and refused.value.fix.option == fix
    said = str(refused.value)
    assert said.endswith(".") and "Traceback" not in said


def test_inside_closing_and_next_opening() -> None:
    hours = Hours.parse(window="08:00-20:00", days="Mon-Sat", tz="Europe/Warsaw")
    assert hours is not None
    assert hours.is_open(WARSAW_SATURDAY_10)
    assert hours.closes_at(WARSAW_SATURDAY_10) == datetime(2026, 12, 5, 19, 0, tzinfo=UTC)
    evening = datetime(2026, 12, 5, 19, 0, tzinfo=UTC)  # Saturday 20:00 local: closed (the end is not inside)
    assert not hours.is_open(evening)
    assert hours.next_opening(evening) == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # Monday 08:00, Sunday skipped
    early = datetime(2026, 12, 7, 6, 59, tzinfo=UTC)
    assert not hours.is_open(early) and hours.next_opening(early) == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)


def test_a_window_past_midnight_and_whole_days() -> None:
    night = Hours.parse(window="22:00-02:00", days="Fri", tz="UTC")
    assert night is not None
    saturday_one = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)  # Friday's window runs into Saturday
    assert night.is_open(saturday_one)
    assert night.closes_at(saturday_one) == datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    assert not night.is_open(datetime(2026, 12, 5, 23, 0, tzinfo=UTC))  # Saturday night: not a Friday
    weekend = Hours.parse(days="Sat-Sun", tz="UTC")
    assert weekend is not None
    assert weekend.closes_at(WARSAW_SATURDAY_10) == datetime(2026, 12, 7, 0, 0, tzinfo=UTC)  # the days join
    until_midnight = Hours.parse(window="20:00-24:00", tz="UTC")
    assert until_midnight is not None
    assert until_midnight.closes_at(datetime(2026, 12, 5, 21, 0, tzinfo=UTC)) == datetime(2026, 12, 6, tzinfo=UTC)


def test_start_at_naive_is_local_and_holds_back() -> None:
    hours = Hours.parse(start_at="2026-12-05 10:00", tz="Europe/Warsaw")
    assert hours is not None and hours.start_at == WARSAW_SATURDAY_10
    before = WARSAW_SATURDAY_10 - timedelta(seconds=1)
    assert not hours.is_open(before) and hours.next_opening(before) == WARSAW_SATURDAY_10
    assert hours.is_open(WARSAW_SATURDAY_10) and hours.closes_at(WARSAW_SATURDAY_10) is None
    aware = Hours.parse(start_at=datetime(2026, 12, 5, 10, 0, tzinfo=UTC), tz="Europe/Warsaw")
    assert aware is not None and aware.start_at == datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    both = Hours.parse(window="08:00-20:00", start_at="2026-12-05 21:00")  # after the window: the next day's
    assert both is not None
    assert both.next_opening(WARSAW_SATURDAY_10) == datetime(2026, 12, 6, 7, 0, tzinfo=UTC)


def test_daylight_saving_days_keep_local_hours() -> None:
    """Poland moves its clocks on 29 March 2026 (02:00 → 03:00) and 25 October 2026 (03:00 → 02:00)."""
    hours = Hours.parse(window="08:00-20:00", tz="Europe/Warsaw")
    assert hours is not None
    saturday_night = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)  # 21:00 CET
    assert hours.next_opening(saturday_night) == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)  # 08:00 CEST
    assert hours.closes_at(saturday_night) == datetime(2026, 3, 29, 18, 0, tzinfo=UTC)  # 20:00 CEST
    assert not hours.is_open(datetime(2026, 3, 29, 5, 30, tzinfo=UTC))  # 07:30 CEST (06:30 by yesterday's clocks)
    autumn = datetime(2026, 10, 24, 19, 0, tzinfo=UTC)  # 21:00 CEST
    assert hours.next_opening(autumn) == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)  # 08:00 CET
    early = Hours.parse(window="01:00-04:00", tz="Europe/Warsaw")  # the spring change skips 02:00-03:00
    assert early is not None
    spring = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)  # 01:00 CET: open, two real hours until 04:00 CEST
    assert early.is_open(spring) and early.closes_at(spring) == datetime(2026, 3, 29, 2, 0, tzinfo=UTC)


def test_described_in_a_few_words() -> None:
    hours = Hours.parse(window="8:00-24:00", days="Mon,Wed,Thu,Fri", tz="UTC")
    assert hours is not None and hours.describe() == "08:00-24:00, Mon, Wed-Fri, UTC"
