"""The Composer and the Monitor in Polish (``lang="pl"``, or ``MMSNB_LANG``): every string a person sees comes
from the catalogue, with no English word, column name, status code or ``tel:`` address among them."""

from __future__ import annotations

import html
import io
import re

import ipywidgets as widgets
import pandas as pd
import pytest
from babel.messages.pofile import read_po
from helpers import upload

from mmsnb import words
from mmsnb.result_columns import CATEGORIES, SEND_STATES
from mmsnb.widgets import Composer

PO = words.resources.files("mmsnb") / "locale" / "pl" / "LC_MESSAGES" / "mmsnb.po"
#: What the person typed or chose themselves (their data, shown back as it is).
THEIRS = ("Sklep", "Cześć {imie}!", "Cześć Ala!", "promo.jpg", "imie", "telefon", "Ala", "Olek", "Ewa")
#: Words the Polish text keeps on purpose: names, formats and the card's own Polish words.
KEPT = {"jpeg", "webp", "heic", "exif", "xmp", "gps", "mmsonnet", "orange", "excel", "csv", "mms", "linkedid"}


def english_words() -> set[str]:
    """The words of the English catalogue (its message ids) that no Polish entry uses: if one shows in the
    Polish form, something was not translated."""
    catalog = read_po(io.BytesIO(PO.read_bytes()), locale="pl")
    english, polish = set(), set()
    for message in catalog:
        if not message.id:
            continue
        for text in message.id if isinstance(message.id, tuple) else (message.id,):
            english |= set(re.findall(r"[a-z]{3,}", re.sub(r"\{\w*\}", " ", text.lower())))
        for text in message.string if isinstance(message.string, tuple) else (message.string or "",):  # type: ignore[assignment]
            polish |= set(re.findall(r"[a-ząćęłńóśźż]{3,}", re.sub(r"\{\w*\}", " ", text.lower())))
    return english - polish - KEPT


def visible(root: widgets.Widget) -> list[str]:
    """Every string a person can see in ``root``: descriptions, labels, HTML (as text), options, placeholders,
    tooltips and tab titles."""
    found = []
    for widget in walk(root):
        if isinstance(widget, widgets.Output):
            continue
        for name in ("description", "placeholder", "tooltip"):
            found.append(getattr(widget, name, None))
        if isinstance(widget, widgets.HTML | widgets.Label):
            found.append(html.unescape(re.sub(r"<[^>]+>", " ", widget.value)))
        if isinstance(widget, widgets.Dropdown):
            found += [str(label) for label in widget._options_labels]
        if isinstance(widget, widgets.Tab):
            found += list(widget.titles)
    return [s for s in found if isinstance(s, str) and s.strip()]


def walk(root: widgets.Widget):
    yield root
    for child in getattr(root, "children", ()):
        yield from walk(child)


def problems(strings: list[str]) -> list[str]:
    english = english_words()
    raw = {*SEND_STATES, *CATEGORIES, "send_state", "message_id", "status_meaning", "msisdn", "address", "tel:"}
    out = []
    for text in strings:
        mine = text
        for theirs in THEIRS:
            mine = mine.replace(theirs, " ")
        tokens = set(re.findall(r"[A-Za-z_:\-]{3,}", mine))
        lowered = {t.lower() for t in tokens}
        if hits := sorted(w for w in lowered if w in english):
            out.append(f"English {hits} in {text!r}")
        if hits := sorted(r for r in raw if r in tokens or (r == "tel:" and "tel:" in mine)):
            out.append(f"raw name {hits} in {text!r}")
        if "ⓘ" in text:
            out.append(f"a glyph common fonts lack in {text!r}")
    return out


def test_the_english_word_list_is_not_empty_and_catches_english() -> None:
    english = english_words()
    assert {"recipients", "send", "attach", "message", "delivered"} <= english
    assert problems(["Send to 2 recipients"]) and problems(["Stan: accepted"]) and not problems(["Wyślij…"])


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"imie": ["Ala", "Olek", "Ewa"], "telefon": ["501 102 030", "510-000-000", "12"]})


def test_the_polish_composer_and_monitor_show_no_english_and_no_developer_words(client, sandbox, tmp_path, jpeg, frame):
    form = Composer(client, recipients=frame, ledger=tmp_path / "ledger.sqlite", interval=0.05, lang="pl")
    try:
        form.subject.value = "Cześć {imie}!"
        form.sender.value = "Sklep"
        form.attachments.upload.value = (upload("promo.jpg", jpeg, "image/jpeg"),)
        assert "2 prawidłowi odbiorcy" in form.recipients.count.value
        assert "Wiersz 2" in form.recipients.issues.value and "nie jest prawidłowym polskim numerem" in (
            form.recipients.issues.value
        )
        assert form.attachments.upload.description == "Dołącz pliki" and len(form.attachments.upload.value) == 1
        before = visible(form)
        form.send_button.click()
        confirm = visible(form)
        assert (
            "Wysłać do 2 odbiorców w ramach 2 wiadomości?"
        )  # one per row: each has its own text in form.confirm_text.value
        assert "„Cześć {imie}!”" in html.unescape(form.confirm_text.value)  # the campaign shown by its subject
        form.confirm_button.click()
        assert form.monitor is not None and form.monitor.lang == "pl"
        form.monitor.wait(timeout=60)
        after = visible(form)
        assert sorted(m.addresses for m in sandbox.received) == [("tel:+48501102030",), ("tel:+48510000000",)]
        assert "Wysłano: 2" in form.status.value
        assert "Gotowe: 2 z 2 odbiorców" in form.progress_text.value
        assert "Każda wiadomość ma ostateczny stan" in form.monitor.elapsed.value
        assert any("Dostarczono" in s for s in after)
    finally:
        form.close()
    found = problems(before + confirm + after)
    assert found == [], "\n".join(found)


def test_mmsnb_lang_chooses_polish_when_lang_is_not_given(client, tmp_path, monkeypatch):
    monkeypatch.setenv("MMSNB_LANG", "pl")
    form = Composer(client, ledger=tmp_path / "ledger.sqlite")
    try:
        assert form.lang == "pl" and form.send_button.description == "Wyślij…"
        assert problems(visible(form)) == []
    finally:
        form.close()
    monkeypatch.setenv("MMSNB_LANG", "en")
    english = Composer(client, ledger=tmp_path / "ledger.sqlite")
    try:
        assert english.lang == "en" and english.send_button.description == "Send…"
    finally:
        english.close()


def test_the_forms_limits_are_said_before_send(client, sandbox, tmp_path):
    form = Composer(client, ledger=tmp_path / "ledger.sqlite", lang="pl")
    try:
        form.recipients.text.value = "501 102 030"
        form.subject.value = "Hej"
        form.sender.value = "Sklep"
        assert "3 znaki" in form.subject_count.value and "5 z 11 znaków" in form.sender_count.value
        assert not form.send_button.disabled
        form.sender.value = "Sklep internetowy Żabka"  # 23 characters: phones show 11
        assert form.send_button.disabled
        assert "telefony pokazują nazwę nadawcy o długości najwyżej 11 znaków" in html.unescape(form.why.value)
        form.sender.value = "+48501102030"  # a number of up to 15 digits is allowed
        assert not form.send_button.disabled
        form.subject.value = "ż" * 16_000  # 32 000 bytes of UTF-8: over the 30 KB a subject may hold
        assert form.send_button.disabled and "Treść jest za długa" in form.why.value
        form.send_button.click()
        assert sandbox.received == []
    finally:
        form.close()


def test_the_html_report_in_polish(client, tmp_path):
    import mmsnb

    frame = pd.DataFrame({"msisdn": ["501102030", "510000000", "12"]})
    results = mmsnb.send(client, frame, subject="Hej", ledger=tmp_path / "l.sqlite", progress=False)
    results = mmsnb.poll(client, results, ledger=tmp_path / "l.sqlite", progress=False)
    page = mmsnb.report(results, tmp_path / "raport.html", lang="pl").read_text(encoding="utf-8")
    assert '<html lang="pl">' in page
    for polish in ("Liczby", "Jak szybko odbiorcy otwierali", "Niepowodzenia według rodzaju", "Przygotowano w mmsnb"):
        assert polish in page
    text = html.unescape(re.sub(r"<(table|style)\b.*?</\1>|<[^>]+>", " ", page, flags=re.S))  # tables keep columns
    found = problems([text.replace("mmsnb", " ")])
    assert found == [], found
