"""Attacks on the promise of stored campaigns (nothing twice, nothing lost, nothing by a side door) across
pauses, kills and resumes, counted at the gateway on a virtual clock."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from helpers import WallClock, orange, received_addresses

import mmsnb
from mmsnb.ledger import Ledger
from mmsnb.sandbox import Behaviour, Faults

REPO = Path(__file__).resolve().parent.parent

WARSAW = ZoneInfo("Europe/Warsaw")


def test_a_resume_keeps_the_sending_hours_the_campaign_was_sent_with(make_sandbox, tmp_path):
    clock = WallClock()
    sandbox = make_sandbox(quota=3, window=60.0, behaviour=Behaviour(clock=clock.wall))
    client = clock.on(sandbox.client())
    ledger = tmp_path / "l.sqlite"
    numbers = orange(6)
    sent = mmsnb.send(
        client,
        pd.DataFrame({"msisdn": numbers}),
        subject="Hej",
        group=False,
        campaign="daytime",
        ledger=ledger,
        window="08:00-20:00",
        allow_partial=True,
        progress=False,
    )
    assert sent.send_state.astype(str).tolist() == ["accepted"] * 3 + ["quota"] * 3
    clock.advance(12 * 3600)  # 22:00: the quota renewed long ago, the sending hours are closed

    results = mmsnb.resume("daytime", client=client, ledger=ledger, progress=False)

    assert results.send_state.astype(str).tolist() == ["already-sent"] * 3 + ["accepted"] * 3
    assert received_addresses(sandbox) == {f"tel:+48{n}": 1 for n in numbers}
    hours = [r.received_at.astimezone(WARSAW) for r in sandbox.received]
    assert all(8 <= at.hour < 20 for at in hours), hours  # never at night, though the resume named no hours
    assert min(hours[3:]) == datetime(2026, 12, 6, 8, 0, tzinfo=WARSAW)  # waited for Sunday's opening


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_resume_sends_the_content_of_the_campaigns_latest_send(make_sandbox, tmp_path, request, engine):
    sandbox = make_sandbox(quota=2)
    client = sandbox.client()
    ledger = tmp_path / "l.sqlite" if engine == "sqlite" else request.getfixturevalue("pg_url")
    numbers = orange(5)
    frame = pd.DataFrame({"msisdn": numbers})
    options = {"group": False, "campaign": "sale", "ledger": ledger, "allow_partial": True, "progress": False}
    mmsnb.send(client, frame, subject="Wyprzedaż -50 %", **options)  # the price was wrong
    sandbox.reset_quota()
    fixed = mmsnb.send(client, frame, subject="Wyprzedaż -20 %", **options)  # corrected, sent again
    assert fixed.send_state.astype(str).tolist() == ["already-sent"] * 2 + ["accepted"] * 2 + ["quota"]
    sandbox.reset_quota()

    mmsnb.resume("sale", client=client, ledger=ledger, progress=False)

    assert received_addresses(sandbox) == {f"tel:+48{n}": 1 for n in numbers}
    subjects = {r.addresses[0]: r.subject for r in sandbox.received}
    assert subjects[f"tel:+48{numbers[4]}"] == "Wyprzedaż -20 %"  # as the latest send said, not the wrong price


def test_a_stored_campaign_shows_neither_its_files_nor_its_numbers(sandbox, tmp_path, jpeg):
    ledger = tmp_path / "l.sqlite"
    numbers = orange(3)
    frame = pd.DataFrame({"msisdn": numbers})
    mmsnb.send(sandbox.client(), frame, subject="Hej", attachments=("promo.jpg", jpeg), ledger=ledger, progress=False)
    with Ledger(ledger) as book:
        (campaign,) = mmsnb.campaigns(book).index
        kept = book.stored(campaign)
    assert kept is not None and list(kept.files.values()) == [sandbox.received[0].attachments[0].data]
    shown = repr(kept)
    assert len(shown) < 200 and "\\x" not in shown and not any(n in shown for n in numbers), shown
    assert "3 recipients, 1 message, 1 file of" in shown


HOLDING = """
import pandas as pd, mmsnb
frame = pd.DataFrame({"msisdn": [f"501{i:06d}" for i in range(6)]})
mmsnb.send(mmsnb.Client.from_env(), frame, subject="Hej", campaign="held", group=False, workers=1, progress=False)
"""


def test_a_resume_beside_a_live_send_does_not_call_the_campaign_finished(make_sandbox, tmp_path):
    sandbox = make_sandbox(faults=Faults(slow_seconds=20.0))
    sandbox.fail_next("slow")  # the first request of the send stays under way
    ledger = tmp_path / "team.sqlite"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MMSNB_")}
    env = {**clean, **sandbox.env(), "MMSNB_LEDGER": str(ledger), "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", HOLDING], cwd=tmp_path, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not sandbox.received:
            assert child.poll() is None and time.monotonic() < deadline, child.stderr
            time.sleep(0.01)
        results = mmsnb.resume("held", client=sandbox.client(), ledger=ledger, progress=False)
        assert results.send_state.astype(str).tolist() == ["in-progress"] + ["accepted"] * 5
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()

    assert received_addresses(sandbox) == {f"tel:+48{n}": 1 for n in orange(6)}
    state = mmsnb.campaigns(ledger).loc["held", ["state", "state_reason"]].tolist()
    assert state[0] == "interrupted", state  # its first request died under way: not finished
    assert "resume it (mmsnb resume), or send it again" in state[1]  # the way on, for the marketer


def test_a_resume_keeps_the_rules_of_the_campaigns_latest_send(make_sandbox, tmp_path):
    sandbox = make_sandbox(quota=2)
    client = sandbox.client()
    ledger = tmp_path / "l.sqlite"
    numbers = orange(4)
    frame = pd.DataFrame({"msisdn": numbers})
    options = {"subject": "Hej", "group": False, "campaign": "a", "ledger": ledger, "progress": False}
    mmsnb.send(client, frame, allow_partial=True, **options)  # two sent, two left for the quota
    sandbox.reset_quota()
    other = {"ledger": ledger, "progress": False}
    mmsnb.send(client, pd.DataFrame({"msisdn": [numbers[2]]}), subject="Inna", campaign="b", **other)
    mmsnb.send(client, pd.DataFrame({"msisdn": orange(1)}), subject="Jeszcze", campaign="c", **other)  # quota used
    again = mmsnb.send(client, frame, allow_partial=True, min_gap="7D", **options)  # a rule added: at most weekly
    assert again.send_state.astype(str).tolist() == ["already-sent"] * 2 + ["too-soon", "quota"]
    sandbox.reset_quota()

    results = mmsnb.resume("a", client=client, ledger=ledger, progress=False)

    assert results.send_state.astype(str).tolist() == ["already-sent"] * 2 + ["too-soon", "accepted"]
    got = received_addresses(sandbox)
    assert got[f"tel:+48{numbers[2]}"] == 1 and got[f"tel:+48{numbers[3]}"] == 1  # campaign b's, and a's to the last


def test_a_campaign_paused_for_the_quota_says_the_day_in_words(make_sandbox, tmp_path):
    clock = WallClock()
    sandbox = make_sandbox(quota=1, window=60.0, behaviour=Behaviour(clock=clock.wall))
    client = clock.on(sandbox.client())
    ledger = tmp_path / "l.sqlite"
    frame = pd.DataFrame({"msisdn": orange(2)})
    mmsnb.send(client, frame, subject="Hej", group=False, ledger=ledger, allow_partial=True, progress=False)
    reason = mmsnb.campaigns(ledger).state_reason.iloc[0]
    assert reason == "The quota is used up; the gateway said it resets on 5 December 2026."


def test_a_resume_with_nothing_left_to_send_finishes_the_paused_campaign(make_sandbox, tmp_path):
    sandbox = make_sandbox(quota=2)
    client = sandbox.client()
    ledger = tmp_path / "l.sqlite"
    numbers = orange(4)
    options = {"subject": "Hej", "group": False, "campaign": "s", "ledger": ledger, "progress": False}
    mmsnb.send(client, pd.DataFrame({"msisdn": numbers}), allow_partial=True, **options)
    assert mmsnb.campaigns(ledger).loc["s", "state"] == "paused"
    mmsnb.opt_out(numbers[2:], reason="replied STOP", ledger=ledger)  # the two left opt out meanwhile
    sandbox.reset_quota()

    results = mmsnb.resume("s", client=client, ledger=ledger, progress=False)

    assert results.send_state.astype(str).tolist() == ["already-sent"] * 2 + ["opted-out"] * 2
    assert received_addresses(sandbox) == {f"tel:+48{n}": 1 for n in numbers[:2]}
    assert mmsnb.campaigns(ledger).loc["s", "state"] == "finished"  # not paused for ever with nothing left
    mmsnb.send(client, pd.DataFrame({"msisdn": ["123"]}), subject="x", campaign="none", ledger=ledger, progress=False)
    assert "none" not in mmsnb.campaigns(ledger).index  # a send of nothing adds no campaign


def test_mmsnb_resume_at_a_terminal_says_what_it_waits_for(sandbox, tmp_path):
    import fcntl
    import pty
    import struct
    import termios

    ledger = tmp_path / "team.sqlite"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MMSNB_")}
    env = {**clean, **sandbox.env(), "MMSNB_LEDGER": str(ledger), "PYTHONPATH": str(REPO)}
    start = (datetime.now(UTC) + timedelta(days=1)).isoformat()  # far enough that nothing races it
    sent = [sys.executable, "-m", "mmsnb", "send", "501000000", "--subject", "Hej", "--campaign", "later"]
    paused = subprocess.run([*sent, "--start", start, "--stop-outside-hours"], env=env, capture_output=True, text=True)
    assert "not sent (paused)" in paused.stdout + paused.stderr and sandbox.received == []
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 200, 0, 0))  # a terminal 200 wide
    with subprocess.Popen(
        [sys.executable, "-m", "mmsnb", "resume", "later"], env=env, stdout=follower, stderr=follower
    ) as child:
        os.close(follower)
        said, give_up = b"", time.monotonic() + 120  # a guard against a silent wait, not a measurement
        with suppress(OSError):  # the terminal closes when the child ends
            while b"until" not in said and time.monotonic() < give_up:
                if select.select([leader], [], [], 1)[0]:
                    said += os.read(leader, 4096)
        child.send_signal(signal.SIGINT)  # the wait said what it waits for: interrupt it, as a person would
        child.wait(timeout=60)
    os.close(leader)
    assert "later: waiting for its start time, until" in said.decode(), said  # not a silent wait
    assert sandbox.received == []  # and nothing left before the start time
