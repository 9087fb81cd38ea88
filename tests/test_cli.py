"""The command line: the sandbox as a process, one-off commands against it, and the demo."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import mmsnb


def start_sandbox(*args: str) -> tuple[subprocess.Popen, dict[str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mmsnb", "sandbox", "--port", "0", "--stop-after", "120", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    env = {}
    for line in process.stdout:
        if line.startswith("# serving"):
            break
        if line.startswith("export MMSNB_"):
            name, _, value = shlex.split(line)[1].partition("=")
            env[name] = value
    return process, env


def test_sandbox_command_serves_clients_and_stops_on_sigterm(monkeypatch, tmp_path):
    process, env = start_sandbox("--quota", "7", "--latency", "0.01")
    try:
        assert set(env) == {
            "MMSNB_CLIENT_ID",
            "MMSNB_CLIENT_SECRET",
            "MMSNB_BASE_URL",
            "MMSNB_TOKEN_URL",
            "MMSNB_CA_BUNDLE",
            "MMSNB_LEDGER",
        }
        assert env["MMSNB_BASE_URL"].startswith("https://127.0.0.1:")
        monkeypatch.chdir(tmp_path)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        client = mmsnb.Client.from_env()
        assert client.limit().available == 7
        cli_env = {**os.environ, **env}
        sent = subprocess.run(
            [sys.executable, "-m", "mmsnb", "send", "501 102 030", "--subject", "Cześć"],
            env=cli_env,
            capture_output=True,
            text=True,
        )
        assert sent.returncode == 0, sent.stderr
        message_id = sent.stdout.split("message id: ")[1].split()[0]
        status = subprocess.run(
            [sys.executable, "-m", "mmsnb", "status", message_id], env=cli_env, capture_output=True, text=True
        )
        assert status.returncode == 0
        assert re.match(
            r"(Success|Retrieved|Rejected|Expired|Indeterminate) "
            r"\((pending|delivered|failed|unknown), (final|not final)\): ",
            status.stdout,
        )
        console_script = Path(sys.executable).parent / "mmsnb"
        limit = subprocess.run([str(console_script), "limit"], env=cli_env, capture_output=True, text=True)
        assert "used 1, available 6" in limit.stdout
    finally:
        process.send_signal(signal.SIGTERM)
        rest = process.communicate(timeout=30)[0]
    assert process.returncode == 0
    assert "sandbox stopped" in rest


def test_cli_errors_are_sentences(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MMSNB_")}
    done = subprocess.run([sys.executable, "-m", "mmsnb", "limit"], env=env, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "mmsnb: No client id: set MMSNB_CLIENT_ID in the environment or a .env file. To try mmsnb without an "
        "account, run 'mmsnb sandbox --env-file .env' in another terminal in this folder and then this command "
        "again, or run 'mmsnb demo'."
    )
    done = subprocess.run(
        [sys.executable, "-m", "mmsnb", "sandbox", "--fault", "meteor=0.1"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 2 and "unknown fault 'meteor'" in done.stderr


@pytest.mark.slow
def test_demo_runs_the_whole_job(tmp_path):
    out = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, "-m", "mmsnb", "demo", "--out", str(out)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    for name in ("results.csv", "summary.csv", "outcomes.png", "delivery_times.png", "timeline.png", "quota.png",
                 "report.html"):  # fmt: skip
        assert (out / name).stat().st_size > 0, name
    results = pd.read_csv(out / "results.csv", dtype=str)
    assert len(results) == 500
    sent = results[results.send_state.isin(["accepted"])]
    assert len(sent) > 400 and sent.final.eq("True").all()
    assert "0 sent anew" in done.stdout
    assert "Summary:" in done.stdout
    # its sandbox's handsets answer faster than real ones, and it says so (the demo ends in seconds)
    assert "its handsets answer 600 times faster than real ones" in done.stdout
