"""What the benchmark scripts share: the sandbox and the client in child processes, data, the naive loop, output.

Each script is run from the repository root (``python benchmarks/campaign.py --quick``); Python puts
``benchmarks/`` first on ``sys.path``, so ``import common`` finds this file.

Children are forked from the parent after it has imported mmsnb, pandas and requests (and before it
starts any thread), so a fresh client or sandbox process costs milliseconds, not a second of imports.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import platform
import random
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Self

import pandas as pd
import requests_oauthlib
import urllib3  # noqa: F401  (the naive loop's; imported once here, so forked children inherit it)

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import mmsnb  # noqa: E402  (this checkout's mmsnb: imported once ROOT is first on sys.path)

IMAGE = ROOT / "data" / "bench.jpg"
SUBJECT = "Wiosenna promocja: -20% na wszystko, sprawdź!"
FIRST_NAMES = ("Anna", "Piotr", "Zofia", "Łukasz", "Małgorzata", "Krzysztof", "Ewa", "Jędrzej")
SEND_PATH = "/Messaging/v1/MMSOnnet"
STATUS_PATH = "/Messaging/v1/MMSDeliveryStatus"
#: Statuses after which the naive loop keeps polling a message.
NAIVE_NOT_FINAL = frozenset({"Success", "Partial success", "Message ID Not found"})
CTX = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")

Job = dict[str, Any]


# data ----------------------------------------------------------------------------------------
def numbers(n: int, seed: int = 7) -> list[str]:
    """``n`` distinct 9-digit 50xxxxxxx numbers (all in Orange's range, per phonenumbers)."""
    rng = random.Random(seed)
    return [f"50{k:07d}" for k in rng.sample(range(10**7), n)]


def make_frame(n: int, seed: int = 7) -> pd.DataFrame:
    """A recipients frame: ``msisdn``, ``first_name`` and a categorical ``segment``."""
    return pd.DataFrame(
        {
            "msisdn": pd.array(numbers(n, seed), dtype="string"),
            "first_name": [FIRST_NAMES[i % len(FIRST_NAMES)] for i in range(n)],
            "segment": pd.Categorical(["A", "B", "C", "D"][i % 4] for i in range(n)),
        }
    )


def check_orange(n: int) -> None:
    """Stop unless the first ``n`` generated numbers are all in Orange's range."""
    nums = numbers(n)
    wrong = [x for x in nums if mmsnb.phones.parse(x).carrier != "Orange"]
    if wrong:
        raise SystemExit(f"{len(wrong)} generated numbers are not in Orange's range, e.g. {wrong[:3]}")
    log(f"# all {n:,} generated numbers are in Orange's range (mmsnb.phones.parse(n).carrier == 'Orange')")


# the clients ---------------------------------------------------------------------------------
def mmsnb_client(env: dict[str, str]) -> mmsnb.Client:
    return mmsnb.Client(
        env["client_id"], env["client_secret"], base_url=env["url"], token_url=env["token_url"], verify=env["ca_path"]
    )


def naive_session(env: dict[str, str]) -> requests_oauthlib.OAuth2Session:
    """The loop people write today starts with an OAuth2Session holding one token."""
    from oauthlib.oauth2 import BackendApplicationClient
    from requests.auth import HTTPBasicAuth

    session = requests_oauthlib.OAuth2Session(client=BackendApplicationClient(client_id=env["client_id"]))
    session.fetch_token(
        token_url=env["token_url"], auth=HTTPBasicAuth(env["client_id"], env["client_secret"]), verify=env["ca_path"]
    )
    return session


def naive_poll(
    session: requests_oauthlib.OAuth2Session,
    env: dict[str, str],
    ids: list[str | None],
    *,
    max_rounds: int,
    deadline: float,
) -> dict[str, Any]:
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


def not_final(results: pd.DataFrame) -> int:
    return int((~results["final"].fillna(False).astype(bool)).sum())


# the sandbox and the client, each in a child process -------------------------------------------
def _host_sandbox(conn: Connection, options: dict[str, Any]) -> None:
    sandbox = mmsnb.Sandbox(**options).start()
    conn.send(
        {
            "url": sandbox.url,
            "token_url": sandbox.token_url,
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            "ca_path": sandbox.ca_path,
        }
    )
    while True:
        command = conn.recv()
        if command == "counts":
            conn.send({**sandbox.gateway.counts, "quota_used": sandbox.gateway.used(), "cpu": time.process_time()})
        elif command == "stop":
            sandbox.stop()
            conn.send("stopped")
            return


class SandboxProcess:
    """``mmsnb.Sandbox`` in a child process; ``env`` holds what a client needs, ``counts()`` its counters."""

    def __init__(self, **options: Any) -> None:
        self._conn, child = CTX.Pipe()
        self._proc = CTX.Process(target=_host_sandbox, args=(child, options), daemon=True, name="bench-sandbox")
        self._proc.start()
        if not self._conn.poll(120):
            self._proc.terminate()
            raise RuntimeError("the sandbox process did not start within 120 s")
        self.env: dict[str, str] = self._conn.recv()

    def counts(self) -> dict[str, float]:
        """The gateway's request counters, its quota counter and the sandbox process's CPU seconds."""
        self._conn.send("counts")
        return self._conn.recv()

    def close(self) -> None:
        try:
            self._conn.send("stop")
            if self._conn.poll(30):
                self._conn.recv()
        except (OSError, EOFError):
            pass
        self._proc.join(30)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(10)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _client_main(conn: Connection, target: Callable[[Job], dict]) -> None:
    conn.send("ready")
    job = conn.recv()
    try:
        conn.send(("ok", target(job)))
    except BaseException:  # reported to the parent
        conn.send(("error", traceback.format_exc()))


class ClientProcess:
    """A fresh process that runs ``target(job)`` once; started before the sandbox so both start together."""

    def __init__(self, target: Callable[[Job], dict]) -> None:
        self._name = target.__name__
        self._conn, child = CTX.Pipe()
        self._proc = CTX.Process(target=_client_main, args=(child, target), daemon=True, name="bench-client")
        self._proc.start()

    def run(self, job: Job, timeout: float = 3600) -> dict:
        try:
            if not self._conn.poll(120) or self._conn.recv() != "ready":
                raise RuntimeError("the client process did not start within 120 s")
            self._conn.send(job)
            if not self._conn.poll(timeout):
                raise RuntimeError(f"{self._name} did not finish within {timeout:g} s")
            kind, value = self._conn.recv()
        except EOFError:
            raise RuntimeError(f"the client process died during {self._name}") from None
        finally:
            self.close()
        if kind == "error":
            raise RuntimeError(f"{self._name} failed in the client process:\n{value}")
        return value

    def close(self) -> None:
        self._proc.join(10)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(10)


def with_sandbox(target: Callable[[Job], dict], job: Job, **options: Any) -> tuple[dict, dict[str, float]]:
    """Run ``target(job)`` in a fresh client process against a fresh sandbox process started with ``options``.

    The job gets the sandbox's ``env``; returns the job's result and how much each sandbox counter grew.
    """
    client = ClientProcess(target)
    try:
        with SandboxProcess(**options) as sandbox:
            before = sandbox.counts()
            result = client.run({**job, "env": sandbox.env})
            after = sandbox.counts()
    finally:
        client.close()
    return result, {k: after[k] - before[k] for k in after}


# output -------------------------------------------------------------------------------------------
def log(text: str = "") -> None:
    print(text, flush=True)


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def fmt_ratio(x: float) -> str:
    return "—" if math.isnan(x) else (f"{x:.0f}×" if x >= 100 else f"{x:.1f}×")


def table(head: list[str], rows: list[list[object]]) -> None:
    """Print a Markdown table."""
    log("| " + " | ".join(head) + " |")
    log("|" + "---|" * len(head))
    for row in rows:
        log("| " + " | ".join(str(cell) for cell in row) + " |")


def parser(doc: str) -> argparse.ArgumentParser:
    """The options every script has: --quick, --json, --report."""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small and fast: about a minute or less")
    p.add_argument("--json", metavar="PATH", help="also write every measurement to this JSON file")
    p.add_argument("--report", metavar="JSON", help="only print the tables of a run saved with --json")
    return p


def send_campaign(client: Any, df: pd.DataFrame, folder: str, *, image: Path = IMAGE, **options: Any) -> pd.DataFrame:
    """``mmsnb.send`` of the benchmark campaign (the subject and image every approach sends), no progress bar,
    with its ledger in ``folder``."""
    return mmsnb.send(
        client,
        df,
        to="msisdn",
        subject=SUBJECT,
        attachments=str(image),
        progress=False,
        ledger=Path(folder) / "ledger.sqlite",
        **options,
    )


def naive_loop_options(p: argparse.ArgumentParser) -> None:
    """The options of scripts that run the naive loop: the sandbox's seed and the bounds on its polling."""
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--naive-max-rounds", type=int, default=30, help="bound on the naive loop's polling rounds")
    p.add_argument("--naive-deadline", type=float, default=1200.0, help="bound on the naive loop's polling time, s")


def _machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), model)
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, pandas {pd.__version__}"


def _commit() -> str:
    try:
        run = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return run.stdout.strip() or "unknown commit"
    except (OSError, subprocess.SubprocessError):
        return "unknown commit"


def start(title: str, args: argparse.Namespace) -> dict[str, Any]:
    """Log what runs where, and return the report the script fills in."""
    report = {
        "title": title,
        "machine": _machine(),
        "code": f"mmsnb at {_commit()}",
        "args": vars(args),
        "loadavg_start": os.getloadavg(),
        "started": time.perf_counter(),
        "errors": [],
    }
    log(f"# {title}")
    log(f"# {report['machine']}; {report['code']}")
    log(
        f"# load average at start: {' '.join(f'{x:.2f}' for x in report['loadavg_start'])}"
        " (other work on the machine skews wall times)"
    )
    return report


def attempt(report: dict[str, Any], what: str, fn: Callable[[], Any]) -> Any:
    """``fn()``, or None with the error logged and kept, so that one broken measurement does not lose the others."""
    try:
        return fn()
    except Exception as exc:
        log(f"  !! {what} failed: {exc}")
        report["errors"].append(f"{what}: {exc}")
        return None


def finish(report: dict[str, Any], print_report: Callable[[dict[str, Any]], None]) -> int:
    """Print the tables, save the report if --json asked for it; the exit status."""
    report["loadavg_end"] = os.getloadavg()
    report["seconds"] = time.perf_counter() - report.pop("started")
    log(
        f"\n# results ({report['seconds']:.0f} s; 1-minute load average {report['loadavg_start'][0]:.2f} at start,"
        f" {report['loadavg_end'][0]:.2f} at end)"
    )
    print_report(report)
    for error in report["errors"]:
        log(f"  error: {error}")
    path = report["args"].get("json")
    if path:
        Path(path).write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
        log(f"\nwrote {path}")
    return 1 if report["errors"] else 0


def replay(path: str, print_report: Callable[[dict[str, Any]], None]) -> int:
    """Print the tables of a saved run again."""
    report = json.loads(Path(path).read_text(encoding="utf-8"))
    log(f"# {report['title']}\n# {report['machine']}; {report['code']}")
    if report.get("note"):
        log(f"# {report['note']}")
    print_report(report)
    return 0
