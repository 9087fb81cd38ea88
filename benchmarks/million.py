"""One million result rows: how long mmsnb.summary and mmsnb.plot.outcomes take on them.

    python benchmarks/million.py                # 1 000 000 rows (about 15 seconds)
    python benchmarks/million.py --quick        # 100 000 rows (about 10 seconds)
    python benchmarks/million.py --rows 250000

The rows are drawn (with replacement) from the results of a real campaign of ``--sample`` rows:
sent grouped to an in-process ``mmsnb.Sandbox`` and polled until final, with one number in 30
not a valid number and one in 100 listed twice. Drawing from real results keeps every column and
dtype exactly as ``mmsnb.send`` and ``mmsnb.poll`` make them; each drawn row then gets its own
number. Each call is timed once, and each plot again with ``savefig`` to a PNG in memory.
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import common
import matplotlib.pyplot as plt
import pandas as pd
from common import log

import mmsnb

PLOTS = (
    ("mmsnb.plot.outcomes", {}),
    ("mmsnb.plot.outcomes(raw=True)", {"raw": True}),
    ("mmsnb.plot.outcomes(by='segment')", {"by": "segment"}),
)


def sample_results(rows: int) -> pd.DataFrame:
    """A real campaign's results: some rows invalid, some duplicates, the rest sent, polled until final."""
    frame = common.make_frame(rows)
    frame.loc[frame.index % 30 == 1, "msisdn"] = "12345"
    frame.loc[frame.index % 100 == 2, "msisdn"] = frame.loc[0, "msisdn"]
    with (
        tempfile.TemporaryDirectory(prefix="mmsnb-bench-") as tmp,
        mmsnb.Sandbox(seed=0, time_scale=6000, quota=100_000) as sandbox,
    ):
        client = sandbox.client()
        results = mmsnb.send(client, frame, subject=common.SUBJECT, progress=False, ledger=Path(tmp) / "ledger.sqlite")
        results = mmsnb.poll(client, results, progress=False)
        client.close()
    return results


def million_rows(sample: pd.DataFrame, rows: int) -> pd.DataFrame:
    frame = sample.sample(rows, replace=True, random_state=0, ignore_index=True)
    frame["msisdn"] = pd.array(common.numbers(rows), dtype="string")
    return frame


def print_report(report: dict[str, Any]) -> None:
    m = report["million"]
    common.table(
        [f"on {m['rows']:,} result rows ({m['frame_mb']:.0f} MB)", "seconds", "with savefig (PNG)"],
        [
            [name, f"{t['call']:.2f}", f"{t['savefig']:.2f}" if "savefig" in t else ""]
            for name, t in m["timings"].items()
        ],
    )
    log(f"\nsend states: {m['send_states']}; delivered rate {m['delivered_rate']:.3f}")


def main(argv: list[str] | None = None) -> int:
    p = common.parser(__doc__)
    p.add_argument("--rows", type=int, help="result rows (default 1000000; 100000 with --quick)")
    p.add_argument("--sample", type=int, default=2000, help="rows of the real campaign they are drawn from")
    args = p.parse_args(argv)
    if args.report:
        return common.replay(args.report, print_report)
    rows = args.rows or (100_000 if args.quick else 1_000_000)
    plt.switch_backend("Agg")
    report = common.start("result rows: mmsnb.summary and mmsnb.plot.outcomes", args)
    sample = sample_results(args.sample)
    frame = million_rows(sample, rows)
    m = {
        "rows": len(frame),
        "frame_mb": frame.memory_usage(deep=True).sum() / 2**20,
        "timings": {},
        "send_states": {k: int(v) for k, v in frame["send_state"].value_counts().items() if v},
    }
    log(f"# {rows:,} rows drawn from a {args.sample:,}-row campaign; {m['frame_mb']:.0f} MB")
    started = time.perf_counter()
    table = mmsnb.summary(frame)
    m["timings"]["mmsnb.summary"] = {"call": time.perf_counter() - started}
    m["delivered_rate"] = float(table.attrs.get("delivered_rate", float("nan")))
    for label, kwargs in PLOTS:
        started = time.perf_counter()
        ax = mmsnb.plot.outcomes(frame, **kwargs)
        drawn = time.perf_counter()
        ax.figure.savefig(io.BytesIO(), format="png", dpi=100)
        m["timings"][label] = {"call": drawn - started, "savefig": time.perf_counter() - started}
        plt.close(ax.figure)
    report["million"] = m
    return common.finish(report, print_report)


if __name__ == "__main__":
    sys.exit(main())
