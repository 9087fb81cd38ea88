"""The send path made faster, its promises kept: group commit (the intents of requests about to leave written
together, each request leaving only once its intent is durable: a run killed between the commit and the send leaves
those requests unknown, never sent twice, no row lost), the environment read again only when it changes, the
attachments encoded once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import traceback
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import requests
import requests.adapters
from helpers import Server, free_port, received_addresses

import mmsnb
from mmsnb.errors import AuthError, ConfigError, TransportError
from mmsnb.gateway_answers import refused
from mmsnb.ledger import Begun, ClaimState, Ledger, RequestState
from mmsnb.ledger.group import GroupCommit
from mmsnb.message import Attachment, Message
from mmsnb.wire import encode_message

REPO = Path(__file__).resolve().parent.parent
NUMBERS = [f"501{i:06d}" for i in range(12)]

#: A run of 4 requests in flight whose sends are held where they would leave (after their intents' commit): it
#: says "held" for each and waits there for ever. Its first commit waits until the other 3 intents wait behind
#: it, so they are written together, in one transaction; it says the size of each transaction of intents.
CHILD = """
import sys, threading, time
import pandas as pd
import mmsnb
from mmsnb import transport
from mmsnb.endpoints import SEND_PATH
from mmsnb.ledger import Begun, ClaimState, Ledger, RequestState
from mmsnb.ledger.group import GroupCommit

said = threading.Lock()
def say(line):
    with said:
        sys.stdout.write(line + "\\n")
        sys.stdout.flush()

call = transport.Session.call
def held(self, method, url, **kwargs):
    if method == "POST" and url.endswith(SEND_PATH):
        say("held " + kwargs["data"].split(b'"addresses": ["')[1].split(b'"')[0].decode())
        threading.Event().wait()
    return call(self, method, url, **kwargs)
transport.Session.call = held

commit = GroupCommit._commit
def counted(self, batch):
    if len(batch) == 1 and not hasattr(GroupCommit, "first"):
        GroupCommit.first = True
        while len(self._waiting) < 3:
            time.sleep(0.001)
    say(f"transaction of {{len(batch)}}")
    commit(self, batch)
GroupCommit._commit = counted

frame = pd.DataFrame({{"msisdn": {numbers!r}}})
mmsnb.send(mmsnb.Client.from_env(), frame, subject="Hej", campaign="G", ledger={ledger!r}, group=False, workers=4,
           progress=False)
"""


@pytest.mark.slow
def test_a_run_killed_between_the_group_commit_and_the_send_leaves_its_requests_unknown(make_sandbox, tmp_path):
    """The 4 requests held at the send had their intents committed (3 of them in one transaction): the next run
    reports them unknown and sends every other row once; the gateway never got the 4."""
    sandbox = make_sandbox(quota=1000)
    ledger = tmp_path / "ledger.sqlite"
    env = {**os.environ, **sandbox.env(), "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(numbers=NUMBERS, ledger=str(ledger))],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    said: list[str] = []
    try:
        assert child.stdout is not None
        for line in child.stdout:  # the child says each held send (pytest's timeout ends a child that never does)
            said.append(line.strip())
            if sum(s.startswith("held") for s in said) == 4:
                break
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL, said
    held = {s.split()[1] for s in said if s.startswith("held")}
    assert len(held) == 4 and "transaction of 3" in said, said
    assert not sandbox.received, "a held request reached the gateway"

    client = sandbox.client(timeout=(5, 10))
    try:
        results = mmsnb.send(
            client,
            pd.DataFrame({"msisdn": NUMBERS}),
            subject="Hej",
            campaign="G",
            ledger=ledger,
            group=False,
            progress=False,
        )
    finally:
        client.close()

    states = results.set_index("address").send_state.astype(str)
    assert len(results) == len(NUMBERS)  # no row lost
    assert set(states[states == "unknown"].index) == held
    assert set(states[states != "unknown"]) == {"accepted"}
    counts = received_addresses(sandbox)
    assert set(counts) == {"tel:+48" + n for n in NUMBERS} - held
    assert max(counts.values()) == 1
    sends = mmsnb.history("G", ledger=ledger).sends
    in_doubt = sends[sends.state == "sending"]
    assert set(in_doubt.address) == held and in_doubt.intent_at.notna().all()


def test_a_failed_group_gives_each_work_its_own_outcome():
    """When one work of a group fails, the transaction is rolled back and each work runs alone: the others are
    written, and only the failing one hears of its error."""
    written: list[str] = []
    entered = threading.Event()
    release = threading.Event()

    class Transaction:
        def __init__(self) -> None:
            self.rows: list[str] = []

        def __enter__(self) -> Transaction:
            return self

        def __exit__(self, kind: object, *exc: object) -> None:
            if kind is None:
                written.extend(self.rows)

    group = GroupCommit(Transaction)

    def work(name: str):
        def run(tx: Transaction) -> str:
            if name == "first":
                entered.set()
                release.wait()
            if name == "bad":
                raise ValueError("bad work")
            tx.rows.append(name)
            return name

        return run

    outcomes: dict[str, object] = {}

    def submit(name: str) -> None:
        try:
            outcomes[name] = group.run(work(name))
        except ValueError as exc:
            outcomes[name] = exc

    first = threading.Thread(target=submit, args=("first",))
    first.start()
    entered.wait()
    others = [threading.Thread(target=submit, args=(name,)) for name in ("a", "bad", "b")]
    for thread in others:
        thread.start()
    while len(group._waiting) < 3:  # the three wait behind the first transaction
        threading.Event().wait(0.001)
    release.set()
    for thread in (first, *others):
        thread.join()
    assert outcomes["first"] == "first" and outcomes["a"] == "a" and outcomes["b"] == "b"
    assert isinstance(outcomes["bad"], ValueError)
    assert sorted(written) == ["a", "b", "first"]


def test_an_outcome_handed_on_is_committed_before_any_later_intent_and_before_it_is_reported(tmp_path):
    """The thread that sent a request goes on without waiting for its outcome's commit (another thread's
    transaction is under way): the outcome goes with the next transaction, before the intent of any request begun
    after it, and is durable (read by another connection to the file) once ``wait()`` returns."""
    path = tmp_path / "ledger.sqlite"
    ledger = Ledger(path)
    run = ledger.start_run("C")
    first = ledger.begin(run, "C", "k", ["tel:+48501000001"], True)
    assert first.request_id is not None
    next_run = ledger.start_run("C")
    entered, release = threading.Event(), threading.Event()

    def busy(tx: object) -> None:
        entered.set()
        release.wait()

    writer = threading.Thread(target=ledger._group.run, args=(busy,))
    writer.start()
    entered.wait()
    written = ledger.finish_later(first.request_id, RequestState.ACCEPTED, message_id="m-1", http_status=200)
    assert writer.is_alive()  # finish_later returned while another transaction held the ledger
    later: list[Begun] = []
    again = threading.Thread(target=lambda: later.append(ledger.begin(next_run, "C", "k", ["tel:+48501000001"], True)))
    again.start()
    while len(ledger._group._waiting) < 2:  # the outcome, then the later intent, queued behind the transaction
        threading.Event().wait(0.001)
    release.set()
    writer.join()
    again.join()
    assert later[0].held["tel:+48501000001"].state == ClaimState.ACCEPTED  # the outcome came first
    at = written.wait()
    with Ledger(path) as other:
        sends = other.history("C").sends
    assert sends.state.astype(str).tolist() == ["accepted"] and sends.message_id.tolist() == ["m-1"]
    assert sends.sent_at.notna().all() and at
    ledger.close()


def test_a_proxy_set_between_two_requests_is_used_by_the_next(sandbox, monkeypatch):
    """The session keeps requests' reading of the environment, but reads it again once a proxy setting changes."""
    client = sandbox.client(timeout=(2, 2))
    assert client.limit().available == 100
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    with pytest.raises(TransportError, match="ProxyError"):
        client.limit()
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert client.limit().available == 100


# -- what a failed call means: nothing was sent, so a later run sends it ------------------------------------------


def test_a_dead_proxy_sends_nothing_and_a_later_run_sends_each_row_once(sandbox, monkeypatch, tmp_path):
    """A proxy that cannot be reached never carried a request: not "maybe sent" (a campaign stops at its quota
    reading, with the same sentence), and the next run, without the proxy, sends each row once."""
    client = sandbox.client(timeout=(2, 2))
    client.limit()  # the token, before the proxy
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    with pytest.raises(TransportError, match="ProxyError") as caught:
        client.send_mms("501000000", subject="Hej")
    assert not caught.value.maybe_sent and "nothing was sent" in str(caught.value)
    frame = pd.DataFrame({"msisdn": NUMBERS[:3]})
    options = {"subject": "Hej", "campaign": "P", "ledger": tmp_path / "l.sqlite", "group": False, "progress": False}
    with pytest.raises(TransportError, match="nothing was sent"):
        mmsnb.send(client, frame, **options)
    assert not sandbox.received
    monkeypatch.delenv("HTTPS_PROXY")
    second = mmsnb.send(client, frame, **options)
    assert set(second.send_state.astype(str)) == {"accepted"}
    assert received_addresses(sandbox) == Counter({"tel:+48" + n: 1 for n in NUMBERS[:3]})


def test_a_ca_bundle_gone_before_a_new_connection_says_so_and_sends_nothing(sandbox, monkeypatch):
    """The sandbox's CA bundle disappears after requests found it and before the new connection reads it: the
    stopped-sandbox sentence, nothing sent (it was taken as a dropped connection, "maybe sent")."""
    client = sandbox.client(timeout=(2, 2))
    client.limit()
    client.close()  # the next request opens a new connection, which reads the bundle
    kept = Path(sandbox.ca_path).read_bytes()
    checked = requests.adapters.HTTPAdapter.cert_verify

    def then_gone(self, *args):
        checked(self, *args)
        Path(sandbox.ca_path).unlink(missing_ok=True)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "cert_verify", then_gone)
    try:
        with pytest.raises(ConfigError, match="does not exist") as caught:
            client.send_mms("501000000", subject="Hej")
    finally:
        Path(sandbox.ca_path).write_bytes(kept)
    assert not sandbox.received and refused(caught.value)


def test_an_unusable_access_token_is_refused_with_a_sentence_and_never_shown(tmp_path):
    """A token endpoint that issues a token no header can carry (a line break in it): a sentence, nothing sent to
    the API, and the token in no text the error shows."""
    hostile = "tok-0123456789abcdef\r\nX-Evil: 1"

    def answer(handler, body):
        if handler.path.startswith("/oauth/v2/token"):
            return 200, {}, {"access_token": hostile, "token_type": "Bearer", "expires_in": 3600}
        return 200, {}, {"authenticationId": "m-1"}

    server = Server(answer, tls_dir=tmp_path)
    client = mmsnb.Client("id", "secret", base_url=server.url, verify=server.ca_path, timeout=(2, 2))
    try:
        with pytest.raises(AuthError, match="cannot be sent in a header") as caught:
            client.send_mms("501102030", subject="Hej")
    finally:
        client.close()
        server.stop()
    assert [path for _, path, _, _ in server.hits if not path.startswith("/oauth/v2/token")] == []
    shown = "".join([str(caught.value), repr(caught.value), "".join(traceback.format_exception(caught.value))])
    assert "tok-0123456789abcdef" not in shown


def test_each_body_carries_its_own_addresses_around_the_attachments_encoded_once():
    photo = Attachment("promo.jpg", "image/jpeg", bytes(range(256)) * 40)
    message = Message(subject="Hej", attachments=(photo,))
    first, first_type = encode_message(["tel:+48501000001"], message)
    second, second_type = encode_message(["tel:+48501000002"], message)
    assert first_type == second_type and first_type.startswith("multipart/form-data; boundary=")
    assert b"tel:+48501000001" in first and b"tel:+48501000002" not in first
    assert b"tel:+48501000002" in second
    assert first.replace(b"tel:+48501000001", b"x") == second.replace(b"tel:+48501000002", b"x")
    assert first.count(photo.b64) == 1 and first.endswith(b"--\r\n")
