"""``mmsnb opt-out`` and ``mmsnb opt-in``, and the rules ``mmsnb send`` obeys with them: a number that opted
out is never sent to, ``--min-gap`` leaves out numbers another campaign contacted recently, and each line
and exit status says so. The gateway is a real sandbox over HTTPS; the ledger a real SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import received_addresses

import mmsnb
from mmsnb.cli import main

ROOT = Path(__file__).resolve().parents[1]
FIRST, SECOND, THIRD = "tel:+48501102030", "tel:+48502103040", "tel:+48503000000"


def today() -> str:
    return f"{datetime.now(UTC):%Y-%m-%d}"


@pytest.fixture
def ledger(sandbox) -> Path:
    """The sandbox's own ledger: what its sends use in this process, and what ``sandbox.env()`` names for others."""
    return sandbox.ledger


@pytest.fixture
def env(sandbox, ledger, tmp_path, monkeypatch) -> dict[str, str]:
    """The sandbox's settings (its ledger included), in this process (for ``main``) and for a subprocess."""
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("MMSNB_")]:
        monkeypatch.delenv(name)
    settings = sandbox.env()
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def run(capsys, *args: str) -> tuple[int, str, str]:
    """``mmsnb ARGS`` in this process: its exit status, stdout and stderr."""
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return code, out, err


def standing(ledger: Path) -> set[str]:
    return set(mmsnb.opted_out(ledger).address)


# -- opt-out, then send ---------------------------------------------------------------------------


def test_a_number_opted_out_on_the_command_line_is_not_sent_to(sandbox, env, ledger, tmp_path):
    def mmsnb_(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "mmsnb", *args]
        done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert "Traceback" not in done.stderr, done.stderr
        return done

    done = mmsnb_("opt-out", "501", "102", "030", "--reason", "replied STOP")  # written in words, as for send
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{FIRST}  opted out\n", "")

    done = mmsnb_("send", "501102030", "502 103 040", "--subject", "Hej")
    assert done.returncode == 0, "a number left out by a rule is the rule working, not a mistake"
    assert done.stdout.startswith(f"{SECOND}: sent, message id: ")
    assert done.stderr == (
        f"{FIRST}: not sent (opted-out): this number opted out on {today()} (replied STOP). "
        "'mmsnb opt-in NUMBER' ends it.\n"
    )
    assert received_addresses(sandbox) == Counter({SECOND: 1})

    done = mmsnb_("send", "501102030", "--subject", "Hej")  # the same command again: still nothing for it
    assert done.returncode == 0 and "not sent (opted-out)" in done.stderr
    assert received_addresses(sandbox) == Counter({SECOND: 1})


def test_opt_in_ends_the_opt_out_and_the_next_send_reaches_the_number(capsys, sandbox, env, ledger):
    assert run(capsys, "opt-out", "501102030")[0] == 0
    assert run(capsys, "send", "501102030", "--subject", "Hej")[0] == 0
    assert sandbox.received == []

    assert run(capsys, "opt-in", "+48 501 102 030", "--reason", "signed up again") == (0, f"{FIRST}  opted in\n", "")
    assert run(capsys, "opt-in", "501102030") == (0, f"{FIRST}  was not opted out\n", "")
    code, out, err = run(capsys, "send", "501102030", "--subject", "Hej")
    assert (code, err) == (0, "") and out.startswith(f"{FIRST}: sent, message id: ")
    assert received_addresses(sandbox) == Counter({FIRST: 1})


def test_opting_out_twice_says_already(capsys, env, ledger):
    assert run(capsys, "opt-out", "501102030", "502103040") == (0, f"{FIRST}  opted out\n{SECOND}  opted out\n", "")
    assert run(capsys, "opt-out", "0048 501 102 030") == (0, f"{FIRST}  already opted out\n", "")
    assert standing(ledger) == {FIRST, SECOND}


def test_an_invalid_number_is_named_and_the_others_are_recorded(capsys, sandbox, env, ledger):
    code, out, err = run(capsys, "opt-out", "501102030", "501 x", "22 628 14 30", "502103040")
    assert code == 2
    assert out == f"{FIRST}  opted out\n{SECOND}  opted out\n"
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("'501 x': not opted out: '501 x' is not a phone number")
    assert lines[1].startswith("'22 628 14 30': not opted out: ") and "fixed-line" in lines[1]
    assert standing(ledger) == {FIRST, SECOND}


def test_digit_groups_that_make_no_number_record_nothing(capsys, env, ledger):
    code, out, err = run(capsys, "opt-out", "501", "102", "03")
    assert code == 2 and out == ""
    assert err.startswith("mmsnb opt-out: error: '501 102 03' is not a valid Polish number")
    assert "No number was opted out" in err
    assert not ledger.exists()


# -- --file ---------------------------------------------------------------------------------------


def test_numbers_from_a_csv_file(capsys, env, ledger, tmp_path):
    (tmp_path / "stop.csv").write_text("name;msisdn\nAla;501 102 030\nOla;\nEla;502-103-040\n", encoding="utf-8")
    code, out, err = run(capsys, "opt-out", "--file", "stop.csv", "--reason", "replied STOP")
    assert code == 2
    assert out == f"{FIRST}  opted out\n{SECOND}  opted out\n"
    assert err == "stop.csv row 3: not opted out: The number is missing: fill in the cell or drop the row.\n"
    assert standing(ledger) == {FIRST, SECOND}
    assert set(mmsnb.opted_out(ledger).reason) == {"replied STOP"}


def test_a_csv_files_other_column_and_a_file_of_bare_numbers(capsys, env, ledger, tmp_path):
    (tmp_path / "list.csv").write_text("name,phone\nAla,501102030\n", encoding="utf-8")
    assert run(capsys, "opt-out", "--file", "list.csv", "--column", "phone") == (0, f"{FIRST}  opted out\n", "")
    (tmp_path / "bare.csv").write_text("502103040\n503000000\n", encoding="utf-8")  # no header
    assert run(capsys, "opt-out", "--file", "bare.csv", "501102030") == (
        0,
        f"{FIRST}  already opted out\n{SECOND}  opted out\n{THIRD}  opted out\n",
        "",
    )
    assert run(capsys, "opt-in", "--file", "bare.csv")[1] == f"{SECOND}  opted in\n{THIRD}  opted in\n"
    assert standing(ledger) == {FIRST}


def test_a_csv_file_without_a_number_column_is_a_sentence_naming_it(capsys, env, ledger, tmp_path):
    (tmp_path / "people.csv").write_text("name,phone\nAla,501102030\n", encoding="utf-8")
    code, out, err = run(capsys, "opt-out", "--file", "people.csv")
    assert (code, out) == (2, "")
    assert err == (
        "mmsnb opt-out: error: people.csv has no column 'msisdn' and several others (name, phone): "
        "name the one that holds the numbers with --column.\n"
    )
    code, _, err = run(capsys, "opt-out", "--file", "people.csv", "--column", "tel")
    assert code == 2 and err == "mmsnb: people.csv has no column 'tel'. Its columns: name, phone.\n"
    code, _, err = run(capsys, "opt-out", "--file", "nowhere.csv")
    assert code == 2 and err == "mmsnb: nowhere.csv does not exist: check the path.\n"
    assert not ledger.exists()


# -- --list ---------------------------------------------------------------------------------------


def test_list_shows_the_standing_opt_outs_aligned_and_all_shows_the_ended_ones(capsys, env, ledger):
    assert run(capsys, "opt-out", "--list") == (0, "No number has opted out.\n", "")
    assert not ledger.exists(), "listing does not create a ledger"
    run(capsys, "opt-out", "501102030", "--reason", "replied STOP")
    run(capsys, "opt-out", "502103040")
    run(capsys, "opt-in", "502103040", "--reason", "signed up again")

    code, out, err = run(capsys, "opt-out", "--list")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split("  ")[0] == "number" and "opted out (UTC)" in lines[0] and "reason" in lines[0]
    assert len(lines) == 2 and lines[1].startswith(f"{FIRST}  {today()} ") and lines[1].endswith("  replied STOP")
    assert lines[0].index("reason") == lines[1].index("replied STOP")

    lines = run(capsys, "opt-out", "--list", "--all")[1].splitlines()
    assert len(lines) == 3 and "opted in (UTC)" in lines[0] and "opt-in reason" in lines[0]
    first, second = lines[1], lines[2]
    assert first.startswith(FIRST) and "signed up again" not in first
    assert second.startswith(SECOND) and second.endswith("  signed up again")
    assert second.count(today()) == 2 and lines[0].index("opt-in reason") == second.index("signed up again")

    run(capsys, "opt-in", "501102030")
    assert run(capsys, "opt-out", "--list")[1] == "No number has opted out.\n"


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        ([], "Give the numbers (e.g. 501102030), or --file with a CSV of them."),
        (["--all", "501102030"], "--all goes with --list"),
        (["--list", "501102030"], "--list shows the opt-outs and records nothing"),
        (["--list", "--reason", "x"], "--list shows the opt-outs and records nothing"),
        (["--column", "phone", "501102030"], "--column names the column of a --file"),
    ],
)
def test_a_wrong_combination_of_options_is_a_usage_error(capsys, env, ledger, args, sentence):
    code, out, err = run(capsys, "opt-out", *args)
    assert (code, out) == (2, "")
    assert err.startswith(f"mmsnb opt-out: error: {sentence}") and len(err.splitlines()) == 1
    assert not ledger.exists()


def test_a_ledger_that_is_no_ledger_is_a_sentence(capsys, env, tmp_path):
    (tmp_path / "notes.sqlite").write_text("not a database, just notes that happen to be long enough\n" * 4)
    code, out, err = run(capsys, "opt-out", "501102030", "--ledger", "notes.sqlite")
    assert (code, out) == (2, "") and "is not a ledger (not a SQLite database)" in err
    code, _, err = run(capsys, "opt-out", "--list", "--ledger", "ftp://host/x")
    assert code == 2 and err.startswith("mmsnb: --ledger ftp:// is not a ledger this version knows")


def test_the_ledger_option_takes_a_sqlite_url(capsys, env, ledger, tmp_path):
    assert run(capsys, "opt-out", "501102030", "--ledger", "sqlite:///team.sqlite")[0] == 0
    assert standing(tmp_path / "team.sqlite") == {FIRST} and not ledger.exists()


# -- send --min-gap -------------------------------------------------------------------------------


def test_min_gap_leaves_out_numbers_another_campaign_contacted(capsys, sandbox, env, ledger):
    assert run(capsys, "send", "501102030", "--subject", "Wiosna", "--campaign", "spring")[0] == 0
    code, out, err = run(
        capsys, "send", "501102030", "502103040", "--subject", "Lato", "--campaign", "summer", "--min-gap", "7D"
    )
    assert code == 0
    assert out.startswith(f"{SECOND}: sent, message id: ")
    assert err.startswith(f"{FIRST}: not sent (too-soon): campaign 'spring' contacted this number on {today()} ")
    assert err.endswith(" UTC, within --min-gap 7D.\n")
    assert received_addresses(sandbox) == Counter({FIRST: 1, SECOND: 1})
    # without the rule, another campaign reaches it
    assert run(capsys, "send", "501102030", "--subject", "Jesień", "--campaign", "autumn")[0] == 0
    assert received_addresses(sandbox) == Counter({FIRST: 2, SECOND: 1})


@pytest.mark.parametrize("gap", ["soon", "0D", "-1h", "7 parsecs"])
def test_a_bad_min_gap_is_a_usage_error_naming_it(capsys, sandbox, env, ledger, gap):
    with pytest.raises(SystemExit) as stopped:
        main(["send", "501102030", "--subject", "Hej", f"--min-gap={gap}"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: mmsnb send ")
    assert (
        f"mmsnb send: error: argument --min-gap: {gap!r} is not a length of time with its unit, of a second or more"
        in err
    )
    assert sandbox.received == [] and not ledger.exists()


# -- help -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["opt-out", "opt-in"])
def test_help_describes_the_command_and_the_ledger_variable(capsys, command):
    with pytest.raises(SystemExit) as stopped:
        main([command, "--help"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: mmsnb {command} ")
    assert "opt-out" in out.partition("environment")[0]
    assert "MMSNB_LEDGER  the ledger: a file or a PostgreSQL URL" in out.partition("environment")[2]
    assert "--ledger PATH_OR_URL" in out and "--file CSV" in out and "exit status: " in out


def test_send_help_gives_the_exit_status_rule(capsys):
    with pytest.raises(SystemExit):
        main(["send", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--min-gap TIME" in out
    assert "exit status: 0 when every number was sent (now or by an earlier run) or left out by a rule" in out
    assert "(it opted out, or was contacted within --min-gap); 2 when a number was invalid or repeated" in out
