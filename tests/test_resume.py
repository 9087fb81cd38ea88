"""A campaign is stored in the ledger when it is sent, and ``mmsnb.resume`` / ``mmsnb resume`` finish it from
the ledger alone: after a kill, in another folder, in two processes at once; opt-outs and ``min_gap`` recorded
since the plan hold; an older ledger is upgraded with its history unchanged. Counted at the gateway."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from helpers import orange, received_addresses, run_together

import mmsnb
from mmsnb.ledger import Ledger
from mmsnb.ledger.schema import SCHEMA_VERSION
from mmsnb.resuming import rebuilt_plan

REPO = Path(__file__).resolve().parent.parent
#: A ledger written by mmsnb before campaigns were stored (schema 3): campaign "spring-v3" sent to three of
#: four numbers (the quota ran out for the fourth), its statuses polled, and 501102033 opted out.
LEDGER_V3 = REPO / "tests" / "data" / "ledger-v3.db"


def environment(sandbox: mmsnb.Sandbox, ledger: str | os.PathLike[str]) -> dict[str, str]:
    """This process's environment without any MMSNB_ setting, then the sandbox's settings and ``ledger``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MMSNB_")}
    return {**clean, **sandbox.env(), "MMSNB_LEDGER": str(ledger), "PYTHONPATH": str(REPO)}


# -- killed mid-campaign, finished from another folder ------------------------------------------------------

KILLED = """
import pandas as pd, mmsnb
frame = pd.read_csv("campaign.csv", dtype=str).set_index("customer")
mmsnb.send(mmsnb.Client.from_env(), frame, subject="Cześć {name}!", attachments="promo.jpg", campaign="autumn",
           group=False, workers=2, progress=False)
"""


def _start_and_kill(sandbox: mmsnb.Sandbox, folder: Path, env: dict[str, str], after: int) -> int:
    """Run :data:`KILLED` in ``folder`` and SIGKILL it once the gateway has received ``after`` requests;
    how many it had received by then."""
    child = subprocess.Popen([sys.executable, "-c", KILLED], cwd=folder, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(sandbox.received) < after:
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        assert time.monotonic() < deadline, "the child sent nothing"
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    return len(sandbox.received)


def test_a_campaign_killed_mid_send_is_finished_by_mmsnb_resume_from_another_folder(make_sandbox, tmp_path, jpeg):
    sandbox = make_sandbox(latency=0.3)
    numbers = orange(40)
    laptop, elsewhere = tmp_path / "laptop", tmp_path / "elsewhere"
    laptop.mkdir()
    elsewhere.mkdir()
    (laptop / "promo.jpg").write_bytes(jpeg)
    names = [f"Ola{i}" for i in range(len(numbers))]
    frame = pd.DataFrame({"customer": [f"c{i}" for i in range(len(numbers))], "msisdn": numbers, "name": names})
    frame.to_csv(laptop / "campaign.csv", index=False)
    env = environment(sandbox, tmp_path / "team.sqlite")

    before = _start_and_kill(sandbox, laptop, env, after=5)
    assert before < len(numbers), "the kill came after the campaign ended"
    shutil.rmtree(laptop)  # the frame and the files are gone: only the ledger is left

    done = subprocess.run(
        [sys.executable, "-m", "mmsnb", "resume", "autumn"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert "Traceback" not in done.stderr, done.stderr
    lines = (done.stdout + done.stderr).splitlines()
    kinds = {"sent, message id": "sent", "already sent at": "already-sent", "not sent (unknown)": "unknown"}
    said = {line.split(": ")[0]: kind for line in lines for words, kind in kinds.items() if f": {words}" in line}
    addresses = [f"tel:+48{n}" for n in numbers]
    assert sorted(said) == sorted(addresses) and len(lines) == len(addresses), lines  # each row accounted for once
    unknown = {a for a, kind in said.items() if kind == "unknown"}
    assert 0 < sum(kind == "sent" for kind in said.values()) < len(numbers)
    assert done.returncode == (1 if unknown else 0), done.stderr

    got = received_addresses(sandbox)
    assert all(got[a] == 1 for a in addresses if a not in unknown), got  # sent once: before the kill or after
    assert all(got[a] <= 1 for a in unknown), got  # in doubt: reported, not sent again
    assert set(got) <= set(addresses)  # an unknown one may not have arrived: its run died before it left
    subjects = {r.addresses[0]: r.subject for r in sandbox.received}
    expected = {f"tel:+48{n}": f"Cześć {name}!" for n, name in zip(numbers, names, strict=True)}
    assert subjects == {a: expected[a] for a in got}
    assert {r.attachments[0].data for r in sandbox.received} == {jpeg}  # the file came from the ledger
    assert sorted(p.name for p in elsewhere.iterdir()) == []  # the ledger named by the setting, nothing written here


# -- two processes resuming at once ---------------------------------------------------------------------------

RESUMING = """
import sys, mmsnb
client = mmsnb.Client.from_env()
print("ready", flush=True)
sys.stdin.readline()
results = mmsnb.resume("winter", client=client, workers=4, progress=False)
print(",".join(f"{a}={s}" for a, s in zip(results.address, results.send_state.astype(str))))
"""


def test_two_processes_resuming_one_campaign_at_once_send_each_number_once(make_sandbox, pg_url, tmp_path):
    sandbox = make_sandbox(quota=20, latency=0.02)
    numbers = orange(80)
    client = sandbox.client()
    first = mmsnb.send(
        client,
        pd.DataFrame({"msisdn": numbers}),
        subject="Zima",
        attachments=("zima.txt", b"Zimowa oferta"),
        campaign="winter",
        ledger=pg_url,
        group=False,
        allow_partial=True,
        progress=False,
    )
    assert first.send_state.astype(str).value_counts().to_dict() == {"accepted": 20, "quota": 60}
    sandbox.reset_quota()
    sandbox.gateway.quota = 1000  # a larger contract from now on: room for the rest
    folders = [tmp_path / "one", tmp_path / "two"]
    for folder in folders:
        folder.mkdir()
    said = run_together([(RESUMING, folder, environment(sandbox, pg_url)) for folder in folders])

    assert received_addresses(sandbox) == Counter({f"tel:+48{n}": 1 for n in numbers})
    states = [dict(pair.split("=") for pair in out.strip().split(",")) for out in said]
    for address in (f"tel:+48{n}" for n in numbers):
        both = {states[0][address], states[1][address]}
        assert both <= {"accepted", "already-sent", "in-progress"}
        assert [states[0][address], states[1][address]].count("accepted") <= 1
    accepted = {a for s in states for a, state in s.items() if state == "accepted"}
    assert len(accepted) == 60  # the 60 left over, shared between the two
    assert {r.attachments[0].data for r in sandbox.received} == {b"Zimowa oferta"}  # kept in the database


# -- the rules hold at resume time -----------------------------------------------------------------------------


def test_an_opt_out_and_a_recent_contact_recorded_after_the_send_hold_at_resume(make_sandbox, tmp_path):
    sandbox = make_sandbox(quota=3)
    client = sandbox.client()
    ledger = tmp_path / "ledger.sqlite"
    numbers = orange(6)
    frame = pd.DataFrame(
        {"msisdn": numbers, "name": list("abcdef")}, index=pd.Index([10, 11, 12, 13, 14, 15], name="id")
    )
    sent = mmsnb.send(
        client,
        frame,
        subject="Hej {name}",
        campaign="spring",
        ledger=ledger,
        min_gap="7D",
        group=False,
        allow_partial=True,
        progress=False,
    )
    assert sent.send_state.astype(str).tolist() == ["accepted"] * 3 + ["quota"] * 3
    mmsnb.opt_out(numbers[3], reason="replied STOP", ledger=ledger)
    sandbox.reset_quota()
    other = mmsnb.send(client, pd.DataFrame({"msisdn": [numbers[4]]}), subject="Inna", ledger=ledger, progress=False)
    assert other.send_state.astype(str).tolist() == ["accepted"]
    del frame, sent  # nothing of the first send is needed any more

    rebuilt = rebuilt_plan(client, "spring", ledger)
    assert rebuilt.to_frame().send_state.astype(str).tolist() == ["already-sent"] * 3 + [
        "opted-out",
        "too-soon",
        "planned",
    ]
    results = mmsnb.resume("spring", client=client, ledger=ledger, progress=False)
    assert results.index.tolist() == [10, 11, 12, 13, 14, 15] and results.index.name == "id"
    assert results.msisdn.tolist() == numbers
    assert results.send_state.astype(str).tolist() == ["already-sent"] * 3 + ["opted-out", "too-soon", "accepted"]
    assert "replied STOP" in results.error.iloc[3]
    assert received_addresses(sandbox) == Counter({f"tel:+48{n}": 1 for n in numbers if n != numbers[3]})
    assert [r.subject for r in sandbox.received if r.addresses == (f"tel:+48{numbers[5]}",)] == ["Hej f"]
    again = mmsnb.resume("spring", client=client, ledger=ledger, progress=False)
    assert again.send_state.astype(str).tolist() == ["already-sent"] * 3 + ["opted-out", "too-soon", "already-sent"]
    assert len(sandbox.received) == 5  # three, the other campaign's one, and the one resumed


def test_a_later_send_adds_its_new_recipients_and_keeps_the_first_ones(sandbox, tmp_path):
    client = sandbox.client()
    ledger = tmp_path / "ledger.sqlite"
    mmsnb.send(client, pd.DataFrame({"msisdn": orange(2)}), subject="Hej", campaign="c", ledger=ledger, progress=False)
    mmsnb.send(client, pd.DataFrame({"msisdn": orange(3)}), subject="Hej", campaign="c", ledger=ledger, progress=False)
    with Ledger(ledger) as book:
        kept = book.stored("c")
    assert kept is not None and [r.number for r in kept.recipients] == orange(3)
    assert (
        mmsnb.resume("c", client=client, ledger=ledger, progress=False).send_state.astype(str).tolist()
        == ["already-sent"] * 3
    )


def test_rows_of_several_contents_per_number_come_back_with_their_labels_of_several_levels(make_sandbox, tmp_path):
    sandbox = make_sandbox(quota=2)
    client = sandbox.client()
    ledger = tmp_path / "ledger.sqlite"
    index = pd.MultiIndex.from_tuples([("north", 1), ("north", 2), ("south", 1), ("south", 2)], names=["shop", "n"])
    numbers = [orange(1)[0], orange(1)[0], *orange(2, 1)]
    frame = pd.DataFrame({"phone": numbers, "offer": ["tea", "cake", "tea", "tea"]}, index=index)
    sent = mmsnb.send(
        client,
        frame,
        to="phone",
        subject="Dziś {offer}",
        per_row=True,
        campaign="offers",
        ledger=ledger,
        group=False,
        allow_partial=True,
        progress=False,
    )
    assert sent.send_state.astype(str).tolist() == ["accepted", "quota", "accepted", "quota"]  # by content
    sandbox.reset_quota()
    results = mmsnb.resume("offers", client=client, ledger=ledger, progress=False)
    assert results.index.equals(index) and results.phone.tolist() == numbers
    assert results.send_state.astype(str).tolist() == ["already-sent", "accepted", "already-sent", "accepted"]
    got = Counter((r.addresses[0], r.subject) for r in sandbox.received)
    assert got == Counter({(f"tel:+48{n}", f"Dziś {offer}"): 1 for n, offer in zip(numbers, frame.offer, strict=True)})


# -- refusals ---------------------------------------------------------------------------------------------------


def test_a_campaign_the_ledger_does_not_hold_is_refused_with_what_to_do(sandbox, tmp_path):
    client = sandbox.client()
    ledger = tmp_path / "ledger.sqlite"
    with pytest.raises(mmsnb.InputError, match=r"does not exist, so it holds no campaign 'nope'\. Pass ledger="):
        mmsnb.resume("nope", client=client, ledger=ledger)
    assert not ledger.exists()
    mmsnb.send(client, pd.DataFrame({"msisdn": orange(1)}), subject="Hej", campaign="c", ledger=ledger, progress=False)
    with pytest.raises(mmsnb.InputError, match=r"holds no campaign 'nope'\. Check its name"):
        mmsnb.resume("nope", client=client, ledger=ledger)
    with pytest.raises(mmsnb.InputError, match=r"resume\(\) has no option worker=\. Did you mean workers=\?"):
        mmsnb.resume("c", client=client, ledger=ledger, worker=2)  # type: ignore[call-arg]
    assert len(sandbox.received) == 1


# -- schema 4: the upgrade, and no stored bytes in the history ---------------------------------------------------


def test_a_schema_3_sqlite_ledger_is_upgraded_with_its_history_unchanged(sandbox, tmp_path):
    path = tmp_path / "v3.sqlite"
    shutil.copy(LEDGER_V3, path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(3,)]
        raw = {
            t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in ("requests", "claims", "statuses")
        }
    with Ledger(path) as book:
        history = book.history()
        assert book.stored("spring-v3") is None and book.sent_before("spring-v3")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        assert conn.execute("PRAGMA user_version").fetchall() == [(SCHEMA_VERSION,)]
        assert {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in raw} == raw
    assert history.sends.state.astype(str).tolist() == ["accepted"] * 3
    assert len(history.statuses) == 3 and mmsnb.opted_out(path).address.tolist() == ["tel:+48501102033"]
    with pytest.raises(mmsnb.InputError, match="sent by an older mmsnb, which did not store its messages"):
        mmsnb.resume("spring-v3", client=sandbox.client(), ledger=path)
    assert sandbox.received == []


def test_a_schema_3_postgresql_ledger_is_upgraded_with_its_history_unchanged(sandbox, pg_url):
    import psycopg

    client = sandbox.client()
    mmsnb.send(
        client, pd.DataFrame({"msisdn": orange(3)}), subject="Hej", campaign="old", ledger=pg_url, progress=False
    )
    before = mmsnb.history(ledger=pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:  # what schema 3 was: the same, less the stored campaign
        for table in ("stored_campaigns", "stored_messages", "stored_recipients", "stored_files"):
            conn.execute(f"DROP TABLE {table}")
        conn.execute("UPDATE schema_version SET version = 3")
    upgraded = pg_url + "?application_name=upgraded"  # a new spelling: this process checks its version anew
    after = mmsnb.history(ledger=upgraded)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        assert conn.execute("SELECT COUNT(*) FROM stored_files").fetchall() == [(0,)]
    pd.testing.assert_frame_equal(after.sends, before.sends)
    with pytest.raises(mmsnb.InputError, match="sent by an older mmsnb"):
        mmsnb.resume("old", client=client, ledger=upgraded)


def test_the_stored_bytes_appear_in_no_history_frame(sandbox, tmp_path, jpeg):
    client = sandbox.client()
    ledger = tmp_path / "ledger.sqlite"
    (tmp_path / "promo.jpg").write_bytes(jpeg)
    frame = pd.DataFrame({"msisdn": orange(4)})
    mmsnb.send(client, frame, subject="Hej", attachments=str(tmp_path / "promo.jpg"), ledger=ledger, progress=False)
    mmsnb.send(client, frame, subject="Hej 2", attachments=str(tmp_path / "promo.jpg"), ledger=ledger, progress=False)
    with sqlite3.connect(ledger) as conn:  # stored once, as sent (its metadata removed)
        files = conn.execute("SELECT data FROM stored_files").fetchall()
    assert len(files) == 1 and files[0][0] == sandbox.received[0].attachments[0].data
    history = mmsnb.history(ledger=ledger)
    frames = [history.sends, history.statuses, history.quota, mmsnb.campaigns(ledger=ledger)]
    for shown in frames:
        for column in shown.columns:
            values = shown[column].astype(object).tolist()
            assert not any(isinstance(v, (bytes, bytearray, memoryview)) for v in values), column
            assert not any(isinstance(v, str) and len(v) > 1000 for v in values), column
