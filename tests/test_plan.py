"""Plan, then send: what a plan promises, that making one writes nothing, and what a send records beside its rows.

Every count of what was sent is the sandbox's own (``received``), not the ledger read back.
"""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest
from helpers import orange, received_addresses

import mmsnb
from mmsnb.ledger import Ledger
from mmsnb.result_columns import CATEGORIES, SEND_STATES, SendInfo


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"msisdn": [*orange(5), "12", orange(1)[0]], "first_name": list("ABCDEFG")})


def test_a_plan_writes_nothing_and_sends_nothing(client, sandbox, frame, tmp_path):
    ledger = tmp_path / "ledger.sqlite"
    plan = mmsnb.plan(client, frame, subject="Cześć {first_name}", ledger=ledger, group=False)
    dry = mmsnb.send(client, frame, subject="Cześć {first_name}", ledger=ledger, group=False, dry_run=True)
    assert not ledger.exists() and sandbox.received == []
    assert (plan.recipients, len(plan.requests), plan.limit.available) == (5, 5, 100)
    assert {o.state for o in plan.settled.values()} == {mmsnb.SendState.INVALID, mmsnb.SendState.DUPLICATE}
    shown = plan.to_frame()
    assert shown.send_state.tolist() == ["planned"] * 5 + ["invalid", "duplicate"]
    assert shown.request_no.tolist()[:5] == [1, 2, 3, 4, 5]
    pd.testing.assert_frame_equal(shown, dry)
    assert repr(plan).startswith(f"Plan {plan.campaign!r}: 5 recipients in 5 requests; 100 requests available")
    assert "<table" in plan._repr_html_()


def test_a_plan_sends_what_it_planned_and_sending_it_again_sends_nothing(client, sandbox, frame, tmp_path):
    plan = mmsnb.plan(client, frame, subject="Cześć {first_name}", ledger=tmp_path / "l.sqlite")
    first = plan.send(progress=False)
    second = plan.send(progress=False)
    assert first.send_state.tolist() == ["accepted"] * 5 + ["invalid", "duplicate"]
    assert second.send_state.tolist() == ["already-sent"] * 5 + ["invalid", "duplicate"]
    assert second.message_id.tolist()[:5] == first.message_id.tolist()[:5]
    assert set(received_addresses(sandbox).values()) == {1} and len(received_addresses(sandbox)) == 5


def test_a_plan_reads_the_quota_again_before_it_sends(make_sandbox, frame, tmp_path):
    sandbox = make_sandbox(quota=6)
    client, other = sandbox.client(), sandbox.client()
    plan = mmsnb.plan(client, frame, subject="Hej", ledger=tmp_path / "l.sqlite", group=False)
    assert plan.shortfall() is None
    for number in orange(3, start=500):
        other.send_mms(number, subject="someone else's campaign")
    with pytest.raises(mmsnb.QuotaError, match="needs 5 requests but only 3 are available") as caught:
        plan.send(progress=False)
    assert "allow_partial=True" in str(caught.value)
    assert len(sandbox.received) == 3
    partial = plan.send(allow_partial=True, progress=False)
    assert partial.send_state.value_counts()[["accepted", "quota"]].tolist() == [3, 2]


def test_what_a_send_records_travels_with_its_frame_and_poll_uses_its_ledger(client, frame, tmp_path):
    ledger = tmp_path / "team.sqlite"
    results = mmsnb.send(client, frame, subject="Hej", ledger=ledger, campaign="spring", progress=False)
    info = results.mms.info
    assert isinstance(info, SendInfo)
    assert (info.campaign, info.ledger, info.requests, info.available) == ("spring", str(ledger), 1, 100)
    assert results.iloc[:3].mms.info == info and results.copy().mms.info == info
    assert pd.concat([results.iloc[:3], results.iloc[3:]]).mms.info == info
    polled = mmsnb.poll(client, results, timeout=30, interval=0.05, progress=False)
    with sqlite3.connect(ledger) as db:
        assert db.execute("SELECT COUNT(*) FROM statuses").fetchone()[0] >= 1
    assert polled.mms.info == info
    assert pd.DataFrame({"a": [1]}).mms.info is None


def test_states_are_str_enums_and_the_columns_are_their_categoricals(client, frame, tmp_path):
    results = mmsnb.send(client, frame, subject="Hej", ledger=tmp_path / "l.sqlite", progress=False)
    polled = mmsnb.poll(client, results, timeout=30, interval=0.05, progress=False)
    assert list(polled.send_state.cat.categories) == list(SEND_STATES) == [s.value for s in mmsnb.SendState]
    assert list(polled.status_category.cat.categories) == list(CATEGORIES) == [c.value for c in mmsnb.Category]
    assert (polled.send_state == mmsnb.SendState.ACCEPTED).sum() == 5
    assert mmsnb.SendState("already-sent") is mmsnb.SendState.ALREADY_SENT


def test_the_client_is_a_client_and_the_sandbox_behind_it_is_found(make_sandbox, tmp_path, monkeypatch):
    sandbox = make_sandbox()
    client = sandbox.client()
    for setting in ("ledger", "sandbox", "max_message_bytes"):
        assert not hasattr(client, setting)
    assert mmsnb.Sandbox.behind(client) is sandbox
    assert mmsnb.Sandbox.behind(mmsnb.Client("id", "Sekret-9f2c4e")) is None
    monkeypatch.delenv("MMSNB_LEDGER", raising=False)
    monkeypatch.chdir(tmp_path)
    results = mmsnb.send(client, pd.DataFrame({"msisdn": orange(2)}), subject="Hej", progress=False)
    assert results.mms.info.ledger == str(sandbox.ledger)
    assert len(mmsnb.history(client=client).sends) == 2
    assert list(tmp_path.iterdir()) == [], "a sandbox client's ledger was created in the working folder"
    sandbox.stop()
    assert mmsnb.Sandbox.behind(client) is None


def test_a_ledger_given_is_left_open_and_one_opened_is_closed(tmp_path):
    with Ledger(tmp_path / "given.sqlite") as given:
        with Ledger.open(given) as book:
            assert book is given
        assert given.history().sends.empty
    with Ledger.open(tmp_path / "opened.sqlite") as book:
        pass
    with pytest.raises(mmsnb.LedgerError):
        book.history()


def test_the_size_limit_is_one_rule_with_one_sentence(client, tmp_path):
    big = ("big.txt", b"x" * 2048)
    with pytest.raises(mmsnb.InputError) as direct:
        client.send_mms(orange(1), attachments=[big], max_message_bytes=1024)
    planned = mmsnb.plan(
        client,
        pd.DataFrame({"msisdn": orange(1)}),
        attachments=[big],
        max_message_bytes=1024,
        ledger=tmp_path / "l.sqlite",
    )
    assert (
        planned.to_frame().error.iloc[0]
        == str(direct.value)
        == "The attachments total 2048 bytes, 1024 bytes over the gateway's limit of 1024 bytes."
    )


def test_a_plan_keeps_its_own_copy_of_the_frame(client, sandbox, tmp_path):
    frame = pd.DataFrame({"msisdn": orange(3)})
    plan = mmsnb.plan(client, frame, subject="Hej", ledger=tmp_path / "l.sqlite", campaign="copy")
    frame.loc[2, "msisdn"] = None
    frame.loc[0, "msisdn"] = "600000000"
    results = plan.send(progress=False)
    assert results.msisdn.tolist() == orange(3) and (results.send_state == "accepted").all()
    assert received_addresses(sandbox) == {f"tel:+48{n}": 1 for n in orange(3)}


def test_a_stale_plan_leaves_out_what_another_run_sent_meanwhile(make_sandbox, tmp_path):
    sandbox = make_sandbox(quota=30)
    client = sandbox.client()
    frame = pd.DataFrame({"msisdn": orange(30)})
    options = dict(subject="Hej", ledger=tmp_path / "l.sqlite", campaign="stale", group=False)
    plan = mmsnb.plan(client, frame, **options)
    mmsnb.send(client, frame.iloc[:20], progress=False, **options)
    results = plan.send(progress=False)
    assert results.send_state.value_counts()[["already-sent", "accepted"]].tolist() == [20, 10]
    assert results.mms.info.requests == 10
    assert set(received_addresses(sandbox).values()) == {1} and len(received_addresses(sandbox)) == 30


def test_every_spelling_of_a_sandbox_shares_its_ledger(sandbox, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in sandbox.env():
        monkeypatch.delenv(name, raising=False)
    frame = pd.DataFrame({"msisdn": orange(3)})
    by_ip = sandbox.client()
    by_name = mmsnb.Client(
        sandbox.client_id, sandbox.client_secret, base_url=f"https://localhost:{sandbox.port}", verify=sandbox.ca_path
    )
    first = mmsnb.send(by_ip, frame, subject="Hej", campaign="one", progress=False)
    second = mmsnb.send(by_name, frame, subject="Hej", campaign="one", progress=False)
    monkeypatch.setenv("MMSNB_LEDGER", sandbox.env()["MMSNB_LEDGER"])
    third = mmsnb.send(
        mmsnb.Client(sandbox.client_id, sandbox.client_secret, base_url=sandbox.url, verify=sandbox.ca_path),
        frame,
        subject="Hej",
        campaign="one",
        progress=False,
    )
    assert (first.send_state == "accepted").all()
    assert (second.send_state == "already-sent").all() and (third.send_state == "already-sent").all()
    assert mmsnb.Sandbox.behind(by_name) is sandbox
    assert set(received_addresses(sandbox).values()) == {1}
    assert list(tmp_path.iterdir()) == []


def test_the_ledger_a_send_names_is_absolute_and_reading_history_creates_nothing(client, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    results = mmsnb.send(
        client, pd.DataFrame({"msisdn": orange(1)}), subject="Hej", ledger="rel.sqlite", progress=False
    )
    assert results.mms.info.ledger == str(tmp_path / "rel.sqlite")
    assert mmsnb.history("x", ledger="absent.sqlite").sends.empty
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".sqlite") == ["rel.sqlite"]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"max_message_bytes": -1}, "max_message_bytes="),
        ({"max_message_bytes": None}, "max_message_bytes="),
        ({"max_message_bytes": "300KB"}, "max_message_bytes="),
        ({"max_message_bytes": True}, "max_message_bytes="),
        ({"subjct": "Hej"}, "Did you mean subject=?"),
        ({"ledger": 123}, "ledger="),
        ({"campaign": ""}, "campaign="),
    ],
)
def test_a_bad_option_is_one_sentence_that_names_it_and_nothing_is_sent(client, sandbox, options, named, tmp_path):
    options = {"subject": "Hej", **options} if "subjct" not in options else options
    with pytest.raises(mmsnb.InputError) as caught:
        mmsnb.send(client, pd.DataFrame({"msisdn": orange(1)}), progress=False, **options)
    assert named in str(caught.value)
    assert sandbox.received == []


@pytest.mark.parametrize(("option", "value"), [("interval", "1"), ("timeout", -1), ("workers", 0)])
def test_poll_names_a_bad_option(client, option, value):
    with pytest.raises(mmsnb.InputError, match=f"{option}="):
        mmsnb.poll(client, pd.DataFrame({"message_id": ["m1"]}), **{option: value})


def test_a_stopped_sandbox_says_so_instead_of_a_tls_traceback(make_sandbox):
    sandbox = make_sandbox()
    client = sandbox.client()
    sandbox.stop()
    with pytest.raises(mmsnb.ConfigError, match=r"CA bundle .* does not exist.*sandbox has stopped"):
        client.limit()
    with pytest.raises(mmsnb.ConfigError, match="cannot start again"):
        sandbox.start()


def test_the_state_columns_hold_plain_text(client, tmp_path):
    results = mmsnb.send(
        client, pd.DataFrame({"msisdn": orange(2)}), subject="Hej", ledger=tmp_path / "l.sqlite", progress=False
    )
    assert results.send_state.value_counts().to_dict()["accepted"] == 2
    assert all(type(c) is str for c in results.send_state.cat.categories)


def test_a_send_keeps_a_quota_reading_before_and_after_it(client, tmp_path):
    ledger = tmp_path / "l.sqlite"
    mmsnb.send(client, pd.DataFrame({"msisdn": orange(3)}), subject="Hej", ledger=ledger, group=False, progress=False)
    quota = mmsnb.history(ledger=ledger).quota
    assert quota["used"].tolist() == [0, 3]


def test_a_spent_quota_does_not_offer_to_send_the_first_0(make_sandbox, tmp_path):
    sandbox = make_sandbox(quota=1)
    client = sandbox.client()
    client.send_mms(orange(1, start=900), subject="someone else's")
    with pytest.raises(mmsnb.QuotaError) as caught:
        mmsnb.send(
            client, pd.DataFrame({"msisdn": orange(1)}), subject="Hej", ledger=tmp_path / "l.sqlite", progress=False
        )
    assert "first 0" not in str(caught.value) and "Run again after the counter resets" in str(caught.value)
