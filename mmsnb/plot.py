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
from datetime import tzinfo
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from .delivery_statuses import CATEGORY_COLORS
from .errors import InputError
from .projection import project
from .result_columns import CATEGORIES, Category
from .tables import outcome_counts, require
from .words import CATEGORY_WORDS, SEND_STATE_WORDS, Speaker, speaker

#: Bars of rows that never got a status: white, outlined, so they never pass for a category.
NOT_SENT_FACE, NOT_SENT_EDGE = "white", "#333333"
#: Lines that are not status categories (Okabe-Ito colours the categories do not use).
USED_COLOR, AVAILABLE_COLOR, MARK_COLOR, RESET_COLOR = "#0072B2", "#CC79A7", "#333333", "#777777"
#: Tell apart bars that share a colour (several failed statuses, several not-sent states).
HATCHES: tuple[str, ...] = ("", "//", "..", "xx", "\\\\", "oo", "--", "++")
#: Most values of a ``by`` column that :func:`outcomes` draws as groups of bars.
MAX_GROUPS = 20


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


def _zone(tz: str | None) -> tuple[tzinfo, str]:
    """The time zone named ``tz`` (UTC when None) and its name, or InputError saying what a name looks like."""
    if tz is None:
        return ZoneInfo("UTC"), "UTC"
    if not isinstance(tz, str):
        raise InputError(f"tz= must be a time zone name such as 'Europe/Warsaw', not {type(tz).__name__}.")
    try:
        return ZoneInfo(tz), tz
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"tz={tz!r} is not a time zone name; use one such as 'Europe/Warsaw' or 'UTC'.") from None


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
        day = f"{low.day} {low:%b %Y}" if _.lang == "en" else _.day(low.date()).split(", ", 1)[-1]
        ax.set_xlabel(f"{what} ({name}), {day}")
    else:
        days = "%d %b\n%H:%M" if _.lang == "en" else "%d.%m\n%H:%M"  # month names are English in strftime
        ax.xaxis.set_major_formatter(mdates.DateFormatter(days, tz=zone))
        ax.set_xlabel(f"{what} ({name})")


def _about(value: float) -> str:
    """``value`` to two significant figures, as a person would say it: 4,775.6 → "4,800", 6.0 → "6", 0.25 → "0.25"."""
    if value <= 0 or not math.isfinite(value):
        return "0"
    digits = 1 - math.floor(math.log10(value))
    rounded = round(value, digits)
    return f"{int(rounded):,}" if rounded == int(rounded) else f"{rounded:,.{max(digits, 0)}f}"


def _duration(span: pd.Timedelta) -> str:
    """A span in whole seconds, minutes, hours or days, whichever reads best: "12 seconds", "2 hours"."""
    seconds = span.total_seconds()
    if seconds < 1:
        return "less than a second"
    for unit, size, limit in (("second", 1, 90), ("minute", 60, 90 * 60), ("hour", 3600, 48 * 3600)):
        if seconds < limit:
            n = round(seconds / size)
            return f"{n} {unit}" + ("" if n == 1 else "s")
    n = round(seconds / 86400)
    return f"{n} day" + ("" if n == 1 else "s")


def _pace(per_second: float) -> str:
    """A pace in requests a minute (or an hour, when under one a minute), to two significant figures."""
    if per_second * 60 >= 1:
        return f"{_about(per_second * 60)} requests a minute"
    return f"{_about(per_second * 3600)} requests an hour"


def _bar_styles(categories: dict[str, str | None]) -> dict[str, tuple[str, str, str]]:
    """Face colour, edge colour and hatch of each outcome's bars."""
    styles: dict[str, tuple[str, str, str]] = {}
    seen: dict[str | None, int] = {}
    for label, category in categories.items():
        nth = seen[category] = seen.get(category, -1) + 1
        hatch = HATCHES[nth % len(HATCHES)]
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
        _single_bars(ax, table["all"], styles)
    else:
        ax = _axes(ax, figsize=(min(16.0, max(6.4, 2.5 + 0.3 * table.size)), 4.8))
        _grouped_bars(ax, table, styles, _)
        ax.set_xlabel(by)
    rows = _.ngettext("{n} row", "{n} rows", len(data)) if _.lang != "en" else f"{len(data):,} rows"
    ax.set_title(f"{title} ({rows})")
    ax.set_ylabel(_("rows"))
    return ax


def _single_bars(ax: Axes, counts: pd.Series, styles: dict[str, tuple[str, str, str]]) -> None:
    x = np.arange(len(counts))
    faces, edges, hatches = zip(*(styles[label] for label in counts.index), strict=True)
    bars = ax.bar(x, counts.to_numpy(), color=faces, edgecolor=edges, hatch=hatches)
    shares = counts / counts.sum()
    ax.bar_label(bars, labels=[f"{c:,}\n{s:.1%}" for c, s in zip(counts, shares, strict=True)], padding=2, fontsize=9)
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
        texts = [f"{c:,} ({s:.1%})" if c else "" for c, s in zip(counts, shares, strict=True)]
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
    zone, zone_name = _zone(tz)
    statuses = _frame(data, "statuses")
    keys = ["campaign", "message_id", "address"]
    require(statuses, [*keys, "category", "polled_at"], "status history")
    if campaign is not None:
        statuses = statuses[statuses["campaign"] == campaign]
    title = _("Status of each address over time") + (f": {campaign}" if campaign is not None else "")
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
    marker = "o" if len(counts) <= 30 else None
    for name in [c for c in CATEGORIES if c in counts.columns and counts[c].any()]:
        ax.step(
            counts.index.to_numpy(),
            counts[name].to_numpy(),
            where="post",
            color=CATEGORY_COLORS[name],
            marker=marker,
            markersize=3,
            label=f"{_outcome(name, _)} ({counts[name].iloc[-1]:,})",
        )
    ax.set_ylim(bottom=0)
    if campaign is None:
        names = sorted(map(str, statuses["campaign"].dropna().unique()))
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
    return ax


def _time_unit(seconds: pd.Series) -> tuple[float, str]:
    """Seconds, minutes or hours, whichever keeps most values between 1 and 120."""
    typical = seconds.quantile(0.9)
    if typical >= 2 * 3600:
        return 3600.0, "hours"
    if typical >= 120:
        return 60.0, "minutes"
    return 1.0, "seconds"


#: What :func:`delivery_times` notes on the chart: the times are bounded by the polling pace.
POLLING_NOTE = (
    "delivered_at is when a poll first saw the message delivered:\n"
    "each time is at most this long, and the steps are polling rounds."
)


def delivery_times(data: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Share of delivered messages delivered within a given time of sending (an ECDF), median marked.

    Uses rows of the results ``data`` with both ``sent_at`` and ``delivered_at``. ``delivered_at``
    is when a poll first saw the message delivered, not when the handset got it: each time is an
    upper bound, and the curve climbs in steps at the polling rounds. The axis label and a note
    on the chart say so. The x axis is in seconds, minutes or hours depending on the times; the
    median is a dashed vertical line. It shows the delivered messages only, which leaves out the slow
    ones still pending or expired and so looks faster than opening is: for how soon people open, with
    those counted, use :func:`retrieval`.

    >>> ax = delivery_times(results)
    >>> ax.get_xlabel()
    'time from sending until a poll saw it delivered (seconds)'
    """
    require(data, ("sent_at", "delivered_at"))
    title = "Time from sending to delivery"
    seconds = (_utc(data["delivered_at"]) - _utc(data["sent_at"])).dt.total_seconds().dropna()
    if seconds.empty:
        return _nothing(_axes(ax), title, "no delivered rows with a sending time")
    divisor, unit = _time_unit(seconds)
    counts = seconds.value_counts().sort_index()
    x = counts.index.to_numpy() / divisor
    y = counts.cumsum().to_numpy() / len(seconds)
    median = seconds.median() / divisor

    ax = _axes(ax)
    ax.step(
        np.r_[x[0], x],
        np.r_[0.0, y],
        where="post",
        color=CATEGORY_COLORS[Category.DELIVERED],
        label="delivered messages",
    )
    ax.axvline(median, color=MARK_COLOR, linestyle="--", linewidth=1, label=f"median {median:.3g} {unit}")
    ax.annotate(
        f"median\n{median:.3g} {unit}",
        xy=(median, 0.25),
        xytext=(4, 0),
        textcoords="offset points",
        va="center",
        fontsize=9,
        color=MARK_COLOR,
    )
    ax.text(
        0.99,
        0.03,
        POLLING_NOTE,
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=8,
        color=MARK_COLOR,
        bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "#cccccc", "alpha": 0.9},
    )
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(f"{title} ({len(seconds):,} delivered)")
    ax.set_xlabel(f"time from sending until a poll saw it delivered ({unit})")
    ax.set_ylabel("delivered within that time")
    return ax


def quota(
    data: object,
    *,
    ax: Axes | None = None,
    recent: str | pd.Timedelta = "1h",
    remaining: int | None = None,
    tz: str | None = None,
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

    The x axis reads as clock times in the time zone ``tz`` (e.g. ``"Europe/Warsaw"``; UTC when
    not given), with the date once in the axis label. ``data`` is ``mmsnb.history(...)``, its
    ``.quota`` or a DataFrame with ``read_at``, ``used``, ``available``, ``resets_on``.

    >>> ax = quota(mmsnb.history("spring-sale"), recent="2h", tz="Europe/Warsaw")
    >>> ax = quota(mmsnb.history(), remaining=len(plan.requests))
    """
    zone, zone_name = _zone(tz)
    if remaining is not None and (isinstance(remaining, bool) or not isinstance(remaining, int) or remaining < 0):
        given = repr(remaining) if len(repr(remaining)) <= 40 else f"a {type(remaining).__name__}"
        raise InputError(
            f"remaining= must be a whole number of requests, 0 or more (e.g. len(plan.requests)), not {given}."
        )
    readings = _frame(data, "quota")
    require(readings, ("read_at", "used", "available", "resets_on"), "quota readings")
    title = "Request quota"
    if readings.empty:
        return _nothing(_axes(ax), title, "no quota readings")
    readings = pd.DataFrame(
        {
            "read_at": _utc(readings["read_at"]),
            "used": readings["used"].astype("float64"),
            "available": readings["available"].astype("float64"),
            "resets_on": _utc(readings["resets_on"]),
        }
    ).sort_values("read_at", kind="stable")

    ax = _axes(ax, figsize=(8.4, 4.8))
    marker = "o" if len(readings) <= 50 else None
    for column, color in (("used", USED_COLOR), ("available", AVAILABLE_COLOR)):
        ax.plot(
            readings["read_at"].to_numpy(),
            readings[column].to_numpy(),
            color=color,
            marker=marker,
            markersize=3,
            label=column,
        )
    last = readings.iloc[-1]
    end, note = _project(ax, readings, pd.Timedelta(recent), zone, zone_name)
    reset = "" if pd.isna(last["resets_on"]) else f" until the reset on {last['resets_on']:%Y-%m-%d}"
    used = f"Used {last['used']:,.0f} of {last['used'] + last['available']:,.0f}"
    if last["available"] <= 0:
        headline = f"{used}: the quota is used up{reset}."
    else:
        headline = f"{used}; {last['available']:,.0f} left{reset}."
    lines = [headline, *([note] if note else [])]
    top = (readings["used"] + readings["available"]).max()
    if remaining is not None:
        lines.append(_plan_note(ax, last, remaining))
        top = max(top, last["used"] + remaining)

    shown = readings["resets_on"].drop_duplicates()
    shown = shown[(shown >= readings["read_at"].iloc[0]) & (shown <= end)]
    for k, day in enumerate(shown):
        ax.axvline(
            day, color=RESET_COLOR, linestyle=":", linewidth=1.5, label="quota reset" if k == 0 else "_nolegend_"
        )
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
    _time_axis(ax, zone, zone_name, "time")
    ax.set_ylabel("requests")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=9)
    return ax


def _plan_note(ax: Axes, last: pd.Series, remaining: int) -> str:
    """Draw the level ``used`` reaches after the ``remaining`` planned requests; say whether they fit."""
    ax.axhline(
        last["used"] + remaining,
        color=USED_COLOR,
        linestyle=":",
        linewidth=1.2,
        label=f"used after the {remaining:,} planned",
    )
    left = last["available"] - remaining
    if left >= 0:
        return f"The {remaining:,} requests still planned would leave {left:,.0f}."
    return f"The {remaining:,} requests still planned are {-left:,.0f} more than are left."


def _round_time(when: pd.Timestamp, ahead: pd.Timedelta) -> tuple[pd.Timestamp, bool]:
    """``when`` rounded as precisely as a projection ``ahead`` of now can be; True when to the day."""
    for limit, step in (("2h", "5min"), ("12h", "15min"), ("2D", "1h")):
        if ahead < pd.Timedelta(limit):
            return when.round(step), False
    return when.round("1D"), True


def _when(when: pd.Timestamp, since: pd.Timestamp, zone: tzinfo, name: str) -> str:
    """A projected time in words: "around 14:00 UTC", "around 09:15 Europe/Warsaw on 22 Jan", "around 24 Jan"."""
    rounded, to_day = _round_time(when, when - since)
    local, start = rounded.tz_localize("UTC").tz_convert(zone), since.tz_localize("UTC").tz_convert(zone)
    if to_day:
        return f"around {local.day} {local:%b}"
    day = "" if local.date() == start.date() else f" on {local.day} {local:%b}"
    return f"around {local:%H:%M} {name}{day}"


def _project(
    ax: Axes, readings: pd.DataFrame, recent: pd.Timedelta, zone: tzinfo, zone_name: str
) -> tuple[pd.Timestamp, str]:
    """Draw the projection (:func:`mmsnb.projection.project`) when there is one; return where it ends and the note.

    The note says what the projection rests on, or why there is none ("" when the quota is used up).
    """
    p = project(readings, recent=recent)
    none = "so no run-out time is projected."
    notes: dict[str, str] = {
        "used-up": "",
        "one-reading": f"One reading since the last reset is too few\nto tell a pace, {none}",
        "none-used": f"None used over the last {_duration(p.span)}:\nat this pace the quota does not run out.",
        "burst": f"{p.used:,.0f} were used within {_duration(p.span)}, one burst:\n"
        f"too short a time to tell a steady pace,\n{none}",
        "unsteady": f"The pace over the last {_duration(p.span)} was not steady\n"
        f"(about {_pace(p.first)}, then {_pace(p.second)}),\n{none}",
    }
    if not p.projected:
        return p.end, notes[p.kind]
    last = readings.iloc[-1]
    times = pd.Series([p.start, p.end]).to_numpy()
    ax.plot(times, [last["used"], p.used_at_end], color=USED_COLOR, linestyle="--", label="used, projected")
    ax.plot(
        times,
        [last["available"], p.available_at_end],
        color=AVAILABLE_COLOR,
        linestyle="--",
        label="available, projected",
    )
    basis = f"At about {_pace(p.per_second)} over the last {_duration(p.span)},"
    if p.runs_out is None:
        return p.end, f"{basis}\nthe quota does not run out before the reset on {p.reset:%Y-%m-%d}."
    when = _when(p.runs_out, p.start, zone, zone_name)
    ax.axvline(cast(Any, p.runs_out), color=MARK_COLOR, linestyle="-.", linewidth=1.2, label=f"runs out {when}")
    return p.end, f"{basis}\nthe quota would run out {when}."


def compare(data: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Each group's delivery rate as a dot with its 95 % interval, the reference group's rate as a dashed line.

    ``data`` is what :func:`mmsnb.compare` returns. Groups run down the y axis, labelled with how many
    were sent; a group with nothing sent is labelled so and has no dot.

    >>> ax = compare(mmsnb.compare(results, by="variant"))
    """
    require(data, ("sent", "rate", "rate_low", "rate_high"), "comparison")
    by = data.index.name or "group"
    title = f"Delivery rate by {by}"
    if data.empty:
        return _nothing(_axes(ax), title, "the comparison has no groups")
    ax = _axes(ax, figsize=(7.2, max(2.4, 1.2 + 0.45 * len(data))))
    y = np.arange(len(data))[::-1]
    rate = data["rate"].to_numpy(dtype="float64")
    low, high = data["rate_low"].to_numpy(dtype="float64"), data["rate_high"].to_numpy(dtype="float64")
    errors = np.clip(np.vstack([rate - low, high - rate]), 0, None)  # an interval's end at 0 % may be 1e-17 off
    ax.errorbar(rate, y, xerr=errors, fmt="o", color=CATEGORY_COLORS[Category.DELIVERED], ecolor=MARK_COLOR, capsize=4)
    reference = str(data.attrs.get("reference"))
    reference_rate = float(data["rate"].get(reference, float("nan")))
    if not math.isnan(reference_rate):
        ax.axvline(reference_rate, color=MARK_COLOR, linestyle="--", linewidth=1, label=f"{reference} (reference)")
        ax.legend(loc="lower left", fontsize=9)
    for k, value in zip(y, rate, strict=True):
        if not math.isnan(value):
            ax.annotate(f"{value:.1%}", (value, k), xytext=(0, 7), textcoords="offset points", ha="center", fontsize=9)
    labels = [f"{group}\n{sent:,} sent" if sent else f"{group}\nnothing sent" for group, sent in data["sent"].items()]
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, len(data) - 0.3)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("delivered, of the messages sent (dot: rate; bar: 95 % interval)")
    ax.set_title(title)
    return ax


def retrieval(data: object, *, ax: Axes | None = None) -> Axes:
    """The share of messages retrieved by each time after sending, one curve per group, with 95 % bands.

    ``data`` is what :func:`mmsnb.retrieval` returns, or its ``.curves``. Messages still open are
    censored and failed ones compete (see :func:`mmsnb.retrieval`), so the curves are not biased
    towards the fast ones as the times of the retrieved alone are. A dotted line marks one half.

    >>> ax = retrieval(mmsnb.retrieval(results, by="variant"))
    """
    curves = _frame(data, "curves")
    require(curves, ("group", "after", "retrieved", "low", "high"), "retrieval curves")
    title = "Share retrieved (opened) by time after sending"
    if curves.empty:
        return _nothing(_axes(ax), title, "no message was sent")
    seconds = curves["after"].dt.total_seconds()
    divisor, unit = _time_unit(seconds)
    ax = _axes(ax)
    groups = list(dict.fromkeys(curves["group"].astype("str")))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, group in enumerate(groups):
        part = curves[curves["group"].astype("str") == group]
        x = part["after"].dt.total_seconds().to_numpy() / divisor
        color = colors[k % len(colors)]
        label = group if len(groups) > 1 else "retrieved"
        ax.step(x, part["retrieved"].to_numpy(), where="post", color=color, label=label)
        ax.fill_between(
            x, part["low"].to_numpy(dtype="float64"), part["high"].to_numpy(dtype="float64"),
            step="post", color=color, alpha=0.2, linewidth=0,
        )  # fmt: skip
    ax.axhline(0.5, color=MARK_COLOR, linestyle=":", linewidth=1)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(f"time after sending ({unit}), as the polls saw it")
    ax.set_ylabel("retrieved by then (95 % band)")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=9)
    return ax


def campaigns(data: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """The delivery rate of each campaign with its 95 % interval, oldest first: is delivery rising or falling?

    ``data`` is what :func:`mmsnb.campaigns` returns. Each campaign is labelled with its name, the day of its
    first send (in the table's time zone) and how many recipients were accepted; a campaign nothing was
    accepted for is labelled so and has no dot.

    >>> ax = campaigns(mmsnb.campaigns(client=client))
    """
    require(data, ("first_sent", "accepted", "rate", "rate_low", "rate_high"), "campaigns table")
    title = "Delivery rate by campaign"
    if data.empty:
        return _nothing(_axes(ax), title, "the ledger holds no campaign")
    ax = _axes(ax, figsize=(min(16.0, max(6.4, 1.5 + 0.9 * len(data))), 4.8))
    x = np.arange(len(data))
    rate = data["rate"].to_numpy(dtype="float64")
    low, high = data["rate_low"].to_numpy(dtype="float64"), data["rate_high"].to_numpy(dtype="float64")
    errors = np.clip(np.vstack([rate - low, high - rate]), 0, None)
    color = CATEGORY_COLORS[Category.DELIVERED]
    ax.errorbar(x, rate, yerr=errors, fmt="-o", color=color, ecolor=MARK_COLOR, capsize=4, linewidth=1)
    labels = []
    for name, first, accepted in zip(data.index, data["first_sent"], data["accepted"], strict=True):
        day = "" if pd.isna(first) else f"\n{first.day} {first:%b %Y}"
        labels.append(f"{name}{day}\n" + (f"{accepted:,} accepted" if accepted else "none accepted"))
    slanted: dict[str, Any] = {"rotation": 30, "ha": "right"} if len(data) > 6 else {}
    ax.set_xticks(x, labels, **slanted)
    ax.set_xlim(-0.5, len(data) - 0.5)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel("delivered, of the accepted (95 % interval)")
    zone = data.attrs.get("tz")
    ax.set_xlabel("campaign, by its first send" + (f" ({zone})" if zone else ""))
    ax.set_title(f"{title} ({len(data):,} campaigns)")
    return ax


#: What :func:`by_hour` can colour each hour by, and how it names it.
BY_HOUR: dict[str, str] = {"rate": "delivered", "retrieved_within": "retrieved within {within}"}


def by_hour(
    data: object,
    *,
    what: str = "rate",
    tz: str = "Europe/Warsaw",
    within: str | pd.Timedelta = "1h",
    ax: Axes | None = None,
) -> Axes:
    """A weekday × hour grid of the ledger's history in local time, coloured by how the messages sent then did.

    ``data`` is ``mmsnb.history(...)``; ``what`` is ``"rate"`` (the share delivered) or ``"retrieved_within"``
    (the share retrieved within ``within`` of sending, of the messages whose fate by then is known; see
    :func:`mmsnb.analysis.hourly`). Hours in which nothing was sent stay blank.

    >>> ax = by_hour(mmsnb.history(client=client), what="retrieved_within", within="2h")
    """
    from .analysis import WEEKDAYS, hourly

    if what not in BY_HOUR:
        raise InputError(f"what={what!r} is not something by_hour draws; choose one of {', '.join(BY_HOUR)}.")
    table = hourly(data, tz=tz, within=within)
    name = BY_HOUR[what].format(within=_duration(pd.Timedelta(within)))
    title = f"Share {name}, by the hour sent ({tz})"
    if table.empty:
        return _nothing(_axes(ax), title, "nothing was sent")
    grid = table[what].unstack("hour").reindex(index=list(WEEKDAYS), columns=range(24))
    ax = _axes(ax, figsize=(10.0, 3.8))
    image = ax.imshow(grid.to_numpy(dtype="float64"), aspect="auto", cmap="viridis", vmin=0, vmax=1)
    ax.figure.colorbar(image, ax=ax, format=PercentFormatter(1.0), label=name)
    ax.set_yticks(range(7), list(WEEKDAYS))
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel(f"hour sent ({tz})")
    ax.set_title(f"{title}; {int(table['messages'].sum()):,} messages")
    return ax
