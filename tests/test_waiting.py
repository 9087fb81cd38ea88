"""Campaigns larger than the quota and sending hours, against the sandbox on a virtual clock.

The client waits by a virtual clock (``client.clock``/``client.sleep``/``client.now``) and the sandbox keeps
its quota window and its receive times by the same clock (its behaviour's), so a wait of hours takes no time.
What the gateway received, and when, is counted at the sandbox.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from helpers import SATURDAY_10, WallClock, orange, received_addresses

import mmsnb
from mmsnb.app.page import standing
from mmsnb.errors import InputError, QuotaError
from mmsnb.ledger import CampaignState, Ledger
from mmsnb.sandbox import Behaviour, Faults
from mmsnb.words import Speaker

WARSAW = ZoneInfo("Europe/Warsaw")


def each_once(sandbox, numbers: list[str]) -> bool:
    return received_addresses(sandbox) == Counter({f"tel:+48{n}": 1 for n in numbers})


def local_times(sandbox) -> list[datetime]:
    return [r.received_at.astimezone(WARSAW) for r in sandbox.received]


def state_of(ledger, campaign: str) -> dict:
    """The state columns of ``campaign``'s row of :func:`mmsnb.campaigns`."""
    return mmsnb.campaigns(ledger).loc[campaign, ["state", "state_reason", "state_until"]].to_dict()


@pytest.fixture
def clock() -> WallClock:
    return WallClock()


@pytest.fixture
def small_quota(make_sandbox, clock):
    """A sandbox allowing 3 requests a minute (by the virtual clock)."""
    return make_sandbox(quota=3, window=60.0, behaviour=Behaviour(clock=clock.wall))


def test_a_campaign_of_several_quota_windows_completes_when_it_waits(small_quota, clock, tmp_path, capsys):
    client = clock.on(small_quota.client())
    numbers = orange(10)
    frame = pd.DataFrame({"msisdn": numbers})
    ledger = tmp_path / "l.sqlite"
    with pytest.raises(QuotaError):  # without waiting, as before: refused whole
        mmsnb.send(client, frame, subject="Hej", group=False, ledger=ledger, progress=False)
    assert small_quota.received == []

    results = mmsnb.send(
        client, frame, subject="Hej", group=False, campaign="big", ledger=ledger, wait_for_quota=True, progress=True
    )

    assert results.send_state.astype(str).tolist() == ["accepted"] * 10
    assert each_once(small_quota, numbers)
    assert len(small_quota.received) == 10  # one request each: 4 quota windows (3 + 3 + 3 + 1)
    minutes = Counter(int((r.received_at - SATURDAY_10).total_seconds() // 60) for r in small_quota.received)
    assert sorted(minutes.values()) == [1, 3, 3, 3] and max(minutes.values()) <= 3  # never over the quota
    assert sum(clock.slept) >= 180  # it waited for three resets, by the virtual clock
    assert small_quota.gateway.counts["limit"] >= 4  # every wait ends by reading the limit again
    bar = capsys.readouterr().err
    assert "big: waiting for the quota to reset (the gateway said on 5 December 2026), until Saturday" in bar
    assert "(Europe/Warsaw)" in bar
    state = state_of(ledger, "big")
    assert state["state"] == "finished"


def test_a_window_that_opens_later_sends_nothing_before_it(make_sandbox, tmp_path, capsys):
    clock = WallClock(SATURDAY_10 - timedelta(seconds=5))  # 09:59:55 in Warsaw
    sandbox = make_sandbox(behaviour=Behaviour(clock=clock.wall))
    client = clock.on(sandbox.client())
    numbers = orange(6)
    results = send(client, numbers, tmp_path / "l.sqlite", window="10:00-20:00", campaign="morning", progress=None)
    assert results.send_state.astype(str).tolist() == ["accepted"] * 6
    assert each_once(sandbox, numbers)
    assert min(r.received_at for r in sandbox.received) >= SATURDAY_10
    assert sum(clock.slept) == pytest.approx(5.0)
    assert (
        "morning: waiting for the sending hours to open (10:00-20:00, Europe/Warsaw), until Saturday, "
        "5 December 2026, 10:00 (Europe/Warsaw)" in capsys.readouterr().err
    )


def test_a_start_time_holds_the_campaign_back(make_sandbox, tmp_path):
    clock = WallClock()
    sandbox = make_sandbox(behaviour=Behaviour(clock=clock.wall))
    client = clock.on(sandbox.client())
    numbers = orange(3)
    send(client, numbers, tmp_path / "l.sqlite", group=True, start_at="2026-12-06 09:30")  # Sunday, Warsaw time
    assert each_once(sandbox, numbers)
    assert {t.strftime("%a %H:%M") for t in local_times(sandbox)} == {"Sun 09:30"}


def send(client, numbers: list[str], ledger, **options: Any) -> pd.DataFrame:
    """``mmsnb.send`` of "Hej" to ``numbers``, a request each, recorded in ``ledger``; ``options`` add or override."""
    settings: dict[str, Any] = {"subject": "Hej", "group": False, "ledger": ledger, "progress": False, **options}
    return mmsnb.send(client, pd.DataFrame({"msisdn": numbers}), **settings)


def slow_gateway(make_sandbox, clock: WallClock, seconds: float = 20.0):
    """A sandbox whose every recipient takes ``seconds`` of the virtual clock (so time passes while sending)."""
    return make_sandbox(behaviour=Behaviour(clock=clock.wall, hook=lambda sent: clock.advance(seconds)))


def test_a_window_that_closes_mid_campaign_pauses_it_until_the_next_opening(make_sandbox, tmp_path):
    clock = WallClock(datetime(2026, 12, 5, 18, 59, tzinfo=UTC))  # Saturday 19:59 in Warsaw
    sandbox = slow_gateway(make_sandbox, clock)
    client = clock.on(sandbox.client())
    numbers = orange(6)
    results = send(client, numbers, tmp_path / "l.sqlite", workers=1, window="10:00-20:00", days="Mon-Sat")
    assert results.send_state.astype(str).tolist() == ["accepted"] * 6
    assert each_once(sandbox, numbers)
    sent = [t.strftime("%a %H:%M:%S") for t in local_times(sandbox)]
    assert sent[:3] == ["Sat 19:59:00", "Sat 19:59:20", "Sat 19:59:40"]  # the fourth's turn came at 20:00: closed
    assert sent[3] == "Mon 10:00:00"  # Sunday is not a sending day


def test_with_waiting_off_the_rest_stays_paused_and_a_second_send_finishes(make_sandbox, tmp_path):
    clock = WallClock(datetime(2026, 12, 5, 18, 59, tzinfo=UTC))
    sandbox = slow_gateway(make_sandbox, clock)
    client = clock.on(sandbox.client())
    numbers, ledger = orange(6), tmp_path / "l.sqlite"
    options = {
        "subject": "Hej",
        "group": False,
        "workers": 1,
        "campaign": "evening",
        "ledger": ledger,
        "window": "10:00-20:00",
        "wait_for_hours": False,
        "progress": False,
    }
    first = mmsnb.send(client, pd.DataFrame({"msisdn": numbers}), **options)
    assert first.send_state.astype(str).tolist() == ["accepted"] * 3 + ["paused"] * 3
    assert first.error.iloc[3] == (
        "Not sent: outside the sending hours (10:00-20:00, Europe/Warsaw); they open next on Sunday, "
        "6 December 2026, 10:00. Send the campaign again then to resume it."
    )
    assert len(sandbox.received) == 3 and clock.slept == []
    state = state_of(ledger, "evening")
    assert state["state"] == "paused"
    assert state["state_until"] == pd.Timestamp("2026-12-06 10:00", tz="Europe/Warsaw")
    assert "outside the sending hours" in state["state_reason"]

    again = mmsnb.send(client, pd.DataFrame({"msisdn": numbers}), **options)  # still closed: nothing leaves
    assert again.send_state.astype(str).tolist() == ["already-sent"] * 3 + ["paused"] * 3
    assert len(sandbox.received) == 3

    clock.advance(15 * 3600)  # Sunday 10:59
    last = mmsnb.send(client, pd.DataFrame({"msisdn": numbers}), **options)
    assert last.send_state.astype(str).tolist() == ["already-sent"] * 3 + ["accepted"] * 3
    assert each_once(sandbox, numbers)
    assert state_of(ledger, "evening")["state"] == "finished"


def test_campaign_states_while_waiting_and_after_an_interrupted_wait(small_quota, clock, tmp_path):
    client = clock.on(small_quota.client())
    numbers, ledger = orange(5), tmp_path / "l.sqlite"
    seen: list[dict] = []

    def sleep(seconds: float) -> None:
        seen.append(state_of(ledger, "waits"))
        raise KeyboardInterrupt

    client.sleep = sleep
    with pytest.raises(KeyboardInterrupt):
        send(client, numbers, ledger, campaign="waits", wait_for_quota=True)
    waiting = seen[0]
    assert waiting["state"] == "waiting-for-quota"
    assert waiting["state_until"] == pd.Timestamp(SATURDAY_10 + timedelta(seconds=30)).tz_convert("Europe/Warsaw")
    assert "the quota to reset" in waiting["state_reason"]
    interrupted = state_of(ledger, "waits")
    assert interrupted["state"] == "interrupted" and pd.isna(interrupted["state_until"])
    assert "waiting for the quota" in interrupted["state_reason"]
    with Ledger(ledger) as book:  # nothing claimed but unsent: the three sent, nothing under way
        assert book.history("waits").sends.state.astype(str).tolist() == ["accepted"] * 3
    assert len(small_quota.received) == 3

    clock.on(client)
    resumed = send(client, numbers, ledger, campaign="waits", wait_for_quota=True)
    assert resumed.send_state.astype(str).tolist() == ["already-sent"] * 3 + ["accepted"] * 2
    assert each_once(small_quota, numbers)
    assert state_of(ledger, "waits")["state"] == "finished"


def test_a_quota_used_up_without_waiting_is_paused_until_the_reset(small_quota, clock, tmp_path):
    client = clock.on(small_quota.client())
    ledger = tmp_path / "l.sqlite"
    results = send(client, orange(5), ledger, campaign="part", allow_partial=True)
    assert results.send_state.astype(str).tolist() == ["accepted"] * 3 + ["quota"] * 2
    state = state_of(ledger, "part")
    assert state["state"] == "paused" and "quota is used up" in state["state_reason"]
    assert state["state_until"] == pd.Timestamp("2026-12-05 00:00", tz="Europe/Warsaw")


def test_states_on_postgresql(make_sandbox, pg_url):
    clock = WallClock(datetime(2026, 12, 5, 20, 0, tzinfo=UTC))  # Saturday 21:00 in Warsaw
    sandbox = make_sandbox(behaviour=Behaviour(clock=clock.wall))
    client = clock.on(sandbox.client())
    options = {"subject": "Hej", "ledger": pg_url, "window": "08:00-20:00", "progress": False}
    paused = mmsnb.send(client, pd.DataFrame({"msisdn": orange(2)}), campaign="night", wait_for_hours=False, **options)
    assert paused.send_state.astype(str).tolist() == ["paused"] * 2 and sandbox.received == []
    mmsnb.send(client, pd.DataFrame({"msisdn": orange(2, 10)}), campaign="morning", **options)
    table = mmsnb.campaigns(pg_url)
    assert table.loc["night", "state"] == "paused"
    assert table.loc["night", "state_until"] == pd.Timestamp("2026-12-06 08:00", tz="Europe/Warsaw")
    assert table.loc["morning", "state"] == "finished" and table.loc["morning", "accepted"] == 2
    polish = Speaker("pl")  # as the app's past campaigns show it
    assert standing(table.loc["night", "state"], table.loc["night", "state_until"], polish) == (
        "Wstrzymana do 6 grudnia 2026, 08:00"
    )
    assert standing("waiting-for-quota", pd.NaT, Speaker("en")) == "Waiting for the message limit to reset"
    assert [r.received_at.astimezone(WARSAW).strftime("%a %H:%M") for r in sandbox.received] == ["Sun 08:00"]


def test_a_schema_3_ledger_gains_campaign_states(sandbox, tmp_path):
    path = tmp_path / "v3.sqlite"
    client = sandbox.client()
    mmsnb.send(client, pd.DataFrame({"msisdn": orange(1)}), subject="Hej", campaign="old", ledger=path, progress=False)
    with sqlite3.connect(path) as conn:  # what the previous version wrote
        conn.execute("DROP TABLE campaign_states")
        conn.execute("UPDATE schema_version SET version = 3")
        conn.execute("PRAGMA user_version = 3")
    assert pd.isna(mmsnb.campaigns(path).loc["old", "state"])  # reading brings it up to date; no state recorded
    mmsnb.send(client, pd.DataFrame({"msisdn": orange(2)}), subject="Hej", campaign="old", ledger=path, progress=False)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(4,)]
    assert mmsnb.campaigns(path).loc["old", "state"] == "finished"


@pytest.mark.parametrize(
    ("options", "fix"),
    [
        ({"window": "8 to 20"}, "window"),
        ({"days": "weekdays"}, "days"),
        ({"tz": "Warsaw"}, "tz"),
        ({"start_at": "tomorrow"}, "start_at"),
    ],
)
def test_unreadable_hours_are_refused_before_anything_is_sent(sandbox, tmp_path, options, fix):
    client = sandbox.client()
    with pytest.raises(InputError) as refused:
        mmsnb.send(client, pd.DataFrame({"msisdn": orange(1)}), subject="Hej", ledger=tmp_path / "l", **options)
    assert refused.value.fix is not None and refused.value.fix.option == fix
    assert sandbox.received == [] and not (tmp_path / "l").exists()


# -- the command line ------------------------------------------------------------------------------


@pytest.fixture
def cli(sandbox, tmp_path, monkeypatch, capsys):
    """``cli(*args)``: ``mmsnb ARGS`` in this process against ``sandbox`` (its exit status, stdout, stderr)."""
    from mmsnb.cli import main

    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("MMSNB_")]:
        monkeypatch.delenv(name)
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        assert "Traceback" not in err, err
        return code, out, err

    return run


def test_the_command_line_stops_outside_its_hours_and_campaigns_shows_it(sandbox, cli):
    opening = datetime.now(WARSAW).replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    closed = f"{opening:%H}:00-{(opening.hour + 1) % 24:02d}:00"  # hours that are not now
    code, out, err = cli("send", "501102030", "--subject", "Hej", "--campaign", "later", "--hours", closed,
                         "--stop-outside-hours")  # fmt: skip
    assert code == 1 and sandbox.received == []
    assert f"tel:+48501102030: not sent (paused): outside the sending hours ({closed}, Europe/Warsaw); " in err
    code, out, _ = cli("campaigns")
    assert code == 0
    line = next(line for line in out.splitlines() if line.startswith("later"))
    assert line.endswith(f"Paused until {opening:%Y-%m-%d %H:%M}")


def test_the_command_line_names_its_own_option_for_unreadable_hours(sandbox, cli):
    code, _, err = cli("send", "501102030", "--subject", "Hej", "--hours", "8-20")
    assert code == 2 and sandbox.received == []
    assert err.strip() == (
        "mmsnb: The sending hours '8-20' are not understood: write them as two times of day, opening and closing, "
        "such as '08:00-20:00' (--hours '08:00-20:00')."
    )


# -- the Composer ----------------------------------------------------------------------------------


def test_the_composers_switch_sends_a_campaign_larger_than_the_limit(make_sandbox, clock, tmp_path):
    from mmsnb.widgets import Composer

    sandbox = make_sandbox(quota=1, window=60.0, behaviour=Behaviour(clock=clock.wall))
    numbers = orange(120)  # three requests of up to 50 numbers: three quota windows
    form = Composer(clock.on(sandbox.client()), ledger=tmp_path / "l.sqlite", interval=0.05)
    try:
        form.recipients.text.value = "\n".join(numbers)
        form.subject.value = "Hej"
        form.send_button.click()
        assert "needs 3 requests but only 1 are available" in form.status.value  # off: refused, as before
        assert form.wait_for_quota.description == "Wait for the message limit to reset"
        form.wait_for_quota.value = True
        form.send_button.click()
        assert "The rest is sent after the limit resets." in form.confirm_text.value
        form.confirm_button.click()
        assert list(form.results.send_state.astype(str)) == ["accepted"] * 120
    finally:
        form.close()
    assert each_once(sandbox, numbers) and len(sandbox.received) == 3


def test_the_composers_switch_speaks_polish(client):
    from mmsnb.widgets import Composer

    form = Composer(client, lang="pl")
    try:
        assert form.wait_for_quota.description == "Czekaj na odnowienie limitu wiadomości"
    finally:
        form.close()


# -- the plan's summary ------------------------------------------------------------------------------


def test_the_plan_says_when_it_would_start_and_roughly_end(make_sandbox, clock, tmp_path):
    sandbox = make_sandbox(quota=3, behaviour=Behaviour(clock=clock.wall))  # a day's window: it resets tomorrow
    client = clock.on(sandbox.client())
    frame, ledger = pd.DataFrame({"msisdn": orange(10)}), tmp_path / "l.sqlite"
    plan = mmsnb.plan(client, frame, subject="Hej", group=False, ledger=ledger)
    assert repr(plan).endswith(
        "3 requests available; nothing skipped. It would start now and end around Tuesday, 8 December 2026, 00:00 "
        "(Europe/Warsaw; at about 5 requests a second; with wait_for_quota=True, after 3 quota resets)."
    )  # 3 today, 3 on each of the next two days, the last one on the third
    assert plan.when(window="08:00-20:00", days="Mon-Fri", rate="1/min") == (
        "It would start on Monday, 7 December 2026, 08:00 (Europe/Warsaw) and end around Thursday, "
        "10 December 2026, 08:01 (Europe/Warsaw; at about 1 request a minute; with wait_for_quota=True, "
        "after 3 quota resets)."
    )  # the quota renews on Sunday, before the hours open
    assert mmsnb.plan(client, frame.head(3), subject="Hej", ledger=ledger).when(start_at="2026-12-05 18:00") == (
        "It would start on Saturday, 5 December 2026, 18:00 (Europe/Warsaw) and end around Saturday, "
        "5 December 2026, 18:00 (Europe/Warsaw; at about 5 requests a second)."
    )
    dry = mmsnb.send(client, frame, subject="Hej", group=False, ledger=ledger, dry_run=True, window="12:00-14:00")
    assert dry.mms.info.starts == "2026-12-05T11:00:00+00:00"
    assert dry.mms.info.ends == "2026-12-08T11:00:00.200000+00:00"
    assert sandbox.received == [] and not ledger.exists()


# -- a run that dies ------------------------------------------------------------------------------

CHILD = """
import sys

import pandas as pd

import mmsnb

numbers = sys.argv[2].split(",")
mmsnb.send(
    mmsnb.Client.from_env(), pd.DataFrame({"msisdn": numbers}), subject="Hej", group=False, campaign="killed",
    ledger=sys.argv[1], wait_for_quota=True, progress=False,
)
"""


def test_a_process_killed_while_it_waits_reads_as_interrupted_and_a_later_send_finishes(make_sandbox, tmp_path):
    sandbox = make_sandbox(quota=3)  # a day's window: the child sends three, then waits for the quota
    numbers, ledger = orange(5), tmp_path / "l.sqlite"
    mine = {name: value for name, value in os.environ.items() if not name.startswith("MMSNB_")}
    env = {**mine, **sandbox.env(), "PYTHONPATH": str(Path(mmsnb.__file__).parents[1])}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(ledger), ",".join(numbers)], env=env)
    try:
        deadline = time.monotonic() + 120
        while (
            not ledger.exists()
            or "killed" not in mmsnb.campaigns(ledger).index
            or (state_of(ledger, "killed")["state"] != "waiting-for-quota")
        ):
            assert child.poll() is None and time.monotonic() < deadline, "the child never waited for the quota"
            time.sleep(0.1)
    finally:
        child.kill()
        child.wait()
    state = state_of(ledger, "killed")
    assert state["state"] == "interrupted" and "waiting for the quota" in state["state_reason"]
    assert len(sandbox.received) == 3

    sandbox.reset_quota()  # the reset the child waited for
    again = mmsnb.send(
        sandbox.client(), pd.DataFrame({"msisdn": numbers}), subject="Hej", group=False, campaign="killed",
        ledger=ledger, progress=False,
    )  # fmt: skip
    assert again.send_state.astype(str).tolist() == ["already-sent"] * 3 + ["accepted"] * 2
    assert each_once(sandbox, numbers)
    assert state_of(ledger, "killed")["state"] == "finished"


def test_a_quota_refusal_mid_campaign_is_waited_out_and_the_refused_request_sent_after(make_sandbox, clock, tmp_path):
    def others_spend_the_rest(sent) -> None:  # another campaign on the same account uses the quota up meanwhile
        if sent.address == "tel:+48501000000":
            sandbox.gateway._used = sandbox.gateway.quota

    sandbox = make_sandbox(quota=5, window=60.0, behaviour=Behaviour(clock=clock.wall, hook=others_spend_the_rest))
    client = clock.on(sandbox.client())
    numbers = orange(5)
    results = send(client, numbers, tmp_path / "l.sqlite", workers=1, wait_for_quota=True)
    assert results.send_state.astype(str).tolist() == ["accepted"] * 5
    assert each_once(sandbox, numbers)
    assert [int((r.received_at - SATURDAY_10).total_seconds() // 60) for r in sandbox.received] == [0, 1, 1, 1, 1]


def test_a_schema_3_postgresql_ledger_gains_campaign_states(pg_url):
    import psycopg

    Ledger(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as conn:  # what the previous version wrote
        conn.execute("DROP TABLE campaign_states")
        conn.execute("UPDATE schema_version SET version = 3")
    with Ledger(pg_url + "?application_name=v3") as book:  # a new URL spelling checks the version (a new process)
        book.set_state("old", CampaignState.FINISHED)
        assert book.history().states.campaign.tolist() == ["old"]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(4,)]


def test_a_slow_down_waited_out_past_the_hours_is_not_sent_until_they_open(make_sandbox, tmp_path):
    clock = WallClock(datetime(2026, 12, 5, 18, 59, 58, tzinfo=UTC))  # Saturday 19:59:58 in Warsaw
    sandbox = make_sandbox(behaviour=Behaviour(clock=clock.wall), faults=Faults(retry_after=5.0))
    sandbox.fail_next("throttled")  # "slow down, come back in 5 s": past 20:00
    client = clock.on(sandbox.client())
    numbers = orange(2)
    results = send(client, numbers, tmp_path / "l.sqlite", workers=1, window="10:00-20:00")
    assert results.send_state.astype(str).tolist() == ["accepted"] * 2
    assert each_once(sandbox, numbers)
    assert {t.strftime("%a %H:%M") for t in local_times(sandbox)} == {"Sun 10:00"}
