"""Nobody gets a message twice and nothing leaves by a side door, counted at the gateway (the sandbox's ``received``).

Two threads and two processes on one ledger, five spellings of one file, a number on two rows,
the CLI run twice, the demo; a redirecting gateway with a plain-HTTP collector behind it; files
named in a partner's CSV; float32 numbers; a broken character in one row.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import TOKEN, Server, orange, received_addresses, run_together, send_together, token_or

import mmsnb
from mmsnb.media import Media
from mmsnb.rows import _AttachmentCache

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
PROMO = DATA / "promo.jpg"
CONSOLE = Path(sys.executable).parent / "mmsnb"


# -- two runs at once ----------------------------------------------------------------


def test_two_threads_sending_one_campaign_at_once_deliver_each_message_once(make_sandbox, tmp_path):
    sandbox = make_sandbox(quota=1000, latency=0.02)
    frame = pd.DataFrame({"msisdn": orange(120)})
    ledger = tmp_path / "ledger.sqlite"
    options = dict(subject="Wiosna", campaign="spring", ledger=ledger, group=False, workers=4)
    results = send_together(sandbox, frame, [options, options])

    assert received_addresses(sandbox) == Counter({"tel:+48" + n: 1 for n in frame.msisdn})
    first, second = (r.send_state.astype(str) for r in results)
    assert ((first == "accepted") ^ (second == "accepted")).all()
    for mine, other in ((first, second), (second, first)):
        assert set(other[mine == "accepted"]) <= {"already-sent", "in-progress"}
    again = mmsnb.send(sandbox.client(), frame, subject="Wiosna", campaign="spring", ledger=ledger, progress=False)
    assert (again.send_state == "already-sent").all()
    assert len(sandbox.received) == 120


CHILD = """
import sys, pandas as pd, mmsnb
client = mmsnb.Client.from_env()
frame = pd.read_csv({csv!r}, dtype=str)
print("ready", flush=True)
sys.stdin.readline()
results = mmsnb.send(
    client, frame, subject="Wiosna", campaign="spring", ledger={ledger!r}, group=False, workers=4, progress=False
)
results.to_csv({out!r}, index=False)
"""


@pytest.mark.slow
def test_two_processes_sending_one_campaign_at_once_deliver_each_message_once(make_sandbox, tmp_path):
    sandbox = make_sandbox(quota=1000, latency=0.02)
    csv, ledger = tmp_path / "campaign.csv", tmp_path / "ledger.sqlite"
    pd.DataFrame({"msisdn": orange(150)}).to_csv(csv, index=False)
    env = {**os.environ, **sandbox.env(), "PYTHONPATH": str(REPO)}
    run_together(
        [
            (CHILD.format(csv=str(csv), ledger=str(ledger), out=str(tmp_path / f"out{n}.csv")), tmp_path, env)
            for n in (1, 2)
        ]
    )

    assert received_addresses(sandbox) == Counter({f"tel:+48{n}": 1 for n in orange(150)})
    states = [mmsnb.read_results(tmp_path / f"out{n}.csv").send_state.astype(str) for n in (1, 2)]
    assert ((states[0] == "accepted") ^ (states[1] == "accepted")).all()
    assert set(states[0]) | set(states[1]) <= {"accepted", "already-sent", "in-progress"}


def test_a_ledger_with_two_names_is_refused_so_two_processes_cannot_send_everything_twice(make_sandbox, tmp_path):
    """SQLite keeps a write-ahead log per name of a file: two runs through two hard links would not see each
    other's claims. Both are refused before anything is sent."""
    sandbox = make_sandbox(quota=1000, latency=0.02)
    csv, ledger, link = tmp_path / "campaign.csv", tmp_path / "ledger.sqlite", tmp_path / "link.sqlite"
    pd.DataFrame({"msisdn": orange(150)}).to_csv(csv, index=False)
    mmsnb.Ledger(ledger).close()
    os.link(ledger, link)
    env = {**os.environ, **sandbox.env(), "PYTHONPATH": str(REPO)}
    refused = "try:\n" + CHILD.replace("\n", "\n    ") + "\nexcept mmsnb.LedgerError as exc:\n    print(exc)\n"
    said = run_together(
        [
            (refused.format(csv=str(csv), ledger=str(name), out=str(tmp_path / f"{name.stem}.csv")), tmp_path, env)
            for name in (ledger, link)
        ]
    )

    assert received_addresses(sandbox) == Counter()
    for out in said:
        assert "with 2 names (hard links), which SQLite does not support" in out


def can_bind_mount_a_file(folder: Path) -> bool:
    """Whether this machine lets a test bind-mount a file in a mount namespace of its own (root, util-linux)."""
    (folder / "a").touch()
    (folder / "b").touch()
    try:
        done = subprocess.run(["unshare", "-m", "mount", "--bind", folder / "a", folder / "b"], capture_output=True)
    except OSError:
        return False
    return done.returncode == 0


#: The start of a child that sees ``ledger`` through a file bind-mounted at ``bound`` (a container's ``-v``).
MOUNTED = """
import ctypes, subprocess
assert ctypes.CDLL(None, use_errno=True).unshare(0x00020000) == 0, "unshare(CLONE_NEWNS)"  # os.unshare in 3.12
subprocess.run(["mount", "--make-rprivate", "/"], check=True)
subprocess.run(["mount", "--bind", {ledger!r}, {bound!r}], check=True)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="mount namespaces are Linux's")
def test_a_ledger_file_mounted_on_its_own_is_refused_so_two_processes_cannot_send_everything_twice(
    make_sandbox, tmp_path
):
    """A file bind-mounted on its own (``docker run -v team.sqlite:/data/l.sqlite``) is one file with two paths,
    each with its own write-ahead log: the run inside would not see the claims of the run outside. The run
    that sees it mounted is refused before it sends; the other sends each message once."""
    if not can_bind_mount_a_file(tmp_path):
        pytest.skip("this machine does not let a test bind-mount a file (unshare -m and mount need root)")
    sandbox = make_sandbox(quota=1000, latency=0.02)
    csv, ledger, bound = tmp_path / "campaign.csv", tmp_path / "ledger.sqlite", tmp_path / "data" / "l.sqlite"
    pd.DataFrame({"msisdn": orange(60)}).to_csv(csv, index=False)
    mmsnb.Ledger(ledger).close()
    bound.parent.mkdir()
    bound.touch()
    env = {**os.environ, **sandbox.env(), "PYTHONPATH": str(REPO)}
    refused = "try:\n" + CHILD.replace("\n", "\n    ") + "\nexcept mmsnb.LedgerError as exc:\n    print(exc)\n"
    outside = refused.format(csv=str(csv), ledger=str(ledger), out=str(tmp_path / "outside.csv"))
    inside = MOUNTED.format(ledger=str(ledger), bound=str(bound)) + refused.format(
        csv=str(csv), ledger=str(bound), out=str(tmp_path / "inside.csv")
    )
    said = run_together([(outside, tmp_path, env), (inside, tmp_path, env)])

    assert received_addresses(sandbox) == Counter({f"tel:+48{n}": 1 for n in orange(60)})
    assert said[0] == ""
    assert "is a file mounted on its own" in said[1] and "Mount the folder that holds the ledger instead" in said[1]


def test_the_mount_points_are_read_as_the_kernel_escapes_them(tmp_path):
    from mmsnb.ledger.sqlite import mount_points

    info = tmp_path / "mountinfo"
    info.write_bytes(
        b"22 27 0:21 / /proc rw,relatime - proc proc rw\n"
        b"66 46 254:0 /tmp/a /data/my\\040team\\011l.sqlite rw,relatime - ext4 /dev/vda rw\n"
    )
    assert mount_points(str(info)) == {"/proc", "/data/my team\tl.sqlite"}
    assert mount_points(str(tmp_path / "none")) == set()


def test_retry_unknown_never_takes_a_claim_that_a_live_run_holds(sandbox, client, tmp_path):
    ledger = mmsnb.Ledger(tmp_path / "ledger.sqlite")
    try:
        run = ledger.start_run("spring")
        held = ledger.begin(run, "spring", "key", ["tel:+48501000000"], True)
        frame = pd.DataFrame({"msisdn": orange(2)})
        results = mmsnb.send(
            client, frame, subject="Wiosna", campaign="spring", ledger=ledger, retry_unknown=True, progress=False
        )
        assert results.send_state.astype(str).tolist() == ["in-progress", "accepted"]
        assert "Another run" in results.error.iloc[0]
        ledger.end_run(run)  # the run stops without an outcome: the request is unknown from now on
        later = mmsnb.send(client, frame, subject="Wiosna", campaign="spring", ledger=ledger, progress=False)
        assert later.send_state.astype(str).tolist() == ["unknown", "already-sent"]
        assert held.request_no == 1 and later.request_no.iloc[0] == 1
    finally:
        ledger.close()
    assert received_addresses(sandbox) == Counter({"tel:+48501000001": 1})


ELSEWHERE = """
import os, pandas as pd, mmsnb
print("pid", os.getpid(), flush=True)
frame = pd.DataFrame({{"msisdn": {numbers!r}}})
mmsnb.send(mmsnb.Client.from_env(), frame, subject="Wiosna", campaign="spring", ledger={ledger!r}, group=False,
           workers=4, progress=False)
"""


def free_pid() -> int:
    """A pid no process of this namespace has."""
    for pid in range(int(Path("/proc/sys/kernel/pid_max").read_text()) - 1, 300, -1):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
    raise AssertionError("no free pid")


def can_unshare() -> bool:
    try:
        return (
            subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "true"], capture_output=True).returncode == 0
        )
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux" or not can_unshare(), reason="needs unshare --pid (root, util-linux)")
def test_a_live_run_in_another_pid_namespace_of_this_host_is_not_taken_for_dead(make_sandbox, tmp_path):
    """Two containers with host networking share a host name, not their pids: the run in the other namespace,
    whose pid is no process here, is sending; retry_unknown=True must not send its requests again."""
    import sqlite3

    sandbox = make_sandbox(quota=1000, latency=0.5)  # the other run sends for 5 s: 40 numbers, 4 at a time
    ledger, numbers, pid = tmp_path / "ledger.sqlite", orange(40), free_pid()
    client = sandbox.client()
    client.limit()  # this run's token is ready: it claims while the other is still sending
    code = ELSEWHERE.format(numbers=numbers, ledger=str(ledger))
    env = {**os.environ, **sandbox.env(), "PYTHONPATH": str(REPO)}
    start = f'echo {pid - 1} > /proc/sys/kernel/ns_last_pid && "$0" -c "$1"; exit $?'  # the next pid there: pid
    elsewhere = subprocess.Popen(
        ["unshare", "--pid", "--fork", "--mount-proc", "sh", "-c", start, sys.executable, code],
        env=env,
        cwd=tmp_path,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        sending: list = []
        while not sending and elsewhere.poll() is None:  # its first requests are under way
            with (
                contextlib.suppress(sqlite3.OperationalError),
                sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as db,
            ):
                sending = db.execute("SELECT id FROM requests WHERE state = 'sending'").fetchall()
        results = mmsnb.send(
            client,
            pd.DataFrame({"msisdn": numbers}),
            subject="Wiosna",
            campaign="spring",
            ledger=ledger,
            group=False,
            retry_unknown=True,
            progress=False,
        )
    finally:
        out, err = elsewhere.communicate(timeout=120)
        client.close()
    assert elsewhere.returncode == 0, err
    assert out.split()[:2] == ["pid", str(pid)]  # a pid that is no process here
    assert received_addresses(sandbox) == Counter({"tel:+48" + n: 1 for n in numbers})
    assert "in-progress" in set(results.send_state.astype(str))


def test_a_run_of_another_pid_namespace_of_this_host_holds_its_claims_while_it_writes(sandbox, client, tmp_path):
    """What the test above does with a real namespace, simulated where unshare cannot run: a run row of this
    host name in another pid namespace, whose pid is no process here, holds its claim until its lease ends."""
    import socket
    from datetime import datetime, timedelta

    from mmsnb.ledger.journal import LEASE

    frame, options = pd.DataFrame({"msisdn": orange(1)}), dict(campaign="spring", retry_unknown=True, progress=False)
    with mmsnb.Ledger(tmp_path / "ledger.sqlite") as ledger:
        with ledger._store.write() as tx:
            at = datetime.now(UTC).isoformat()
            run = tx.insert(
                "INSERT INTO runs (campaign, host, pid, started_at, seen_at) VALUES (?, ?, ?, ?, ?)",
                ("spring", f"{socket.gethostname()} pid:[1]", free_pid(), at, at),
            )
        ledger.begin(run, "spring", "key", ["tel:+48501000000"], True)
        first = mmsnb.send(client, frame, subject="Wiosna", ledger=ledger, **options)
        with ledger._store.write() as tx:  # it stopped writing longer ago than its lease
            tx.execute("UPDATE runs SET seen_at = ?", ((datetime.now(UTC) - LEASE - timedelta(minutes=1)).isoformat(),))
        later = mmsnb.send(client, frame, subject="Wiosna", ledger=ledger, **options)
    assert first.send_state.astype(str).tolist() == ["in-progress"]
    assert later.send_state.astype(str).tolist() == ["accepted"]
    assert received_addresses(sandbox) == Counter({"tel:+48501000000": 1})


def _run_row(ledger, host: str, pid: int, seen_at: str) -> int:
    """A run row as another run would write it, with one request of it under way for tel:+48501000000."""
    with ledger._store.write() as tx:
        run = tx.insert(
            "INSERT INTO runs (campaign, host, pid, started_at, seen_at) VALUES (?, ?, ?, ?, ?)",
            ("spring", host, pid, seen_at, seen_at),
        )
    ledger.begin(run, "spring", "key", ["tel:+48501000000"], True)
    with ledger._store.write() as tx:  # begin() marks the run as seen now
        tx.execute("UPDATE runs SET seen_at = ? WHERE id = ?", (seen_at, run))
    return run


def _other_boot(host: str) -> str:
    """``host`` (a run's recorded identity) as a machine with the same host name but another boot writes it."""
    boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    return host.replace(boot, "0f0f0f0f-0000-4000-8000-000000000000")


@pytest.mark.skipif(not Path("/proc/sys/kernel/random/boot_id").exists(), reason="needs Linux's boot id")
def test_a_live_run_on_another_machine_of_the_same_host_name_is_not_taken_for_dead(sandbox, client, tmp_path):
    """Two machines with one host name share the initial pid namespace's number: a run of the other one,
    sending now (its lease is fresh) under a pid that is no process here, holds its claim; retry_unknown=True
    must not send that number again."""
    from datetime import datetime

    from mmsnb.ledger.journal import this_host

    frame = pd.DataFrame({"msisdn": orange(1)})
    with mmsnb.Ledger(tmp_path / "ledger.sqlite") as ledger:
        _run_row(ledger, _other_boot(this_host()), free_pid(), datetime.now(UTC).isoformat())
        client.send_mms(["tel:+48501000000"], subject="Wiosna")  # what the other machine's run sent meanwhile
        results = mmsnb.send(
            client, frame, subject="Wiosna", campaign="spring", ledger=ledger, retry_unknown=True, progress=False
        )
    assert results.send_state.astype(str).tolist() == ["in-progress"]
    assert received_addresses(sandbox) == Counter({"tel:+48501000000": 1})


@pytest.mark.skipif(not Path("/proc/sys/kernel/random/boot_id").exists(), reason="needs Linux's boot id")
def test_a_stopped_run_on_another_machine_is_judged_by_its_lease_not_by_a_pid_alive_here(sandbox, client, tmp_path):
    """The other machine's run stopped writing longer ago than its lease; its pid happens to be a live
    process here (this test's parent). The number is free again for retry_unknown=True, and sent once."""
    from datetime import datetime, timedelta

    from mmsnb.ledger.journal import LEASE, this_host

    frame, stale = pd.DataFrame({"msisdn": orange(1)}), datetime.now(UTC) - LEASE - timedelta(minutes=1)
    with mmsnb.Ledger(tmp_path / "ledger.sqlite") as ledger:
        _run_row(ledger, _other_boot(this_host()), os.getppid(), stale.isoformat())
        results = mmsnb.send(
            client, frame, subject="Wiosna", campaign="spring", ledger=ledger, retry_unknown=True, progress=False
        )
    assert results.send_state.astype(str).tolist() == ["accepted"]
    assert received_addresses(sandbox) == Counter({"tel:+48501000000": 1})


def test_a_run_recorded_without_a_boot_is_judged_by_its_lease(sandbox, client, tmp_path):
    """A row written before runs recorded their boot (host name and pid namespace only) is not taken for
    this machine's: its pid, no process here, does not make it dead while its lease is fresh."""
    import socket
    from datetime import datetime

    frame = pd.DataFrame({"msisdn": orange(1)})
    old = f"{socket.gethostname()} {os.readlink('/proc/self/ns/pid')}" if sys.platform == "linux" else "box"
    with mmsnb.Ledger(tmp_path / "ledger.sqlite") as ledger:
        _run_row(ledger, old, free_pid(), datetime.now(UTC).isoformat())
        client.send_mms(["tel:+48501000000"], subject="Wiosna")
        results = mmsnb.send(
            client, frame, subject="Wiosna", campaign="spring", ledger=ledger, retry_unknown=True, progress=False
        )
    assert results.send_state.astype(str).tolist() == ["in-progress"]
    assert received_addresses(sandbox) == Counter({"tel:+48501000000": 1})


# -- one message per number, whatever the spelling --------------------------------------


def test_five_spellings_of_one_file_are_one_campaign(sandbox, client, tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    frame = pd.DataFrame({"msisdn": orange(5)})
    spellings = ["data/promo.jpg", "./data/promo.jpg", str(PROMO), ["data/promo.jpg"], Path("data/promo.jpg")]
    runs = [
        mmsnb.send(client, frame, subject="Promocja", attachments=s, ledger=tmp_path / "l.sqlite", progress=False)
        for s in spellings
    ]

    assert len({r.mms.info.campaign for r in runs}) == 1
    assert (runs[0].send_state == "accepted").all()
    assert all((r.send_state == "already-sent").all() for r in runs[1:])
    assert received_addresses(sandbox) == Counter({"tel:+48" + n: 1 for n in frame.msisdn})


def test_a_number_on_two_rows_gets_one_message_with_the_first_rows_content(sandbox, client, tmp_path):
    frame = pd.DataFrame(
        {"msisdn": ["501000001", "+48 501 000 001", "501000002"], "first_name": ["Ola", "Aleksandra", "Jan"]},
        index=["a", "b", "c"],
    )
    results = mmsnb.send(client, frame, subject="Cześć {first_name}!", ledger=tmp_path / "l.sqlite", progress=False)

    assert results.send_state.astype(str).tolist() == ["accepted", "duplicate", "accepted"]
    assert "Same number as row a" in results.at["b", "error"] and "per_row=True" in results.at["b", "error"]
    assert received_addresses(sandbox) == Counter({"tel:+48501000001": 1, "tel:+48501000002": 1})
    assert {r.subject for r in sandbox.received} == {"Cześć Ola!", "Cześć Jan!"}


def test_per_row_sends_each_rows_own_content(sandbox, client, tmp_path):
    frame = pd.DataFrame({"msisdn": ["501000001", "501000001"], "first_name": ["Ola", "Aleksandra"]})
    options = dict(subject="Cześć {first_name}!", ledger=tmp_path / "l.sqlite", per_row=True, progress=False)
    results = mmsnb.send(client, frame, **options)
    again = mmsnb.send(client, frame, **options)

    assert (results.send_state == "accepted").all() and (again.send_state == "already-sent").all()
    assert sorted(r.subject for r in sandbox.received) == ["Cześć Aleksandra!", "Cześć Ola!"]


@pytest.mark.slow
def test_the_demo_sends_each_number_once_and_as_its_check_said(make_sandbox, tmp_path, capsys):
    sandbox = make_sandbox(quota=1000)
    from mmsnb.demo import run

    results = run(out=tmp_path / "demo", sandbox=sandbox)
    said = capsys.readouterr().out

    counts = received_addresses(sandbox)
    assert max(counts.values()) == 1
    planned = int(said.split("Checks: ")[1].split(" recipients to send")[0])
    assert len(counts) == planned == (results.send_state == "accepted").sum()
    assert f"Sent {planned} recipients in all (as checked)" in said
    assert "0 sent anew" in said


# -- the command line keeps the ledger -------------------------------------------------------


@pytest.mark.slow
def test_the_cli_sends_once_and_again_only_when_asked(sandbox, tmp_path):
    env = {**os.environ, **sandbox.env(), "MMSNB_LEDGER": str(tmp_path / "cli.sqlite")}

    def mmsnb_cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(CONSOLE), *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)

    first = mmsnb_cli("send", "501102030", "--subject", "Hej")
    second = mmsnb_cli("send", "+48 501 102 030", "--subject", "Hej")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    message_id = first.stdout.split("message id: ")[1].split()[0]
    assert "already sent at" in second.stdout and message_id in second.stdout and "--again" in second.stdout
    assert received_addresses(sandbox) == Counter({"tel:+48501102030": 1})

    third = mmsnb_cli("send", "501102030", "--subject", "Hej", "--again")
    assert third.returncode == 0 and "sent, message id:" in third.stdout
    assert received_addresses(sandbox) == Counter({"tel:+48501102030": 2})

    empty = mmsnb_cli("send", "501102030")
    assert empty.returncode == 2
    assert "needs a subject or an attachment" in empty.stderr and "Traceback" not in empty.stderr
    assert len(sandbox.received) == 2


def test_an_empty_mms_is_refused_before_anything_is_sent(sandbox, client, tmp_path):
    frame = pd.DataFrame({"msisdn": orange(2), "text": ["Hej", "  "]})
    with pytest.raises(mmsnb.InputError, match="needs a subject or an attachment"):
        mmsnb.send(client, frame, ledger=tmp_path / "l.sqlite", progress=False)
    with pytest.raises(mmsnb.InputError, match="needs a subject or an attachment"):
        mmsnb.send(client, frame, subject="", ledger=tmp_path / "l.sqlite", progress=False)
    with pytest.raises(mmsnb.InputError, match="needs a subject or an attachment"):
        client.send_mms("501102030")
    results = mmsnb.send(client, frame, subject="text", ledger=tmp_path / "l.sqlite", progress=False)
    assert results.send_state.astype(str).tolist() == ["accepted", "invalid"]
    assert "neither a subject nor an attachment" in results.error.iloc[1]
    assert received_addresses(sandbox) == Counter({"tel:+48501000000": 1})


# -- HTTPS stays HTTPS ---------------------------------------------------------------------------


@pytest.fixture
def collector():
    """A plain-HTTP server that must never receive anything."""
    server = Server(lambda handler, body: (200, {}, {"authenticationId": "stolen"}))
    yield server
    server.stop()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_never_followed(tmp_path, collector, status):
    """301/302/307/308 were not taken: rejected, and a later run may send them; 303 may have been processed: unknown."""
    gateway = Server(
        token_or(lambda handler, body: (status, {"Location": collector.url + "/collect"}, {})), tls_dir=tmp_path
    )
    client = mmsnb.Client("id", "secret-value", base_url=gateway.url, verify=gateway.ca_path, timeout=(2, 5))
    try:
        with pytest.raises(mmsnb.MMSError, match=f"HTTP {status} pointing to '{collector.url}/collect'") as caught:
            client.send_mms("501102030", subject="Hej", attachments=[PROMO])
        assert "never followed" in str(caught.value)
        frame = pd.DataFrame({"msisdn": orange(3)})
        results = mmsnb.send(
            client, frame, subject="Hej", ledger=tmp_path / "l.sqlite", group=False, workers=1, progress=False
        )
    finally:
        client.close()
        gateway.stop()
    assert collector.hits == []
    taken = status == 303
    assert results.send_state.astype(str).tolist() == ["unknown" if taken else "rejected", "rejected", "rejected"]
    assert results.error.iloc[1:].str.startswith("Not sent:").all()
    assert results.error.str.contains("never followed").all()
    sends = mmsnb.history(ledger=tmp_path / "l.sqlite").sends
    assert sends.state.astype(str).tolist() == ["unknown" if taken else "unsent"]  # the first stops the campaign


def test_a_redirect_from_the_token_endpoint_is_never_followed(tmp_path, collector):
    gateway = Server(lambda handler, body: (307, {"Location": collector.url + "/token"}, {}), tls_dir=tmp_path)
    client = mmsnb.Client("id", "secret-value", base_url=gateway.url, verify=gateway.ca_path, timeout=(2, 5))
    try:
        with pytest.raises(mmsnb.MMSError, match="token endpoint answered HTTP 307"):
            client.limit()
    finally:
        client.close()
        gateway.stop()
    assert collector.hits == []


# -- only the files the user meant ---------------------------------------------------------------


def test_a_partner_csv_cannot_send_files_from_outside_its_folder(sandbox, client, tmp_path):
    folder = tmp_path / "partner"
    folder.mkdir()
    (tmp_path / "api-keys.txt").write_text("SECRET-KEY-123")
    (folder / "promo.jpg").write_bytes(PROMO.read_bytes())
    (folder / "leak.txt").symlink_to(tmp_path / "api-keys.txt")
    (folder / "alias.jpg").symlink_to(folder / "promo.jpg")
    (folder / "sub").mkdir()
    rows = [
        "promo.jpg",
        "../api-keys.txt",
        str(tmp_path / "api-keys.txt"),
        "leak.txt",
        "alias.jpg",
        "sub/../promo.jpg",
        "/etc/passwd",
        "https://example.org/x.jpg",
    ]
    numbers = orange(len(rows))
    csv = folder / "recipients.csv"
    pd.DataFrame({"msisdn": numbers, "image": rows}).to_csv(csv, index=False)

    frame = mmsnb.read_recipients(csv, to="msisdn")
    plan = mmsnb.send(
        client, frame, subject="Hej", attachments="image", ledger=tmp_path / "l.sqlite", dry_run=True, progress=False
    )
    results = mmsnb.send(
        client, frame, subject="Hej", attachments="image", ledger=tmp_path / "l.sqlite", progress=False
    )

    assert [f["path"] for f in plan.mms.info.files] == [str(folder / "promo.jpg")]
    states = results.send_state.astype(str).tolist()
    assert states == ["accepted", "invalid", "invalid", "invalid", "accepted", "accepted", "invalid", "invalid"]
    errors = results.error.tolist()
    assert "outside the attachments folder" in errors[1] and "outside the attachments folder" in errors[3]
    assert "absolute path" in errors[2] and "absolute path" in errors[6] and "is a URL" in errors[7]
    sent = [f.data for r in sandbox.received for f in r.attachments]
    assert sent and all(data == PROMO.read_bytes() for data in sent)


def test_attachments_dir_chooses_the_folder_and_a_constant_path_is_trusted(sandbox, client, tmp_path):
    frame = pd.DataFrame({"msisdn": orange(2), "image": ["promo.jpg", "logo.png"]})
    results = mmsnb.send(
        client,
        frame,
        subject="Hej",
        attachments="image",
        attachments_dir=DATA,
        ledger=tmp_path / "l.sqlite",
        progress=False,
    )
    assert (results.send_state == "accepted").all()
    constant = mmsnb.send(
        client,
        pd.DataFrame({"msisdn": orange(1, 10)}),
        subject="Hej",
        attachments=str(PROMO),
        ledger=tmp_path / "l.sqlite",
        progress=False,
    )
    assert (constant.send_state == "accepted").all()


# -- exact numbers, and bad rows that stay rows ----------------------------------------------------


def test_float32_numbers_are_refused_and_nobody_else_gets_the_message(sandbox, client, tmp_path):
    frame = pd.DataFrame({"msisdn": np.array([501102030, 601234567], dtype="float32")})
    results = mmsnb.send(client, frame, subject="Hej", ledger=tmp_path / "l.sqlite", progress=False)
    assert (results.send_state == "invalid").all()
    assert results.error.str.contains("float32").all() and results.error.str.contains("dtype=str").all()
    assert sandbox.received == []

    exact = pd.DataFrame({"msisdn": np.array([501102030, 601234567], dtype="float64")})
    results = mmsnb.send(client, exact, subject="Hej", ledger=tmp_path / "l.sqlite", progress=False)
    assert (results.send_state == "accepted").all()
    assert received_addresses(sandbox) == Counter({"tel:+48501102030": 1, "tel:+48601234567": 1})


def test_a_broken_character_in_one_row_makes_only_that_row_invalid(sandbox, client, tmp_path):
    # object dtype: pandas' own string dtype (pyarrow's, when it is installed) cannot even hold a lone
    # surrogate; a broken character arrives in object columns (from Excel, JSON, a database driver...).
    frame = pd.DataFrame(
        {"msisdn": orange(3), "first_name": ["Ola", "Jan\ud800", "Ewa"], "sender": ["A", "B", "C\udfff"]},
        dtype=object,
    )
    results = mmsnb.send(client, frame, subject="Cześć {first_name}!", ledger=tmp_path / "l.sqlite", progress=False)
    assert results.send_state.astype(str).tolist() == ["accepted", "invalid", "accepted"]
    assert "cannot be sent" in results.error.iloc[1]
    by_sender = mmsnb.send(
        client, frame.iloc[[0, 2]], subject="Hej", sender="sender", ledger=tmp_path / "l.sqlite", progress=False
    )
    assert by_sender.send_state.astype(str).tolist() == ["accepted", "invalid"]
    assert "sender has a character" in by_sender.error.iloc[1]


def test_repeated_column_names_are_refused_before_anything_is_sent(sandbox, client, tmp_path):
    frame = pd.DataFrame([["501000001", "Ola", "Jan"]], columns=["msisdn", "first_name", "first_name"])
    with pytest.raises(mmsnb.InputError, match="repeated column names: 'first_name'"):
        mmsnb.send(client, frame, subject="Cześć {first_name}", ledger=tmp_path / "l.sqlite", progress=False)
    assert sandbox.received == [] and client.limit().used == 0


# -- secrets through side doors ---------------------------------------------------------------------


def test_an_echoing_gateway_does_not_put_the_token_in_errors_or_the_ledger(tmp_path):
    def echo(handler, body):
        said = f"Bad request from {handler.headers.get('Authorization')}"
        return 400, {}, {"code": 21, "message": said, "description": said}

    gateway = Server(token_or(echo), tls_dir=tmp_path)
    secret = "echo-secret-value-42"
    client = mmsnb.Client("id", secret, base_url=gateway.url, verify=gateway.ca_path, timeout=(2, 5))
    ledger = tmp_path / "l.sqlite"
    try:
        with pytest.raises(mmsnb.BadRequestError) as caught:
            client.send_mms("501102030", subject="Hej")
        results = mmsnb.send(client, pd.DataFrame({"msisdn": orange(2)}), subject="Hej", ledger=ledger, progress=False)
    finally:
        client.close()
        gateway.stop()
    assert any(TOKEN in str(h[2]) for h in gateway.hits)  # the gateway did see it, and echoed it
    shown = [
        str(caught.value),
        repr(caught.value),
        caught.value.gateway_message,
        *results.error.tolist(),
        results.to_csv(),
    ]
    ledger_bytes = b"".join(p.read_bytes() for p in tmp_path.glob("l.sqlite*"))
    for text in shown:
        assert TOKEN not in text and secret not in text
    assert TOKEN.encode() not in ledger_bytes and secret.encode() not in ledger_bytes
    assert "Bearer ***" in results.error.iloc[0]


def test_http_client_debug_output_shows_nothing_of_the_clients_connections(sandbox, capfd):
    import base64
    import http.client

    client = sandbox.client()
    http.client.HTTPConnection.debuglevel = 1
    try:
        result = client.send_mms("501102030", subject="Hej")
        client.delivery_status(result.message_id)
    finally:
        http.client.HTTPConnection.debuglevel = 0
        client.close()
    out, err = capfd.readouterr()
    basic = base64.b64encode(f"{sandbox.client_id}:{sandbox.client_secret}".encode()).decode()
    tokens = list(sandbox.gateway._tokens)
    assert tokens
    for text in (out, err):
        assert sandbox.client_secret not in text and basic not in text
        assert "send:" not in text and "header:" not in text
        assert all(t not in text for t in tokens)


def test_the_secret_is_not_an_attribute_of_the_client(sandbox):
    client = sandbox.client()
    try:
        client.limit()
        for value in vars(client).values():
            assert sandbox.client_secret not in repr(value) and sandbox.client_secret not in str(value)
    finally:
        client.close()


@pytest.mark.parametrize("minutes_ago, state", [(0, "in-progress"), (30, "unknown")])
def test_a_run_on_another_machine_holds_its_claims_while_it_writes(sandbox, client, tmp_path, minutes_ago, state):
    from datetime import datetime, timedelta

    path = tmp_path / "team.sqlite"
    with mmsnb.Ledger(path) as ledger:
        run = ledger.start_run("spring")
        ledger.begin(run, "spring", "key", ["tel:+48501000000"], True)
        seen = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()
        with ledger._store.write() as tx:
            tx.execute("UPDATE runs SET host = 'laptop-of-a-colleague', pid = 1, seen_at = ? WHERE id = ?", (seen, run))
    results = mmsnb.send(
        client,
        pd.DataFrame({"msisdn": orange(1)}),
        subject="Wiosna",
        campaign="spring",
        ledger=path,
        retry_unknown=False,
        progress=False,
    )
    assert results.send_state.astype(str).tolist() == [state]
    assert sandbox.received == []


def test_per_row_after_a_campaign_sends_only_the_rows_that_were_repeats(sandbox, client, tmp_path):
    frame = pd.DataFrame({"msisdn": ["501000001", "501000002", "501000002"], "name": ["Ala", "Ola", "Ela"]})
    options = dict(subject="Hej {name}", ledger=tmp_path / "l.sqlite", progress=False)
    first = mmsnb.send(client, frame, **options)
    assert "per_row=True" in first.error.iloc[2]
    second = mmsnb.send(client, frame, per_row=True, **options)

    assert second.mms.info.campaign == first.mms.info.campaign
    assert second.send_state.astype(str).tolist() == ["already-sent", "already-sent", "accepted"]
    assert Counter((a, r.subject) for r in sandbox.received for a in r.addresses) == Counter(
        {("tel:+48501000001", "Hej Ala"): 1, ("tel:+48501000002", "Hej Ola"): 1, ("tel:+48501000002", "Hej Ela"): 1}
    )
    third = mmsnb.send(client, frame, **options)
    assert third.send_state.astype(str).tolist() == ["already-sent", "already-sent", "duplicate"]


@pytest.mark.parametrize(
    "spelled", ["mmsnb-ledger.sqlite", "sqlite:///mmsnb-ledger.sqlite", "SQLite:///./mmsnb-ledger.sqlite"]
)
def test_a_relative_ledger_in_env_is_one_file_from_every_folder_below_it(sandbox, tmp_path, spelled):
    (tmp_path / ".env").write_text(
        "".join(f"{k}={v}\n" for k, v in sandbox.env().items()) + f"MMSNB_LEDGER={spelled}\n"
    )
    (tmp_path / "notebooks").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MMSNB_")}
    runs = [
        subprocess.run(
            [str(CONSOLE), "send", "501000001", "--subject", "Promo"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        for folder in (tmp_path, tmp_path / "notebooks")
    ]
    assert [r.returncode for r in runs] == [0, 0], [r.stderr for r in runs]
    assert "already sent at" in runs[1].stdout
    assert received_addresses(sandbox) == Counter({"tel:+48501000001": 1})
    assert (tmp_path / "mmsnb-ledger.sqlite").is_file() and not (
        tmp_path / "notebooks" / "mmsnb-ledger.sqlite"
    ).exists()


def test_a_broken_tls_answer_after_the_send_is_unknown_and_not_repeated(tmp_path):
    def garble(handler, body):
        os.write(handler.connection.fileno(), b"\x17\x03\x03\x00\x20" + b"x" * 32)  # a record TLS cannot read
        return None

    gateway = Server(token_or(garble), tls_dir=tmp_path)
    client = mmsnb.Client("id", "secret-value", base_url=gateway.url, verify=gateway.ca_path, timeout=(2, 5))
    try:
        runs = [
            mmsnb.send(
                client, pd.DataFrame({"msisdn": orange(1)}), subject="Hej", ledger=tmp_path / "l.sqlite", progress=False
            )
            for _ in range(2)
        ]
    finally:
        client.close()
        gateway.stop()
    assert [r.send_state.iloc[0] for r in runs] == ["unknown", "unknown"]
    assert "may have been accepted" in runs[0].error.iloc[0]
    assert sum(1 for method, path, *_ in gateway.hits if method == "POST" and path.endswith("MMSOnnet")) == 1


def test_hard_links_and_huge_files_named_in_data_are_not_read(sandbox, client, tmp_path):
    folder, private = tmp_path / "campaign", tmp_path / "private"
    folder.mkdir()
    private.mkdir()
    (private / "notes.txt").write_text("PIN 4711")
    os.link(private / "notes.txt", folder / "notes.txt")
    with open(folder / "huge.jpg", "wb") as huge:  # 64 GiB, sparse: reading it would exhaust the machine
        huge.truncate(64 * 2**30)
    frame = pd.DataFrame({"msisdn": orange(2), "f": ["notes.txt", "huge.jpg"]})
    results = mmsnb.send(
        client,
        frame,
        subject="Hej",
        attachments="f",
        attachments_dir=folder,
        ledger=tmp_path / "l.sqlite",
        progress=False,
    )
    assert (results.send_state == "invalid").all()
    assert "hard link" in results.error.iloc[0]
    assert "67108864 KB: mmsnb does not read an image over 51200 KB" in results.error.iloc[1]
    assert sandbox.received == []


def test_a_symbolic_link_swapped_in_after_the_check_is_never_followed(tmp_path):
    """A thread swaps a link to a file outside the folder in and out under a name a data column gives,
    while that name is checked and read, each time afresh, as a send does."""
    folder = tmp_path / "campaign"
    folder.mkdir()
    secret = tmp_path / "api-keys.txt"
    secret.write_text("SECRET-KEY-123")
    name = folder / "note.txt"
    name.write_text("inside the folder")
    stop = threading.Event()

    def swap() -> None:
        while not stop.is_set():
            (folder / "link.tmp").symlink_to(secret)
            os.replace(folder / "link.tmp", name)
            (folder / "file.tmp").write_text("inside the folder")
            os.replace(folder / "file.tmp", name)

    swapper = threading.Thread(target=swap)
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # hand the interpreter from thread to thread often, so that the two interleave
    swapper.start()
    outcomes: Counter[str] = Counter()
    try:
        for _ in range(3000):
            cache = _AttachmentCache(folder, Media(fit=False, keep_metadata=True, limit=300 * 1024))
            try:
                data = cache.get("note.txt", from_data=True).data
            except mmsnb.InputError:
                outcomes["refused"] += 1
            else:
                outcomes["outside" if b"SECRET" in data else "inside"] += 1
    finally:
        stop.set()
        swapper.join()
        sys.setswitchinterval(switching)
    assert outcomes["outside"] == 0, outcomes
    assert outcomes["inside"] > 0 and outcomes["refused"] > 0, outcomes  # both states were met


def test_cells_and_parameters_that_are_not_text_are_named(sandbox, client, tmp_path):
    frame = pd.DataFrame({"msisdn": orange(4), "s": pd.Series([["Hej"], b"Hej", {"a": 1}, 2026], dtype=object)})
    results = mmsnb.send(client, frame, subject="s", ledger=tmp_path / "l.sqlite", progress=False)
    assert results.send_state.astype(str).tolist() == ["invalid", "invalid", "invalid", "accepted"]
    assert results.error.iloc[0] == "The subject in this row is list ['Hej'], not text."
    assert [r.subject for r in sandbox.received] == ["2026"]
    for bad in (
        dict(subject=5),
        dict(subject="Hej", sender={"a": 1}),
        dict(subject="Hej", max_addresses="5"),
        dict(subject="Hej", workers=0),
    ):
        with pytest.raises(mmsnb.InputError, match=next(iter(k for k in bad if k != "subject"), "subject") + "="):
            mmsnb.send(client, frame, ledger=tmp_path / "l.sqlite", progress=False, **bad)
    assert len(sandbox.received) == 1


@pytest.mark.parametrize("written", ["50100001.5", "501102030.25"])
def test_a_number_written_with_a_fraction_is_refused(sandbox, client, tmp_path, written):
    from decimal import Decimal

    frame = pd.DataFrame({"msisdn": pd.Series([written, Decimal(written)], dtype=object)})
    results = mmsnb.send(client, frame, subject="Hej", ledger=tmp_path / "l.sqlite", progress=False)
    assert (results.send_state == "invalid").all()
    assert results.error.str.contains("fraction|decimal number").all()
    assert sandbox.received == []
