#!/usr/bin/env python
"""Issue 7: what mmsnb buys over the loop people write today, measured side by side in one run.

    python benchmarks/run.py                # 2 000 recipients, full run (about 20 minutes on 2 cores)
    python benchmarks/run.py --quick        # 300 recipients (50 with latency), no million-row part: about 1 min
    python benchmarks/run.py --rows 500 --json out.json

Every campaign runs against a fresh sandbox (``mmsnb.Sandbox``) hosted in its own child
process, and every client runs in another fresh child process, so that

* the client's CPU time (``time.process_time()`` of the client process, all its threads) does
  not include the sandbox's TLS and parsing work, which is reported separately;
* the client's peak memory is that campaign's alone: at the start of the campaign the
  process's peak-RSS mark is reset (``/proc/self/clear_refs``), and "peak RSS growth" is
  ``VmHWM`` at the end minus ``VmRSS`` at the start (where the reset is not allowed, the
  ``ru_maxrss`` delta is used instead, which can only under-report);
* each sandbox starts from the same seed, so every approach sees the same outcomes.

Sandbox counters (``gateway.counts`` and the quota counter ``gateway.used()``) are read over a
pipe from the sandbox process when the client is done.
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import multiprocessing as mp
import os
import platform
import random
import resource
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

IMAGE = ROOT / "data" / "bench.jpg"
SUBJECT = "Wiosenna promocja: -20% na wszystko, sprawdź!"
FIRST_NAMES = ("Anna", "Piotr", "Zofia", "Łukasz", "Małgorzata", "Krzysztof", "Ewa", "Jędrzej")
SEND_PATH = "/Messaging/v1/MMSOnnet"
STATUS_PATH = "/Messaging/v1/MMSDeliveryStatus"
#: Statuses after which the naive loop keeps polling a message.
NAIVE_NOT_FINAL = frozenset({"Success", "Partial success", "Message ID Not found"})
#: Children are forked from the parent, which imports mmsnb, pandas and requests first and starts no
#: threads, so a fresh client or sandbox process costs milliseconds, not a second of imports.
CTX = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
T0 = time.perf_counter()


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------
def numbers(n: int, seed: int = 7) -> list[str]:
    """``n`` distinct 9-digit 50xxxxxxx numbers (all in Orange's range, per phonenumbers)."""
    rng = random.Random(seed)
    return [f"50{k:07d}" for k in rng.sample(range(10**7), n)]


def make_frame(n: int, seed: int = 7):
    import pandas as pd

    nums = numbers(n, seed)
    return pd.DataFrame(
        {
            "msisdn": pd.array(nums, dtype="string"),
            "first_name": [FIRST_NAMES[i % len(FIRST_NAMES)] for i in range(n)],
            "segment": pd.Categorical(["A", "B", "C", "D"][i % 4] for i in range(n)),
        }
    )


def check_orange(nums: list[str]) -> None:
    from mmsnb.numbers import parse

    wrong = [n for n in nums if parse(n).carrier != "Orange"]
    if wrong:
        raise SystemExit(f"{len(wrong)} generated numbers are not in Orange's range, e.g. {wrong[:3]}")


# --------------------------------------------------------------------------------------------
# the sandbox, hosted in a child process
# --------------------------------------------------------------------------------------------
def _nodelay() -> None:
    """Set TCP_NODELAY on the sandbox's accepted sockets (benchmark process only; see the README).

    The sandbox writes each answer as two TLS records (headers, then body). Without TCP_NODELAY
    Nagle's algorithm holds the second until the client acknowledges the first, and the client
    delays that acknowledgement by up to 40 ms: every answer of a "no latency" sandbox then
    takes ~45 ms on Linux loopback, which would swamp what this benchmark measures.
    """
    import socket

    from mmsnb.sandbox import server

    accept = server._Server.get_request
    if getattr(accept, "bench_nodelay", False) or sandbox_sets_nodelay():
        return

    def get_request(self):
        sock, addr = accept(self)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, addr

    get_request.bench_nodelay = True
    server._Server.get_request = get_request


def sandbox_sets_nodelay() -> bool:
    """Whether the sandbox as shipped already sets TCP_NODELAY on its sockets."""
    import inspect

    from mmsnb.sandbox import server

    try:
        return "TCP_NODELAY" in inspect.getsource(server)
    except (OSError, TypeError):
        return False


def _host_sandbox(conn, options: dict) -> None:
    from mmsnb.sandbox import Sandbox

    if options.pop("nodelay", True):
        _nodelay()
    sandbox = Sandbox(**options).start()
    conn.send({"url": sandbox.url, "token_url": sandbox.token_url, "client_id": sandbox.client_id,
               "client_secret": sandbox.client_secret, "ca_path": sandbox.ca_path})
    while True:
        command = conn.recv()
        if command == "counts":
            conn.send({**sandbox.gateway.counts, "quota_used": sandbox.gateway.used(), "cpu": time.process_time()})
        elif command == "stop":
            sandbox.stop()
            conn.send("stopped")
            return


class SandboxProcess:
    """``mmsnb.Sandbox`` in a child process; ``env`` holds what a client needs, ``counts()`` the counters."""

    #: Set from --sandbox-as-is: leave Nagle's algorithm on in the sandbox (see _nodelay).
    nodelay = True

    def __init__(self, **options) -> None:
        options.setdefault("nodelay", SandboxProcess.nodelay)
        self._conn, child = CTX.Pipe()
        self._proc = CTX.Process(target=_host_sandbox, args=(child, options), daemon=True, name="bench-sandbox")
        self._proc.start()
        if not self._conn.poll(120):
            self._proc.terminate()
            raise RuntimeError("the sandbox process did not start within 120 s")
        self.env = self._conn.recv()

    def counts(self) -> dict:
        self._conn.send("counts")
        return self._conn.recv()

    def close(self) -> None:
        try:
            self._conn.send("stop")
            self._conn.poll(30) and self._conn.recv()
        except (OSError, EOFError):
            pass
        self._proc.join(30)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(10)

    def __enter__(self) -> "SandboxProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --------------------------------------------------------------------------------------------
# measuring inside the client process
# --------------------------------------------------------------------------------------------
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
        self.phases: dict[str, dict] = {}
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def lap(self, name: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.phases[name] = {"wall": wall - self._wall, "cpu": cpu - self._cpu}
        self._wall, self._cpu = wall, cpu

    def result(self) -> dict:
        hwm = _proc_status("VmHWM")
        if self.hwm_reset and hwm is not None and self.rss0 is not None:
            peak, how = hwm - self.rss0, "VmHWM after clear_refs reset - VmRSS at start"
        else:
            peak, how = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - self.maxrss0, "ru_maxrss delta"
        total = {k: sum(p[k] for p in self.phases.values()) for k in ("wall", "cpu")}
        return {"phases": self.phases, "wall": total["wall"], "cpu": total["cpu"], "peak_rss": max(peak, 0), "peak_how": how}


# --------------------------------------------------------------------------------------------
# approach 1: the loop people write today
# --------------------------------------------------------------------------------------------
def naive_session(env: dict):
    from oauthlib.oauth2 import BackendApplicationClient
    from requests.auth import HTTPBasicAuth
    from requests_oauthlib import OAuth2Session

    session = OAuth2Session(client=BackendApplicationClient(client_id=env["client_id"]))
    session.fetch_token(token_url=env["token_url"], auth=HTTPBasicAuth(env["client_id"], env["client_secret"]),
                        verify=env["ca_path"])
    return session


def naive_send(session, env: dict, df, image_path: Path) -> list:
    """One request per row, written the way the API card reads: file read and encoded per row."""
    from urllib3.fields import RequestField
    from urllib3.filepost import encode_multipart_formdata

    ids = []
    for row in df.itertuples():
        with open(image_path, "rb") as f:
            image = base64.b64encode(f.read())
        part = json.dumps({"addresses": [f"tel:+48{row.msisdn}"], "subject": SUBJECT, "deliveryReport": True},
                          ensure_ascii=False).encode("utf-8")
        fields = [
            RequestField("messagePart", part, filename="messagePart", headers={
                "Content-Type": "application/json; name=messagePart",
                "Content-Transfer-Encoding": "binary",
                "Content-Disposition": 'form-data; name="messagePart"; filename="messagePart"',
            }),
            RequestField(image_path.name, image, filename=image_path.name, headers={
                "Content-Type": "image/jpeg",
                "Content-Transfer-Encoding": "base64",
                "Content-Disposition": f'form-data; name="{image_path.name}"; filename="{image_path.name}"',
            }),
        ]
        body, content_type = encode_multipart_formdata(fields)
        resp = session.post(env["url"] + SEND_PATH, data=body, headers={"Content-Type": content_type},
                            verify=env["ca_path"], timeout=60)
        ids.append(resp.json().get("authenticationId") if resp.ok else None)
    return ids


def naive_poll(session, env: dict, ids: list, *, max_rounds: int, deadline: float) -> dict:
    """Every second, GET the status of every message not final yet, one after the other (bounded)."""
    pending = [i for i in ids if i]
    final: dict[str, str] = {}
    rounds = 0
    started = time.monotonic()
    while pending and rounds < max_rounds and time.monotonic() - started < deadline:
        time.sleep(1)
        rounds += 1
        still = []
        for message_id in pending:
            resp = session.get(env["url"] + STATUS_PATH, params={"id": message_id}, verify=env["ca_path"], timeout=60)
            status = resp.json().get("status") if resp.ok else None
            if status is None or status in NAIVE_NOT_FINAL:
                still.append(message_id)
            else:
                final[message_id] = status
        pending = still
    return {"final": final, "pending": len(pending), "rounds": rounds}


def job_naive(job: dict) -> dict:
    import pandas as pd  # noqa: F401  (imported before measuring, as in a notebook)
    import requests_oauthlib  # noqa: F401
    import urllib3  # noqa: F401

    env = job["env"]
    df = make_frame(job["rows"])
    meter = Meter()
    session = naive_session(env)
    ids = naive_send(session, env, df, IMAGE)
    meter.lap("send")
    polled = naive_poll(session, env, ids, max_rounds=job["naive_max_rounds"], deadline=job["naive_deadline"])
    meter.lap("poll")
    out = meter.result()
    statuses = list(polled["final"].values())
    out.update(recipients=len(df), messages=sum(1 for i in ids if i), not_final=polled["pending"], rounds=polled["rounds"],
               delivered=statuses.count("Retrieved"))
    return out


# --------------------------------------------------------------------------------------------
# approaches 2 and 3: mmsnb.send (one request per row, or grouped) then mmsnb.poll
# --------------------------------------------------------------------------------------------
def mmsnb_client(env: dict):
    from mmsnb import Client

    return Client(env["client_id"], env["client_secret"], base_url=env["url"], token_url=env["token_url"], verify=env["ca_path"])


def job_mmsnb(job: dict) -> dict:
    import mmsnb

    env = job["env"]
    df = make_frame(job["rows"])
    with tempfile.TemporaryDirectory(prefix="mmsnb-bench-") as tmp:
        meter = Meter()
        client = mmsnb_client(env)
        send_kw = {"workers": job["workers"]} if job.get("workers") else {}
        poll_kw = {"workers": job["poll_workers"]} if job.get("poll_workers") else {}
        results = mmsnb.send(client, df, to="msisdn", subject=SUBJECT, attachments=str(IMAGE), group=job["group"],
                             progress=False, ledger=Path(tmp) / "ledger.sqlite", **send_kw)
        meter.lap("send")
        results = mmsnb.poll(client, results, progress=False, **poll_kw)
        meter.lap("poll")
        out = meter.result()
        client.close()
    out.update(recipients=len(df), messages=int(results["message_id"].nunique()),
               not_final=int((~results["final"].fillna(False).astype(bool)).sum()),
               delivered=int((results["status_category"] == "delivered").sum()),
               send_states={k: int(v) for k, v in results["send_state"].value_counts().items() if v})
    return out


# --------------------------------------------------------------------------------------------
# polling with a realistic delivery delay: once a second vs mmsnb.poll's growing pauses
# --------------------------------------------------------------------------------------------
def job_polling(job: dict) -> dict:
    import mmsnb

    env = job["env"]
    df = make_frame(job["rows"])
    with tempfile.TemporaryDirectory(prefix="mmsnb-bench-") as tmp:
        client = mmsnb_client(env)
        results = mmsnb.send(client, df, to="msisdn", subject=SUBJECT, attachments=str(IMAGE), group=job["group"],
                             progress=False, ledger=Path(tmp) / "ledger.sqlite")
        started = time.perf_counter()
        if job["poller"] == "naive":
            session = naive_session(env)
            polled = naive_poll(session, env, results["message_id"].dropna().unique().tolist(),
                                max_rounds=job["naive_max_rounds"], deadline=job["naive_deadline"])
            not_final, rounds = polled["pending"], polled["rounds"]
        else:
            results = mmsnb.poll(client, results, progress=False)
            not_final, rounds = int((~results["final"].fillna(False).astype(bool)).sum()), None
        wall = time.perf_counter() - started
        client.close()
    return {"recipients": len(df), "messages": int(results["message_id"].nunique()), "wall": wall,
            "not_final": not_final, "rounds": rounds}


# --------------------------------------------------------------------------------------------
# memory growth with rows, one shared attachment
# --------------------------------------------------------------------------------------------
def job_memory(job: dict) -> dict:
    import tracemalloc

    import mmsnb

    env = job["env"]
    df = make_frame(job["rows"], seed=11)
    with tempfile.TemporaryDirectory(prefix="mmsnb-bench-") as tmp:
        client = mmsnb_client(env)
        client.limit()  # token and connection outside the measurement
        gc.collect()
        tracemalloc.start()
        started = time.perf_counter()
        results = mmsnb.send(client, df, to="msisdn", subject=SUBJECT, attachments=str(IMAGE), dry_run=job["dry_run"],
                             progress=False, ledger=Path(tmp) / "ledger.sqlite")
        wall = time.perf_counter() - started
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        client.close()
    return {"rows": len(df), "dry_run": job["dry_run"], "wall": wall, "peak": peak, "retained": current,
            "frame_in": int(df.memory_usage(deep=True).sum()), "frame_out": int(results.memory_usage(deep=True).sum()),
            "requests": results.attrs["mmsnb"]["requests"],
            "states": {k: int(v) for k, v in results["send_state"].value_counts().items() if v}}


# --------------------------------------------------------------------------------------------
# one million synthetic result rows: mmsnb.summary.summary and mmsnb.plot.outcomes
# --------------------------------------------------------------------------------------------
def synthetic_results(n: int):
    import numpy as np
    import pandas as pd

    from mmsnb.campaign import SEND_STATE_DTYPE
    from mmsnb.statuses import CATEGORY_DTYPE, describe

    rng = np.random.default_rng(0)
    states = rng.choice(["accepted", "invalid", "duplicate", "quota"], size=n, p=[0.95, 0.03, 0.01, 0.01])
    names = np.array(["Retrieved", "Rejected", "Expired", "Indeterminate", "Success", "Address Not Found"])
    status = rng.choice(names, size=n, p=[0.84, 0.04, 0.04, 0.04, 0.02, 0.02]).astype(object)
    status[states != "accepted"] = None
    category = {s: describe(s).category for s in names}
    return pd.DataFrame(
        {
            "msisdn": pd.array([f"50{k:07d}" for k in rng.choice(10**7, size=n, replace=False)], dtype="string"),
            "segment": pd.Categorical(rng.choice(["A", "B", "C", "D"], size=n)),
            "send_state": pd.Categorical(states, dtype=SEND_STATE_DTYPE),
            "status": pd.array(status, dtype="string"),
            "status_category": pd.Categorical([category.get(s) for s in status], dtype=CATEGORY_DTYPE),
        }
    )


def job_million(job: dict) -> dict:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import importlib

    try:
        # importlib, not "from mmsnb import summary": mmsnb re-exports the function summary(),
        # which shadows the module of the same name.
        summary = importlib.import_module("mmsnb.summary")
        plot = importlib.import_module("mmsnb.plot")
        summary.summary  # noqa: B018
        plot.outcomes  # noqa: B018
    except (ImportError, AttributeError) as exc:
        return {"skipped": f"mmsnb.plot.outcomes / mmsnb.summary.summary not available yet ({exc})"}
    frame = synthetic_results(job["rows"])
    out = {"rows": len(frame), "frame_mb": frame.memory_usage(deep=True).sum() / 2**20}
    timings = {}
    started = time.perf_counter()
    table = summary.summary(frame)
    timings["summary.summary"] = time.perf_counter() - started
    for label, kwargs in (("plot.outcomes", {}), ("plot.outcomes(raw=True)", {"raw": True}),
                          ("plot.outcomes(by='segment')", {"by": "segment"})):
        started = time.perf_counter()
        ax = plot.outcomes(frame, **kwargs)
        drawn = time.perf_counter()
        ax.figure.savefig(io.BytesIO(), format="png", dpi=100)
        timings[label] = drawn - started
        timings[label + " + savefig"] = time.perf_counter() - started
        plt.close(ax.figure)
    out["timings"] = timings
    out["delivered_rate"] = float(table.attrs.get("delivered_rate", float("nan")))
    return out


# --------------------------------------------------------------------------------------------
# optional: a CPU profile (per-thread CPU clock) of mmsnb.send(group=False), all threads
# --------------------------------------------------------------------------------------------
def job_profile(job: dict) -> dict:
    import cProfile
    import io
    import pstats
    import threading

    import mmsnb

    env = job["env"]
    df = make_frame(job["rows"])
    profiles: list[cProfile.Profile] = []

    def start_thread_profile(*_):
        profile = cProfile.Profile(time.thread_time)  # CPU time of each thread, not wall time
        profiles.append(profile)
        profile.enable()

    with tempfile.TemporaryDirectory(prefix="mmsnb-bench-") as tmp:
        client = mmsnb_client(env)
        threading.setprofile(start_thread_profile)
        main = cProfile.Profile(time.thread_time)
        main.enable()
        results = mmsnb.send(client, df, to="msisdn", subject=SUBJECT, attachments=str(IMAGE), group=False,
                             progress=False, ledger=Path(tmp) / "ledger.sqlite")
        main.disable()
        threading.setprofile(None)
        client.close()
    stats = pstats.Stats(main)
    for p in profiles:
        try:
            stats.add(p)
        except (TypeError, ValueError):
            pass
    text = io.StringIO()
    stats.stream = text
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(30)
    return {"rows": len(results), "profile": text.getvalue()}


JOBS = {"naive": job_naive, "mmsnb": job_mmsnb, "polling": job_polling, "memory": job_memory,
        "million": job_million, "profile": job_profile}


def _client_main(conn) -> None:
    # The libraries every job uses are imported before the job arrives (and before measuring),
    # as they would be in a notebook; meanwhile the parent starts the sandbox.
    failed = None
    try:
        import pandas  # noqa: F401
        import requests_oauthlib  # noqa: F401
        import urllib3  # noqa: F401

        import mmsnb  # noqa: F401
    except BaseException:  # noqa: BLE001  (e.g. mmsnb mid-edit: reported with the job)
        failed = traceback.format_exc()
    conn.send("ready")
    job = conn.recv()
    try:
        if failed:
            raise RuntimeError(f"importing mmsnb failed:\n{failed}")
        conn.send(("ok", JOBS[job["kind"]](job)))
    except BaseException:  # noqa: BLE001  (reported to the parent)
        conn.send(("error", traceback.format_exc()))


class ClientProcess:
    """A fresh client process: started first (imports overlap with the sandbox starting), then given one job."""

    def __init__(self) -> None:
        self._conn, child = CTX.Pipe()
        self._proc = CTX.Process(target=_client_main, args=(child,), daemon=True, name="bench-client")
        self._proc.start()

    def run(self, job: dict, timeout: float = 3600) -> dict:
        try:
            if not self._conn.poll(120) or self._conn.recv() != "ready":
                raise RuntimeError("the client process did not start within 120 s")
            self._conn.send(job)
            if not self._conn.poll(timeout):
                raise RuntimeError(f"the {job['kind']} job did not finish within {timeout:g} s")
            kind, value = self._conn.recv()
        except EOFError:
            raise RuntimeError(f"the client process died during the {job['kind']} job") from None
        finally:
            self.close()
        if kind == "error":
            raise RuntimeError(f"the {job['kind']} job failed in the client process:\n{value}")
        return value

    def close(self) -> None:
        self._proc.join(10)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(10)


def run_client(job: dict, timeout: float = 3600) -> dict:
    """Run one job in a fresh client process; returns its result or raises with the child's traceback."""
    return ClientProcess().run(job, timeout)


def with_sandbox(job: dict, **options) -> tuple[dict, dict]:
    """Start a client process and a sandbox process together, run ``job``; returns (result, counter deltas)."""
    client = ClientProcess()
    try:
        with SandboxProcess(**options) as sandbox:
            before = sandbox.counts()
            result = client.run({**job, "env": sandbox.env})
            after = sandbox.counts()
    finally:
        client.close()
    return result, {k: after[k] - before[k] for k in after}


# --------------------------------------------------------------------------------------------
# a model (not a measurement): status requests per message for the two polling schedules
# --------------------------------------------------------------------------------------------
def polling_model(time_scale: float, samples: int = 200_000) -> dict:
    """Expected status requests per single-address message, from the sandbox's outcome/delay tables.

    Assumes a round takes no time. Once a second: polls at 1, 2, 3, ... s after sending.
    mmsnb.poll: a round at once, then pauses growing as mmsnb.polling.BACKOFF says.
    """
    import numpy as np

    from mmsnb.polling import BACKOFF
    from mmsnb.sandbox.gateway import DEFAULT_DELAYS, DEFAULT_OUTCOMES

    rng = np.random.default_rng(0)
    names = list(DEFAULT_OUTCOMES)
    weights = np.array([DEFAULT_OUTCOMES[n] for n in names], dtype=float)
    picks = rng.choice(len(names), size=samples, p=weights / weights.sum())
    low = np.array([DEFAULT_DELAYS[n][0] for n in names])[picks]
    high = np.array([DEFAULT_DELAYS[n][1] for n in names])[picks]
    delay = rng.uniform(low, high) / time_scale
    once = np.maximum(1, np.ceil(delay))
    first, factor, longest = BACKOFF
    times, t, pause = [0.0], 0.0, first
    while t < delay.max() + longest:
        t += pause
        times.append(t)
        pause = min(pause * factor, longest)
    rounds = np.searchsorted(np.array(times), delay, side="left") + 1
    return {"time_scale": time_scale, "once_a_second": float(once.mean()), "mmsnb_poll": float(rounds.mean()),
            "mmsnb_poll_first_pause": float((rounds - 1).clip(min=1).mean()), "backoff": list(BACKOFF)}


# --------------------------------------------------------------------------------------------
# the parent: scenarios, tables, targets
# --------------------------------------------------------------------------------------------
def log(text: str = "") -> None:
    print(text, flush=True)


def campaign(args, label: str, latency: float, rows: int, job: dict) -> dict:
    job = {**job, "rows": rows, "naive_max_rounds": args.naive_max_rounds, "naive_deadline": args.naive_deadline}
    result, result["sandbox"] = with_sandbox(job, latency=latency, time_scale=args.time_scale, quota=args.quota, seed=args.seed)
    result.update(label=label, latency=latency)
    s = result["sandbox"]
    log(f"  [{time.perf_counter() - T0:5.0f} s] {label:<34} wall {result['wall']:8.2f} s  client CPU {result['cpu']:7.2f} s  quota {s['quota_used']:5d}"
        f"  status {s['status']:5d}  peak RSS +{result['peak_rss'] / 2**20:6.1f} MB  not final {result['not_final']}")
    return result


def mmsnb_defaults() -> tuple[int, int]:
    """The ``workers`` defaults of mmsnb.send and mmsnb.poll, as the code now has them."""
    import inspect

    import mmsnb

    return (inspect.signature(mmsnb.send).parameters["workers"].default,
            inspect.signature(mmsnb.poll).parameters["workers"].default)


def approaches(args, latency: float) -> list[tuple[str, dict]]:
    send_w, poll_w = mmsnb_defaults()
    items = [
        ("naive loop (itertuples)", {"kind": "naive", "variant": "naive"}),
        (f"mmsnb group=False, defaults (send workers={send_w}, poll workers={poll_w})",
         {"kind": "mmsnb", "variant": "default", "group": False, "workers": None, "poll_workers": None}),
    ]
    if latency > 0 or not args.quick:
        for w in args.workers_more:
            items.append((f"mmsnb group=False, workers={w} (send and poll)",
                          {"kind": "mmsnb", "variant": f"workers={w}", "group": False, "workers": w, "poll_workers": w}))
    items.append(("mmsnb grouped (50/request), defaults",
                  {"kind": "mmsnb", "variant": "grouped", "group": True, "workers": None, "poll_workers": None}))
    return items


def variant(r: dict) -> str:
    """Which approach a campaign result is (also for results saved before variants were recorded)."""
    if r.get("variant"):
        return r["variant"]
    label = r["label"]
    if r["kind"] == "naive":
        return "naive"
    if "grouped" in label:
        return "grouped"
    if "defaults" in label or label.endswith("workers=4"):
        return "default"
    return "workers=" + label.rsplit("workers=", 1)[1].split()[0]


def fmt_ratio(x: float) -> str:
    return "—" if x != x else (f"{x:.0f}×" if x >= 100 else f"{x:.1f}×")


def campaign_table(results: list[dict]) -> list[str]:
    head = ("| latency | approach | recipients | wall s (send + poll) | × faster | quota requests | × fewer | status requests"
            " | status / recipient | client CPU s | CPU µs / recipient | peak RSS growth MB | delivered | not final |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    base = {r["latency"]: r for r in results if r["kind"] == "naive"}
    for r in results:
        b = base.get(r["latency"])
        s = r["sandbox"]
        send, poll = r["phases"]["send"]["wall"], r["phases"]["poll"]["wall"]
        speed = b["wall"] / r["wall"] if b else float("nan")
        fewer = b["sandbox"]["quota_used"] / s["quota_used"] if b and s["quota_used"] else float("nan")
        spread = f"; runs {min(r['walls']):.1f}–{max(r['walls']):.1f}" if len(r.get("walls", ())) > 1 else ""
        lines.append(
            f"| {r['latency'] * 1000:.0f} ms | {r['label']} | {r['recipients']:,} | {r['wall']:.1f} ({send:.1f} + {poll:.1f}{spread})"
            f" | {fmt_ratio(speed)} | {s['quota_used']:,} | {fmt_ratio(fewer)} | {s['status']:,}"
            f" | {s['status'] / r['recipients']:.3f} | {r['cpu']:.2f} | {r['cpu'] / r['recipients'] * 1e6:,.0f}"
            f" | {r['peak_rss'] / 2**20:.1f} | {r['delivered']:,} | {r['not_final']} |"
        )
    return lines


def targets(results: list[dict], polling: list[dict], memory: list[dict], args) -> list[tuple[str, bool | None, str]]:
    out: list[tuple[str, bool | None, str]] = []

    def pick(latency, which):
        return next((r for r in results if r["latency"] == latency and variant(r) == which), None)

    for latency in sorted({r["latency"] for r in results}):
        naive, grouped = pick(latency, "naive"), pick(latency, "grouped")
        if naive and grouped:
            ratio = naive["sandbox"]["quota_used"] / max(grouped["sandbox"]["quota_used"], 1)
            out.append((f"grouped sending spends >= 20x fewer quota requests than the naive loop ({latency * 1000:.0f} ms)",
                        ratio >= 20, f"{naive['sandbox']['quota_used']} vs {grouped['sandbox']['quota_used']}: {ratio:.0f}x"))
    for latency, need, text in ((0.1, 5.0, ">= 5x faster"), (0.0, 1.0, "not slower")):
        naive = pick(latency, "naive")
        for which in ["default"] + [f"workers={w}" for w in args.workers_more]:
            r = pick(latency, which)
            if naive and r:
                total, send = naive["wall"] / r["wall"], naive["phases"]["send"]["wall"] / r["phases"]["send"]["wall"]
                name = "default workers" if which == "default" else which
                out.append((f"{latency * 1000:.0f} ms latency: one request per row ({name}) is {text} than the naive loop"
                            " (send + poll wall time)", total >= need, f"{total:.2f}x overall, {send:.2f}x for sending alone"))
    for latency in sorted({r["latency"] for r in results}):
        naive = pick(latency, "naive")
        for which in ("default", "grouped"):
            r = pick(latency, which)
            if naive and r:
                a = naive["sandbox"]["status"] / naive["recipients"]
                b = r["sandbox"]["status"] / r["recipients"]
                name = "one request per row" if which == "default" else "grouped sending"
                out.append((f"{latency * 1000:.0f} ms latency, time_scale {args.time_scale:g}: mmsnb.poll after {name}"
                            " spends fewer status requests per recipient than once-a-second polling", b < a, f"{b:.3f} vs {a:.3f}"))
    by = {p["label"]: p for p in polling}
    naive_p, mmsnb_p = by.get("once a second (naive)"), by.get("mmsnb.poll, group=False")
    if naive_p and mmsnb_p:
        a, b = naive_p["per_message"], mmsnb_p["per_message"]
        out.append((f"realistic delay (time_scale {args.polling_time_scale:g}): mmsnb.poll spends fewer status requests per message"
                    " than once-a-second polling", b < a, f"{b:.2f} vs {a:.2f}"))
    for dry in (True, False):
        runs = sorted((m for m in memory if m["dry_run"] is dry), key=lambda m: m["rows"])
        if len(runs) >= 2:
            small, large = runs[0], runs[-1]
            extra_small, extra_large = small["peak"] - small["frame_out"], large["peak"] - large["frame_out"]
            span = large["rows"] - small["rows"]
            growth = (extra_large - extra_small) / span
            frame_per_row = (large["frame_out"] - small["frame_out"]) / span
            attachment = IMAGE.stat().st_size
            mode = "dry_run" if dry else "grouped send"
            out.append((f"memory ({mode}): the shared attachment is not copied per row", growth < 0.01 * attachment,
                        f"peak minus result frame grows {growth:,.0f} B/row from {small['rows']:,} to {large['rows']:,} rows;"
                        f" a copy per row would be {attachment:,} B/row (PASS: < 1% of that)"))
            out.append((f"memory ({mode}): peak stays flat apart from the result frame", growth < 0.1 * frame_per_row,
                        f"peak minus result frame grows {growth:,.0f} B/row while the frame itself grows {frame_per_row:,.0f} B/row"
                        f" (PASS: < 10% of the frame's growth)"))
    return out


def print_report(report: dict) -> None:
    """The tables and the targets, from the measurements (also usable on a saved --json file)."""
    args = argparse.Namespace(**report["args"])
    machine = report["machine"]
    log("\n# results")
    if report.get("code"):
        log(report["code"])
    log(f"machine: {machine}; total benchmark time {report.get('seconds', float('nan')):.0f} s; load average at start"
        f" {report['loadavg_start'][0]:.2f}, at end {report['loadavg_end'][0]:.2f} (1-minute); sandbox TCP_NODELAY {report['nodelay']}\n")
    if report["campaign"]:
        for line in campaign_table(report["campaign"]):
            log(line)
        naive = [r for r in report["campaign"] if r["kind"] == "naive"]
        log("\nRatios against the naive loop at the same latency (naive / approach; > 1 means the approach is better):")
        for r in report["campaign"]:
            b = next((x for x in naive if x["latency"] == r["latency"]), None)
            if not b or r is b:
                continue
            ratio = lambda x, y: x / y if y else float("nan")  # noqa: E731
            log(f"  {r['latency'] * 1000:3.0f} ms {r['label']:<36} wall {fmt_ratio(ratio(b['wall'], r['wall'])):>6}"
                f"  send wall {fmt_ratio(ratio(b['phases']['send']['wall'], r['phases']['send']['wall'])):>6}"
                f"  quota {fmt_ratio(ratio(b['sandbox']['quota_used'], r['sandbox']['quota_used'])):>6}"
                f"  status {fmt_ratio(ratio(b['sandbox']['status'], r['sandbox']['status'])):>6}"
                f"  client CPU {fmt_ratio(ratio(b['cpu'], r['cpu'])):>6}"
                f"  peak RSS {fmt_ratio(ratio(b['peak_rss'], r['peak_rss'])):>6}"
                f"  sandbox CPU {fmt_ratio(ratio(b['sandbox']['cpu'], r['sandbox']['cpu'])):>6}")
        zero = next((r for r in report["campaign"] if r["latency"] == 0 and variant(r) == "default"), None)
        zn = next((r for r in naive if r["latency"] == 0), None)
        if zero:
            send = zero["phases"]["send"]
            log(f"\nClient-side cost per message, mmsnb.send(group=False) at no latency: {send['cpu'] / zero['recipients'] * 1e6:,.0f} µs CPU"
                f" per recipient for sending ({send['wall'] / zero['recipients'] * 1e3:.2f} ms wall per recipient)"
                + (f"; naive loop: {zn['phases']['send']['cpu'] / zn['recipients'] * 1e6:,.0f} µs CPU per recipient" if zn else ""))
    if report["polling"]:
        log("\n| poller (time_scale %g) | recipients | messages | status requests | per message | per recipient | wall s |" % args.polling_time_scale)
        log("|---|---|---|---|---|---|---|")
        for r in report["polling"]:
            log(f"| {r['label']} | {r['recipients']} | {r['messages']} | {r['status']} | {r['per_message']:.2f} | {r['per_recipient']:.3f} | {r['wall']:.1f} |")
    if report["polling_model"]:
        log("\n| model (not measured): status requests per message | once a second | growing pauses, first round at once |"
            " growing pauses, first round one pause after sending (mmsnb.poll since f6fcd5b) |")
        log("|---|---|---|---|")
        for m in report["polling_model"]:
            log(f"| time_scale {m['time_scale']:g} | {m['once_a_second']:.2f} | {m['mmsnb_poll']:.2f} | {m['mmsnb_poll_first_pause']:.2f} |")
    if report["memory"]:
        log("\n| mode | rows | tracemalloc peak MB | result frame MB (memory_usage deep) | peak − frame MB | peak − frame B/row | requests | s |")
        log("|---|---|---|---|---|---|---|---|")
        for r in report["memory"]:
            extra = r["peak"] - r["frame_out"]
            log(f"| {'dry_run=True' if r['dry_run'] else 'grouped send'} | {r['rows']:,} | {r['peak'] / 2**20:.1f} | {r['frame_out'] / 2**20:.1f}"
                f" | {extra / 2**20:.1f} | {extra / r['rows']:,.0f} | {r['requests']:,} | {r['wall']:.1f} |")
    if report["million"] and "timings" in report["million"]:
        m = report["million"]
        log(f"\n| on {m['rows']:,} synthetic result rows ({m['frame_mb']:.0f} MB) | seconds |")
        log("|---|---|")
        for name, seconds in m["timings"].items():
            log(f"| {name} | {seconds:.2f} |")
    elif report["million"]:
        log(f"\nmillion-row part SKIPPED: {report['million']['skipped']}")

    log("\n# targets")
    checks = targets(report["campaign"], report["polling"], report["memory"], args)
    for text, ok, detail in checks:
        log(f"  {'PASS' if ok else 'MISS'}  {text}: {detail}")
    report["targets"] = [{"target": t, "pass": ok, "detail": d} for t, ok, d in checks]
    if report["errors"]:
        log("\n# errors")
        for e in report["errors"]:
            log(f"  {e}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=None, help="recipients in the side-by-side campaign (default 2000; 300 with --quick)")
    p.add_argument("--latency-rows", type=int, default=None, help="recipients at 100 ms latency (default: --rows; 100 with --quick)")
    p.add_argument("--quick", action="store_true", help="small and fast: under a minute, no million-row part")
    p.add_argument("--latency", type=float, default=0.1, help="added latency of the slow sandbox, seconds (default 0.1)")
    p.add_argument("--workers-more", default=None,
                   help="comma-separated raised workers= settings also measured for one request per row (default 8,16; 16 with --quick)")
    p.add_argument("--time-scale", type=float, default=6000.0, help="sandbox simulated seconds per real second (default 6000)")
    p.add_argument("--polling-time-scale", type=float, default=None, help="time scale of the realistic-delay polling part (default 60; 240 with --quick)")
    p.add_argument("--quota", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=None,
                   help="rounds of the no-latency side by side, median kept (default 3; 1 with --quick)")
    p.add_argument("--naive-max-rounds", type=int, default=30, help="bound on the naive loop's polling rounds")
    p.add_argument("--naive-deadline", type=float, default=1200.0, help="bound on the naive loop's polling time, seconds")
    p.add_argument("--memory-rows", default=None, help="comma-separated row counts for the memory part (default 1000,10000,100000)")
    p.add_argument("--skip", default="", help="comma-separated parts to skip: campaign,latency,polling,memory,million")
    p.add_argument("--profile", action="store_true", help="also profile mmsnb.send(group=False) at zero latency and print it")
    p.add_argument("--json", help="also write every measurement to this JSON file")
    p.add_argument("--report", metavar="JSON", help="only print the tables and targets of a run saved with --json")
    p.add_argument("--sandbox-as-is", action="store_true",
                   help="do not set TCP_NODELAY on the sandbox's sockets (each answer then waits ~40 ms for a delayed ACK)")
    args = p.parse_args(argv)
    if args.report:
        print_report(json.loads(Path(args.report).read_text(encoding="utf-8")))
        return 0
    SandboxProcess.nodelay = not args.sandbox_as_is
    rows = args.rows or (300 if args.quick else 2000)
    latency_rows = args.latency_rows or (50 if args.quick else rows)
    args.workers_more = [int(x) for x in (args.workers_more or ("16" if args.quick else "8,16")).split(",") if x.strip()]
    args.polling_time_scale = args.polling_time_scale or (240.0 if args.quick else 60.0)
    polling_rows = 50 if args.quick else 200
    repeat = max(1, args.repeat or (1 if args.quick else 3))
    memory_rows = [int(x) for x in (args.memory_rows or ("1000,5000" if args.quick else "1000,10000,100000")).split(",")]
    memory_modes = (True,) if args.quick else (True, False)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if args.quick:
        skip.add("million")

    import pandas as pd
    import requests_oauthlib  # noqa: F401  (imported once here; forked children inherit it)
    import urllib3  # noqa: F401

    import mmsnb  # noqa: F401

    started = time.perf_counter()
    machine = f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, Linux {platform.release()}, Python {platform.python_version()}, pandas {pd.__version__}"
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
        machine = f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, pandas {pd.__version__}"
    except OSError:
        pass
    if sandbox_sets_nodelay():
        nodelay = "on (as shipped)"
    else:
        nodelay = "off (as shipped)" if args.sandbox_as_is else "on (the benchmark patches it in the sandbox process; see README)"
    report_nodelay = nodelay
    import subprocess

    try:
        code = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        code = ""
    send_w, poll_w = mmsnb_defaults()
    code = f"mmsnb at {code or 'unknown commit'}; defaults: send workers={send_w}, poll workers={poll_w}"
    log(f"# mmsnb benchmark (issue 7) - {machine}")
    log(f"# {code}")
    log(f"# load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (other work on the machine skews wall times)")
    log(f"# campaign: {rows:,} recipients (no latency), {latency_rows:,} (latency {args.latency * 1000:.0f} ms); one JPEG"
        f" {IMAGE.name} {IMAGE.stat().st_size / 1024:.0f} KB; sandbox time_scale {args.time_scale:g}, quota {args.quota:,}, seed {args.seed},"
        f" TCP_NODELAY {nodelay}")
    check_orange(numbers(max(rows, latency_rows)))
    log(f"# all {max(rows, latency_rows):,} generated numbers are in Orange's range (mmsnb.numbers.parse(n).carrier == 'Orange')")

    report: dict = {"machine": machine, "code": code, "nodelay": report_nodelay, "loadavg_start": os.getloadavg(), "args": vars(args), "rows": rows, "latency_rows": latency_rows,
                    "campaign": [], "polling": [], "polling_model": [], "memory": [], "million": None, "errors": []}

    def attempt(what: str, fn):
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001  (one broken part must not lose the others)
            log(f"  !! {what} failed: {exc}")
            report["errors"].append(f"{what}: {exc}")
            return None

    for latency, n, part in ((0.0, rows, "campaign"), (args.latency, latency_rows, "latency")):
        if part in skip:
            continue
        times = repeat if latency == 0 else 1
        log(f"\n## side by side, sandbox latency {latency * 1000:.0f} ms, {n:,} recipients"
            + (f", {times} rounds (approaches interleaved; the median wall time is kept)" if times > 1 else ""))
        runs: dict[str, list[dict]] = {}
        for _ in range(times):
            for label, job in approaches(args, latency):
                r = attempt(label, lambda: campaign(args, label, latency, n, job))
                if r:
                    r["kind"], r["variant"] = job["kind"], job["variant"]
                    runs.setdefault(label, []).append(r)
        for label, found in runs.items():
            ordered = sorted(found, key=lambda r: r["wall"])
            kept = ordered[(len(ordered) - 1) // 2]
            kept["walls"] = [r["wall"] for r in found]
            report["campaign"].append(kept)

    if "polling" not in skip:
        n = polling_rows
        log(f"\n## polling with a realistic delivery delay: time_scale {args.polling_time_scale:g}, {n} recipients, no latency")
        for label, group, poller in (("once a second (naive)", False, "naive"), ("mmsnb.poll, group=False", False, "mmsnb"),
                                     ("mmsnb.poll, grouped", True, "mmsnb")):
            def one(label=label, group=group, poller=poller):
                job = {"kind": "polling", "rows": n, "group": group, "poller": poller,
                       "naive_max_rounds": args.naive_max_rounds, "naive_deadline": args.naive_deadline}
                r, counts = with_sandbox(job, time_scale=args.polling_time_scale, quota=args.quota, seed=args.seed)
                r["status"] = counts["status"]
                r.update(label=label, per_message=r["status"] / r["messages"], per_recipient=r["status"] / r["recipients"])
                log(f"  {label:<26} {r['status']:5d} status requests for {r['messages']} messages ({r['per_message']:.2f} per message,"
                    f" {r['per_recipient']:.3f} per recipient), {r['wall']:.1f} s, not final {r['not_final']}")
                return r
            r = attempt(label, one)
            if r:
                report["polling"].append(r)

    if "polling" not in skip:
        report["polling_model"] = [polling_model(ts) for ts in sorted({args.polling_time_scale, 60.0, 1.0}, reverse=True)]
        log("  model, not measured (sandbox delay tables, rounds taking no time): status requests per message")
        for m in report["polling_model"]:
            log(f"    time_scale {m['time_scale']:>5g}: once a second {m['once_a_second']:6.2f}; growing pauses, first round at once"
                f" {m['mmsnb_poll']:6.2f}; growing pauses, first round one pause after sending {m['mmsnb_poll_first_pause']:6.2f}")

    if "memory" not in skip:
        log("\n## memory with one shared attachment (tracemalloc peak during mmsnb.send, fresh process per run)")
        for dry in memory_modes:
            for n in memory_rows:
                def one(n=n, dry=dry):
                    r, _ = with_sandbox({"kind": "memory", "rows": n, "dry_run": dry}, time_scale=args.time_scale, quota=args.quota, seed=args.seed)
                    log(f"  {'dry_run' if dry else 'grouped send':<12} {n:>7,} rows: peak {r['peak'] / 2**20:7.1f} MB, result frame"
                        f" {r['frame_out'] / 2**20:6.1f} MB, peak - frame {(r['peak'] - r['frame_out']) / 2**20:6.1f} MB"
                        f" ({(r['peak'] - r['frame_out']) / n:,.0f} B/row), {r['requests']} requests, {r['wall']:.1f} s")
                    return r
                r = attempt(f"memory {n} rows", one)
                if r:
                    report["memory"].append(r)

    if "million" not in skip:
        log("\n## one million synthetic result rows: mmsnb.summary.summary and mmsnb.plot.outcomes")
        r = attempt("million", lambda: run_client({"kind": "million", "rows": 1_000_000}))
        if r:
            report["million"] = r
            if "skipped" in r:
                log(f"  SKIPPED: {r['skipped']}")
            else:
                for name, seconds in r["timings"].items():
                    log(f"  {name:<40} {seconds:6.2f} s")

    if args.profile:
        log("\n## profile of mmsnb.send(group=False), no latency, all threads")
        def prof():
            return with_sandbox({"kind": "profile", "rows": rows}, time_scale=args.time_scale, quota=args.quota, seed=args.seed)[0]
        r = attempt("profile", prof)
        if r:
            log(r["profile"])

    # ---- summary ----
    report["loadavg_end"] = os.getloadavg()
    report["seconds"] = time.perf_counter() - started
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
        log(f"\nwrote {args.json}")
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
