"""One empty cell, named by the same row number everywhere: the line of the file the person opened (the header
being line 1, as a spreadsheet numbers its rows) when the rows came from a file, else the frame's index label."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from helpers import upload

import mmsnb
from mmsnb.widgets import Composer

ROOT = Path(__file__).resolve().parents[1]
#: Line 1 the header, line 4 empty, line 6 a number with no cell filled in.
CSV = "msisdn,imie\n501102030,Ala\n510000000,Olek\n\n511000000,Ewa\n,Zenon\n"
EMPTY_LINE = 6


def test_the_same_empty_cell_is_the_same_row_in_the_library_the_composer_and_the_command_line(
    client, sandbox, tmp_path
):
    path = tmp_path / "lista.csv"
    path.write_text(CSV, encoding="utf-8")

    # the library: the row's index label is its line
    frame = mmsnb.read_recipients(path)
    assert list(frame.index) == [2, 3, 5, EMPTY_LINE]
    results = mmsnb.send(client, frame, subject="Hej", ledger=tmp_path / "ledger.sqlite", progress=False)
    assert list(results.index[results.send_state == "invalid"]) == [EMPTY_LINE]
    assert "The number is missing" in results.loc[EMPTY_LINE, "error"]
    assert sorted(a for m in sandbox.received for a in m.addresses) == [
        "tel:+48501102030",
        "tel:+48510000000",
        "tel:+48511000000",
    ]

    # the Composer, with the same file uploaded
    form = Composer(client, ledger=tmp_path / "form.sqlite")
    try:
        form.recipients.csv.value = (upload("lista.csv", CSV.encode(), "text/csv"),)
        assert f"Row {EMPTY_LINE}: The number is missing" in form.recipients.issues.value
        assert form.recipients.csv.description == "CSV or Excel file" and len(form.recipients.csv.value) == 1
    finally:
        form.close()

    # the command line, a real process
    env = {k: v for k, v in os.environ.items() if not k.startswith("MMSNB_")}
    done = subprocess.run(
        [sys.executable, "-m", "mmsnb", "opt-out", "--file", str(path), "--ledger", str(tmp_path / "cli.sqlite")],
        env={**env, "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert f"{path} row {EMPTY_LINE}: not opted out: The number is missing" in done.stderr, done.stderr


def test_a_frame_not_read_from_a_file_is_named_by_its_index_labels(client, tmp_path):
    frame = pd.DataFrame({"msisdn": ["501102030", None]}, index=["anna", "bolek"])
    form = Composer(client, recipients=frame, ledger=tmp_path / "form.sqlite")
    try:
        assert "Row bolek: The number is missing" in form.recipients.issues.value
    finally:
        form.close()
    results = mmsnb.send(client, frame, subject="Hej", ledger=tmp_path / "ledger.sqlite", progress=False)
    assert results.loc["bolek", "send_state"] == "invalid"


def test_a_workbooks_rows_are_its_row_numbers(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in (["msisdn", "imie"], ["501102030", "Ala"], [None, None], [None, "Zenon"]):
        sheet.append(row)
    book.save(tmp_path / "lista.xlsx")
    assert list(mmsnb.read_recipients(tmp_path / "lista.xlsx").index) == [2, 4]
