"""Ledger failures are sentences that name the file; nothing is ever sent without its intent on disk."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from helpers import orange, received_addresses

import mmsnb

REPO = Path(__file__).resolve().parent.parent


@contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A small real filesystem of its own (root only), unmounted afterwards."""
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); CI runs as root and can")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


def send(client, ledger, n=3, **kwargs):
    return mmsnb.send(
        client, pd.DataFrame({"msisdn": orange(n)}), subject="Hej", ledger=ledger, progress=False, **kwargs
    )


def test_a_file_that_is_not_a_ledger_is_named(sandbox, client, tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("shopping list: milk, bread\n" * 100)
    with pytest.raises(mmsnb.LedgerError) as caught:
        send(client, path)
    assert str(caught.value) == (
        f"The ledger {str(path)!r} is not a ledger (not a SQLite database). "
        "Point ledger= or MMSNB_LEDGER at another file."
    )
    assert sandbox.received == []


def test_a_missing_folder_and_a_folder_as_ledger_are_named(client, tmp_path):
    with pytest.raises(mmsnb.LedgerError, match=r"its folder '.*/nowhere' does not exist\. Create the folder"):
        send(client, tmp_path / "nowhere" / "ledger.sqlite")
    with pytest.raises(mmsnb.LedgerError, match=r"is a folder\. Point ledger= at a file"):
        send(client, tmp_path)


def test_a_read_only_ledger_and_a_read_only_folder_are_named(sandbox, client, tmp_path):
    with tmpfs(tmp_path / "disk", "1m") as disk:
        mmsnb.Ledger(disk / "ledger.sqlite").close()
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        with pytest.raises(
            mmsnb.LedgerError, match=r"ledger\.sqlite' (is read-only|cannot be written: its folder .* is read-only)"
        ):
            send(client, disk / "ledger.sqlite")
        with pytest.raises(
            mmsnb.LedgerError, match=r"new\.sqlite' cannot be written: its folder '.*disk' is read-only"
        ):
            send(client, disk / "new.sqlite")
    assert sandbox.received == []


def test_a_full_disk_stops_before_sending_and_names_the_ledger(sandbox, client, tmp_path):
    with tmpfs(tmp_path / "disk", "256k") as disk:
        path = disk / "ledger.sqlite"
        mmsnb.Ledger(path).close()
        with open(disk / "filler", "wb", buffering=0) as filler:
            try:
                while True:
                    filler.write(b"\0" * 4096)
            except OSError:
                pass
        try:
            results = send(client, path, n=5, group=False)
        except mmsnb.LedgerError as exc:
            assert "the disk is full" in str(exc) and str(path) in str(exc)
            assert sandbox.received == []
        else:
            stopped = results.send_state == "stopped"
            assert stopped.any() and results.error[stopped].str.contains("the disk is full").all()
            accepted = set(results.address[results.send_state == "accepted"])
            assert set(received_addresses(sandbox)) == accepted


def test_a_newer_ledger_is_refused_and_an_older_one_is_migrated(sandbox, client, tmp_path):
    newer = tmp_path / "newer.sqlite"
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(mmsnb.LedgerError, match=r"written by a newer mmsnb \(schema 99"):
        mmsnb.Ledger(newer)

    older = tmp_path / "older.sqlite"
    with sqlite3.connect(older) as conn:
        conn.executescript(OLD_SCHEMA)
        conn.execute(
            "INSERT INTO requests VALUES (1, 'spring', 1, 'k', '[\"tel:+48501000000\"]', 1, 'accepted', 'm-1', 200, "
            "NULL, NULL, '2026-01-01T10:00:00+00:00', '2026-01-01T10:00:01+00:00')"
        )
        conn.execute("INSERT INTO recipients VALUES ('spring', 'tel:+48501000000', 'k', 1)")
    results = mmsnb.send(
        client, pd.DataFrame({"msisdn": orange(2)}), subject="Hej", campaign="spring", ledger=older, progress=False
    )
    assert results.send_state.astype(str).tolist() == ["already-sent", "accepted"]
    assert results.message_id.iloc[0] == "m-1"
    assert received_addresses(sandbox) == {"tel:+48501000001": 1}


def test_intents_are_written_durably(tmp_path):
    with mmsnb.Ledger(tmp_path / "l.sqlite") as ledger, ledger._store.read() as tx:
        assert tx.execute("PRAGMA synchronous") == [(2,)]  # FULL
        assert tx.execute("PRAGMA journal_mode") == [("wal",)]


def test_a_ledger_whose_write_ahead_log_has_another_name_is_refused(tmp_path):
    ledger = tmp_path / "l.sqlite"
    with mmsnb.Ledger(ledger):  # open: its write-ahead log is there
        os.link(f"{ledger}-wal", tmp_path / "other.sqlite-wal")
        with pytest.raises(mmsnb.LedgerError, match=r"has a write-ahead log with 2 names \(hard links\)"):
            mmsnb.Ledger(ledger)


CHILD_SEND = """
import pandas as pd, mmsnb
results = mmsnb.send(mmsnb.Client.from_env(), pd.DataFrame({"msisdn": ["501000000"]}), subject="Hej", progress=False)
print(results.mms.info.ledger)
"""


def test_mmsnb_ledger_in_a_parent_folders_env_file_is_honoured(sandbox, tmp_path, monkeypatch):
    (tmp_path / ".env").write_text(
        "".join(f"{k}={v}\n" for k, v in sandbox.env().items() if k != "MMSNB_LEDGER")
        + f"MMSNB_LEDGER={tmp_path / 'team.sqlite'}\n"
    )
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MMSNB_")}
    done = subprocess.run(
        [sys.executable, "-c", CHILD_SEND],
        env={**env, "PYTHONPATH": str(REPO)},
        cwd=notebooks,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "team.sqlite")
    assert (tmp_path / "team.sqlite").is_file() and not list(notebooks.iterdir())


def test_an_embedded_sandbox_keeps_its_own_ledger_whatever_env_names(sandbox, tmp_path, monkeypatch):
    """Practice sends to a sandbox in this process never enter the team's ledger that .env names."""
    monkeypatch.setenv("MMSNB_LEDGER", str(tmp_path / "team.sqlite"))
    client = sandbox.client()
    results = mmsnb.send(client, pd.DataFrame({"msisdn": orange(1)}), subject="Hej", progress=False)
    mmsnb.opt_out("501000001", client=client)
    assert results.mms.info.ledger == str(sandbox.ledger.absolute())
    assert not (tmp_path / "team.sqlite").exists()
    assert mmsnb.opted_out(client=client).address.tolist() == ["tel:+48501000001"]


OLD_SCHEMA = """
CREATE TABLE requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT, campaign TEXT NOT NULL, request_no INTEGER NOT NULL,
    content_key TEXT NOT NULL, addresses TEXT NOT NULL, delivery_report INTEGER NOT NULL, state TEXT NOT NULL,
    message_id TEXT, http_status INTEGER, error_code INTEGER, error TEXT, intent_at TEXT NOT NULL, done_at TEXT
);
CREATE TABLE recipients (
    campaign TEXT NOT NULL, address TEXT NOT NULL, content_key TEXT NOT NULL,
    request_id INTEGER NOT NULL REFERENCES requests (id),
    PRIMARY KEY (campaign, address, content_key)
);
CREATE TABLE statuses (message_id TEXT NOT NULL, address TEXT, status TEXT NOT NULL, category TEXT NOT NULL,
                       final INTEGER NOT NULL, polled_at TEXT NOT NULL);
CREATE TABLE quota (read_at TEXT NOT NULL, used INTEGER NOT NULL, available INTEGER NOT NULL, resets_on TEXT);
"""
