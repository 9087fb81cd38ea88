"""mmsnb.compare and mmsnb.retrieval: every number checked against SciPy or a hand-worked answer, computed here
by another route than the one the module takes."""

from __future__ import annotations

import math
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mmsnb
from mmsnb.errors import ConfigError, InputError
from mmsnb.result_columns import CATEGORY_DTYPE, SEND_STATE_DTYPE

T0 = pd.Timestamp("2026-03-02 09:00", tz="UTC")


def group_rows(group, delivered=0, failed=0, pending=0, invalid=0, opted_out=0) -> list[tuple]:
    """Rows (variant, send_state, status_category) of one group."""
    return (
        [(group, "accepted", "delivered")] * delivered
        + [(group, "accepted", "failed")] * failed
        + [(group, "accepted", "pending")] * pending
        + [(group, "invalid", None)] * invalid
        + [(group, "opted-out", None)] * opted_out
    )


def frame_of(rows: list[tuple]) -> pd.DataFrame:
    variant, state, category = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "variant": pd.Series(variant, dtype="string"),
            "send_state": pd.Series(state, dtype=SEND_STATE_DTYPE),
            "status_category": pd.Series(category, dtype=CATEGORY_DTYPE),
        }
    )


@pytest.fixture
def results() -> pd.DataFrame:
    return frame_of(
        group_rows("A", delivered=880, failed=120, invalid=40)
        + group_rows("B", delivered=930, failed=60, pending=10, opted_out=25)
        + group_rows("C", delivered=2, failed=1)  # a group of 3
        + group_rows("D", failed=6)  # none delivered
        + group_rows("E", delivered=12)  # all delivered
        + group_rows(None, delivered=4, failed=1, invalid=2)  # no variant
    )


def wilson(k: int, n: int) -> tuple[float, float]:
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return ci.low, ci.high


def newcombe(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """Newcombe's hybrid score interval for p1 - p2, from the two Wilson intervals (Newcombe 1998, method 10)."""
    (l1, u1), (l2, u2) = wilson(k1, n1), wilson(k2, n2)
    p1, p2 = k1 / n1, k2 / n2
    return p1 - p2 - math.hypot(p1 - l1, u2 - p2), p1 - p2 + math.hypot(u1 - p1, p2 - l2)


def fisher_by_hand(table: np.ndarray) -> float:
    """Two-sided Fisher's exact p: the hypergeometric probability of every table no likelier than the one seen."""
    (a, b), (c, d) = table
    dist = stats.hypergeom(a + b + c + d, a + c, a + b)
    support = np.arange(max(0, a + b + a + c - (a + b + c + d)), min(a + b, a + c) + 1)
    pmf = dist.pmf(support)
    return float(pmf[pmf <= dist.pmf(a) * (1 + 1e-7)].sum())


def test_compare_counts_each_group_and_leaves_the_never_sent_out_of_the_denominator(results):
    table = mmsnb.compare(results, by="variant")
    assert list(table.index) == ["A", "B", "C", "D", "E", "(missing)"]
    assert table.index.name == "variant"
    assert table.loc["A", ["recipients", "not_sent", "sent", "delivered", "failed", "not_final"]].tolist() == [
        1040, 40, 1000, 880, 120, 0,
    ]  # fmt: skip
    assert table.loc["B", ["recipients", "not_sent", "sent", "not_final"]].tolist() == [1025, 25, 1000, 10]
    assert table.loc["(missing)", ["recipients", "sent", "delivered"]].tolist() == [7, 5, 4]
    assert table["rate"].tolist() == pytest.approx([0.88, 0.93, 2 / 3, 0.0, 1.0, 0.8])
    assert str(table.dtypes["sent"]) == "int64" and str(table.dtypes["rate"]) == "float64"
    assert str(table.dtypes["sentence"]) == "string" and str(table.index.dtype) == "string"


def test_compare_intervals_agree_with_scipy_wilson_and_newcombe(results):
    table = mmsnb.compare(results, by="variant")
    for group, row in table.iterrows():
        low, high = wilson(int(row["delivered"]), int(row["sent"]))
        assert (row["rate_low"], row["rate_high"]) == pytest.approx((low, high), abs=1e-9), group
    ref = table.loc["A"]
    for group in ["B", "C", "D", "E", "(missing)"]:
        row = table.loc[group]  # type: ignore[assignment]
        expected = newcombe(int(row["delivered"]), int(row["sent"]), int(ref["delivered"]), int(ref["sent"]))
        assert (row["difference_low"], row["difference_high"]) == pytest.approx(expected, abs=1e-9), group
        assert row["difference"] == pytest.approx(row["rate"] - ref["rate"])
    assert table.loc["D", "rate_low"] == pytest.approx(0.0, abs=1e-12) and table.loc["E", "rate_high"] == pytest.approx(
        1.0
    )


def test_compare_tests_small_groups_exactly_large_ones_by_chi_square_and_adjusts_by_holm(results):
    table = mmsnb.compare(results, by="variant")
    ref = table.loc["A"]
    raw = {}
    for group in ["B", "C", "D", "E", "(missing)"]:
        row = table.loc[group]
        cells = np.array(
            [[row["delivered"], row["sent"] - row["delivered"]], [ref["delivered"], ref["sent"] - ref["delivered"]]]
        )
        if group == "B":  # large: the score test of a zero difference is Pearson's chi-square without correction
            assert row["test"] == "score test"
            raw[group] = stats.chi2_contingency(cells, correction=False).pvalue
        else:
            assert row["test"] == "Fisher's exact test"
            raw[group] = fisher_by_hand(cells)
        assert row["p_value"] == pytest.approx(raw[group], rel=1e-6), group
    # Holm by hand: sort, multiply the k-th smallest by (m - k), keep it monotone, cap at 1
    ordered = sorted(raw, key=raw.get)
    running, holm = 0.0, {}
    for k, group in enumerate(ordered):
        running = max(running, min(1.0, (len(raw) - k) * raw[group]))
        holm[group] = running
    for group, expected in holm.items():
        assert table.loc[group, "p_adjusted"] == pytest.approx(expected, rel=1e-6), group
    assert pd.isna(table.loc["A", "p_value"]) and pd.isna(table.loc["A", "test"])


def test_compare_says_each_row_in_plain_words(results):
    sentences = mmsnb.compare(results, by="variant")["sentence"]
    assert sentences["A"] == "A is the reference: 88.0 % delivered (95 % CI 85.8 to 89.9 %)."
    assert sentences["B"].startswith("B delivered 5.0 points more than A (95 % CI 2.4 to 7.6; p < 0.001)")
    assert sentences["B"].endswith("; 10 not final yet.")
    assert sentences["C"].startswith("C: no detectable difference from A (-21.3 points, 95 % CI")
    assert sentences["D"].startswith("D delivered 88.0 points less than A")
    assert "no detectable difference" in sentences["E"]


def test_compare_against_a_chosen_reference_and_a_group_never_sent():
    frame = frame_of(group_rows("A", delivered=50, failed=50) + group_rows("B", delivered=90, failed=10)
                     + group_rows("X", invalid=4))  # fmt: skip
    table = mmsnb.compare(frame, by="variant", reference="B")
    assert pd.isna(table.loc["B", "difference"])
    assert table.loc["A", "difference"] == pytest.approx(-0.4)
    assert table.loc["X", ["recipients", "not_sent", "sent"]].tolist() == [4, 4, 0]
    assert pd.isna(table.loc["X", "rate"]) and pd.isna(table.loc["X", "p_value"])
    assert table.loc["X", "sentence"] == "X: nothing was sent (4 never sent), so there is no rate."
    assert table.attrs["reference"] == "B"
    with pytest.raises(InputError, match="reference='Z' is not one of the groups of 'variant': A, B, X"):
        mmsnb.compare(frame, by="variant", reference="Z")
    with pytest.raises(InputError, match="no 'segment' column to compare by"):
        mmsnb.compare(frame, by="segment")


def test_undetermined_messages_are_counted_apart_from_those_not_final_yet():
    frame = frame_of(group_rows("A", delivered=5, failed=1, pending=2) + [("A", "accepted", "unknown")] * 3)
    row = mmsnb.compare(frame, by="variant").loc["A"]
    assert row[["sent", "delivered", "failed", "undetermined", "not_final"]].tolist() == [11, 5, 1, 3, 2]
    assert row["sentence"].endswith("; 2 not final yet.")


def test_a_number_repeated_across_waves_is_compared_once():
    frame = frame_of(group_rows("A", delivered=2, failed=1))
    frame["address"] = ["tel:+48501000001", "tel:+48501000002", "tel:+48501000003"]
    frame["message_id"] = ["m1", "m2", "m3"]
    again = frame.iloc[[0]].assign(send_state=pd.Series(["already-sent"], dtype=SEND_STATE_DTYPE, index=[0]))
    table = mmsnb.compare(pd.concat([frame, again], ignore_index=True), by="variant")
    assert table.loc["A", ["recipients", "not_sent", "sent", "delivered"]].tolist() == [4, 1, 3, 2]


def test_compare_without_the_statistics_libraries_says_how_to_install_them(results, monkeypatch):
    monkeypatch.setitem(sys.modules, "statsmodels.stats.proportion", None)
    with pytest.raises(ConfigError, match=r"^The analysis needs statsmodels and SciPy, which are not installed: "
                                          r"pip install 'mmsnb\[analysis\]'$"):  # fmt: skip
        mmsnb.compare(results, by="variant")


# -- retrieval -------------------------------------------------------------------------------


def polled(rows: list[tuple]) -> pd.DataFrame:
    """A polled results frame from (group, seconds after sending when a poll last saw it, category)."""
    group, seconds, category = zip(*rows, strict=True)
    seen = [T0 + pd.Timedelta(seconds=s) for s in seconds]
    return pd.DataFrame(
        {
            "segment": pd.Series(group, dtype="string"),
            "send_state": pd.Series(["accepted"] * len(rows), dtype=SEND_STATE_DTYPE),
            "status_category": pd.Series(category, dtype=CATEGORY_DTYPE),
            "sent_at": pd.Series([T0] * len(rows), dtype="datetime64[us, UTC]"),
            "polled_at": pd.Series(seen, dtype="datetime64[us, UTC]"),
            "delivered_at": pd.Series(
                [t if c == "delivered" else pd.NaT for t, c in zip(seen, category, strict=True)],
                dtype="datetime64[us, UTC]",
            ),
        }
    )


def test_retrieval_with_censoring_and_a_competing_outcome_matches_the_worked_answer():
    # Six messages, seconds after sending: retrieved at 60, still pending at the last poll at 120, retrieved at
    # 120, expired at 180, pending at 240, retrieved at 300. By hand (Aalen–Johansen):
    #   60: 6 at risk, 1 retrieved          -> retrieved 1/6,            still waiting 5/6
    #  120: 5 at risk, 1 retrieved, 1 open  -> retrieved 1/6 + 5/6·1/5 = 1/3,  waiting 5/6·4/5 = 2/3
    #  180: 3 at risk, 1 expired            -> ended 2/3·1/3 = 2/9,      waiting 4/9
    #  300: 1 at risk, 1 retrieved          -> retrieved 1/3 + 4/9 = 7/9
    frame = polled(
        [("x", 60, "delivered"), ("x", 120, "pending"), ("x", 120, "delivered"), ("x", 180, "failed"),
         ("x", 240, "pending"), ("x", 300, "delivered")]
    )  # fmt: skip
    opened = mmsnb.retrieval(frame)
    curve = opened.curves
    assert curve["after"].dt.total_seconds().tolist() == [0, 60, 120, 180, 240, 300]
    assert curve["retrieved"].tolist() == pytest.approx([0, 1 / 6, 1 / 3, 1 / 3, 1 / 3, 7 / 9])
    assert curve["ended"].tolist() == pytest.approx([0, 0, 0, 2 / 9, 2 / 9, 2 / 9])
    assert curve["at_risk"].tolist() == [6, 6, 5, 3, 2, 1]
    # the band: Aalen's variance at the first time is p(1-p)/n, as for a proportion
    assert curve.loc[1, "high"] == pytest.approx(1 / 6 + 1.959964 * math.sqrt(1 / 6 * 5 / 6 / 6), rel=1e-5)
    row = opened.summary.loc["all"]
    assert row[["messages", "retrieved", "ended", "open"]].tolist() == [6, 3, 1, 2]
    assert row["median"] == pd.Timedelta(seconds=300)
    assert row["retrieved_share"] == pytest.approx(7 / 9)
    assert row["never_retrieved_share"] == pytest.approx(2 / 9)
    assert str(curve.dtypes["after"]) == "timedelta64[us]" and str(opened.summary.dtypes["median"]) == "timedelta64[us]"
    assert repr(opened) == "Retrieval(1 group, 6 points)"


def test_retrieval_where_nothing_competes_is_one_minus_kaplan_meier_per_group():
    # Group "fast": 4 retrieved at 10, 20, 30, 40 s; median 20 s. Group "slow": retrieved at 100, open at 150,
    # retrieved at 200, open at 300. Kaplan–Meier: S(100) = 3/4, S(200) = 3/4 · 1/2 = 3/8 -> retrieved 5/8.
    frame = polled(
        [("fast", s, "delivered") for s in (10, 20, 30, 40)]
        + [("slow", 100, "delivered"), ("slow", 150, "pending"), ("slow", 200, "delivered"), ("slow", 300, "pending")]
    )
    opened = mmsnb.retrieval(frame, by="segment")
    assert list(opened.summary.index) == ["fast", "slow"] and opened.summary.index.name == "segment"
    assert opened.summary.loc["fast", "median"] == pd.Timedelta(seconds=20)
    assert opened.summary.loc["fast", "retrieved_share"] == pytest.approx(1.0)
    slow = opened.curves[opened.curves["group"] == "slow"].set_index("after")["retrieved"]
    assert slow[pd.Timedelta(seconds=100)] == pytest.approx(1 / 4)
    assert slow[pd.Timedelta(seconds=200)] == pytest.approx(5 / 8)
    assert opened.summary.loc["slow", "median"] == pd.Timedelta(seconds=200)
    assert opened.summary.loc["slow", "never_retrieved_share"] == 0


def test_the_retrieved_alone_look_faster_than_they_are():
    """The old picture: half of the retrieved were retrieved within 60 s; but most messages were not retrieved
    by then, because the slow ones are the ones still open or expired."""
    frame = polled([("x", 60, "delivered")] * 3 + [("x", 600, "pending")] * 3 + [("x", 3600, "failed")] * 3)
    opened = mmsnb.retrieval(frame).summary.loc["all"]
    assert pd.isna(opened["median"])  # a third retrieved: never half
    assert opened["retrieved_share"] == pytest.approx(1 / 3)
    assert opened["never_retrieved_share"] == pytest.approx(2 / 3)  # the open ones, at risk till they expired


def test_retrieval_of_a_real_send_from_the_results_and_from_the_ledger_agree(client, tmp_path):
    frame = pd.DataFrame({"msisdn": [f"50110{i:04d}" for i in range(40)] + ["12"]})
    ledger = tmp_path / "ledger.sqlite"
    results = mmsnb.send(client, frame, subject="Hi", ledger=ledger, campaign="spring", progress=False)
    results = mmsnb.poll(client, results, progress=False)
    from_results = mmsnb.retrieval(results).summary.loc["all"]
    from_ledger = mmsnb.retrieval(mmsnb.history(ledger=ledger), by="campaign").summary.loc["spring"]
    assert from_results["messages"] == from_ledger["messages"] == 40
    for column in ("retrieved", "ended", "open"):
        assert from_results[column] == from_ledger[column], column
    delivered = int(results["status_category"].eq("delivered").sum())
    assert from_results["retrieved"] == delivered


def test_retrieval_refuses_what_it_cannot_read():
    with pytest.raises(InputError, match=r"Expected the results DataFrame or mmsnb\.history"):
        mmsnb.retrieval([1, 2])
    with pytest.raises(InputError, match="no 'delivered_at' column"):
        mmsnb.retrieval(pd.DataFrame({"send_state": [], "status_category": [], "sent_at": [], "polled_at": []}))


# -- charts ----------------------------------------------------------------------------------


def test_plot_compare_draws_each_rate_with_its_interval_on_the_axes_given(results):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = mmsnb.compare(results, by="variant")
    fig, given = plt.subplots()
    ax = mmsnb.plot.compare(table, ax=given)
    assert ax is given
    (line,) = [ln for ln in ax.lines if ln.get_marker() == "o"]
    assert line.get_xdata().tolist() == pytest.approx(table["rate"].tolist())
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "A\n1,000 sent" and "(missing)\n5 sent" in labels
    assert ax.get_legend().get_texts()[0].get_text() == "A (reference)"
    plt.close(fig)


def test_plot_retrieval_draws_one_curve_per_group_with_its_band():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame = polled([("fast", s, "delivered") for s in (10, 20, 30, 40)] + [("slow", 100, "delivered")] * 2)
    opened = mmsnb.retrieval(frame, by="segment")
    ax = mmsnb.plot.retrieval(opened)
    steps = [ln for ln in ax.lines if ln.get_label() in ("fast", "slow")]
    assert [ln.get_label() for ln in steps] == ["fast", "slow"]
    assert steps[0].get_ydata()[-1] == pytest.approx(1.0)
    assert len(ax.collections) == 2  # the bands
    assert ax.get_xlabel() == "time after sending (seconds), as the polls saw it"
    assert mmsnb.plot.retrieval(opened.curves).get_title() == ax.get_title()
    plt.close("all")


# -- across campaigns ------------------------------------------------------------------------


def numbers(start: int, n: int) -> list[str]:
    return [f"501{i:06d}" for i in range(start, start + n)]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_campaigns_over_a_ledger_of_several_campaigns_match_what_the_gateway_received(
    engine, make_sandbox, tmp_path, request
):
    ledger = str(tmp_path / "ledger.sqlite") if engine == "sqlite" else request.getfixturevalue("pg_url")
    sandbox = make_sandbox(quota=100)
    client = sandbox.client(timeout=(2, 2))
    sent: dict[str, pd.DataFrame] = {}
    plans = {"spring": (numbers(0, 12), False), "summer": (numbers(100, 6), True), "autumn": (numbers(200, 5), False)}
    for name, (msisdns, group) in plans.items():
        if name == "autumn":  # two requests never answered: in the ledger, not accepted, not in the quota used
            sandbox.fail_next("server_error", times=2)
        frame = pd.DataFrame({"msisdn": [*msisdns, "12"]})  # "12" is never sent: not in the ledger
        results = mmsnb.send(
            client, frame, subject=f"Hi {name}", ledger=ledger, campaign=name, group=group, workers=1, progress=False
        )
        sent[name] = mmsnb.poll(client, results, progress=False)

    table = mmsnb.campaigns(ledger=ledger)
    assert list(table.index) == ["spring", "summer", "autumn"] and table.index.name == "campaign"
    for name, (msisdns, _) in plans.items():
        wanted = {f"tel:+48{n}" for n in msisdns}
        got = [r for r in sandbox.received if set(r.addresses) <= wanted]  # what the gateway received
        row, results = table.loc[name], sent[name]
        assert row["recipients"] == len(msisdns), name
        assert row["quota_used"] == len(got), name
        assert row["accepted"] == len({a for r in got for a in r.addresses}), name
        categories = results.loc[results["send_state"] == "accepted", "status_category"].astype("object")
        assert row["delivered"] == (categories == "delivered").sum(), name
        assert row["failed"] == (categories == "failed").sum(), name
        assert row["not_final"] == row["accepted"] - row["delivered"] - row["failed"], name
        low, high = wilson(int(row["delivered"]), int(row["accepted"]))
        assert (row["rate_low"], row["rate_high"]) == pytest.approx((low, high), abs=1e-9), name
        assert row["last_sent"] == results["sent_at"].max(), name
        if name == "autumn":  # its first two requests got an error answer: sent, with no time in the results
            assert row["first_sent"] < results["sent_at"].min()
        else:
            assert row["first_sent"] == results["sent_at"].min(), name
    assert table["requests"].tolist() == [12, 1, 5]
    assert table.loc["autumn", ["quota_used", "accepted"]].tolist() == [3, 3]
    assert str(table.dtypes["first_sent"]) == "datetime64[us, Europe/Warsaw]"
    assert str(table.dtypes["median_retrieval"]) == "timedelta64[us]" and str(table.dtypes["requests"]) == "int64"
    medians = mmsnb.retrieval(mmsnb.history(ledger=ledger), by="campaign").summary["median"]
    assert table["median_retrieval"].equals(medians.reindex(table.index))
    client.close()


def test_campaigns_of_an_empty_ledger_is_an_empty_table(tmp_path):
    table = mmsnb.campaigns(ledger=tmp_path / "none.sqlite", tz="UTC")
    assert table.empty and list(table.columns)[:3] == ["first_sent", "last_sent", "recipients"]
    with pytest.raises(InputError, match="tz='Mars/Olympus' is not a time zone name"):
        mmsnb.campaigns(ledger=tmp_path / "none.sqlite", tz="Mars/Olympus")


def hand_history(messages: list[tuple]) -> mmsnb.History:
    """A ledger's history of one-address requests: (sent at, [(seconds after, status), ...]) each."""
    from mmsnb.delivery_statuses import describe
    from mmsnb.ledger.frames import to_history

    requests, statuses = [], []
    for no, (sent, polls) in enumerate(messages, start=1):
        sent = pd.Timestamp(sent, tz="UTC")
        address, message_id = f'["tel:+48501{no:06d}"]', f"m{no}"
        iso = sent.isoformat()
        requests.append(("hand", no, "k", address, 1, "accepted", message_id, 200, None, None, iso, iso))
        for seconds, status in polls:
            info = describe(status)
            at = (sent + pd.Timedelta(seconds=seconds)).isoformat()
            statuses.append(("hand", message_id, f"tel:+48501{no:06d}", status, info.category, info.final, at))
    return to_history(requests, statuses, [])


def test_hourly_counts_in_warsaw_time_across_the_clock_change_and_leaves_out_what_is_not_known_yet():
    from mmsnb.analysis import hourly

    history = hand_history(
        [
            ("2026-03-02 08:30", [(600, "Retrieved")]),  # Mon 09:30 in Warsaw (UTC+1): retrieved in 10 min
            ("2026-03-02 08:40", [(1200, "Success")]),  # Mon 09:40: last polled after 20 min, fate at 1 h unknown
            ("2026-03-02 08:50", [(600, "Success"), (7200, "Success")]),  # Mon 09:50: not retrieved within 1 h
            ("2026-03-29 22:30", [(7200, "Retrieved")]),  # Mon 00:30 in Warsaw (UTC+2 since that night)
            ("2026-03-28 23:30", [(300, "Expired")]),  # Sun 00:30 (UTC+1): ended without retrieval
        ]
    )
    table = hourly(history, tz="Europe/Warsaw", within="1h")
    assert list(table.index) == [("Mon", 0), ("Mon", 9), ("Sun", 0)]
    assert table.loc[("Mon", 9)].tolist() == pytest.approx([3, 1, 1 / 3, 2, 1 / 2])
    assert table.loc[("Mon", 0)].tolist() == pytest.approx([1, 1, 1.0, 1, 0.0])
    assert table.loc[("Sun", 0)].tolist() == pytest.approx([1, 0, 0.0, 1, 0.0])
    in_utc = hourly(history, tz="UTC")
    assert list(in_utc.index) == [("Mon", 8), ("Sat", 23), ("Sun", 22)]

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = mmsnb.plot.by_hour(history, what="retrieved_within")
    grid = ax.images[0].get_array()
    assert grid.shape == (7, 24)
    assert grid[0, 9] == pytest.approx(0.5) and grid[6, 0] == 0.0 and np.ma.is_masked(grid[2, 12])
    with pytest.raises(InputError, match="what='speed' is not something by_hour draws"):
        mmsnb.plot.by_hour(history, what="speed")
    plt.close("all")


def test_plot_campaigns_draws_each_campaign_rate_oldest_first():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    history = hand_history([("2026-03-02 08:30", [(60, "Retrieved")]), ("2026-03-02 08:31", [(60, "Expired")])])
    table = mmsnb.campaigns(ledger=history)
    assert table.loc["hand", ["accepted", "delivered", "failed", "rate"]].tolist() == [2, 1, 1, 0.5]
    ax = mmsnb.plot.campaigns(table)
    assert ax.lines[0].get_ydata().tolist() == [0.5]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["hand\n2 Mar 2026\n2 accepted"]
    plt.close("all")


def test_the_campaigns_command_lists_each_campaign_of_the_ledger(client, tmp_path, capsys):
    from mmsnb import cli

    ledger = str(tmp_path / "ledger.sqlite")
    assert cli.main(["campaigns", "--ledger", ledger]) == 0
    assert capsys.readouterr().out == "The ledger holds no campaign yet.\n"
    for name, start in (("spring", 0), ("summer", 100)):
        frame = pd.DataFrame({"msisdn": [*numbers(start, 8), "12"]})
        results = mmsnb.send(client, frame, subject="Hi", ledger=ledger, campaign=name, progress=False)
        mmsnb.poll(client, results, progress=False)
    table = mmsnb.campaigns(ledger=ledger, tz="UTC")
    assert cli.main(["campaigns", "--ledger", ledger, "--tz", "UTC"]) == 0
    header, *lines = capsys.readouterr().out.splitlines()
    assert header.split("  ")[0:3] == ["campaign", "title", "first send (UTC)"]
    assert [line.split()[0] for line in lines] == ["spring", "summer"]
    for line, (_name, row) in zip(lines, table.iterrows(), strict=True):
        assert f"{row['first_sent']:%Y-%m-%d %H:%M}" in line
        assert f"{row['rate']:.1%} ({row['rate_low']:.1%} to {row['rate_high']:.1%})" in line, name
        assert line.split()[4:6] == ["8", "8"]  # recipients, accepted (after the name, "-" for its title, the time)
    assert cli.main(["campaigns", "--ledger", ledger, "--tz", "Mars"]) == 2
    assert "is not a time zone name" in capsys.readouterr().err


# -- networks --------------------------------------------------------------------------------


def test_numbers_in_other_networks_ranges_are_told_before_sending_and_compared_after(sandbox, client, tmp_path):
    orange, plus, play = numbers(0, 12), ["601102030", "691102031"], ["531102032"]
    frame = pd.DataFrame({"msisdn": [*orange, *plus, *play, "12"]})
    plan = mmsnb.plan(client, frame, subject="Hej", ledger=tmp_path / "l.sqlite", campaign="networks")
    assert plan.other_networks == 3
    assert "1 invalid skipped. 3 in other networks' ranges (they fail unless ported to Orange)." in repr(plan)
    results = mmsnb.poll(client, plan.send(progress=False), progress=False)
    assert sorted(a for r in sandbox.received for a in r.addresses) == sorted(
        f"tel:+48{n}" for n in [*orange, *plus, *play]
    )  # they are sent (a number may be ported), and the gateway answers for them
    table = mmsnb.compare(results, by="carrier_hint", reference="Orange")
    assert list(table.index) == ["Orange", "Play", "Plus", "(missing)"]
    assert table.loc["Plus", ["sent", "delivered", "failed"]].tolist() == [2, 0, 2]
    assert table.loc["(missing)", ["recipients", "not_sent", "sent"]].tolist() == [1, 1, 0]
    assert set(results.loc[results["carrier_hint"] == "Plus", "status"]) == {"Address Not Found"}


def test_the_composer_confirmation_says_how_many_numbers_lie_in_other_networks_ranges(client, tmp_path):
    from mmsnb import Composer

    form = Composer(client, recipients=["501102030", "601102030", "531102032"], ledger=tmp_path / "l.sqlite")
    form.subject.value = "Wiosna"
    form.send_button.click()
    text = form.confirm_text.value
    assert "Send to 3 recipients in 1 message?" in text, form.status.value
    assert "2 recipients are in other networks' ranges: they fail unless ported to Orange." in text
