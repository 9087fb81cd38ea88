"""Polish mobile numbers: accepted forms, refusals that name the input, carrier hints."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import phonenumbers
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from phonenumbers import carrier

from mmsnb.errors import InputError
from mmsnb.files import read_recipients
from mmsnb.phones import carrier_hint, normalize, parse, parse_usual

ADDRESS = "tel:+48501102030"


@pytest.mark.parametrize(
    "value",
    [
        "tel:+48501102030",
        "TEL:+48501102030",
        "tel:48501102030",
        "+48501102030",
        "48501102030",
        "0048501102030",
        "501102030",
        " 501102030 ",
        "501 102 030",
        "501-102-030",
        "501.102.030",
        "+48 501-102.030",
        "(+48) 501 102 030",
        "00 48 501 102 030",
        "501\u00a0102\u00a0030",
        "tel%3A%2B48501102030",
        "tel%3a%2b48501102030",
        "%2B48501102030",
        "501102030.0",
        501102030,
        48501102030,
        501102030.0,
        48501102030.0,
        np.int64(501102030),
        np.float64(501102030.0),
    ],
    ids=repr,
)
def test_accepted_forms_normalise_to_the_gateway_form(value):
    assert normalize(value) == ADDRESS


@pytest.mark.parametrize(
    ("value", "named", "reason"),
    [
        (None, None, "missing"),
        (float("nan"), None, "missing"),
        (np.nan, None, "missing"),
        (pd.NA, None, "missing"),
        ("", None, "empty"),
        ("   ", None, "empty"),
        ("abc", "abc", "only digits"),
        ("50110203O", "50110203O", "only digits"),
        ("tel:+48abc", "tel:+48abc", "only digits"),
        ("+48 501 102 030 wew. 12", "+48 501 102 030 wew. 12", "only digits"),
        ("+4915112345678", "+4915112345678", "not a Polish number"),
        ("004915112345678", "004915112345678", "not a Polish number"),
        ("tel:+4915112345678", "tel:+4915112345678", "not a Polish number"),
        ("221234567", "221234567", "fixed-line"),
        ("+48 22 123 45 67", "+48 22 123 45 67", "fixed-line"),
        ("800123456", "800123456", "fixed-line"),
        ("50110203", "50110203", "not a valid Polish number"),
        ("5011020301", "5011020301", "not a valid Polish number"),
        ("+48", "+48", "not a phone number"),
        (22123456.0, "22123456", "not a valid Polish number"),
        (501102030.5, "501102030.5", "fraction"),
        (-501102035, "-501102035", "starts with a minus sign"),
        (-501102035.0, "-501102035", "starts with a minus sign"),
        (Decimal("-501102035"), "-501102035", "starts with a minus sign"),
        ("-501102035", "-501102035", "starts with a minus sign"),
        ("tel:-48501102035", "tel:-48501102035", "starts with a minus sign"),
        ("+-501102035", "'+-' before its digits", "no part of one"),
        ("501102035-", "'-' after its last digit", "no part of one"),
        ("501102035.", "'.' after its last digit", "no part of one"),
        (Decimal("NaN"), None, "missing"),
        (Decimal("sNaN"), None, "missing"),
        (Decimal("Infinity"), "'Infinity'", "not a number"),
        (float("-inf"), "'-inf'", "not a number"),
    ],
    ids=repr,
)
def test_refused_forms_say_why_and_name_the_input(value, named, reason):
    with pytest.raises(InputError) as caught:
        normalize(value)
    message = str(caught.value)
    assert reason in message
    if named is not None:
        assert named in message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("number", "network"),
    [
        ("501102030", "Orange"),
        ("510000000", "Orange"),
        ("+48 790 000 000", "Play"),
        ("601000000", "Plus"),
        ("600000000", "T-Mobile"),
    ],
)
def test_carrier_hint_tells_orange_from_the_other_networks(number, network):
    assert carrier_hint(number) == network
    assert parse(number).is_orange_range is (network == "Orange")


# -- property: every written form of an Orange number gives the same address ----------------

ORANGE_NUMBERS = st.integers(500_000_000, 519_999_999).map(str)


def _is_orange(national: str) -> bool:
    number = phonenumbers.parse("+48" + national)
    return phonenumbers.is_valid_number(number) and carrier.name_for_number(number, "en") == "Orange"


@st.composite
def written_forms(draw, national: str):
    """``national`` written the way people and spreadsheets write numbers."""
    whole = draw(
        st.sampled_from(
            [
                national,
                f"tel:+48{national}",
                f"tel:48{national}",
                f"tel%3A%2B48{national}",
                int(national),
                int("48" + national),
                float(national),
                f"{national}.0",
            ]
        )
    )
    prefix = draw(st.sampled_from(["", "+48", "48", "0048", "+48 ", "0048 ", "tel:+48", "(+48) "]))
    separator = draw(st.sampled_from(["", " ", "-", ".", "\u00a0"]))
    groups = draw(st.sampled_from([(3, 3, 3), (2, 3, 2, 2), (3, 2, 2, 2), (9,)]))
    pieces, start = [], 0
    for size in groups:
        pieces.append(national[start : start + size])
        start += size
    padding = draw(st.sampled_from(["", " ", "\t"]))
    grouped = padding + prefix + separator.join(pieces) + padding
    return draw(st.sampled_from([whole, grouped]))


@settings(deadline=None)  # the first call loads phonenumbers' carrier data
@given(data=st.data(), national=ORANGE_NUMBERS)
def test_any_form_of_an_orange_number_normalises_to_the_same_address(data, national):
    assume(_is_orange(national))
    value = data.draw(written_forms(national), label="written")
    assert normalize(value) == f"tel:+48{national}"
    assert carrier_hint(value) == "Orange"


# -- the fast path for the usual spellings says what phonenumbers says -------------------------

USUAL_SPELLINGS = ("{n}", "{a} {b} {c}", "{a}-{b}-{c}", "+48 {a} {b} {c}", "+48{n}", "0048{n}", "48{n}", "tel:+48{n}")
OTHER_SPELLINGS = (
    "{a}.{b}.{c}", "{a} {b}-{c}", " {n} ", "TEL:+48{n}", "tel:48{n}", "00 48 {n}", "(+48) {n}", "-{n}", "{n}-",
    "+-{n}", "{n}.0", "{n}.5", "{n}x", "+49{n}", "0049{n}", "{n}0", "{s}", "4{n}", "%2B48{n}", "+48  {n}",
)  # fmt: skip


def _random_values(count: int, seed: int) -> list[object]:
    """Random national numbers (mobile, fixed-line, service, unused ranges) in many spellings and types."""
    rng = random.Random(seed)
    values: list[object] = []
    for _ in range(count):
        n = str(rng.randrange(10**8, 10**9))
        if rng.random() < 0.6:  # mostly in mobile ranges, or near them
            n = rng.choice(("45", "50", "51", "53", "57", "60", "66", "69", "72", "73", "78", "79", "88", "21")) + n[2:]
        a, b, c = n[:3], n[3:6], n[6:]
        spelling = rng.choice(USUAL_SPELLINGS * 3 + OTHER_SPELLINGS)
        values.append(spelling.format(n=n, a=a, b=b, c=c, s=n[:8]))
        values.append(rng.choice([int(n), int("48" + n), -int(n), float(n), np.int64(n), True, None, "", "abc"]))
    return values


def _same_as_parse(values: list[object]) -> int:
    """Check that every number the fast path reads is what :func:`parse` says; return how many it read."""
    read = 0
    for value, fast in zip(values, parse_usual(values), strict=True):
        try:
            slow = parse(value)
        except InputError:
            assert fast is None, value
            continue
        assert fast is None or fast == (slow.address, slow.carrier), value
        read += fast is not None
    return read


def test_the_fast_path_reads_usual_spellings_exactly_as_phonenumbers_does():
    values = _random_values(3000, seed=25)
    assert _same_as_parse(values) > 1000  # the usual spellings of mobile numbers take the fast path


def test_the_fast_path_on_the_sample_campaign_and_the_documented_forms():
    sample = read_recipients(Path(__file__).resolve().parent.parent / "data" / "campaign.csv", to="msisdn")
    values = sample.msisdn.tolist()
    assert _same_as_parse(values) > 400
    spellings = ["501102030", "501 102 030", "501-102-030", "+48 501 102 030", "0048501102030", "48501102030"]
    assert parse_usual([*spellings, "tel:+48501102030", 501102030]) == [("tel:+48501102030", "Orange")] * 8
    assert (
        parse_usual(["221234567", "800123456", "+4915112345678", "-501102035", "50110203O", 501102030.0]) == [None] * 6
    )
