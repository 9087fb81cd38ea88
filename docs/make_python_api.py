"""Write docs/python-api.md, the Python API reference, from the docstrings of the names in ``mmsnb.__all__``.

Run it after changing a public docstring or signature: ``.venv/bin/python docs/make_python_api.py``.
``tests/test_docs.py`` fails when the page differs from what this script writes, or when a public name
has no docstring.
"""

from __future__ import annotations

import importlib
import inspect
import pathlib
import re
import sys
import types

import mmsnb

PAGE = pathlib.Path(__file__).resolve().parent / "python-api.md"
INTRO = """# The Python API

Generated from the docstrings by `docs/make_python_api.py` (a test keeps it up to date); in a notebook,
`help(mmsnb.send)` or `mmsnb.send?` shows the same text. Every name here is importable as `mmsnb.NAME`.
Errors are one family: every exception mmsnb raises is an `mmsnb.MMSError`.
"""
GROUPS: list[tuple[str, list[str]]] = [
    ("Sending", ["connect", "Client", "plan", "Plan", "send", "resume", "poll", "Message", "Attachment", "normalize"]),
    ("Reading files", ["read_recipients", "read_results", "sample"]),
    ("Results", ["SendState", "SEND_STATES", "Category", "SendInfo", "SendResult", "DeliveryStatus", "Limit"]),
    ("Analysis", ["summary", "failures", "compare", "retrieval", "Retrieval", "campaigns", "report", "plot"]),
    ("The ledger", ["Ledger", "History", "history", "opt_out", "opt_in", "opted_out"]),
    ("Widgets", ["Composer", "Monitor"]),
    ("The sandbox", ["Sandbox", "Faults"]),
]


#: Classes that mmsnb makes and hands to you (a plan, a result, a status): shown without a constructor.
MADE_BY_MMSNB = {"Plan", "History", "SendInfo", "SendResult", "DeliveryStatus", "Limit", "Ledger"}


def _annotation(value: object) -> str:
    return value if isinstance(value, str) else inspect.formatannotation(value)


def _signature(obj: object) -> str:
    """``(a: int = 1, *, b: str | None = None) -> Plan``: annotations as written in the source, without quotes."""
    try:
        signature = inspect.signature(obj)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    parts, star = [], False
    for p in signature.parameters.values():
        if p.kind is p.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        prefix = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "")
        star = star or p.kind is p.VAR_POSITIONAL
        text = prefix + p.name
        if p.annotation is not p.empty:
            text += f": {_annotation(p.annotation)}"
        if p.default is not p.empty:
            text += f" = {p.default!r}"
        parts.append(text)
    returns = signature.return_annotation
    tail = "" if returns is signature.empty or returns in ("None", None) else f" -> {_annotation(returns)}"
    return f"({', '.join(parts)}){tail}"


#: The modules that define the TypedDicts of options a ``**`` parameter unpacks.
OPTION_MODULES = ("mmsnb.options", "mmsnb.client", "mmsnb.sandbox.gateway", "mmsnb.sandbox.server")


def _options(obj: object) -> str:
    """A line naming every option a ``**name: Unpack[Options]`` parameter of ``obj`` takes, with its type."""
    try:
        parameters = inspect.signature(obj).parameters.values()  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    for p in parameters:
        found = re.fullmatch(r"Unpack\[(\w+)\]", str(p.annotation)) if p.kind is p.VAR_KEYWORD else None
        if found is None:
            continue
        name = found.group(1)
        module = next(m for m in OPTION_MODULES if hasattr(importlib.import_module(m), name))
        options = getattr(importlib.import_module(module), name)
        keys = ", ".join(f"`{key}: {_annotation(ref.__forward_arg__)}`" for key, ref in options.__annotations__.items())
        return f"\n\n`**{p.name}` takes the options of `{module}.{name}`: {keys}."
    return ""


def _doc(obj: object) -> str:
    return inspect.cleandoc(inspect.getdoc(obj) or "")


def _entry(name: str, obj: object) -> str:
    if isinstance(obj, types.ModuleType) and callable(obj):  # mmsnb.report: a module you call
        call = _signature(type(obj).__call__).replace("(self, ", "(", 1)
        return f"### `mmsnb.{name}{call}`\n\n{_doc(obj)}\n"
    if isinstance(obj, types.ModuleType):
        heading = f"### `mmsnb.{name}`"
        members = [n for n in dir(obj) if not n.startswith("_") and inspect.isfunction(getattr(obj, n))]
        members = [n for n in members if getattr(obj, n).__module__ == obj.__name__]
        parts = [heading, "", _doc(obj), ""]
        for member in members:
            function = getattr(obj, member)
            parts += [f"#### `mmsnb.{name}.{member}{_signature(function)}`", "", _doc(function), ""]
        return "\n".join(parts)
    if inspect.isclass(obj) or callable(obj):
        kind = "class " if inspect.isclass(obj) else ""
        plain = inspect.isclass(obj) and (issubclass(obj, (BaseException, str)) or name in MADE_BY_MMSNB)
        signature = "" if plain else _signature(obj)
        return f"### {kind}`mmsnb.{name}{signature}`\n\n{_doc(obj)}{_options(obj)}\n"
    return f"### `mmsnb.{name}`\n\n`{obj!r}`\n"


def render() -> str:
    listed = [name for _, names in GROUPS for name in names]
    errors = sorted(n for n in mmsnb.__all__ if n.endswith("Error"))
    missing = set(mmsnb.__all__) - set(listed) - set(errors)
    if missing:
        raise SystemExit(f"Public names in no group of docs/make_python_api.py: {', '.join(sorted(missing))}")
    parts = [INTRO]
    for title, names in [*GROUPS, ("Errors", errors)]:
        parts.append(f"## {title}\n")
        parts += [_entry(name, getattr(mmsnb, name)) for name in names]
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    PAGE.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {PAGE}\n")
