"""Past campaigns as a person recognises them: an automatic name (``auto-…``) is shown by its subject's first words
and its day in the app's table and in ``mmsnb campaigns`` (the key kept to type), and ``mmsnb report`` follows the
command line's language, from the ledger alone."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pandas as pd
import pytest
from helpers import received_addresses
from test_polish_forms import problems

import mmsnb
from mmsnb.app.page import Past
from mmsnb.cli import main
from mmsnb.ledger import locate
from mmsnb.words import AUTOMATIC_NAME, Speaker, campaign_title

SUBJECT = "Wiosenna promocja dla Ciebie"


@pytest.fixture
def sent(make_sandbox, tmp_path, monkeypatch):
    """A ledger with an automatically named campaign (sent, never polled) and a named one."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MMSNB_LANG", raising=False)
    sandbox = make_sandbox()
    client = sandbox.client()
    mmsnb.send(client, pd.DataFrame({"msisdn": ["501102030"]}), subject=SUBJECT, progress=False)
    mmsnb.send(client, pd.DataFrame({"msisdn": ["501102031"]}), subject="Hej", campaign="zima", progress=False)
    ledger = locate(None, gateway=client.base_url)  # the sandbox's own, as the app finds it
    assert received_addresses(sandbox) == {"tel:+48501102030": 1, "tel:+48501102031": 1}
    table = mmsnb.campaigns(ledger)
    (key,) = [c for c in table.index if AUTOMATIC_NAME.fullmatch(c)]
    title = campaign_title(key, SUBJECT, table.loc[key, "first_sent"], "pl")
    assert title.startswith(f"„{SUBJECT}” — ")
    yield client, ledger, key, title
    client.close()


def test_the_apps_past_campaigns_show_an_automatic_name_by_its_title(sent):
    client, _, key, title = sent
    past = Past(client, Speaker("pl"))
    past.refresh()
    shown = re.sub(r"<[^>]+>", " ", past.table.value)
    assert title in shown and "zima" in shown and "auto-" not in shown
    assert dict(past.choice.options) == {title: key, "zima": "zima"}  # the key kept behind the title
    past.choice.value = key
    assert past.report.value.count(title) == 1 and "auto-" not in past.report.value
    assert problems([shown.replace(SUBJECT, "").replace("zima", "")]) == []


def test_mmsnb_campaigns_has_a_title_column_and_keeps_the_key(sent, monkeypatch, capsys):
    _, ledger, key, title = sent
    monkeypatch.setenv("MMSNB_LANG", "pl")
    assert main(["campaigns", "--ledger", str(ledger)]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split()[:2] == ["kampania", "tytuł"]
    (auto,) = [r for r in rows if r.startswith(key)]
    assert auto.startswith(f"{key}  {title}  ")
    assert next(r for r in rows if r.startswith("zima")).split()[1] == "-"


def test_mmsnb_report_follows_the_command_lines_language(sent, tmp_path):
    _, ledger, key, title = sent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MMSNB_", "LC_", "LANG"))}
    out = tmp_path / "raport.html"
    polish = {**env, "LANG": "pl_PL.UTF-8"}
    done = subprocess.run([sys.executable, "-m", "mmsnb", "report", key, "--ledger", str(ledger), "--out", str(out)],
                          env=polish, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert '<html lang="pl">' in page and f"<h1>Kampania {title}</h1>" in page
    assert re.findall(r"<h2>(.*?)</h2>", page)[:2] == ["Liczby", "Jak szybko odbiorcy otwierali"]
    done = subprocess.run([sys.executable, "-m", "mmsnb", "report", "zima", "--ledger", str(ledger), "--out",
                           str(tmp_path / "zima.html")], env={**env, "LANG": "C.UTF-8"}, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    english = (tmp_path / "zima.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in english and "<h1>Campaign zima</h1>" in english
