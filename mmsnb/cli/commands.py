"""The handlers of the ``mmsnb`` subcommands: each takes the parsed arguments, calls the library, prints what
:mod:`mmsnb.cli.render` words, and returns the exit status."""

from __future__ import annotations

import argparse
import errno
import os
import re
import shlex
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import VARIABLES
from ..errors import BadRequestError, ConfigError, InputError
from ..words import N_, Lang, Speaker, language
from . import render

if TYPE_CHECKING:
    import pandas as pd

    from ..client import Client
    from ..options import RunOptions

#: The column of a recipients CSV that holds the numbers, unless ``--column`` names another.
NUMBER_COLUMN = "msisdn"
#: How the sentences name the command that sends (their words, not the catalogue's: a command is not translated).
SEND = "'mmsnb send'"
_DIGITS = re.compile(r"\d+")
_FIRST_DIGITS = re.compile(r"\+?\d+")


class Usage(Exception):
    """A mistake on the command line, shown as ``mmsnb <command>: error: <sentence>`` with exit status 2.

    ``sentence`` is a message of the catalogue, ``{name}`` filled in from ``values``: :meth:`say` words it in
    Polish too.
    """

    def __init__(self, sentence: str, **values: object) -> None:
        self.sentence, self.values = sentence, values
        super().__init__(sentence.format(**values))

    def say(self, lang: Lang) -> str:
        """The sentence in ``lang``."""
        return Speaker(lang)(self.sentence, **self.values)


#: Why no number was sent, opted out or opted in when digit groups make no number, by the command's verb.
_NOT_ONE_NUMBER = {
    "sent": N_(
        "{reason} No number was sent: digit groups without quotes are read as one number. To give several numbers, "
        'write each without spaces or quote it, e.g. 501102030 "502 103 040".'
    ),
    "opted out": N_(
        "{reason} No number was opted out: digit groups without quotes are read as one number. To give several "
        'numbers, write each without spaces or quote it, e.g. 501102030 "502 103 040".'
    ),
    "opted in": N_(
        "{reason} No number was opted in: digit groups without quotes are read as one number. To give several "
        'numbers, write each without spaces or quote it, e.g. 501102030 "502 103 040".'
    ),
}


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
            raise Usage(_NOT_ONE_NUMBER[verb], reason=reason)
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


def sandbox(args: argparse.Namespace) -> int:
    from ..sandbox import Faults, Sandbox

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
    _ = render.speaker()
    if args.env_file:
        _write_env_file(args.env_file, env)
        print(_("# wrote these settings to {path}", path=args.env_file), flush=True)
    paste = _(
        "# mmsnb sandbox: paste these lines into your shell (or use {option} PATH for a .env file)", option="--env-file"
    )
    print(paste, flush=True)
    for name, value in env.items():
        print(f"export {name}={shlex.quote(value)}", flush=True)
    until = _("for {seconds} s", seconds=f"{args.stop_after:g}") if args.stop_after else _("until interrupted")
    print(_("# serving on {url} {until} (Ctrl-C stops it)", url=sandbox.url, until=until), flush=True)
    with suppress(KeyboardInterrupt):
        sandbox.serve(args.stop_after or None)
    print(_("# sandbox stopped"), flush=True)
    return 0


def _why_not_number(text: str) -> str | None:
    """Why ``text`` is not a valid number (the sentence a send gives), or None when it is one."""
    from ..phones import parse

    try:
        parse(text)
    except InputError as exc:
        return exc.say("cli")
    return None


def _valid_number(text: str) -> bool:
    return _why_not_number(text) is None


def _refuse_any_invalid(numbers: Sequence[str]) -> None:
    """A :class:`Usage` error naming the first of ``numbers`` that is not a valid number: a send sends all or none."""
    for number in numbers:
        reason = _why_not_number(number)
        if reason is not None:
            raise Usage(N_("{reason} No number was sent: correct it or leave it out, and send again."), reason=reason)


def _client() -> Client:
    """The client the ``MMSNB_*`` settings describe; with none, the sentence says how to try the sandbox."""
    from ..client import Client
    from ..config import settings

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
            "{sentence} To try mmsnb without an account, run 'mmsnb sandbox --env-file .env' in another "
            "terminal in this folder and then this command again, or run 'mmsnb demo'.",
            fix=exc.fix,
            values={"sentence": exc.text(language(system=True))},
        ) from None


def send(args: argparse.Namespace) -> int:
    """Send through the ledger, as a one-row-per-number campaign: the same command again sends nothing."""
    from datetime import datetime

    import pandas as pd

    from ..campaign import send

    numbers = join_numbers(args.numbers, _why_not_number)
    _refuse_any_invalid(numbers)
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
        **_timing(args),
    )
    return _shown(results, keep_metadata=args.keep_metadata)


def _timing(args: argparse.Namespace) -> RunOptions:
    """The options of a send's (or resume's) timing: waiting for the quota, sending hours, a start time; a
    progress bar only when there may be a wait to say."""
    waits = args.wait or args.hours or args.days or args.start
    timing: RunOptions = {
        "wait_for_quota": args.wait,
        "window": args.hours,
        "days": args.days,
        "tz": args.tz,
        "start_at": args.start,
        "wait_for_hours": not args.stop_outside_hours,
        "progress": None if waits else False,
    }
    return timing


def _shown(results: pd.DataFrame, *, keep_metadata: bool = False, again: bool = True) -> int:
    """Print what a send did, number by number; its exit status."""
    from ..result_columns import SendInfo, SendState

    info = SendInfo.of(results)
    assert info is not None
    render.show(render.sent(results, info, keep_metadata, render.speaker(), again))
    states = set(results.send_state.astype(str))
    done = {SendState.ACCEPTED, SendState.ALREADY_SENT, SendState.OPTED_OUT, SendState.TOO_SOON}
    if states <= done:
        return 0
    return 2 if states <= done | {SendState.INVALID, SendState.DUPLICATE} else 1


def resume(args: argparse.Namespace) -> int:
    """Finish a campaign from the ledger alone (no table, no files)."""
    from ..resuming import resume

    options = _timing(args)
    options["workers"], options["rate"] = args.workers, args.rate
    if sys.stderr.isatty():  # it may wait for the hours it was sent with: a person at a terminal sees what for
        options["progress"] = None
    results = resume(args.campaign, client=_client(), ledger=args.ledger, **options)
    return _shown(results, again=False)


def _read_numbers(path: str, column: str | None) -> tuple[list[object], list[int]]:
    """The numbers in the CSV file ``path``: its ``column``, else ``msisdn``, else its only column; and the line
    each is on (the header being line 1, as a spreadsheet numbers rows).

    A file of bare numbers, one a line, has no header: its first line is a number too.
    """
    from ..files import read_recipients

    frame = read_recipients(path, to=column)
    names = [str(c) for c in frame.columns]
    if column is None:
        if NUMBER_COLUMN in names:
            column = NUMBER_COLUMN
        elif len(names) == 1:
            column = names[0]
            if _valid_number(column):  # no header: the first line is a number
                return [column, *frame[column].tolist()], [1, *map(int, frame.index)]
        else:
            raise Usage(
                N_("{path} has no column {column} and several others ({names}): name the one that holds the numbers "
                   "with {option}."),
                option="--column",
                path=path,
                column=repr(NUMBER_COLUMN),
                names=", ".join(names),
            )  # fmt: skip
    values: list[object] = frame[column].tolist()
    if not values:
        raise InputError(N_("{path} has a header row and no numbers."), values={"path": path})
    return values, [int(line) for line in frame.index]


def _given_numbers(args: argparse.Namespace, verb: str) -> tuple[list[object], list[str]]:
    """The numbers to opt out or in (typed, then those of ``--file``), and how a line names each."""
    numbers: list[object] = list(join_numbers(args.numbers, _why_not_number, verb))
    labels = [repr(n) for n in numbers]
    if args.file is not None:
        found, lines = _read_numbers(args.file, args.column)
        numbers += found
        _ = render.speaker()
        labels += [_("{file} row {line}", file=args.file, line=line) for line in lines]
    elif args.column is not None:
        raise Usage(N_("{column} names the column of a {file}; give the file too."), column="--column", file="--file")
    if not numbers:
        raise Usage(N_("Give the numbers (e.g. 501102030), or {file} with a CSV of them."), file="--file")
    return numbers, labels


def _changes(results: object, labels: Sequence[str], verb: str) -> int:
    """Print what became of each number (invalid ones on stderr); 2 if any was invalid."""
    import pandas as pd

    assert isinstance(results, pd.DataFrame)
    lines = render.changes(results, labels, verb, render.speaker())
    render.show(lines)
    return 2 if any(to_stderr for _, to_stderr in lines) else 0


def _list_opt_outs(args: argparse.Namespace) -> int:
    from ..ledger import opted_out

    if args.numbers or args.file is not None or args.column is not None or args.reason is not None:
        raise Usage(
            N_("{list} shows the opt-outs and records nothing: give it no numbers, {file} or {reason}."),
            list="--list",
            file="--file",
            reason="--reason",
        )
    for text in render.opt_outs(opted_out(args.ledger, include_ended=args.all), args.all, render.speaker()):
        print(text)
    return 0


def opt_out(args: argparse.Namespace) -> int:
    if args.list:
        return _list_opt_outs(args)
    if args.all:
        raise Usage(N_("{all} goes with {list} (it lists the ended opt-outs too)."), all="--all", list="--list")
    from ..ledger import opt_out

    numbers, labels = _given_numbers(args, "opted out")
    return _changes(opt_out(numbers, reason=args.reason, ledger=args.ledger), labels, "opted out")


def opt_in(args: argparse.Namespace) -> int:
    from ..ledger import opt_in

    numbers, labels = _given_numbers(args, "opted in")
    return _changes(opt_in(numbers, reason=args.reason, ledger=args.ledger), labels, "opted in")


def status(args: argparse.Namespace) -> int:
    message_id = args.message_id.strip()
    if not message_id:
        raise Usage(N_("The message id is empty: give the id that {send} printed after 'message id:'."), send=SEND)
    try:
        status = _client().delivery_status(message_id)
    except BadRequestError as exc:
        raise BadRequestError(
            N_("The gateway refused the message id {id}{said}. Check it against what {send} printed."),
            http_status=exc.http_status,
            code=exc.code,
            gateway_message=exc.gateway_message,
            values={
                "id": repr(message_id),
                "said": f" ({exc.gateway_message})" if exc.gateway_message else "",
                "send": SEND,
            },
        ) from None
    _ = render.speaker()
    if status.status == "Message ID Not found":
        said = _(
            "mmsnb: the gateway knows no message with id {id} (yet). Check it against what {send} printed; a message "
            "sent a moment ago may take a few seconds to appear.",
            id=repr(message_id),
            send=SEND,
        )
        print(said, file=sys.stderr)
        return 1
    for line in render.status_lines(status, _):
        print(line)
    return 0


def limit(args: argparse.Namespace) -> int:
    limit, _ = _client().limit(), render.speaker()
    day = _("unknown") if not limit.resets_on else str(limit.resets_on) if _.lang == "en" else _.day(limit.resets_on)
    print(_("used {used}, available {available}, resets on {day}", used=limit.used, available=limit.available, day=day))
    return 0


def campaigns(args: argparse.Namespace) -> int:
    from ..analysis import campaigns
    from ..ledger import history

    book = history(None, args.ledger)
    for line in render.campaign_lines(campaigns(book, tz=args.tz), args.tz, render.speaker(), book.subjects):
        print(line)
    return 0


def report(args: argparse.Namespace) -> int:
    from ..export import SUFFIXES, write_report

    if Path(args.out).suffix.lower() not in SUFFIXES:
        raise Usage(
            N_("{option} {out} must end in .html (a page) or .xlsx (a workbook)."), option="--out", out=repr(args.out)
        )
    print(write_report(args.campaign, args.out, ledger=args.ledger))
    return 0


def app(args: argparse.Namespace) -> int:
    from ..app import serve

    serve(host=args.host, port=args.port, lang=args.lang, idle=args.idle)
    return 0


def demo(args: argparse.Namespace) -> int:
    import tempfile

    from ..demo import run

    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise Usage(
            N_("Cannot write to the folder {folder} ({why}); choose another with {option}."),
            option="--out",
            folder=repr(str(out)),
            why=exc.strerror or exc,
        ) from None
    run(out=out, quota=args.quota, seed=args.seed)
    return 0
