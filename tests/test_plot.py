import matplotlib

matplotlib.use("Agg")

import types

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba

from mmsnb import plot
from mmsnb.delivery_statuses import CATEGORY_COLORS, describe
from mmsnb.errors import InputError
from mmsnb.result_columns import CATEGORY_DTYPE

SEND_STATES = ["accepted", "invalid", "rejected", "duplicate", "quota", "unknown", "already-sent", "planned"]
T0 = pd.Timestamp("2026-01-21 09:00", tz="UTC")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def results_frame(rows: list[tuple], **extra) -> pd.DataFrame:
    """rows: (send_state, status or None, delivery seconds or None)."""
    states, statuses, delays = zip(*rows, strict=True)
    sent = [s is not None for s in statuses]
    sent_at = pd.Series(
        [T0 + pd.Timedelta(seconds=i) if ok else pd.NaT for i, ok in enumerate(sent)], dtype="datetime64[ns, UTC]"
    )
    df = pd.DataFrame(
        {
            "msisdn": [f"+4850110{i:04d}" for i in range(len(rows))],
            "address": pd.Series([f"tel:+4850110{i:04d}" if ok else None for i, ok in enumerate(sent)], dtype="str"),
            "send_state": pd.Categorical(states, categories=SEND_STATES),
            "status": pd.Series(statuses, dtype="str"),
            "status_category": pd.Series([describe(s).category if s else None for s in statuses], dtype=CATEGORY_DTYPE),
            "sent_at": sent_at,
            "delivered_at": sent_at + pd.to_timedelta([d if d is not None else np.nan for d in delays], unit="s"),
        }
    )
    return df.assign(**extra)


@pytest.fixture
def results() -> pd.DataFrame:
    rows = (
        [("accepted", "Retrieved", 60)] * 5
        + [("accepted", "Success", None)] * 2
        + [("accepted", "Expired", None)] * 2
        + [("accepted", "Address Not Found", None)]
        + [("invalid", None, None)]
        + [("quota", None, None)] * 2
    )
    return results_frame(rows, segment=["a", "b"] * 6 + ["a"])


def heights(ax) -> list[float]:
    return [p.get_height() for p in ax.patches]


# -- outcomes -------------------------------------------------------------


def test_outcomes_bars_are_the_counts_in_category_order(results):
    ax = plot.outcomes(results)
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "delivered",
        "pending",
        "failed",
        "not sent: invalid",
        "not sent: quota",
    ]
    assert heights(ax) == [5, 2, 3, 1, 2]


def test_outcomes_annotates_count_and_share(results):
    ax = plot.outcomes(results)
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["5\n38.5%", "2\n15.4%", "3\n23.1%", "1\n7.7%", "2\n15.4%"]


def test_outcomes_colours_are_the_category_colours(results):
    ax = plot.outcomes(results)
    faces = [p.get_facecolor() for p in ax.patches]
    assert faces[:3] == [to_rgba(CATEGORY_COLORS[c]) for c in ("delivered", "pending", "failed")]
    assert faces[3:] == [to_rgba(plot.NOT_SENT_FACE)] * 2
    assert ax.patches[3].get_hatch() != ax.patches[4].get_hatch()


def test_outcomes_raw_has_one_bar_per_status_coloured_by_category(results):
    ax = plot.outcomes(results, raw=True)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["Retrieved", "Success", "Expired", "Address Not Found", "not sent: invalid", "not sent: quota"]
    assert heights(ax) == [5, 2, 2, 1, 1, 2]
    failed = to_rgba(CATEGORY_COLORS["failed"])
    assert ax.patches[2].get_facecolor() == ax.patches[3].get_facecolor() == failed
    assert ax.patches[2].get_hatch() != ax.patches[3].get_hatch()


def test_outcomes_by_groups_bars_per_value(results):
    ax = plot.outcomes(results, by="segment")
    expected = pd.crosstab(
        results["status_category"].astype("str").fillna("not sent: " + results["send_state"].astype("str")),
        results["segment"],
    )
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["delivered", "pending", "failed", "not sent: invalid", "not sent: quota"]
    for label, container in zip(legend, ax.containers, strict=True):
        assert [b.get_height() for b in container] == expected.loc[label, ["a", "b"]].tolist()
        assert container.patches[0].get_facecolor() == to_rgba(CATEGORY_COLORS.get(label, plot.NOT_SENT_FACE))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a\n7 rows", "b\n6 rows"]
    # shares are within each group: 3 of segment a's 7 rows are delivered
    assert "3 (42.9%)" in [t.get_text() for t in ax.texts]


def test_outcomes_by_keeps_missing_group_values(results):
    results["segment"] = pd.Series(["a", None] * 6 + ["a"], dtype="str")
    ax = plot.outcomes(results, by="segment")
    assert [t.get_text().split("\n")[0] for t in ax.get_xticklabels()] == ["a", "(missing)"]
    assert sum(heights(ax)) == len(results)


def test_outcomes_missing_columns_raise_input_error(results):
    with pytest.raises(InputError, match=r"status_category.*mmsnb\.poll"):
        plot.outcomes(results.drop(columns="status_category"))
    with pytest.raises(InputError, match="'status'"):
        plot.outcomes(results.drop(columns="status"), raw=True)
    with pytest.raises(InputError, match="'region'"):
        plot.outcomes(results, by="region")
    twice = pd.concat([results, results.assign(msisdn=results["msisdn"] + "9")])
    with pytest.raises(InputError, match="'msisdn' has 26 different values"):
        plot.outcomes(twice, by="msisdn")  # one bar group per phone number would be unreadable


# -- timeline --------------------------------------------------------------


def statuses_frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (minutes after T0, address, status), campaign 'c1'."""
    minutes, addresses, statuses = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "campaign": "c1",
            "message_id": [f"m-{a}" for a in addresses],
            "address": [f"tel:+4850110000{a}" for a in addresses],
            "status": statuses,
            "category": pd.Series([describe(s).category for s in statuses], dtype=CATEGORY_DTYPE),
            "final": [describe(s).final for s in statuses],
            "polled_at": [T0 + pd.Timedelta(minutes=m) for m in minutes],
        }
    )


@pytest.fixture
def statuses() -> pd.DataFrame:
    rows = [
        (0, 1, "Success"),
        (0, 2, "Success"),
        (1, 1, "Retrieved"),
        (1, 3, "Success"),
        (1, 2, "Success"),
        (2, 2, "Expired"),
        (2, 3, "Retrieved"),
        (2, 1, "Retrieved"),
    ]
    return statuses_frame(rows).sample(frac=1, random_state=3)  # order must not matter


def lines_by_label(ax) -> dict[str, object]:
    return {line.get_label(): line for line in ax.lines}


def test_timeline_counts_each_address_at_its_latest_status(statuses):
    ax = plot.timeline(types.SimpleNamespace(statuses=statuses, sends=None, quota=None))
    lines = lines_by_label(ax)
    assert list(lines) == ["delivered (2)", "pending (0)", "failed (1)"]
    assert lines["delivered (2)"].get_ydata().tolist() == [0, 1, 2]
    assert lines["pending (0)"].get_ydata().tolist() == [2, 2, 0]
    assert lines["failed (1)"].get_ydata().tolist() == [0, 0, 1]
    expected_x = mdates.date2num([T0.tz_localize(None) + pd.Timedelta(minutes=m) for m in range(3)])
    np.testing.assert_allclose(mdates.date2num(lines["delivered (2)"].get_xdata()), expected_x)
    assert lines["failed (1)"].get_color() == CATEGORY_COLORS["failed"]
    assert lines["delivered (2)"].get_drawstyle() == "steps-post"
    assert ax.get_title() == "Status of each address over time: c1"
    assert ax.get_xlabel() == "time polled (UTC), 21 Jan 2026"
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert "09:01:00" in ticks and all(t.startswith("09:0") for t in ticks)  # clock times, the date once


def test_timeline_reads_in_the_given_time_zone(statuses):
    ax = plot.timeline(statuses, tz="Europe/Warsaw")
    assert ax.get_xlabel() == "time polled (Europe/Warsaw), 21 Jan 2026"
    ax.figure.canvas.draw()
    assert "10:01:00" in [t.get_text() for t in ax.get_xticklabels()]  # 09:01 UTC is 10:01 in Warsaw in January
    with pytest.raises(InputError, match="time zone name"):
        plot.timeline(statuses, tz="Mars/Olympus")


def test_timeline_short_span_ticks_carry_seconds(statuses):
    statuses = statuses.assign(polled_at=T0 + (statuses["polled_at"] - T0) / 10)  # 12 seconds in all
    ax = plot.timeline(statuses)
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["09:00:00", "09:00:05", "09:00:10"]


def test_quota_ticks_of_a_few_seconds_are_whole_and_distinct():
    q = readings([s / 60 for s in (0, 0.7, 1.4, 2.1, 3.1)], [0, 28, 56, 84, 106], limit=1000)
    ax = plot.quota(q)
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["09:00:00", "09:00:01", "09:00:02", "09:00:03"]


def test_timeline_title_counts_campaigns_not_waves(statuses):
    # one campaign sent in waves (one per segment), as the demo does: one campaign in the title
    waves = pd.concat([statuses.assign(message_id=statuses["message_id"] + f"-{w}") for w in "abcd"])
    assert plot.timeline(waves).get_title() == "Status of each address over time: c1"
    two = pd.concat([statuses, statuses.assign(campaign="c2")])
    assert plot.timeline(two).get_title() == "Status of each address over time (2 campaigns: c1, c2)"


def test_timeline_keeps_campaigns_apart_and_filters_one(statuses):
    other = statuses.assign(
        campaign="c2",
        status="Expired",
        category=pd.Series(["failed"] * len(statuses), dtype=CATEGORY_DTYPE, index=statuses.index),
    )
    both = pd.concat([statuses, other])
    lines = lines_by_label(plot.timeline(both))
    assert lines["failed (4)"].get_ydata().tolist() == [
        2,
        3,
        4,
    ]  # c2's three addresses are failed from their first poll
    only = lines_by_label(plot.timeline(both, campaign="c2"))
    assert list(only) == ["failed (3)"]


def test_timeline_missing_column_and_wrong_object(statuses):
    with pytest.raises(InputError, match="polled_at"):
        plot.timeline(statuses.drop(columns="polled_at"))
    with pytest.raises(InputError, match=r"\.statuses"):
        plot.timeline(object())


# -- delivery times ------------------------------------------------------------


def delivered(seconds: list[float]) -> pd.DataFrame:
    return results_frame(
        [("accepted", "Retrieved", s) for s in seconds] + [("accepted", "Expired", None), ("invalid", None, None)]
    )


def test_delivery_times_ecdf_in_minutes_with_median():
    ax = plot.delivery_times(delivered([240, 60, 600, 120, 180]))
    curve = lines_by_label(ax)["delivered messages"]
    assert curve.get_xdata().tolist() == [1, 1, 2, 3, 4, 10]
    np.testing.assert_allclose(curve.get_ydata(), [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    median = next(line for label, line in lines_by_label(ax).items() if label.startswith("median"))
    assert list(median.get_xdata()) == [3, 3]
    assert median.get_label() == "median 3 minutes"
    assert ax.get_xlabel() == "time from sending until a poll saw it delivered (minutes)"
    assert plot.POLLING_NOTE in [t.get_text() for t in ax.texts]
    assert "delivered_at is when a poll first saw the message delivered" in plot.POLLING_NOTE
    assert curve.get_color() == CATEGORY_COLORS["delivered"]


@pytest.mark.parametrize(
    ("seconds", "unit", "median"), [([5, 10, 20, 30], "seconds", 15), ([3600, 7200, 18000], "hours", 2)]
)
def test_delivery_times_unit_follows_magnitude(seconds, unit, median):
    ax = plot.delivery_times(delivered(seconds))
    assert ax.get_xlabel().endswith(f"({unit})")
    assert lines_by_label(ax)[f"median {median} {unit}"].get_xdata()[0] == median


def test_delivery_times_needs_sent_and_delivered_times(results):
    with pytest.raises(InputError, match="delivered_at"):
        plot.delivery_times(results.drop(columns="delivered_at"))


# -- quota -----------------------------------------------------------------------


def readings(
    minutes: list[float], used: list[int], limit: int = 100, resets_on: str | list[str] = "2026-01-22"
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "read_at": [T0 + pd.Timedelta(minutes=m) for m in minutes],
            "used": used,
            "available": [limit - u for u in used],
            "resets_on": pd.to_datetime(
                resets_on if isinstance(resets_on, list) else [resets_on] * len(used), utc=True
            ),
        }
    )


def test_quota_lines_follow_readings_and_project_exhaustion():
    q = readings([0, 10, 20, 30, 40, 50], [0, 10, 20, 30, 40, 50])  # a steady 1 a minute for 50 minutes
    ax = plot.quota(types.SimpleNamespace(quota=q))
    lines = lines_by_label(ax)
    assert lines["used"].get_ydata().tolist() == q["used"].tolist()
    assert lines["available"].get_ydata().tolist() == q["available"].tolist()
    runs_out = T0.tz_localize(None) + pd.Timedelta(minutes=100)  # 50 left at 1 a minute
    assert mdates.date2num(lines["runs out around 10:40 UTC"].get_xdata()[0]) == pytest.approx(
        mdates.date2num(runs_out)
    )
    np.testing.assert_allclose(lines["used, projected"].get_ydata(), [50, 100])
    np.testing.assert_allclose(lines["available, projected"].get_ydata(), [50, 0], atol=1e-6)
    assert lines["used, projected"].get_linestyle() == "--"
    assert ax.texts[0].get_text() == (
        "Used 50 of 100; 50 left until the reset on 2026-01-22.\n"
        "At about 1 requests a minute over the last 50 minutes,\n"
        "the quota would run out around 10:40 UTC."
    )
    assert ax.get_xlabel() == "time (UTC), 21 Jan 2026"


def test_quota_rounds_pace_and_time_and_follows_the_time_zone():
    # 4,775.6 a minute for an hour against a large quota: said as "about 4,800", the time to the quarter hour
    minutes = list(range(0, 61, 10))
    q = readings(minutes, [round(4775.6 * m) for m in minutes], limit=2_000_000)
    ax = plot.quota(q, tz="Europe/Warsaw")
    note = ax.texts[0].get_text()
    assert "At about 4,800 requests a minute over the last 60 minutes," in note
    assert "4,775" not in note
    # 1,713,464 left at 4,775.6 a minute: 5 h 59 min after 10:00 UTC, 17:00 in Warsaw, to a quarter of an hour
    assert "the quota would run out around 17:00 Europe/Warsaw." in note
    assert "runs out around 17:00 Europe/Warsaw" in lines_by_label(ax)
    assert ax.get_xlabel() == "time (Europe/Warsaw), 21 Jan 2026"


def test_quota_pace_uses_recent_readings_only():
    # slow for two hours, then 20 a minute over the last hour
    minutes = [0, 60, 120, 150, 180]
    q = readings(minutes, [0, 10, 20, 620, 1220], limit=2000)
    ax = plot.quota(q)
    # 780 left at 20 a minute: 39 minutes after 12:00, said to 5 minutes
    assert "runs out around 12:40 UTC" in lines_by_label(ax)
    assert "At about 20 requests a minute over the last 60 minutes," in ax.texts[0].get_text()


def test_quota_projects_nothing_from_one_burst():
    # the demo: 106 requests within seconds, then readings after the campaign finished
    seconds = [0, 1, 2, 3, 4, 5, 6]
    q = readings([s / 60 for s in seconds], [0, 28, 56, 84, 106, 106, 106], limit=1000)
    ax = plot.quota(q)
    lines = lines_by_label(ax)
    assert list(lines) == ["used", "available"]  # no projection, no run-out line
    assert ax.texts[0].get_text() == (
        "Used 106 of 1,000; 894 left until the reset on 2026-01-22.\n"
        "106 were used within 6 seconds, one burst:\n"
        "too short a time to tell a steady pace,\n"
        "so no run-out time is projected."
    )


def test_quota_projects_nothing_from_a_pace_that_changed():
    # a burst, then quiet for the rest of the hour: long enough, but not steady
    q = readings([0, 1, 20, 40, 60], [0, 500, 500, 500, 500], limit=1000)
    ax = plot.quota(q)
    assert not any(label.endswith("projected") or label.startswith("runs out") for label in lines_by_label(ax))
    assert "was not steady" in ax.texts[0].get_text()
    assert "so no run-out time is projected." in ax.texts[0].get_text()


def test_quota_remaining_plan_is_a_level_with_a_note():
    q = readings([0, 1, 2], [0, 5, 10], limit=100)
    ax = plot.quota(q, remaining=60)
    line = lines_by_label(ax)["used after the 60 planned"]
    assert list(line.get_ydata()) == [70, 70]
    assert "The 60 requests still planned would leave 30." in ax.texts[0].get_text()
    over = plot.quota(q, remaining=120).texts[0].get_text()
    assert "The 120 requests still planned are 30 more than are left." in over
    with pytest.raises(InputError, match="remaining="):
        plot.quota(q, remaining=-1)


def test_quota_marks_resets_and_notes_when_it_lasts():
    # the counter resets at midnight; after it, 6 requests an hour against 998 left;
    # the pace ignores the readings before the reset although they are within the last hour
    minutes = [-40, -20, 0, 10, 20]
    t0 = pd.Timestamp("2026-01-21 00:00", tz="UTC")
    q = readings(minutes, [300, 330, 0, 1, 2], limit=1000, resets_on=["2026-01-21"] * 2 + ["2026-01-22"] * 3)
    q["read_at"] = [t0 + pd.Timedelta(minutes=m) for m in minutes]
    ax = plot.quota(q)
    lines = lines_by_label(ax)
    assert mdates.date2num(lines["quota reset"].get_xdata()[0]) == mdates.date2num(t0.tz_localize(None))
    assert not any(label.startswith("runs out") for label in lines)
    assert "does not run out before the reset on 2026-01-22" in ax.texts[0].get_text()
    assert "At about 6 requests an hour over the last 20 minutes," in ax.texts[0].get_text()
    # the projection covers as long again as the readings it rests on: 20 minutes
    assert mdates.date2num(lines["used, projected"].get_xdata()[-1]) == pytest.approx(
        mdates.date2num(pd.Timestamp("2026-01-21 00:40"))
    )


def test_quota_used_up_and_too_few_readings():
    assert "used up until the reset on 2026-01-22" in plot.quota(readings([0, 1], [50, 100])).texts[0].get_text()
    assert "too few" in plot.quota(readings([0], [50])).texts[0].get_text()


def test_quota_missing_column():
    with pytest.raises(InputError, match=r"'available'.*\.quota"):
        plot.quota(readings([0, 1], [1, 2]).drop(columns="available"))


# -- conventions ---------------------------------------------------------------------


def every_chart(results, statuses):
    q = readings([0, 1, 2], [0, 5, 10])
    return [
        lambda ax: plot.outcomes(results, ax=ax),
        lambda ax: plot.outcomes(results, by="segment", raw=True, ax=ax),
        lambda ax: plot.timeline(statuses, ax=ax),
        lambda ax: plot.delivery_times(results, ax=ax),
        lambda ax: plot.quota(q, ax=ax),
    ]


def test_ax_is_honoured_and_returned_and_style_untouched(results, statuses):
    style = dict(matplotlib.rcParams)
    _fig, axes = plt.subplots(1, 5)
    figures = plt.get_fignums()
    for ax, draw in zip(axes, every_chart(results, statuses), strict=True):
        assert draw(ax) is ax
        assert ax.get_title() and ax.has_data()
    assert plt.get_fignums() == figures
    assert dict(matplotlib.rcParams) == style


def test_without_ax_each_chart_gets_its_own_figure(results):
    first, second = plot.outcomes(results), plot.delivery_times(results)
    assert first.figure is not second.figure


@pytest.mark.parametrize("draw", [plot.outcomes, plot.timeline, plot.delivery_times, plot.quota])
def test_empty_input_says_nothing_to_show(draw, results, statuses):
    empty = {plot.timeline: statuses, plot.quota: readings([0], [0])}.get(draw, results).iloc[:0]
    ax = draw(empty)
    assert any(t.get_text().startswith("Nothing to show") for t in ax.texts)
    assert not ax.patches and not ax.lines


def test_one_million_rows(results):
    big = results.sample(1_000_000, replace=True, random_state=0, ignore_index=True)
    counts = big["status_category"].value_counts()
    ax = plot.outcomes(big)
    assert heights(ax)[:3] == [counts["delivered"], counts["pending"], counts["failed"]]
    assert sum(heights(ax)) == 1_000_000
    ax = plot.delivery_times(big)
    assert lines_by_label(ax)["delivered messages"].get_ydata()[-1] == 1.0
    ax = plot.outcomes(big, by="segment", raw=True)
    assert sum(heights(ax)) == 1_000_000


def test_quota_of_a_single_reading_shows_the_minute_around_it():
    q = readings([0], [0], limit=1000)
    ax = plot.quota(q)
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert ticks and all(t.startswith(("08:59", "09:00")) for t in ticks)
    assert ax.get_xlabel() == "time (UTC), 21 Jan 2026"


def test_quota_remaining_must_be_a_count_and_says_so_briefly():
    q = readings([0, 60], [0, 10], limit=1000)
    with pytest.raises(InputError) as caught:
        plot.quota(q, remaining=list(range(500)))
    assert "len(plan.requests)" in str(caught.value) and len(str(caught.value)) < 160


# -- in Polish --------------------------------------------------------------------------------------


def test_a_chart_in_polish_has_polish_title_labels_and_legend(results):
    ax = plot.outcomes(results, by="segment", lang="pl")
    assert ax.get_title() == "Wynik według segment (13 wierszy)"
    assert ax.get_ylabel() == "wiersze"
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "wynik"
    assert [t.get_text() for t in legend.get_texts()] == [
        "Dostarczono",
        "Czeka na raport",
        "Nie dostarczono",
        "Nie wysłano — numer nieprawidłowy",
        "Nie wysłano — limit wiadomości wyczerpany",
    ]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a\n7 wierszy", "b\n6 wierszy"]
    single = plot.outcomes(results, lang="pl")
    assert single.get_title() == "Wynik dla każdego odbiorcy (13 wierszy)"
    assert single.get_xticklabels()[0].get_text() == "Dostarczono"
    assert heights(single) == [5, 2, 3, 1, 2]  # the same bars as in English


def test_a_timeline_in_polish_names_its_axes_and_legend_in_polish(statuses, monkeypatch):
    monkeypatch.setenv("MMSNB_LANG", "pl")  # lang not given: MMSNB_LANG chooses
    ax = plot.timeline(statuses, tz="Europe/Warsaw")
    assert ax.get_title() == "Stan każdego odbiorcy w czasie: c1"
    assert ax.get_xlabel() == "czas sprawdzenia (Europe/Warsaw), 21 stycznia 2026"
    assert ax.get_ylabel() == "odbiorcy"
    assert ax.get_legend().get_title().get_text() == "ostatni stan (teraz)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Dostarczono (2)", "Czeka na raport (0)", "Nie dostarczono (1)"]
    assert [line.get_marker() for line in ax.lines] == ["o", "s", "x"]  # a marker each: not colour alone
