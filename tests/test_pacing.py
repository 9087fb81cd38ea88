"""Pacing: "slow down" is not "maybe sent", the pace finds the gateway's limit by itself, and a rate cap holds.

No timing assertions: what is checked is what the gateway received, the ledger, and the pace's decisions.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pandas as pd
import pytest
from helpers import VirtualClock, orange, received_addresses

import mmsnb
from mmsnb.gateway_answers import retry_after
from mmsnb.pacing import START, Pace, RateCap, Ticket

REPO = Path(__file__).resolve().parent.parent


def send(client, n, tmp_path, **kwargs):
    kwargs.setdefault("ledger", tmp_path / "l.sqlite")
    return mmsnb.send(client, pd.DataFrame({"msisdn": orange(n)}), subject="Hej", progress=False, **kwargs)


# -- "slow down" is not "maybe sent" -------------------------------------------------------------


@pytest.mark.parametrize("kind, status", [("throttled", 429), ("busy", 503)])
def test_a_slow_down_answer_is_waited_out_and_the_same_intent_sent_again(sandbox, client, tmp_path, kind, status):
    sandbox.faults.faults.retry_after = 2.5
    sandbox.fail_next(kind)
    clock = VirtualClock()
    results = send(clock.on(client), 1, tmp_path)
    assert clock.slept == [2.5]  # waited as told, by the client's clock

    assert results.send_state.tolist() == ["accepted"]
    assert received_addresses(sandbox) == Counter({"tel:+48501000000": 1})
    sends = mmsnb.history(ledger=tmp_path / "l.sqlite").sends
    assert len(sends) == 1 and sends.state.tolist() == ["accepted"]  # one intent, one outcome
    assert sandbox.gateway.counts["send"] == 1  # the refused attempt never reached the gateway's logic


def test_a_503_without_retry_after_stays_unknown_and_is_not_repeated(sandbox, client, tmp_path):
    sandbox.fail_next("unavailable")
    first = send(client, 1, tmp_path)
    again = send(client, 1, tmp_path)
    assert first.send_state.tolist() == again.send_state.tolist() == ["unknown"]
    assert sandbox.received == []
    assert "retry_unknown" in again.error.iloc[0]


def test_a_wait_longer_than_max_wait_leaves_the_row_to_the_next_run(sandbox, tmp_path):
    sandbox.faults.faults.retry_after = 120
    client = sandbox.client(max_wait=5)
    sandbox.fail_next("throttled")
    first = send(client, 1, tmp_path)
    assert first.send_state.tolist() == ["quota"]
    assert "max_wait=5 s" in first.error.iloc[0] and "it asked for 120 s more" in first.error.iloc[0]
    assert sandbox.received == []
    assert mmsnb.history(ledger=tmp_path / "l.sqlite").sends.state.tolist() == ["unsent"]

    second = send(client, 1, tmp_path)
    assert second.send_state.tolist() == ["accepted"]
    assert received_addresses(sandbox) == Counter({"tel:+48501000000": 1})


def test_status_limit_and_send_mms_wait_out_a_slow_down_too(sandbox, client, tmp_path):
    sandbox.faults.faults.retry_after = 1.5
    clock = VirtualClock()
    clock.on(client)
    sandbox.fail_next("throttled", endpoint="limit")
    assert client.limit().available == 100
    sandbox.fail_next("throttled")
    result = client.send_mms("501102030", subject="Hej")
    sandbox.fail_next("busy", endpoint="status", times=2)
    assert client.delivery_status(result.message_id).message_id == result.message_id
    assert len(sandbox.received) == 1
    assert clock.slept == [1.5] * 4


def test_retry_after_is_read_as_seconds_or_as_an_http_date():
    assert retry_after("3") == 3.0
    assert retry_after("0.5") == 0.5
    assert retry_after(None) is None and retry_after("soon") is None
    later = retry_after(format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True))
    assert 60 < later <= 90
    assert retry_after(format_datetime(datetime.now(UTC) - timedelta(days=1), usegmt=True)) == 0.0


# -- the pace ---------------------------------------------------------------------------------------


def test_the_pace_doubles_halves_once_per_round_trip_and_grows_back_by_one():
    pace = Pace(start=2, ceiling=16)
    for _ in range(6):
        with pace.slot() as ticket:
            pace.healthy(ticket, latency=0.1)
    assert pace.decisions == [("grow", n) for n in range(3, 9)]  # slow start: one more per healthy answer
    stale = Ticket(epoch=0)
    pace.slow(stale)
    pace.slow(stale)  # a second answer from the same round trip does not halve again
    assert pace.limit == 4 and pace.decisions[-1] == ("halve", 4)
    for _ in range(4 + 5):
        with pace.slot() as ticket:
            pace.healthy(ticket, latency=0.1)
    assert pace.decisions[-2:] == [("grow", 5), ("grow", 6)]  # additive: one more per `limit` healthy answers
    with pace.slot() as ticket:
        pace.healthy(ticket, latency=0.5)  # latency climbed past twice the best: no growth
    assert pace.limit == 6


def test_a_fixed_pace_never_moves():
    pace = Pace(ceiling=4, fixed=True)
    with pace.slot() as ticket:
        pace.healthy(ticket, 0.1)
        pace.slow(ticket)
    assert pace.limit == 4 and pace.decisions == []


def test_the_pace_finds_the_gateways_limit_and_nobody_is_lost_or_sent_twice(make_sandbox, tmp_path):
    sandbox = make_sandbox(quota=1000, latency=0.02, max_in_flight=4, faults=mmsnb.Faults(retry_after=0.1))
    client = sandbox.client(timeout=(5, 10))
    results = send(client, 300, tmp_path, group=False)

    assert (results.send_state == "accepted").all()
    assert received_addresses(sandbox) == Counter({"tel:+48" + n: 1 for n in orange(300)})
    decisions = results.mms.info.in_flight
    assert ("halve", 4) in decisions or any(d == "halve" for d, _ in decisions)
    assert max(n for _, n in decisions) >= 5  # it tried more than the gateway allowed, and was told


def test_random_slow_downs_lose_nobody_and_send_nobody_twice(make_sandbox, tmp_path):
    sandbox = make_sandbox(quota=1000, faults=mmsnb.Faults(throttled=0.2, busy=0.05, retry_after=2))
    clock = VirtualClock()
    client = clock.on(sandbox.client(timeout=(5, 10)))
    results = send(client, 200, tmp_path, group=False)
    assert clock.slept and set(clock.slept) == {2.0}  # every slow-down waited out as asked, by the client's clock
    assert (results.send_state == "accepted").all()
    assert received_addresses(sandbox) == Counter({"tel:+48" + n: 1 for n in orange(200)})
    assert len(mmsnb.history(ledger=tmp_path / "l.sqlite").sends) == 200  # one intent per request


def test_workers_keep_a_fixed_pool_and_bad_values_are_named(sandbox, client, tmp_path):
    results = send(client, 5, tmp_path, group=False, workers=2)
    assert (results.send_state == "accepted").all() and results.mms.info.in_flight == ()
    for bad in (dict(workers="fast"), dict(workers=0), dict(max_workers=0), dict(rate="lots")):
        with pytest.raises(mmsnb.InputError, match=f"{next(iter(bad))}="):
            send(client, 1, tmp_path, **bad)


# -- the rate cap ------------------------------------------------------------------------------------


class Clock:
    """Time that moves only when something sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_the_rate_cap_spaces_requests_evenly():
    clock = Clock()
    cap = RateCap.parse("20/s", clock=lambda: clock.now, sleep=clock.sleep)
    for _ in range(5):
        cap.wait()
    assert clock.slept == [0.05] * 4  # the first goes at once, each next one 1/20 s later
    assert RateCap.parse("600/min").interval == pytest.approx(0.1) and RateCap.parse("3600 / h").interval == 1.0


def test_a_rate_capped_campaign_against_a_rate_limited_sandbox_is_never_told_to_slow_down(make_sandbox, tmp_path):
    sandbox = make_sandbox(quota=1000, rate="40/s")
    client = sandbox.client(timeout=(5, 10))
    results = send(client, 60, tmp_path, group=False, rate="20/s")
    assert (results.send_state == "accepted").all()
    assert not any(d == "halve" for d, _ in results.mms.info.in_flight)
    assert len(sandbox.received) == 60


def test_the_command_line_sandbox_says_slow_down():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mmsnb",
            "sandbox",
            "--port",
            "0",
            "--stop-after",
            "60",
            "--fault",
            "throttled=1",
            "--retry-after",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    env = {}
    for line in process.stdout:
        if line.startswith("# serving"):
            break
        if "MMSNB_" in line:
            name, _, value = line.strip().removeprefix("export ").partition("=")
            env[name] = value
    try:
        client = mmsnb.Client(
            env["MMSNB_CLIENT_ID"],
            env["MMSNB_CLIENT_SECRET"],
            base_url=env["MMSNB_BASE_URL"],
            verify=env["MMSNB_CA_BUNDLE"],
            max_wait=0.5,
        )
        with pytest.raises(mmsnb.ThrottledError, match="HTTP 429"):
            client.limit()
    finally:
        process.terminate()
        process.communicate(timeout=30)


# -- a killed run leaves in doubt only what was really under way --------------------------------------

CHILD = """
import pandas as pd, mmsnb
client = mmsnb.Client.from_env()
frame = pd.DataFrame({{"msisdn": [f"501{{i:06d}}" for i in range(40)]}})
mmsnb.send(client, frame, subject="Hej", campaign="K", ledger={ledger!r}, group=False, progress=False)
"""


def run_child_until(sandbox, tmp_path, condition):
    """Start a child sending 40 one-address requests, SIGKILL it once ``condition()`` holds."""
    import time

    ledger = tmp_path / "l.sqlite"
    env = {**os.environ, **sandbox.env(), "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(ledger=str(ledger))],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120  # a guard against hanging, not a timing assertion
        while not condition(ledger):
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.005)
    finally:
        child.kill()
        child.wait()
    return ledger


@pytest.mark.slow
def test_a_killed_run_leaves_unknown_only_the_requests_that_had_their_place_in_flight(make_sandbox, tmp_path):
    sandbox = make_sandbox(quota=1000, latency=1.0)
    ledger = run_child_until(sandbox, tmp_path, lambda _: len(sandbox.received) >= 2)
    by_child = set(received_addresses(sandbox))
    sandbox.latency = 0
    results = send(sandbox.client(), 40, tmp_path, campaign="K", ledger=ledger, group=False)

    # No answer came back before the kill (1 s latency): only the first START requests had a place in flight.
    unknown = set(results.address[results.send_state == "unknown"])
    assert len(unknown) <= START, "intents were written for requests that had no place in flight yet"
    assert len(unknown - by_child) <= START - 2
    counts = received_addresses(sandbox)
    assert max(counts.values()) == 1
    assert set(counts) | unknown == {"tel:+48" + n for n in orange(40)}


@pytest.mark.slow
def test_a_run_killed_while_waiting_out_a_slow_down_leaves_that_request_to_the_next_run(make_sandbox, tmp_path):
    import sqlite3

    sandbox = make_sandbox(quota=1000, faults=mmsnb.Faults(retry_after=60))
    sandbox.fail_next("throttled")

    def waiting(ledger):
        try:
            with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as db:
                return db.execute("SELECT COUNT(*) FROM requests WHERE state = 'throttled'").fetchone()[0] == 1
        except sqlite3.OperationalError:  # not created yet
            return False

    ledger = run_child_until(sandbox, tmp_path, waiting)
    results = send(sandbox.client(), 40, tmp_path, campaign="K", ledger=ledger, group=False)

    states = set(results.send_state.astype(str))
    assert states <= {"accepted", "already-sent", "unknown"}
    counts = received_addresses(sandbox)
    assert max(counts.values()) == 1
    unknown = set(results.address[results.send_state == "unknown"])
    assert set(counts) | unknown == {"tel:+48" + n for n in orange(40)}
    throttled = mmsnb.history(ledger=ledger).sends.query("state == 'throttled'").address.tolist()
    assert len(throttled) == 1 and counts[throttled[0]] == 1  # the request told to wait was sent by the next run


def test_max_wait_counts_the_time_spent_not_only_the_waits(make_sandbox):
    sandbox = make_sandbox(latency=0.2, faults=mmsnb.Faults(retry_after=0))
    sandbox.fail_next("throttled", times=1000)
    client = sandbox.client(max_wait=1)
    with pytest.raises(mmsnb.ThrottledError, match="max_wait=1 s"):
        client.send_mms("501000001", subject="Hej")
    assert (
        sandbox.faults._scripted["send"] and len(sandbox.faults._scripted["send"]) > 990
    )  # a handful of tries, not 1000


@pytest.mark.parametrize("value", ["30", None, float("nan"), float("inf"), -1])
def test_a_bad_max_wait_is_a_sentence(sandbox, value):
    with pytest.raises(mmsnb.ConfigError, match="max_wait= must be a number of seconds"):
        sandbox.client(max_wait=value)


def test_a_sandbox_rate_slower_than_one_a_second_admits_one_per_interval(make_sandbox):
    sandbox = make_sandbox(rate="30/min")
    client = sandbox.client(max_wait=0)
    assert client.limit().available == 100
    with pytest.raises(mmsnb.ThrottledError):
        client.limit()
    with pytest.raises(mmsnb.ConfigError, match="max_in_flight="):
        mmsnb.Sandbox(max_in_flight="3")
