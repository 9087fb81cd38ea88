"""Files in and out: recipients as people export them, and results saved with ``to_csv`` or ``to_parquet``.

>>> frame = read_recipients("data/campaign.csv")
>>> results.to_csv("out/spring-sale.csv", index=False)
>>> results = read_results("out/spring-sale.csv")
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import InputError
from .ledger import QUOTA_DTYPES, SENDS_DTYPES, STATUSES_DTYPES
from .paths import SOURCE_DIR, read_file
from .result_columns import DTYPES, POLLED_COLUMNS, RESULT_COLUMNS
from .words import N_, Phrase

ENCODINGS = ("utf-8-sig", "cp1250")
#: What an Excel workbook (a zip archive) starts with.
XLSX_MAGIC = b"PK\x03\x04"
#: What names a Parquet file: its suffix, or the magic bytes it starts with.
PARQUET_SUFFIXES = (".parquet", ".pq")
PARQUET_MAGIC = b"PAR1"
#: The frames of :func:`mmsnb.history`, known by their columns.
HISTORY_DTYPES: tuple[dict[str, Any], ...] = (SENDS_DTYPES, STATUSES_DTYPES, QUOTA_DTYPES)


def read_recipients(
    source: str | os.PathLike[str] | bytes,
    *,
    to: str | None = None,
    name: str | None = None,
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """A CSV or Excel (``.xlsx``) file of recipients as a DataFrame of text (so ``0048…`` and ``501102030`` stay
    as written).

    The delimiter (comma, semicolon, tab) is detected; UTF-8 and Windows-1250 are read. A workbook
    (``.xlsx``, or bytes that are one) is read from its first sheet, or ``sheet`` (a name or a 0-based
    position), with openpyxl (``pip install 'mmsnb[analysis]'``): text cells as typed, whole numbers
    without a decimal point (and with the leading zeros a ``000000000`` format shows). ``to``
    names a column that must be present. Problems raise :class:`InputError` naming the file.
    Files named in the CSV's cells are later read only from inside the CSV's folder
    (see ``attachments_dir`` of :func:`mmsnb.send`).

    Each row's index label is its line in the file, the header being line 1 (as a spreadsheet numbers its
    rows), so every sentence about a row ("row 118") names the line the person sees when they open the file.

    >>> read_recipients(b"msisdn;first_name\\n501102030;Zofia\\n", to="msisdn").iloc[0, 0]
    '501102030'
    """
    if isinstance(source, (bytes, bytearray)):
        raw, label = bytes(source), name or UPLOADED
    else:
        label = name or str(source)
        raw = read_file(Path(source), label)
    if raw.startswith(XLSX_MAGIC) or (not isinstance(source, (bytes, bytearray)) and _is_xlsx(source)):
        frame = _read_xlsx(raw, label, sheet)
    else:
        text = _decode(raw, label)
        try:
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
        frame = _parse(text, label, delimiter, lines=True)
    if to is not None and to not in frame.columns:
        raise InputError(
            N_("{label} has no column {column}. Its columns: {columns}."),
            values={"label": _named(label), "column": repr(to), "columns": ", ".join(map(str, frame.columns))},
        )
    if not isinstance(source, (bytes, bytearray)):
        frame.attrs[SOURCE_DIR] = os.path.realpath(Path(source).parent)
    return frame


def _is_xlsx(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in (".xlsx", ".xlsm")


def _read_xlsx(raw: bytes, label: str, sheet: str | int | None) -> pd.DataFrame:
    """A workbook's sheet as a frame of text, its first row the column names; :class:`InputError` when unreadable."""
    try:
        import openpyxl
    except ImportError:
        raise InputError(
            f"{label} is an Excel workbook, and reading one needs openpyxl: pip install 'mmsnb[analysis]' "
            "(or save it as CSV)."
        ) from None
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # zipfile's BadZipFile, openpyxl's InvalidFileException, KeyError of a broken file
        raise InputError(
            N_("{label} is not a readable Excel workbook ({why}); save it again, or as CSV."),
            values={"label": _named(label), "why": str(exc)},
        ) from None
    names = book.sheetnames
    if sheet is None:
        sheet = 0
    if isinstance(sheet, int) and not isinstance(sheet, bool) and 0 <= sheet < len(names):
        chosen = book[names[sheet]]
    elif isinstance(sheet, str) and sheet in names:
        chosen = book[sheet]
    else:
        raise InputError(
            N_("{label} has no sheet {sheet}; its sheets: {sheets}."),
            values={"label": _named(label), "sheet": repr(sheet), "sheets": ", ".join(names)},
        )
    numbered = [(line, [_cell_text(cell) for cell in row]) for line, row in enumerate(chosen.iter_rows(min_row=1), 1)]
    book.close()
    numbered = [(line, row) for line, row in numbered if any(v is not None for v in row)]
    if not numbered:
        raise _empty(label)
    header = [str(c).strip() if c is not None else f"column {k + 1}" for k, c in enumerate(numbered[0][1])]
    width = len(header)
    body = [(row + [None] * width)[:width] for _line, row in numbered[1:]]
    lines = pd.Index([line for line, _row in numbered[1:]], dtype="int64")
    return pd.DataFrame(body, columns=header, index=lines, dtype="object").astype("str")


def _cell_text(cell: Any) -> str | None:
    """A cell as the text the sheet shows: text as typed, a whole number without ``.0`` and with the zeros
    a ``0000…`` format adds, a date as ISO text."""
    value = cell.value
    if value is None or isinstance(value, str):
        return None if value is None or value == "" else value
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        shape = str(getattr(cell, "number_format", "") or "")
        return str(value).zfill(len(shape)) if shape and set(shape) == {"0"} else str(value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _decode(raw: bytes, label: str) -> str:
    """The text of a CSV file (UTF-8 or Windows-1250); :class:`InputError` when it is not text or is empty."""
    if b"\x00" in raw:
        raise InputError(N_("{label} is not a text file: save it as CSV (UTF-8)."), values={"label": _named(label)})
    for encoding in ENCODINGS:
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError(
            N_("{label} is neither UTF-8 nor Windows-1250 text: save it as CSV (UTF-8)."),
            values={"label": _named(label)},
        )
    if not text.strip():
        raise _empty(label)
    return text


#: How a sentence names a file that came as bytes without a name (the Composer's upload).
UPLOADED = N_("the uploaded file")


def _named(label: str) -> str | Phrase:
    """A file's ``label`` as a value of a sentence: the upload's words in each language, else the name as it is."""
    return Phrase(UPLOADED) if label == UPLOADED else label


def _empty(label: str) -> InputError:
    return InputError(
        N_("{label} is empty: it needs a header row and one row per recipient."), values={"label": _named(label)}
    )


def _parse(text: str, label: str, delimiter: str, *, strip: bool = True, lines: bool = False) -> pd.DataFrame:
    """A CSV as a frame of text (``str``; empty cells are missing), its column names stripped.

    ``strip`` drops the spaces people type after a delimiter; with ``lines`` each row's index label is its line
    in the file.
    """
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            sep=delimiter,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=strip,
            skip_blank_lines=not lines,
        )
    except (pd.errors.ParserError, csv.Error) as exc:
        raise InputError(
            N_("{label} is not a well-formed CSV file ({why}). Fix that line or re-export the file."),
            values={"label": _named(label), "why": str(exc).strip()},
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if not lines:
        return frame
    frame.index = pd.RangeIndex(2, 2 + len(frame))  # the line each row is on, the header being line 1
    return frame.dropna(how="all")  # blank lines (their numbers left out, so the rows below keep theirs)


def read_results(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Results saved with ``results.to_csv(path, index=False)`` or ``results.to_parquet(path)``, with their dtypes.

    A file whose name ends in ``.parquet`` or ``.pq``, or that starts as Parquet does (``PAR1``),
    is read as Parquet (that needs pyarrow: ``pip install 'mmsnb[parquet]'``); any other as CSV
    (comma, semicolon or tab; UTF-8 or Windows-1250). The frames of :func:`mmsnb.history`
    (``.sends``, ``.statuses``, ``.quota``) saved the same way are read back too.

    What comes back equals what was saved, column for column and dtype for dtype, with two
    things that a CSV cannot carry:

    - the index: ``to_csv(index=False)`` leaves it out, so a CSV comes back with a
      :class:`~pandas.RangeIndex` (Parquet keeps the index);
    - the send's record, ``results.mms.info``: Parquet keeps it (pandas stores ``attrs`` in
      the file) and it comes back equal; from a CSV it is None.

    Your own columns come back from a CSV as text (``str``), as :func:`read_recipients` reads
    them, so a frame read with it makes the round trip unchanged; the columns mmsnb added get
    their documented dtypes back. A file without a ``send_state`` column that is not a history
    frame, or one that is neither CSV nor Parquet, raises :class:`InputError`.

    >>> results.to_csv("out/spring-sale.csv", index=False)
    >>> back = read_results("out/spring-sale.csv")
    >>> back.send_state.value_counts().head(2)
    send_state
    accepted    57
    invalid      3
    Name: count, dtype: int64
    >>> back.sent_at.dt.tz
    datetime.timezone.utc
    >>> results.to_parquet("out/spring-sale.parquet")
    >>> read_results("out/spring-sale.parquet").mms.info
    SendInfo(campaign='spring-sale', ...)
    """
    label = str(path)
    raw = read_file(Path(path), label)
    if Path(path).suffix.lower() in PARQUET_SUFFIXES or raw.startswith(PARQUET_MAGIC):
        frame = _read_parquet(raw, label)
    else:
        frame = _read_csv(raw, label)
    for column, dtype in _dtypes(frame, label).items():
        frame[column] = _as(frame[column], dtype, label)
    return frame


def _read_parquet(raw: bytes, label: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(io.BytesIO(raw))
    except ImportError:
        raise InputError(
            f"{label} is a Parquet file, and reading Parquet needs pyarrow: pip install 'mmsnb[parquet]'."
        ) from None
    except Exception as exc:  # pyarrow's ArrowInvalid and OSError, and whatever a broken file brings
        raise InputError(
            f"{label} is not a readable Parquet file ({str(exc).strip() or type(exc).__name__}). "
            "Save results with results.to_parquet(path) or results.to_csv(path, index=False)."
        ) from None


def _read_csv(raw: bytes, label: str) -> pd.DataFrame:
    if b"\x00" in raw:
        raise InputError(
            f"{label} is neither a CSV nor a Parquet file: save results with results.to_csv(path, index=False) "
            "or results.to_parquet(path)."
        )
    text = _decode(raw, label)
    header = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header.count)  # what to_csv wrote between the column names
    return _parse(text, label, delimiter, strip=False)


def _dtypes(frame: pd.DataFrame, label: str) -> dict[str, Any]:
    """The dtype of each column that mmsnb made: results' when ``send_state`` is there, else a history frame's."""
    if "send_state" in frame.columns:
        return {c: DTYPES.get(c, "string") for c in (*RESULT_COLUMNS, *POLLED_COLUMNS) if c in frame.columns}
    for dtypes in HISTORY_DTYPES:
        if set(frame.columns) == set(dtypes):
            return dtypes
    raise InputError(
        f"{label} has no column 'send_state', so it is not results saved from mmsnb.send (nor a frame of "
        f"mmsnb.history). Its columns: {', '.join(map(str, frame.columns))}."
    )


def _as(series: pd.Series, dtype: Any, label: str) -> pd.Series:
    """``series`` (text from a CSV, or typed from Parquet) as ``dtype``; :class:`InputError` when it cannot be."""
    text = pd.api.types.is_string_dtype(series.dtype) or series.dtype == object
    try:
        if str(dtype).startswith("datetime64"):
            if text:
                times = pd.to_datetime(series, utc=True, format="ISO8601")
            elif series.dt.tz is None:
                times = series.dt.tz_localize("UTC")
            else:
                times = series.dt.tz_convert("UTC")
            return times.astype(dtype)
        if dtype in ("Int64", "int64") and text:
            return pd.to_numeric(series).astype(dtype)
        if dtype in ("boolean", "bool") and text:
            typed = series.map({"True": True, "False": False})
            bad = series.notna() & typed.isna()
            if bad.any() or (dtype == "bool" and series.isna().any()):
                raise ValueError(f"{series[bad].iloc[0] if bad.any() else 'an empty cell'!r} is not True or False")
            return typed.astype(dtype)
        if isinstance(dtype, pd.CategoricalDtype):
            bad = series.notna() & ~series.isin(dtype.categories)
            if bad.any():
                raise InputError(
                    f"{label}: the column {series.name!r} holds {series[bad].iloc[0]!r}, which is not one of its "
                    f"values ({', '.join(map(str, dtype.categories))})."
                )
        return series.astype(dtype)
    except InputError:
        raise
    except (ValueError, TypeError) as exc:
        raise InputError(f"{label}: the column {series.name!r} cannot be read as {dtype} ({exc}).") from None
