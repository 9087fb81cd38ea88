"""Charts of what happened to a campaign: outcomes, statuses over time, delivery times, the quota.

Every function takes the data first (``data``: the results DataFrame, or what ``mmsnb.history``
returns, or the DataFrame it holds) and the rest, ``ax`` included, by keyword only. It draws on
``ax`` when given, else on a new figure, and returns the Axes. Nothing is shown and no global
style is changed (pyplot only makes the new figure when ``ax`` is not given): in a notebook the
figure appears by itself.
Rows are counted with pandas first, so a million rows draw about as fast as a hundred.

>>> from mmsnb import plot
>>> ax = plot.outcomes(results, by="segment")     # doctest: +SKIP
>>> ax.figure.savefig("outcomes.png")            # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from .errors import InputError
from .report import outcome_counts, require
from .results import CATEGORIES, Category
from .statuses import CATEGORY_COLORS

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


def _nothing(ax: Axes, title: str, why: str) -> Axes:
    ax.set_title(title)
    ax.text(0.5, 0.5, f"Nothing to show: {why}", ha="center", va="center", transform=ax.transAxes)
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


def outcomes(data: pd.DataFrame, *, by: str | None = None, raw: bool = False, ax: Axes | None = None) -> Axes:
    """Bars of how many rows of the results ``data`` ended in each status category, with count and share on each.

    With ``raw=True`` there is one bar per verbatim gateway ``status`` instead, coloured by
    its category (hatching tells apart statuses of one category). Rows that never got a
    status get one white bar per ``send_state``: ``not sent: invalid``, ``not sent: quota``,
    ... and ``no status: accepted`` for sent rows not polled yet. Only outcomes that occur
    are drawn, categories first in :data:`~mmsnb.statuses.CATEGORIES` order.

    With ``by`` (a column such as ``segment``) the bars are grouped per value of that column,
    one colour per outcome (legend on the right), and shares are within each group.

    >>> ax = outcomes(results)                            # doctest: +SKIP
    >>> ax = outcomes(results, by="segment", raw=True)    # doctest: +SKIP
    """
    key = "status" if raw else "status_category"
    require(data, (key, "send_state"))
    if by is not None and by not in data.columns:
        raise InputError(
            f"The results have no {by!r} column to split by; they have: {', '.join(map(str, data.columns))}."
        )
    title = ("Gateway status" if raw else "Outcome") + (f" by {by}" if by else " per recipient")
    if data.empty:
        return _nothing(_axes(ax), title, "the results have no rows")
    if by is not None and (groups := data[by].nunique(dropna=False)) > MAX_GROUPS:
        raise InputError(
            f"The column {by!r} has {groups:,} different values, too many bars to read; "
            f"split by a column with at most {MAX_GROUPS} values, such as a segment."
        )
    table, categories = outcome_counts(data, key, by)
    styles = _bar_styles(categories)
    if by is None:
        ax = _axes(ax, figsize=(max(6.4, 1.5 + 0.7 * len(table)), 4.8))
        _single_bars(ax, table["all"], styles)
    else:
        ax = _axes(ax, figsize=(min(16.0, max(6.4, 2.5 + 0.3 * table.size)), 4.8))
        _grouped_bars(ax, table, styles)
        ax.set_xlabel(by)
    ax.set_title(f"{title} ({len(data):,} rows)")
    ax.set_ylabel("rows")
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


def _grouped_bars(ax: Axes, table: pd.DataFrame, styles: dict[str, tuple[str, str, str]]) -> None:
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
    ax.set_xticks(x, [f"{group}\n{total:,} rows" for group, total in group_totals.items()])
    ax.set_ylim(0, table.to_numpy().max() * 1.3)
    ax.legend(title="outcome", loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)


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


def timeline(data: object, *, ax: Axes | None = None, campaign: str | None = None) -> Axes:
    """Step lines of how many addresses were in each status category at each poll.

    ``data`` is ``mmsnb.history(...)`` or its ``.statuses`` DataFrame.

    At each time a status was polled, every address counts in the category of its latest
    status so far; an address is one ``(campaign, message_id, address)``. One line per category
    that occurs, in :data:`~mmsnb.statuses.CATEGORIES` order; the legend gives the latest counts.
    ``campaign`` keeps one campaign of a history that holds several (default: all of them).

    >>> ax = timeline(mmsnb.history("spring-sale"))       # doctest: +SKIP
    """
    statuses = _frame(data, "statuses")
    keys = ["campaign", "message_id", "address"]
    require(statuses, [*keys, "category", "polled_at"], "status history")
    if campaign is not None:
        statuses = statuses[statuses["campaign"] == campaign]
    title = "Status of each address over time" + (f": {campaign}" if campaign is not None else "")
    statuses = statuses[statuses["category"].notna()]
    if statuses.empty:
        return _nothing(
            _axes(ax), title, "no status has been polled" + (f" for {campaign!r}" if campaign is not None else "")
        )

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
            label=f"{name} ({counts[name].iloc[-1]:,})",
        )
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.set_ylim(bottom=0)
    if campaign is None:
        names = statuses["campaign"].drop_duplicates()
        title += f": {names.iloc[0]}" if len(names) == 1 else f" ({len(names)} campaigns)"
    ax.set_title(title)
    ax.set_xlabel("time polled (UTC)")
    ax.set_ylabel("addresses")
    ax.legend(title="latest status (now)", loc="best")
    return ax


def _time_unit(seconds: pd.Series) -> tuple[float, str]:
    """Seconds, minutes or hours, whichever keeps most values between 1 and 120."""
    typical = seconds.quantile(0.9)
    if typical >= 2 * 3600:
        return 3600.0, "hours"
    if typical >= 120:
        return 60.0, "minutes"
    return 1.0, "seconds"


def delivery_times(data: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Share of delivered messages delivered within a given time of sending (an ECDF), median marked.

    Uses rows of the results ``data`` with both ``sent_at`` and ``delivered_at``. ``delivered_at``
    is when a poll first saw the delivery, so times are rounded up to the polling interval. The x axis is in
    seconds, minutes or hours depending on the times; the median is a dashed vertical line.

    >>> ax = delivery_times(results)                      # doctest: +SKIP
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
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(f"{title} ({len(seconds):,} delivered)")
    ax.set_xlabel(f"time from sending to delivery ({unit})")
    ax.set_ylabel("delivered within that time")
    return ax


def quota(data: object, *, ax: Axes | None = None, recent: str | pd.Timedelta = "1h") -> Axes:
    """Requests used and available over time, quota resets, and when the quota runs out at the recent pace.

    Draws the ``used`` and ``available`` readings, a dotted vertical line at each reset day
    (``resets_on``, midnight UTC) within the time shown, and dashed projections from the last
    reading: the pace is a straight-line fit of ``used`` over the readings of the last
    ``recent`` since the quota last reset (all of them when fewer than two fall in that time).
    When the quota runs out before the next reset, a vertical line marks when; otherwise a
    note says that it lasts until the reset. ``data`` is ``mmsnb.history(...)``, its ``.quota``
    or a DataFrame with ``read_at``, ``used``, ``available``, ``resets_on``.

    >>> ax = quota(mmsnb.history("spring-sale"), recent="30min")   # doctest: +SKIP
    """
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
    ax.plot(
        readings["read_at"].to_numpy(),
        readings["used"].to_numpy(),
        color=USED_COLOR,
        marker=marker,
        markersize=3,
        label="used",
    )
    ax.plot(
        readings["read_at"].to_numpy(),
        readings["available"].to_numpy(),
        color=AVAILABLE_COLOR,
        marker=marker,
        markersize=3,
        label="available",
    )
    end, note = _project(ax, readings, pd.Timedelta(recent))

    shown = readings["resets_on"].drop_duplicates()
    shown = shown[(shown >= readings["read_at"].iloc[0]) & (shown <= end)]
    for k, day in enumerate(shown):
        ax.axvline(
            day, color=RESET_COLOR, linestyle=":", linewidth=1.5, label="quota reset" if k == 0 else "_nolegend_"
        )
    ax.text(
        0.01,
        0.98,
        note,
        transform=ax.transAxes,
        va="top",
        fontsize=9,
        bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "#cccccc", "alpha": 0.9},
    )
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.set_ylim(bottom=0, top=(readings["used"] + readings["available"]).max() * 1.25)
    ax.set_title(title)
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("requests")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=9)
    return ax


def _project(ax: Axes, readings: pd.DataFrame, recent: pd.Timedelta) -> tuple[pd.Timestamp, str]:
    """Draw the projection from the last reading; return where it ends and the note to write."""
    last = readings.iloc[-1]
    next_reset = last["resets_on"]
    reset = "" if pd.isna(next_reset) else f"the reset on {next_reset:%Y-%m-%d}"
    if last["available"] <= 0:
        return last["read_at"], "The quota is used up" + (f" until {reset}." if reset else ".")
    window_no = readings["used"].diff().lt(0).cumsum()
    since_reset = readings[window_no == window_no.iloc[-1]]
    window = since_reset[since_reset["read_at"] >= last["read_at"] - recent]
    if window["read_at"].nunique() < 2:
        window = since_reset
    if window["read_at"].nunique() < 2:
        return last["read_at"], "Two readings since the last reset are needed\nto estimate when the quota runs out."
    elapsed = (window["read_at"] - window["read_at"].iloc[0]).dt.total_seconds().to_numpy()
    per_second = float(np.polyfit(elapsed, window["used"].to_numpy(), 1)[0])
    if per_second <= 0:
        return last["read_at"], "No requests used recently:\nat this pace the quota does not run out."
    pace = (
        f"{per_second * 60:,.1f} requests/minute"
        if per_second * 60 >= 10
        else f"{per_second * 3600:,.1f} requests/hour"
    )
    runs_out = last["read_at"] + pd.Timedelta(seconds=last["available"] / per_second)
    lasts = bool(reset) and runs_out >= next_reset
    end = min(next_reset, last["read_at"] + (last["read_at"] - window["read_at"].iloc[0])) if lasts else runs_out
    gone = (end - last["read_at"]).total_seconds() * per_second
    times = [last["read_at"], end]
    ax.plot(times, [last["used"], last["used"] + gone], color=USED_COLOR, linestyle="--", label="used, projected")
    ax.plot(
        times,
        [last["available"], last["available"] - gone],
        color=AVAILABLE_COLOR,
        linestyle="--",
        label="available, projected",
    )
    if lasts:
        return end, f"At the recent pace ({pace}) the quota\ndoes not run out before {reset}."
    when = f"{runs_out.round('min'):%Y-%m-%d %H:%M} UTC"
    ax.axvline(runs_out, color=MARK_COLOR, linestyle="-.", linewidth=1.2, label=f"runs out ≈ {when}")
    return end, (
        f"At the recent pace ({pace}) the quota runs out\nat about {when}" + (f", before {reset}." if reset else ".")
    )
