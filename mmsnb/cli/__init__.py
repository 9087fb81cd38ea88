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

import sys
from collections.abc import Sequence

from ..errors import MMSError
from ..words import language
from . import render
from .commands import Usage
from .parser import build, subcommands

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mmsnb`` command."""
    top = build()
    args, extras = top.parse_known_args(argv)
    sub = subcommands(top)[args.command]
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
        print(render.error(exc, language(system=True)), file=sys.stderr)
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
