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
    said, _, when = repr(planned).partition(" Start: ")
    assert when.startswith("teraz; przewidywany koniec: ") and "w tempie około 5 wiadomości na sekundę" in when
    assert said == (
        "Plan 'jesien': 3 odbiorcy, 3 wiadomości do wysłania; dostępny limit: 100 wiadomości; "
        "pominięto: 2 nieprawidłowe, 1 powtórzony. 1 z puli innej sieci (wiadomość nie dojdzie, chyba że numer "
        "przeniesiono do Orange)."
    )
    assert problems([said.replace("'jesien'", "")]) == []
    page = planned._repr_html_()
    assert html_text(page).startswith("Plan 'jesien': 3 odbiorcy")
    assert "<th>Wynik</th>" in page and "Nie wysłano — numer nieprawidłowy" in page and "send_state" not in page
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
    assert "; pominięto: nic. Start: teraz; przewidywany koniec: " in repr(planned)


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


def test_a_rows_checks_in_polish(client, sandbox, tmp_path, polish):
    frame = pd.DataFrame(
        {
            "msisdn": ["501 102 030", "501 102 031", "501 102 032", "501 102 033"],
            "imie": ["Ala", None, "Ewa", "Olek"],
            "tekst": ["Hej {imie}!", "Hej {imie}!", None, "Hej {imie}!"],
            "plik": [None, None, None, "pusty.txt"],
        }
    )
    (tmp_path / "pusty.txt").write_bytes(b"")
    planned = mmsnb.plan(client, frame, subject="Cześć {imie}!", attachments="plik", attachments_dir=tmp_path,
                         campaign="c", ledger=tmp_path / "l.sqlite")  # fmt: skip
    errors = planned.to_frame().error.tolist()
    assert errors[1] == "Szablon treści potrzebuje kolumny 'imie', której w tym wierszu brakuje."
    assert errors[3] == "Załącznik 'pusty.txt' jest pusty (0 bajtów)."
    mixed = mmsnb.plan(client, frame.drop(columns="plik"), subject="tekst", campaign="d", ledger=tmp_path / "l.sqlite")
    assert mixed.to_frame().error.tolist()[2] == "W tym wierszu brakuje pola „treść”."
    with pytest.raises(mmsnb.InputError) as caught:
        mmsnb.plan(client, frame, subject="Hej", sender="A\tB", campaign="e", ledger=tmp_path / "l.sqlite")
    assert str(caught.value).startswith("Pole „nadawca” 'A\\tB' zawiera znak sterujący (U+0009, tabulator)")
    assert sandbox.received == []


def test_a_file_of_recipients_and_a_size_over_the_limit_in_polish(client, sandbox, tmp_path, polish):
    with pytest.raises(mmsnb.InputError) as caught:
        mmsnb.read_recipients(b"imie,tel\nAla,501102030\n", to="msisdn")
    assert str(caught.value) == "przesłany plik: brak kolumny 'msisdn'. Kolumny pliku: imie, tel."
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("x" * 160_000, encoding="utf-8")
    frame = pd.DataFrame({"msisdn": ["501 102 030"]})
    files = [tmp_path / "a.txt", tmp_path / "b.txt"]
    planned = mmsnb.plan(client, frame, subject="Hej", attachments=files, campaign="c", ledger=tmp_path / "l.sqlite")
    said = planned.to_frame().error.iloc[0]
    assert said.endswith("ponad limit bramki (300 KB).") and " mają łącznie 312 KB, o 12 KB " in said, said
    assert problems([said]) == []
    from PIL import Image

    Image.new("RGB", (40, 30), (200, 10, 10)).save(tmp_path / "foto.webp", format="WEBP")
    photo = mmsnb.plan(client, frame, subject="Hej", attachments=tmp_path / "foto.webp", campaign="w",
                       ledger=tmp_path / "l.sqlite")  # fmt: skip
    assert photo.to_frame().error.iloc[0] == (
        "Załącznik 'foto.webp': to zdjęcie WEBP, którego wiele telefonów nie pokaże. Podaj fit=True, aby "
        "przekonwertować je do JPEG (albo przekonwertuj je samodzielnie)."
    )
    (tmp_path / "zly.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(50))  # a JPEG's start, then nothing
    broken = mmsnb.plan(client, frame, subject="Hej", attachments=tmp_path / "zly.jpg", campaign="z",
                        ledger=tmp_path / "l.sqlite")  # fmt: skip
    assert broken.to_frame().error.iloc[0] == (
        "Załącznik 'zly.jpg': Ten plik nie jest obrazem, który da się odczytać, niezależnie od tego, co mówi "
        "jego nazwa."
    )
    named = pd.DataFrame({"msisdn": ["501 102 030", "501 102 031"], "plik": ["brak.jpg", "https://x.pl/a.jpg"]})
    rows = mmsnb.plan(client, named, subject="Hej", attachments="plik", attachments_dir=tmp_path, campaign="p",
                      ledger=tmp_path / "l.sqlite").to_frame()  # fmt: skip
    assert rows.error.iloc[0] == f"Załącznik {str(tmp_path / 'brak.jpg')!r} nie istnieje: sprawdź ścieżkę."
    assert rows.error.iloc[1].startswith("Załącznik 'https://x.pl/a.jpg' wskazany w tym wierszu to adres URL;")
    assert sandbox.received == []


def test_the_gateways_trouble_in_polish_at_sending_or_in_failures_afterwards(make_sandbox, tmp_path, monkeypatch):
    sandbox = make_sandbox()
    client = sandbox.client(timeout=(2, 2))
    monkeypatch.chdir(tmp_path)
    polish = "Bramka ma kłopoty (HTTP 500, code 1: Internal error). Spróbuj ponownie później. Wiadomość mogła zostać"
    for lang, number in (("pl", "502 000 001"), ("en", "502 000 002")):
        monkeypatch.setenv("MMSNB_LANG", lang)
        sandbox.fail_next("server_error")
        results = mmsnb.send(client, pd.DataFrame({"msisdn": [number]}), subject="A", campaign=lang,
                             ledger=tmp_path / "l.sqlite", progress=False)  # fmt: skip
        assert list(results.send_state) == [SendState.UNKNOWN]
        results = mmsnb.poll(client, results, ledger=tmp_path / "l.sqlite", progress=False)
        said = results.error.iloc[0]
        assert said.startswith(polish if lang == "pl" else "The gateway had trouble (HTTP 500, code 1: Internal")
        kinds = failures(results, lang="pl")  # the English sentence said in Polish from the catalogue
        assert kinds.detail.iloc[0].startswith(polish.replace("500", "…")), kinds.detail.iloc[0]
        assert kinds.examples.iloc[0].startswith(polish)
    assert received_addresses(sandbox) == {}  # the gateway's trouble took nothing, and nothing was repeated
    client.close()


def test_english_stays_the_default(client, tmp_path, english):
    frame = pd.DataFrame({"msisdn": ["501 102 030", "501-102-030", "12"]})
    planned = mmsnb.plan(client, frame, subject="Hej", campaign="e", ledger=tmp_path / "l.sqlite")
    said, _, when = repr(planned).partition(" It would start ")
    assert said == "Plan 'e': 1 recipient in 1 request; 100 requests available; 1 invalid, 1 duplicate skipped."
    assert when.startswith("now and end around ") and when.endswith("(Europe/Warsaw; at about 5 requests a second).")
    errors = planned.to_frame().error.dropna().tolist()
    assert errors[0].startswith("Same number as row 0: one message per number per campaign")


def html_text(markup: str) -> str:
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", markup.split("</p>")[0]))


# -- the command line ------------------------------------------------------------------------------------


@pytest.fixture
def shell(sandbox, tmp_path):
    """Runs ``mmsnb`` in its own process against the sandbox, in Polish unless told otherwise; returns its lines."""
    from test_polish import mmsnb_command

    settings = {**sandbox.env(), "MMSNB_LEDGER": str(tmp_path / "ledger.sqlite")}

    def run(*args: str, code: int = 0, **env: str):
        done = mmsnb_command(*args, cwd=tmp_path, **{"MMSNB_LANG": "pl", **settings, **env})
        assert done.returncode == code, done.stderr
        return done.stdout.splitlines(), done.stderr.splitlines()

    return run


def ids_removed(lines: list[str]) -> list[str]:
    """``lines`` without the gateway's message ids (their letters are no words)."""
    import re

    return [re.sub(r"\b\d+_[0-9a-f]+_\d+\b", " ", line) for line in lines]


def test_the_command_lines_output_in_polish(shell, sandbox, client, tmp_path):
    seen: list[str] = []
    out, err = shell("send", "501102030", "510000000", "501102030", "--subject", "Hej", "--campaign", "jesien", code=2)
    assert out[0].startswith("+48 501 102 030: wysłano, identyfikator wiadomości: ")
    assert err == [
        "+48 501 102 030: Nie wysłano — numer powtórzony: Ten sam numer co w wierszu 0: jedna wiadomość na numer w "
        "kampanii, z treścią z wiersza 0."
    ]
    message_id = out[0].rsplit(" ", 1)[1]
    seen += out + err
    out, err = shell("send", "501102030", "--subject", "Hej", "--campaign", "jesien")
    assert out[0].startswith("+48 501 102 030: wysłano już ") and "Dodaj --again, aby wysłać ją od nowa." in out[0]
    seen += out + err
    out, _ = shell("limit")
    assert out == [
        "Limit wiadomości: wykorzystano 1, zostało 99; odnawia się: "
        + Speaker("pl").day(client.limit().resets_on)
        + ". Limit liczy wiadomości przekazane do bramki; jedna wiadomość trafia do jednego lub wielu odbiorców."
    ]
    seen += out
    out, _ = shell("status", message_id)
    assert out[0].endswith(", stan końcowy)") and out[1].startswith("  +48 501 102 030: ")
    seen += out
    out, _ = shell("opt-out", "502000001", "--reason", "STOP")
    assert out == ["+48 502 000 001  rezygnacja zapisana"]
    seen += out
    out, _ = shell("opt-out", "--list")
    assert out[0].split() == ["numer", "rezygnacja", "(czas", "polski)", "powód"]
    seen += [line.replace("STOP", "") for line in out]
    _, err = shell("send", "502000001", "--subject", "Hej", "--campaign", "x")
    assert err[0].startswith("+48 502 000 001: Nie wysłano — odbiorca zrezygnował: ten numer zrezygnował z wiadomości")
    assert err[0].endswith("'mmsnb opt-in NUMER' to odwołuje.")
    seen += [line.replace("STOP", "") for line in err]
    out, _ = shell("opt-in", "502000001")
    assert out == ["+48 502 000 001  rezygnacja odwołana"]
    out, _ = shell("campaigns")
    assert out[0].split()[:4] == ["kampania", "tytuł", "pierwsza", "wysyłka"] and out[1].startswith("jesien ")
    seen += [line.replace("Europe/Warsaw", "").replace("jesien", "") for line in out]
    _, err = shell("opt-out", "--all", code=2)
    assert err == ["mmsnb opt-out: błąd: --all działa razem z --list (pokazuje też odwołane rezygnacje)."]
    (tmp_path / "numery.csv").write_text("msisdn\n503000001\n12\n", encoding="utf-8")
    out, err = shell("opt-out", "--file", "numery.csv", code=2)
    assert err[0].startswith("numery.csv, wiersz 3: nie zapisano rezygnacji: '12' nie jest prawidłowym polskim")
    seen += out + err
    _, err = shell("status", "nie-ma-takiej", code=1)
    assert err[0].startswith("mmsnb: bramka nie zna (jeszcze) wiadomości o identyfikatorze 'nie-ma-takiej'.")
    seen += err
    text = [
        line.replace("'mmsnb send'", "").replace("mmsnb", "").replace("numery.csv", "") for line in ids_removed(seen)
    ]
    assert problems(text) == []
    assert all("tel:" not in line for line in seen)
    assert received_addresses(sandbox) == {"tel:+48501102030": 1, "tel:+48510000000": 1}


def test_the_command_line_follows_the_systems_locale_and_stays_english_by_default(shell, sandbox):
    out, _ = shell("send", "501102030", "--subject", "Hej", "--campaign", "c", MMSNB_LANG="", LANG="pl_PL.UTF-8")
    assert out[0].startswith("+48 501 102 030: wysłano, identyfikator wiadomości: ")
    out, _ = shell("send", "501102030", "--subject", "Hej", "--campaign", "c", MMSNB_LANG="")
    assert out[0].startswith("tel:+48501102030: already sent at ") and out[0].endswith("Add --again to send it anew.")
    out, _ = shell("opt-out", "502000001", MMSNB_LANG="")
    assert out == ["tel:+48502000001  opted out"]
    assert received_addresses(sandbox) == {"tel:+48501102030": 1}


def test_the_demo_speaks_polish(tmp_path):
    from test_polish import mmsnb_command

    done = mmsnb_command("demo", "--out", str(tmp_path / "demo"), cwd=tmp_path, MMSNB_LANG="pl")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Przykładowa kampania: 500 odbiorców z pliku ")
    assert "Podsumowanie:" in lines and any(line.startswith("Nie wysłano — numer powtórzony ") for line in lines)
    assert lines[-1].startswith("Gotowe w ")
    mine = [line.split(" z pliku ")[0].split(" pod adresem ")[0].split(": /")[0].split(" są w ")[0] for line in lines]
    theirs = ("'lapsed'", "'loyal'", "'new'", "'vip'", "MMSOnnet")  # the sample's segments; the gateway's name
    for word in theirs:
        mine = [line.replace(word, "") for line in mine]
    assert problems(mine) == []


def test_refused_credentials_and_a_stopped_sandboxs_bundle_in_polish(shell, sandbox, tmp_path):
    _, err = shell("limit", code=1, MMSNB_CLIENT_SECRET="zle-haslo")
    assert err[0].startswith("mmsnb: Serwer tokenów odrzucił dane logowania (")
    assert err[0].endswith("Sprawdź MMSNB_CLIENT_ID i MMSNB_CLIENT_SECRET.")
    _, err = shell("limit", code=2, MMSNB_CA_BUNDLE=str(tmp_path / "nie-ma.pem"))
    assert err[0].startswith("mmsnb: Pakiet CA '") and "ta piaskownica już nie działa" in err[0]
    assert problems([line.replace("mmsnb", "") for line in err]) == []
    assert sandbox.received == []
