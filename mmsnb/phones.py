"""Polish mobile numbers: parse any common written form, normalise to ``tel:+48XXXXXXXXX``.

>>> normalize("501-102-030")
'tel:+48501102030'
>>> carrier_hint("tel:+48501102030")
'Orange'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from urllib.parse import unquote

import numpy as np
import pandas as pd
import phonenumbers
from phonenumbers import PhoneNumberType, carrier
from phonenumbers.carrierdata import CARRIER_DATA

from .errors import InputError

ORANGE = "Orange"
_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
_FLOAT_FORM = re.compile(r"^\+?\d+\.0$")
#: One dot with digits on both sides (``50100001.5``) is a fraction, not a separator as in ``501.102.030``.
_DECIMAL_FORM = re.compile(r"^\+?\d+\.\d+$")
#: The largest integer a float64 holds exactly; a larger float may already be another number.
EXACT_FLOAT = 2**53
#: How a written number begins and ends: a '+' (or a parenthesis) before its first digit, a parenthesis after its last.
_WRITTEN = re.compile(r"^\(?\+?\(?\d(?:.*\d)?\)?$", re.DOTALL)


def imprecise_dtype(dtype: object) -> str | None:
    """A sentence when a column of this dtype cannot hold phone numbers exactly (float32, float16), else None.

    >>> imprecise_dtype(np.dtype("float32"))[:40]
    'The numbers are stored as float32, which'
    """
    numpy_dtype = getattr(dtype, "numpy_dtype", dtype)
    if isinstance(numpy_dtype, np.dtype) and numpy_dtype.kind == "f" and numpy_dtype.itemsize < 8:
        return (
            f"The numbers are stored as {numpy_dtype}, which rounds 9-digit numbers to other people's numbers "
            "(501102030 becomes 501102016); nothing is sent to them. Read the column as text (dtype=str)."
        )
    return None


@dataclass(frozen=True)
class Number:
    """A checked number: its gateway form and the advisory carrier hint."""

    address: str
    carrier: str

    @property
    def is_orange_range(self) -> bool:
        """True when the number lies in Orange's ranges (advisory: numbers can be ported)."""
        return self.carrier == ORANGE


def _is_missing(value: object) -> bool:
    """None, pandas' NA or NaT, or a float or Decimal NaN: an empty cell."""
    if isinstance(value, Decimal):
        return value.is_nan()
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _as_text(value: object) -> str:
    if _is_missing(value):
        raise InputError("The number is missing: fill in the cell or drop the row.", values={})
    if isinstance(value, np.floating) and not isinstance(value, np.float64):
        raise InputError(imprecise_dtype(value.dtype) or f"{value!r} is not an exact number.")
    if (isinstance(value, float) and math.isinf(value)) or (isinstance(value, Decimal) and value.is_infinite()):
        raise InputError(f"{str(value)!r} is not a number but infinity: write the phone number's digits.")
    if isinstance(value, float):
        if not value.is_integer():
            raise InputError(f"{value!r} is not a phone number: it has a fraction.")
        if abs(value) > EXACT_FLOAT:
            raise InputError(
                f"{value!r} is too large to be held exactly as a float; read the column as text (dtype=str)."
            )
        value = int(value)
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise InputError(f"{value} is not a phone number: it has a fraction.")
        value = int(value)
    text = unquote(str(value)).strip()
    if _FLOAT_FORM.match(text):
        text = text[:-2]
    elif _DECIMAL_FORM.match(text):
        raise InputError(f"{text!r} looks like a decimal number, not a phone number; write the digits without the dot.")
    return text


def parse(value: object) -> Number:
    """Check one number and return its gateway form and carrier hint.

    Accepts ``tel:+48…``, ``+48…``, ``48…``, ``0048…`` and 9-digit national forms,
    with spaces, dashes or dots; numbers read from a spreadsheet as ints or floats too.
    Raises :class:`InputError` naming the number when it is not a Polish mobile number.

    >>> parse("0048 501 102 030").address
    'tel:+48501102030'
    """
    text = _as_text(value)
    shown = text or repr(value)
    if not text:
        raise InputError("The number is empty: fill in the cell or drop the row.", values={})
    core = text[4:] if text.lower().startswith("tel:") else text
    core = re.sub(r"[\s\-.()/]", "", core)
    if core.startswith("00"):
        core = "+" + core[2:]
    elif re.fullmatch(r"48\d{9}", core):
        core = "+" + core
    if not re.fullmatch(r"\+?\d+", core):
        raise InputError(
            "{number} is not a phone number: it may hold only digits, '+', spaces, dashes or dots.",
            values={"number": repr(shown)},
        )
    _check_written(shown, text[4:].strip() if text.lower().startswith("tel:") else text)
    try:
        parsed = phonenumbers.parse(core, "PL")
    except phonenumbers.NumberParseException:
        raise InputError("{number} is not a phone number.", values={"number": repr(shown)}) from None
    if parsed.country_code != 48:
        raise InputError(
            "{number} is not a Polish number (country code +{code}); MMSOnnet reaches Polish Orange numbers only.",
            values={"number": repr(shown), "code": parsed.country_code},
        )
    if not phonenumbers.is_valid_number(parsed):
        raise InputError(
            "{number} is not a valid Polish number: check the digits (a mobile number has 9).",
            values={"number": repr(shown)},
        )
    if phonenumbers.number_type(parsed) not in _MOBILE_TYPES:
        raise InputError(
            "{number} is a fixed-line or service number; only mobile numbers can receive an MMS.",
            values={"number": repr(shown)},
        )
    address = "tel:" + phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return Number(address, carrier.name_for_number(parsed, "en") or "")


#: The usual spellings of a Polish number, which need no more than a pattern to read: 9 digits, alone or in
#: threes with spaces or dashes, after ``+48`` (and a space), ``0048``, ``48`` or ``tel:+48``.
_USUAL = r"(?:tel:\+48|\+48 ?|0048|48)?[0-9]{3}(?:[0-9]{6}| [0-9]{3} [0-9]{3}|-[0-9]{3}-[0-9]{3})"
#: The number types phonenumbers tries before the fixed-line and mobile ones, in its order.
_OTHER_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail")


def parse_usual(values: list[object]) -> list[tuple[str, str] | None]:
    """The address and carrier :func:`parse` gives each value, at once, for Polish mobile numbers in the usual
    spellings; None elsewhere.

    Works on the distinct values and matches them against phonenumbers' own patterns for Poland, in the
    order :func:`phonenumbers.number_type` tries them; a value this does not read with certainty (other
    spellings, other types, other countries, refusals) is None, for :func:`parse` to decide.

    >>> parse_usual(["+48 501 102 030", "22 594 90 00", 501102030])
    [('tel:+48501102030', 'Orange'), None, ('tel:+48501102030', 'Orange')]
    """
    texts = [v if type(v) is str else _usual_text(v) for v in values]
    distinct = pd.Series(pd.Series(texts, dtype=object).dropna().unique(), dtype=object)
    usual = distinct[distinct.str.fullmatch(_USUAL)]
    national = usual.str.replace("[^0-9]", "", regex=True).str[-9:]  # the 9 digits after any prefix
    mobile = national[_mobile(national)]
    read = zip(("tel:+48" + mobile).tolist(), _carriers(mobile).tolist(), strict=True)
    found = dict(zip(distinct[mobile.index].tolist(), read, strict=True))
    return [found.get(t) for t in texts]


def _usual_text(value: object) -> str | None:
    """The text of a str or an integer (not a bool), else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
        return str(int(value))
    return None


def _mobile(national: pd.Series) -> pd.Series:
    """Which 9-digit national numbers phonenumbers types as mobile (or fixed line or mobile) in Poland."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region("PL")
    if meta is None:  # phonenumbers without Poland's metadata: everything goes to parse()
        return pd.Series(False, index=national.index)
    mobile = meta.fixed_line if meta.same_mobile_and_fixed_line_pattern else meta.mobile
    others = "|".join(_pattern(getattr(meta, name)) for name in _OTHER_TYPES)
    # general pattern, none of the others (in the order number_type tries them), then mobile: one pass
    return national.str.fullmatch(f"(?=(?:{_pattern(meta.general_desc)})$)(?!(?:{others})$)(?:{_pattern(mobile)})")


def _pattern(desc: object) -> str:
    """The national pattern of a number type for 9 digits, or one that matches nothing."""
    pattern, lengths = getattr(desc, "national_number_pattern", None), getattr(desc, "possible_length", ())
    return "(?!)" if pattern is None or (lengths and 9 not in lengths) else f"(?:{pattern})"


def _carriers(national: pd.Series) -> pd.Series:
    """The carrier phonenumbers names for each Polish mobile number: its longest range with an English name."""
    ranges = _ranges()
    longest = max(ranges, default=0)
    heads = national.str[:longest]
    named = {head: _carrier(head, ranges) for head in heads.unique()}  # the few distinct heads, each once
    return heads.map(named)


@cache
def _ranges() -> dict[int, dict[str, str]]:
    """Poland's carrier ranges with an English name, by the length of their prefix (without 48)."""
    ranges: dict[int, dict[str, str]] = {}
    for prefix, names in CARRIER_DATA.items():
        if prefix.startswith("48") and names.get("en") is not None:
            ranges.setdefault(len(prefix) - 2, {})[prefix[2:]] = names["en"]
    return ranges


def _carrier(head: str, ranges: dict[int, dict[str, str]]) -> str:
    """The name of the longest range ``head`` begins with; '' when none."""
    for digits in sorted(ranges, reverse=True):
        name = ranges[digits].get(head[:digits])
        if name is not None:
            return name
    return ""


def _check_written(shown: str, written: str) -> None:
    """Refuse a sign or separator where a written number has none: a leading minus, a trailing dash or dot."""
    if written.startswith("-"):
        raise InputError(
            "{number} is not a phone number: it starts with a minus sign, which no phone number has.",
            values={"number": repr(shown)},
        )
    if not _WRITTEN.match(written):
        digits = [i for i, c in enumerate(written) if c.isdigit()]
        after = written[digits[-1] + 1 :]
        where = f"{after!r} after its last digit" if after.strip(")") else f"{written[: digits[0]]!r} before its digits"
        raise InputError(f"{shown!r} is not a phone number: {where} is no part of one.")


def normalize(value: object) -> str:
    """The gateway form ``tel:+48XXXXXXXXX`` of a number, or :class:`InputError`.

    >>> normalize(48501102030)
    'tel:+48501102030'
    """
    return parse(value).address


def carrier_hint(value: object) -> str:
    """The network that the number's range belongs to ('' when unknown); advisory only."""
    return parse(value).carrier
