"""Results and history frames travel: to Parquet and CSV and back through mmsnb.read_results, dtypes and values equal.

Against a real HTTPS sandbox and a real SQLite ledger; the recipients come from a CSV read by mmsnb.read_recipients.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import sys

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import mmsnb
from mmsnb.errors import InputError
from mmsnb.ledger import QUOTA_DTYPES, SENDS_DTYPES, STATUSES_DTYPES

pytest.importorskip("pyarrow")

DATA = pathlib.Path(__file__).resolve().parent.parent / "data"
RECIPIENTS = (
    "msisdn;first_name;segment;image\n"
    "501000001;Zofia;a;promo.jpg\n"
    "501000002;;b;promo.jpg\n"  # an empty first name: missing, and it must stay missing
    "501000001;Zofia;a;promo.jpg\n"  # a duplicate
    "12;Jan;a;promo.jpg\n"  # an invalid number
    "0048501000003;Łucja;b;promo.jpg\n"
    "451000001;Ala;b;promo.jpg\n"  # a mobile range with no known network: carrier_hint missing, also from a CSV
)


def recipients(tmp_path: pathlib.Path) -> pd.DataFrame:
    shutil.copy(DATA / "promo.jpg", tmp_path / "promo.jpg")
    (tmp_path / "recipients.csv").write_text(RECIPIENTS, encoding="utf-8")
    return mmsnb.read_recipients(tmp_path / "recipients.csv", to="msisdn")


def campaign(client, frame: pd.DataFrame, tmp_path: pathlib.Path) -> dict[str, pd.DataFrame]:
    """The frames a user has after a dry run, a send and a poll; and the history of the ledger."""
    options = dict(subject="Promocja {segment}", attachments="image", ledger=tmp_path / "l.sqlite", progress=False)
    dry = mmsnb.send(client, frame, dry_run=True, campaign="travel", **options)
    sent = mmsnb.send(client, frame, campaign="travel", **options)
    polled = mmsnb.poll(client, sent, ledger=tmp_path / "l.sqlite", progress=False)
    history = mmsnb.history(ledger=tmp_path / "l.sqlite")
    return {
        "dry": dry,
        "sent": sent,
        "polled": polled,
        "sends": history.sends,
        "statuses": history.statuses,
        "quota": history.quota,
    }


def save(frame: pd.DataFrame, path: pathlib.Path) -> pathlib.Path:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".pq"])
def test_results_and_history_come_back_equal(client, tmp_path, suffix):
    frame = recipients(tmp_path)
    assert isinstance(frame.index, pd.RangeIndex)
    frames = campaign(client, frame, tmp_path)
    sent, polled = frames["sent"], frames["polled"]
    assert set(sent.send_state) >= {"accepted", "invalid", "duplicate"}
    assert polled.final.any()
    assert sent.mms.info is not None and sent.mms.info.files and sent.mms.info.resets_on is not None
    json.dumps(sent.attrs)  # JSON-safe: the SendInfo's date is text in attrs
    assert sent.first_name.dtype == frame.first_name.dtype and sent.first_name.isna().sum() == 1
    assert sent.carrier_hint.isna().sum() == 2 and "" not in set(sent.carrier_hint.dropna())  # '12' and 451…

    for name, saved in frames.items():
        back = mmsnb.read_results(save(saved, tmp_path / f"{name}{suffix}"))
        expected = saved.reset_index(drop=True) if suffix == ".csv" else saved  # a CSV keeps no index (the lines)
        assert_frame_equal(back, expected, check_exact=True, obj=f"{name}{suffix}")
        if suffix == ".csv":
            assert back.mms.info is None  # a CSV does not carry the send's record
        else:
            assert back.attrs == saved.attrs
            assert back.mms.info == saved.mms.info  # pandas keeps attrs in Parquet's metadata
    for name, documented in (("sends", SENDS_DTYPES), ("statuses", STATUSES_DTYPES), ("quota", QUOTA_DTYPES)):
        assert frames[name].dtypes.to_dict() == {c: pd.Series(dtype=d).dtype for c, d in documented.items()}


def test_the_index_parquet_keeps_it_a_csv_gives_a_range_index(client, tmp_path):
    frame = recipients(tmp_path)
    frame.index = pd.Index([f"r{i}" for i in range(len(frame))], name="row")
    results = mmsnb.send(client, frame, subject="Hej", ledger=tmp_path / "l.sqlite", progress=False)
    assert results.index.equals(frame.index)

    assert_frame_equal(mmsnb.read_results(save(results, tmp_path / "r.parquet")), results)
    from_csv = mmsnb.read_results(save(results, tmp_path / "r.csv"))
    assert isinstance(from_csv.index, pd.RangeIndex)
    assert_frame_equal(from_csv, results.reset_index(drop=True))


def test_parquet_is_known_by_its_content_and_a_semicolon_csv_is_read(client, tmp_path):
    results = mmsnb.send(client, recipients(tmp_path), subject="Hej", ledger=tmp_path / "l.sqlite", progress=False)
    results.to_parquet(tmp_path / "results.dat")
    assert_frame_equal(mmsnb.read_results(tmp_path / "results.dat"), results)
    results.to_csv(tmp_path / "excel.csv", index=False, sep=";")
    assert_frame_equal(mmsnb.read_results(tmp_path / "excel.csv"), results.reset_index(drop=True))  # no lines
    assert mmsnb.read_results(tmp_path / "results.dat").mms.info == results.mms.info


def test_a_frame_not_from_mmsnb_names_the_missing_column(tmp_path):
    pd.DataFrame({"msisdn": ["501000001"], "state": ["accepted"]}).to_csv(tmp_path / "other.csv", index=False)
    pd.DataFrame({"msisdn": ["501000001"]}).to_parquet(tmp_path / "other.parquet")
    for name in ("other.csv", "other.parquet"):
        with pytest.raises(InputError, match=r"no column 'send_state'.*Its columns: msisdn"):
            mmsnb.read_results(tmp_path / name)


def test_other_files_are_clear_input_errors(tmp_path):
    (tmp_path / "book.xlsx").write_bytes(b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(64))
    with pytest.raises(InputError, match=r"neither a CSV nor a Parquet file"):
        mmsnb.read_results(tmp_path / "book.xlsx")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match=r"broken.parquet is not a readable Parquet file"):
        mmsnb.read_results(tmp_path / "broken.parquet")
    with pytest.raises(InputError, match=r"does not exist"):
        mmsnb.read_results(tmp_path / "missing.csv")
    (tmp_path / "odd.csv").write_text("msisdn,send_state\n501000001,teleported\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"'send_state' holds 'teleported', which is not one of its values \(accepted"):
        mmsnb.read_results(tmp_path / "odd.csv")


def test_without_pyarrow_a_parquet_file_names_the_install_command(tmp_path, monkeypatch):
    pd.DataFrame({"send_state": ["accepted"]}).to_parquet(tmp_path / "r.parquet")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now fails, as where it is not installed
    monkeypatch.setitem(sys.modules, "fastparquet", None)
    with pytest.raises(InputError, match=r"needs pyarrow: pip install 'mmsnb\[parquet\]'"):
        mmsnb.read_results(tmp_path / "r.parquet")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_an_empty_history_comes_back_equal(tmp_path, suffix):
    history = mmsnb.history(ledger=tmp_path / "none.sqlite")
    for name in ("sends", "statuses", "quota"):
        saved = getattr(history, name)
        assert saved.empty
        assert_frame_equal(mmsnb.read_results(save(saved, tmp_path / f"{name}{suffix}")), saved, obj=name)
