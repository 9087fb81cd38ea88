"""Planning many rows: the fast paths (the usual spellings of numbers read at once, one message per distinct
content) plan exactly what the row-by-row path plans, on the sample campaign and on a random sample of
20 000 rows in many spellings, types and values.

The row-by-row path is the same code with both fast paths turned off: every number through
:func:`mmsnb.phones.parse` (phonenumbers), every row its own message.
"""

from __future__ import annotations

import gc
import random
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import mmsnb
from mmsnb import rows
from mmsnb.message import Message

DATA = Path(__file__).resolve().parent.parent / "data"
NAMES = (
    "Anna",
    "Łucja",
    "Zoë",
    "Żaneta",
    "Ǆenan",
    "José",
    "{first_name}",
    "{{}}",
    "50%",
    "🙂 Ola",
    "İğ",
    "ß",
    "A" * 400,
)
BAD_NAMES = ("  ", "", "B" * 31_000, "Ewa\x00", "Jan\n", "Ola\t", "\ud800", None, float("nan"))
SPELLINGS = ("{n}", "{a} {b} {c}", "{a}-{b}-{c}", "+48 {a} {b} {c}", "+48{n}", "0048{n}", "48{n}", "tel:+48{n}")
ODD_SPELLINGS = (
    "{a}.{b}.{c}", "{a} {b}-{c}", " {n} ", "(+48) {n}", "-{n}", "{n}.0", "+49{n}", "{n}0", "{n}\n", "٥٠١١٠٢٠٣٠",
    "", "abc",
)  # fmt: skip
MOBILE = ("45", "50", "51", "53", "57", "60", "66", "69", "72", "73", "78", "79", "88", "21")
OTHER = ("22", "80", "70", "39", "64")


def _number(rng: random.Random) -> object:
    """A national number, mostly in a mobile range and in a usual spelling; now and then another range,
    spelling or type."""
    odd = rng.random() < 0.03
    n = rng.choice(OTHER if odd else MOBILE) + str(rng.randrange(10**6, 10**7))
    if rng.random() < 0.03:
        return rng.choice([int(n), float(n), np.int64(n), None, float("nan"), True, -int(n), int("48" + n)])
    return rng.choice(ODD_SPELLINGS if rng.random() < 0.03 else SPELLINGS).format(n=n, a=n[:3], b=n[3:6], c=n[6:])


def sample(count: int, seed: int) -> pd.DataFrame:
    """``count`` rows: numbers in many spellings (a tenth repeated), names with braces, non-ASCII, control
    characters, long and missing values, numbers that format apart (-0.0, 0.0), a category, a mixed column."""
    rng = random.Random(seed)
    numbers = [_number(rng) for _ in range(count)]
    for i in rng.sample(range(count), count // 10):
        numbers[i] = numbers[rng.randrange(count)]
    names = [rng.choice(BAD_NAMES if rng.random() < 0.02 else NAMES) for _ in range(count)]
    return pd.DataFrame(
        {
            "msisdn": pd.Series(numbers, dtype=object),
            "first_name": pd.Series(names, dtype=object),
            "amount": [rng.choice((0.0, -0.0, 1.5, 2.25, 1e300) if rng.random() < 0.99 else (np.nan,)) for _ in names],
            "count": [rng.randrange(3) for _ in names],
            "segment": pd.Categorical([rng.choice(("A", "B") if rng.random() < 0.99 else (None,)) for _ in names]),
            "mixed": pd.Series([rng.choice((1, 1.0, True, "1", -0.0)) for _ in names], dtype=object),
            "city": pd.Series(
                [rng.choice(("Łódź", "Gdańsk") if rng.random() < 0.99 else (None,)) for _ in names], dtype="string"
            ),
            "sender": [
                rng.choice(("Sklep", "+48501102030") if rng.random() < 0.99 else ("Sklep Żabka 24h",)) for _ in names
            ],
            "priority": [rng.choice(("High", "Low") if rng.random() < 0.99 else ("Urgent",)) for _ in names],
        }
    )


CASES: dict[str, dict[str, Any]] = {
    "names, numbers, a category": {"subject": "Cześć {first_name}! {{promo}} {amount:.2f} zł, {count:>3} {segment}"},
    "a mixed column, per row": {"subject": "{mixed} {city} {first_name}", "per_row": True, "group": False},
    "subject, sender and priority columns": {"subject": "first_name", "sender": "sender", "priority": "priority"},
    "a file and a template": {"subject": "Hej {city}", "attachments": str(DATA / "logo.png"), "max_addresses": 7},
}

FIRST = next(iter(CASES))


def _timeless(attrs: dict[str, Any]) -> dict[str, Any]:
    """A frame's attrs without the moments that depend on when the plan was made."""
    info = {k: v for k, v in attrs["mmsnb"].items() if k not in ("started", "starts", "ends")}
    return {**attrs, "mmsnb": info}


def outputs(plan: mmsnb.Plan) -> dict[str, Any]:
    """Everything a plan says: its frame (and the frame's attrs), name, rows and requests with their messages."""
    return {
        "frame": plan.to_frame(),
        "attrs": _timeless(plan.to_frame().attrs),
        "campaign": plan.campaign,
        "repr": repr(plan).split(" It would start ")[0],  # the estimate of when it would end moves with the clock
        "rows": [(r.address, r.carrier, r.error, r.fix, r.said_as, r.content_key, r.duplicate_of) for r in plan.rows],
        "requests": [(q.content_key, q.addresses, q.positions, q.message) for q in plan.requests],
    }


def assert_same(fast: dict[str, Any], slow: dict[str, Any]) -> None:
    pd.testing.assert_frame_equal(fast.pop("frame"), slow.pop("frame"))
    for key in fast:
        assert fast[key] == slow[key], key


def row_by_row(monkeypatch: pytest.MonkeyPatch, *, numbers: bool = True) -> None:
    """Turn the fast paths off: every row its own group (its own message), and with ``numbers`` no number
    read at once (each through phonenumbers)."""
    monkeypatch.setattr(rows, "_groups", lambda columns, n: np.arange(n))
    if numbers:
        monkeypatch.setattr(rows, "parse_usual", lambda values: [None] * len(values))


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    return sample(20_000, seed=25)


@pytest.mark.parametrize("case", list(CASES))
def test_the_fast_paths_plan_what_the_row_by_row_path_plans(client, big, case, tmp_path, monkeypatch):
    options = {"ledger": tmp_path / "l.sqlite", **CASES[case]}
    frame = big if case == FIRST else big.iloc[:5000]  # the numbers are the same in every case: read them once
    fast = outputs(mmsnb.plan(client, frame, **options))
    assert len(fast["requests"]) > 0 and any(r[2] for r in fast["rows"])  # some rows to send, some invalid
    row_by_row(monkeypatch, numbers=case == FIRST)
    assert_same(fast, outputs(mmsnb.plan(client, frame, **options)))


@pytest.mark.parametrize("per_row", [False, True])
def test_the_sample_campaign_plans_the_same_by_either_path(client, tmp_path, monkeypatch, per_row):
    frame = mmsnb.read_recipients(DATA / "campaign.csv", to="msisdn")
    frame = pd.concat([frame, frame.iloc[::7]])  # repeated numbers
    options = {"subject": "Cześć {first_name} z {city}!", "attachments": str(DATA / "promo.jpg"), "per_row": per_row}
    fast = outputs(mmsnb.plan(client, frame, ledger=tmp_path / "l.sqlite", **options))
    row_by_row(monkeypatch)
    assert_same(fast, outputs(mmsnb.plan(client, frame, ledger=tmp_path / "l.sqlite", **options)))


def test_a_message_is_made_once_per_distinct_content_not_once_per_row(client, tmp_path, monkeypatch):
    made: list[Message] = []
    check = Message.check

    def counted(self: Message, *limit: int) -> Message:
        made.append(self)
        return check(self, *limit)

    monkeypatch.setattr(Message, "check", counted)
    frame = pd.DataFrame({"msisdn": [f"501{i:06d}" for i in range(3000)], "name": ["Ola", "Jan", "Ewa"] * 1000})
    plan = mmsnb.plan(client, frame, subject="Cześć {name}!", ledger=tmp_path / "l.sqlite", group=False)
    assert len(plan.requests) == 3000
    assert sorted(m.subject or "" for m in made) == ["Cześć Ewa!", "Cześć Jan!", "Cześć Ola!"]


def test_planning_leaves_the_cycle_collector_as_it_found_it(client, tmp_path):
    frame = pd.DataFrame({"msisdn": ["501102030"], "name": ["Ola"]})
    mmsnb.plan(client, frame, subject="Cześć {name}!", ledger=tmp_path / "l.sqlite")
    assert gc.isenabled()
    with pytest.raises(mmsnb.InputError):
        mmsnb.plan(client, frame, subject="Cześć {nobody}!", ledger=tmp_path / "l.sqlite")
    assert gc.isenabled()
    gc.disable()
    try:
        mmsnb.plan(client, frame, subject="Cześć {name}!", ledger=tmp_path / "l.sqlite")
        assert not gc.isenabled()
    finally:
        gc.enable()
