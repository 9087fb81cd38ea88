"""The sandbox's behaviour model: larger messages fail more often (and mmsnb.compare finds it), people open more
slowly at night in Polish time, and a hook scripts any address's outcome. Everything goes over real HTTPS."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from PIL import Image

import mmsnb
from mmsnb.errors import ConfigError
from mmsnb.sandbox import Behaviour

WARSAW = ZoneInfo("Europe/Warsaw")


def jpeg(side: int, seed: int = 0) -> bytes:
    """A JPEG of noise (which hardly compresses): about ``side``² bytes."""
    noise = random.Random(seed).randbytes(side * side * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), noise).save(out, format="JPEG", quality=90)
    return out.getvalue()


def send_variant(client, tmp_path, name: str, image: bytes, numbers: list[str]) -> pd.DataFrame:
    path = tmp_path / f"{name}.jpg"
    path.write_bytes(image)
    frame = pd.DataFrame({"msisdn": numbers})
    results = mmsnb.send(
        client, frame, subject="Wiosna", attachments=str(path), campaign=name, ledger=tmp_path / "l.sqlite",
        progress=False,
    )  # fmt: skip
    return mmsnb.poll(client, results, progress=False).assign(variant=name)


def test_larger_messages_fail_more_often_and_compare_finds_it(make_sandbox, tmp_path):
    sandbox = make_sandbox(quota=1000, behaviour=Behaviour(rejected_per_100kb=0.5))
    client = sandbox.client(timeout=(2, 2))
    big, small = jpeg(480), jpeg(40)
    assert 150_000 < len(big) < 300 * 1024 and len(small) < 12_000
    numbers = [f"501{i:06d}" for i in range(400)]
    results = pd.concat(
        [
            send_variant(client, tmp_path, "big", big, numbers[:200]),
            send_variant(client, tmp_path, "small", small, numbers[200:]),
        ],
        ignore_index=True,
    )
    sizes = {len(r.attachments[0].data) for r in sandbox.received}
    assert sizes == {len(big), len(small)}  # the gateway received each variant's own image
    rejected = results.assign(rejected=results["status"].eq("Rejected")).groupby("variant")["rejected"].mean()
    # Rejected's weight: 0.04 + 0.5 × size / 100 kB, of a total 1 + 0.5 × size / 100 kB
    expected_big = (0.04 + 5 * len(big) / 1e6) / (1 + 5 * len(big) / 1e6)
    assert rejected["big"] == pytest.approx(expected_big, abs=0.1)
    assert rejected["small"] < 0.12
    table = mmsnb.compare(results, by="variant", reference="big")
    assert table.loc["small", "p_adjusted"] < 0.001
    assert table.loc["small", "sentence"].startswith("small delivered ")
    assert " points more than big " in table.loc["small", "sentence"]
    client.close()


def test_people_open_more_slowly_at_night_in_polish_time(make_sandbox, tmp_path):
    numbers = [f"501{i:06d}" for i in range(30)]
    delays = {}
    for label, local in (("noon", datetime(2026, 3, 2, 12, 0)), ("night", datetime(2026, 3, 2, 23, 30))):
        at = local.replace(tzinfo=WARSAW)
        sandbox = make_sandbox(seed=3, behaviour=Behaviour(night_slowdown=10.0, clock=lambda at=at: at))  # type: ignore[misc]
        client = sandbox.client(timeout=(2, 2))
        mmsnb.send(client, pd.DataFrame({"msisdn": numbers}), subject="Hej", ledger=tmp_path / f"{label}.sqlite",
                   group=False, progress=False)  # fmt: skip
        client.close()
        plans = [p for m in sandbox.gateway._messages.values() for p in m.addresses]
        delays[label] = {p.address: (p.outcome, p.delay) for p in plans}
    assert delays["noon"].keys() == delays["night"].keys()
    for address, (outcome, delay) in delays["noon"].items():
        night_outcome, night_delay = delays["night"][address]
        assert night_outcome == outcome  # the same seed: the same outcome
        factor = 10.0 if outcome == "Retrieved" else 1.0
        assert night_delay == pytest.approx(delay * factor), address


@pytest.mark.parametrize(
    ("utc", "night"),
    [
        ("2026-01-15 21:30", True),  # 22:30 in Warsaw (UTC+1)
        ("2026-07-01 20:30", True),  # 22:30 in Warsaw (UTC+2, summer time)
        ("2026-01-15 05:30", True),  # 06:30
        ("2026-07-01 05:30", False),  # 07:30
        ("2026-07-01 10:00", False),
    ],
)
def test_night_is_reckoned_in_polish_time(utc, night):
    at = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    assert Behaviour().at_night(at) is night


def test_a_hook_scripts_an_address_outcome_as_the_gateway_reports_it(make_sandbox, tmp_path):
    seen = []

    def hook(sent):
        seen.append(sent)
        return "Expired" if sent.address.endswith("7") else None

    sandbox = make_sandbox(outcomes={"Retrieved": 1.0}, behaviour=Behaviour(hook=hook))  # else all are retrieved
    client = sandbox.client(timeout=(2, 2))
    numbers = [f"501{i:06d}" for i in range(20)]
    results = mmsnb.send(client, pd.DataFrame({"msisdn": numbers}), subject="Hej", ledger=tmp_path / "l.sqlite",
                         progress=False)  # fmt: skip
    results = mmsnb.poll(client, results, progress=False)
    client.close()
    expired = set(results.loc[results["status"] == "Expired", "address"])
    assert expired == {f"tel:+48{n}" for n in numbers if n.endswith("7")}
    assert sorted(s.address for s in seen) == sorted(f"tel:+48{n}" for n in numbers)
    assert all(s.size == 0 and s.at.tzinfo is not None for s in seen)


def test_a_behaviour_refuses_settings_that_mean_nothing():
    with pytest.raises(ConfigError, match=r"Behaviour\(rejected_per_100kb=\.\.\.\) must be a number, 0 or more"):
        Behaviour(rejected_per_100kb=-1)
    with pytest.raises(ConfigError, match=r"Behaviour\(tz='Mars'\) is not a time zone name"):
        Behaviour(tz="Mars")
    with pytest.raises(ConfigError, match=r"behaviour= must be a mmsnb\.sandbox\.Behaviour, not dict"):
        mmsnb.Sandbox(behaviour={"night_slowdown": 2})
