"""One campaign, side by side: the naive itertuples loop vs mmsnb.send (one request per row, and grouped) + mmsnb.poll.

    python benchmarks/campaign.py               # 2 000 recipients at 0 ms and at 100 ms (about 20 minutes on 2 cores)
    python benchmarks/campaign.py --quick       # 300 recipients at 0 ms, 50 at 100 ms: about 1 minute
    python benchmarks/campaign.py --rows 500 --latency 0 --json out.json

Every campaign runs against a fresh sandbox (``mmsnb.Sandbox``) hosted in its own child process,
and every client runs in another fresh child process, so that

* the client's CPU time (``time.process_time()`` of the client process, all its threads) does
  not include the sandbox's TLS and parsing work, which is reported separately;
* the client's peak memory is that campaign's alone: at the start of the campaign the process's
  peak-RSS mark is reset (``/proc/self/clear_refs``), and "peak RSS growth" is ``VmHWM`` at the
  end minus ``VmRSS`` at the start (where the reset is not allowed, the ``ru_maxrss`` delta is
  used instead, which can only under-report);
* each sandbox starts from the same seed, so every approach sees the same outcomes.

Each ratio is measured within this run: the naive loop's figure divided by the approach's (> 1: the
approach does better), except the client CPU per recipient for sending, given as mmsnb / naive.
"""

from __future__ import annotations

import argparse
import base64
import functools
import gc
import inspect
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import common
import pandas as pd
from common import IMAGE, SEND_PATH, SUBJECT, Job, fmt_ratio, log, ratio
from requests_oauthlib import OAuth2Session

import mmsnb

STARTED = time.perf_counter()


def _proc_status(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


class Meter:
    """Wall and CPU time per phase, and peak RSS growth over the whole measurement."""

    def __init__(self) -> None:
        gc.collect()
        self.hwm_reset = False
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            self.hwm_reset = True
        except OSError:
            pass
        self.rss0 = _proc_status("VmRSS")
        self.maxrss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        self.phases: dict[str, dict[str, float]] = {}
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def lap(self, name: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.phases[name] = {"wall": wall - self._wall, "cpu": cpu - self._cpu}
        self._wall, self._cpu = wall, cpu

    def result(self) -> dict[str, Any]:
        hwm = _proc_status("VmHWM")
        if self.hwm_reset and hwm is not None and self.rss0 is not None:
            peak, how = hwm - self.rss0, "VmHWM after clear_refs reset - VmRSS at start"
        else:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - self.maxrss0
            how = "ru_maxrss delta"
        total = {k: sum(p[k] for p in self.phases.values()) for k in ("wall", "cpu")}
        return {
            "phases": self.phases,
            "wall": total["wall"],
            "cpu": total["cpu"],
            "peak_rss": max(peak, 0),
            "peak_how": how,
        }


def naive_send(session: OAuth2Session, env: dict[str, str], df: pd.DataFrame, image_path: Path) -> list[str | None]:
    """One request per row, written the way the API card reads: file read and encoded per row."""
    from urllib3.fields import RequestField
    from urllib3.filepost import encode_multipart_formdata

    ids = []
    for row in df.itertuples():
        with open(image_path, "rb") as f:
            image = base64.b64encode(f.read())
        part = json.dumps(
            {"addresses": [f"tel:+48{row.msisdn}"], "subject": SUBJECT, "deliveryReport": True}, ensure_ascii=False
        ).encode("utf-8")
        fields = [
            RequestField(
                "messagePart",
                part,
                filename="messagePart",
                headers={
                    "Content-Type": "application/json; name=messagePart",
                    "Content-Transfer-Encoding": "binary",
                    "Content-Disposition": 'form-data; name="messagePart"; filename="messagePart"',
                },
            ),
            RequestField(
                image_path.name,
                image,
                filename=image_path.name,
                headers={
                    "Content-Type": "image/jpeg",
                    "Content-Transfer-Encoding": "base64",
                    "Content-Disposition": f'form-data; name="{image_path.name}"; filename="{image_path.name}"',
                },
            ),
        ]
        body, content_type = encode_multipart_formdata(fields)
        resp = session.post(
            env["url"] + SEND_PATH, data=body, headers={"Content-Type": content_type}, verify=env["ca_path"], timeout=60
        )
        ids.append(resp.json().get("authenticationId") if resp.ok else None)
    return ids


def job_naive(job: Job) -> dict[str, Any]:
    env = job["env"]
    df = common.make_frame(job["rows"])
    meter = Meter()
    session = common.naive_session(env)
    ids = naive_send(session, env, df, IMAGE)
    meter.lap("send")
    polled = common.naive_poll(session, env, ids, max_rounds=job["naive_max_rounds"], deadline=job["naive_deadline"])
    meter.lap("poll")
    out = meter.result()
    statuses = list(polled["final"].values())
    out.update(
        recipients=len(df),
        messages=sum(1 for i in ids if i),
        not_final=polled["pending"],
        rounds=polled["rounds"],
        delivered=statuses.count("Retrieved"),
    )
    return out


def job_mmsnb(job: Job) -> dict[str, Any]:
    env = job["env"]
    df = common.make_frame(job["rows"])
    workers = {"workers": job["workers"]} if job["workers"] else {}
    with tempfile.TemporaryDirectory(prefix="mmsnb-bench-") as tmp:
        meter = Meter()
        client = common.mmsnb_client(env)
        results = common.send_campaign(client, df, tmp, group=job["group"], **workers)
        meter.lap("send")
        results = mmsnb.poll(client, results, progress=False, **workers)
        meter.lap("poll")
        out = meter.result()
        client.close()
    out.update(
        recipients=len(df),
        messages=int(results["message_id"].nunique()),
        not_final=common.not_final(results),
        delivered=int((results["status_category"] == "delivered").sum()),
        send_states={k: int(v) for k, v in results["send_state"].value_counts().items() if v},
    )
    return out


def approaches(workers_more: list[int], latency: float, quick: bool) -> list[tuple[str, str, Job]]:
    """(label, variant, job) of each approach; raised workers are left out of --quick's no-latency block."""
    send_w = inspect.signature(mmsnb.send).parameters["workers"].default
    poll_w = inspect.signature(mmsnb.poll).parameters["workers"].default
    items: list[tuple[str, str, Job]] = [
        ("naive loop (itertuples)", "naive", {"target": job_naive}),
        (
            f"mmsnb group=False, defaults (send workers={send_w}, poll workers={poll_w})",
            "default",
            {"target": job_mmsnb, "group": False, "workers": None},
        ),
    ]
    if latency > 0 or not quick:
        items += [
            (
                f"mmsnb group=False, workers={w} (send and poll)",
                f"workers={w}",
                {"target": job_mmsnb, "group": False, "workers": w},
            )
            for w in workers_more
        ]
    items.append(
        ("mmsnb grouped (50/request), defaults", "grouped", {"target": job_mmsnb, "group": True, "workers": None})
    )
    return items


def one_campaign(args: argparse.Namespace, label: str, latency: float, rows: int, job: Job) -> dict[str, Any]:
    target = job.pop("target")
    job.update(rows=rows, naive_max_rounds=args.naive_max_rounds, naive_deadline=args.naive_deadline)
    result, sandbox = common.with_sandbox(
        target, job, latency=latency, time_scale=args.time_scale, quota=args.quota, seed=args.seed
    )
    result.update(label=label, latency=latency, sandbox=sandbox)
    log(
        f"  [{time.perf_counter() - STARTED:5.0f} s] {label:<34} wall {result['wall']:8.2f} s"
        f"  client CPU {result['cpu']:7.2f} s  quota {sandbox['quota_used']:5.0f}  status {sandbox['status']:5.0f}"
        f"  peak RSS +{result['peak_rss'] / 2**20:6.1f} MB  not final {result['not_final']}"
    )
    return result


def print_report(report: dict[str, Any]) -> None:
    runs = report["campaign"]
    base = {r["latency"]: r for r in runs if r["variant"] == "naive"}
    rows = []
    for r in runs:
        b, s = base.get(r["latency"]), r["sandbox"]
        send, poll = r["phases"]["send"]["wall"], r["phases"]["poll"]["wall"]
        spread = f"; runs {min(r['walls']):.1f}–{max(r['walls']):.1f}" if len(r["walls"]) > 1 else ""
        rows.append(
            [
                f"{r['latency'] * 1000:.0f} ms",
                r["label"],
                f"{r['recipients']:,}",
                f"{r['wall']:.1f} ({send:.1f} + {poll:.1f}{spread})",
                fmt_ratio(ratio(b["wall"], r["wall"])) if b else "—",
                f"{s['quota_used']:,.0f}",
                fmt_ratio(ratio(b["sandbox"]["quota_used"], s["quota_used"])) if b else "—",
                f"{s['status']:,.0f}",
                f"{s['status'] / r['recipients']:.3f}",
                f"{r['cpu']:.2f}",
                f"{r['cpu'] / r['recipients'] * 1e6:,.0f}",
                f"{r['peak_rss'] / 2**20:.1f}",
                f"{r['delivered']:,}",
                r["not_final"],
            ]
        )
    common.table(
        [
            "latency",
            "approach",
            "recipients",
            "wall s (send + poll)",
            "× faster",
            "quota requests",
            "× fewer",
            "status requests",
            "status / recipient",
            "client CPU s",
            "CPU µs / recipient",
            "peak RSS growth MB",
            "delivered",
            "not final",
        ],
        rows,
    )
    log("\nRatios against the naive loop at the same latency (naive / approach; > 1 means the approach is better):")
    for r in runs:
        b = base.get(r["latency"])
        if not b or r is b:
            continue
        pairs = {
            "wall": (b["wall"], r["wall"]),
            "send wall": (b["phases"]["send"]["wall"], r["phases"]["send"]["wall"]),
            "quota": (b["sandbox"]["quota_used"], r["sandbox"]["quota_used"]),
            "status": (b["sandbox"]["status"], r["sandbox"]["status"]),
            "client CPU": (b["cpu"], r["cpu"]),
            "peak RSS": (b["peak_rss"], r["peak_rss"]),
            "sandbox CPU": (b["sandbox"]["cpu"], r["sandbox"]["cpu"]),
        }
        log(
            f"  {r['latency'] * 1000:3.0f} ms {r['label'][:36]:<36}"
            + "".join(f"  {name} {fmt_ratio(ratio(*pair)):>6}" for name, pair in pairs.items())
        )
    log(
        "\nClient CPU per recipient for sending: mmsnb.send(group=False) with defaults vs the naive loop (mmsnb / "
        "naive):"
    )
    for latency, b in base.items():
        r = next((r for r in runs if r["latency"] == latency and r["variant"] == "default"), None)
        if r:
            mine, theirs = (x["phases"]["send"]["cpu"] / x["recipients"] * 1e6 for x in (r, b))
            log(f"  {latency * 1000:3.0f} ms: {mine:,.0f} µs vs {theirs:,.0f} µs ({fmt_ratio(mine / theirs)})")


def main(argv: list[str] | None = None) -> int:
    p = common.parser(__doc__)
    p.add_argument("--rows", type=int, help="recipients at no latency (default 2000; 300 with --quick)")
    p.add_argument("--latency-rows", type=int, help="recipients at --latency (default: --rows; 50 with --quick)")
    p.add_argument("--latency", type=float, default=0.1, help="added latency of the slow sandbox, s (0: skip it)")
    p.add_argument(
        "--workers-more",
        help="comma-separated raised workers= also measured for one request per row (default 8,16; 16 with --quick)",
    )
    p.add_argument("--repeat", type=int, help="rounds of the no-latency block, median kept (default 3; 1 with --quick)")
    p.add_argument("--time-scale", type=float, default=6000.0, help="sandbox simulated seconds per real second")
    p.add_argument("--quota", type=int, default=100_000)
    common.naive_loop_options(p)
    args = p.parse_args(argv)
    if args.report:
        return common.replay(args.report, print_report)
    rows = args.rows or (300 if args.quick else 2000)
    latency_rows = args.latency_rows or (50 if args.quick else rows)
    workers_more = [int(x) for x in (args.workers_more or ("16" if args.quick else "8,16")).split(",") if x.strip()]
    repeat = max(1, args.repeat or (1 if args.quick else 3))
    report = common.start("campaign: the naive loop vs mmsnb.send + mmsnb.poll", args)
    log(
        f"# one JPEG {IMAGE.name} {IMAGE.stat().st_size / 1024:.0f} KB per recipient; sandbox time_scale"
        f" {args.time_scale:g}, quota {args.quota:,}, seed {args.seed}"
    )
    common.check_orange(max(rows, latency_rows))
    report["campaign"] = []
    blocks = [(0.0, rows, repeat)] + ([(args.latency, latency_rows, 1)] if args.latency > 0 else [])
    for latency, n, times in blocks:
        log(
            f"\n## sandbox latency {latency * 1000:.0f} ms, {n:,} recipients"
            + (f", {times} rounds (approaches interleaved; the median wall time is kept)" if times > 1 else "")
        )
        runs: dict[str, list[dict[str, Any]]] = {}
        for _ in range(times):
            for label, variant, job in approaches(workers_more, latency, args.quick):
                r = common.attempt(report, label, functools.partial(one_campaign, args, label, latency, n, job))
                if r:
                    r["variant"] = variant
                    runs.setdefault(label, []).append(r)
        for found in runs.values():
            kept = sorted(found, key=lambda r: r["wall"])[(len(found) - 1) // 2]
            kept["walls"] = [r["wall"] for r in found]
            report["campaign"].append(kept)
    return common.finish(report, print_report)


if __name__ == "__main__":
    sys.exit(main())
