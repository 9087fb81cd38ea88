"""Pacing: how close mmsnb's automatic concurrency comes to each gateway's floor, measured in one run.

    python benchmarks/pacing.py                # 2 000 one-per-row sends at 100 ms latency, and the rest
    python benchmarks/pacing.py --rows 500     # smaller

Each scenario starts ``mmsnb sandbox`` in its own process (so the client's threads and the
server's do not share one interpreter) and sends ``--rows`` one-address requests without an
attachment through ``mmsnb.send(group=False)`` with the default ``workers="auto"``:

1. 100 ms latency, no limit: the floor is ``rows × latency / max_workers`` (32). The naive loop
   (one request after another on one ``requests`` session) is timed on ``--naive-rows`` rows; it
   is strictly sequential, so its time per row gives its time for ``rows``.
2. 100 ms latency, ``--max-in-flight 8``: the floor is ``rows × latency / 8``; every row must be
   accepted and none unknown, although the pace has to find the limit from 429 answers.
3. ``throttled=0.2``: one request in five is told to slow down; every row must be accepted.
4. ``rate="20/s"`` against a fast sandbox: the measured rate against 20/s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import requests

import mmsnb


def start(*options: str) -> tuple[subprocess.Popen, dict[str, str]]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mmsnb",
            "sandbox",
            "--port",
            "0",
            "--quota",
            "1000000",
            "--stop-after",
            "1800",
            *options,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    env: dict[str, str] = {}
    for line in process.stdout:  # type: ignore[union-attr]
        if line.startswith("# serving"):
            break
        if "MMSNB_" in line:
            name, _, value = line.strip().removeprefix("export ").partition("=")
            env[name] = value
    return process, env


def client_for(env: dict[str, str]) -> mmsnb.Client:
    return mmsnb.Client(
        env["MMSNB_CLIENT_ID"],
        env["MMSNB_CLIENT_SECRET"],
        base_url=env["MMSNB_BASE_URL"],
        token_url=env["MMSNB_TOKEN_URL"],
        verify=env["MMSNB_CA_BUNDLE"],
        timeout=(5, 30),
    )


def frame(rows: int, start_at: int = 0) -> pd.DataFrame:
    return pd.DataFrame({"msisdn": [f"501{i:06d}" for i in range(start_at, start_at + rows)]})


def campaign(env: dict[str, str], rows: int, folder: Path, **options: object) -> tuple[float, pd.DataFrame, int]:
    """Wall seconds, the results, and the sends the gateway accepted (its quota counter)."""
    client = client_for(env)
    try:
        started = time.perf_counter()
        results = mmsnb.send(
            client,
            frame(rows),
            subject="Hej",
            group=False,
            progress=False,
            ledger=folder / f"{time.monotonic_ns()}.sqlite",
            **options,
        )
        wall = time.perf_counter() - started
        return wall, results, client.limit().used
    finally:
        client.close()


def naive(env: dict[str, str], rows: int) -> float:
    """Seconds per row of the loop people write: one POST after another."""
    session = requests.Session()
    token = session.post(
        env["MMSNB_TOKEN_URL"],
        data={"grant_type": "client_credentials"},
        auth=(env["MMSNB_CLIENT_ID"], env["MMSNB_CLIENT_SECRET"]),
        verify=env["MMSNB_CA_BUNDLE"],
    ).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    started = time.perf_counter()
    for i in range(rows):
        session.post(
            env["MMSNB_BASE_URL"] + "/Messaging/v1/MMSOnnet",
            json={"addresses": [f"tel:+48601{i:06d}"], "subject": "Hej"},
            headers=headers,
            verify=env["MMSNB_CA_BUNDLE"],
            timeout=30,
        )
    return (time.perf_counter() - started) / rows


def states(results: pd.DataFrame) -> str:
    counts = results.send_state.value_counts()
    return ", ".join(f"{n} {state}" for state, n in counts.items() if n)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--naive-rows", type=int, default=300, help="rows the sequential naive loop is timed on")
    parser.add_argument("--latency", type=float, default=0.1)
    args = parser.parse_args(argv)
    n, latency = args.rows, args.latency
    with tempfile.TemporaryDirectory(prefix="mmsnb-bench-pacing-") as tmp:
        folder = Path(tmp)

        process, env = start("--latency", str(latency))
        try:
            wall, results, used = campaign(env, n, folder)
            per_row = naive(env, args.naive_rows)
        finally:
            process.terminate()
        floor = n * latency / 32
        print(
            f"1. {n} rows at {latency * 1000:g} ms, no limit: {wall:.1f} s ({states(results)}); "
            f"floor {floor:.1f} s -> {wall / floor:.2f}x the floor; naive loop {per_row * n:.1f} s "
            f"({per_row * 1000:.0f} ms/row timed on {args.naive_rows}) -> mmsnb {per_row * n / wall:.1f}x faster; "
            f"pace {results.mms.info.in_flight[-3:]}"
        )

        process, env = start("--latency", str(latency), "--max-in-flight", "8")
        try:
            wall, results, used = campaign(env, n, folder)
        finally:
            process.terminate()
        floor = n * latency / 8
        halvings = sum(1 for d, _ in results.mms.info.in_flight if d == "halve")
        print(
            f"2. {n} rows at {latency * 1000:g} ms, max 8 in flight: {wall:.1f} s ({states(results)}; gateway "
            f"accepted {used}); "
            f"floor {floor:.1f} s -> {wall / floor:.2f}x the floor; {halvings} halvings"
        )

        process, env = start("--fault", "throttled=0.2", "--retry-after", "0.2")
        try:
            wall, results, used = campaign(env, n, folder)
        finally:
            process.terminate()
        print(f"3. {n} rows, one in five told to slow down: {wall:.1f} s ({states(results)}; gateway accepted {used})")

        rows = min(n, 200)
        process, env = start()
        try:
            wall, results, used = campaign(env, rows, folder, rate="20/s")
        finally:
            process.terminate()
        measured = (rows - 1) / wall
        print(
            f"4. {rows} rows at rate='20/s': {measured:.2f}/s measured ({measured / 20:.3f}x the cap; "
            f"{states(results)})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
