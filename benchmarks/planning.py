"""Planning at scale: ``mmsnb.plan`` against the loop a user writes with ``phonenumbers``, in one run.

    python benchmarks/planning.py --rows 100000
    python benchmarks/planning.py                 # 1 000 000 rows

The frame holds ``--rows`` distinct 50xxxxxxx numbers (``common.numbers``), a first name and a
personalised subject (``"Cześć {first_name}! ..."``). The loop is ``phonenumbers.parse`` +
``is_valid_number`` + ``number_type`` per row. Each is timed once; peak memory is the process's peak
resident size, before ``mmsnb.plan`` (the frame, the loop) and after it.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import common
import phonenumbers

import mmsnb

SUBJECT = "Cześć {first_name}! -20% na wszystko w ten weekend."


def the_loop(numbers: list[str]) -> int:
    """What a user writes by hand: parse, check, keep the mobile ones."""
    kept = 0
    mobile = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
    for text in numbers:
        number = phonenumbers.parse(text, "PL")
        if phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in mobile:
            kept += 1
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    rows = parser.parse_args().rows
    frame = common.make_frame(rows)
    numbers = list(frame.msisdn)
    started = time.perf_counter()
    kept = the_loop(numbers)
    loop = (time.perf_counter() - started) / rows * 1e6
    with (
        tempfile.TemporaryDirectory(prefix="mmsnb-bench-") as tmp,
        mmsnb.Sandbox(seed=0, quota=10) as sandbox,
        sandbox.client() as client,
    ):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        planned = mmsnb.plan(client, frame, subject=SUBJECT, ledger=Path(tmp) / "ledger.sqlite")
        took = (time.perf_counter() - started) / rows * 1e6
    if planned.recipients != kept:
        sys.exit(f"mmsnb.plan planned {planned.recipients} recipients, the loop kept {kept}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows: {rows:,} distinct numbers, personalised subject; python {sys.version.split()[0]}")
    print(f"phonenumbers loop (parse + is_valid_number + number_type): {loop:.1f} µs/row")
    print(f"mmsnb.plan:                                               {took:.1f} µs/row")
    print(f"ratio: mmsnb.plan is {loop / took:.2f}x the loop's speed")
    print(f"peak memory: process peak RSS {rss:.0f} MiB ({before:.0f} MiB before mmsnb.plan)")


if __name__ == "__main__":
    main()
