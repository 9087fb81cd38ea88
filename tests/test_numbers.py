"""Polish mobile numbers: accepted forms, refusals that name the input, carrier hints."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import phonenumbers
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from phonenumbers import carrier

from mmsnb.errors import InputError
from mmsnb.phones import carrier_hint, normalize, parse

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
