"""mmsnb.poll against the HTTPS sandbox: per-address statuses back on rows, finality, ledger records."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import VirtualClock, orange

import mmsnb
from mmsnb.delivery_statuses import describe
from mmsnb.polling import BACKOFF
from mmsnb.result_columns import CATEGORIES, POLLED_COLUMNS

#: Enough of each final outcome that a few dozen Orange numbers see several of them.
MIXED = {"Retrieved": 0.5, "Rejected": 0.2, "Expired": 0.15, "Indeterminate": 0.15}


def others(n: int) -> list[str]:
    """Numbers in other networks' ranges (Play)."""
    return [f"790{i:06d}" for i in range(n)]


def gateway_statuses(sandbox, message_id: str) -> dict[str, str]:
    """address -> status, as the sandbox's gateway sees it now (a direct call, not over HTTP)."""
    answer = sandbox.gateway.status(message_id)
    if "deliveryInfo" in answer:
        return {i["address"]: i["status"] for i in answer["deliveryInfo"]}
    (received,) = [r for r in sandbox.received if r.message_id == message_id]
    return {received.addresses[0]: answer["status"]}


@pytest.fixture
def mixed_campaign(make_sandbox, tmp_path):
    """A sent campaign: 30 Orange and 6 Play numbers in shared requests, one on its own, two unsent rows."""
    sandbox = make_sandbox(outcomes=MIXED)
    client = sandbox.client(timeout=(2, 2))
    numbers = orange(30) + others(6) + ["501999999", "nie wiem", "501000000"]
    subjects = ["Promocja"] * 37 + ["Promocja", "Promocja"]
    subjects[36] = "Tylko dla Ciebie"
    frame = pd.DataFrame({"msisdn": numbers, "subject": subjects}, index=[f"k{i}" for i in range(len(numbers))])
    results = mmsnb.send(
        client, frame, subject="subject", max_addresses=8, ledger=tmp_path / "ledger.sqlite", progress=False
    )
    yield sandbox, client, results
    client.close()


def test_poll_spreads_per_address_statuses_until_every_sent_row_is_final(mixed_campaign):
    sandbox, client, results = mixed_campaign
    assert results.send_state.astype(str).value_counts().to_dict() == {"accepted": 37, "invalid": 1, "duplicate": 1}
    polled = mmsnb.poll(client, results, interval=0.2, timeout=60, progress=False)

    assert list(polled.columns) == [*results.columns, *POLLED_COLUMNS]
    assert polled.index.equals(results.index)
    pd.testing.assert_frame_equal(polled[results.columns], results)
    sent = polled.message_id.notna()
    assert sent.sum() == 37
    assert polled.loc[sent, "final"].all()
    assert polled.loc[sent, "polled_at"].notna().all()
    # Each row carries its own address's status, not its message's overall one.
    truth = {}
    for message_id in polled.loc[sent, "message_id"].unique():
        truth.update({(message_id, a): s for a, s in gateway_statuses(sandbox, message_id).items()})
    for label, row in polled[sent].iterrows():
        assert row.status == truth[(row.message_id, row.address)], label
        info = describe(row.status)
        assert (row.status_category, row.status_meaning, row.final) == (info.category, info.meaning, info.final)
    play = polled.address.str.startswith("tel:+48790").fillna(False)
    assert (polled.loc[play, "status"] == "Address Not Found").all()
    assert (polled.loc[play, "status_category"] == "failed").all()
    orange_statuses = set(polled.loc[sent & ~play, "status"])
    assert len(orange_statuses) >= 2 and orange_statuses <= set(MIXED)
    assert "Partial success" not in set(polled.status.dropna())
    # delivered_at only where the handset got it.
    assert (polled.delivered_at.notna() == (polled.status == "Retrieved").fillna(False)).all()
    # Rows never sent pass through unchanged, with empty status columns.
    for label in ("k37", "k38"):
        assert polled.loc[label, ["status", "status_category", "final", "polled_at", "delivered_at"]].isna().all()
    # dtypes
    assert isinstance(polled.status.dtype, pd.StringDtype) and isinstance(polled.status_meaning.dtype, pd.StringDtype)
    assert list(polled.status_category.cat.categories) == list(CATEGORIES)
    assert polled.final.dtype == "boolean"
    for column in ("polled_at", "delivered_at"):
        assert isinstance(polled[column].dtype, pd.DatetimeTZDtype) and str(polled[column].dt.tz) == "UTC"


def test_poll_asks_once_per_message_and_records_every_answer(mixed_campaign, tmp_path):
    sandbox, client, results = mixed_campaign
    message_ids = set(results.message_id.dropna())
    assert len(message_ids) == 6  # 36 addresses in chunks of 8, and one on its own
    polled = mmsnb.poll(client, results, interval=0.2, timeout=60, progress=False)
    asked = sandbox.gateway.counts["status"]

    statuses = mmsnb.history(ledger=tmp_path / "ledger.sqlite").statuses
    answers = statuses[["message_id", "polled_at"]].drop_duplicates()
    assert len(answers) == asked
    assert set(statuses.message_id) == message_ids
    assert asked < polled.message_id.notna().sum()
    # The last answer recorded for each address is the one on its row; an answer that names no
    # addresses (a single-address message) is recorded under the address the ledger sent it to.
    last = statuses.groupby(["message_id", "address"]).last()
    for row in polled[polled.message_id.notna()].itertuples():
        assert last.loc[(row.message_id, row.address), "status"] == row.status
        assert bool(last.loc[(row.message_id, row.address), "final"])
    assert (statuses.address == "").sum() == 0


def test_poll_without_delivery_reports_ends_final_at_success(make_sandbox, tmp_path):
    sandbox = make_sandbox()
    client = sandbox.client(timeout=(2, 2))
    frame = pd.DataFrame({"msisdn": orange(5) + others(1) + orange(1, 100)})
    results = mmsnb.send(
        client,
        frame,
        subject="Hej",
        delivery_report=False,
        max_addresses=6,
        ledger=tmp_path / "ledger.sqlite",
        progress=False,
    )
    assert [r.delivery_report for r in sandbox.received] == [False, False]
    polled = mmsnb.poll(client, results, interval=0.2, timeout=10, progress=False)

    assert polled.final.all()
    assert polled.status.tolist() == ["Success"] * 5 + ["Address Not Found", "Success"]
    assert (polled.status_category.iloc[:5] == "pending").all()
    assert "no delivery report" in polled.status_meaning.iloc[0]
    assert polled.delivered_at.isna().all()


def test_poll_of_nothing_sent_asks_nothing(sandbox, client, tmp_path):
    frame = pd.DataFrame({"msisdn": ["brak", "12"]})
    results = mmsnb.send(client, frame, subject="x", ledger=tmp_path / "ledger.sqlite", progress=False)
    polled = mmsnb.poll(client, results, progress=False)
    assert sandbox.gateway.counts["status"] == 0
    assert polled.status.isna().all() and polled.final.isna().all()


def test_poll_needs_send_results(client, tmp_path):
    with pytest.raises(mmsnb.InputError, match="message_id"):
        mmsnb.poll(client, pd.DataFrame({"msisdn": ["501000000"]}), ledger=tmp_path / "ledger.sqlite", progress=False)


def test_accessor_send_then_poll(sandbox, client, tmp_path):
    ledger = tmp_path / "ledger.sqlite"
    frame = pd.DataFrame({"msisdn": orange(3) + others(1)})
    results = frame.mms.send(client, subject="Hej", ledger=ledger, progress=False)
    polled = results.mms.poll(client, interval=0.2, timeout=30, progress=False)

    assert (results.send_state == "accepted").all()
    assert polled.final.all()
    assert polled.status.iloc[3] == "Address Not Found"
    # The ledger named in the results' attrs got the answers.
    assert set(mmsnb.history(ledger=ledger).statuses.message_id) == set(results.message_id)


def test_poll_keeps_asking_until_final(make_sandbox, tmp_path):
    # Reports arrive 0.5-0.6 s after sending (300-360 simulated seconds at 600 per second).
    sandbox = make_sandbox(time_scale=600, outcomes={"Retrieved": 1.0}, delays={"Retrieved": (300.0, 360.0)})
    client = sandbox.client(timeout=(2, 2))
    frame = pd.DataFrame({"msisdn": orange(4)})
    results = mmsnb.send(
        client, frame, subject="Hej", max_addresses=2, ledger=tmp_path / "ledger.sqlite", progress=False
    )
    polled = mmsnb.poll(client, results, interval=0.1, timeout=30, progress=False)

    assert polled.status.tolist() == ["Retrieved"] * 4
    assert polled.final.all()
    assert (polled.delivered_at >= polled.sent_at).all()


def test_poll_stops_at_timeout_with_rows_not_final(make_sandbox, tmp_path):
    sandbox = make_sandbox(time_scale=1)
    clock = VirtualClock()
    client = clock.on(sandbox.client(timeout=(2, 2)))
    results = mmsnb.send(
        client, pd.DataFrame({"msisdn": orange(2)}), subject="Hej", ledger=tmp_path / "ledger.sqlite", progress=False
    )
    polled = mmsnb.poll(client, results, timeout=600, progress=False)

    # Ten minutes of growing pauses, waited by the client's clock: the last pause is cut short at the timeout.
    assert sum(clock.slept) == pytest.approx(600)
    assert max(clock.slept) == BACKOFF[2] and clock.slept[1:3] == [
        BACKOFF[0] * BACKOFF[1],
        BACKOFF[0] * BACKOFF[1] ** 2,
    ]
    assert sandbox.gateway.counts["status"] == results.message_id.nunique() * len(clock.slept)  # one ask a pause
    assert polled.status.tolist() == ["Success", "Success"]
    assert not polled.final.any()
    assert polled.polled_at.notna().all() and polled.delivered_at.isna().all()


def test_poll_of_a_rerun_polls_the_already_sent_rows(sandbox, client, tmp_path):
    ledger = tmp_path / "ledger.sqlite"
    frame = pd.DataFrame({"msisdn": orange(3)})
    first = mmsnb.send(client, frame, subject="Hej", ledger=ledger, progress=False)
    again = mmsnb.send(client, frame, subject="Hej", ledger=ledger, progress=False)
    assert (again.send_state == "already-sent").all()
    polled = mmsnb.poll(client, again, interval=0.2, timeout=30, progress=False)

    assert polled.final.all()
    assert polled.message_id.tolist() == first.message_id.tolist()


def test_backoff_grows_to_its_cap_unless_the_interval_is_fixed():
    from itertools import islice, pairwise

    from mmsnb.polling import BACKOFF, pauses_between_rounds

    pauses = list(islice(pauses_between_rounds(None), 12))
    assert pauses[0] == BACKOFF[0]
    assert all(b > a for a, b in pairwise(pauses) if a < BACKOFF[2])
    assert max(pauses) == BACKOFF[2]
    assert list(islice(pauses_between_rounds(2.5), 5)) == [2.5] * 5


def test_polling_a_polled_frame_again_asks_nothing_and_keeps_what_it_knew(sandbox, client, tmp_path):
    frame = pd.DataFrame({"msisdn": orange(4)})
    results = mmsnb.send(
        client, frame, subject="Hej", max_addresses=2, ledger=tmp_path / "ledger.sqlite", progress=False
    )
    first = mmsnb.poll(client, results, interval=0.2, timeout=30, progress=False)
    asked = sandbox.gateway.counts["status"]
    again = mmsnb.poll(client, first, interval=0.2, timeout=30, progress=False)

    assert first.final.all() and first.delivered_at.notna().any()
    assert sandbox.gateway.counts["status"] == asked
    pd.testing.assert_frame_equal(again, first)


def test_a_message_is_first_asked_about_one_pause_after_it_was_sent(sandbox, client, tmp_path):
    frame = pd.DataFrame({"msisdn": orange(10)})
    results = mmsnb.send(client, frame, subject="Hej", group=False, ledger=tmp_path / "ledger.sqlite", progress=False)
    polled = mmsnb.poll(client, results, interval=0.5, timeout=30, progress=False)

    assert polled.final.all()
    assert sandbox.gateway.counts["status"] == 10  # every delivery ends within 0.1 s here: one question each
    assert (polled.polled_at - polled.sent_at).min() >= pd.Timedelta(seconds=0.5)
