"""Charts of what happened to a campaign: outcomes, statuses over time, delivery times, the quota.

Every function takes the data first (``data``: the results DataFrame, or what ``mmsnb.history``
returns, or the DataFrame it holds) and the rest, ``ax`` included, by keyword only. It draws on
``ax`` when given, else on a new figure, and returns the Axes. Nothing is shown and no global
style is changed (pyplot only makes the new figure when ``ax`` is not given): in a notebook the
figure appears by itself.
Rows are counted with pandas first, so a million rows draw about as fast as a hundred.
Time axes (:func:`timeline`, :func:`quota`) read as clock times in ``tz`` (UTC by default), the
date once in the axis label; :func:`quota` projects only a steady pace, in rounded words.

>>> from mmsnb import plot
>>> ax = plot.outcomes(results, by="segment")
>>> ax = plot.timeline(mmsnb.history("spring-sale"), tz="Europe/Warsaw")
>>> ax.figure.savefig("outcomes.png")
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, tzinfo
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from babel.dates import format_date, get_day_names
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.ticker import FuncFormatter, PercentFormatter, ScalarFormatter

from .delivery_statuses import CATEGORY_COLORS
from .errors import InputError
from .projection import project
from .result_columns import CATEGORIES, Category
from .tables import outcome_counts, require
from .words import (
    AUTOMATIC_NAME,
    CATEGORY_WORDS,
    N_,
    SEND_STATE_WORDS,
    TIME_ZONE,
    Speaker,
    campaign_title,
    speaker,
)

#: Bars of rows that never got a status: white, outlined, so they never pass for a category.
NOT_SENT_FACE, NOT_SENT_EDGE = "white", "#333333"
#: Lines that are not status categories (Okabe-Ito colours the categories do not use).
USED_COLOR, AVAILABLE_COLOR, MARK_COLOR, RESET_COLOR = "#0072B2", "#CC79A7", "#333333", "#777777"
#: Tell apart bars that share a colour, or whose colours look alike printed in greyscale: one hatch per bar.
HATCHES: tuple[str, ...] = ("", "//", "..", "xx", "\\\\", "oo", "--", "++")
#: Tell apart lines printed in greyscale: a marker per category (:func:`timeline`), a line style per group.
MARKERS: dict[str, str] = {"delivered": "o", "pending": "s", "partial": "^", "failed": "x", "unknown": "D"}
LINESTYLES: tuple[str, ...] = ("-", "--", "-.", ":")
#: Most values of a ``by`` column that :func:`outcomes` draws as groups of bars.
MAX_GROUPS = 20
#: Most markers drawn on one line (more would blot it out): every n-th point carries one.
MAX_MARKERS = 30


def _axes(ax: Axes | None, figsize: tuple[float, float] | None = None) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


ENGLISH = Speaker("en")


def _nothing(ax: Axes, title: str, why: str, _: Speaker = ENGLISH) -> Axes:
    ax.set_title(title)
    ax.text(0.5, 0.5, _("Nothing to show: {why}", why=why), ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def _frame(history: object, attribute: str) -> pd.DataFrame:
    """The DataFrame itself, or the history object's ``attribute``."""
    frame = history if isinstance(history, pd.DataFrame) else getattr(history, attribute, None)
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"Expected mmsnb.history(...) or its .{attribute} DataFrame, got {type(history).__name__}.")
    return frame


def _utc(values: pd.Series) -> pd.Series:
    """Datetimes as naive UTC, which matplotlib draws without a time-zone shift (naive input is taken as UTC)."""
    return pd.to_datetime(values, utc=True).dt.tz_localize(None)


def _zone(tz: str | None, _: Speaker = ENGLISH) -> tuple[tzinfo, str]:
    """The time zone named ``tz`` and its name (when None: UTC in English, Europe/Warsaw in Polish), or InputError
    saying what a name looks like."""
    if tz is None:
        tz = "UTC" if _.lang == "en" else TIME_ZONE
    if not isinstance(tz, str):
        raise InputError(f"tz= must be a time zone name such as 'Europe/Warsaw', not {type(tz).__name__}.")
    try:
        return ZoneInfo(tz), tz
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"tz={tz!r} is not a time zone name; use one such as 'Europe/Warsaw' or 'UTC'.") from None


def _date(day: date, _: Speaker = ENGLISH, *, year: bool = True) -> str:
    """A date as the language writes it: "2026-01-22" in English, "22 stycznia 2026" in Polish ("22 Jan",
    "22 stycznia" without the year)."""
    if _.lang == "en":
        return f"{day:%Y-%m-%d}" if year else f"{day.day} {day:%b}"
    return str(format_date(day, "d MMMM y" if year else "d MMMM", locale=_.lang))


def _time_axis(ax: Axes, zone: tzinfo, name: str, what: str, _: Speaker = ENGLISH) -> None:
    """Label the x axis (naive UTC datetimes) with clock times in ``zone``, the date once, and the zone's name.

    Within one day the ticks are ``HH:MM`` (``HH:MM:SS`` when the axis spans under five minutes)
    and the label names the date, e.g. "time polled (UTC), 25 Nov 2026"; across days each tick
    carries its date.
    """
    first, last = ax.dataLim.intervalx
    if last - first < 1 / 86400:  # one moment (a single reading): a minute around it, not matplotlib's decade
        middle = (first + last) / 2
        ax.set_xlim(middle - 30 / 86400, middle + 30 / 86400)
    low, high = (pd.Timestamp(mdates.num2date(x)).tz_convert(zone) for x in ax.get_xlim())
    seconds = (high - low).total_seconds()
    if seconds < 120:  # whole seconds only: a tick at half a second would repeat its label
        step = next((n for n in (1, 2, 5, 10, 15, 30) if n >= seconds / 6), 30)
        ax.xaxis.set_major_locator(mdates.SecondLocator(bysecond=range(0, 60, step), tz=zone))
    else:
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(tz=zone, minticks=3, maxticks=8))
    if low.date() == high.date():
        clock = "%H:%M:%S" if high - low < pd.Timedelta(minutes=5) else "%H:%M"
        ax.xaxis.set_major_formatter(mdates.DateFormatter(clock, tz=zone))
        day = f"{low.day} {low:%b %Y}" if _.lang == "en" else _date(low.date(), _)
        ax.set_xlabel(f"{what} ({name}), {day}")
    else:
        days = "%d %b\n%H:%M" if _.lang == "en" else "%d.%m\n%H:%M"  # month names are English in strftime
        ax.xaxis.set_major_formatter(mdates.DateFormatter(days, tz=zone))
        ax.set_xlabel(f"{what} ({name})")


def _about(value: float, _: Speaker = ENGLISH) -> str:
    """``value`` to two significant figures, as a person would say it: 4,775.6 → "4,800", 6.0 → "6", 0.25 → "0.25"
    (in Polish "4 800", "0,25")."""
    if value <= 0 or not math.isfinite(value):
        return "0"
    digits = 1 - math.floor(math.log10(value))
    rounded = round(value, digits)
    if _.lang != "en":
        return _.number(rounded, max(digits, 0))
    return f"{int(rounded):,}" if rounded == int(rounded) else f"{rounded:,.{max(digits, 0)}f}"


def _share(value: float, _: Speaker = ENGLISH) -> str:
    """A share as a percentage with one decimal: "38.5%" in English, "38,5 %" in Polish."""
    return f"{value:.1%}" if _.lang == "en" else f"{_.number(100 * value)} %"


def _count(n: int, _: Speaker = ENGLISH) -> str:
    """A count with the language's thousands separator."""
    return f"{n:,}" if _.lang == "en" else _.number(n)


def _percent_axis(axis: Axis, _: Speaker = ENGLISH) -> None:
    """Ticks of shares (0 to 1) as percentages: "50%" in English, "50 %" in Polish (decimal comma)."""
    if _.lang == "en":
        axis.set_major_formatter(PercentFormatter(1.0))
    else:
        axis.set_major_formatter(FuncFormatter(lambda value, _position: f"{_.number(100 * value)} %"))


class _CommaFormatter(ScalarFormatter):
    """matplotlib's plain numbers with a decimal comma, as Polish writes them."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return str(super().__call__(x, pos)).replace(".", ",")


def _done(ax: Axes, _: Speaker = ENGLISH) -> Axes:
    """``ax``, its axes' plain numbers written with a decimal comma in Polish."""
    if _.lang != "en":
        for axis in (ax.xaxis, ax.yaxis):
            if type(axis.get_major_formatter()) is ScalarFormatter:
                axis.set_major_formatter(_CommaFormatter())
    return ax


def _duration(span: pd.Timedelta, _: Speaker = ENGLISH) -> str:
    """A span in whole seconds, minutes, hours or days, whichever reads best: "12 seconds", "2 hours"."""
    seconds = span.total_seconds()
    if seconds < 1:
        return _("less than a second")
    units = (
        (N_("{n} second"), N_("{n} seconds"), 1, 90),
        (N_("{n} minute"), N_("{n} minutes"), 60, 90 * 60),
        (N_("{n} hour"), N_("{n} hours"), 3600, 48 * 3600),
    )
    for one, many, size, limit in units:
        if seconds < limit:
            return _.ngettext(one, many, round(seconds / size))
    return _.ngettext("{n} day", "{n} days", round(seconds / 86400))


def _pace(per_second: float, _: Speaker = ENGLISH) -> str:
    """A pace in requests a minute (or an hour, when under one a minute), to two significant figures."""
    if per_second * 60 >= 1:
        return _("{n} requests a minute", n=_about(per_second * 60, _))
    return _("{n} requests an hour", n=_about(per_second * 3600, _))


def _bar_styles(categories: dict[str, str | None]) -> dict[str, tuple[str, str, str]]:
    """Face colour, edge colour and hatch of each outcome's bars: a hatch of its own, so that greyscale tells apart
    the outcomes too."""
    styles: dict[str, tuple[str, str, str]] = {}
    for k, (label, category) in enumerate(categories.items()):
        hatch = HATCHES[k % len(HATCHES)]
        if category is None:
            styles[label] = (NOT_SENT_FACE, NOT_SENT_EDGE, hatch)
        else:
            styles[label] = (CATEGORY_COLORS.get(category, CATEGORY_COLORS["unknown"]), "white", hatch)
    return styles


def _outcome(label: str, _: Speaker) -> str:
    """An outcome's label ("delivered", "not sent: invalid") in ``_``'s language; a gateway status stays verbatim."""
    if _.lang == "en":
        return label
    if label in CATEGORY_WORDS:
        return _(CATEGORY_WORDS[label])
    sent, _colon, state = label.partition(": ")
    if sent == "not sent":
        return _(SEND_STATE_WORDS.get(state, "Not sent — stopped")) if state else _("Not sent")
    if sent == "no status":
        return _("{state}, no status yet", state=_(SEND_STATE_WORDS.get(state, "Sent")))
    return label


def outcomes(
    data: pd.DataFrame, *, by: str | None = None, raw: bool = False, ax: Axes | None = None, lang: str | None = None
) -> Axes:
    """Bars of how many rows of the results ``data`` ended in each status category, with count and share on each.

    With ``raw=True`` there is one bar per verbatim gateway ``status`` instead, coloured by
    its category (hatching tells apart statuses of one category). Rows that never got a
    status get one white bar per ``send_state``: ``not sent: invalid``, ``not sent: quota``,
    ... and ``no status: accepted`` for sent rows not polled yet. Only outcomes that occur
    are drawn, categories first in :data:`~mmsnb.delivery_statuses.CATEGORIES` order.

    With ``by`` (a column such as ``segment``) the bars are grouped per value of that column,
    one colour per outcome (legend on the right), and shares are within each group.
    ``lang="pl"`` writes the title, labels and legend in Polish (default: ``MMSNB_LANG``, else English).

    >>> ax = outcomes(results)
    >>> ax = outcomes(results, by="segment", raw=True)
    """
    key = "status" if raw else "status_category"
    require(data, (key, "send_state"))
    if by is not None and by not in data.columns:
        raise InputError(
            f"The results have no {by!r} column to split by; they have: {', '.join(map(str, data.columns))}."
        )
    _ = speaker(lang)
    if by:
        title = _("Gateway status by {by}", by=by) if raw else _("Outcome by {by}", by=by)
    else:
        title = _("Gateway status per recipient") if raw else _("Outcome per recipient")
    if data.empty:
        return _nothing(_axes(ax), title, _("the results have no rows"), _)
    if by is not None and (groups := data[by].nunique(dropna=False)) > MAX_GROUPS:
        raise InputError(
            f"The column {by!r} has {groups:,} different values, too many bars to read; "
            f"split by a column with at most {MAX_GROUPS} values, such as a segment."
        )
    table, categories = outcome_counts(data, key, by)
    styles = {_outcome(label, _): style for label, style in _bar_styles(categories).items()}
    table.index = [_outcome(str(label), _) for label in table.index]
    if by is None:
        ax = _axes(ax, figsize=(max(6.4, 1.5 + 0.7 * len(table)), 4.8))
        _single_bars(ax, table["all"], styles, _)
    else:
        ax = _axes(ax, figsize=(min(16.0, max(6.4, 2.5 + 0.3 * table.size)), 4.8))
        _grouped_bars(ax, table, styles, _)
        ax.set_xlabel(by)
    rows = _.ngettext("{n} row", "{n} rows", len(data)) if _.lang != "en" else f"{len(data):,} rows"
    ax.set_title(f"{title} ({rows})")
    ax.set_ylabel(_("rows"))
    return _done(ax, _)


def _single_bars(ax: Axes, counts: pd.Series, styles: dict[str, tuple[str, str, str]], _: Speaker = ENGLISH) -> None:
    x = np.arange(len(counts))
    faces, edges, hatches = zip(*(styles[label] for label in counts.index), strict=True)
    bars = ax.bar(x, counts.to_numpy(), color=faces, edgecolor=edges, hatch=hatches)
    shares = counts / counts.sum()
    texts = [f"{_count(c, _)}\n{_share(s, _)}" for c, s in zip(counts, shares, strict=True)]
    ax.bar_label(bars, labels=texts, padding=2, fontsize=9)
    slanted: dict[str, Any] = {"rotation": 30, "ha": "right"} if max(map(len, counts.index)) > 10 else {}
    ax.set_xticks(x, counts.index, **slanted)
    ax.set_ylim(0, counts.max() * 1.18)


def _grouped_bars(ax: Axes, table: pd.DataFrame, styles: dict[str, tuple[str, str, str]], _: Speaker = ENGLISH) -> None:
    x = np.arange(table.shape[1])
    group_totals = table.sum()
    width = 0.8 / len(table)
    for k, (label, counts) in enumerate(table.iterrows()):
        face, edge, hatch = styles[str(label)]
        bars = ax.bar(
            x + (k - (len(table) - 1) / 2) * width,
            counts.to_numpy(),
            width,
            color=face,
            edgecolor=edge,
            hatch=hatch,
            label=label,
        )
        shares = counts / group_totals
        texts = [f"{_count(c, _)} ({_share(s, _)})" if c else "" for c, s in zip(counts, shares, strict=True)]
        ax.bar_label(bars, labels=texts, padding=2, fontsize=8, rotation=90)
    rows = [f"{total:,} rows" if _.lang == "en" else _.ngettext("{n} row", "{n} rows", total) for total in group_totals]
    ax.set_xticks(x, [f"{group}\n{n}" for group, n in zip(group_totals.index, rows, strict=True)])
    ax.set_ylim(0, table.to_numpy().max() * 1.3)
    ax.legend(title=_("outcome"), loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)


def _latest_counts(statuses: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Addresses per category (columns) at each poll time (rows), each at its latest status by then."""
    time, times = pd.factorize(_utc(statuses["polled_at"]), sort=True)
    category, names = pd.factorize(statuses["category"].astype("str"))
    address = statuses.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    order = np.lexsort((time, address))  # stable: by address, then time, then input order
    t, c, a = time[order], category[order], address[order]
    again = a[1:] == a[:-1]  # the row before is the same address: it leaves its previous category
    cells = len(times) * len(names)
    entered = np.bincount(time * len(names) + category, minlength=cells)
    left = np.bincount(t[1:][again] * len(names) + c[:-1][again], minlength=cells)
    return pd.DataFrame((entered - left).reshape(len(times), len(names)).cumsum(axis=0), index=times, columns=names)


def timeline(
    data: object,
    *,
    ax: Axes | None = None,
    campaign: str | None = None,
    tz: str | None = None,
    lang: str | None = None,
) -> Axes:
    """Step lines of how many addresses were in each status category at each poll.

    ``data`` is ``mmsnb.history(...)`` or its ``.statuses`` DataFrame.

    At each time a status was polled, every address counts in the category of its latest
    status so far; an address is one ``(campaign, message_id, address)``. One line per category
    that occurs, in :data:`~mmsnb.delivery_statuses.CATEGORIES` order; the legend gives the latest counts.
    ``campaign`` keeps one campaign of a history that holds several (default: all of them).
    The title names the campaign, or counts the campaign names (a campaign sent in several
    waves, one per segment, is one campaign).

    The x axis reads as clock times in the time zone ``tz`` (a name such as ``"Europe/Warsaw"``;
    UTC when not given), with the date once in the axis label: "time polled (Europe/Warsaw), 25 Nov 2026".
    ``lang="pl"`` writes the title, labels and legend in Polish (default: ``MMSNB_LANG``, else English).

    >>> ax = timeline(mmsnb.history("spring-sale"), tz="Europe/Warsaw")
    """
    _ = speaker(lang)
    zone, zone_name = _zone(tz, _)
    statuses = _frame(data, "statuses")
    keys = ["campaign", "message_id", "address"]
    require(statuses, [*keys, "category", "polled_at"], "status history")
    if campaign is not None:
        statuses = statuses[statuses["campaign"] == campaign]
    shown = _shown_campaigns(data, statuses, _)
    title = _("Status of each address over time") + (f": {shown(campaign)}" if campaign is not None else "")
    statuses = statuses[statuses["category"].notna()]
    if statuses.empty:
        never = (
            _("no status has been polled for {campaign}", campaign=repr(campaign))
            if campaign is not None
            else _("no status has been polled")
        )
        return _nothing(_axes(ax), title, never, _)

    counts = _latest_counts(statuses, keys)
    ax = _axes(ax)
    every = max(1, len(counts) // MAX_MARKERS)
    for name in [c for c in CATEGORIES if c in counts.columns and counts[c].any()]:
        ax.step(
            counts.index.to_numpy(),
            counts[name].to_numpy(),
            where="post",
            color=CATEGORY_COLORS[name],
            marker=MARKERS[name],
            markevery=every,
            markersize=4,
            label=f"{_outcome(name, _)} ({_count(counts[name].iloc[-1], _)})",
        )
    ax.set_ylim(bottom=0)
    if campaign is None:
        names = [shown(name) for name in sorted(map(str, statuses["campaign"].dropna().unique()))]
        if len(names) == 1:
            title += f": {names[0]}"
        else:
            many = (
                _.ngettext("{n} campaign", "{n} campaigns", len(names)) if _.lang != "en" else f"{len(names)} campaigns"
            )
            title += f" ({many}" + (f": {', '.join(names)})" if len(names) <= 3 else ")")
    ax.set_title(title)
    _time_axis(ax, zone, zone_name, _("time polled"), _)
    ax.set_ylabel(_("addresses"))
    ax.legend(title=_("latest status (now)"), loc="best")
    return _done(ax, _)


def _shown_campaigns(data: object, statuses: pd.DataFrame, _: Speaker) -> Callable[[str], str]:
    """How a chart names each campaign: as chosen, or an automatic name by the day of its first send (or poll)."""
    sends = getattr(data, "sends", None)
    times = (sends["campaign"], sends["sent_at"]) if isinstance(sends, pd.DataFrame) and "sent_at" in sends else None
    campaigns, when = times or (statuses["campaign"], statuses["polled_at"])
    first = pd.to_datetime(when, utc=True).groupby(campaigns.astype("str")).min()

    def shown(name: str) -> str:
        day = first.get(name)
        return campaign_title(name, None, None if day is None or pd.isna(day) else day, _.lang)

    return shown


def _time_unit(seconds: pd.Series) -> tuple[float, str]:
    """Seconds, minutes or hours, whichever keeps most values between 1 and 120 (the unit's name, to look up)."""
    typical = seconds.quantile(0.9)
    if typical >= 2 * 3600:
        return 3600.0, N_("hours")
    if typical >= 120:
        return 60.0, N_("minutes")
    return 1.0, N_("seconds")


def _sig(value: float, _: Speaker = ENGLISH) -> str:
    """``value`` to three significant figures: "12.3" (in Polish "12,3")."""
    return f"{value:.3g}" if _.lang == "en" else _.number(float(f"{value:.3g}"), 3)


#: What :func:`delivery_times` notes on the chart: the times are bounded by the polling pace.
POLLING_NOTE = (
    "delivered_at is when a poll first saw the message delivered:\n"
    "each time is at most this long, and the steps are polling rounds."
)


def delivery_times(data: pd.DataFrame, *, ax: Axes | None = None, lang: str | None = None) -> Axes:
    """Share of delivered messages delivered within a given time of sending (an ECDF), median marked.

    Uses rows of the results ``data`` with both ``sent_at`` and ``delivered_at``. ``delivered_at``
    is when a poll first saw the message delivered, not when the handset got it: each time is an
    upper bound, and the curve climbs in steps at the polling rounds. The axis label and a note
    on the chart say so. The x axis is in seconds, minutes or hours depending on the times; the
    median is a dashed vertical line. It shows the delivered messages only, which leaves out the slow
    ones still pending or expired and so looks faster than opening is: for how soon people open, with
    those counted, use :func:`retrieval`. ``lang="pl"`` writes it in Polish (default: ``MMSNB_LANG``, else English).

    >>> ax = delivery_times(results, lang="en")
    >>> ax.get_xlabel()
    'time from sending until a poll saw it delivered (seconds)'
    """
    _ = speaker(lang)
    require(data, ("sent_at", "delivered_at"))
    title = _("Time from sending to delivery")
    seconds = (_utc(data["delivered_at"]) - _utc(data["sent_at"])).dt.total_seconds().dropna()
    if seconds.empty:
        return _nothing(_axes(ax), title, _("no delivered rows with a sending time"), _)
    divisor, unit = _time_unit(seconds)
    unit = _(unit)
    counts = seconds.value_counts().sort_index()
    x = counts.index.to_numpy() / divisor
    y = counts.cumsum().to_numpy() / len(seconds)
    median = _sig(seconds.median() / divisor, _)

    ax = _axes(ax)
    ax.step(
        np.r_[x[0], x],
        np.r_[0.0, y],
        where="post",
        color=CATEGORY_COLORS[Category.DELIVERED],
        label=_("delivered messages"),
    )
    said = _("median {value} {unit}", value=median, unit=unit)
    ax.axvline(seconds.median() / divisor, color=MARK_COLOR, linestyle="--", linewidth=1, label=said)
    ax.annotate(
        _("median\n{value} {unit}", value=median, unit=unit),
        xy=(seconds.median() / divisor, 0.25),
        xytext=(4, 0),
        textcoords="offset points",
        va="center",
        fontsize=9,
        color=MARK_COLOR,
    )
    ax.text(
        0.99,
        0.03,
        _(POLLING_NOTE),
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=8,
        color=MARK_COLOR,
        bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "#cccccc", "alpha": 0.9},
    )
    ax.set_ylim(0, 1.02)
    _percent_axis(ax.yaxis, _)
    delivered = _.ngettext("{n} delivered", "{n} delivered", len(seconds))
    ax.set_title(f"{title} ({delivered})")
    ax.set_xlabel(_("time from sending until a poll saw it delivered ({unit})", unit=unit))
    ax.set_ylabel(_("delivered within that time"))
    return _done(ax, _)


def quota(
    data: object,
    *,
    ax: Axes | None = None,
    recent: str | pd.Timedelta = "1h",
    remaining: int | None = None,
    tz: str | None = None,
    lang: str | None = None,
) -> Axes:
    """Requests used and available over time, quota resets, and a projection only where one means something.

    Draws the ``used`` and ``available`` readings and a dotted vertical line at each reset day
    (``resets_on``, midnight UTC) within the time shown. A note says how much is used and left, and:

    - when the readings of the last ``recent`` (since the quota last reset) span at least
      :data:`~mmsnb.projection.MIN_SPAN` (or half of ``recent``) and the pace was steady (the first and the second
      half of that span within a factor :data:`~mmsnb.projection.STEADY` of each other), dashed lines carry that
      pace on, and the note says it in plain words, rounded: "At about 40 requests a minute over
      the last 2 hours, the quota would run out around 14:00 (UTC)." A vertical line marks
      the time, rounded to 5 minutes, a quarter of an hour, an hour or a day by how far off it is;
      when the reset comes first the note says the quota lasts until then;
    - otherwise (one burst of sends, a pace that changed, too few readings) nothing is projected,
      and the note says why: a burst extrapolated says nothing about when the quota runs out;
    - with ``remaining`` (the requests a campaign still plans, e.g. ``len(plan.requests)`` for a plan
      not sent yet), a dotted horizontal line at the ``used`` level those requests would reach,
      and whether they fit in what is available.

    The x axis reads as clock times in the time zone ``tz`` (e.g. ``"Europe/Warsaw"``; when not given UTC in
    English, Europe/Warsaw in Polish), with the date once in the axis label. ``data`` is ``mmsnb.history(...)``, its
    ``.quota`` or a DataFrame with ``read_at``, ``used``, ``available``, ``resets_on``. ``lang="pl"`` writes it in
    Polish (default: ``MMSNB_LANG``, else English). Used and available differ by marker as well as colour.

    >>> ax = quota(mmsnb.history("spring-sale"), recent="2h", tz="Europe/Warsaw")
    >>> ax = quota(mmsnb.history(), remaining=len(plan.requests))
    """
    _ = speaker(lang)
    zone, zone_name = _zone(tz, _)
    if remaining is not None and (isinstance(remaining, bool) or not isinstance(remaining, int) or remaining < 0):
        given = repr(remaining) if len(repr(remaining)) <= 40 else f"a {type(remaining).__name__}"
        raise InputError(
            f"remaining= must be a whole number of requests, 0 or more (e.g. len(plan.requests)), not {given}."
        )
    readings = _frame(data, "quota")
    require(readings, ("read_at", "used", "available", "resets_on"), "quota readings")
    title = _("Request quota")
    if readings.empty:
        return _nothing(_axes(ax), title, _("no quota readings"), _)
    readings = pd.DataFrame(
        {
            "read_at": _utc(readings["read_at"]),
            "used": readings["used"].astype("float64"),
            "available": readings["available"].astype("float64"),
            "resets_on": _utc(readings["resets_on"]),
        }
    ).sort_values("read_at", kind="stable")

    ax = _axes(ax, figsize=(8.4, 4.8))
    every = max(1, len(readings) // MAX_MARKERS)
    lines_drawn = (("used", USED_COLOR, "o", N_("used")), ("available", AVAILABLE_COLOR, "s", N_("available")))
    for column, color, marker, label in lines_drawn:
        ax.plot(
            readings["read_at"].to_numpy(),
            readings[column].to_numpy(),
            color=color,
            marker=marker,
            markevery=every,
            markersize=3,
            label=_(label),
        )
    last = readings.iloc[-1]
    end, note = _project(ax, readings, pd.Timedelta(recent), zone, zone_name, _)
    lines = [_headline(last, _), *([note] if note else [])]
    top = (readings["used"] + readings["available"]).max()
    if remaining is not None:
        lines.append(_plan_note(ax, last, remaining, _))
        top = max(top, last["used"] + remaining)

    shown = readings["resets_on"].drop_duplicates()
    shown = shown[(shown >= readings["read_at"].iloc[0]) & (shown <= end)]
    for k, day in enumerate(shown):
        reset = _("quota reset") if k == 0 else "_nolegend_"
        ax.axvline(day, color=RESET_COLOR, linestyle=":", linewidth=1.5, label=reset)
    ax.text(
        0.01,
        0.98,
        "\n".join(lines),
        transform=ax.transAxes,
        va="top",
        fontsize=9,
        bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "#cccccc", "alpha": 0.9},
    )
    ax.set_ylim(bottom=0, top=top * (1.1 + 0.08 * "\n".join(lines).count("\n")))
    ax.set_title(title)
    _time_axis(ax, zone, zone_name, _("time"), _)
    ax.set_ylabel(_("requests"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=9)
    return _done(ax, _)


def _headline(last: pd.Series, _: Speaker = ENGLISH) -> str:
    """How much of the quota the last reading used and left, and when it resets."""
    values = {
        "used": _count(round(last["used"]), _),
        "total": _count(round(last["used"] + last["available"]), _),
        "left": _count(round(last["available"]), _),
    }
    if pd.isna(last["resets_on"]):
        if last["available"] <= 0:
            return _("Used {used} of {total}: the quota is used up.", **values)
        return _("Used {used} of {total}; {left} left.", **values)
    day = _date(last["resets_on"].date(), _)
    if last["available"] <= 0:
        return _("Used {used} of {total}: the quota is used up until the reset on {day}.", day=day, **values)
    return _("Used {used} of {total}; {left} left until the reset on {day}.", day=day, **values)


def _plan_note(ax: Axes, last: pd.Series, remaining: int, _: Speaker = ENGLISH) -> str:
    """Draw the level ``used`` reaches after the ``remaining`` planned requests; say whether they fit."""
    ax.axhline(
        last["used"] + remaining,
        color=USED_COLOR,
        linestyle=":",
        linewidth=1.2,
        label=_("used after the {n} planned", n=_count(remaining, _)),
    )
    left = last["available"] - remaining
    if left >= 0:
        return _(
            "The {n} requests still planned would leave {left}.", n=_count(remaining, _), left=_count(round(left), _)
        )
    return _(
        "The {n} requests still planned are {over} more than are left.",
        n=_count(remaining, _),
        over=_count(round(-left), _),
    )


def _round_time(when: pd.Timestamp, ahead: pd.Timedelta) -> tuple[pd.Timestamp, bool]:
    """``when`` rounded as precisely as a projection ``ahead`` of now can be; True when to the day."""
    for limit, step in (("2h", "5min"), ("12h", "15min"), ("2D", "1h")):
        if ahead < pd.Timedelta(limit):
            return when.round(step), False
    return when.round("1D"), True


def _when(when: pd.Timestamp, since: pd.Timestamp, zone: tzinfo, name: str, _: Speaker = ENGLISH) -> str:
    """A projected time in words: "around 14:00 UTC", "around 09:15 Europe/Warsaw on 22 Jan", "around 24 Jan"."""
    rounded, to_day = _round_time(when, when - since)
    local, start = rounded.tz_localize("UTC").tz_convert(zone), since.tz_localize("UTC").tz_convert(zone)
    if to_day:
        return _("around {day}", day=_date(local.date(), _, year=False))
    if local.date() == start.date():
        return _("around {clock} {zone}", clock=f"{local:%H:%M}", zone=name)
    return _(
        "around {clock} {zone} on {day}", clock=f"{local:%H:%M}", zone=name, day=_date(local.date(), _, year=False)
    )


def _project(
    ax: Axes, readings: pd.DataFrame, recent: pd.Timedelta, zone: tzinfo, zone_name: str, _: Speaker = ENGLISH
) -> tuple[pd.Timestamp, str]:
    """Draw the projection (:func:`mmsnb.projection.project`) when there is one; return where it ends and the note.

    The note says what the projection rests on, or why there is none ("" when the quota is used up).
    """
    p = project(readings, recent=recent)
    if not p.projected:
        return p.end, _projection_missing(p.kind, p, _)
    last = readings.iloc[-1]
    times = pd.Series([p.start, p.end]).to_numpy()
    ax.plot(times, [last["used"], p.used_at_end], color=USED_COLOR, linestyle="--", label=_("used, projected"))
    ax.plot(
        times,
        [last["available"], p.available_at_end],
        color=AVAILABLE_COLOR,
        linestyle="--",
        label=_("available, projected"),
    )
    pace, span = _pace(p.per_second, _), _duration(p.span, _)
    if p.runs_out is None:
        assert p.reset is not None  # a projection that does not run out runs until the reset
        return p.end, _(
            "At about {pace} over the last {span},\nthe quota does not run out before the reset on {day}.",
            pace=pace,
            span=span,
            day=_date(p.reset.date(), _),
        )
    when = _when(p.runs_out, p.start, zone, zone_name, _)
    mark = _("runs out {when}", when=when)
    ax.axvline(cast(Any, p.runs_out), color=MARK_COLOR, linestyle="-.", linewidth=1.2, label=mark)
    return p.end, _(
        "At about {pace} over the last {span},\nthe quota would run out {when}.", pace=pace, span=span, when=when
    )


def _projection_missing(kind: str, p: Any, _: Speaker = ENGLISH) -> str:
    """Why nothing is projected, in words ("" when the quota is used up)."""
    if kind == "used-up":
        return ""
    if kind == "one-reading":
        return _("One reading since the last reset is too few\nto tell a pace, so no run-out time is projected.")
    if kind == "none-used":
        return _("None used over the last {span}:\nat this pace the quota does not run out.", span=_duration(p.span, _))
    if kind == "burst":
        return _(
            "{used} were used within {span}, one burst:\ntoo short a time to tell a steady pace,\n"
            "so no run-out time is projected.",
            used=_count(round(p.used), _),
            span=_duration(p.span, _),
        )
    return _(
        "The pace over the last {span} was not steady\n(about {first}, then {second}),\n"
        "so no run-out time is projected.",
        span=_duration(p.span, _),
        first=_pace(p.first, _),
        second=_pace(p.second, _),
    )


def compare(data: pd.DataFrame, *, ax: Axes | None = None, lang: str | None = None) -> Axes:
    """Each group's delivery rate as a dot with its 95 % interval, the reference group's rate as a dashed line.

    ``data`` is what :func:`mmsnb.compare` returns. Groups run down the y axis, labelled with how many
    were sent; a group with nothing sent is labelled so and has no dot. ``lang="pl"`` writes it in Polish
    (default: ``MMSNB_LANG``, else English).

    >>> ax = compare(mmsnb.compare(results, by="variant"))
    """
    _ = speaker(lang)
    require(data, ("sent", "rate", "rate_low", "rate_high"), "comparison")
    by = data.index.name or _("group")
    title = _("Delivery rate by {by}", by=by)
    if data.empty:
        return _nothing(_axes(ax), title, _("the comparison has no groups"), _)
    ax = _axes(ax, figsize=(7.2, max(2.4, 1.2 + 0.45 * len(data))))
    y = np.arange(len(data))[::-1]
    rate = data["rate"].to_numpy(dtype="float64")
    low, high = data["rate_low"].to_numpy(dtype="float64"), data["rate_high"].to_numpy(dtype="float64")
    errors = np.clip(np.vstack([rate - low, high - rate]), 0, None)  # an interval's end at 0 % may be 1e-17 off
    ax.errorbar(rate, y, xerr=errors, fmt="o", color=CATEGORY_COLORS[Category.DELIVERED], ecolor=MARK_COLOR, capsize=4)
    reference = str(data.attrs.get("reference"))
    reference_rate = float(data["rate"].get(reference, float("nan")))
    if not math.isnan(reference_rate):
        label = _("{reference} (reference)", reference=reference)
        ax.axvline(reference_rate, color=MARK_COLOR, linestyle="--", linewidth=1, label=label)
        ax.legend(loc="lower left", fontsize=9)
    for k, value in zip(y, rate, strict=True):
        if not math.isnan(value):
            ax.annotate(
                _share(value, _), (value, k), xytext=(0, 7), textcoords="offset points", ha="center", fontsize=9
            )
    labels = [
        f"{group}\n" + (_("{n} sent", n=_count(sent, _)) if sent else _("nothing sent"))
        for group, sent in data["sent"].items()
    ]
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, len(data) - 0.3)
    _percent_axis(ax.xaxis, _)
    ax.set_xlabel(_("delivered, of the messages sent (dot: rate; bar: 95 % interval)"))
    ax.set_title(title)
    return _done(ax, _)


def retrieval(data: object, *, ax: Axes | None = None, lang: str | None = None) -> Axes:
    """The share of messages retrieved by each time after sending, one curve per group, with 95 % bands.

    ``data`` is what :func:`mmsnb.retrieval` returns, or its ``.curves``. Messages still open are
    censored and failed ones compete (see :func:`mmsnb.retrieval`), so the curves are not biased
    towards the fast ones as the times of the retrieved alone are. A dotted line marks one half.
    Each group's curve has a line style of its own (it reads printed in greyscale). ``lang="pl"`` writes it in
    Polish (default: ``MMSNB_LANG``, else English).

    >>> ax = retrieval(mmsnb.retrieval(results, by="variant"))
    """
    _ = speaker(lang)
    curves = _frame(data, "curves")
    require(curves, ("group", "after", "retrieved", "low", "high"), "retrieval curves")
    title = _("Share retrieved (opened) by time after sending")
    if curves.empty:
        return _nothing(_axes(ax), title, _("no message was sent"), _)
    seconds = curves["after"].dt.total_seconds()
    divisor, unit = _time_unit(seconds)
    ax = _axes(ax)
    groups = list(dict.fromkeys(curves["group"].astype("str")))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, group in enumerate(groups):
        part = curves[curves["group"].astype("str") == group]
        x = part["after"].dt.total_seconds().to_numpy() / divisor
        color, style = colors[k % len(colors)], LINESTYLES[k % len(LINESTYLES)]
        label = group if len(groups) > 1 else _("retrieved")
        ax.step(x, part["retrieved"].to_numpy(), where="post", color=color, linestyle=style, label=label)
        ax.fill_between(
            x, part["low"].to_numpy(dtype="float64"), part["high"].to_numpy(dtype="float64"),
            step="post", color=color, alpha=0.2, linewidth=0,
        )  # fmt: skip
    ax.axhline(0.5, color=MARK_COLOR, linestyle=":", linewidth=1)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    _percent_axis(ax.yaxis, _)
    ax.set_xlabel(_("time after sending ({unit}), as the polls saw it", unit=_(unit)))
    ax.set_ylabel(_("retrieved by then (95 % band)"))
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=9)
    return _done(ax, _)


def campaigns(data: pd.DataFrame, *, ax: Axes | None = None, lang: str | None = None) -> Axes:
    """The delivery rate of each campaign with its 95 % interval, oldest first: is delivery rising or falling?

    ``data`` is what :func:`mmsnb.campaigns` returns. Each campaign is labelled with its name (an automatic name as
    :func:`mmsnb.words.campaign_title` shows it), the day of its first send (in the table's time zone) and how many
    recipients were accepted; a campaign nothing was accepted for is labelled so and has no dot. ``lang="pl"``
    writes it in Polish (default: ``MMSNB_LANG``, else English).

    >>> ax = campaigns(mmsnb.campaigns(client=client))
    """
    _ = speaker(lang)
    require(data, ("first_sent", "accepted", "rate", "rate_low", "rate_high"), "campaigns table")
    title = _("Delivery rate by campaign")
    if data.empty:
        return _nothing(_axes(ax), title, _("the ledger holds no campaign"), _)
    ax = _axes(ax, figsize=(min(16.0, max(6.4, 1.5 + 0.9 * len(data))), 4.8))
    x = np.arange(len(data))
    rate = data["rate"].to_numpy(dtype="float64")
    low, high = data["rate_low"].to_numpy(dtype="float64"), data["rate_high"].to_numpy(dtype="float64")
    errors = np.clip(np.vstack([rate - low, high - rate]), 0, None)
    color = CATEGORY_COLORS[Category.DELIVERED]
    ax.errorbar(x, rate, yerr=errors, fmt="-o", color=color, ecolor=MARK_COLOR, capsize=4, linewidth=1)
    labels = []
    for name, first, accepted in zip(data.index, data["first_sent"], data["accepted"], strict=True):
        day = "" if pd.isna(first) else "\n" + (f"{first.day} {first:%b %Y}" if _.lang == "en" else _date(first, _))
        shown = campaign_title(str(name), None, None if pd.isna(first) else first, _.lang)
        day = "" if AUTOMATIC_NAME.fullmatch(str(name)) else day  # the automatic name is shown by its day
        counted = _("{n} accepted", n=_count(accepted, _)) if accepted else _("none accepted")
        labels.append(f"{shown}{day}\n{counted}")
    slanted: dict[str, Any] = {"rotation": 30, "ha": "right"} if len(data) > 6 else {}
    ax.set_xticks(x, labels, **slanted)
    ax.set_xlim(-0.5, len(data) - 0.5)
    _percent_axis(ax.yaxis, _)
    ax.set_ylabel(_("delivered, of the accepted (95 % interval)"))
    zone = data.attrs.get("tz")
    ax.set_xlabel(_("campaign, by its first send") + (f" ({zone})" if zone else ""))
    counted = _.ngettext("{n} campaign", "{n} campaigns", len(data))
    ax.set_title(f"{title} ({counted})")
    return _done(ax, _)


#: What :func:`by_hour` can colour each hour by, and how it names it.
BY_HOUR: dict[str, str] = {"rate": N_("delivered"), "retrieved_within": N_("retrieved within {within}")}
#: The title of each of :data:`BY_HOUR`.
BY_HOUR_TITLES: dict[str, str] = {
    "rate": N_("Share delivered, by the hour sent ({tz})"),
    "retrieved_within": N_("Share retrieved within {within}, by the hour sent ({tz})"),
}


def by_hour(
    data: object,
    *,
    what: str = "rate",
    tz: str = "Europe/Warsaw",
    within: str | pd.Timedelta = "1h",
    ax: Axes | None = None,
    lang: str | None = None,
) -> Axes:
    """A weekday × hour grid of the ledger's history in local time, coloured by how the messages sent then did.

    ``data`` is ``mmsnb.history(...)``; ``what`` is ``"rate"`` (the share delivered) or ``"retrieved_within"``
    (the share retrieved within ``within`` of sending, of the messages whose fate by then is known; see
    :func:`mmsnb.analysis.hourly`). Hours in which nothing was sent stay blank. The colours run from dark to light
    (viridis), so the grid reads printed in greyscale. ``lang="pl"`` writes it in Polish, weekdays included
    (default: ``MMSNB_LANG``, else English).

    >>> ax = by_hour(mmsnb.history(client=client), what="retrieved_within", within="2h")
    """
    from .analysis import WEEKDAYS, hourly

    _ = speaker(lang)
    if what not in BY_HOUR:
        raise InputError(f"what={what!r} is not something by_hour draws; choose one of {', '.join(BY_HOUR)}.")
    table = hourly(data, tz=tz, within=within)
    span = _duration(pd.Timedelta(within), _)
    name, title = _(BY_HOUR[what], within=span), _(BY_HOUR_TITLES[what], within=span, tz=tz)
    if table.empty:
        return _nothing(_axes(ax), title, _("nothing was sent"), _)
    grid = table[what].unstack("hour").reindex(index=list(WEEKDAYS), columns=range(24))
    ax = _axes(ax, figsize=(10.0, 3.8))
    image = ax.imshow(grid.to_numpy(dtype="float64"), aspect="auto", cmap="viridis", vmin=0, vmax=1)
    bar = ax.figure.colorbar(image, ax=ax, label=name)
    _percent_axis(bar.ax.yaxis, _)
    days = list(WEEKDAYS) if _.lang == "en" else [str(get_day_names("abbreviated", locale=_.lang)[k]) for k in range(7)]
    ax.set_yticks(range(7), days)
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel(_("hour sent ({tz})", tz=tz))
    messages = _.ngettext("{n} message", "{n} messages", int(table["messages"].sum()))
    ax.set_title(f"{title}; {messages}")
    return _done(ax, _)
