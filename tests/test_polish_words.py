"""What a person reads from the library in Polish (``lang="pl"`` or ``MMSNB_LANG=pl``): the kinds of failures and
the summary table, a plan's summary, and the rows' sentences of the results' ``error`` column; English stays the
default. Every string is checked against the English catalogue's words and the raw column and state names."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import received_addresses
from test_polish_forms import problems

import mmsnb
from mmsnb.result_columns import SendState
from mmsnb.tables import failures, summary
from mmsnb.words import Speaker

#: Numbers of a small campaign: two good ones, one repeated, one fixed-line, one too short.
NUMBERS = ["501 102 030", "510 000 000", "501-102-030", "22 594 90 00", "12"]


@pytest.fixture
def polish(monkeypatch, tmp_path):
    """The library speaks Polish (``MMSNB_LANG=pl``), in a folder with no ``.env`` file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MMSNB_LANG", "pl")


@pytest.fixture
def english(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MMSNB_LANG", raising=False)


def polled(client, tmp_path) -> pd.DataFrame:
    frame = pd.DataFrame({"msisdn": NUMBERS})
    ledger = tmp_path / "ledger.sqlite"
    results = mmsnb.send(client, frame, subject="Hej", campaign="jesien", ledger=ledger, progress=False)
    return mmsnb.poll(client, results, ledger=ledger, progress=False)


def test_failures_kinds_and_the_summary_in_polish(client, sandbox, tmp_path, english):
    results = polled(client, tmp_path)
    assert received_addresses(sandbox) == {"tel:+48501102030": 1, "tel:+48510000000": 1}
    kinds = failures(results, lang="pl")
    shown = [str(v) for column in ("stage", "reason", "detail", "examples") for v in kinds[column] if str(v)]
    assert set(kinds["stage"]) <= {"wysyłka", "doręczenie"} and "Nie wysłano — numer nieprawidłowy" in set(kinds.reason)
    assert any("numer stacjonarny" in d for d in kinds.detail), kinds.detail.tolist()
    assert problems(shown) == []
    table = summary(results, lang="pl")
    assert problems([*table.index, *table.meaning]) == []
    assert table.loc["Dostarczono", "meaning"] == "dotarła do telefonu"
    assert table.loc["Nie wysłano — numer powtórzony", "count"] == 1
    # English stays the default, as it was
    assert set(failures(results).stage) == {"send"} | ({"delivery"} & set(failures(results).stage))
    assert "not sent: invalid" in summary(results).index


def test_mmsnb_lang_chooses_polish_for_the_tables(client, tmp_path, polish):
    results = polled(client, tmp_path)
    assert failures(results).equals(failures(results, lang="pl"))
    assert "Nie wysłano — numer nieprawidłowy" in summary(results).index
    assert failures(results, lang="en").stage.iloc[0] == "send"


def test_a_plans_summary_in_polish_with_plural_forms(client, sandbox, tmp_path, polish):
    frame = pd.DataFrame({"msisdn": [*NUMBERS, "600 100 200"]})  # the last in another network's range
    planned = mmsnb.plan(client, frame, subject="Hej", campaign="jesien", group=False, ledger=tmp_path / "l.sqlite")
    said = repr(planned)
    assert said == (
        "Plan 'jesien': 3 odbiorcy, 3 wiadomości do wysłania; dostępny limit: 100 wiadomości; "
        "pominięto: 2 nieprawidłowe, 1 powtórzony. 1 z puli innej sieci (wiadomość nie dojdzie, chyba że numer "
        "przeniesiono do Orange)."
    )
    assert problems([said.replace("'jesien'", "")]) == []
    assert html_text(planned._repr_html_()).startswith("Plan 'jesien': 3 odbiorcy")
    assert planned.said("en").startswith("Plan 'jesien': 3 recipients in 3 requests; 100 requests available")
    assert sandbox.received == []  # a plan sends nothing


@pytest.mark.parametrize(
    ("n", "recipients", "requests"),
    [
        (1, "1 odbiorca", "1 wiadomość"),
        (2, "2 odbiorcy", "2 wiadomości"),
        (5, "5 odbiorców", "5 wiadomości"),
        (12, "12 odbiorców", "12 wiadomości"),
        (22, "22 odbiorcy", "22 wiadomości"),
    ],
)
def test_the_plans_counts_take_polish_plural_forms(client, tmp_path, polish, n, recipients, requests):
    frame = pd.DataFrame({"msisdn": [f"501 102 {i:03d}" for i in range(n)]})
    planned = mmsnb.plan(client, frame, subject="Hej", campaign="c", group=False, ledger=tmp_path / "l.sqlite")
    assert repr(planned).startswith(f"Plan 'c': {recipients}, {requests} do wysłania; ")
    assert repr(planned).endswith("; pominięto: nic.")


@pytest.mark.parametrize(
    ("n", "requests", "invalid"),
    [
        (0, "0 wiadomości", "0 nieprawidłowych"),
        (1, "1 wiadomość", "1 nieprawidłowy"),
        (2, "2 wiadomości", "2 nieprawidłowe"),
        (5, "5 wiadomości", "5 nieprawidłowych"),
        (12, "12 wiadomości", "12 nieprawidłowych"),
        (22, "22 wiadomości", "22 nieprawidłowe"),
        (25, "25 wiadomości", "25 nieprawidłowych"),
        (101, "101 wiadomości", "101 nieprawidłowych"),
        (112, "112 wiadomości", "112 nieprawidłowych"),
    ],
)
def test_the_plans_words_take_polish_plural_forms(n, requests, invalid):
    _ = Speaker("pl")
    assert _.ngettext("{n} request", "{n} requests", n) == requests
    assert _.ngettext("{n} invalid", "{n} invalid", n) == invalid


def test_the_rows_sentences_in_polish(make_sandbox, tmp_path, polish):
    sandbox = make_sandbox(quota=3)
    client = sandbox.client(timeout=(2, 2))
    ledger = tmp_path / "ledger.sqlite"
    mmsnb.opt_out("502 000 001", reason="STOP", ledger=ledger)
    first = mmsnb.send(client, pd.DataFrame({"msisdn": ["502 000 002"]}), subject="A", campaign="a", ledger=ledger,
                       progress=False)  # fmt: skip
    assert list(first.send_state) == [SendState.ACCEPTED]
    numbers = ["502 000 001", "502 000 002", "502 000 003", "502 000 003", "12", "502 000 004", "502 000 005"]
    results = mmsnb.send(
        client, pd.DataFrame({"msisdn": numbers}), subject="B", campaign="b", ledger=ledger, min_gap="7D",
        group=False, allow_partial=True, progress=False,
    )  # fmt: skip
    states = dict(zip(results.send_state.astype(str), results.error, strict=True))
    assert states["opted-out"].startswith("Nie wysłano: ten numer zrezygnował z wiadomości ")
    assert states["opted-out"].endswith("(STOP). mmsnb.opt_in(...) to odwołuje.")
    assert states["too-soon"].startswith("Nie wysłano: kampania 'a' kontaktowała się z tym numerem ")
    assert states["too-soon"].endswith(" UTC, w czasie min_gap=7D.")
    assert states["duplicate"].startswith("Ten sam numer co w wierszu 2: jedna wiadomość na numer w kampanii")
    assert states["invalid"].startswith("'12' nie jest prawidłowym polskim numerem")
    assert states["quota"].startswith("Nie wysłano: limit pozwala teraz na 2 wiadomości; uruchom ponownie")
    sentences = [str(e).replace("mmsnb.opt_in(...)", "").replace("STOP", "") for e in results.error.dropna()]
    assert problems(sentences) == []
    # the gateway got one message for each number that could be sent, and the quota's two
    assert received_addresses(sandbox) == {"tel:+48502000002": 1, "tel:+48502000003": 1, "tel:+48502000004": 1}
    client.close()


def test_an_unknown_outcome_and_the_exceptions_in_polish(make_sandbox, tmp_path, polish):
    sandbox = make_sandbox()
    client = sandbox.client(timeout=(2, 2))
    ledger = tmp_path / "ledger.sqlite"
    frame = pd.DataFrame({"msisdn": ["502 000 001"]})
    sandbox.fail_next("drop_after")
    first = mmsnb.send(client, frame, subject="A", campaign="a", ledger=ledger, progress=False)
    assert list(first.send_state) == [SendState.UNKNOWN]
    again = mmsnb.send(client, frame, subject="A", campaign="a", ledger=ledger, progress=False)
    assert list(again.send_state) == [SendState.UNKNOWN]
    assert again.error.iloc[0] == (
        "Wcześniejsza wiadomość mogła dotrzeć do bramki (Połączenie zostało zerwane (bramka operatora, "
        "ConnectionError); wiadomość mogła zostać przyjęta, więc nie jest ponawiana.); nie ponowiono. Podaj "
        "retry_unknown=True, aby wysłać ją ponownie."
    )
    assert received_addresses(sandbox) == {"tel:+48502000001": 1}  # not repeated
    with pytest.raises(mmsnb.QuotaError) as caught:
        mmsnb.send(client, pd.DataFrame({"msisdn": [f"503 000 {i:03d}" for i in range(120)]}), subject="C",
                   group=False, campaign="c", ledger=ledger, progress=False)  # fmt: skip
    assert str(caught.value).startswith("Ta kampania potrzebuje: 120 wiadomości, a dostępnych jest tylko 99")
    assert caught.value.sentence.startswith("This campaign needs 120 requests but only 99 are available")
    client.close()


def test_english_stays_the_default(client, tmp_path, english):
    frame = pd.DataFrame({"msisdn": ["501 102 030", "501-102-030", "12"]})
    planned = mmsnb.plan(client, frame, subject="Hej", campaign="e", ledger=tmp_path / "l.sqlite")
    assert (
        repr(planned) == "Plan 'e': 1 recipient in 1 request; 100 requests available; 1 invalid, 1 duplicate skipped."
    )
    errors = planned.to_frame().error.dropna().tolist()
    assert errors[0].startswith("Same number as row 0: one message per number per campaign")


def html_text(markup: str) -> str:
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", markup.split("</p>")[0]))
