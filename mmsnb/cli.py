"""The ``mmsnb`` command: sandbox, send, status, limit and demo.

$ mmsnb demo
$ mmsnb sandbox --port 8787 --quota 100 --seed 0
$ mmsnb send 501102030 --subject "Cześć" --attach data/promo.jpg
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import fields
from datetime import UTC

from .errors import MMSError
from .message import PRIORITIES


def _sandbox(args: argparse.Namespace) -> int:
    from .sandbox import Faults, Sandbox

    faults = (
        Faults(**dict(args.fault), slow_seconds=args.slow_seconds, retry_after=args.retry_after) if args.fault else None
    )
    sandbox = Sandbox(
        host=args.host,
        port=args.port,
        latency=args.latency,
        faults=faults,
        quota=args.quota,
        seed=args.seed,
        time_scale=args.time_scale,
        token_lifetime=args.token_lifetime,
        window=args.window,
        max_in_flight=args.max_in_flight,
        rate=args.rate,
    )

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    print("# mmsnb sandbox: paste these lines into your shell or a .env file", flush=True)
    for name, value in sandbox.env().items():
        print(f"{name}={value}", flush=True)
    until = f"for {args.stop_after:g} s" if args.stop_after else "until interrupted"
    print(f"# serving on {sandbox.url} {until} (Ctrl-C stops it)", flush=True)
    with suppress(KeyboardInterrupt):
        sandbox.serve(args.stop_after or None)
    print("# sandbox stopped", flush=True)
    return 0


def _send(args: argparse.Namespace) -> int:
    """Send through the ledger, as a one-row-per-number campaign: the same command again sends nothing."""
    from datetime import datetime

    import pandas as pd

    from .campaign import send
    from .client import Client
    from .results import SendInfo, SendState

    campaign = args.campaign
    if args.again:
        campaign = f"{campaign or 'cli'}-again-{datetime.now(UTC):%Y%m%dT%H%M%S.%fZ}"
    results = send(
        Client.from_env(),
        pd.DataFrame({"number": args.numbers}),
        to="number",
        subject=args.subject,
        sender=args.sender,
        priority=args.priority,
        delivery_report=not args.no_delivery_report,
        attachments=args.attach or None,
        campaign=campaign,
        ledger=args.ledger,
        progress=False,
    )
    info = SendInfo.of(results)
    assert info is not None
    for row in results.itertuples():
        who = row.address if isinstance(row.address, str) else repr(row.number)
        if row.send_state == SendState.ACCEPTED:
            print(f"{who}: sent, message id: {row.message_id}")
        elif row.send_state == SendState.ALREADY_SENT:
            print(
                f"{who}: already sent at {row.sent_at:%Y-%m-%d %H:%M:%S} UTC as message id: {row.message_id} "
                f"(campaign {info.campaign}); not sent again. Add --again to send it anew."
            )
        else:
            print(f"{who}: not sent ({row.send_state!s}): {row.error}", file=sys.stderr)
    states = set(results.send_state.astype(str))
    if states <= {SendState.ACCEPTED, SendState.ALREADY_SENT}:
        return 0
    return 2 if states <= {SendState.ACCEPTED, SendState.ALREADY_SENT, SendState.INVALID, SendState.DUPLICATE} else 1


def _status(args: argparse.Namespace) -> int:
    from .client import Client

    status = Client.from_env().delivery_status(args.message_id)
    print(f"{status.status} ({status.category}, {'final' if status.final else 'not final'}): {status.meaning}")
    for a in status.addresses:
        print(f"  {a.address}: {a.status} ({a.category})")
    return 0


def _limit(args: argparse.Namespace) -> int:
    from .client import Client

    limit = Client.from_env().limit()
    print(f"used {limit.used}, available {limit.available}, resets on {limit.resets_on or 'unknown'}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run

    run(out=args.out, quota=args.quota, seed=args.seed)
    return 0


def _fault(text: str) -> tuple[str, float]:
    from .sandbox.faults import SETTINGS, Faults

    name, _, rate = text.partition("=")
    known = [f.name for f in fields(Faults) if f.name not in SETTINGS]
    if name not in known:
        raise argparse.ArgumentTypeError(f"unknown fault {name!r}; choose from {', '.join(known)}")
    try:
        return name, float(rate)
    except ValueError:
        raise argparse.ArgumentTypeError(f"give a rate for {name}, e.g. {name}=0.05") from None


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="mmsnb", description="Send MMS through Orange Polska's MMSOnnet API, or try it on a local sandbox."
    )
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sandbox", help="run a local gateway sandbox over HTTPS")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    p.add_argument("--port", type=int, default=8787)
    p.add_argument("--quota", type=int, default=100, help="requests per quota window")
    p.add_argument("--window", type=float, default=86400.0, help="quota window in seconds")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--time-scale", type=float, default=60.0, help="simulated seconds per real second")
    p.add_argument("--token-lifetime", type=float, default=3600.0, help="access token lifetime in seconds")
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    p.add_argument(
        "--fault",
        type=_fault,
        action="append",
        default=[],
        metavar="KIND=RATE",
        help="inject a fault at a rate, e.g. server_error=0.05",
    )
    p.add_argument("--slow-seconds", type=float, default=3.0, help="delay of a 'slow' fault")
    p.add_argument(
        "--retry-after", type=float, default=1.0, help="seconds in Retry-After of a 'throttled' or 'busy' fault"
    )
    p.add_argument(
        "--max-in-flight",
        type=int,
        default=None,
        metavar="N",
        help="answer 429 (Retry-After) when more than N API requests are in progress at once",
    )
    p.add_argument(
        "--rate",
        default=None,
        metavar="R/s",
        help="answer 429 (Retry-After) past this many API requests per second, e.g. 20/s",
    )
    p.add_argument(
        "--stop-after", type=float, default=3600.0, help="stop after this many seconds (0: until interrupted)"
    )
    p.set_defaults(run=_sandbox)

    p = sub.add_parser(
        "send",
        help="send one MMS (credentials from MMSNB_* variables)",
        description="Send one MMS to one or more numbers, through the ledger: the same command again sends nothing.",
        epilog="Reads MMSNB_CLIENT_ID, MMSNB_CLIENT_SECRET, MMSNB_BASE_URL, MMSNB_TOKEN_URL, MMSNB_CA_BUNDLE and "
        "MMSNB_LEDGER from the environment or a .env file.",
    )
    p.add_argument("numbers", nargs="+", help="numbers in any common form; quote one written with spaces")
    p.add_argument("--subject", help="the text of the message")
    p.add_argument("--sender", help="the sender name shown to the recipient")
    p.add_argument("--priority", choices=PRIORITIES, help="the message's priority")
    p.add_argument("--attach", action="append", default=[], metavar="FILE", help="a file to attach (repeat for more)")
    p.add_argument("--no-delivery-report", action="store_true", help="do not ask for a delivery report")
    p.add_argument("--campaign", help="the campaign name (default: derived from the message's content)")
    p.add_argument(
        "--ledger", metavar="PATH", help="the ledger file (default: MMSNB_LEDGER, else mmsnb-ledger.sqlite here)"
    )
    p.add_argument("--again", action="store_true", help="send even if this message already went to these numbers")
    p.set_defaults(run=_send)

    p = sub.add_parser("status", help="delivery status of a message id")
    p.add_argument("message_id")
    p.set_defaults(run=_status)

    p = sub.add_parser("limit", help="the request quota")
    p.set_defaults(run=_limit)

    p = sub.add_parser("demo", help="a whole campaign on the embedded sandbox")
    p.add_argument("--out", default="out/demo", help="folder for the results and charts")
    p.add_argument("--quota", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=_demo)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mmsnb`` command."""
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
        return code
    except MMSError as exc:
        print(f"mmsnb: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
