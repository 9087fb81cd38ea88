"""Sending hours and a start time: when a campaign may send, in its time zone, across daylight saving changes.

A window such as ``"08:00-20:00"`` on ``days="Mon-Sat"`` in ``tz="Europe/Warsaw"`` is a span of local
wall-clock time on each of those days (``"20:00-02:00"`` runs past midnight into the next day); ``start_at``
holds every sending back until then. Times are compared in UTC, each day's opening found from its own
local date, so a day of a daylight saving change keeps its local hours.

>>> hours = Hours.parse(window="08:00-20:00", days="Mon-Sat")
>>> hours.is_open(datetime(2026, 12, 5, 9, 0, tzinfo=UTC))  # Saturday, 10:00 in Warsaw
True
>>> hours.next_opening(datetime(2026, 12, 5, 19, 0, tzinfo=UTC))  # Saturday, 20:00: closed until Monday
datetime.datetime(2026, 12, 7, 7, 0, tzinfo=datetime.timezone.utc)
>>> hours
Hours('08:00-20:00, Mon-Sat, Europe/Warsaw')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime

from .errors import Fix, InputError
from .words import N_, TIME_ZONE, Lang, Later, Phrase, Speaker

#: Monday first, as :meth:`datetime.weekday` counts.
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: The same days as a Polish calendar shortens them.
WEEKDAYS_PL = ("pn", "wt", "śr", "cz", "pt", "sb", "nd")
#: The names a day may be given by (lower case): English, and Polish with or without its accents.
_DAY_NAMES: dict[str, int] = {
    **{name.lower(): n for n, name in enumerate(WEEKDAYS)},
    **{
        name: n
        for n, full in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
        for name in (full, full[:2])
    },
    **{
        name: n
        for n, names in enumerate(
            (
                ("pn", "pon", "poniedziałek", "poniedzialek"),
                ("wt", "wto", "wtorek"),
                ("śr", "sr", "śro", "sro", "środa", "sroda"),
                ("cz", "czw", "czwartek"),
                ("pt", "pią", "pia", "piątek", "piatek"),
                ("sb", "so", "sob", "sobota"),
                ("nd", "nie", "ndz", "niedziela"),
            )
        )
        for name in names
    },
}
_EVERY_DAY = frozenset(range(7))
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})")


def _unreadable(sentence: str, option: str, example: str, **values: object) -> InputError:
    """The refusal of an unreadable ``option``: ``sentence`` (of the catalogue, naming ``{fix}``) with ``values``,
    and the fix that shows ``example``."""
    return InputError(sentence, fix=Fix(option=option, value=repr(example)), values={**values, "fix": "{fix}"})


def zone(tz: str) -> ZoneInfo:
    """The time zone named ``tz``; :class:`InputError` for a name that is not one."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise _unreadable(
            N_("{tz!r} is not a time zone: give its name, such as 'Europe/Warsaw' ({fix})."),
            "tz",
            "Europe/Warsaw",
            tz=tz,
        ) from None


def _clock_time(text: str, whole: str, *, end: bool) -> tuple[time, bool]:
    """A time of day from ``"8:00"``/``"20:00"`` (``"24:00"`` as an end: midnight of the next day)."""
    found = _TIME.fullmatch(text.strip())
    hour, minute = (int(found.group(1)), int(found.group(2))) if found else (-1, -1)
    if end and (hour, minute) == (24, 0):
        return time(0), True
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise _unreadable(
            N_(
                "The sending hours {hours!r} are not understood: write them as two times of day, "
                "opening and closing, such as '08:00-20:00' ({fix})."
            ),
            "window",
            "08:00-20:00",
            hours=whole,
        )
    return time(hour, minute), False


def _window(text: str) -> tuple[time, time, bool]:
    """The opening and closing times of ``"08:00-20:00"``, and whether it closes on the next day."""
    parts = str(text).split("-")
    if len(parts) != 2:
        _clock_time("", str(text), end=False)  # refused with the sentence that shows the form
    opens, _ = _clock_time(parts[0], text, end=False)
    closes, midnight = _clock_time(parts[1], text, end=True)
    if closes == opens and not midnight:
        raise _unreadable(
            N_(
                "The sending hours {hours!r} open and close at the same time: give a span, such as '08:00-20:00' "
                "({fix}); for every hour of the day give no window."
            ),
            "window",
            "08:00-20:00",
            hours=text,
        )
    return opens, closes, midnight or closes < opens


def _day(name: str, whole: str) -> int:
    day = _DAY_NAMES.get(name.strip().lower().rstrip("."))
    if day is None:
        raise _unreadable(
            N_(
                "The days {days!r} are not understood: name them as 'Mon-Sat' or 'Mon,Wed,Fri' "
                "(Polish 'pn-sb' also does) ({fix})."
            ),
            "days",
            "Mon-Sat",
            days=whole,
        )
    return day


def parse_days(text: str) -> frozenset[int]:
    """The weekdays (0 is Monday) of ``"Mon-Sat"``, ``"Mon,Wed,Fri"``, ``"Fri-Mon"`` or Polish ``"pn-pt"``.

    >>> sorted(parse_days("Fri-Mon")), sorted(parse_days("pn, śr, pt"))
    ([0, 4, 5, 6], [0, 2, 4])
    """
    days: set[int] = set()
    for part in str(text).split(","):
        ends = part.split("-")
        if len(ends) > 2 or not part.strip():
            _day("", str(text))
        first, last = _day(ends[0], str(text)), _day(ends[-1], str(text))
        days.update((first + k) % 7 for k in range((last - first) % 7 + 1))
    return frozenset(days)


def parse_moment(value: object, tz: ZoneInfo) -> datetime:
    """A moment (UTC) from a datetime or ISO text such as ``"2026-12-05 10:00"``; a naive one is a time in ``tz``."""
    moment: datetime | None = None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(0))
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            moment = None
    if moment is None:
        raise _unreadable(
            N_(
                "The start time {value!r} is not understood: give a date and time, such as '2026-12-05 10:00' "
                "(in the campaign's time zone) ({fix})."
            ),
            "start_at",
            "2026-12-05 10:00",
            value=value,
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    """``at`` on ``day`` on the wall clocks of ``tz``, as a UTC moment (a time a change skips is taken as before it)."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class Hours:
    """When a campaign may send: ``opens`` to ``closes`` (local, ``overnight`` when it closes the next day) on
    ``days`` (0 is Monday) in ``tz``, from ``start_at`` (UTC) on. Made by :meth:`parse`."""

    tz: ZoneInfo
    opens: time | None = None
    closes: time | None = None
    overnight: bool = False
    days: frozenset[int] = _EVERY_DAY
    start_at: datetime | None = None

    @classmethod
    def parse(
        cls, *, window: str | None = None, days: str | None = None, tz: str = TIME_ZONE, start_at: object = None
    ) -> Hours | None:
        """The hours the options of a send ask for; None when they ask for none (every hour, from now).
        :class:`InputError` for a window, days, time zone or start time that cannot be read."""
        where = zone(tz)
        opens, closes, overnight = (None, None, False) if window is None else _window(window)
        chosen = _EVERY_DAY if days is None else parse_days(days)
        start = None if start_at is None else parse_moment(start_at, where)
        if window is None and days is None and start is None:
            return None
        return cls(where, opens, closes, overnight, chosen, start)

    def __repr__(self) -> str:
        return f"Hours({self.describe()!r})"

    def describe(self, lang: Lang = "en") -> str:
        """The hours in a few words: ``"08:00-20:00, Mon-Sat, Europe/Warsaw"`` (``"pn-sb"`` in Polish)."""
        told = []
        if self.opens is not None and self.closes is not None:
            end = "24:00" if self.closes == time(0) and self.overnight else f"{self.closes:%H:%M}"
            told.append(f"{self.opens:%H:%M}-{end}")
        if self.days != _EVERY_DAY:
            told.append(_days_text(self.days, WEEKDAYS_PL if lang == "pl" else WEEKDAYS))
        return ", ".join([*told, str(self.tz)])

    def _spans(self, around: date) -> list[tuple[datetime, datetime]]:
        """The openings (UTC) of the days from the one before ``around`` to a week after, joined where they touch."""
        spans: list[tuple[datetime, datetime]] = []
        for k in range(-1, 9):
            day = around + timedelta(days=k)
            if day.weekday() not in self.days:
                continue
            if self.opens is None or self.closes is None:
                start, end = _local(day, time(0), self.tz), _local(day + timedelta(days=1), time(0), self.tz)
            else:
                start = _local(day, self.opens, self.tz)
                end = _local(day + timedelta(days=int(self.overnight)), self.closes, self.tz)
            if spans and start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
            else:
                spans.append((start, end))
        return spans

    def opening(self, at: datetime) -> tuple[datetime, datetime | None]:
        """The next time sending is allowed at or after ``at`` (``at`` itself when open), and when that opening
        closes (None: never)."""
        at = max(at, self.start_at) if self.start_at is not None else at
        if self.opens is None and self.days == _EVERY_DAY:
            return at, None
        for start, end in self._spans(at.astimezone(self.tz).date()):
            if end > at:
                return max(start, at), end
        raise AssertionError("a week always holds an opening")  # days is never empty, a window never 0 long

    def is_open(self, at: datetime) -> bool:
        """Whether a request may leave at ``at``."""
        return self.opening(at)[0] <= at

    def closes_at(self, at: datetime) -> datetime | None:
        """When the opening that holds (or comes next after) ``at`` closes; None: it never does."""
        return self.opening(at)[1]

    def next_opening(self, at: datetime) -> datetime:
        """The first moment at or after ``at`` when a request may leave."""
        return self.opening(at)[0]

    def closed(self, at: datetime) -> Phrase | None:
        """Why no request may leave at ``at``, ending with when one may (local time, in words, in each language);
        None when one may.

        >>> why = Hours.parse(window="08:00-20:00").closed(datetime(2026, 12, 5, 21, 0, tzinfo=UTC))
        >>> str(why)
        'outside the sending hours (08:00-20:00, Europe/Warsaw); they open next on Sunday, 6 December 2026, 08:00.'
        >>> why.said(Speaker("pl")).endswith("najbliżej otwierają się: niedziela, 6 grudnia 2026, 08:00.")
        True
        """
        opening = self.next_opening(at)
        if opening <= at:
            return None
        when = LocalTime(opening, self.tz)
        if self.start_at is not None and opening == self.start_at:
            return Phrase(N_("the campaign starts on {when} ({zone})."), {"when": when, "zone": str(self.tz)})
        return Phrase(
            N_("outside the sending hours ({hours}); they open next on {when}."),
            {"hours": HoursWords(self), "when": when},
        )


def awaited(hours: Hours, at: datetime) -> Phrase:
    """What a send closed at ``at`` waits for, in a few words (in each language): its start time, or its hours to
    open."""
    if hours.start_at is not None and hours.next_opening(at) == hours.start_at:
        return Phrase(N_("its start time"))
    return Phrase(N_("the sending hours to open ({hours})"), {"hours": HoursWords(hours)})


@dataclass(frozen=True)
class HoursWords(Later):
    """Sending hours in a few words of each language (:meth:`Hours.describe`)."""

    hours: Hours

    def said(self, speaker: Speaker) -> str:
        return self.hours.describe(speaker.lang)


@dataclass(frozen=True)
class LocalTime(Later):
    """A moment on the wall clocks of ``tz``, in words of each language (:func:`local_words`)."""

    moment: datetime
    tz: ZoneInfo

    def said(self, speaker: Speaker) -> str:
        return local_words(self.moment, self.tz, speaker.lang)


def local_words(moment: datetime, tz: ZoneInfo, lang: Lang = "en") -> str:
    """``moment`` on the wall clocks of ``tz``, in words of ``lang``: ``"Sunday, 6 December 2026, 08:00"``,
    ``"niedziela, 6 grudnia 2026, 08:00"``."""
    return str(format_datetime(moment, "EEEE, d MMMM y, HH:mm", tzinfo=tz, locale=lang))


def _days_text(days: frozenset[int], names: tuple[str, ...] = WEEKDAYS) -> str:
    """``"Mon-Sat"``, ``"Mon, Wed, Fri"``: runs of days (called by ``names``) joined by a dash."""
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(
        names[r[0]] if len(r) == 1 else f"{names[r[0]]}-{names[r[-1]]}" if len(r) > 2 else
        f"{names[r[0]]}, {names[r[1]]}"
        for r in runs
    )  # fmt: skip
