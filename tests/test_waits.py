"""While a request waits out a "slow down", the rules still hold: an opt-out recorded meanwhile by another
process, or another campaign reaching the number within ``min_gap``, keeps it from being sent again.

The sandbox answers the first send 429 (``Retry-After: 0``); what happens meanwhile is done while the
sandbox holds that answer, so it lands after the request claimed its recipients and before it is sent
again. Counted at the gateway (the sandbox's ``received``), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from helpers import orange, received_addresses

import mmsnb

REPO = Path(__file__).resolve().parent.parent

OPT_OUT = """
import sys, mmsnb
print("ready", flush=True)
numbers = sys.stdin.readline().split()
print(mmsnb.opt_out(numbers, reason="replied STOP").result.tolist(), flush=True)
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request, tmp_path) -> str:
    """A ledger on each engine: a SQLite file, and a database on the real PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "ledger.sqlite")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def opt_out_process(ledger, tmp_path):
    """``opt_out(numbers)``: another process, started and waiting beforehand, records the opt-outs and
    returns its results once they are committed."""
    env = {**os.environ, "MMSNB_LEDGER": ledger, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", OPT_OUT],
        env=env,
        cwd=tmp_path,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout.readline().strip() == "ready", child.stderr.read()

    def opt_out(numbers: list[str]) -> str:
        child.stdin.write(" ".join(numbers) + "\n")
        child.stdin.flush()
        return child.stdout.readline().strip()

    yield opt_out
    child.communicate(timeout=60)
    assert child.returncode == 0


def while_waiting(sandbox, monkeypatch, action: Callable[[], object]) -> list:
    """Throttle the next send, and run ``action()`` while the sandbox holds that 429; its result is appended
    to the list returned."""
    sandbox.fail_next("throttled")
    pick, done, armed = sandbox.faults.pick, [], threading.Event()

    def picking(endpoint: str) -> str | None:
        fault = pick(endpoint)
        if endpoint == "send" and fault == "throttled" and not armed.is_set():
            armed.set()
            done.append(action())
        return fault

    monkeypatch.setattr(sandbox.faults, "pick", picking)
    return done


def history(ledger: str, campaign: str) -> pd.DataFrame:
    return mmsnb.history(campaign, ledger=ledger).sends


def test_an_opt_out_recorded_while_a_request_waits_is_honoured(make_sandbox, ledger, opt_out_process, monkeypatch):
    sandbox = make_sandbox(faults=mmsnb.Faults(retry_after=0))
    client = sandbox.client(timeout=(5, 60))
    meanwhile = while_waiting(sandbox, monkeypatch, lambda: opt_out_process(["501000000"]))
    frame = pd.DataFrame({"msisdn": orange(1)})

    results = mmsnb.send(client, frame, subject="Hej", campaign="spring", ledger=ledger, progress=False)

    assert meanwhile == ["['opted-out']"]
    assert sandbox.received == []
    assert results.send_state.astype(str).tolist() == ["opted-out"]
    assert "replied STOP" in results.error.iloc[0]
    assert history(ledger, "spring").state.astype(str).tolist() == ["unsent"]
    # The claim is free again: once the number opts back in, the campaign reaches it, once.
    mmsnb.opt_in("501000000", ledger=ledger)
    again = mmsnb.send(client, frame, subject="Hej", campaign="spring", ledger=ledger, progress=False)
    assert again.send_state.astype(str).tolist() == ["accepted"]
    assert received_addresses(sandbox) == Counter({"tel:+48501000000": 1})


def test_the_rest_of_a_waiting_request_goes_out_without_the_number_that_opted_out(
    make_sandbox, ledger, opt_out_process, monkeypatch
):
    sandbox = make_sandbox(faults=mmsnb.Faults(retry_after=0))
    client = sandbox.client(timeout=(5, 60))
    meanwhile = while_waiting(sandbox, monkeypatch, lambda: opt_out_process(["501000001"]))
    frame = pd.DataFrame({"msisdn": orange(3)})

    results = mmsnb.send(client, frame, subject="Hej", campaign="spring", ledger=ledger, group=True, progress=False)

    assert meanwhile == ["['opted-out']"]
    assert received_addresses(sandbox) == Counter({"tel:+48501000000": 1, "tel:+48501000002": 1})
    assert len(sandbox.received) == 1  # one request, to the two left
    states = results.set_index("address").send_state.astype(str)
    assert states.to_dict() == {
        "tel:+48501000000": "accepted",
        "tel:+48501000001": "opted-out",
        "tel:+48501000002": "accepted",
    }
    sends = history(ledger, "spring")
    assert sorted(sends.address) == ["tel:+48501000000", "tel:+48501000002"]
    assert set(sends.state.astype(str)) == {"accepted"}


def test_min_gap_holds_against_a_campaign_that_reached_the_number_while_a_request_waited(
    make_sandbox, ledger, monkeypatch
):
    sandbox = make_sandbox(faults=mmsnb.Faults(retry_after=0))
    client = sandbox.client(timeout=(5, 60))
    frame = pd.DataFrame({"msisdn": orange(2)})

    def other_campaign() -> pd.DataFrame:
        with sandbox.client() as other:
            return mmsnb.send(other, frame.iloc[:1], subject="Y", campaign="Y", ledger=ledger, progress=False)

    meanwhile = while_waiting(sandbox, monkeypatch, other_campaign)
    results = mmsnb.send(
        client, frame, subject="X", campaign="X", ledger=ledger, min_gap="7D", group=True, progress=False
    )

    assert meanwhile[0].send_state.astype(str).tolist() == ["accepted"]
    assert received_addresses(sandbox) == Counter({"tel:+48501000000": 1, "tel:+48501000001": 1})
    states = results.set_index("address").send_state.astype(str)
    assert states.to_dict() == {"tel:+48501000000": "too-soon", "tel:+48501000001": "accepted"}
    assert "'Y'" in results.error.iloc[0] and "min_gap=7D" in results.error.iloc[0]
    assert history(ledger, "X").address.tolist() == ["tel:+48501000001"]


def test_min_gap_keeps_a_waiting_request_for_one_number_from_following_another_campaign(
    make_sandbox, ledger, monkeypatch
):
    sandbox = make_sandbox(faults=mmsnb.Faults(retry_after=0))
    client = sandbox.client(timeout=(5, 60))
    frame = pd.DataFrame({"msisdn": orange(1)})

    def other_campaign() -> pd.DataFrame:
        with sandbox.client() as other:
            return mmsnb.send(other, frame, subject="Y", campaign="Y", ledger=ledger, progress=False)

    meanwhile = while_waiting(sandbox, monkeypatch, other_campaign)
    results = mmsnb.send(client, frame, subject="X", campaign="X", ledger=ledger, min_gap="7D", progress=False)

    assert meanwhile[0].send_state.astype(str).tolist() == ["accepted"]
    assert received_addresses(sandbox) == Counter({"tel:+48501000000": 1})
    assert [r.subject for r in sandbox.received] == ["Y"]
    assert results.send_state.astype(str).tolist() == ["too-soon"]
    assert history(ledger, "X").state.astype(str).tolist() == ["unsent"]
