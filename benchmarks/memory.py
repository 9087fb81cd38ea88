"""Memory of mmsnb.send with one shared attachment as the rows grow: tracemalloc peak against the result frame.

    python benchmarks/memory.py                 # dry run and grouped send at 1 000, 10 000, 100 000 rows (about 4 min)
    python benchmarks/memory.py --quick         # 1 000 and 5 000 rows (about 20 seconds)
    python benchmarks/memory.py --rows 1000,20000 --modes send

Each run calls ``mmsnb.send`` in a fresh process, against a fresh sandbox in another, with
tracemalloc on, and reports the tracemalloc peak during the call next to the result frame's size
(``memory_usage(deep=True)``). What the peak holds beyond the frame is mmsnb's own bookkeeping;
the growth of that per row, between the smallest and the largest run, is printed against the
frame's own growth per row and against the size of the attachment (what a copy per row would cost).
"""

from __future__ import annotations

import gc
import sys
import tempfile
import time
import tracemalloc
from typing import Any

import common
from common import IMAGE, Job, log

MODES = {"dry": True, "send": False}


def job_memory(job: Job) -> dict[str, Any]:
    df = common.make_frame(job["rows"], seed=11)
    with tempfile.TemporaryDirectory(prefix="mmsnb-bench-") as tmp:
        client = common.mmsnb_client(job["env"])
        client.limit()  # token and connection outside the measurement
        gc.collect()
        tracemalloc.start()
        started = time.perf_counter()
        results = common.send_campaign(client, df, tmp, dry_run=job["dry_run"])
        wall = time.perf_counter() - started
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        client.close()
    return {
        "rows": len(df),
        "dry_run": job["dry_run"],
        "wall": wall,
        "peak": peak,
        "retained": current,
        "frame_in": int(df.memory_usage(deep=True).sum()),
        "frame_out": int(results.memory_usage(deep=True).sum()),
        "requests": results.mms.info.requests,
        "states": {k: int(v) for k, v in results["send_state"].value_counts().items() if v},
    }


def print_report(report: dict[str, Any]) -> None:
    runs = report["memory"]
    common.table(
        [
            "mode",
            "rows",
            "tracemalloc peak MB",
            "result frame MB",
            "peak − frame MB",
            "peak − frame B/row",
            "requests",
            "s",
        ],
        [
            [
                ("dry_run=True" if r["dry_run"] else "grouped send"),
                f"{r['rows']:,}",
                f"{r['peak'] / 2**20:.1f}",
                f"{r['frame_out'] / 2**20:.1f}",
                f"{(r['peak'] - r['frame_out']) / 2**20:.1f}",
                f"{(r['peak'] - r['frame_out']) / r['rows']:,.0f}",
                f"{r['requests']:,}",
                f"{r['wall']:.1f}",
            ]
            for r in runs
        ],
    )
    attachment = report["attachment_bytes"]
    for dry in (True, False):
        same = sorted((r for r in runs if r["dry_run"] is dry), key=lambda r: r["rows"])
        if len(same) < 2:
            continue
        small, large = same[0], same[-1]
        span = large["rows"] - small["rows"]
        growth = ((large["peak"] - large["frame_out"]) - (small["peak"] - small["frame_out"])) / span
        frame = (large["frame_out"] - small["frame_out"]) / span
        mode = "dry_run=True" if dry else "grouped send"
        log(
            f"\n{mode}, {small['rows']:,} to {large['rows']:,} rows: the peak beyond the frame grows {growth:,.0f} "
            "B/row,"
            f" {common.ratio(growth, frame):.2f}× the frame's own growth ({frame:,.0f} B/row) and "
            f"{common.ratio(growth, attachment):.4f}× the attachment ({attachment:,} B,"
            " what a copy per row would add)"
        )


def main(argv: list[str] | None = None) -> int:
    p = common.parser(__doc__)
    p.add_argument("--rows", help="comma-separated row counts (default 1000,10000,100000; 1000,5000 with --quick)")
    p.add_argument(
        "--modes",
        default="dry,send",
        help="comma-separated: dry (dry_run=True), send (grouped send to the sandbox); default both",
    )
    args = p.parse_args(argv)
    if args.report:
        return common.replay(args.report, print_report)
    rows = [int(x) for x in (args.rows or ("1000,5000" if args.quick else "1000,10000,100000")).split(",")]
    modes = [m.strip() for m in args.modes.split(",")]
    report = common.start("memory with one shared attachment: tracemalloc peak during mmsnb.send", args)
    report.update(memory=[], attachment_bytes=IMAGE.stat().st_size)
    for mode in modes:
        for n in rows:

            def one(n: int = n, dry: bool = MODES[mode]) -> dict[str, Any]:
                r, _ = common.with_sandbox(
                    job_memory, {"rows": n, "dry_run": dry}, time_scale=6000, quota=100_000, seed=0
                )
                log(
                    f"  {'dry_run' if dry else 'grouped send':<12} {n:>7,} rows: peak {r['peak'] / 2**20:7.1f} MB,"
                    f" result frame {r['frame_out'] / 2**20:6.1f} MB, {r['requests']} requests, {r['wall']:.1f} s"
                )
                return r

            r = common.attempt(report, f"{mode} {n} rows", one)
            if r:
                report["memory"].append(r)
    return common.finish(report, print_report)


if __name__ == "__main__":
    sys.exit(main())
