import math

import pandas as pd
import pytest

from mmsnb.delivery_statuses import describe
from mmsnb.errors import InputError
from mmsnb.result_columns import CATEGORIES, CATEGORY_DTYPE
from mmsnb.tables import failures, reason_kind, summary

SEND_STATES = ["accepted", "invalid", "rejected", "duplicate", "quota", "unknown", "already-sent", "planned"]


def results_frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (send_state, status or None, http_status, error_code, error)."""
    states, statuses, http, codes, errors = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "msisdn": [f"+4850110{i:04d}" for i in range(len(rows))],
            "send_state": pd.Categorical(states, categories=SEND_STATES),
            "status": pd.Series(statuses, dtype="str"),
            "status_category": pd.Series([describe(s).category if s else None for s in statuses], dtype=CATEGORY_DTYPE),
            "http_status": pd.array(http, dtype="Int64"),
            "error_code": pd.array(codes, dtype="Int64"),
            "error": pd.Series(errors, dtype="str"),
        }
    )


@pytest.fixture
def results() -> pd.DataFrame:
    ok = ("accepted", "Retrieved", 200, None, None)
    return results_frame(
        [ok] * 6
        + [("accepted", "Success", 200, None, None)]
        + [("accepted", "Expired", 200, None, None)] * 2
        + [("accepted", "Address Not Found", 200, None, None)]
        + [("accepted", "Indeterminate", 200, None, None)]
        + [("accepted", None, 200, None, None)]  # sent, never polled
        + [("invalid", None, None, None, "'123' is not a Polish mobile number")] * 3
        + [("quota", None, 403, 53, "The request quota is used up.")] * 2
        + [("rejected", None, 400, None, "The gateway refused the request's parameters.")]
        + [("planned", None, None, None, None)]
    )


def test_summary_counts_and_shares_every_category_in_order(results):
    table = summary(results)
    assert list(table.index) == [
        *CATEGORIES,
        "no status: accepted",
        "not sent: invalid",
        "not sent: rejected",
        "not sent: quota",
        "not sent: planned",
    ]
    assert table["count"].tolist() == [6, 1, 0, 3, 1, 1, 3, 1, 2, 1]
    assert table["share"].tolist() == pytest.approx([c / 19 for c in table["count"]])
    assert table["count"].sum() == len(results)
    assert table.loc["delivered", "meaning"] == "reached the handset"
    assert table.loc["not sent: quota", "meaning"] == "never sent to the gateway"
    assert table.index.name == "outcome"


def test_summary_delivered_rate_is_of_sent_rows(results):
    attrs = summary(results).attrs
    assert attrs == {"rows": 19, "sent": 11, "delivered_rate": pytest.approx(6 / 11)}


def test_summary_exports_to_csv(results, tmp_path):
    path = tmp_path / "summary.csv"
    summary(results).to_csv(path)
    back = pd.read_csv(path, index_col="outcome")
    assert list(back.columns) == ["count", "share", "meaning"]
    assert back.loc["failed", "count"] == 3
    assert back.loc["failed", "share"] == pytest.approx(3 / 19)


def test_summary_accepts_plain_string_columns(results):
    plain = results.astype({"send_state": "str", "status_category": "str"})
    assert summary(plain)["count"].tolist() == summary(results)["count"].tolist()


def test_summary_of_no_rows():
    table = summary(results_frame([("accepted", "Retrieved", 200, None, None)]).iloc[:0])
    assert list(table.index) == list(CATEGORIES)
    assert table["count"].tolist() == [0] * 5
    assert table["share"].isna().all()
    assert math.isnan(table.attrs["delivered_rate"])


def test_summary_missing_column(results):
    with pytest.raises(InputError, match=r"'status_category'.*mmsnb\.poll"):
        summary(results.drop(columns="status_category"))
    with pytest.raises(InputError, match="DataFrame"):
        summary([1, 2])


FAILURE_COLUMNS = ["stage", "reason", "http_status", "error_code", "detail", "examples", "count", "share"]


def test_failures_lists_send_refusals_then_failed_statuses(results):
    table = failures(results)
    assert list(table.columns) == FAILURE_COLUMNS
    assert table[["stage", "reason", "count"]].values.tolist() == [
        ["send", "invalid", 3],
        ["send", "quota", 2],
        ["send", "rejected", 1],
        ["delivery", "Expired", 2],
        ["delivery", "Address Not Found", 1],
    ]
    quota = table.iloc[1]
    assert (quota["http_status"], quota["error_code"], quota["detail"]) == (403, 53, "The request quota is used up.")
    assert pd.isna(table.iloc[0]["http_status"])
    assert table.iloc[3]["detail"] == describe("Expired").meaning
    assert table.iloc[0]["detail"] == "'…' is not a Polish mobile number"
    assert table.iloc[0]["examples"] == "'123' is not a Polish mobile number"
    assert table.iloc[3]["examples"] == ""
    assert table["share"].tolist() == pytest.approx([3 / 19, 2 / 19, 1 / 19, 2 / 19, 1 / 19])


def test_failures_of_a_clean_campaign_is_empty_with_columns(results, tmp_path):
    clean = results[results["status"].eq("Retrieved").fillna(False).astype(bool)]
    table = failures(clean)
    assert table.empty
    assert list(table.columns) == FAILURE_COLUMNS
    table.to_csv(tmp_path / "f.csv")


def test_failures_missing_column(results):
    with pytest.raises(InputError, match="'error'"):
        failures(results.drop(columns="error"))


def test_failures_groups_refusals_by_kind_not_by_the_first_rows_message():
    invalid = [
        "'(22) 594 90 00' is a fixed-line or service number; only mobile numbers can receive an MMS.",
        "'+48 22 628 14 30' is a fixed-line or service number; only mobile numbers can receive an MMS.",
        "'800 100 100' is a fixed-line or service number; only mobile numbers can receive an MMS.",
        "'12345' is not a valid Polish number: check the digits (a mobile number has 9).",
        "'50110203' is not a valid Polish number: check the digits (a mobile number has 9).",
        "'5011O2030' is not a phone number: it may hold only digits, '+', spaces, dashes or dots.",
        "'brak' is not a phone number: it may hold only digits, '+', spaces, dashes or dots.",
        "'+49 151 23456789' is not a Polish number (country code +49); MMSOnnet reaches Polish Orange numbers only.",
        "'+44 7700 900123' is not a Polish number (country code +44); MMSOnnet reaches Polish Orange numbers only.",
        "The number is missing: fill in the cell or drop the row.",
    ]
    duplicates = [f"Same number as row {n}: one message per number per campaign." for n in (3, 116)]
    rows = [("invalid", None, None, None, e) for e in invalid] + [
        ("duplicate", None, None, None, e) for e in duplicates
    ]
    table = failures(results_frame(rows))
    kinds = dict(zip(table["detail"], table["count"], strict=True))
    assert kinds == {
        "'…' is a fixed-line or service number; only mobile numbers can receive an MMS.": 3,
        "'…' is not a valid Polish number: check the digits (a mobile number has 9).": 2,
        "'…' is not a phone number: it may hold only digits, '+', spaces, dashes or dots.": 2,
        "'…' is not a Polish number (country code …); MMSOnnet reaches Polish Orange numbers only.": 2,
        "Same number as row …: one message per number per campaign.": 2,
        "The number is missing: fill in the cell or drop the row.": 1,
    }
    assert table["count"].sum() == len(rows)
    assert table.loc[0, "reason"] == "invalid" and table.loc[0, "count"] == 3  # most frequent first
    examples = table.loc[0, "examples"].split(" | ")
    assert len(examples) == 2 and set(examples) <= set(invalid[:3])
    assert table.loc[table["reason"] == "duplicate", "reason"].size == 1


def test_reason_kind_keeps_rules_and_drops_values():
    assert reason_kind("The attachment 'promo-2.jpg' is 412,345 bytes, over the 300,000-byte limit.") == (
        "The attachment '…' is … bytes, over the …-byte limit."
    )
    assert reason_kind("Message id 3f2a9c1e77d0 was refused.") == "Message id … was refused."
    assert reason_kind("The request quota is used up.") == "The request quota is used up."
    assert reason_kind(pd.NA) == reason_kind(None) == "(no message)"


def test_a_number_in_two_waves_counts_once_in_the_summary_and_the_chart(sandbox, tmp_path):
    """The demo's waves: a number listed in two segments gets one message (counted at the gateway), and the
    summary, the failures table and the outcomes chart count that person once, not once per row."""
    import matplotlib

    matplotlib.use("Agg")
    from helpers import received_addresses

    import mmsnb
    from mmsnb import plot

    client = sandbox.client()
    frame = pd.DataFrame(
        {"msisdn": ["501102030", "501102031", "501102030", "501102032"], "segment": ["a", "a", "b", "b"]}
    )
    ledger = tmp_path / "ledger.sqlite"
    waves = [
        mmsnb.send(client, part, subject="Hi", ledger=ledger, campaign="waves", progress=False)
        for _, part in frame.groupby("segment")
    ]
    results = mmsnb.poll(client, pd.concat(waves).loc[frame.index], timeout=30, progress=False, ledger=ledger)
    assert results.send_state.tolist() == ["accepted", "accepted", "already-sent", "accepted"]
    got = received_addresses(sandbox)
    assert sorted(got.values()) == [1, 1, 1]  # three people, one message each

    table = summary(results)
    assert table.loc[list(CATEGORIES), "count"].sum() == len(got) == table.attrs["sent"]
    assert table.loc["not sent: duplicate", "count"] == 1
    assert int(table["count"].sum()) == len(results)
    assert failures(results).query("stage == 'delivery'")["count"].sum() == table.loc["failed", "count"]
    ax = plot.outcomes(results)
    heights = {t.get_text(): round(p.get_height()) for t, p in zip(ax.get_xticklabels(), ax.patches, strict=True)}
    assert heights["not sent: duplicate"] == 1
    assert sum(heights.values()) == len(results)
    assert results.send_state.tolist()[2] == "already-sent"  # the caller's frame is left as it was
