"""What a durable intent costs: the ledger's claim + intent + outcome per request, on SQLite and on PostgreSQL,
next to the request's own time.

    python benchmarks/ledger.py                   # SQLite, and a throwaway PostgreSQL server (20–30 s)
    python benchmarks/ledger.py --quick           # fewer requests (about 10 s)
    python benchmarks/ledger.py --postgres URL    # your PostgreSQL database instead of a throwaway server

Every request of a send costs the ledger two transactions: ``Ledger.begin`` claims the recipients
and writes the intent before the request leaves, ``Ledger.finish`` writes the outcome after the
answer. Both are timed together, one request after another on a fresh ledger, with 1 and with 50
addresses per request, on:

* SQLite with ``synchronous=FULL``, the ledger's setting: each commit waits for the write-ahead log
  to reach the disk (the temporary folder's). NORMAL is measured for reference: there a committed
  intent can be lost to a power cut (not to a killed process).
* PostgreSQL over its unix socket and over TCP to 127.0.0.1, each measurement in a fresh database
  of a throwaway server that ``tests/postgres.py`` starts. That helper runs the server with
  ``fsync=off`` and takes no options, so its commits do not wait for the disk, unlike SQLite FULL:
  the output says so. ``--postgres URL`` measures the database you name instead (a server with
  fsync on, say), each measurement in its own schema, dropped afterwards; the user needs CREATE
  on the database, as the ledger does. Without psycopg or the server's programs, SQLite only.

Next to them, the request itself: the same addresses sent in one request (no attachment: the
smallest request there is) to an ``mmsnb.Sandbox`` in this process, with no added latency and with
100 ms. The table gives µs per request and what the ledger adds to a request, in per cent of the
request's own time.
"""

from __future__ import annotations

import itertools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import common
from common import log

import mmsnb
from mmsnb.ledger import locate
from mmsnb.ledger import postgres as ledger_postgres

# The throwaway PostgreSQL server is the tests' helper (tests/postgres.py): mmsnb does not ship it,
# and copying it here would leave two versions of its watchdog and its root/runuser handling to keep
# in step. tests/ is not a package, so its folder goes first on sys.path for this one import.
sys.path.insert(0, str(common.ROOT / "tests"))
from postgres import PostgresServer, PostgresUnavailable

ADDRESSES = (1, 50)
#: Requests written before the clock starts: the connection, the schema and the caches are warm.
WARM_UP = 20
#: Requests per measurement (engine kind -> (full run, --quick)).
REQUESTS = {"sqlite": (2000, 300), "postgresql": (300, 100)}
#: Sends to the sandbox per measurement (latency -> (full run, --quick)).
SENDS = {0.0: (200, 50), 0.1: (30, 10)}


# the ledger ---------------------------------------------------------------------------------------
def per_request(spec: str | Path, requests: int, addresses: int, *, synchronous: str | None = None) -> dict[str, float]:
    """µs of wall and of this process's CPU per request for claim + intent + outcome, on a fresh ledger.

    ``synchronous``: SQLite's setting instead of the ledger's FULL.
    """
    batches = [[f"tel:+48501{no * addresses + i:06d}" for i in range(addresses)] for no in range(WARM_UP + requests)]
    with mmsnb.Ledger(spec) as ledger:
        if synchronous:
            with ledger._store.read() as tx:  # the ledger sets FULL and has no option for another
                tx.execute(f"PRAGMA synchronous={synchronous}")
        run = ledger.start_run("bench")
        clock: list[float] = []  # perf_counter before each timed request, and after the last
        for no, batch in enumerate(batches):
            if no == WARM_UP:
                cpu = time.process_time()
            if no >= WARM_UP:
                clock.append(time.perf_counter())
            begun = ledger.begin(run, "bench", "content", batch, True)
            ledger.finish(begun.request_id, "accepted", message_id=f"m{no}", http_status=200)
        clock.append(time.perf_counter())
        cpu = time.process_time() - cpu
        ledger.end_run(run)
    if ledger.location.engine == "postgresql":
        # A pool per URL stays open for the process's life; this database is done with, so its pool goes now
        # (before the next measurement, and before the server stops under it).
        ledger_postgres._close_pools()
    each = [after - before for before, after in itertools.pairwise(clock)]
    tenth = max(1, requests // 10)
    return {
        "us": (clock[-1] - clock[0]) / requests * 1e6,
        "cpu_us": cpu / requests * 1e6,
        # medians, so that one slow disk sync does not pass for growth
        "median_us": statistics.median(each) * 1e6,
        "first_tenth_us": statistics.median(each[:tenth]) * 1e6,
        "last_tenth_us": statistics.median(each[-tenth:]) * 1e6,
        "requests": requests,
    }


def server_settings(url: str) -> dict[str, str]:
    """The server's version and the settings that decide whether a commit waits for the disk."""
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=30) as conn:
        return {
            name: str(conn.execute(f"SHOW {name}").fetchone()[0])
            for name in ("server_version", "fsync", "synchronous_commit", "wal_sync_method")
        }


def with_schema(url: str, schema: str) -> str:
    """``url`` with ``schema`` as the only one on its search path (libpq's ``options``, percent-encoded)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    given = " ".join(v for k, v in query if k == "options")
    query = [(k, v) for k, v in query if k != "options"]
    query.append(("options", f"{given} -csearch_path={schema}".strip()))
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


def route(url: str) -> str:
    """How ``url`` reaches its server: ``unix socket`` (no host, or a folder), else ``TCP host``."""
    parts = urlsplit(url)
    host = parts.hostname or dict(parse_qsl(parts.query)).get("host", "")
    return "unix socket" if not host or host.startswith("/") else f"TCP {host}"


class Throwaway:
    """A fresh database per measurement on the throwaway server (tests/postgres.py), by unix socket or TCP."""

    def __init__(self, server: PostgresServer) -> None:
        self.server, self.made = server, 0

    def _database(self) -> str:
        self.made += 1
        name = f"bench_{self.made}"
        self.server.create_database(name)
        return name

    def socket_url(self, addresses: int) -> str:
        """Its unix socket, where local connections need no password."""
        assert self.server.root is not None
        socket = quote(str(self.server.root / "socket"), safe="")
        return f"postgresql://postgres@/{self._database()}?host={socket}&port={self.server.port}"

    def tcp_url(self, addresses: int) -> str:
        """127.0.0.1 and its port, with the password."""
        return self.server.url(self._database())


class Named:
    """A fresh schema per measurement in the database ``--postgres`` names; every schema is dropped at the end."""

    def __init__(self, url: str) -> None:
        self.base, self.schemas = url, []

    def url(self, addresses: int) -> str:
        import psycopg

        schema = f"mmsnb_bench_{os.getpid()}_{len(self.schemas) + 1}"
        with psycopg.connect(self.base, autocommit=True, connect_timeout=30) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        self.schemas.append(schema)
        return with_schema(self.base, schema)

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self.base, autocommit=True, connect_timeout=30) as conn:
            for schema in self.schemas:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


# the request itself -----------------------------------------------------------------------------
def request_time(latency: float, sends: int, addresses: int) -> dict[str, float]:
    """µs per send of one message without attachment to ``addresses`` numbers, to a sandbox in this process
    (as ``mmsnb.send`` sends: ``send_checked``, the numbers already in the gateway's form)."""
    batch = [f"tel:+48501{i:06d}" for i in range(addresses)]
    message = mmsnb.Message(subject="Hej").check()
    with mmsnb.Sandbox(quota=sends + 10, seed=0, latency=latency) as sandbox:
        client = sandbox.client()
        client.send_checked(batch, message)  # the token and the connection, outside the measurement
        started = time.perf_counter()
        for _ in range(sends):
            client.send_checked(batch, message)
        elapsed = time.perf_counter() - started
        client.close()
    return {"us": elapsed / sends * 1e6, "sends": sends}


# output -------------------------------------------------------------------------------------------
def percent(part: float | None, whole: float | None) -> str:
    if part is None or not whole:
        return "—"
    share = part / whole * 100
    return f"{share:.2f} %" if share < 1 else f"{share:.1f} %" if share < 10 else f"{share:.0f} %"


def us(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def print_report(report: dict[str, Any]) -> None:
    pg = report["postgres"]
    log(f"\nPostgreSQL: {pg['note']}")
    sends = {(r["latency"], r["addresses"]): r["us"] for r in report["sends"] if r.get("us") is not None}
    cells = {(c["engine"], c["addresses"]): c for c in report["cells"]}
    engines = list(dict.fromkeys(c["engine"] for c in report["cells"]))
    labels = {c["engine"]: c["label"] for c in report["cells"]}
    full = {a: (cells.get(("sqlite-full", a)) or {}).get("us") for a in ADDRESSES}
    head = ["per request", "1 address µs", "50 addresses µs", "× SQLite FULL (1 / 50)"]
    head += [f"+ % of a {ms} ms request ({a})" for ms in (0, 100) for a in ("1", "50")]
    rows: list[list[object]] = []
    for engine in engines:
        at = {a: (cells.get((engine, a)) or {}).get("us") for a in ADDRESSES}
        versus = " / ".join(
            common.fmt_ratio(common.ratio(at[a], full[a])) if at[a] and full[a] else "—" for a in ADDRESSES
        )
        shares = [percent(at[a], sends.get((latency, a))) for latency in (0.0, 0.1) for a in ADDRESSES]
        rows.append([labels[engine], us(at[1]), us(at[50]), versus, *shares])
    for latency in (0.0, 0.1):
        counts = {r["sends"] for r in report["sends"] if r["latency"] == latency}
        label = f"the request: one send to the sandbox at {latency * 1000:g} ms ({'/'.join(map(str, counts))} sends)"
        rows.append([label, us(sends.get((latency, 1))), us(sends.get((latency, 50))), "", "", "", "", ""])
    common.table(head, rows)
    log(
        "\nµs: mean wall time per request (the ledger: begin + finish, two commits, on a fresh ledger; the request:"
        " one send without attachment to an in-process sandbox). '+ %': the ledger's µs over the request's own"
        " at that latency and size."
    )
    log(
        "\nwithin each run, µs per request: the median; the medians of its first and of its last tenth (growth);"
        " this process's CPU"
    )
    for engine in engines:
        for a in ADDRESSES:
            c = cells.get((engine, a)) or {}
            if c.get("us") is not None:
                growth = common.fmt_ratio(common.ratio(c["last_tenth_us"], c["first_tenth_us"]))
                log(
                    f"  {labels[engine]}, {a} address{'es' if a > 1 else ''}, {c['requests']} requests: "
                    f"median {us(c.get('median_us'))}; {us(c['first_tenth_us'])} → {us(c['last_tenth_us'])} "
                    f"({growth}); CPU {us(c['cpu_us'])}"
                )


# main ---------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    p = common.parser(__doc__)
    p.add_argument(
        "--requests",
        type=int,
        help=(
            f"requests per measurement, on every engine (default {REQUESTS['sqlite'][0]} on SQLite and "
            f"{REQUESTS['postgresql'][0]} on PostgreSQL; {REQUESTS['sqlite'][1]} and "
            f"{REQUESTS['postgresql'][1]} with --quick)"
        ),
    )
    p.add_argument(
        "--postgres",
        metavar="URL",
        help=(
            "measure this PostgreSQL database (postgresql://user:pw@host:port/db) instead of a throwaway server; "
            "each measurement gets its own schema there, dropped afterwards"
        ),
    )
    args = p.parse_args(argv)
    if args.report:
        return common.replay(args.report, print_report)
    report = common.start("what a durable intent costs: the ledger per request, SQLite and PostgreSQL", args)
    report.update(cells=[], sends=[], postgres={})
    pg = report["postgres"]

    def measure(engine: str, label: str, ledger_for: Callable[[int], Any], **options: Any) -> None:
        """Both sizes of request on ``engine``, each on the fresh ledger ``ledger_for(addresses)`` names."""
        kind = "postgresql" if engine.startswith("postgresql") else "sqlite"
        requests = args.requests or REQUESTS[kind][1 if args.quick else 0]
        for addresses in ADDRESSES:
            found = common.attempt(
                report,
                f"{label}, {addresses} addresses",
                lambda a=addresses: per_request(ledger_for(a), requests, a, **options),
            )
            report["cells"].append(
                {"engine": engine, "label": label, "addresses": addresses, **(found or {"us": None})}
            )
            if found:
                log(f"  {label}, {addresses} address(es): {found['us']:,.0f} µs per request ({requests} requests)")

    with tempfile.TemporaryDirectory(prefix="mmsnb-bench-ledger-") as tmp:
        folder = Path(tmp)
        log(f"# SQLite ledgers in {folder}")
        measure("sqlite-full", "SQLite, synchronous=FULL (the ledger's)", lambda a: folder / f"full-{a}.sqlite")
        measure(
            "sqlite-normal", "SQLite, synchronous=NORMAL", lambda a: folder / f"normal-{a}.sqlite", synchronous="NORMAL"
        )

    if args.postgres:
        shown = str(locate(args.postgres))
        settings = common.attempt(report, f"reading the settings of {shown}", lambda: server_settings(args.postgres))
        if settings is None:
            pg["note"] = f"{shown} (--postgres) could not be read; measured SQLite only"
        else:
            pg.update(settings, source=shown)
            pg["note"] = (
                f"{settings['server_version']} at {shown} (--postgres): fsync={settings['fsync']}, "
                f"synchronous_commit={settings['synchronous_commit']}, wal_sync_method={settings['wal_sync_method']}"
            )
            log(f"# PostgreSQL {pg['note']}")
            named = Named(args.postgres)
            try:
                version = settings["server_version"].split()[0]
                label = f"PostgreSQL {version}, {route(args.postgres)} (--postgres), fsync={settings['fsync']}"
                measure("postgresql", label, named.url)
            finally:
                common.attempt(report, "dropping the benchmark's schemas", named.drop)
    else:
        server = PostgresServer()
        try:
            server.start()
        except PostgresUnavailable as why:
            pg["note"] = f"no throwaway server could be started here ({why}); measured SQLite only"
            log(f"# PostgreSQL: {pg['note']}")
        else:
            try:
                settings = server_settings(server.url())
                pg.update(settings, source="throwaway server (tests/postgres.py)")
                pg["note"] = (
                    f"{settings['server_version']}, a throwaway server from tests/postgres.py, which runs it with "
                    f"fsync={settings['fsync']} (synchronous_commit={settings['synchronous_commit']})"
                )
                if settings["fsync"] == "off":
                    pg["note"] += ": its commits do not wait for the disk, unlike SQLite FULL's"
                log(f"# PostgreSQL {pg['note']}")
                fresh = Throwaway(server)
                version, fsync = settings["server_version"].split()[0], settings["fsync"]
                measure("postgresql-socket", f"PostgreSQL {version}, unix socket, fsync={fsync}", fresh.socket_url)
                measure("postgresql-tcp", f"PostgreSQL {version}, TCP 127.0.0.1, fsync={fsync}", fresh.tcp_url)
            finally:
                server.stop()

    for latency, counts in SENDS.items():
        sends = counts[1 if args.quick else 0]
        for addresses in ADDRESSES:
            found = common.attempt(
                report,
                f"sends at {latency * 1000:g} ms, {addresses} addresses",
                lambda latency=latency, sends=sends, a=addresses: request_time(latency, sends, a),
            )
            report["sends"].append({"latency": latency, "addresses": addresses, **(found or {"us": None})})
            if found:
                log(f"  one send at {latency * 1000:g} ms, {addresses} address(es): {found['us']:,.0f} µs ({sends})")
    return common.finish(report, print_report)


if __name__ == "__main__":
    sys.exit(main())
