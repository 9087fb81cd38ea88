"""The errors about an option's value and the ledgers' own errors (SQLite and PostgreSQL) in Polish with
``MMSNB_LANG=pl`` (the option names kept as a Python user types them); English stays the default,
and nothing is sent."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import free_port

import mmsnb
from mmsnb.cli import main

FRAME = pd.DataFrame({"msisdn": ["501102030"]})

#: Options that cannot be used, and how the Polish sentence begins and the English one.
REFUSED = [
    ({"workers": 0}, "workers= musi mieć wartość \"auto\" albo być liczbą całkowitą od 1 do ",
     'workers= must be "auto"'),
    ({"max_workers": "8"}, "max_workers= musi być liczbą całkowitą od 1 do ", "max_workers= must be a whole number"),
    ({"wait_for_quota": "tak"}, "wait_for_quota= musi mieć wartość True albo False, a nie 'tak'.",
     "wait_for_quota= must"),
    ({"window": "25:00-26:00"}, "Nie rozumiem godzin wysyłki '25:00-26:00': podaj dwie godziny, otwarcia i zamknięcia, "
     "np. '08:00-20:00' (window='08:00-20:00').", "The sending hours '25:00-26:00' are not understood"),
    ({"window": "08:00-08:00"}, "Godziny wysyłki '08:00-08:00' otwierają się i zamykają o tej samej porze",
     "The sending hours '08:00-08:00' open and close"),
    ({"days": "weekend"}, "Nie rozumiem dni 'weekend': podaj je jako 'pn-sb'", "The days 'weekend' are not understood"),
    ({"start_at": "jutro"}, "Nie rozumiem czasu rozpoczęcia 'jutro': podaj datę i godzinę",
     "The start time 'jutro' is not understood"),
    ({"tz": "Mars/Base"},
     "'Mars/Base' nie jest strefą czasową: podaj jej nazwę, np. 'Europe/Warsaw' (tz='Europe/Warsaw').",
     "'Mars/Base' is not a time zone"),
    ({"min_gap": "7"}, "min_gap= musi być odstępem czasu z jednostką, np. \"7D\"", "min_gap= must be a length of time"),
    ({"min_gap": "0.1s"}, "min_gap= musi wynosić co najmniej sekundę, a nie '0.1s'.",
     "min_gap= must be at least a second"),
    ({"wait_for_qouta": True}, "send() nie ma opcji wait_for_qouta=. Czy chodziło o wait_for_quota=? Zobacz ",
     "send() has no option wait_for_qouta=. Did you mean wait_for_quota=?"),
]  # fmt: skip


@pytest.mark.parametrize(("options", "polish", "english"), REFUSED)
def test_an_options_value_is_refused_in_polish(client, sandbox, tmp_path, monkeypatch, options, polish, english):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MMSNB_LANG", "pl")
    with pytest.raises(mmsnb.InputError) as caught:
        mmsnb.send(client, FRAME, subject="Hej", ledger=tmp_path / "l.sqlite", progress=False, **options)
    assert str(caught.value).startswith(polish), str(caught.value)
    assert caught.value.say(lang="en").startswith(english)
    monkeypatch.delenv("MMSNB_LANG")
    assert str(caught.value).startswith(english)  # English stays the default
    assert sandbox.received == []


def test_the_ledgers_errors_in_polish(client, sandbox, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MMSNB_LANG", "pl")
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(mmsnb.LedgerError) as caught:
        mmsnb.send(client, FRAME, subject="Hej", ledger=folder, progress=False)
    assert (
        str(caught.value)
        == f"Rejestr {str(folder)!r} jest folderem. Wskaż w ledger= plik, np. {str(folder / 'mmsnb-ledger.sqlite')!r}."
    )
    assert caught.value.say(lang="en").startswith(f"The ledger {str(folder)!r} is a folder.")
    broken = tmp_path / "nie-rejestr.sqlite"
    broken.write_bytes(b"to nie jest baza danych " * 100)
    with pytest.raises(mmsnb.LedgerError) as caught:
        mmsnb.send(client, FRAME, subject="Hej", ledger=broken, progress=False)
    assert str(caught.value) == (
        f"Plik {str(broken)!r} nie jest rejestrem (to nie baza SQLite). Wskaż inny plik w ledger= lub MMSNB_LEDGER."
    )
    with pytest.raises(mmsnb.InputError) as missing:
        mmsnb.report("nie-ma", tmp_path / "r.html", ledger=tmp_path / "l.sqlite")
    assert str(missing.value) == "W rejestrze nie ma kampanii 'nie-ma': 'mmsnb campaigns' wypisuje te, które ma."
    assert sandbox.received == []


def test_the_command_line_says_them_in_polish_with_its_own_options(sandbox, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MMSNB_LANG", "pl")
    assert main(["send", "501102030", "--subject", "Hej", "--hours", "25:00-26:00"]) == 2
    assert capsys.readouterr().err.strip() == (
        "mmsnb: Nie rozumiem godzin wysyłki '25:00-26:00': podaj dwie godziny, otwarcia i zamknięcia, np. "
        "'08:00-20:00' (--hours '08:00-20:00')."
    )
    assert main(["report", "nie-ma", "--out", str(tmp_path / "r.html")]) == 2
    assert "W rejestrze nie ma kampanii 'nie-ma'" in capsys.readouterr().err
    assert sandbox.received == []


def test_a_postgresql_ledgers_errors_in_polish(client, sandbox, pg_url, monkeypatch):
    monkeypatch.setenv("MMSNB_LANG", "pl")
    secret = pg_url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    wrong = pg_url.replace(secret, "nie-to-haslo")
    with pytest.raises(mmsnb.LedgerError) as caught:
        mmsnb.send(client, FRAME, subject="Hej", ledger=wrong, progress=False)
    said = str(caught.value)
    assert said.startswith("Rejestr 'postgresql://") and " odrzucił dane logowania (" in said, said
    assert said.endswith("). Sprawdź użytkownika i hasło (w adresie URL, PGPASSWORD lub ~/.pgpass).")
    assert caught.value.say(lang="en").endswith(
        "Check the user and the password (in the URL, PGPASSWORD or ~/.pgpass)."
    )
    assert "nie-to-haslo" not in said and secret not in said

    closed = re.sub(r"@([^/:]+):\d+/", rf"@\1:{free_port()}/", pg_url)
    assert closed != pg_url
    with pytest.raises(mmsnb.LedgerError) as caught:
        mmsnb.send(client, FRAME, subject="Hej", ledger=closed, progress=False)
    said = str(caught.value)
    assert said.startswith("Nie można połączyć się z rejestrem 'postgresql://"), said
    assert said.endswith("Sprawdź, czy serwer działa i czy host i port są poprawne.")

    missing = pg_url.rsplit("/", 1)[0] + "/nie_ma_takiej_bazy"
    with pytest.raises(mmsnb.LedgerError) as caught:
        mmsnb.send(client, FRAME, subject="Hej", ledger=missing, progress=False)
    assert "wskazuje bazę danych, która nie istnieje" in str(caught.value), str(caught.value)
    assert str(caught.value).endswith("Utwórz ją (createdb) albo popraw adres URL.")
    monkeypatch.delenv("MMSNB_LANG")
    assert "names a database that does not exist" in str(caught.value)  # English stays the default
    assert sandbox.received == []


def test_a_ledgers_address_and_its_names_in_polish(client, sandbox, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MMSNB_LANG", "pl")
    refused = {
        "sqlite://": "'sqlite://' nie wskazuje pliku: napisz sqlite:///ścieżka/względna.sqlite lub "
        "sqlite:////ścieżka/bezwzględna.",
        "ftp://host/l": "ledger= ftp:// nie jest rejestrem, który zna ta wersja: podaj ścieżkę pliku, "
        "sqlite:///ścieżka lub postgresql://użytkownik@host:port/baza.",
        "postgresql://me@host/db/x@y": "Nie można odczytać adresu URL rejestru PostgreSQL: napisz "
        "postgresql://użytkownik:hasło@host:port/baza, a znaki @ : / ? # % w haśle jako %40 %3A %2F %3F %23 %25.",
        42: "ledger= musi być ścieżką, adresem sqlite:/// lub postgresql:// albo obiektem Ledger, a nie int 42.",
    }
    for ledger, polish in refused.items():
        with pytest.raises(mmsnb.InputError) as caught:
            mmsnb.send(client, FRAME, subject="Hej", ledger=ledger, progress=False)
        assert str(caught.value) == polish

    ledger = tmp_path / "rejestr.sqlite"
    mmsnb.Ledger(ledger).close()
    os.link(ledger, tmp_path / "druga-nazwa.sqlite")
    with pytest.raises(mmsnb.LedgerError) as linked:
        mmsnb.send(client, FRAME, subject="Hej", ledger=ledger, progress=False)
    assert str(linked.value).startswith(
        f"Rejestr {str(ledger)!r} jest plikiem o 2 nazwach (twardych dowiązaniach), czego SQLite nie obsługuje"
    )
    assert str(linked.value).endswith("usuń pozostałe nazwy i wskaż kopię w ledger= lub MMSNB_LEDGER.")
    monkeypatch.delenv("MMSNB_LANG")
    assert str(linked.value).startswith(f"The ledger {str(ledger)!r} is a file with 2 names (hard links)")
    assert sandbox.received == []


#: A child that sees ``ledger`` through a file bind-mounted at ``bound`` (a container's ``-v``) and says why
#: it refuses it.
MOUNTED = """
import ctypes, subprocess, mmsnb
assert ctypes.CDLL(None, use_errno=True).unshare(0x00020000) == 0, "unshare(CLONE_NEWNS)"
subprocess.run(["mount", "--make-rprivate", "/"], check=True)
subprocess.run(["mount", "--bind", {ledger!r}, {bound!r}], check=True)
try:
    mmsnb.Ledger({bound!r})
except mmsnb.LedgerError as exc:
    print(exc)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="mount namespaces are Linux's")
def test_a_ledger_file_mounted_on_its_own_in_polish(tmp_path):
    ledger, bound = tmp_path / "rejestr.sqlite", tmp_path / "dane" / "l.sqlite"
    mmsnb.Ledger(ledger).close()
    bound.parent.mkdir()
    bound.touch()
    env = {**os.environ, "MMSNB_LANG": "pl", "PYTHONPATH": str(Path(mmsnb.__file__).parent.parent)}
    code = MOUNTED.format(ledger=str(ledger), bound=str(bound))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=tmp_path)
    if "unshare(CLONE_NEWNS)" in done.stderr or done.returncode != 0:
        pytest.skip(f"this machine does not let a test bind-mount a file: {done.stderr[-200:]}")
    assert done.stdout.startswith(
        f"Rejestr {str(bound)!r} jest plikiem zamontowanym osobno (jak wolumin kontenera z jednym plikiem)"
    ), done.stdout
    assert "Zamontuj zamiast tego folder z rejestrem" in done.stdout


def test_the_numbers_of_an_opt_out_in_polish(tmp_path, monkeypatch):
    monkeypatch.setenv("MMSNB_LANG", "pl")
    ledger = tmp_path / "l.sqlite"
    with pytest.raises(mmsnb.InputError) as caught:
        mmsnb.opt_out(FRAME, ledger=ledger)
    assert str(caught.value) == (
        "numbers= przyjmuje jedną kolumnę (frame['msisdn']) albo listę, a nie całą ramkę danych (DataFrame)."
    )
    with pytest.raises(mmsnb.InputError) as caught:
        mmsnb.opt_in(501102030.0, ledger=ledger)
    assert str(caught.value) == "numbers= musi być numerem albo listą numerów, a nie float."
    monkeypatch.delenv("MMSNB_LANG")
    assert str(caught.value) == "numbers= must be a number or a list of numbers, not float."
    assert not ledger.exists()
