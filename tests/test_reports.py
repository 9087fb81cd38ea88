"""mmsnb.report: a page opened in a real Chromium with the network cut off, a workbook read back with pandas; and
recipients read from an Excel workbook with their numbers exactly as typed, then sent (counted at the gateway)."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from helpers import CHROMIUM_ARGS, received_addresses, upload

import mmsnb
from mmsnb.errors import InputError

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def results(client, tmp_path) -> pd.DataFrame:
    """A real send of two variants (and a number that is never sent), polled until final."""
    numbers = [f"501{i:06d}" for i in range(40)]
    frame = pd.DataFrame({"msisdn": [*numbers, "12"], "variant": ["A", "B"] * 20 + ["A"]})
    sent = mmsnb.send(client, frame, subject="Hi", ledger=tmp_path / "ledger.sqlite", campaign="ab", progress=False)
    return mmsnb.poll(client, sent, progress=False)


def test_the_page_opens_offline_in_chromium_with_every_chart_loaded(results, tmp_path):
    if not CHROMIUM.exists() or importlib.util.find_spec("playwright") is None:
        pytest.skip("needs Debian's Chromium at /usr/bin/chromium and playwright")
    from playwright.sync_api import sync_playwright

    page_path = mmsnb.report(results, tmp_path / "report.html", by="variant")
    assert page_path == tmp_path / "report.html"
    text = page_path.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text and "<script" not in text
    assert "501000001" not in text  # no one's number is in the page

    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844}, offline=True)  # a phone, offline

            def only_the_page(route):
                if route.request.url == page_path.as_uri():
                    route.continue_()
                else:  # anything else the page asked for is recorded and refused
                    requested.append(route.request.url)
                    route.abort()

            context.route("**/*", only_the_page)
            page = context.new_page()
            page.goto(page_path.as_uri())
            page.wait_for_load_state("load")
            images = page.eval_on_selector_all(
                "img", "els => els.map(e => [e.alt, e.src.slice(0, 22), e.complete, e.naturalWidth, e.width])"
            )
            wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            headings = page.eval_on_selector_all("h2", "els => els.map(e => e.textContent)")
            body = page.inner_text("body")
        finally:
            browser.close()
    assert requested == []  # nothing but the page itself was asked for
    assert [alt for alt, *_ in images] == [
        "Bars of how many rows ended in each outcome",
        "Delivery rate of each variant with its 95 % interval",
        "Share of messages opened by each time after sending",
    ]
    for alt, src, complete, natural, shown in images:
        assert src == "data:image/png;base64,", alt
        assert complete and natural > 300, alt  # decoded: a real picture, not a broken-image icon
        assert shown <= 390, alt  # fits the phone's width
    assert wide <= 0  # nothing makes the page scroll sideways
    assert headings == ["The numbers", "By variant", "How soon people opened", "Failures by kind", "Quota"]
    table = mmsnb.compare(results, by="variant")
    for sentence in table["sentence"]:
        assert sentence in body
    assert "41 rows: 40 sent to the gateway, 1 never sent" in body


def test_the_workbook_reads_back_with_pandas_with_its_types_and_a_frozen_header(results, tmp_path):
    path = mmsnb.report(results, tmp_path / "report.xlsx", by="variant")
    sheets = pd.read_excel(path, sheet_name=None, dtype={"msisdn": "str"})
    assert list(sheets) == ["about", "summary", "by variant", "opened", "failures", "results"]
    back = sheets["results"]
    assert back["msisdn"].tolist() == results["msisdn"].tolist()
    assert str(back.dtypes["sent_at"]).startswith("datetime64")
    sent_at = results["sent_at"].dt.tz_convert("UTC").dt.tz_localize(None)
    assert (back["sent_at"] - sent_at).abs().max() < pd.Timedelta(milliseconds=1)  # Excel keeps milliseconds
    assert back["send_state"].tolist() == results["send_state"].astype("str").tolist()
    compared = sheets["by variant"].set_index("variant")
    expected = mmsnb.compare(results, by="variant")
    assert compared["sent"].tolist() == expected["sent"].tolist()
    assert compared["rate"].tolist() == pytest.approx(expected["rate"].tolist())
    assert str(compared.dtypes["sent"]) == "int64" and str(compared.dtypes["rate"]) == "float64"
    assert sheets["summary"]["count"].sum() == len(results)
    book = openpyxl.load_workbook(path, read_only=False)
    assert all(book[name].freeze_panes == "A2" for name in book.sheetnames)
    assert {c.data_type for c in book["results"]["A"][1:]} == {"s"}  # numbers as text, as they were


def test_a_report_needs_a_known_suffix(results, tmp_path):
    with pytest.raises(InputError, match=r"end it in \.html \(a page\) or \.xlsx \(a workbook\)"):
        mmsnb.report(results, tmp_path / "report.pdf")


def workbook(rows: list[list], formats: dict[str, str] | None = None, sheets: int = 1) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "first"
    for row in rows:
        sheet.append(row)
    for cell, shape in (formats or {}).items():
        sheet[cell].number_format = shape
    for k in range(1, sheets):
        book.create_sheet(f"sheet{k + 1}").append(["msisdn"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_recipients_from_a_workbook_keep_their_numbers_exactly_and_are_sent_once(sandbox, client, tmp_path):
    path = tmp_path / "lista.xlsx"
    path.write_bytes(
        workbook(
            [
                ["msisdn", "first_name", "points"],
                ["0048501102030", "Zofia", 3],
                ["+48 501 102 031", "Jan", None],
                [501102032, None, 2.5],
                [48501102033, "Ola", 7],  # typed as a number, shown as 0048501102033 by its format
                ["+48 501 102 031", "Jan again", 1],
            ],
            {"A5": "0000000000000"},
        )
    )
    frame = mmsnb.read_recipients(path, to="msisdn")
    assert frame["msisdn"].tolist() == [
        "0048501102030", "+48 501 102 031", "501102032", "0048501102033", "+48 501 102 031",
    ]  # fmt: skip
    assert list(frame.index) == [2, 3, 4, 5, 6]  # each row's line in the sheet, the header being row 1
    assert frame["points"].tolist()[:1] == ["3"] and pd.isna(frame.loc[3, "points"])
    assert frame.loc[4, "points"] == "2.5" and pd.isna(frame.loc[4, "first_name"])
    assert all(pd.api.types.is_string_dtype(dtype) for dtype in frame.dtypes)

    results = mmsnb.send(client, frame, subject="Cześć!", ledger=tmp_path / "l.sqlite", progress=False)
    got = received_addresses(sandbox)
    assert sorted(got) == ["tel:+48501102030", "tel:+48501102031", "tel:+48501102032", "tel:+48501102033"]
    assert set(got.values()) == {1}
    assert results["send_state"].astype("str").tolist()[-1] == "duplicate"


def test_a_workbook_sheet_is_chosen_by_name_or_position_and_a_wrong_one_is_named():
    raw = workbook([["msisdn"], ["501102030"]], sheets=2)
    assert mmsnb.read_recipients(raw, sheet="sheet2").columns.tolist() == ["msisdn"]
    assert mmsnb.read_recipients(raw, sheet=0)["msisdn"].tolist() == ["501102030"]
    with pytest.raises(InputError, match=r"^the uploaded file has no sheet 'Arkusz1'; its sheets: first, sheet2\.$"):
        mmsnb.read_recipients(raw, sheet="Arkusz1")
    with pytest.raises(InputError, match="is not a readable Excel workbook"):
        mmsnb.read_recipients(b"PK\x03\x04" + bytes(40))


def test_a_campaign_is_rebuilt_from_the_ledger_and_reported_from_the_command_line(results, tmp_path, capsys):
    import re

    from mmsnb import cli
    from mmsnb.analysis import ledger_results

    ledger = str(tmp_path / "ledger.sqlite")
    rebuilt = ledger_results(mmsnb.history(ledger=ledger))
    sent = results[results["send_state"] != "invalid"].reset_index(drop=True)
    columns = ["address", "send_state", "message_id", "request_no", "http_status", "status", "status_category",
               "status_meaning", "final", "sent_at", "polled_at", "delivered_at"]  # fmt: skip
    pd.testing.assert_frame_equal(rebuilt[columns], sent[columns], check_categorical=False)

    out = tmp_path / "ab.html"
    assert cli.main(["report", "ab", "--ledger", ledger, "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"{out}\n"
    page = out.read_text(encoding="utf-8")
    assert re.findall(r"<h2>(.*?)</h2>", page) == ["The numbers", "How soon people opened", "Failures by kind", "Quota"]
    assert page.count('src="data:image/png;base64,') == 3
    assert "<title>Campaign ab</title>" in page
    assert cli.main(["report", "ab", "--ledger", ledger, "--out", str(tmp_path / "ab.xlsx")]) == 0
    back = pd.read_excel(tmp_path / "ab.xlsx", sheet_name="results")
    assert back["address"].tolist() == sent["address"].tolist()
    assert cli.main(["report", "nope", "--ledger", ledger, "--out", str(tmp_path / "x.html")]) == 2
    assert "The ledger has no campaign named 'nope'" in capsys.readouterr().err
    assert cli.main(["report", "ab", "--ledger", ledger, "--out", str(tmp_path / "x.pdf")]) == 2


def test_the_composer_takes_an_uploaded_workbook_with_its_numbers_as_typed(client, tmp_path):
    from mmsnb import Composer

    raw = workbook([["imię", "telefon"], ["Łucja", "0048 501 102 030"], ["Ola", 48501102031]], {"B3": "0" * 13})
    form = Composer(client, ledger=tmp_path / "l.sqlite")
    try:
        form.recipients.csv.value = (upload("lista.xlsx", raw, XLSX),)
        assert form.recipients.using_table, form.recipients.table_info.value
        assert form.recipients.column.value == "telefon"
        assert form.recipients.table["telefon"].tolist() == ["0048 501 102 030", "0048501102031"]
        assert "2 valid recipients" in form.recipients.count.value
    finally:
        form.close()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
