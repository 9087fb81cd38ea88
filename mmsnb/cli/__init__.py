"""The ``mmsnb`` command: sandbox, send, status, limit, opt-out, opt-in and demo.

$ mmsnb demo
$ mmsnb sandbox --port 8787 --quota 100 --seed 0
$ mmsnb send 501102030 --subject "Cześć" --attach data/promo.jpg --min-gap 7D
$ mmsnb send 501102030 --attach data/big.jpg --fit
$ mmsnb opt-out 501102030 --reason "replied STOP"

A thin front end: :mod:`~mmsnb.cli.parser` reads the command line, :mod:`~mmsnb.cli.commands` calls the
library, :mod:`~mmsnb.cli.render` words what it gives back. Every error is one or two sentences on stderr,
never a traceback (``--debug`` shows it): exit status 2 for a mistake in the command or the settings, 1 when
the gateway refused or could not be reached.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext

from ..errors import MMSError
from ..words import Lang, Speaker, language
from . import render
from .commands import Usage
from .parser import build, subcommands

__all__ = ["main"]

#: Commands whose words follow an option of their own (the app's page: ``--lang``), not the command line's language.
OWN_LANGUAGE = {"app"}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mmsnb`` command."""
    top = build()
    args, extras = top.parse_known_args(argv)
    sub = subcommands(top)[args.command]
    if extras:
        sub.error(f"unrecognized arguments: {' '.join(extras)}")
    debug = getattr(args, "debug", False)
    lang = language(system=True)
    try:
        with nullcontext() if args.command in OWN_LANGUAGE else speaking(lang):
            code: int = args.run(args)
        return code
    except Usage as exc:
        if debug:
            raise
        _ = Speaker(lang)
        print(_("{prog}: error: {sentence}", prog=sub.prog, sentence=exc.say(lang)), file=sys.stderr)
    except MMSError as exc:
        if debug:
            raise
        print(render.error(exc, lang), file=sys.stderr)
        return render.status(exc)
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


@contextmanager
def speaking(lang: Lang) -> Iterator[None]:
    """The library's sentences (the results' rows, its errors) in ``lang`` while a command runs: ``MMSNB_LANG`` set
    for that time."""
    before = os.environ.get("MMSNB_LANG")
    os.environ["MMSNB_LANG"] = lang
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("MMSNB_LANG", None)
        else:
            os.environ["MMSNB_LANG"] = before
