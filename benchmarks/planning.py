"""Planning at scale: ``mmsnb.plan`` against the loop a user writes with ``phonenumbers``, in one run.

    python benchmarks/planning.py --rows 100000
    python benchmarks/planning.py                 # 1 000 000 rows
    python benchmarks/planning.py --rows 100000 --unique  # a subject with a code unique to every row

The frame holds ``--rows`` distinct 50xxxxxxx numbers (``common.numbers``), a first name and a
personalised subject (``"Cześć {first_name}! ..."``; with ``--unique`` also a code unique to every row,
so that every row has its own message). The loop is ``phonenumbers.parse`` +
``is_valid_number`` + ``number_type`` per row. Each is timed once, by the clock (wall) and by the
process's CPU time, which other work on the machine disturbs less; the load average is printed before
and after. Peak memory is the process's peak resident size, before ``mmsnb.plan`` (the frame, the loop)
and after it.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import common
import phonenumbers

import mmsnb

SUBJECT = "Cześć {first_name}! -20% na wszystko w ten weekend."
UNIQUE = SUBJECT + " Twój kod: {code}"


def the_loop(numbers: list[str]) -> int:
    """What a user writes by hand: parse, check, keep the mobile ones."""
    kept = 0
    mobile = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
    for text in numbers:
        number = phonenumbers.parse(text, "PL")
        if phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in mobile:
            kept += 1
    return kept


def timed(run: Callable[[], object], rows: int) -> tuple[object, float, float]:
    """What ``run()`` returns, and the wall and CPU time it took per row, in µs."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = run()
    return out, (time.perf_counter() - wall) / rows * 1e6, (time.process_time() - cpu) / rows * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--unique", action="store_true", help="a code unique to every row in the subject")
    options = parser.parse_args()
    rows, subject = options.rows, UNIQUE if options.unique else SUBJECT
    load = os.getloadavg()[0]
    frame = common.make_frame(rows)
    if options.unique:
        frame["code"] = [f"K{i:07d}" for i in range(rows)]
    numbers = list(frame.msisdn)
    kept, loop, loop_cpu = timed(lambda: the_loop(numbers), rows)
    with (
        tempfile.TemporaryDirectory(prefix="mmsnb-bench-") as tmp,
        mmsnb.Sandbox(seed=0, quota=10) as sandbox,
        sandbox.client() as client,
    ):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ledger = Path(tmp) / "ledger.sqlite"
        planned, took, took_cpu = timed(lambda: mmsnb.plan(client, frame, subject=subject, ledger=ledger), rows)
    assert isinstance(planned, mmsnb.Plan)
    if planned.recipients != kept:
        sys.exit(f"mmsnb.plan planned {planned.recipients} recipients, the loop kept {kept}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows: {rows:,} distinct numbers, subject {subject!r}; python {sys.version.split()[0]}")
    print(f"load average (1 min): {load:.1f} before, {os.getloadavg()[0]:.1f} after; {os.cpu_count()} cores")
    print(f"phonenumbers loop (parse + is_valid_number + number_type): {loop:.1f} µs/row ({loop_cpu:.1f} CPU)")
    print(f"mmsnb.plan:                                               {took:.1f} µs/row ({took_cpu:.1f} CPU)")
    print(f"ratio: mmsnb.plan is {loop / took:.2f}x the loop's speed ({loop_cpu / took_cpu:.2f}x by CPU time)")
    print(f"peak memory: process peak RSS {rss:.0f} MiB ({before:.0f} MiB before mmsnb.plan)")


if __name__ == "__main__":
    main()
