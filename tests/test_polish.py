"""mmsnb in Polish: one catalogue (Babel's plural rules, numbers and dates), the card's statuses, and the
language chosen by ``lang=``, ``MMSNB_LANG`` or the system locale."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from mmsnb import words
from mmsnb.delivery_statuses import KNOWN_STATUSES, describe
from mmsnb.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
PO = words.resources.files("mmsnb") / "locale" / "pl" / "LC_MESSAGES" / "mmsnb.po"


@pytest.mark.parametrize(
    ("n", "said"),
    [
        (0, "0 odbiorców"),
        (1, "1 odbiorca"),
        (2, "2 odbiorcy"),
        (5, "5 odbiorców"),
        (12, "12 odbiorców"),
        (22, "22 odbiorcy"),
        (25, "25 odbiorców"),
        (101, "101 odbiorców"),
        (112, "112 odbiorców"),
    ],
)
def test_polish_plural_forms_come_from_babel(n: int, said: str) -> None:
    assert words.speaker("pl").ngettext("{n} recipient", "{n} recipients", n) == said
    assert words.speaker("en").ngettext("{n} recipient", "{n} recipients", n) == f"{n} recipient" + "s" * (n != 1)


def test_the_catalogue_writes_no_plural_rule_of_its_own() -> None:
    """Polish's three forms come from Babel's CLDR data, not a rule typed into the catalogue."""
    text = PO.read_text("utf-8")
    assert "Plural-Forms" not in text
    catalog = read_po(io.StringIO(text), locale="pl")
    assert catalog.num_plurals == 3


def test_every_entry_is_translated_and_keeps_its_placeholders() -> None:
    catalog = read_po(io.BytesIO(PO.read_bytes()), locale="pl")
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strs = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strs), f"untranslated: {message.id!r}"
        wanted = set(words_in_braces(ids[-1]))
        for s in strs:
            assert set(words_in_braces(s)) <= wanted | set(words_in_braces(ids[0])), (message.id, s)


def words_in_braces(text: str) -> list[str]:
    import re

    return re.findall(r"\{(\w*)\}", text)


def test_numbers_and_dates_as_poland_writes_them() -> None:
    pl, en = words.speaker("pl"), words.speaker("en")
    assert pl.number(12345.5) == "12\xa0345,5"
    assert en.number(12345.5) == "12,345.5"
    moment = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)  # 11:00 in Warsaw (winter)
    assert pl.when(moment) == "5 grudnia 2026, 11:00"
    assert en.when(moment, tz="UTC") == "5 December 2026, 10:00"
    assert pl.when(datetime(2026, 7, 1, 10, 0, tzinfo=UTC)) == "1 lipca 2026, 12:00"  # summer time
    assert pl.duration(190) == "3 minuty"


def test_the_language_is_chosen_by_lang_then_mmsnb_lang_then_the_system(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("MMSNB_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert words.language() == "en"
    monkeypatch.setenv("LANG", "pl_PL.UTF-8")
    assert words.language() == "en"  # the library speaks English unless told
    assert words.language(system=True) == "pl"  # the command line follows the system's locale
    (tmp_path / ".env").write_text("MMSNB_LANG=pl\n")
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert words.language() == "pl"  # .env
    monkeypatch.setenv("MMSNB_LANG", "en")
    assert words.language(system=True) == "en"  # the environment over .env
    assert words.language("pl") == "pl"  # lang= over both
    with pytest.raises(InputError, match="English and Polish"):
        words.language("de")


def test_each_of_the_cards_statuses_has_the_cards_polish_words() -> None:
    assert len(KNOWN_STATUSES) == 14
    polish = {status: describe(status).meaning_pl for status in KNOWN_STATUSES}
    english = {status: describe(status).meaning for status in KNOWN_STATUSES}
    assert all(polish.values()) and all(polish[s] != english[s] for s in KNOWN_STATUSES)
    assert polish["Retrieved"] == "Wiadomość poprawnie wysłana do urządzenia"  # the card's "wystana", corrected
    assert polish["Success"].startswith("Wiadomość została poprawnie przeprocesowana")
    assert polish["Expired"].startswith("Wiadomość wygasła.")
    assert describe("Retrieved").meaning_in("pl") == polish["Retrieved"]
    assert describe("Retrieved").meaning_in("en") == "delivered to the handset"


def test_every_message_the_code_marks_is_in_the_catalogue() -> None:
    """Babel's extractor finds each ``_("…")``, ``N_("…")`` and ``ngettext`` in the package: each has its Polish."""
    from babel.messages.extract import extract_from_dir

    catalog = read_po(io.BytesIO(PO.read_bytes()), locale="pl")
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog} | {
        m.id[1] for m in catalog if isinstance(m.id, tuple)
    }
    package = words.resources.files("mmsnb")
    keywords = {"_": None, "N_": None, "ngettext": (1, 2)}
    found = [
        (file, msg if isinstance(msg, str) else msg[0])
        for file, _line, msg, _comments, _context in extract_from_dir(str(package), keywords=keywords)
    ]
    assert len(found) > 150
    assert [f for f in found if f[1] not in known] == []


def mmsnb_command(*args: str, cwd, **env: str) -> subprocess.CompletedProcess[str]:
    """The real ``mmsnb`` command in its own process, with no settings but ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MMSNB_", "LC_", "LANG"))}
    full = {**clean, "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8", **env}
    done = subprocess.run(
        [sys.executable, "-m", "mmsnb", *args], env=full, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def test_the_command_lines_error_sentences_are_polish_with_mmsnb_lang_or_a_polish_locale(tmp_path) -> None:
    english = mmsnb_command("limit", cwd=tmp_path)
    assert english.returncode == 2 and english.stderr.startswith("mmsnb: No client id: set MMSNB_CLIENT_ID")
    polish = "mmsnb: Brak identyfikatora klienta: ustaw MMSNB_CLIENT_ID w środowisku albo w pliku .env."
    for env in ({"MMSNB_LANG": "pl"}, {"LANG": "pl_PL.UTF-8"}):
        done = mmsnb_command("limit", cwd=tmp_path, **env)
        assert done.returncode == 2, done.stderr  # the same exit status: the error's class does not change
        assert done.stderr.startswith(polish) and "Aby wypróbować mmsnb bez konta" in done.stderr
    (tmp_path / ".env").write_text("MMSNB_LANG=pl\n")
    assert mmsnb_command("limit", cwd=tmp_path).stderr.startswith(polish)
    (tmp_path / ".env").write_text("MMSNB_LANG=en\n")
    assert mmsnb_command("limit", cwd=tmp_path, LANG="pl_PL.UTF-8").stderr.startswith("mmsnb: No client id")


def test_the_librarys_exceptions_stay_english_unless_mmsnb_lang_says_polish(monkeypatch, tmp_path) -> None:
    from mmsnb.phones import parse

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MMSNB_LANG", raising=False)
    monkeypatch.setenv("LANG", "pl_PL.UTF-8")  # the system's locale is for the command line only
    with pytest.raises(InputError) as caught:
        parse("12")
    assert str(caught.value) == "'12' is not a valid Polish number: check the digits (a mobile number has 9)."
    monkeypatch.setenv("MMSNB_LANG", "pl")
    assert str(caught.value) == "'12' nie jest prawidłowym polskim numerem: sprawdź cyfry (numer komórkowy ma ich 9)."
    assert caught.value.sentence.startswith("'12' is not")  # the data stays as it was; only the words change
