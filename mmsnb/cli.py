"""The ``mmsnb`` command: sandbox, send, status, limit, opt-out, opt-in and demo.

$ mmsnb demo
$ mmsnb sandbox --port 8787 --quota 100 --seed 0
$ mmsnb send 501102030 --subject "Cześć" --attach data/promo.jpg --min-gap 7D
$ mmsnb send 501102030 --attach data/big.jpg --fit
$ mmsnb opt-out 501102030 --reason "replied STOP"

A thin front end: it parses the command line, calls the library and prints sentences. Every
error is one or two sentences on stderr, never a traceback (``--debug`` shows it): exit status 2
for a mistake in the command or the settings, 1 when the gateway refused or could not be reached.
"""

from __future__ import annotations

import argparse
import difflib
import errno
import os
import re
import shlex
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import fields
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from .config import VARIABLES
from .errors import BadRequestError, ConfigError, InputError, LedgerError, MMSError
from .message import PRIORITIES

if TYPE_CHECKING:
    from .client import Client

#: What each ``MMSNB_*`` variable sets, for the subcommands' ``--help``.
DESCRIBED = {
    "MMSNB_CLIENT_ID": "the application's client id from the developer portal",
    "MMSNB_CLIENT_SECRET": "its client secret",
    "MMSNB_AUTHORIZATION": "instead of the id and secret: the ready 'Basic ...' header the portal shows",
    "MMSNB_CREDENTIAL_ENCODING": "'form' (the default, RFC 6749 §2.3.1) or 'raw'",
    "MMSNB_BASE_URL": "the gateway (default: https://apigateway-prd.orange.pl)",
    "MMSNB_TOKEN_URL": "the token endpoint (default: the gateway's)",
    "MMSNB_CA_BUNDLE": "a CA bundle to trust (a sandbox's certificate)",
    "MMSNB_LEDGER": "the ledger: a file or a PostgreSQL URL (default: mmsnb-ledger.sqlite in the working folder)",
}
#: The variables a command that talks to the gateway reads; ``send`` reads the ledger's too.
#: The variables ``mmsnb sandbox`` prints.
PRINTED = (
    "MMSNB_CLIENT_ID",
    "MMSNB_CLIENT_SECRET",
    "MMSNB_BASE_URL",
    "MMSNB_TOKEN_URL",
    "MMSNB_CA_BUNDLE",
    "MMSNB_LEDGER",
)
GATEWAY_VARIABLES = tuple(v for v in VARIABLES.values() if v != "MMSNB_LEDGER")
#: The column of a recipients CSV that holds the numbers, unless ``--column`` names another.
NUMBER_COLUMN = "msisdn"
#: How ``opt-out`` and ``opt-in`` say what became of each valid number, by the library's ``result``.
CHANGED = {
    "opted-out": "opted out",
    "already-opted-out": "already opted out",
    "opted-in": "opted in",
    "not-opted-out": "was not opted out",
}
_DIGITS = re.compile(r"\d+")
_FIRST_DIGITS = re.compile(r"\+?\d+")


class Usage(Exception):
    """A mistake on the command line, shown as ``mmsnb <command>: error: <sentence>`` with exit status 2."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors suggest the closest option or subcommand (argparse 3.11 does not)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}{self.suggestion(message)}\n")

    def options(self) -> list[str]:
        return [o for action in self._actions for o in action.option_strings if o.startswith("--")]

    def suggestion(self, message: str) -> str:
        """ " Did you mean ...?" for a misspelt option or subcommand, else ''."""
        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice:
            known = re.findall(r"'([^']*)'", choice[2])
            close = difflib.get_close_matches(choice[1], known, n=1)
        else:
            words = message.partition("unrecognized arguments: ")[2].split()
            close = [
                match
                for word in words
                if word.startswith("--")
                for match in difflib.get_close_matches(word.partition("=")[0], self.options(), n=1, cutoff=0.6)
            ][:1]
        return f". Did you mean {close[0]}?" if close else ""


def for_shell(sentence: str, options: Mapping[str, str] | None = None) -> str:
    """The library's sentence with Python parameters (``client_id=``) replaced by what a shell user sets.

    >>> for_shell("No client id: set MMSNB_CLIENT_ID in the environment or a .env file, or pass client_id=.")
    'No client id: set MMSNB_CLIENT_ID in the environment or a .env file.'
    >>> for_shell("The CA bundle 'x' (MMSNB_CA_BUNDLE or verify=) does not exist.")
    "The CA bundle 'x' (MMSNB_CA_BUNDLE) does not exist."
    >>> for_shell("quota= must be a whole number of requests, 0 or more, not -1.", {"quota": "--quota"})
    '--quota must be a whole number of requests, 0 or more, not -1.'
    >>> for_shell("Not sent: this number opted out on 2026-11-20. mmsnb.opt_in(...) ends it.")
    "Not sent: this number opted out on 2026-11-20. 'mmsnb opt-in NUMBER' ends it."
    >>> for_shell("Not sent: campaign 'a' contacted this number on 2026-11-20 09:30 UTC, within min_gap=7D.")
    "Not sent: campaign 'a' contacted this number on 2026-11-20 09:30 UTC, within --min-gap 7D."
    >>> for_shell("The attachments total 511 KB, 211 KB over the limit of 300 KB. Pass fit=True to shrink it.")
    'The attachments total 511 KB, 211 KB over the limit of 300 KB. Add --fit to shrink it.'
    """
    options = options or {}
    text = re.sub(r",? or pass [a-z_]+=(?: to [^.]*)?(?=\.)", "", sentence)
    text = re.sub(r" \(([a-z_]+)=(?:'[^']*')?(?:, ([^)]*))?\)", lambda m: f" ({m[2]})" if m[2] else "", text)
    text = re.sub(r" or [a-z_]+=(?=[\s.,)])", "", text)
    text = text.replace("client.limit()", "'mmsnb limit'")
    text = text.replace("mmsnb.opt_in(...)", "'mmsnb opt-in NUMBER'")
    text = re.sub(r"(?<![\w-])min_gap=(?=[\w\"'])", "--min-gap ", text)
    text = re.sub(r"\b[Pp]ass (fit|keep_metadata)=True\b", lambda m: "Add --" + m[1].replace("_", "-"), text)
    text = re.sub(r"(?<![\w-])(fit|keep_metadata)=True\b", lambda m: "--" + m[1].replace("_", "-"), text)
    text = re.sub(
        r"Pass allow_partial=True to send the first \d+, or group more recipients per request\.",
        "Send to fewer numbers now, or run again after the reset.",
        text,
    )
    return re.sub(
        r"(?<![\w-])([a-z][a-z_]*)=(?=([\s.,)']|$))",
        lambda m: options[m[1]] + (" " if m[2] == "'" else "") if m[1] in options else m[0],
        text,
    )


def join_numbers(words: Sequence[str], why_not: Callable[[str], str | None], verb: str = "sent") -> list[str]:
    """The numbers given on the command line, with a number written in separate words joined.

    Adjacent bare digit words (the first may start with '+') that are each a valid number stay
    separate numbers. When one of them is not a number alone, they are digit groups: all of them
    together must make exactly one valid number, or the command is a :class:`Usage` error that gives
    the reason ``why_not`` gives for them as one number, and no number is ``verb``.

    >>> why = lambda text: None if len(text.replace(" ", "").lstrip("+")) in (9, 11) else f"{text!r} is not one."
    >>> join_numbers(["501", "102", "030", "502-103-040"], why)
    ['501 102 030', '502-103-040']
    """
    out: list[str] = []
    for run in _digit_runs(words):
        if len(run) == 1 or all(why_not(word) is None for word in run):
            out += run
            continue
        together = " ".join(run)
        reason = why_not(together)
        if reason is not None:
            raise Usage(
                f"{reason} No number was {verb}: digit groups without quotes are read as one number. To give "
                'several numbers, write each without spaces or quote it, e.g. 501102030 "502 103 040".'
            )
        out.append(together)
    return out


def _digit_runs(words: Sequence[str]) -> list[list[str]]:
    """``words`` in runs: adjacent bare digit words (a new run at a word starting with '+'), or one other word."""
    runs: list[list[str]] = []
    for word in words:
        if runs and _DIGITS.fullmatch(word) and _FIRST_DIGITS.fullmatch(runs[-1][-1]):
            runs[-1].append(word)
        else:
            runs.append([word])
    return runs


def _listen_error(exc: OSError, host: str, port: int) -> ConfigError:
    """The sentence for a sandbox that cannot listen on ``host:port``."""
    if exc.errno == errno.EADDRINUSE:
        return ConfigError(f"Port {port} on {host} is in use; choose another with --port.")
    if exc.errno == errno.EACCES:
        return ConfigError(f"Port {port} on {host} needs privileges to listen on; choose one above 1023 with --port.")
    return ConfigError(f"Cannot listen on {host} port {port} ({exc.strerror or exc}); check --host and --port.")


def dotenv_line(name: str, value: str) -> str:
    """``NAME='value'`` as python-dotenv reads it back exactly (single-quoted, ``\\`` and ``'`` escaped).

    python-dotenv expands ``${NAME}`` in every value and has no escape for it, so such a value is refused.

    >>> dotenv_line("MMSNB_CA_BUNDLE", "/tmp/it's/ca.pem")
    "MMSNB_CA_BUNDLE='/tmp/it\\\\'s/ca.pem'"
    """
    if "${" in value:
        raise ConfigError(f"The value of {name} holds '${{', which a .env file cannot carry; use the export lines.")
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"{name}='{escaped}'"


def _write_env_file(path: str, env: Mapping[str, str]) -> None:
    lines = ["# mmsnb sandbox settings; valid while that sandbox runs", *(dotenv_line(k, v) for k, v in env.items())]
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write("\n".join(lines) + "\n")
    except OSError as exc:
        raise ConfigError(
            f"Cannot write the .env file {path!r} ({exc.strerror or exc}); choose another with --env-file."
        ) from None


def _sandbox(args: argparse.Namespace) -> int:
    from .sandbox import Faults, Sandbox

    faults = (
        Faults(**dict(args.fault), slow_seconds=args.slow_seconds, retry_after=args.retry_after) if args.fault else None
    )
    try:
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
    except OSError as exc:
        raise _listen_error(exc, args.host, args.port) from None

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    env = sandbox.env()
    if args.env_file:
        _write_env_file(args.env_file, env)
        print(f"# wrote these settings to {args.env_file}", flush=True)
    print("# mmsnb sandbox: paste these lines into your shell (or use --env-file PATH for a .env file)", flush=True)
    for name, value in env.items():
        print(f"export {name}={shlex.quote(value)}", flush=True)
    until = f"for {args.stop_after:g} s" if args.stop_after else "until interrupted"
    print(f"# serving on {sandbox.url} {until} (Ctrl-C stops it)", flush=True)
    with suppress(KeyboardInterrupt):
        sandbox.serve(args.stop_after or None)
    print("# sandbox stopped", flush=True)
    return 0


def _why_not_number(text: str) -> str | None:
    """Why ``text`` is not a valid number (the sentence a send gives), or None when it is one."""
    from .numbers import parse

    try:
        parse(text)
    except InputError as exc:
        return str(exc)
    return None


def _valid_number(text: str) -> bool:
    return _why_not_number(text) is None


def _client() -> Client:
    """The client the ``MMSNB_*`` settings describe; with none, the sentence says how to try the sandbox."""
    from .client import Client
    from .config import settings

    try:
        return Client.from_env()
    except ConfigError as exc:
        given = settings()
        if (
            given["client_id"]
            or given["client_secret"]
            or given["authorization"]
            or VARIABLES["client_id"] not in str(exc)
        ):
            raise
        raise ConfigError(
            f"{exc} To try mmsnb without an account, run 'mmsnb sandbox --env-file .env' in another terminal in "
            "this folder and then this command again, or run 'mmsnb demo'."
        ) from None


def _kb(n: int) -> str:
    """A byte count as the library's sentences write it ("511 KB")."""
    return f"{n} bytes" if n < 10 * 1024 else f"{n / 1024:.0f} KB"


def _listing(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def file_lines(records: Sequence[Mapping[str, Any]], keep_metadata: bool = False) -> list[str]:
    """One line for each file the send changed (fitted, converted, metadata removed), from ``SendInfo.media``;
    and one for each photo sent with its location.

    >>> file_lines([{"file": "big.jpg", "bytes": 523110, "sent_bytes": 297558, "pixels": "960×720",
    ...   "sent_pixels": "960×720", "gps": False, "metadata_removed": "", "done": "fitted (JPEG quality 65)"}])
    ['big.jpg: 511 KB → 291 KB, 960×720 (fitted, JPEG quality 65)']
    >>> file_lines([{"file": "photo.jpg", "bytes": 20000, "sent_bytes": 19000, "pixels": "64×48",
    ...   "sent_pixels": "64×48", "gps": True, "metadata_removed": "EXIF", "done": "metadata removed"}])
    ['photo.jpg: location (GPS) and EXIF removed']
    """
    out = []
    for r in records:
        name, done = r["file"], r["done"]
        if done == "as is":
            if r["gps"] and keep_metadata:
                out.append(f"{name}: sent with its location (GPS), as --keep-metadata asks")
            continue
        changed, removed = [], []
        for part in done.split("; "):
            if part.startswith("metadata removed"):
                what = ["location (GPS)"] * bool(r["gps"]) + [m for m in r["metadata_removed"].split(", ") if m]
                removed.append(_listing(what) + " removed" + part.removeprefix("metadata removed"))
            else:
                changed.append(re.sub(r"^(fitted|converted from \w+) \((.*)\)$", r"\1, \2", part))
        if changed:
            before, after = r["pixels"], r["sent_pixels"]
            pixels = f", {before} → {after}" if before and after and before != after else f", {after}" if after else ""
            sizes = f"{_kb(r['bytes'])} → {_kb(r['sent_bytes'])}{pixels} ({'; '.join(changed)})"
            removed.insert(0, sizes)
            if r["gps"] and len(removed) == 1:  # re-encoded: the location went with the rest of the EXIF
                removed.append("location (GPS) removed")
        out.append(f"{name}: {'; '.join(removed)}")
    return out


def _send(args: argparse.Namespace) -> int:
    """Send through the ledger, as a one-row-per-number campaign: the same command again sends nothing."""
    from datetime import datetime

    import pandas as pd

    from .campaign import send
    from .results import SendInfo, SendState

    numbers = join_numbers(args.numbers, _why_not_number)
    campaign = args.campaign
    if args.again:
        campaign = f"{campaign or 'cli'}-again-{datetime.now(UTC):%Y%m%dT%H%M%S.%fZ}"
    results = send(
        _client(),
        pd.DataFrame({"number": numbers}),
        to="number",
        subject=args.subject,
        sender=args.sender,
        priority=args.priority,
        delivery_report=not args.no_delivery_report,
        attachments=args.attach or None,
        campaign=campaign,
        ledger=args.ledger,
        min_gap=args.min_gap,
        fit=args.fit,
        keep_metadata=args.keep_metadata,
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
            why = for_shell(str(row.error).removeprefix("Not sent: "))
            print(f"{who}: not sent ({row.send_state!s}): {why}", file=sys.stderr)
    if (results.send_state == SendState.ACCEPTED).any():
        for text in file_lines(info.media, args.keep_metadata):
            print(text)
    states = set(results.send_state.astype(str))
    done = {SendState.ACCEPTED, SendState.ALREADY_SENT, SendState.OPTED_OUT, SendState.TOO_SOON}
    if states <= done:
        return 0
    return 2 if states <= done | {SendState.INVALID, SendState.DUPLICATE} else 1


def _read_numbers(path: str, column: str | None) -> list[object]:
    """The numbers in the CSV file ``path``: its ``column``, else ``msisdn``, else its only column.

    A file of bare numbers, one a line, has no header: its first line is a number too.
    """
    from .files import read_recipients

    frame = read_recipients(path, to=column)
    names = [str(c) for c in frame.columns]
    if column is None:
        if NUMBER_COLUMN in names:
            column = NUMBER_COLUMN
        elif len(names) == 1:
            column = names[0]
            if _valid_number(column):  # no header: the first line is a number
                return [column, *frame[column].tolist()]
        else:
            raise Usage(
                f"{path} has no column {NUMBER_COLUMN!r} and several others ({', '.join(names)}): "
                "name the one that holds the numbers with --column."
            )
    values: list[object] = frame[column].tolist()
    if not values:
        raise InputError(f"{path} has a header row and no numbers.")
    return values


def _given_numbers(args: argparse.Namespace, verb: str) -> tuple[list[object], list[str]]:
    """The numbers to opt out or in (typed, then those of ``--file``), and how a line names each."""
    numbers: list[object] = list(join_numbers(args.numbers, _why_not_number, verb))
    labels = [repr(n) for n in numbers]
    if args.file is not None:
        found = _read_numbers(args.file, args.column)
        numbers += found
        labels += [f"{args.file} row {n}" for n in range(1, len(found) + 1)]
    elif args.column is not None:
        raise Usage("--column names the column of a --file; give the file too.")
    if not numbers:
        raise Usage("Give the numbers (e.g. 501102030), or --file with a CSV of them.")
    return numbers, labels


def _changes(results: object, labels: Sequence[str], verb: str) -> int:
    """Print what became of each number, one line each (invalid ones on stderr); 2 if any was invalid."""
    import pandas as pd

    assert isinstance(results, pd.DataFrame)
    width = max((len(str(a)) for a in results.address.dropna()), default=0)
    invalid = False
    for label, row in zip(labels, results.itertuples(), strict=True):
        if row.result == "invalid":
            invalid = True
            print(f"{label}: not {verb}: {row.error}", file=sys.stderr)
        else:
            print(f"{row.address:<{width}}  {CHANGED[str(row.result)]}")
    return 2 if invalid else 0


def _list_opt_outs(args: argparse.Namespace) -> int:
    from .ledger import opted_out

    if args.numbers or args.file is not None or args.column is not None or args.reason is not None:
        raise Usage("--list shows the opt-outs and records nothing: give it no numbers, --file or --reason.")
    frame = opted_out(args.ledger, include_ended=args.all)
    if frame.empty:
        print("No number has opted out.")
        return 0
    shown = {"number": frame.address, "opted out (UTC)": frame.opted_out_at, "reason": frame.reason}
    if args.all:
        shown |= {"opted in (UTC)": frame.opted_in_at, "opt-in reason": frame.opted_in_reason}
    header = list(shown)
    columns = [
        (c.dt.strftime("%Y-%m-%d %H:%M") if c.dtype.kind == "M" else c).astype("string").fillna("")
        for c in shown.values()
    ]
    rows = [list(map(str, row)) for row in zip(*columns, strict=True)]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


def _opt_out(args: argparse.Namespace) -> int:
    if args.list:
        return _list_opt_outs(args)
    if args.all:
        raise Usage("--all goes with --list (it lists the ended opt-outs too).")
    from .ledger import opt_out

    numbers, labels = _given_numbers(args, "opted out")
    return _changes(opt_out(numbers, reason=args.reason, ledger=args.ledger), labels, "opted out")


def _opt_in(args: argparse.Namespace) -> int:
    from .ledger import opt_in

    numbers, labels = _given_numbers(args, "opted in")
    return _changes(opt_in(numbers, reason=args.reason, ledger=args.ledger), labels, "opted in")


def _status(args: argparse.Namespace) -> int:
    message_id = args.message_id.strip()
    if not message_id:
        raise Usage("The message id is empty: give the id that 'mmsnb send' printed after 'message id:'.")
    try:
        status = _client().delivery_status(message_id)
    except BadRequestError as exc:
        said = f" ({exc.gateway_message})" if exc.gateway_message else ""
        raise BadRequestError(
            f"The gateway refused the message id {message_id!r}{said}. Check it against what 'mmsnb send' printed.",
            http_status=exc.http_status,
            code=exc.code,
            gateway_message=exc.gateway_message,
        ) from None
    if status.status == "Message ID Not found":
        print(
            f"mmsnb: the gateway knows no message with id {message_id!r} (yet). Check it against what "
            "'mmsnb send' printed; a message sent a moment ago may take a few seconds to appear.",
            file=sys.stderr,
        )
        return 1
    print(f"{status.status} ({status.category}, {'final' if status.final else 'not final'}): {status.meaning}")
    for a in status.addresses:
        print(f"  {a.address}: {a.status} ({a.category})")
    return 0


def _limit(args: argparse.Namespace) -> int:
    limit = _client().limit()
    print(f"used {limit.used}, available {limit.available}, resets on {limit.resets_on or 'unknown'}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    import tempfile

    from .demo import run

    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise Usage(
            f"Cannot write to the folder {str(out)!r} ({exc.strerror or exc}); choose another with --out."
        ) from None
    run(out=out, quota=args.quota, seed=args.seed)
    return 0


def _app(args: argparse.Namespace) -> int:
    from .app import serve

    serve(host=args.host, port=args.port, lang=args.lang, idle=args.idle)
    return 0


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number; give one from 0 to 65535") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is out of range; give a port from 0 to 65535 (0: any free port)")
    return port


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


def _min_gap(text: str) -> str:
    """``--min-gap``: a length of time pandas reads (``7D``, ``36h``), checked here and passed on as written."""
    from .rules import MinGap

    try:
        MinGap.parse(text)
    except InputError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a length of time with its unit, of a second or more; give one such as 7D, 36h or 90min"
        ) from None
    return text


def _campaign(text: str) -> str:
    """``--campaign``: a name with something in it (leaving the option out chooses the automatic name)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "the campaign name is empty; give a name, or leave out --campaign for the automatic name"
        )
    return text


def _reads(names: Sequence[str]) -> str:
    """The ``--help`` epilog that lists the environment variables a command reads."""
    width = max(len(n) for n in names)
    rows = "\n".join(f"  {name:<{width}}  {DESCRIBED[name]}" for name in names)
    return f"environment (or a .env file in this folder or one above it):\n{rows}"


def _options(p: argparse.ArgumentParser) -> dict[str, str]:
    """The command's options by destination (``max_in_flight`` -> ``--max-in-flight``)."""
    return {a.dest: a.option_strings[-1] for a in p._actions if a.option_strings and a.option_strings[-1][:2] == "--"}


LEDGER_HELP = "the ledger: a file or a postgresql:// URL (default: MMSNB_LEDGER, else mmsnb-ledger.sqlite here)"


def _opt_options(p: argparse.ArgumentParser, reason: str) -> None:
    """The options opt-out and opt-in share: the numbers (given, or in a file), why, and the ledger."""
    p.add_argument("numbers", nargs="*", metavar="NUMBER", help="a Polish mobile number in any common form")
    p.add_argument(
        "--file",
        metavar="CSV",
        help=f"also the numbers in this CSV file: its {NUMBER_COLUMN!r} column, else its only column",
    )
    p.add_argument("--column", metavar="NAME", help="the column of --file that holds the numbers")
    p.add_argument("--reason", metavar="TEXT", help=reason)
    p.add_argument("--ledger", metavar="PATH_OR_URL", help=LEDGER_HELP)


def parser() -> Parser:
    debug = Parser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show the traceback of an error")
    top = Parser(
        prog="mmsnb",
        description="Send MMS through Orange Polska's MMSOnnet API, or try it on a local sandbox.",
        epilog="'mmsnb COMMAND --help' describes a command and the MMSNB_* variables it reads.",
        parents=[debug],
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND", help="one of:")

    def command(
        name: str, run: Callable[[argparse.Namespace], int], *, help: str, description: str, epilog: str
    ) -> argparse.ArgumentParser:
        """A subcommand that runs ``run``, with its help texts and --debug."""
        p = sub.add_parser(
            name,
            help=help,
            description=description,
            epilog=epilog,
            parents=[debug],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(run=run)
        return p

    p = command(
        "sandbox",
        _sandbox,
        help="run a local gateway sandbox over HTTPS",
        description="Run a local MMSOnnet gateway over HTTPS and print the settings that point the other commands "
        "(and notebooks) at it, as 'export' lines for a shell.",
        epilog="environment: reads no MMSNB_* variables. It prints, for the other commands and notebooks:\n"
        + "\n".join(f"  {name}" for name in PRINTED)
        + "\nRun it in one terminal and paste its export lines into another, or give --env-file .env and run the "
        "other commands\nin this folder.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    p.add_argument(
        "--port", type=_port, default=8787, help="port to listen on, 0 to 65535 (default: 8787; 0: any free)"
    )
    p.add_argument("--env-file", metavar="PATH", help="also write the settings to this .env file (python-dotenv form)")
    p.add_argument("--quota", type=int, default=100, help="requests per quota window (default: 100)")
    p.add_argument("--window", type=float, default=86400.0, help="quota window in seconds (default: a day)")
    p.add_argument("--seed", type=int, default=0, help="seed of the simulated outcomes, for repeatable runs")
    p.add_argument("--time-scale", type=float, default=60.0, help="simulated seconds per real second")
    p.add_argument("--token-lifetime", type=float, default=3600.0, help="access token lifetime in seconds")
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    p.add_argument(
        "--fault",
        type=_fault,
        action="append",
        default=[],
        metavar="KIND=RATE",
        help="inject a fault at a rate, e.g. server_error=0.05 (repeat for more)",
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

    p = command(
        "send",
        _send,
        help="send one MMS to one or more numbers",
        description="Send one MMS to one or more numbers, through the ledger: the same command again sends nothing, "
        "and numbers that opted out ('mmsnb opt-out') are never sent to. "
        'A number written with spaces may be quoted ("501 102 030") or not (501 102 030): adjacent digit groups '
        "are joined when all of them together make one number, else nothing is sent; quote each of several "
        "numbers written in groups.",
        epilog="exit status: 0 when every number was sent (now or by an earlier run) or left out by a rule\n"
        "(it opted out, or was contacted within --min-gap); 2 when a number was invalid or repeated, or the\n"
        "command was wrong; 1 when the gateway refused or could not be reached, or the quota ran out.\n\n"
        + _reads(tuple(VARIABLES.values())),
    )
    p.add_argument("numbers", nargs="+", metavar="NUMBER", help="a Polish mobile number in any common form")
    p.add_argument("--subject", help="the text of the message")
    p.add_argument("--sender", help="the sender name shown to the recipient")
    p.add_argument("--priority", choices=PRIORITIES, help="the message's priority")
    p.add_argument("--attach", action="append", default=[], metavar="FILE", help="a file to attach (repeat for more)")
    p.add_argument("--no-delivery-report", action="store_true", help="do not ask for a delivery report")
    p.add_argument("--campaign", type=_campaign, help="the campaign name (default: derived from the message's content)")
    p.add_argument("--ledger", metavar="PATH_OR_URL", help=LEDGER_HELP)
    p.add_argument("--again", action="store_true", help="send even if this message already went to these numbers")
    p.add_argument(
        "--min-gap",
        type=_min_gap,
        metavar="TIME",
        help="skip numbers another campaign in the ledger contacted within this time, e.g. 7D, 36h",
    )
    p.add_argument(
        "--fit",
        action="store_true",
        help="re-encode images so the message fits the size limit; convert WEBP/HEIC to JPEG",
    )
    p.add_argument("--keep-metadata", action="store_true", help="send photos' EXIF/GPS/XMP as they are")

    changes = "exit status: 0 when every number was valid; 2 when one was not (it is named; the others are\n"
    p = command(
        "opt-out",
        _opt_out,
        help="record numbers that must not be contacted, or list them",
        description="Record numbers as opted out in the ledger: no send through it (from any command, notebook "
        "or machine sharing it) contacts them again until 'mmsnb opt-in'. Numbers come from the command line "
        "(written with spaces, quoted or not, as for 'mmsnb send') or a CSV file. --list shows the opt-outs.",
        epilog=changes + "recorded) or the command was wrong.\n\n" + _reads(("MMSNB_LEDGER",)),
    )
    _opt_options(p, "why, kept with the opt-out (e.g. 'replied STOP')")
    p.add_argument("--list", action="store_true", help="show the numbers opted out now, with when and why")
    p.add_argument("--all", action="store_true", help="with --list: the ended opt-outs too")

    p = command(
        "opt-in",
        _opt_in,
        help="end the opt-outs of numbers",
        description="End the opt-outs of numbers: sends may contact them again. The ledger keeps the record "
        "('mmsnb opt-out --list --all' shows it). Numbers are given as for 'mmsnb opt-out'.",
        epilog=changes + "changed) or the command was wrong.\n\n" + _reads(("MMSNB_LEDGER",)),
    )
    _opt_options(p, "why, kept with the record (e.g. 'signed up again')")

    p = command(
        "status",
        _status,
        help="delivery status of a message id",
        description="The delivery status of a sent message, with each address's.",
        epilog=_reads(GATEWAY_VARIABLES),
    )
    p.add_argument("message_id", metavar="MESSAGE_ID", help="the id 'mmsnb send' printed after 'message id:'")

    p = command(
        "limit",
        _limit,
        help="the request quota",
        description="The request quota: used, available, and the day it resets.",
        epilog=_reads(GATEWAY_VARIABLES),
    )

    p = command(
        "demo",
        _demo,
        help="a whole campaign on the embedded sandbox",
        description="Check, send, send again and poll the sample campaign on an embedded sandbox; write the results "
        "and charts to a folder.",
        epilog="environment: needs no MMSNB_* variables (the demo makes its own sandbox and ledger).",
    )
    p.add_argument("--out", default="out/demo", help="folder for the results and charts (default: out/demo)")
    p.add_argument("--quota", type=int, default=1000, help="the embedded sandbox's request quota (default: 1000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the simulated outcomes, for repeatable runs")

    p = command(
        "app",
        _app,
        help="the composer, the delivery monitor and past campaigns as a web page",
        description="Serve the composer, the live delivery monitor and the past campaigns as a web page (Voilà: "
        "pip install 'mmsnb[app]'), one kernel per visitor, and print the address to open. Visitors sign in with "
        "a token (MMSNB_APP_TOKEN, else a new one printed here); idle visits end after --idle minutes.",
        epilog="environment: the gateway's MMSNB_* variables and MMSNB_LEDGER as for 'mmsnb send' (no credentials: a "
        "sandbox\nshared by the visitors); MMSNB_APP_TOKEN, the sign-in token; MMSNB_LANG, the page's language.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    p.add_argument("--port", type=_port, default=8866, help="port to listen on (default: 8866)")
    p.add_argument("--lang", choices=("pl", "en"), help="the page's language (default: MMSNB_LANG, else en)")
    p.add_argument(
        "--idle", type=float, default=30.0, metavar="MINUTES", help="end a visit idle this long (default: 30)"
    )
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mmsnb`` command."""
    top = parser()
    args, extras = top.parse_known_args(argv)
    sub = _subparsers(top)[args.command]
    if extras:
        sub.error(f"unrecognized arguments: {' '.join(extras)}")
    debug = getattr(args, "debug", False)
    try:
        code: int = args.run(args)
        return code
    except Usage as exc:
        if debug:
            raise
        print(f"{sub.prog}: error: {exc}", file=sys.stderr)
    except MMSError as exc:
        if debug:
            raise
        print(f"mmsnb: {for_shell(str(exc), _options(sub))}", file=sys.stderr)
        return 2 if isinstance(exc, ConfigError | InputError | LedgerError) else 1
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        if debug:
            raise
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"mmsnb: {exc.strerror or exc}{where}.", file=sys.stderr)
    except Exception as exc:
        if debug:
            raise
        print(
            f"mmsnb: unexpected error ({type(exc).__name__}: {exc}); run again with --debug to see where.",
            file=sys.stderr,
        )
        return 1
    return 2


def _subparsers(top: argparse.ArgumentParser) -> dict[str, Parser]:
    for action in top._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


if __name__ == "__main__":
    sys.exit(main())
