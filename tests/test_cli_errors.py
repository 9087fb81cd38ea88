"""``python -m mmsnb``: every mistake on the command line ends in one or two sentences and exit status 2
(1 when the gateway refuses), never a traceback; the sandbox's settings paste into a shell or a .env file;
numbers written in separate words are joined when together they make one number."""

from __future__ import annotations

import argparse
import os
import shlex
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from dotenv import dotenv_values

from mmsnb.cli import commands, parser
from mmsnb.config import VARIABLES
from mmsnb.errors import InputError
from mmsnb.phones import parse

ROOT = Path(__file__).resolve().parents[1]


def clean_env(**extra: str) -> dict[str, str]:
    """The process environment without MMSNB_* variables, importing this tree's mmsnb."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MMSNB_")}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def mmsnb(*args: str, env: dict[str, str] | None = None, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mmsnb", *args]
    done = subprocess.run(command, env=env or clean_env(), cwd=cwd, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture
def gateway_env(sandbox, tmp_path) -> dict[str, str]:
    return clean_env(**{**sandbox.env(), "MMSNB_LEDGER": str(tmp_path / "ledger.sqlite")})


# -- settings ------------------------------------------------------------------------------------


def test_missing_credentials_name_the_variable_not_a_python_parameter(tmp_path):
    done = mmsnb("limit", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "mmsnb: No client id: set MMSNB_CLIENT_ID in the environment or a .env file. To try mmsnb without an "
        "account, run 'mmsnb sandbox --env-file .env' in another terminal in this folder and then this command "
        "again, or run 'mmsnb demo'."
    )
    with_id = mmsnb("limit", env=clean_env(MMSNB_CLIENT_ID="my-id"), cwd=tmp_path)
    assert with_id.returncode == 2
    assert "No client secret: set MMSNB_CLIENT_SECRET" in with_id.stderr and "sandbox" not in with_id.stderr


@pytest.mark.parametrize(
    "option, value, said",
    [
        ("--sender", "A\tB", "mmsnb: The sender 'A\\tB' holds a control character (U+0009, a tab)"),
        ("--campaign", "a\nb", "argument --campaign: The campaign name 'a\\nb' holds a control character (U+000A"),
        ("--subject", "Hej\x07", "mmsnb: The subject 'Hej\\x07' holds a control character (U+0007"),
    ],
    ids=["sender", "campaign", "subject"],
)
def test_control_characters_are_refused_on_the_command_line(sandbox, gateway_env, tmp_path, option, value, said):
    words = ["--subject", "Hej", option, value] if option != "--subject" else [option, value]
    done = mmsnb("send", "501102030", *words, env=gateway_env, cwd=tmp_path)
    assert done.returncode == 2
    assert said in done.stderr.strip().splitlines()[-1]  # after the usage, for a mistake in an option
    assert received_by_address(sandbox) == {}


@pytest.mark.parametrize("name", ["", "   "])
def test_an_empty_campaign_name_is_refused_in_the_commands_words(sandbox, gateway_env, tmp_path, name):
    done = mmsnb("send", "501102030", "--subject", "Hej", "--campaign", name, env=gateway_env, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().endswith(
        "mmsnb send: error: argument --campaign: the campaign name is empty; give a name, or leave out --campaign "
        "for the automatic name"
    )
    assert "None" not in done.stderr and "campaign=" not in done.stderr
    assert received_by_address(sandbox) == {}


def test_a_missing_ca_bundle_is_a_sentence(gateway_env, tmp_path):
    gone = tmp_path / "stopped-sandbox" / "sandbox-ca.pem"
    done = mmsnb("limit", env={**gateway_env, "MMSNB_CA_BUNDLE": str(gone)}, cwd=tmp_path)
    assert done.returncode == 2
    assert f"The CA bundle {str(gone)!r} (MMSNB_CA_BUNDLE) does not exist" in done.stderr
    assert "verify=" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_refused_credentials_exit_1(gateway_env, tmp_path):
    done = mmsnb("limit", env={**gateway_env, "MMSNB_CLIENT_SECRET": "wrong"}, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("mmsnb: ") and "MMSNB_CLIENT_SECRET" in done.stderr


def test_debug_shows_the_traceback(tmp_path):
    command = [sys.executable, "-m", "mmsnb", "limit", "--debug"]
    done = subprocess.run(command, env=clean_env(), cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" in done.stderr and "ConfigError" in done.stderr


# -- sandbox ---------------------------------------------------------------------------------------


def test_a_busy_port_is_a_sentence(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = mmsnb("sandbox", "--port", str(port), "--stop-after", "1", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == f"mmsnb: Port {port} on 127.0.0.1 is in use; choose another with --port."


@pytest.mark.parametrize("port", ["99999", "-1", "eighty"])
def test_a_port_out_of_range_is_an_argument_error(tmp_path, port):
    done = mmsnb("sandbox", "--port", port, cwd=tmp_path)
    assert done.returncode == 2
    assert "usage: mmsnb sandbox" in done.stderr and "error: argument --port: " in done.stderr


def test_a_wrong_sandbox_setting_names_the_option(tmp_path):
    done = mmsnb("sandbox", "--quota", "-1", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("mmsnb: --quota must be") and "quota=" not in done.stderr


def test_sandbox_prints_export_lines_and_writes_a_env_file(tmp_path):
    env_file = tmp_path / ".env"
    command = [sys.executable, "-m", "mmsnb", "sandbox", "--port", "0", "--stop-after", "60", "--env-file", ".env"]
    process = subprocess.Popen(
        command, env=clean_env(), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        lines = []
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("# serving"):
                break
            lines.append(line.rstrip("\n"))
        exports = [line for line in lines if not line.startswith("#")]
        assert exports and all(line.startswith("export MMSNB_") for line in exports), lines
        printed = dict(shlex.split(line)[1].split("=", 1) for line in exports)
        assert dotenv_values(env_file) == printed
        assert env_file.stat().st_mode & 0o077 == 0
        # pasted into a shell, the lines set what the next command reads
        script = "\n".join(exports) + f"\ncd /\n{shlex.quote(sys.executable)} -m mmsnb limit"
        shell = subprocess.run(["sh", "-c", script], env=clean_env(), capture_output=True, text=True, timeout=120)
        assert shell.returncode == 0 and "available 100" in shell.stdout, shell.stderr
        # and the .env file does the same for a command run in its folder
        done = mmsnb("limit", cwd=tmp_path)
        assert done.returncode == 0 and "available 100" in done.stdout
    finally:
        process.terminate()
        process.communicate(timeout=30)


@pytest.mark.parametrize("value", ["plain", "it's", "back\\slash", '$HOME "q" {x}', "two words", "a\\'b"])
def test_dotenv_lines_read_back_exactly(tmp_path, value):
    path = tmp_path / ".env"
    path.write_text(commands.dotenv_line("MMSNB_X", value) + "\n", encoding="utf-8")
    assert dotenv_values(path) == {"MMSNB_X": value}


def test_an_unwritable_env_file_is_a_sentence(tmp_path):
    done = mmsnb("sandbox", "--port", "0", "--stop-after", "1", "--env-file", "/proc/nope/.env", cwd=tmp_path)
    assert done.returncode == 2
    assert "Cannot write the .env file '/proc/nope/.env'" in done.stderr and "--env-file" in done.stderr


# -- demo ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("out", ["/proc/nope", "a-file"])
def test_demo_into_an_unwritable_folder_is_a_sentence(tmp_path, out):
    (tmp_path / "a-file").write_text("not a folder")
    done = mmsnb("demo", "--out", out, cwd=tmp_path)
    assert done.returncode == 2
    assert f"Cannot write to the folder {out!r}" in done.stderr and "--out" in done.stderr


# -- typos and help --------------------------------------------------------------------------------


def test_an_option_typo_shows_the_commands_usage_and_the_closest_option(tmp_path):
    done = mmsnb("send", "501102030", "--subjct", "Hej", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("usage: mmsnb send ")
    assert "unrecognized arguments: --subjct Hej. Did you mean --subject?" in done.stderr


def test_a_command_typo_suggests_the_closest_command(tmp_path):
    done = mmsnb("sned", "501102030", cwd=tmp_path)
    assert done.returncode == 2 and "Did you mean send?" in done.stderr


def subcommands() -> dict[str, argparse.ArgumentParser]:
    return dict(parser.subcommands(parser.build()))


def test_every_option_has_help():
    for name, sub in [("mmsnb", parser.build()), *subcommands().items()]:
        for action in sub._actions:
            assert action.help and action.help != argparse.SUPPRESS, (name, action.dest)


@pytest.mark.parametrize(
    ("command", "variables"),
    [
        ("send", list(VARIABLES.values())),
        ("status", [v for v in VARIABLES.values() if v != "MMSNB_LEDGER"]),
        ("limit", [v for v in VARIABLES.values() if v != "MMSNB_LEDGER"]),
        ("opt-out", ["MMSNB_LEDGER"]),
        ("opt-in", ["MMSNB_LEDGER"]),
        ("campaigns", ["MMSNB_LEDGER"]),
        ("report", ["MMSNB_LEDGER"]),
    ],
)
def test_help_lists_the_variables_a_command_reads(tmp_path, command, variables):
    done = mmsnb(command, "--help", cwd=tmp_path)
    assert done.returncode == 0
    environment = done.stdout.partition("environment")[2]
    assert [v for v in variables if v not in environment] == []
    assert [v for v in VARIABLES.values() if v not in variables and v in environment] == []


def test_every_variable_is_described():
    assert set(parser.DESCRIBED) == set(VARIABLES.values())
    assert set(subcommands()) == {
        "sandbox",
        "send",
        "resume",
        "status",
        "limit",
        "opt-out",
        "opt-in",
        "campaigns",
        "report",
        "demo",
        "app",
    }


# -- numbers and message ids -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "numbers"),
    [
        (["501", "102", "030"], ["501 102 030"]),
        (["+48", "501", "102", "030"], ["+48 501 102 030"]),
        (["48", "501", "102", "030"], ["48 501 102 030"]),
        (["48", "501102030"], ["48 501102030"]),
        (["+48", "501", "102", "030", "+48", "502", "103", "040"], ["+48 501 102 030", "+48 502 103 040"]),
        (["501102030", "502103040"], ["501102030", "502103040"]),
        (["501 102 030", "502-103-040"], ["501 102 030", "502-103-040"]),
        (["501", "102", "030", "502-103-040"], ["501 102 030", "502-103-040"]),
        (["5011"], ["5011"]),  # one word: the send refuses it, as any bad number
    ],
)
def test_numbers_in_separate_words_are_joined(words, numbers):
    assert commands.join_numbers(words, commands._why_not_number) == numbers


@pytest.mark.parametrize(
    "words",
    [
        ["501", "102", "03"],
        ["501102030", "48"],
        ["501102030", "502", "103"],
        ["600", "501", "102", "083"],
        ["501", "102", "081", "60"],
        ["501", "102", "030", "502", "103", "040"],
        ["501", "102", "030", "502103040"],
    ],
)
def test_digit_groups_that_make_no_number_say_so(words):
    with pytest.raises(commands.Usage, match="No number was sent: digit groups without quotes are read as one number"):
        commands.join_numbers(words, commands._why_not_number)


def received_by_address(sandbox) -> Counter[str]:
    """How many messages the sandbox received for each address."""
    return Counter(a for r in sandbox.received for a in r.addresses)


def test_send_unquoted_number_sends_one_message(sandbox, gateway_env, tmp_path):
    done = mmsnb("send", "501", "102", "030", "--subject", "Hej", env=gateway_env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("tel:+48501102030: sent, message id: ")
    assert len(done.stdout.splitlines()) == 1
    assert [r.addresses for r in sandbox.received] == [("tel:+48501102030",)]


@pytest.mark.parametrize(
    "words",
    [
        ["501", "102", "03"],
        ["600", "501", "102", "083"],  # was sent to 600 501 102, '083' reported after
        ["501", "102", "081", "60"],  # was sent to 501 102 081
        ["501", "102", "030", "502", "103", "040"],
    ],
    ids=" ".join,
)
def test_send_digit_groups_with_anything_left_over_send_nothing(sandbox, gateway_env, tmp_path, words):
    done = mmsnb("send", *words, "--subject", "Test", env=gateway_env, cwd=tmp_path)
    assert done.returncode == 2
    together = " ".join(words)
    assert done.stderr.startswith(f"mmsnb send: error: {together!r} is not ")
    assert "No number was sent: digit groups without quotes are read as one number." in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and done.stdout == ""
    assert received_by_address(sandbox) == {}


@pytest.mark.parametrize(
    ("words", "named"),
    [
        (["501102036", "+48"], "'+48' is not a phone number."),  # was sent to 501102036, '+48' reported after
        (["501102036", "abc", "502103040"], "'abc' is not a phone number"),
        (["501102036", "50-11"], "'50-11' is not a valid Polish number"),
    ],
    ids=["stray-plus48", "a-word", "too-short"],
)
def test_send_with_any_invalid_number_sends_nothing(sandbox, gateway_env, tmp_path, words, named):
    done = mmsnb("send", *words, "--subject", "Test", env=gateway_env, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(f"mmsnb send: error: {named}")
    assert "No number was sent" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and done.stdout == ""
    assert received_by_address(sandbox) == {}


def test_send_one_number_typed_in_groups_sends_it_once(sandbox, gateway_env, tmp_path):
    done = mmsnb("send", "600", "501", "102", "--subject", "Test", env=gateway_env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert received_by_address(sandbox) == {"tel:+48600501102": 1}


@pytest.mark.parametrize("number", ["22", "22 123 45 67", "+49", "+49 30 1234567", "600 501 102 083"])
def test_the_reason_is_the_same_quoted_or_not(sandbox, gateway_env, tmp_path, number):
    with pytest.raises(InputError) as caught:
        parse(number)
    reason = str(caught.value)
    quoted = mmsnb("send", number, "--subject", "Test", env=gateway_env, cwd=tmp_path)
    unquoted = mmsnb("send", *number.split(), "--subject", "Test", env=gateway_env, cwd=tmp_path)
    for done in (quoted, unquoted):
        assert done.returncode == 2
        assert reason in done.stderr and "is not one" not in done.stderr
    assert received_by_address(sandbox) == {}


@pytest.mark.parametrize("message_id", ["", "   "])
def test_status_of_an_empty_message_id(gateway_env, tmp_path, message_id):
    done = mmsnb("status", message_id, env=gateway_env, cwd=tmp_path)
    assert done.returncode == 2
    assert "The message id is empty" in done.stderr and "subject" not in done.stderr


def test_a_value_dotenv_would_expand_is_refused():
    with pytest.raises(commands.ConfigError, match="export lines"):
        commands.dotenv_line("MMSNB_X", "${HOME}")


def test_status_of_an_id_the_gateway_does_not_know_is_exit_1(gateway_env, tmp_path):
    done = mmsnb("status", "no-such-id", env=gateway_env, cwd=tmp_path)
    assert done.returncode == 1
    assert "knows no message with id 'no-such-id'" in done.stderr and "Traceback" not in done.stderr


def test_a_spent_quota_gives_shell_advice(make_sandbox, tmp_path):
    sandbox = make_sandbox(quota=1)
    env = {**os.environ, **sandbox.env(), "MMSNB_LEDGER": str(tmp_path / "cli.sqlite")}
    assert mmsnb("send", "501102030", "--subject", "Hej", env=env, cwd=tmp_path).returncode == 0
    done = mmsnb("send", "501102031", "--subject", "Hej", env=env, cwd=tmp_path)
    assert done.returncode == 1
    assert "allow_partial" not in done.stderr and "Run again after the counter resets" in done.stderr


def test_a_stale_env_file_is_named_when_its_ca_bundle_is_gone(sandbox, tmp_path):
    settings = {**sandbox.env(), "MMSNB_CA_BUNDLE": str(tmp_path / "gone" / "sandbox-ca.pem")}
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MMSNB_")}
    done = mmsnb("limit", env=clean, cwd=tmp_path)
    assert done.returncode == 2
    assert f"It is set in {str(tmp_path / '.env')!r}" in done.stderr and "Traceback" not in done.stderr
