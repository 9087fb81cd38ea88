"""A team's ledger on a real PostgreSQL server (started by the tests): two machines' worth of processes
sending one campaign, opt-outs and contact pressure across campaigns, the password kept out of sight,
the schema's version, and a server lost in the middle of a campaign.

Every count of what was sent is the sandbox's (``received``), not the ledger's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from helpers import orange, received_addresses, run_together, send_together

import mmsnb
from mmsnb.ledger import Ledger
from mmsnb.ledger.schema import SCHEMA_VERSION

REPO = Path(__file__).resolve().parent.parent


def password_of(url: str) -> str:
    return url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]


# -- two processes, two working folders, one database -----------------------------------

CHILD = """
import sys, pandas as pd, mmsnb
client = mmsnb.Client.from_env()
frame = pd.read_csv("campaign.csv", dtype=str)
print("ready", flush=True)
sys.stdin.readline()
results = mmsnb.send(client, frame, subject="Wiosna", campaign="spring", group=False, workers=4, progress=False)
results.to_csv("out.csv", index=False)
"""


@pytest.mark.slow
def test_two_processes_in_separate_folders_send_one_campaign_once_through_postgresql(make_sandbox, pg_url, tmp_path):
    sandbox = make_sandbox(quota=1000, latency=0.02)
    numbers = orange(150)
    env = {**os.environ, **sandbox.env(), "MMSNB_LEDGER": pg_url, "PYTHONPATH": str(REPO)}
    folders = [tmp_path / "laptop-1", tmp_path / "laptop-2"]
    for folder in folders:
        folder.mkdir()
        pd.DataFrame({"msisdn": numbers}).to_csv(folder / "campaign.csv", index=False)
    run_together([(CHILD, folder, env) for folder in folders])

    assert received_addresses(sandbox) == Counter({f"tel:+48{n}": 1 for n in numbers})
    states = [mmsnb.read_results(folder / "out.csv").send_state.astype(str) for folder in folders]
    assert ((states[0] == "accepted") ^ (states[1] == "accepted")).all()
    assert set(states[0]) | set(states[1]) <= {"accepted", "already-sent", "in-progress"}
    for folder in folders:  # the ledger is the database: no file was written beside the work
        assert sorted(p.name for p in folder.iterdir()) == ["campaign.csv", "out.csv"]
    sends = mmsnb.history("spring", ledger=pg_url).sends
    accepted = sends[sends.state == "accepted"]
    assert sorted(accepted.address) == sorted(f"tel:+48{n}" for n in numbers)


OPT_OUT = """
import mmsnb
print(mmsnb.opt_out(["501 000 003", "+48 501 000 007"], reason="replied STOP").result.tolist())
"""


def test_an_opt_out_recorded_by_one_process_is_honoured_by_another(sandbox, pg_url, tmp_path):
    env = {**os.environ, "MMSNB_LEDGER": pg_url, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", OPT_OUT], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['opted-out', 'opted-out']"

    client = sandbox.client()
    frame = pd.DataFrame({"msisdn": orange(10)})
    planned = mmsnb.plan(client, frame, subject="Hej", ledger=pg_url)
    assert planned.to_frame().send_state.astype(str).value_counts()["opted-out"] == 2
    results = mmsnb.send(client, frame, subject="Hej", ledger=pg_url, progress=False)
    states = results.set_index("address").send_state.astype(str)
    assert states["tel:+48501000003"] == states["tel:+48501000007"] == "opted-out"
    assert results.error[results.send_state == "opted-out"].str.contains("replied STOP").all()
    assert received_addresses(sandbox) == Counter({f"tel:+48{n}": 1 for n in orange(10) if n[-1] not in "37"})

    listed = mmsnb.opted_out(pg_url)
    assert sorted(listed.address) == ["tel:+48501000003", "tel:+48501000007"]
    assert str(listed.opted_out_at.dt.tz) == "UTC" and (listed.reason == "replied STOP").all()
    assert mmsnb.opt_in("501000003", ledger=pg_url).result.tolist() == ["opted-in"]
    again = mmsnb.send(client, frame, subject="Hej", ledger=pg_url, progress=False)
    assert again.set_index("address").send_state.astype(str)["tel:+48501000003"] == "accepted"
    assert received_addresses(sandbox)["tel:+48501000003"] == 1
    record = mmsnb.opted_out(pg_url, include_ended=True)
    assert len(record) == 2 and record.opted_in_at.notna().sum() == 1


def test_an_opt_out_made_between_plan_and_send_holds(sandbox, pg_url):
    client = sandbox.client()
    planned = mmsnb.plan(client, pd.DataFrame({"msisdn": orange(4)}), subject="Hej", ledger=pg_url)
    assert (planned.to_frame().send_state == "planned").all()
    mmsnb.opt_out("501000002", ledger=pg_url)
    results = planned.send(progress=False)
    assert results.set_index("address").send_state.astype(str)["tel:+48501000002"] == "opted-out"
    assert "tel:+48501000002" not in received_addresses(sandbox)


# -- contact pressure -------------------------------------------------------------------


def test_min_gap_keeps_another_campaign_from_contacting_a_number_too_soon(sandbox, pg_url):
    client = sandbox.client()
    mmsnb.send(
        client, pd.DataFrame({"msisdn": orange(5)}), subject="A", campaign="autumn", ledger=pg_url, progress=False
    )
    frame = pd.DataFrame({"msisdn": orange(5, start=3)})  # 501000003, 501000004 were in "autumn"

    results = mmsnb.send(client, frame, subject="B", campaign="winter", ledger=pg_url, min_gap="7D", progress=False)
    states = results.set_index("address").send_state.astype(str)
    assert states[["tel:+48501000003", "tel:+48501000004"]].tolist() == ["too-soon", "too-soon"]
    assert (states.drop(["tel:+48501000003", "tel:+48501000004"]) == "accepted").all()
    reason = results.error[results.send_state == "too-soon"].iloc[0]
    assert "'autumn'" in reason and "min_gap=7D" in reason and pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d") in reason
    assert received_addresses(sandbox) == Counter({f"tel:+48{n}": 1 for n in orange(8)})

    # A gap shorter than the time since "autumn" lets them through; without min_gap there is no rule.
    time.sleep(1.1)  # longer than the gap below, so "autumn" is no longer too recent
    later = mmsnb.send(client, frame, subject="C", campaign="spring", ledger=pg_url, min_gap="1s", progress=False)
    assert set(later.send_state.astype(str)) == {"accepted"}


def test_two_campaigns_with_min_gap_at_once_contact_each_number_once(make_sandbox, pg_url):
    sandbox = make_sandbox(quota=1000, latency=0.02)
    frame = pd.DataFrame({"msisdn": orange(60)})
    runs = [
        dict(subject=name, campaign=name, ledger=pg_url, min_gap="1D", group=False, workers=4)
        for name in ("north", "south")
    ]
    north, south = (r.send_state.astype(str) for r in send_together(sandbox, frame, runs))
    assert received_addresses(sandbox) == Counter({f"tel:+48{n}": 1 for n in frame.msisdn})
    assert ((north == "accepted") ^ (south == "accepted")).all()
    assert set(north[south == "accepted"]) | set(south[north == "accepted"]) == {"too-soon"}


def test_min_gap_on_sqlite_too_and_a_bad_value_is_named(sandbox, tmp_path):
    client, ledger = sandbox.client(), tmp_path / "l.sqlite"
    mmsnb.send(client, pd.DataFrame({"msisdn": orange(2)}), subject="A", campaign="a", ledger=ledger, progress=False)
    dry = mmsnb.send(
        client,
        pd.DataFrame({"msisdn": orange(3)}),
        subject="B",
        campaign="b",
        ledger=ledger,
        min_gap="36h",
        dry_run=True,
    )
    assert dry.send_state.astype(str).tolist() == ["too-soon", "too-soon", "planned"]
    for bad in ("soon", "-1D", "7", "0.5s", 7, True, pd.DateOffset(days=-1), pd.DateOffset(months=0)):
        with pytest.raises(mmsnb.InputError, match=r"min_gap="):
            mmsnb.plan(client, pd.DataFrame({"msisdn": orange(1)}), subject="B", ledger=ledger, min_gap=bad)


# -- the password, the schema, the extra -------------------------------------------------


def test_the_password_is_never_shown(sandbox, pg_url, tmp_path, caplog):
    secret = password_of(pg_url)
    client = sandbox.client()
    results = mmsnb.send(client, pd.DataFrame({"msisdn": orange(2)}), subject="Hej", ledger=pg_url, progress=False)
    shown = [
        repr(Ledger(pg_url)),
        str(results.mms.info),
        repr(results.attrs),
        results.to_csv(),
        repr(mmsnb.plan(client, pd.DataFrame({"msisdn": orange(1)}), subject="Hi", ledger=pg_url)),
        caplog.text,
    ]
    assert all(secret not in text for text in shown)
    assert results.mms.info.ledger == pg_url.replace(f":{secret}@", "@")
    # poll reopens the ledger the send named (without its password) and still connects
    polled = mmsnb.poll(client, results, timeout=30, progress=False)
    assert polled.status.notna().all()

    wrong = pg_url.replace(secret, "not-the-password")
    with pytest.raises(mmsnb.LedgerError, match="refused the credentials") as caught:
        Ledger(wrong)
    assert "not-the-password" not in str(caught.value) and secret not in str(caught.value)


def test_a_newer_schema_is_refused_and_the_version_is_a_row(pg_url):
    import psycopg

    Ledger(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        conn.execute("UPDATE schema_version SET version = 99")
    # this process keeps a pool for the URL: a new URL spelling (another process) must check the version
    with pytest.raises(mmsnb.LedgerError, match=r"newer mmsnb \(schema 99"):
        Ledger(pg_url + "?application_name=other")


def test_a_schema_2_sqlite_ledger_gains_opt_outs_and_keeps_its_sends(sandbox, tmp_path):
    import sqlite3

    path = tmp_path / "v2.sqlite"
    client = sandbox.client()
    mmsnb.send(client, pd.DataFrame({"msisdn": orange(2)}), subject="Hej", campaign="old", ledger=path, progress=False)
    with sqlite3.connect(path) as conn:  # make it what mmsnb 0.1 wrote: schema 2, no version row, no opt-outs
        conn.execute("DROP TABLE schema_version")
        conn.execute("DROP TABLE opt_outs")
        conn.execute("PRAGMA user_version = 2")
    mmsnb.opt_out("501000000", ledger=path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    again = mmsnb.send(
        client, pd.DataFrame({"msisdn": orange(3)}), subject="Hej", campaign="old", ledger=path, progress=False
    )
    assert again.send_state.astype(str).tolist() == ["already-sent", "already-sent", "accepted"]
    assert received_addresses(sandbox) == Counter({f"tel:+48{n}": 1 for n in orange(3)})


MISSING_EXTRA = """
import sys
sys.modules["psycopg"] = None  # as if 'mmsnb[team]' were not installed
import mmsnb
try:
    mmsnb.Ledger("postgresql://someone@127.0.0.1:1/team")
except mmsnb.LedgerError as exc:
    print(exc)
"""


def test_without_the_team_extra_the_error_says_what_to_install(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", MISSING_EXTRA],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "pip install 'mmsnb[team]'" in done.stdout


@pytest.mark.parametrize(
    "spec, message",
    [
        ("mysql://me@host/db", "mysql:// is not a ledger"),
        ("sqlite://", "names no file"),
    ],
)
def test_a_ledger_url_that_is_not_one_is_named(spec, message):
    with pytest.raises(mmsnb.InputError, match=message):
        Ledger(spec)


def test_sqlite_urls_name_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with Ledger("sqlite:///relative.sqlite") as ledger:
        assert ledger.location.path == Path("relative.sqlite")
    with Ledger(f"sqlite:///{tmp_path}/absolute.sqlite"):
        pass
    assert sorted(p.name for p in tmp_path.glob("*.sqlite")) == ["absolute.sqlite", "relative.sqlite"]


def test_history_is_the_same_on_both_engines(make_sandbox, pg_url, tmp_path):
    histories = []
    for ledger in (tmp_path / "l.sqlite", pg_url):
        sandbox = make_sandbox(seed=3)
        client = sandbox.client()
        frame = pd.DataFrame({"msisdn": orange(6), "who": list("abcdef")})
        results = mmsnb.send(
            client, frame, subject="Hej {who}", campaign="same", ledger=ledger, workers=1, progress=False
        )
        mmsnb.poll(client, results, timeout=30, progress=False)
        mmsnb.opt_out("501000009", ledger=ledger)
        histories.append(mmsnb.history("same", ledger=ledger))
    sqlite, postgres = histories
    for name in ("sends", "statuses"):
        a, b = getattr(sqlite, name), getattr(postgres, name)
        assert a.dtypes.to_dict() == b.dtypes.to_dict(), name
        ignore = [c for c in a.columns if c.endswith("_at") or c == "message_id"]
        key = ["address"] if name == "sends" else ["address", "status"]
        pd.testing.assert_frame_equal(
            a.drop(columns=ignore).sort_values(key).reset_index(drop=True),
            b.drop(columns=ignore).sort_values(key).reset_index(drop=True),
        )
    assert sqlite.quota.dtypes.to_dict() == postgres.quota.dtypes.to_dict()


# -- the server goes away in the middle of a campaign ---------------------------------------


@pytest.fixture
def own_server(postgres_server):
    """A second server of this test's own, to crash (the shared one stays up for the other tests)."""
    from postgres import PostgresServer

    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.mark.slow
def test_a_server_lost_mid_campaign_stops_it_cleanly_and_a_later_run_resumes(make_sandbox, own_server):
    sandbox = make_sandbox(quota=1000, latency=0.05)
    url = own_server.url()
    frame = pd.DataFrame({"msisdn": orange(200)})
    options = dict(subject="Awaria", campaign="outage", ledger=url, group=False, progress=False)
    client = sandbox.client(timeout=(5, 10))
    done: dict[str, pd.DataFrame] = {}
    sending = threading.Thread(target=lambda: done.update(first=mmsnb.send(client, frame, workers=4, **options)))
    sending.start()
    while len(sandbox.received) < 20 and sending.is_alive():
        sending.join(0.01)
    own_server.crash()
    sending.join(120)
    assert not sending.is_alive() and "first" in done, "the send did not come back after the server went away"

    first = done["first"]
    states = first.send_state.astype(str)
    assert set(states) <= {"accepted", "stopped"}
    assert (states == "stopped").any()
    stopped = first.error[states == "stopped"]
    assert stopped.str.contains("lost its connection|gave no connection|cannot be reached").all(), stopped.iloc[0]
    assert own_server.password not in " ".join(first.error.dropna())
    received = received_addresses(sandbox)
    assert max(received.values()) == 1
    assert set(first.address[states == "accepted"]) <= set(received)
    assert not set(first.address[states == "stopped"]) & set(received)

    own_server.restart()
    second = mmsnb.send(client, frame, workers=4, **options)
    client.close()
    again = second.send_state.astype(str)
    received = received_addresses(sandbox)
    assert max(received.values()) == 1, "a message went twice"
    assert set(again) <= {"accepted", "already-sent", "unknown"}
    unknown = set(second.address[again == "unknown"])
    # every row reached the gateway exactly once, except those in doubt (under way when the server went away)
    assert set(received) | unknown == set(second.address)
    assert len(unknown) <= 4, "more requests in doubt than the first run had in flight"
    assert second.error[again == "unknown"].str.contains("retry_unknown").all()


@pytest.mark.slow
def test_a_frozen_server_stops_the_campaign_with_a_sentence_instead_of_hanging(make_sandbox, own_server, monkeypatch):
    """A server whose processes are stopped (its machine hangs; its kernel still answers, so keepalives see
    nothing): each ledger call gives up after ANSWER_TIMEOUT, and the campaign stops as if the server were lost."""
    from mmsnb.ledger import postgres

    monkeypatch.setattr(postgres, "ANSWER_TIMEOUT", 2)
    sandbox = make_sandbox(quota=1000, latency=0.05)
    frame = pd.DataFrame({"msisdn": orange(200)})
    client = sandbox.client(timeout=(5, 10))
    done: dict[str, pd.DataFrame] = {}
    options = dict(subject="Zator", campaign="frozen", ledger=own_server.url(), group=False, progress=False)
    sending = threading.Thread(target=lambda: done.update(first=mmsnb.send(client, frame, workers=4, **options)))
    sending.start()
    try:
        while len(sandbox.received) < 20 and sending.is_alive():
            sending.join(0.01)
        with own_server.frozen():
            sending.join(120)
            assert not sending.is_alive(), "the send hung on the frozen server"
    finally:
        sending.join()
        client.close()

    states = done["first"].send_state.astype(str)
    assert set(states) <= {"accepted", "stopped", "unknown"} and (states == "stopped").any()
    stopped = done["first"].error[states == "stopped"]
    assert stopped.str.contains("lost its connection to the server .no answer within 2 s.").all(), stopped.iloc[0]
    assert own_server.password not in " ".join(done["first"].error.dropna())
    assert max(received_addresses(sandbox).values()) == 1


def test_a_send_s_threads_share_a_few_pooled_connections(make_sandbox, pg_url):
    import psycopg

    from mmsnb.ledger.postgres import POOL_SIZE

    sandbox = make_sandbox(quota=1000, latency=0.02)
    client = sandbox.client(timeout=(5, 10))
    database = pg_url.rsplit("/", 1)[1]

    def backends() -> set[int]:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'mmsnb' AND datname = %s", (database,)
            ).fetchall()
        return {pid for (pid,) in rows}

    options = dict(subject="Hej", ledger=pg_url, group=False, workers=16, progress=False)
    first = mmsnb.send(client, pd.DataFrame({"msisdn": orange(120)}), campaign="one", **options)
    assert (first.send_state == "accepted").all()
    after_first = backends()
    assert 1 <= len(after_first) <= POOL_SIZE
    second = mmsnb.send(client, pd.DataFrame({"msisdn": orange(120)}), campaign="two", **options)
    assert (second.send_state == "accepted").all()
    assert after_first <= backends(), "the second send opened new connections instead of reusing the pool's"
    assert received_addresses(sandbox) == Counter({f"tel:+48{n}": 2 for n in orange(120)})


@pytest.mark.parametrize(
    "given, shown",
    [
        ("postgresql://team:pa55-word@db.example:5432/mmsnb", "postgresql://team@db.example:5432/mmsnb"),
        (
            "postgres://team@db.example/mmsnb?password=pa55-word&sslmode=require",
            "postgresql://team@db.example/mmsnb?sslmode=require",
        ),
        ("postgresql://db.example/mmsnb", "postgresql://db.example/mmsnb"),
        ("postgresql://team:pa55#word@db.example/mmsnb", "postgresql://team@db.example/mmsnb"),  # as libpq reads it
        ("postgresql://team:pa55?word@db.example/mmsnb", "postgresql://team@db.example/mmsnb"),
        ("Postgresql://team:pa55-word@db.example/mmsnb", "postgresql://team@db.example/mmsnb"),
        ("postgresql://team@db.example/mmsnb?sslpassword=pa55-word", "postgresql://team@db.example/mmsnb"),
        ("host=db.example dbname=mmsnb user=team password=pa55-word", "postgresql://team@db.example/mmsnb"),
        (
            "postgresql:///mmsnb?host=/run/pg&port=5433&user=team&password=pa55-word",
            "postgresql://team@/mmsnb?host=%2Frun%2Fpg&port=5433",
        ),
    ],
)
def test_a_url_is_shown_without_its_password_however_it_is_written(given, shown):
    from mmsnb.ledger import locate

    where = locate(given)
    assert (str(where), where.engine) == (shown, "postgresql")
    assert "pa55" not in repr(where) and "pa55" not in str(where)
    assert ("pa55" in where.conninfo) == ("pa55" in given)  # what it connects with keeps the password
    assert str(locate(shown)) == shown  # the shown form names the same database


@pytest.mark.parametrize(
    "written", ["postgresql://team@db.example:5432/mmsnb", "host=db.example port=5432 dbname=mmsnb user=team"]
)
def test_a_postgresql_url_in_an_env_file_is_not_taken_for_a_path(tmp_path, monkeypatch, written):
    from mmsnb.ledger import locate

    monkeypatch.delenv("MMSNB_LEDGER", raising=False)
    (tmp_path / ".env").write_text(f"MMSNB_LEDGER={written}\n")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    assert str(locate()) == "postgresql://team@db.example:5432/mmsnb"


def test_a_password_with_url_characters_a_keyword_string_and_a_socket_url_all_connect_and_stay_hidden(
    sandbox, pg_url, postgres_server
):
    import psycopg

    secret = "Ab#cd?efgh"  # libpq reads # and ? in a URL's password as they are
    database = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("CREATE ROLE marketer LOGIN PASSWORD {}").format(psycopg.sql.Literal(secret)))
        conn.execute(psycopg.sql.SQL("GRANT ALL ON DATABASE {} TO marketer").format(psycopg.sql.Identifier(database)))
        conn.execute("GRANT ALL ON SCHEMA public TO marketer")
    try:
        port = postgres_server.port
        client = sandbox.client()
        spellings = [
            f"postgresql://marketer:{secret}@127.0.0.1:{port}/{database}",  # as typed, not percent-encoded
            f"host=127.0.0.1 port={port} dbname={database} user=marketer password='{secret}'",
            f"postgresql:///{database}?host={postgres_server.root / 'socket'}&port={port}&user=postgres",
        ]
        for n, ledger in enumerate(spellings):
            results = mmsnb.send(
                client,
                pd.DataFrame({"msisdn": orange(2)}),
                subject="Hej",
                campaign=f"c{n}",
                ledger=ledger,
                progress=False,
            )
            assert set(results.send_state.astype(str)) == {"accepted"}, results.error.tolist()
            polled = mmsnb.poll(client, results, timeout=30, progress=False)  # reopens the ledger the send named
            shown = [repr(Ledger(ledger)), results.mms.info.ledger, repr(results.attrs), polled.to_csv()]
            assert not any(secret in text or "Ab#cd" in text for text in shown)
        assert received_addresses(sandbox) == Counter({f"tel:+48{n}": 3 for n in orange(2)})
        with pytest.raises(mmsnb.InputError, match="cannot be read") as caught:  # an @ must be written %40
            Ledger(f"postgresql://marketer:Ab@cd/ef@127.0.0.1:{port}/{database}")
        assert "Ab@cd" not in str(caught.value) and "%40" in str(caught.value)
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("REASSIGN OWNED BY marketer TO postgres")
            conn.execute("DROP OWNED BY marketer")
            conn.execute("DROP ROLE marketer")


def test_a_user_who_may_only_read_and_write_uses_a_ledger_its_owner_made(sandbox, pg_url):
    import psycopg

    database = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE ROLE clerk LOGIN PASSWORD 'clerk-pass'")
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    clerk = (
        pg_url.replace("postgres:", "clerk:", 1).split("@")[0].rsplit(":", 1)[0] + ":clerk-pass@" + pg_url.split("@")[1]
    )
    try:
        with pytest.raises(mmsnb.LedgerError, match="has no mmsnb tables yet") as caught:
            mmsnb.opted_out(clerk)
        assert "Have the database's owner" in str(caught.value)

        mmsnb.opt_out("501000001", ledger=pg_url)  # the owner's first use makes the tables
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO clerk")
            conn.execute("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO clerk")
        assert mmsnb.opted_out(clerk).address.tolist() == ["tel:+48501000001"]
        results = mmsnb.send(
            sandbox.client(), pd.DataFrame({"msisdn": orange(3)}), subject="Hej", ledger=clerk, progress=False
        )
        assert results.send_state.astype(str).tolist() == ["accepted", "opted-out", "accepted"]
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("DROP OWNED BY clerk")
            conn.execute("DROP ROLE clerk")
    assert database


def test_a_campaign_locked_by_a_run_that_stopped_answering_stops_with_a_sentence(sandbox, pg_url, monkeypatch):
    import psycopg

    from mmsnb.ledger import postgres

    monkeypatch.setattr(postgres, "LOCK_TIMEOUT", 1)  # this database's pool is new: it takes the setting
    Ledger(pg_url).close()
    with psycopg.connect(pg_url) as stuck:  # another run, mid-claim, whose laptop went to sleep
        stuck.execute("SELECT pg_advisory_xact_lock(%s, hashtext('campaign:spring'))", (postgres._LOCK_CLASS,))
        results = mmsnb.send(
            sandbox.client(),
            pd.DataFrame({"msisdn": orange(2)}),
            subject="Hej",
            campaign="spring",
            ledger=pg_url,
            progress=False,
        )
    assert set(results.send_state.astype(str)) == {"stopped"}
    assert results.error.str.contains("stayed locked by another run for over 1 s").all()
    assert sandbox.received == []


def test_a_read_of_a_frozen_server_says_nothing_was_changed_not_that_a_campaign_stopped(own_server, monkeypatch):
    """Reading the opt-outs (or the history) is no campaign: the sentence says what was being done."""
    from mmsnb.ledger import postgres

    monkeypatch.setattr(postgres, "ANSWER_TIMEOUT", 2)
    with mmsnb.Ledger(own_server.url()) as ledger:
        ledger.opt_out(["tel:+48501000000"])
        with own_server.frozen():
            said = []
            for _ in range(2):  # the first call finds the server gone, the second knows it
                with pytest.raises(mmsnb.LedgerError) as info:
                    ledger.opted_out()
                said.append(str(info.value))
            with pytest.raises(mmsnb.LedgerError) as info:
                ledger.opt_out(["tel:+48501000001"])
    for sentence in said:
        assert "lost its connection to the server (no answer within 2 s) while it was being read" in sentence
        assert "nothing was changed" in sentence and "campaign" not in sentence
    assert "while it was being written. A campaign stops here" in str(info.value)
    assert own_server.password not in " ".join(said)
