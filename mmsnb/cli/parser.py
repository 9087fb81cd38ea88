"""The ``mmsnb`` command line: its subcommands, their options and help texts (``mmsnb COMMAND --help``).

A subcommand is one entry of :data:`COMMANDS`: its name, its handler in :mod:`mmsnb.cli.commands`, its help
texts, and the function that adds its options.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import NoReturn

from ..config import VARIABLES
from ..errors import InputError
from ..message import PRIORITIES, check_no_control
from . import commands
from .commands import NUMBER_COLUMN

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


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number; give one from 0 to 65535") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is out of range; give a port from 0 to 65535 (0: any free port)")
    return port


def _fault(text: str) -> tuple[str, float]:
    from ..sandbox.faults import SETTINGS, Faults

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
    from ..rules import MinGap

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
    try:
        check_no_control("campaign name", text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(exc.sentence) from None
    return text


def _workers(text: str) -> int | str:
    """``--workers``: ``auto``, or how many requests to keep in flight."""
    from ..pacing import MOST_IN_FLIGHT

    if text == "auto":
        return text
    if not text.isdigit() or not 1 <= int(text) <= MOST_IN_FLIGHT:
        raise argparse.ArgumentTypeError(f"give auto or a whole number from 1 to {MOST_IN_FLIGHT}, not {text!r}")
    return int(text)


def _reads(names: Sequence[str]) -> str:
    """The ``--help`` epilog that lists the environment variables a command reads."""
    width = max(len(n) for n in names)
    rows = "\n".join(f"  {name:<{width}}  {DESCRIBED[name]}" for name in names)
    return f"environment (or a .env file in this folder or one above it):\n{rows}"


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


def _sandbox_options(p: argparse.ArgumentParser) -> None:
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


def _send_options(p: argparse.ArgumentParser) -> None:
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
    _timing_options(p)


def _timing_options(p: argparse.ArgumentParser) -> None:
    """When a send may go out: waiting for the quota, sending hours and days, a start time."""
    p.add_argument(
        "--wait",
        action="store_true",
        help="when the quota runs out, wait for the reset the gateway announces and go on (for as long as it takes)",
    )
    p.add_argument(
        "--hours",
        metavar="HH:MM-HH:MM",
        help="send only within these hours of each day, e.g. 08:00-20:00 (not the sandbox's quota --window)",
    )
    p.add_argument("--days", metavar="DAYS", help="send only on these days, e.g. Mon-Sat or Mon,Wed,Fri (or pn-sb)")
    p.add_argument("--start", metavar="WHEN", help="send from this time on, e.g. '2026-12-05 10:00' (in --tz)")
    p.add_argument(
        "--tz", default="Europe/Warsaw", help="the time zone of --hours and --start (default: Europe/Warsaw)"
    )
    p.add_argument(
        "--stop-outside-hours",
        action="store_true",
        help="outside --hours or before --start, stop and leave the rest for the same command later, not wait",
    )


def _resume_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("campaign", metavar="CAMPAIGN", help="the campaign's name ('mmsnb campaigns' lists them)")
    p.add_argument("--ledger", metavar="PATH_OR_URL", help=LEDGER_HELP)
    p.add_argument(
        "--workers",
        type=_workers,
        default="auto",
        metavar="N",
        help="requests in flight at once: auto (the default: as many as the gateway takes well) or a number",
    )
    p.add_argument("--rate", metavar="R/s", help="at most this many requests per second or minute, e.g. 10/s, 600/min")
    _timing_options(p)


def _opt_out_options(p: argparse.ArgumentParser) -> None:
    _opt_options(p, "why, kept with the opt-out (e.g. 'replied STOP')")
    p.add_argument("--list", action="store_true", help="show the numbers opted out now, with when and why")
    p.add_argument("--all", action="store_true", help="with --list: the ended opt-outs too")


def _opt_in_options(p: argparse.ArgumentParser) -> None:
    _opt_options(p, "why, kept with the record (e.g. 'signed up again')")


def _status_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("message_id", metavar="MESSAGE_ID", help="the id 'mmsnb send' printed after 'message id:'")


def _campaigns_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ledger", metavar="PATH_OR_URL", help=LEDGER_HELP)
    p.add_argument("--tz", default="Europe/Warsaw", help="the time zone of the times shown (default: Europe/Warsaw)")


def _report_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("campaign", metavar="CAMPAIGN", help="the campaign's name ('mmsnb campaigns' lists them)")
    p.add_argument("--out", default="report.html", help="the file to write: .html or .xlsx (default: report.html)")
    p.add_argument("--ledger", metavar="PATH_OR_URL", help=LEDGER_HELP)


def _app_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    p.add_argument("--port", type=_port, default=8866, help="port to listen on (default: 8866)")
    p.add_argument("--lang", choices=("pl", "en"), help="the page's language (default: MMSNB_LANG, else en)")
    p.add_argument(
        "--idle", type=float, default=30.0, metavar="MINUTES", help="end a visit idle this long (default: 30)"
    )


def _demo_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="out/demo", help="folder for the results and charts (default: out/demo)")
    p.add_argument("--quota", type=int, default=1000, help="the embedded sandbox's request quota (default: 1000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the simulated outcomes, for repeatable runs")


@dataclass(frozen=True, kw_only=True)
class Command:
    """A subcommand: its handler, help texts, and the function that adds its options."""

    name: str
    run: Callable[[argparse.Namespace], int]
    help: str
    description: str
    epilog: str
    options: Callable[[argparse.ArgumentParser], None] = lambda p: None


_CHANGES = "exit status: 0 when every number was valid; 2 when one was not (it is named; the others are\n"
#: The subcommands, in the order ``mmsnb --help`` lists them. A new command is an entry here and its handler.
COMMANDS = (
    Command(
        name="sandbox",
        run=commands.sandbox,
        help="run a local gateway sandbox over HTTPS",
        description="Run a local MMSOnnet gateway over HTTPS and print the settings that point the other commands "
        "(and notebooks) at it, as 'export' lines for a shell.",
        epilog="environment: reads no MMSNB_* variables. It prints, for the other commands and notebooks:\n"
        + "\n".join(f"  {name}" for name in PRINTED)
        + "\nRun it in one terminal and paste its export lines into another, or give --env-file .env and run the "
        "other commands\nin this folder.",
        options=_sandbox_options,
    ),
    Command(
        name="send",
        run=commands.send,
        help="send one MMS to one or more numbers",
        description="Send one MMS to one or more numbers, through the ledger: the same command again sends nothing, "
        "and numbers that opted out ('mmsnb opt-out') are never sent to. "
        'A number written with spaces may be quoted ("501 102 030") or not (501 102 030): adjacent digit groups '
        "are joined when all of them together make one number, else nothing is sent; quote each of several "
        "numbers written in groups. Any word that is not a valid number (such as a stray +48) refuses the whole "
        "command: nothing is sent.",
        epilog="exit status: 0 when every number was sent (now or by an earlier run) or left out by a rule\n"
        "(it opted out, or was contacted within --min-gap); 2 when a number was invalid or repeated, or the\n"
        "command was wrong; 1 when the gateway refused or could not be reached, the quota ran out, or\n"
        "--stop-outside-hours left numbers for later (the same command then sends them).\n\n"
        + _reads(tuple(VARIABLES.values())),
        options=_send_options,
    ),
    Command(
        name="resume",
        run=commands.resume,
        help="finish a campaign from the ledger alone",
        description="Send what a campaign has not sent yet, from what the ledger stored when it was sent: no table "
        "or files are needed, so it works after a crash, a reboot or on another machine sharing the ledger. "
        "Numbers sent before are not sent again; numbers that opted out since are left out.",
        epilog="exit status: 0 when every number was sent (now or by an earlier run) or left out by a rule; 1 when\n"
        "the gateway refused or could not be reached, the quota ran out, or a number's outcome is unknown.\n\n"
        + _reads(tuple(VARIABLES.values())),
        options=_resume_options,
    ),
    Command(
        name="opt-out",
        run=commands.opt_out,
        help="record numbers that must not be contacted, or list them",
        description="Record numbers as opted out in the ledger: no send through it (from any command, notebook "
        "or machine sharing it) contacts them again until 'mmsnb opt-in'. Numbers come from the command line "
        "(written with spaces, quoted or not, as for 'mmsnb send') or a CSV file. --list shows the opt-outs.",
        epilog=_CHANGES + "recorded) or the command was wrong.\n\n" + _reads(("MMSNB_LEDGER",)),
        options=_opt_out_options,
    ),
    Command(
        name="opt-in",
        run=commands.opt_in,
        help="end the opt-outs of numbers",
        description="End the opt-outs of numbers: sends may contact them again. The ledger keeps the record "
        "('mmsnb opt-out --list --all' shows it). Numbers are given as for 'mmsnb opt-out'.",
        epilog=_CHANGES + "changed) or the command was wrong.\n\n" + _reads(("MMSNB_LEDGER",)),
        options=_opt_in_options,
    ),
    Command(
        name="status",
        run=commands.status,
        help="delivery status of a message id",
        description="The delivery status of a sent message, with each address's.",
        epilog=_reads(GATEWAY_VARIABLES),
        options=_status_options,
    ),
    Command(
        name="limit",
        run=commands.limit,
        help="the request quota",
        description="The request quota: used, available, and the day it resets.",
        epilog=_reads(GATEWAY_VARIABLES),
    ),
    Command(
        name="campaigns",
        run=commands.campaigns,
        help="how each campaign in the ledger went",
        description="One line per campaign in the ledger, oldest first: its name (to type into 'mmsnb report' or "
        "'mmsnb resume'), a title for a name made automatically (its subject's first words and the day it was sent), "
        "when it was first sent, its recipients, "
        "how many were accepted, delivered, failed or not final yet, the delivery rate with its 95 % interval, "
        "the time by which half the messages were opened, and where it stands: finished, sending, paused (until "
        "when), waiting for quota, or interrupted (the same send again resumes it). "
        "Needs pip install 'mmsnb[analysis]'.",
        epilog=_reads(("MMSNB_LEDGER",)),
        options=_campaigns_options,
    ),
    Command(
        name="report",
        run=commands.report,
        help="write a campaign's report: a page or a workbook",
        description="Write a campaign's report from the ledger: one self-contained HTML page (charts inside, opens "
        "offline, readable on a phone) or an Excel workbook, by the name given to --out. "
        "Needs pip install 'mmsnb[analysis]'.",
        epilog=_reads(("MMSNB_LEDGER",)),
        options=_report_options,
    ),
    Command(
        name="app",
        run=commands.app,
        help="the composer, the delivery monitor and past campaigns as a web page",
        description="Serve the composer, the live delivery monitor and the past campaigns as a web page (Voilà: "
        "pip install 'mmsnb[app]'), one kernel per visitor, and print the address to open. Visitors sign in with "
        "a token (MMSNB_APP_TOKEN, else a new one printed here); idle visits end after --idle minutes.",
        epilog="environment: the gateway's MMSNB_* variables and MMSNB_LEDGER as for 'mmsnb send' (no credentials: a "
        "sandbox\nshared by the visitors); MMSNB_APP_TOKEN, the sign-in token; MMSNB_LANG, the page's language.",
        options=_app_options,
    ),
    Command(
        name="demo",
        run=commands.demo,
        help="a whole campaign on the embedded sandbox",
        description="Check, send, send again and poll the sample campaign on an embedded sandbox; write the results "
        "and charts to a folder.",
        epilog="environment: needs no MMSNB_* variables (the demo makes its own sandbox and ledger).",
        options=_demo_options,
    ),
)


def build() -> Parser:
    """The ``mmsnb`` parser, with a subparser for each of :data:`COMMANDS`."""
    debug = Parser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show the traceback of an error")
    top = Parser(
        prog="mmsnb",
        description="Send MMS through Orange Polska's MMSOnnet API, or try it on a local sandbox.",
        epilog="'mmsnb COMMAND --help' describes a command and the MMSNB_* variables it reads.",
        parents=[debug],
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND", help="one of:")
    for command in COMMANDS:
        p = sub.add_parser(
            command.name,
            help=command.help,
            description=command.description,
            epilog=command.epilog,
            parents=[debug],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(run=command.run)
        command.options(p)
    return top


def subcommands(top: argparse.ArgumentParser) -> dict[str, Parser]:
    """The subparsers of ``top``, by command name."""
    for action in top._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}
