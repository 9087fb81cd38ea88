"""The send path, side by side in one run: the naive loop, a hand-written pool, mmsnb.send, and the floor.

    python benchmarks/send.py            # 2 000 recipients, a ~26 KB and a ~110 KB JPEG, 100 ms and 0 ms (about 3 min)
    python benchmarks/send.py --quick    # 300 recipients (about 40 s)
    python benchmarks/send.py --latencies 0.1 --images 26k   # one block

One request per recipient, the same subject and one JPEG each, against a fresh ``mmsnb.Sandbox`` in
a process of its own (``common.with_sandbox``), each approach in a fresh client process:

1. **the naive loop**: one ``requests`` session (``OAuth2Session``), one POST after another, the
   file read and encoded per row (``campaign.naive_send``). It is strictly sequential, so at a
   latency it is timed on ``--naive-rows`` rows and its time per row gives its time for all.
2. **the pool**: what a skilled user writes, 32 threads with a session each (one token shared), the
   image read and base64-encoded once, the multipart body built per row; no ledger, no pacing.
3. **mmsnb**: ``mmsnb.send(group=False)`` with its defaults (a SQLite ledger in a temporary folder).
4. **the floor**: ``rows × latency / 32``, 32 being the pool's threads and mmsnb's ``max_workers``.
5. **the pool with mmsnb's base64 lines**: the same pool, its base64 in 76-character lines as mmsnb writes
   it (RFC 2045). A diagnostic: the sandbox's e-mail parser reads a body line by line, so these bodies cost
   it more CPU, and at 0 ms (and with the large JPEG at 100 ms) the sandbox's one process is the limit.

Wall time and client CPU (``time.process_time()`` of the client process, every thread) cover the
job from credentials to the last answer: each approach's access token (the naive loop's once, not per row
in its estimate), and mmsnb's planning and quota readings (they are part of ``mmsnb.send``). The images are
random noise made with Pillow from a fixed seed, so each run sends the same bytes.
"""

from __future__ import annotations

import base64
import functools
import importlib
import json
import random
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import common
import requests_oauthlib
from campaign import naive_send
from common import SEND_PATH, SUBJECT, Job, log
from PIL import Image

#: (name, width, height) of the noise JPEGs: about 26 KB and 110 KB at quality 75.
IMAGES = (("noise-26k.jpg", 234, 176), ("noise-110k.jpg", 488, 366))
THREADS = 32


def make_image(folder: Path, name: str, width: int, height: int) -> Path:
    """A random-noise JPEG from a fixed seed (noise does not compress: its size follows its pixels)."""
    rng = random.Random(name)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    path = folder / name
    image.save(path, "JPEG", quality=75)
    return path


def _timed(run: Any) -> dict[str, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    sent = run()
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "sent": sent}


def job_naive(job: Job) -> dict[str, Any]:
    """The naive loop, its token fetched within its time (as every approach's is), said apart as ``setup``."""
    env, df = job["env"], common.make_frame(job["rows"])
    setup = time.perf_counter()
    session = common.naive_session(env)
    setup = time.perf_counter() - setup
    out = _timed(lambda: sum(1 for i in naive_send(session, env, df, Path(job["image"])) if i))
    return {**out, "wall": out["wall"] + setup, "setup": setup}


def _headers(name: str, kind: str, encoding: str) -> dict[str, str]:
    return {
        "Content-Type": kind,
        "Content-Transfer-Encoding": encoding,
        "Content-Disposition": f'form-data; name="{name}"; filename="{name}"',
    }


def _pool_body(number: str, image_name: str, image_b64: bytes) -> tuple[bytes, str]:
    from urllib3.fields import RequestField
    from urllib3.filepost import encode_multipart_formdata

    part = json.dumps(
        {"addresses": [f"tel:+48{number}"], "subject": SUBJECT, "deliveryReport": True}, ensure_ascii=False
    ).encode("utf-8")
    fields = [
        RequestField(name, data, filename=name, headers=_headers(name, kind, encoding))
        for name, data, kind, encoding in (
            ("messagePart", part, "application/json", "binary"),
            (image_name, image_b64, "image/jpeg", "base64"),
        )
    ]
    return encode_multipart_formdata(fields)


def job_pool(job: Job) -> dict[str, Any]:
    """32 threads, a session each, the image encoded once: what a skilled user writes (no ledger, no pacing);
    with ``job["lines"]``, its base64 in 76-character lines as mmsnb writes it (RFC 2045), which costs the
    sandbox's parser more (a diagnostic: the same pool, the sandbox's share of the difference)."""
    env, df = job["env"], common.make_frame(job["rows"])
    image = Path(job["image"])
    local = threading.local()
    token = None

    def session() -> requests_oauthlib.OAuth2Session:
        if not hasattr(local, "session"):
            local.session = requests_oauthlib.OAuth2Session(env["client_id"], token=token)
        return local.session

    def one(number: str, image_b64: bytes) -> bool:
        body, content_type = _pool_body(number, image.name, image_b64)
        resp = session().post(
            env["url"] + SEND_PATH, data=body, headers={"Content-Type": content_type}, verify=env["ca_path"], timeout=60
        )
        return resp.ok

    def run() -> int:
        nonlocal token
        token = common.naive_session(env).token
        data = image.read_bytes()
        image_b64 = base64.encodebytes(data).replace(b"\n", b"\r\n") if job.get("lines") else base64.b64encode(data)
        with ThreadPoolExecutor(THREADS) as pool:
            return sum(pool.map(lambda n: one(n, image_b64), df["msisdn"].tolist()))

    return _timed(run)


def job_mmsnb(job: Job) -> dict[str, Any]:
    """``mmsnb.send``, its modules loaded before the clock starts (``mmsnb`` loads them on first use), as the
    other approaches' modules are."""
    importlib.import_module("mmsnb.campaign")
    env, df = job["env"], common.make_frame(job["rows"])
    with tempfile.TemporaryDirectory(prefix="mmsnb-bench-") as tmp:
        client = common.mmsnb_client(env)
        out = _timed(
            lambda: int(
                (common.send_campaign(client, df, tmp, group=False, image=Path(job["image"])).send_state == "accepted")
                .sum()
                .item()
            )
        )
        client.close()
    return out


def job_pool_lines(job: Job) -> dict[str, Any]:
    return job_pool({**job, "lines": True})


APPROACHES = (
    ("naive loop", job_naive),
    ("pool of 32", job_pool),
    ("mmsnb.send(group=False)", job_mmsnb),
    ("pool, 76-character lines", job_pool_lines),
)


def measure(args: Any, image: Path, latency: float, label: str, target: Any) -> dict[str, Any]:
    rows = args.naive_rows if label == "naive loop" and latency > 0 else args.rows
    result, sandbox = common.with_sandbox(
        target, {"rows": rows, "image": str(image)}, latency=latency, time_scale=6000, quota=1_000_000, seed=0
    )
    setup = result.get("setup", 0.0)
    per_row = (result["wall"] - setup) / rows
    result.update(
        label=label,
        latency=latency,
        image=image.name,
        kb=image.stat().st_size / 1000,
        rows=rows,
        wall_all=setup + per_row * args.rows,  # the naive loop at a latency: its token, then per row × every row
        cpu_per_request=result["cpu"] / rows,
        sandbox_cpu=sandbox["cpu"],
    )
    log(
        f"  {latency * 1000:3.0f} ms {image.name:<15} {label:<24} {rows:5,} rows  wall {result['wall']:7.2f} s"
        f"  client CPU {result['cpu_per_request'] * 1e3:.2f} ms/request  sandbox CPU {sandbox['cpu']:.1f} s"
        f"  accepted {result['sent']}"
    )
    return result


def print_report(report: dict[str, Any]) -> None:
    runs, rows = report["send"], report["args"]["rows"]
    lines = []
    for (latency, image), group in _grouped(runs).items():
        naive, pool, mine, lined = (group.get(label) for label, _ in APPROACHES)
        if not (naive and pool and mine):
            continue
        floor = rows * latency / THREADS
        lines.append(
            [
                f"{latency * 1000:.0f} ms",
                f"{image} ({mine['kb']:.0f} KB)",
                f"{naive['wall_all']:.1f}"
                + (" (timed on {:,})".format(naive["rows"]) if naive["rows"] != rows else ""),
                f"{pool['wall_all']:.2f}",
                f"{mine['wall_all']:.2f}",
                f"{floor:.2f}" if floor else "—",
                common.fmt_ratio(naive["wall_all"] / mine["wall_all"]),
                f"{mine['wall_all'] / pool['wall_all']:.2f}×",
                f"{mine['wall_all'] / floor:.2f}×" if floor else "—",
                f"{naive['cpu_per_request'] * 1e3:.2f} / {pool['cpu_per_request'] * 1e3:.2f} / "
                f"{mine['cpu_per_request'] * 1e3:.2f}",
                f"{mine['cpu_per_request'] / naive['cpu_per_request']:.2f}×",
                f"{lined['wall_all']:.2f} ({mine['wall_all'] / lined['wall_all']:.2f}×)" if lined else "—",
            ]
        )
    log(f"\n{rows:,} recipients, one request each (mmsnb: time ÷ the other's; < 1 is faster):\n")
    common.table(
        [
            "latency",
            "JPEG",
            "naive loop s",
            "pool s",
            "mmsnb s",
            "floor s",
            "mmsnb faster than naive",
            "mmsnb ÷ pool",
            "mmsnb ÷ floor",
            "client CPU ms/request (naive / pool / mmsnb)",
            "CPU mmsnb ÷ naive",
            "pool sending 76-character lines s (mmsnb ÷ it)",
        ],
        lines,
    )


def _grouped(runs: list[dict[str, Any]]) -> dict[tuple[float, str], dict[str, dict[str, Any]]]:
    out: dict[tuple[float, str], dict[str, dict[str, Any]]] = {}
    for r in runs:
        out.setdefault((r["latency"], r["image"]), {})[r["label"]] = r
    return out


def main(argv: list[str] | None = None) -> int:
    p = common.parser(__doc__)
    p.add_argument("--rows", type=int, help="recipients (default 2000; 300 with --quick)")
    p.add_argument("--naive-rows", type=int, help="rows the naive loop is timed on at a latency (default 300; 50)")
    p.add_argument("--latencies", default="0.1,0", help="gateway latencies, s, comma-separated (default 0.1,0)")
    p.add_argument("--images", default="26k,110k", help="the JPEGs, comma-separated (default 26k,110k)")
    args = p.parse_args(argv)
    if args.report:
        return common.replay(args.report, print_report)
    args.rows = args.rows or (300 if args.quick else 2000)
    args.naive_rows = min(args.rows, args.naive_rows or (50 if args.quick else 300))
    report = common.start("the send path: naive loop, pool of 32, mmsnb.send(group=False), floor", args)
    report["send"] = []
    with tempfile.TemporaryDirectory(prefix="mmsnb-bench-images-") as tmp:
        wanted = [f"noise-{size.strip()}.jpg" for size in args.images.split(",")]
        images = [make_image(Path(tmp), *spec) for spec in IMAGES if spec[0] in wanted]
        for latency in (float(x) for x in args.latencies.split(",")):
            log(f"\n## latency {latency * 1000:.0f} ms")
            for image in images:
                for label, target in APPROACHES:
                    found = common.attempt(
                        report, f"{label} {image.name}", functools.partial(measure, args, image, latency, label, target)
                    )
                    if found:
                        report["send"].append(found)
    return common.finish(report, print_report)


if __name__ == "__main__":
    sys.exit(main())
