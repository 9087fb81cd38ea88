"""Words only at the edges: the library says what to change as data (a ``Fix``), and a media report says what was
done as records; Python, the command line and the forms each word the same error and the same report their way.
The command line runs as a process against a real sandbox over HTTPS; the form is the real Composer."""

from __future__ import annotations

import html
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pytest

import mmsnb
from mmsnb.errors import ConfigError, Fix, InputError
from mmsnb.media import REPORT_COLUMNS, Media
from mmsnb.message import Attachment
from mmsnb.widgets import Composer

ROOT = Path(__file__).resolve().parents[1]
BIG = ROOT / "data" / "big.jpg"
OVER = "The attachments total 511 KB, 211 KB over the gateway's limit of 300 KB."
FIT = Fix(option="fit", value=True, to="shrink the images to fit")


def mmsnb_process(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mmsnb", *args]
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def clean_env(**extra: str) -> dict[str, str]:
    """The process environment without MMSNB_* variables, importing this tree's mmsnb, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MMSNB_")}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def test_python_reads_the_option_and_the_fix_travels_as_data(client, sandbox, tmp_path):
    frame = pd.DataFrame({"number": ["501102030"]})
    results = mmsnb.send(
        client, frame, to="number", subject="Hej", attachments=[str(BIG)], ledger=tmp_path / "l.sqlite", progress=False
    )
    assert results.error.tolist() == [f"{OVER} Pass fit=True to shrink the images to fit."]
    info = results.mms.info
    assert info.fixes == ({"row": 0, "sentence": OVER, "fix": {**asdict(FIT), "others": []}},)  # JSON-safe
    assert info.said(0, "cli") == f"{OVER} Add --fit to shrink the images to fit."
    assert sandbox.received == []


def test_the_command_line_reads_its_option(sandbox, tmp_path):
    env = clean_env(**{**sandbox.env(), "MMSNB_LEDGER": str(tmp_path / "ledger.sqlite")})
    done = mmsnb_process("send", "501102030", "--subject", "Hej", "--attach", str(BIG), env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == f"tel:+48501102030: not sent (invalid): {OVER} Add --fit to shrink the images to fit.\n"

    done = mmsnb_process("send", "501102030", env=env, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (
        2,
        "mmsnb: An MMS needs a subject or an attachment: pass --subject or --attach. Nothing was sent.\n",
    )
    done = mmsnb_process("send", "501102030", "501102030", "--subject", "Hej", env=env, cwd=tmp_path)
    assert done.stderr == (  # the command line has no per_row: a fix it cannot take is left out
        "tel:+48501102030: not sent (duplicate): Same number as row 0: one message per number per campaign, "
        "with row 0's content.\n"
    )
    assert [m.addresses for m in sandbox.received] == [("tel:+48501102030",)]


def test_the_form_reads_its_switch(client, tmp_path):
    with pytest.raises(InputError) as raised:
        Media(fit=False, keep_metadata=False, limit=300 * 1024).fit((Attachment.of(BIG),))
    assert (raised.value.sentence, raised.value.fix) == (OVER, FIT)
    form = Composer(client, ledger=tmp_path / "ledger.sqlite")
    try:
        form._error(raised.value)
        shown = html.unescape(form.status.value)
        assert f"⚠ {OVER} Tick “Fit to the limit” to shrink the images to fit." in shown
        assert "fit=" not in shown
    finally:
        form.close()


def test_a_missing_secret_is_named_on_every_edge(sandbox, tmp_path, monkeypatch):
    """Redaction masks ``client_secret=`` followed by a value: the option a sentence names is not a secret.
    (Other tests in the same process register their made-up secrets for masking; none is a word of this sentence.)"""
    for name in ("MMSNB_CLIENT_ID", "MMSNB_CLIENT_SECRET", "MMSNB_AUTHORIZATION", "MMSNB_LEDGER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as raised:
        mmsnb.Client(client_id="portal-app", base_url=sandbox.url)
    sentence = "No client secret: set MMSNB_CLIENT_SECRET in the environment or a .env file"
    assert str(raised.value) == f"{sentence}, or pass client_secret=."
    assert raised.value.fix == Fix(option="client_secret", alternative=True)

    env = clean_env(**{k: v for k, v in sandbox.env().items() if k != "MMSNB_CLIENT_SECRET"})
    done = mmsnb_process("limit", env=env, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (2, f"mmsnb: {sentence}.\n")
    assert sandbox.received == []


def test_the_media_report_is_records_each_edge_words(client, sandbox, tmp_path):
    frame = pd.DataFrame({"number": ["501102030"]})
    results = mmsnb.send(
        client,
        frame,
        to="number",
        subject="Hej",
        attachments=[str(BIG)],
        fit=True,
        ledger=tmp_path / "l.sqlite",
        progress=False,
    )
    (record,) = results.mms.info.media
    fitted = record["how"]["fitted"]
    assert (fitted["type"], fitted["scaled"], fitted["frames"]) == ("image/jpeg", False, 1)
    assert isinstance(fitted["quality"], int)
    assert record["how"] | {"fitted": None} == {
        "converted_from": "",
        "conversion": None,
        "cleaned": False,
        "fitted": None,
        "refused": False,
    }
    assert results.mms.media.done.tolist() == [f"fitted (JPEG quality {fitted['quality']})"]
    assert list(results.mms.media.columns) == list(REPORT_COLUMNS)

    env = clean_env(**{**sandbox.env(), "MMSNB_LEDGER": str(tmp_path / "cli.sqlite")})
    done = mmsnb_process("send", "502103040", "--subject", "Hej", "--attach", str(BIG), "--fit", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1].endswith(f", 960×720 (fitted, JPEG quality {fitted['quality']})")
    assert len(sandbox.received) == 2
