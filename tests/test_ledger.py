"""The ledger: intent before and outcome after each request, history frames, and a killed run resumed
(on a SQLite file and on a real PostgreSQL server)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from helpers import orange

import mmsnb
from mmsnb.ledger import REQUEST_STATES
from mmsnb.result_columns import CATEGORIES

REPO = Path(__file__).resolve().parent.parent
SENDS_COLUMNS = [
    "campaign",
    "request_no",
    "content_key",
    "address",
    "delivery_report",
    "state",
    "message_id",
    "http_status",
    "error_code",
    "error",
    "intent_at",
    "sent_at",
]
STATUSES_COLUMNS = ["campaign", "message_id", "address", "status", "category", "final", "polled_at"]
QUOTA_COLUMNS = ["read_at", "used", "available", "resets_on"]


def is_utc(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.DatetimeTZDtype) and str(series.dt.tz) == "UTC"


def check_history_dtypes(history: mmsnb.History) -> None:
    sends, statuses, quota = history.sends, history.statuses, history.quota
    assert list(sends.columns) == SENDS_COLUMNS
    assert list(statuses.columns) == STATUSES_COLUMNS
    assert list(quota.columns) == QUOTA_COLUMNS
    for column in ("campaign", "content_key", "address", "message_id", "error"):
        assert isinstance(sends[column].dtype, pd.StringDtype), column
    assert sends.request_no.dtype == "int64"
    assert sends.delivery_report.dtype == bool
    assert list(sends.state.cat.categories) == list(REQUEST_STATES)
    assert sends.http_status.dtype == "Int64" and sends.error_code.dtype == "Int64"
    assert is_utc(sends.intent_at) and is_utc(sends.sent_at)
    for column in ("campaign", "message_id", "address", "status"):
        assert isinstance(statuses[column].dtype, pd.StringDtype), column
    assert list(statuses.category.cat.categories) == list(CATEGORIES)
    assert statuses.final.dtype == bool
    assert is_utc(statuses.polled_at)
    assert quota.used.dtype == "int64" and quota.available.dtype == "int64"
    assert is_utc(quota.read_at) and is_utc(quota.resets_on)


def test_history_of_a_sent_and_polled_campaign(sandbox, client, tmp_path):
    ledger = tmp_path / "ledger.sqlite"
    frame = pd.DataFrame({"msisdn": [*orange(7), "790000001"]})
    results = mmsnb.send(client, frame, subject="Hej", campaign="lato", ledger=ledger, max_addresses=5, progress=False)
    polled = mmsnb.poll(client, results, interval=0.2, timeout=30, progress=False)
    history = mmsnb.history("lato", ledger=ledger)

    check_history_dtypes(history)
    sends = history.sends
    # One row per recipient per request, each with the message id the gateway gave.
    assert sorted(sends.address) == sorted(results.address)
    assert (sends.state == "accepted").all() and (sends.campaign == "lato").all()
    assert sorted(sends.request_no.unique()) == [1, 2]
    got = dict(zip(sends.address, sends.message_id, strict=True))
    assert got == {a: r.message_id for r in sandbox.received for a in r.addresses}
    assert (sends.intent_at <= sends.sent_at).all()
    assert sends.delivery_report.all()
    # Every status answer, per address, with the last one matching the polled frame.
    last = history.statuses.groupby("address").last()
    assert last.loc[polled.address, "status"].tolist() == polled.status.tolist()
    assert set(history.statuses.message_id) == set(results.message_id)
    # The quota readings before and after the send.
    assert history.quota.used.tolist() == [0, 2] and history.quota.available.tolist() == [100, 98]  # 2 requests


def test_history_of_an_empty_ledger_has_the_same_columns_and_dtypes(tmp_path):
    history = mmsnb.history(ledger=tmp_path / "empty.sqlite")
    assert history.sends.empty and history.statuses.empty and history.quota.empty
    check_history_dtypes(history)


def test_history_filters_by_campaign(sandbox, client, tmp_path):
    ledger = mmsnb.Ledger(tmp_path / "ledger.sqlite")
    try:
        mmsnb.send(
            client, pd.DataFrame({"msisdn": orange(2)}), subject="A", campaign="a", ledger=ledger, progress=False
        )
        mmsnb.send(
            client, pd.DataFrame({"msisdn": orange(3, 10)}), subject="B", campaign="b", ledger=ledger, progress=False
        )
        assert set(mmsnb.history("a", ledger=ledger).sends.address) == {"tel:+48501000000", "tel:+48501000001"}
        assert len(mmsnb.history("b", ledger=ledger).sends) == 3
        assert len(mmsnb.history(ledger=ledger).sends) == 5
        assert len(mmsnb.history(ledger=ledger).quota) == 4  # a reading before and after each send
    finally:
        ledger.close()


def test_outcomes_that_are_not_acceptance_are_recorded(make_sandbox, tmp_path):
    sandbox = make_sandbox(quota=2)
    client = sandbox.client(timeout=(2, 2))
    ledger = tmp_path / "ledger.sqlite"
    sandbox.fail_next("drop_after")
    frame = pd.DataFrame({"msisdn": orange(3)})
    mmsnb.send(client, frame, subject="Hej", group=False, workers=1, ledger=ledger, allow_partial=True, progress=False)
    sends = mmsnb.history(ledger=ledger).sends

    # Row 3 never got past the pre-check, so it has no request at all.
    assert sends.state.astype(str).tolist() == ["unknown", "accepted"]
    assert sends.address.tolist() == ["tel:+48501000000", "tel:+48501000001"]
    dropped = sends.iloc[0]
    assert pd.isna(dropped.message_id) and "dropped" in dropped.error
    assert pd.notna(dropped.intent_at) and pd.notna(dropped.sent_at)
    assert sends.message_id.iloc[1] == sandbox.received[-1].message_id


CHILD = """
import pandas as pd
import mmsnb
client = mmsnb.Client.from_env()
frame = pd.read_csv({csv!r}, dtype=str)
mmsnb.send(client, frame, subject="Awaria", campaign="crash", ledger={ledger!r}, group=False, workers=2, progress=False)
print("finished")
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request, tmp_path) -> str:
    """A ledger on each engine: a SQLite file, and a database of the tests' PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "ledger.sqlite")
    return request.getfixturevalue("pg_url")


@pytest.mark.slow
def test_killed_run_resumes_without_sending_anything_twice(make_sandbox, tmp_path, ledger):
    """A child process sends 3 000 rows one request each; it is SIGKILLed mid-run and the campaign resumed here."""
    sandbox = make_sandbox(quota=10_000)
    csv = tmp_path / "crash.csv"
    frame = pd.DataFrame({"msisdn": orange(3000), "first_name": "Ola"})
    frame.to_csv(csv, index=False)
    env = {**os.environ, **sandbox.env(), "PYTHONPATH": str(REPO)}
    with open(tmp_path / "child.log", "wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD.format(csv=str(csv), ledger=str(ledger))],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 120  # a guard against hanging, not a timing assertion
            while len(sandbox.received) <= 50:
                assert child.poll() is None, (tmp_path / "child.log").read_text()
                assert time.monotonic() < deadline, "the child sent nothing"
                time.sleep(0.005)
            child.send_signal(signal.SIGKILL)
        finally:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    killed_at = len(sandbox.received)
    assert killed_at < 3000

    client = sandbox.client(timeout=(5, 10))
    try:
        results = mmsnb.send(
            client,
            pd.read_csv(csv, dtype=str),
            subject="Awaria",
            campaign="crash",
            ledger=ledger,
            group=False,
            workers=16,
            progress=False,
        )
    finally:
        client.close()

    received = [(a, r.message_id) for r in sandbox.received for a in r.addresses]
    counts = Counter(a for a, _ in received)
    assert max(counts.values()) == 1, [a for a, n in counts.items() if n > 1][:5]

    states = results.send_state.astype(str)
    assert set(states) <= {"accepted", "already-sent", "unknown"}
    assert len(results) == 3000
    unknown = set(results.address[states == "unknown"])
    assert len(unknown) <= 2, "more requests in doubt than the killed run had workers"
    assert (states == "already-sent").sum() >= 50 - len(unknown)
    assert results.loc[states == "unknown", "error"].str.contains("retry_unknown").all()
    # Every row reached the gateway exactly once, except unknowns that the gateway may never have seen.
    assert set(counts) | unknown == set(results.address)
    # The ledger's accepted message ids are the gateway's, one for one.
    sends = mmsnb.history("crash", ledger=ledger).sends
    accepted = sends[sends.state == "accepted"]
    assert accepted.address.is_unique
    assert dict(zip(accepted.address, accepted.message_id, strict=True)) == {
        a: m for a, m in received if a not in unknown
    }
    # The unknown rows are the requests whose intent was written and whose outcome never was.
    in_doubt = sends[sends.state == "sending"]
    assert set(in_doubt.address) == unknown
    assert in_doubt.sent_at.isna().all()
    ids = results.set_index("address").message_id
    assert all(ids[a] == m for a, m in received if a not in unknown)
