"""The composer and the ledger's rules: numbers opted out are counted before Send and never sent to, and a
"Minimum gap" leaves out those another campaign contacted recently (a bad one is a sentence, not a traceback).
Driven from Python against a real sandbox over HTTPS, with a real SQLite ledger and a real PostgreSQL one."""

from __future__ import annotations

import os
from collections import Counter

import pandas as pd
import pytest
from helpers import received_addresses

import mmsnb
from mmsnb.widgets import Composer

NUMBERS = "501 102 030\n510 000 000\n511 000 000"
OPTED, OTHERS = "tel:+48501102030", ("tel:+48510000000", "tel:+48511000000")


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request, tmp_path):
    if request.param == "sqlite":
        return tmp_path / "ledger.sqlite"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def composer(client, ledger):
    form = Composer(client, ledger=ledger, interval=0.05)
    yield form
    form.close()


def fill(form: Composer, numbers: str = NUMBERS, subject: str = "Cześć!") -> None:
    form.recipients.text.value = numbers
    form.subject.value = subject


def shown(widget) -> bool:
    return widget.layout.display != "none"


def test_an_opted_out_number_is_counted_before_send_and_never_sent_to(composer, sandbox, ledger):
    mmsnb.opt_out("501102030", reason="replied STOP", ledger=ledger)
    fill(composer)
    assert "3 valid recipients" in composer.recipients.count.value
    composer.send_button.click()
    text = composer.confirm_text.value
    assert "Send to 2 recipients in 1 message?" in text
    assert "1 recipient opted out: not sent." in text
    assert "minimum gap" not in text
    assert sandbox.received == []

    composer.confirm_button.click()
    assert received_addresses(sandbox) == Counter(dict.fromkeys(OTHERS, 1))
    results = composer.results
    assert list(results.send_state.astype(str)) == ["opted-out", "accepted", "accepted"]
    assert "opted out on" in results.error.iloc[0] and "replied STOP" in results.error.iloc[0]
    assert "Sent: 2" in composer.status.value and "Not sent — opted out: 1" in composer.status.value


def test_the_sandboxs_own_ledger_is_shared_by_opt_out_and_the_composer(client, sandbox, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("MMSNB_")]:
        monkeypatch.delenv(name)
    mmsnb.opt_out(["501 102 030"], client=client)
    form = Composer(client, interval=0.05)
    try:
        fill(form)
        form.send_button.click()
        assert "1 recipient opted out: not sent." in form.confirm_text.value
        form.confirm_button.click()
        assert OPTED not in received_addresses(sandbox)
        assert set(received_addresses(sandbox)) == set(OTHERS)
    finally:
        form.close()


def test_min_gap_leaves_out_numbers_another_campaign_reached(composer, client, sandbox, ledger):
    frame = pd.DataFrame({"msisdn": ["501102030"]})
    mmsnb.send(client, frame, subject="Wiosna", campaign="spring", ledger=ledger, progress=False)
    fill(composer)
    composer.min_gap.value = "7D"
    composer.send_button.click()
    text = composer.confirm_text.value
    assert "Send to 2 recipients" in text
    assert "1 recipient was contacted by another campaign within the minimum gap: not sent." in text

    composer.min_gap.value = ""  # changing the rule withdraws the confirmation it showed
    assert not shown(composer.confirmation)
    composer.min_gap.value = " 7D "
    composer.send_button.click()
    composer.confirm_button.click()
    assert received_addresses(sandbox) == Counter({OPTED: 1, OTHERS[0]: 1, OTHERS[1]: 1})
    assert "too-soon" in set(composer.results.send_state.astype(str))
    assert "within min_gap=7D" in composer.results.error.iloc[0]


@pytest.mark.parametrize("gap", ["soon", "0D", "-2h"])
def test_a_bad_min_gap_is_a_sentence_and_nothing_is_sent(composer, sandbox, gap):
    fill(composer)
    composer.min_gap.value = gap
    assert composer.send_button.disabled
    assert f"Minimum gap {gap!r}".replace("'", "&#x27;") in composer.why.value
    assert (
        "is not a length of time with its unit, of a second or more: write e.g. 7D, 36h or 90min." in composer.why.value
    )
    composer.send_button.click()  # .click() runs the handler even when disabled: it must refuse
    composer.confirm_button.click()
    assert not shown(composer.confirmation) and sandbox.received == []
    assert "Traceback" not in composer.why.value + composer.status.value

    composer.min_gap.value = "36h"
    assert not composer.send_button.disabled and composer.why.value == ""
