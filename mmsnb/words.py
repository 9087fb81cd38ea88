"""How each edge words what the library says: Python (``str(error)``), the command line and the forms.

The library raises a sentence and, apart from it, what to change as data (a :class:`~mmsnb.errors.Fix`:
an option and the value that helps, or a call to make). This module alone turns the two into words
for one edge, so rewording a sentence never breaks a front end. A sentence names the fix where
``{fix}`` stands in it; otherwise the fix follows as a sentence of its own ("Pass fit=True to shrink
it."), or, as an alternative to what the sentence says, ends it (", or pass client_id=.").

>>> from mmsnb.errors import Fix
>>> fix = Fix(option="fit", value=True, to="shrink it")
>>> [say("The attachments total 511 KB.", fix, edge) for edge in EDGES]  # doctest: +NORMALIZE_WHITESPACE
['The attachments total 511 KB. Pass fit=True to shrink it.',
 'The attachments total 511 KB. Add --fit to shrink it.',
 'The attachments total 511 KB. Tick “Fit to the limit” to shrink it.']
>>> say("Campaign 'a' contacted it, within {fix}.", Fix(option="min_gap", value="7D"), "cli")
"Campaign 'a' contacted it, within --min-gap 7D."

Each edge's words are looked up by the option or call (the message id a catalogue of another
language would be keyed by).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .errors import Fix

#: Who reads: a Python user, a shell user, a user of the notebook forms.
Edge = Literal["python", "cli", "form"]
EDGES: tuple[Edge, ...] = ("python", "cli", "form")

#: The command line's option for each library option (an option missing here has none: its fix is left out).
CLI_OPTIONS = {
    "subject": "--subject",
    "attachments": "--attach",
    "fit": "--fit",
    "keep_metadata": "--keep-metadata",
    "min_gap": "--min-gap",
    "campaign": "--campaign",
    "ledger": "--ledger",
    "quota": "--quota",
    "latency": "--latency",
    "max_in_flight": "--max-in-flight",
    "rate": "--rate",
    "seed": "--seed",
    "time_scale": "--time-scale",
    "token_lifetime": "--token-lifetime",
    "window": "--window",
}
#: The label of the forms' switch for each library option; where a form has none, it speaks Python (it runs in
#: a notebook).
FORM_SWITCHES = {"fit": "Fit to the limit", "keep_metadata": "Keep photo metadata"}
#: How Python and the command line name a call that helps.
CALLS: dict[Edge, dict[str, str]] = {
    "python": {"opt_in": "mmsnb.opt_in(...)", "limit": "client.limit()"},
    "cli": {"opt_in": "'mmsnb opt-in NUMBER'", "limit": "'mmsnb limit'"},
}
#: The verb that asks for an option, at the start of a sentence.
VERBS: dict[Edge, str] = {"python": "Pass", "cli": "Add", "form": "Tick"}


def say(sentence: str, fix: Fix | None, edge: Edge = "python") -> str:
    """``sentence`` with ``fix`` in ``edge``'s words (a form speaks Python where it has no switch for it)."""
    if fix is None:
        return sentence
    if edge == "form" and fix.option not in FORM_SWITCHES:
        edge = "python"
    named = name(fix, edge)
    if "{fix}" in sentence:
        return sentence.replace("{fix}", named or name(fix, "python") or "")
    if named is None:
        return f"{sentence} {fix.otherwise}" if fix.otherwise else sentence
    ask = f"{VERBS[edge]} {named}" + (f" to {fix.to}" if fix.to else "")
    if fix.alternative:
        return f"{sentence.removesuffix('.')}, or {ask[0].lower()}{ask[1:]}."
    return f"{sentence} {ask}."


def name(fix: Fix, edge: Edge) -> str | None:
    """How ``edge`` names the option (with its value) or the call of ``fix``: the environment variable
    alone on the command line for an option it has none for; None when the edge has no such thing."""
    if fix.call is not None:
        return CALLS[edge].get(fix.call)
    if fix.others:
        each = [name(replace(fix, option=option, others=()), edge) for option in (fix.option, *fix.others)]
        return " or ".join(n for n in each if n) or None
    if edge == "cli":
        option = CLI_OPTIONS.get(fix.option)
        if option is None:
            return fix.variable or None
        return option if fix.value is True or fix.value is None else f"{option} {fix.value}"
    if edge == "form" and fix.option in FORM_SWITCHES:
        return f"“{FORM_SWITCHES[fix.option]}”"
    python = f"{fix.option}=" + ("" if fix.value is None else str(fix.value))
    return f"{fix.variable} or {python}" if fix.variable else python


# -- the media report ---------------------------------------------------------------------------------


def fitting(how: Mapping[str, Any]) -> str:
    """How an image was re-encoded (a :meth:`mmsnb.images.Fitted.how` record), in words.

    >>> fitting({"type": "image/jpeg", "quality": 65, "colours": None, "scaled": False, "frames": 1, "of_frames": 1})
    'JPEG quality 65'
    """
    smaller = ", made smaller" if how["scaled"] else ""
    if how["type"] == "image/jpeg":
        return f"JPEG quality {how['quality']}{smaller}"
    if how["type"] == "image/gif":
        if how["frames"] < how["of_frames"]:
            return f"first frame only: the {how['of_frames']}-frame animation did not fit even made smaller"
        if how["scaled"]:
            return f"every frame made smaller ({how['of_frames']})" if how["of_frames"] > 1 else "made smaller"
        return "compressed harder"
    still = "; first frame only: an animated PNG's frames are not kept" if how["of_frames"] > 1 else ""
    return ("reduced to 256 colours" if how["colours"] else "compressed harder") + smaller + still


def done(how: Mapping[str, Any], edge: Edge = "python", removed: str = "") -> str:
    """What was done to a file (a media report's ``how``): "fitted (JPEG quality 65)" for Python's ``done``
    column, "fitted, JPEG quality 65" on the other edges, where ``removed`` ("EXIF, XMP") names the metadata.

    >>> how = {"converted_from": "", "conversion": None, "cleaned": True, "fitted": None, "refused": False}
    >>> done(how), done(how, "form", "EXIF")
    ('metadata removed', 'EXIF removed')
    """
    parts = []

    def joined(what: str, note: str) -> str:
        return f"{what} ({note})" if edge == "python" else f"{what}, {note}"

    if how["conversion"] is not None:
        parts.append(joined(f"converted from {how['converted_from']}", fitting(how["conversion"])))
    elif how["cleaned"]:
        parts.append(f"{removed} removed" if removed and edge != "python" else "metadata removed")
    if how["fitted"] is not None:
        parts.append(joined("fitted", fitting(how["fitted"])))
    if how["refused"]:
        parts.append("refused")
    return "; ".join(parts) or "as is"


def listing(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def size(n: int) -> str:
    """A byte count as the sentences write it ("511 KB")."""
    return f"{n} bytes" if n < 10 * 1024 else f"{n / 1024:.0f} KB"


def plural(n: int, word: str) -> str:
    """ "1 recipient", "2 recipients"."""
    return f"{n} {word}{'' if n == 1 else 's'}"
