"""Files in and out: recipients as people export them, and results saved with ``to_csv``.

>>> frame = read_recipients("data/campaign.csv")          # doctest: +SKIP
>>> results = read_results("out/weekend-promo.csv")      # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pandas as pd

from .errors import InputError
from .paths import SOURCE_DIR, read_file
from .results import CATEGORY_DTYPE, SEND_STATE_DTYPE

ENCODINGS = ("utf-8-sig", "cp1250")


def read_recipients(
    source: str | os.PathLike[str] | bytes, *, to: str | None = None, name: str | None = None
) -> pd.DataFrame:
    """A CSV of recipients as a DataFrame of text (so ``0048…`` and ``501102030`` stay as written).

    The delimiter (comma, semicolon, tab) is detected; UTF-8 and Windows-1250 are read. ``to``
    names a column that must be present. Problems raise :class:`InputError` naming the file.
    Files named in the CSV's cells are later read only from inside the CSV's folder
    (see ``attachments_dir`` of :func:`mmsnb.send`).

    >>> read_recipients(b"msisdn;first_name\\n501102030;Zofia\\n", to="msisdn").iloc[0, 0]
    '501102030'
    """
    if isinstance(source, (bytes, bytearray)):
        raw, label = bytes(source), name or "the uploaded file"
    else:
        label = name or str(source)
        raw = read_file(Path(source), label)
    if b"\x00" in raw:
        raise InputError(f"{label} is not a text file: save it as CSV (UTF-8).")
    for encoding in ENCODINGS:
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError(f"{label} is neither UTF-8 nor Windows-1250 text: save it as CSV (UTF-8).")
    if not text.strip():
        raise InputError(f"{label} is empty: it needs a header row and one row per recipient.")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, sep=delimiter, keep_default_na=False, na_values=[""], skipinitialspace=True
        )
    except (pd.errors.ParserError, csv.Error) as exc:
        raise InputError(
            f"{label} is not a well-formed CSV file ({str(exc).strip()}). Fix that line or re-export the file."
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if to is not None and to not in frame.columns:
        raise InputError(f"{label} has no column {to!r}. Its columns: {', '.join(frame.columns)}.")
    if not isinstance(source, (bytes, bytearray)):
        frame.attrs[SOURCE_DIR] = os.path.realpath(Path(source).parent)
    return frame


def read_results(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Results saved with ``results.to_csv(path, index=False)``, with their dtypes back.

    >>> results = read_results("out/weekend-promo.csv")      # doctest: +SKIP
    >>> results.sent_at.dt.tz                                # doctest: +SKIP
    datetime.timezone.utc
    """
    frame = read_recipients(path, to="send_state")
    for column in ("request_no", "http_status", "error_code"):
        if column in frame:
            frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    for column in ("sent_at", "polled_at", "delivered_at"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    frame["send_state"] = frame["send_state"].astype(SEND_STATE_DTYPE)
    if "status_category" in frame:
        frame["status_category"] = frame["status_category"].astype(CATEGORY_DTYPE)
    if "final" in frame:
        frame["final"] = frame["final"].map({"True": True, "False": False}).astype("boolean")
    return frame
