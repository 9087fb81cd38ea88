"""Waits and sending hours in Polish: the rows a closed window leaves unsent, the bars of a wait and of a send
(``MMSNB_LANG=pl``), and the Composer's line while it waits (``lang="pl"``). English stays the default."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pandas as pd
import pytest
from test_polish_forms import problems
from test_waiting import SATURDAY_10, WallClock, each_once, orange, slow_gateway

import mmsnb
from mmsnb.sandbox import Behaviour
from mmsnb.widgets import Composer


@pytest.fixture
def polish(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MMSNB_LANG", "pl")


def test_the_rows_a_closed_window_leaves_unsent_are_said_in_polish(make_sandbox, tmp_path, polish):
    clock = WallClock(datetime(2026, 12, 5, 18, 59, tzinfo=UTC))  # Saturday 19:59 in Warsaw
    sandbox = slow_gateway(make_sandbox, clock)
    client = clock.on(sandbox.client())
    numbers = orange(6)
    options = {"subject": "Hej", "group": False, "workers": 1, "campaign": "wieczor", "window": "10:00-20:00",
               "days": "Mon-Sat", "wait_for_hours": False, "progress": False}  # fmt: skip
    first = mmsnb.send(client, pd.DataFrame({"msisdn": numbers}), ledger=tmp_path / "l.sqlite", **options)
    assert first.send_state.astype(str).tolist() == ["accepted"] * 3 + ["paused"] * 3
    assert first.error.iloc[3] == (
        "Nie wysłano: poza godzinami wysyłki (10:00-20:00, pn-sb, Europe/Warsaw); najbliżej otwierają się: "
        "poniedziałek, 7 grudnia 2026, 10:00. Wyślij wtedy kampanię ponownie, aby ją dokończyć."
    )  # the fourth's turn came at 20:00, while the run sent
    again = mmsnb.send(client, pd.DataFrame({"msisdn": numbers}), ledger=tmp_path / "l.sqlite", **options)
    assert again.error.iloc[3] == (
        "Nie wysłano: poza godzinami wysyłki (10:00-20:00, pn-sb, Europe/Warsaw); najbliżej otwierają się: "
        "poniedziałek, 7 grudnia 2026, 10:00. Wyślij wtedy kampanię ponownie, aby ją dokończyć."
    )  # closed before the run began: nothing sent
    sentences = [e.replace("Europe/Warsaw", "") for e in [*first.error.dropna(), *again.error.dropna()]]
    assert problems(sentences) == []
    assert len(sandbox.received) == 3 and each_once(sandbox, numbers[:3])


def test_the_bars_of_a_wait_and_of_a_send_speak_polish(make_sandbox, tmp_path, polish, capsys):
    clock = WallClock(datetime(2026, 12, 5, 8, 59, 55, tzinfo=UTC))  # 09:59:55 in Warsaw
    sandbox = make_sandbox(behaviour=Behaviour(clock=clock.wall))
    client = clock.on(sandbox.client())
    numbers = orange(4)
    results = mmsnb.send(client, pd.DataFrame({"msisdn": numbers}), subject="Hej", group=False, campaign="rano",
                         ledger=tmp_path / "l.sqlite", window="10:00-20:00", progress=True)  # fmt: skip
    assert results.send_state.astype(str).tolist() == ["accepted"] * 4
    assert each_once(sandbox, numbers) and min(r.received_at for r in sandbox.received) >= SATURDAY_10
    bar = capsys.readouterr().err
    assert (
        "rano: oczekiwanie na otwarcie godzin wysyłki (10:00-20:00, Europe/Warsaw), do: sobota, 5 grudnia 2026, "
        "10:00 (Europe/Warsaw)" in bar
    )
    assert "Wysyłka rano" in bar and "4 z 4 wiadomości; " in bar and " na sekundę; naraz " in bar
    shown = bar.replace("\r", "\n").replace("Europe/Warsaw", "").splitlines()
    assert problems([s for s in shown if s.strip()]) == []


def test_the_bars_stay_english_by_default(make_sandbox, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MMSNB_LANG", raising=False)
    sandbox = make_sandbox()
    numbers = orange(3)
    mmsnb.send(sandbox.client(), pd.DataFrame({"msisdn": numbers}), subject="Hej", group=False, campaign="c",
               ledger=tmp_path / "l.sqlite", progress=True)  # fmt: skip
    bar = capsys.readouterr().err
    assert "Sending c" in bar and "3 of 3 messages; " in bar and " a second; " in bar
    assert "in_flight=" not in bar and "requests=" not in bar
    assert each_once(sandbox, numbers)


def test_the_composer_says_in_polish_what_it_waits_for_and_until_when(make_sandbox, tmp_path):
    clock = WallClock()
    sandbox = make_sandbox(quota=1, window=60.0, behaviour=Behaviour(clock=clock.wall))
    numbers = orange(60)  # two requests of up to 50 numbers: two quota windows
    form = Composer(clock.on(sandbox.client()), ledger=tmp_path / "l.sqlite", interval=0.05, lang="pl")
    lines: list[str] = []
    form.status.observe(lambda change: lines.append(change["new"]), "value")
    try:
        form.recipients.text.value = "\n".join(numbers)
        form.subject.value = "Hej"
        form.wait_for_quota.value = True
        form.send_button.click()
        form.confirm_button.click()
        assert list(form.results.send_state.astype(str)) == ["accepted"] * 60
    finally:
        form.close()
    waits = [s for s in lines if "Oczekiwanie" in s]
    assert waits, lines  # the limit read again after each wait: 30 s, then (still 0) 60 s more
    assert "Oczekiwanie na odnowienie limitu wiadomości (termin według bramki: 5 grudnia 2026), do: " in waits[0]
    assert "sobota, 5 grudnia 2026, 10:00 (Europe/Warsaw)." in waits[0]  # the retry 30 s after 10:00:00
    assert lines.index(waits[0]) < len(lines) - 1  # sending went on after it
    assert problems([re.sub(r"<[^>]+>", " ", w).replace("Europe/Warsaw", "") for w in waits]) == []
    assert each_once(sandbox, numbers) and len(sandbox.received) == 2
