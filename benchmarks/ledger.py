"""What a durable intent costs: the ledger's claim + intent + outcome per request, synchronous=FULL vs NORMAL.

    python benchmarks/ledger.py                 # 2 000 requests of 1 and of 50 addresses, each setting
    python benchmarks/ledger.py --requests 500  # fewer

Every request's intent (with its recipients' claims) is committed before the request leaves and
its outcome after the answer: two commits per request. With ``synchronous=FULL`` each commit
waits for the disk (fsync of the write-ahead log); with NORMAL a commit can be lost to a power
cut (not to a crash of the process). The table gives microseconds per request on the disk that
holds the temporary folder, and the ratio FULL / NORMAL, measured in this one run, next to the
cost of one send to the local sandbox for scale.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from mmsnb import Ledger, Sandbox


def per_request(folder: Path, synchronous: str, requests: int, addresses: int) -> float:
    """Seconds per request for claim + intent + outcome, on a fresh ledger."""
    with Ledger(folder / f"{synchronous}-{addresses}.sqlite") as ledger:
        with ledger._store.read() as tx:
            tx.execute(f"PRAGMA synchronous={synchronous}")
        run = ledger.start_run("bench")
        started = time.perf_counter()
        for no in range(requests):
            batch = [f"tel:+48501{no * addresses + i:06d}" for i in range(addresses)]
            begun = ledger.begin(run, "bench", "content", batch, True)
            ledger.finish(begun.request_id, "accepted", message_id=f"m{no}", http_status=200)
        elapsed = time.perf_counter() - started
        ledger.end_run(run)
    return elapsed / requests


def sandbox_send(count: int = 200) -> float:
    """Seconds per one-address send to the local sandbox (no ledger), for scale."""
    with Sandbox(quota=count + 10, seed=0) as sandbox:
        client = sandbox.client()
        client.send_mms("501000000", subject="warm-up")
        started = time.perf_counter()
        for i in range(count):
            client.send_mms(f"501{i:06d}", subject="Hej")
        elapsed = time.perf_counter() - started
        client.close()
    return elapsed / count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per measurement (default 2000)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mmsnb-bench-ledger-") as tmp:
        folder = Path(tmp)
        print(f"ledger on {folder} ({args.requests} requests per cell)")
        print(f"{'addresses/request':>18} {'NORMAL µs':>10} {'FULL µs':>10} {'FULL/NORMAL':>12}")
        for addresses in (1, 50):
            normal = per_request(folder, "NORMAL", args.requests, addresses)
            full = per_request(folder, "FULL", args.requests, addresses)
            print(f"{addresses:>18} {normal * 1e6:>10.0f} {full * 1e6:>10.0f} {full / normal:>11.2f}×")
    send = sandbox_send()
    print(
        f"one send to the local sandbox: {send * 1e6:.0f} µs; FULL adds "
        f"{(full - normal) / send:.1%} of that per request at 50 addresses"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
