"""Write the reference part of docs/cli.md from the command line's own parser (``mmsnb COMMAND --help``).

Run it after changing a command or an option: ``.venv/bin/python docs/make_cli_reference.py``.
``tests/test_docs.py`` fails when the page differs from what this script writes, so every command and
option is in the reference.
"""

from __future__ import annotations

import os
import pathlib
import sys

from mmsnb.cli.parser import build, subcommands

PAGE = pathlib.Path(__file__).resolve().parent / "cli.md"
MARK = "<!-- The reference below is written by docs/make_cli_reference.py: edit the parser, not this. -->"


def reference() -> str:
    os.environ["COLUMNS"] = "110"  # argparse wraps help to the terminal's width: the same page everywhere
    top = build()
    parts = [MARK, "", "## Reference", "", "```text", top.format_help().rstrip(), "```", ""]
    for name, sub in subcommands(top).items():
        parts += [f"### `mmsnb {name}`", "", "```text", sub.format_help().rstrip(), "```", ""]
    return "\n".join(parts)


def render() -> str:
    """The page: its prose (everything above the mark) and the reference."""
    prose = PAGE.read_text(encoding="utf-8").split(MARK)[0].rstrip()
    return f"{prose}\n\n{reference()}"


if __name__ == "__main__":
    PAGE.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {PAGE}\n")
