"""A million rows through the analysis: how long mmsnb.compare, mmsnb.retrieval and mmsnb.campaigns take.

    python benchmarks/analysis.py                 # 1 000 000 rows (about 30 seconds)
    python benchmarks/analysis.py --quick         # 100 000 rows
    python benchmarks/analysis.py --rows 250000 --json out.json

The rows are made up, with every column and dtype of a polled results frame (``mmsnb.result_columns.DTYPES``) and of a
ledger's history (``mmsnb.ledger.SENDS_DTYPES``, ``STATUSES_DTYPES``): four variants, one row in 30 never
sent, outcomes and times drawn with a fixed seed, times to the microsecond (so nearly every time is distinct,
the worst case for the estimators). The campaigns table is computed from a history of the same size, ten
campaigns, two polls per message; reading the ledger itself is measured in ``ledger.py``. Each call is
timed ``--repeat`` times; the table shows the fastest.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

import mmsnb
from mmsnb.ledger import SENDS_DTYPES, STATUSES_DTYPES, History
from mmsnb.result_columns import DTYPES

START = pd.Timestamp("2026-03-02 08:00", tz="UTC")


def results_frame(rows: int, rng: np.random.Generator) -> pd.DataFrame:
    sent = rng.random(rows) >= 1 / 30
    category = np.where(rng.random(rows) < 0.9, "delivered", np.where(rng.random(rows) < 0.5, "failed", "pending"))
    sent_at = START + pd.to_timedelta(rng.uniform(0, 3600, rows), unit="s")
    seen = sent_at + pd.to_timedelta(rng.exponential(1800, rows), unit="s")
    return pd.DataFrame(
        {
            "msisdn": pd.array([f"501{i:06d}" for i in range(rows)], dtype="string"),
            "variant": pd.array(rng.choice(["A", "B", "C", "D"], rows), dtype="string"),
            "send_state": pd.Series(np.where(sent, "accepted", "invalid"), dtype=DTYPES["send_state"]),
            "status_category": pd.Series(np.where(sent, category, None), dtype=DTYPES["status_category"]),
            "sent_at": pd.Series(sent_at.where(sent), dtype=DTYPES["sent_at"]),
            "polled_at": pd.Series(seen.where(sent), dtype=DTYPES["polled_at"]),
            "delivered_at": pd.Series(seen.where(sent & (category == "delivered")), dtype=DTYPES["delivered_at"]),
        }
    )


def history(rows: int, rng: np.random.Generator) -> History:
    campaign = pd.array([f"campaign-{k:02d}" for k in rng.integers(0, 10, rows)], dtype="string")
    address = pd.array([f"tel:+48501{i:06d}" for i in range(rows)], dtype="string")
    message = pd.array([f"m{i // 20}" for i in range(rows)], dtype="string")
    sent_at = pd.Series(START + pd.to_timedelta(rng.uniform(0, 30 * 86400, rows), unit="s"))
    sends = pd.DataFrame(
        {
            "campaign": campaign,
            "request_no": np.arange(rows) // 20,
            "content_key": "k",
            "address": address,
            "delivery_report": True,
            "state": "accepted",
            "message_id": message,
            "http_status": 200,
            "error_code": None,
            "error": None,
            "intent_at": sent_at,
            "sent_at": sent_at,
        }
    ).astype(SENDS_DTYPES)
    final = np.where(rng.random(rows) < 0.9, "Retrieved", "Expired")
    first = sent_at + pd.to_timedelta(rng.exponential(600, rows), unit="s")
    polls = pd.DataFrame(
        {
            "campaign": np.tile(campaign, 2),
            "message_id": np.tile(message, 2),
            "address": np.tile(address, 2),
            "status": np.r_[np.full(rows, "Success"), final],
            "category": np.r_[np.full(rows, "pending"), np.where(final == "Retrieved", "delivered", "failed")],
            "final": np.r_[np.zeros(rows, bool), np.ones(rows, bool)],
            "polled_at": pd.concat([first, first + pd.to_timedelta(rng.exponential(1800, rows), unit="s")]).to_numpy(),
        }
    ).astype(STATUSES_DTYPES)
    quota = pd.DataFrame(columns=["read_at", "used", "available", "resets_on"])
    return History(sends, polls, quota)


def timed(call: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of results and of the history")
    parser.add_argument("--quick", action="store_true", help="100 000 rows, once")
    parser.add_argument("--repeat", type=int, default=3, help="times each call runs (the fastest counts)")
    parser.add_argument("--json", metavar="PATH", help="also save the measurements here")
    args = parser.parse_args()
    rows, repeat = (100_000, 1) if args.quick else (args.rows, args.repeat)
    rng = np.random.default_rng(0)
    results, ledger = results_frame(rows, rng), history(rows, rng)
    calls: dict[str, Callable[[], Any]] = {
        "mmsnb.compare(results, by='variant')": lambda: mmsnb.compare(results, by="variant"),
        "mmsnb.retrieval(results)": lambda: mmsnb.retrieval(results),
        "mmsnb.retrieval(results, by='variant')": lambda: mmsnb.retrieval(results, by="variant"),
        "mmsnb.retrieval(history, by='campaign')": lambda: mmsnb.retrieval(ledger, by="campaign"),
        "mmsnb.campaigns(ledger=history)": lambda: mmsnb.campaigns(ledger=ledger),
    }
    measured = {name: timed(call, repeat) for name, call in calls.items()}
    print(f"{rows:,} rows (fastest of {repeat})")
    for name, seconds in measured.items():
        print(f"  {name:<42} {seconds:6.2f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"rows": rows, "repeat": repeat, "seconds": measured}, out, indent=2)


if __name__ == "__main__":
    main()
