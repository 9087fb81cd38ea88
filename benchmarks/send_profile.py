"""Where the client's CPU goes in mmsnb.send(group=False): a profile of every thread, by CPU time.

    python benchmarks/send_profile.py           # 2 000 recipients, one JPEG each (about a minute)
    python benchmarks/send_profile.py --quick   # 300 recipients
    python benchmarks/send_profile.py --top 50

The client runs in a fresh process against a fresh sandbox (no latency) in another, so the
sandbox's TLS and parsing stay out of the profile. Every thread the send starts gets its own
``cProfile`` on ``time.thread_time`` (CPU, not wall time); the profiles are added together and
printed by self time, then by cumulative time. (Not named ``profile.py``: that would hide the
standard library's ``profile``, which ``cProfile`` imports.)
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import pstats
import sys
import tempfile
import threading
import time
from typing import Any

import common
from common import Job, log


def job_profile(job: Job) -> dict[str, Any]:
    df = common.make_frame(job["rows"])
    profiles: list[cProfile.Profile] = []

    def start_thread_profile(*_: object) -> None:
        profile = cProfile.Profile(time.thread_time)
        profiles.append(profile)
        profile.enable()

    with tempfile.TemporaryDirectory(prefix="mmsnb-bench-") as tmp:
        client = common.mmsnb_client(job["env"])
        threading.setprofile(start_thread_profile)
        main = cProfile.Profile(time.thread_time)
        main.enable()
        results = common.send_campaign(client, df, tmp, group=False)
        main.disable()
        threading.setprofile(None)
        client.close()
    stats = pstats.Stats(main)
    for profile in profiles:
        with contextlib.suppress(TypeError):  # a thread that ran no Python code has no stats
            stats.add(profile)
    text = io.StringIO()
    stats.stream = text
    stats.sort_stats("tottime").print_stats(job["top"])
    stats.sort_stats("cumulative").print_stats(job["top"])
    return {"rows": len(results), "threads": len(profiles) + 1, "cpu": stats.total_tt, "profile": text.getvalue()}


def print_report(report: dict[str, Any]) -> None:
    r = report["send_profile"]
    log(r["profile"])
    log(
        f"{r['rows']:,} recipients, {r['threads']} threads profiled: {r['cpu']:.2f} s of CPU,"
        f" {r['cpu'] / r['rows'] * 1e6:,.0f} µs per recipient (the profiler's own overhead included)"
    )


def main(argv: list[str] | None = None) -> int:
    p = common.parser(__doc__)
    p.add_argument("--rows", type=int, help="recipients (default 2000; 300 with --quick)")
    p.add_argument("--top", type=int, default=25, help="functions listed in each order (default 25)")
    args = p.parse_args(argv)
    if args.report:
        return common.replay(args.report, print_report)
    rows = args.rows or (300 if args.quick else 2000)
    report = common.start("profile of mmsnb.send(group=False), no latency, all threads", args)
    job = {"rows": rows, "top": args.top}
    result = common.attempt(
        report, "profile", lambda: common.with_sandbox(job_profile, job, time_scale=6000, quota=100_000, seed=0)[0]
    )
    if result:
        report["send_profile"] = result
    return common.finish(report, print_report if result else lambda _: None)


if __name__ == "__main__":
    sys.exit(main())
