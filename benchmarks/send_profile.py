"""Where the client's CPU goes in mmsnb.send(group=False): a profile of every thread, by CPU time.

    python benchmarks/send_profile.py           # 2 000 recipients, one JPEG each (about a minute)
    python benchmarks/send_profile.py --quick   # 300 recipients
    python benchmarks/send_profile.py --top 50

The client runs in a fresh process against a fresh sandbox (no latency) in another, so the
sandbox's TLS and parsing stay out of the profile. Every thread the send starts gets its own
``cProfile`` on ``time.thread_time`` (CPU, not wall time); the profiles are added together and
printed by self time, then by cumulative time, and last as one table: the self time of each
concern (building the body, TLS, HTTP, the ledger, the pace, pandas, ...) per request, judged by the
file each function is in (:data:`CONCERNS`). (Not named ``profile.py``: that would hide the
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

#: Where a function's self time goes: the first concern whose words appear in its file name (or, for a
#: function written in C, in its name), in this order.
CONCERNS = (
    (
        "the body: JSON, multipart, base64",
        ("mmsnb/wire.py", "urllib3/filepost", "urllib3/fields", "base64", "binascii", "json/", "_json"),
    ),
    ("TLS", ("ssl", "_ssl.")),
    ("the environment, read for proxies", ("<frozen os>", "urllib/request.py", "_collections_abc")),
    ("the ledger (SQLite, PostgreSQL)", ("mmsnb/ledger/", "sqlite3", "psycopg")),
    ("the pace", ("mmsnb/pacing.py",)),
    ("pandas, numpy", ("pandas/", "numpy")),
    ("planning: phone numbers", ("phonenumbers", "mmsnb/phones.py", "mmsnb/numbers.py")),
    ("OAuth", ("oauthlib",)),
    ("HTTP: requests, urllib3, http.client", ("requests/", "urllib3", "http/", "email/", "socket")),
    ("threads, locks, queues", ("threading", "concurrent/", "_thread", "queue")),
    ("mmsnb's own bookkeeping", ("mmsnb/",)),
)


def concern(filename: str, name: str) -> str:
    """The concern of one function of a profile (its file, or its name when written in C)."""
    where = name if filename == "~" else filename
    return next((what for what, words in CONCERNS if any(word in where for word in words)), "other")


def by_concern(stats: pstats.Stats) -> dict[str, float]:
    """Self CPU seconds by concern."""
    out: dict[str, float] = {}
    for (filename, _, name), (_, _, self_time, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        key = concern(filename, name)
        out[key] = out.get(key, 0.0) + self_time
    return out


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
    return {
        "rows": len(results),
        "threads": len(profiles) + 1,
        "cpu": stats.total_tt,
        "profile": text.getvalue(),
        "concerns": by_concern(stats),
    }


def print_report(report: dict[str, Any]) -> None:
    r = report["send_profile"]
    log(r["profile"])
    log(
        f"{r['rows']:,} recipients, {r['threads']} threads profiled: {r['cpu']:.2f} s of CPU,"
        f" {r['cpu'] / r['rows'] * 1e6:,.0f} µs per recipient (the profiler's own overhead included)"
    )
    log("\nSelf CPU by concern, per request (one recipient each), under the profiler:\n")
    concerns = sorted(r["concerns"].items(), key=lambda item: -item[1])
    common.table(
        ["concern", "µs per request", "share"],
        [[what, f"{cpu / r['rows'] * 1e6:,.0f}", f"{cpu / r['cpu']:.0%}"] for what, cpu in concerns],
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
