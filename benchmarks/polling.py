"""Polling schedules with a realistic delivery delay: status requests per message, once a second vs mmsnb.poll.

    python benchmarks/polling.py                # 200 recipients at time scale 60 (about 1 minute)
    python benchmarks/polling.py --quick        # 50 recipients at time scale 240 (about 20 seconds)

Each poller gets the same campaign, sent with ``mmsnb.send`` to a fresh sandbox (same seed, so the
same outcomes and delays) in its own process, and is then timed until every message is final:

* the naive loop: every second, the status of every message not final yet;
* ``mmsnb.poll`` after ``mmsnb.send(group=False)`` (one message per recipient);
* ``mmsnb.poll`` after a grouped send (one message per 50 recipients).

The status requests are counted by the sandbox. At time scale 6000 (``campaign.py``) every message
is final within 0.1 s and any poller needs exactly one request per message; here messages take
seconds to become final, so the schedule shows.

A model (not a measurement) then gives the expected status requests per message at time scales no
run could wait for, down to 1 (real delays of 5–600 s), from the sandbox's default outcome and delay
tables and mmsnb.poll's pauses, assuming each round takes no time.
"""

from __future__ import annotations

import sys
import tempfile
import time
from typing import Any

import common
from common import Job, log

import mmsnb


def job_polling(job: Job) -> dict[str, Any]:
    env = job["env"]
    df = common.make_frame(job["rows"])
    with tempfile.TemporaryDirectory(prefix="mmsnb-bench-") as tmp:
        client = common.mmsnb_client(env)
        results = common.send_campaign(client, df, tmp, group=job["group"])
        started = time.perf_counter()
        if job["poller"] == "naive":
            polled = common.naive_poll(
                common.naive_session(env),
                env,
                results["message_id"].dropna().unique().tolist(),
                max_rounds=job["naive_max_rounds"],
                deadline=job["naive_deadline"],
            )
            pending, rounds = polled["pending"], polled["rounds"]
        else:
            results = mmsnb.poll(client, results, progress=False)
            pending, rounds = common.not_final(results), None
        wall = time.perf_counter() - started
        client.close()
    return {
        "recipients": len(df),
        "messages": int(results["message_id"].nunique()),
        "wall": wall,
        "not_final": pending,
        "rounds": rounds,
    }


def schedule() -> tuple[float, float, float]:
    """mmsnb.poll's pauses: (first, factor, longest).

    Read from ``mmsnb.polling``, not from the public API: the docstring of mmsnb.poll promises pauses
    growing from 1 s to 30 s but not the factor, and the model needs it.
    """
    from mmsnb.polling import BACKOFF

    return BACKOFF


def polling_model(time_scale: float, samples: int = 200_000) -> dict[str, Any]:
    """Expected status requests per single-address message, from the sandbox's outcome and delay tables.

    Once a second: polls at 1, 2, 3, ... s after sending. mmsnb.poll: pauses growing as its schedule
    says, the first round either at once (before f6fcd5b) or one pause after sending (since).
    """
    import numpy as np

    gateway = mmsnb.Sandbox().gateway  # the default tables; the server is never started
    outcomes, delays = gateway.outcomes, gateway.delays
    rng = np.random.default_rng(0)
    names = list(outcomes)
    weights = np.array([outcomes[n] for n in names], dtype=float)
    picks = rng.choice(len(names), size=samples, p=weights / weights.sum())
    low = np.array([delays[n][0] for n in names])[picks]
    high = np.array([delays[n][1] for n in names])[picks]
    delay = rng.uniform(low, high) / time_scale
    once = np.maximum(1, np.ceil(delay))
    first, factor, longest = schedule()
    times, t, pause = [0.0], 0.0, first
    while t < delay.max() + longest:
        t += pause
        times.append(t)
        pause = min(pause * factor, longest)
    rounds = np.searchsorted(np.array(times), delay, side="left") + 1
    return {
        "time_scale": time_scale,
        "once_a_second": float(once.mean()),
        "mmsnb_poll": float(rounds.mean()),
        "mmsnb_poll_first_pause": float((rounds - 1).clip(min=1).mean()),
    }


def print_report(report: dict[str, Any]) -> None:
    runs = report["polling"]
    common.table(
        [
            f"poller (time_scale {report['args']['time_scale']:g})",
            "recipients",
            "messages",
            "status requests",
            "per message",
            "per recipient",
            "wall s",
            "not final",
        ],
        [
            [
                r["label"],
                r["recipients"],
                r["messages"],
                f"{r['status']:.0f}",
                f"{r['per_message']:.2f}",
                f"{r['per_recipient']:.3f}",
                f"{r['wall']:.1f}",
                r["not_final"],
            ]
            for r in runs
        ],
    )
    naive = next((r for r in runs if r["poller"] == "naive"), None)
    if naive:
        log("\nStatus requests against once a second (naive / mmsnb.poll; > 1 means mmsnb.poll asks less):")
        for r in runs:
            if r is not naive:
                per = {k: common.fmt_ratio(common.ratio(naive[k], r[k])) for k in ("per_message", "per_recipient")}
                log(f"  {r['label']:<26} per message {per['per_message']}, per recipient {per['per_recipient']}")
    log("\nModel, not measured: status requests per message")
    common.table(
        [
            "time scale",
            "once a second",
            "growing pauses, first round at once",
            "growing pauses, first round one pause after sending (mmsnb.poll now)",
        ],
        [
            [
                f"{m['time_scale']:g}",
                f"{m['once_a_second']:.2f}",
                f"{m['mmsnb_poll']:.2f}",
                f"{m['mmsnb_poll_first_pause']:.2f}",
            ]
            for m in report["polling_model"]
        ],
    )


def main(argv: list[str] | None = None) -> int:
    p = common.parser(__doc__)
    p.add_argument("--rows", type=int, help="recipients (default 200; 50 with --quick)")
    p.add_argument(
        "--time-scale", type=float, help="sandbox simulated seconds per real second (default 60; 240 with --quick)"
    )
    common.naive_loop_options(p)
    args = p.parse_args(argv)
    if args.report:
        return common.replay(args.report, print_report)
    args.rows = args.rows or (50 if args.quick else 200)
    args.time_scale = args.time_scale or (240.0 if args.quick else 60.0)
    report = common.start("polling with a realistic delivery delay: once a second vs mmsnb.poll", args)
    log(f"# {args.rows} recipients, sandbox time_scale {args.time_scale:g}, no latency, seed {args.seed}")
    report["polling"] = []
    for label, group, poller in (
        ("once a second (naive)", False, "naive"),
        ("mmsnb.poll, group=False", False, "mmsnb"),
        ("mmsnb.poll, grouped", True, "mmsnb"),
    ):

        def one(label: str = label, group: bool = group, poller: str = poller) -> dict[str, Any]:
            job = {
                "rows": args.rows,
                "group": group,
                "poller": poller,
                "naive_max_rounds": args.naive_max_rounds,
                "naive_deadline": args.naive_deadline,
            }
            r, counts = common.with_sandbox(job_polling, job, time_scale=args.time_scale, quota=100_000, seed=args.seed)
            r.update(
                label=label,
                poller=poller,
                status=counts["status"],
                per_message=counts["status"] / r["messages"],
                per_recipient=counts["status"] / r["recipients"],
            )
            log(
                f"  {label:<26} {r['status']:5.0f} status requests for {r['messages']} messages"
                f" ({r['per_message']:.2f} per message), {r['wall']:.1f} s, not final {r['not_final']}"
            )
            return r

        r = common.attempt(report, label, one)
        if r:
            report["polling"].append(r)
    report["polling_model"] = [polling_model(ts) for ts in sorted({args.time_scale, 60.0, 1.0}, reverse=True)]
    return common.finish(report, print_report)


if __name__ == "__main__":
    sys.exit(main())
