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

import gettext
import io
import locale
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

if TYPE_CHECKING:
    import pandas as pd

    from .errors import Fix


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue where it is looked up later (in a table of words)."""
    return message


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
    "window": "--hours",  # the send's sending hours; the sandbox's quota window (--window) has no fix of its own
    "days": "--days",
    "tz": "--tz",
    "start_at": "--start",
    "wait_for_quota": "--wait",
}
#: The label of the forms' switch for each library option; where a form has none, it speaks Python (it runs in
#: a notebook).
FORM_SWITCHES = {
    "fit": N_("Fit to the limit"),
    "keep_metadata": N_("Keep photo metadata"),
    "wait_for_quota": N_("Wait for the message limit to reset"),
}
#: How Python and the command line name a call that helps.
CALLS: dict[Edge, dict[str, str]] = {
    "python": {"opt_in": "mmsnb.opt_in(...)", "limit": "client.limit()"},
    "cli": {"opt_in": N_("'mmsnb opt-in NUMBER'"), "limit": "'mmsnb limit'"},
}
#: The verb that asks for an option, at the start of a sentence.
VERBS: dict[Edge, str] = {"python": N_("Pass"), "cli": N_("Add"), "form": N_("Tick")}


def say(sentence: str, fix: Fix | None, edge: Edge = "python", lang: Lang = "en") -> str:
    """``sentence`` with ``fix`` in ``edge``'s words (a form speaks Python where it has no switch for it), in
    ``lang`` (the sentence itself is given in that language already).

    >>> from mmsnb.errors import Fix
    >>> say("Załączniki mają 511 KB.", Fix(option="fit", value=True, to="shrink it"), "cli", "pl")
    'Załączniki mają 511 KB. Dodaj --fit, aby je zmniejszyć.'
    """
    if fix is None:
        return sentence
    _ = Speaker(lang)
    if edge == "form" and fix.option not in FORM_SWITCHES:
        edge = "python"
    named = name(fix, edge, lang)
    if "{fix}" in sentence:
        return sentence.replace("{fix}", named or name(fix, "python", lang) or "")
    if named is None:
        return f"{sentence} {_(fix.otherwise)}" if fix.otherwise else sentence
    verb = _(VERBS[edge])
    ask = _("{verb} {option} to {to}", verb=verb, option=named, to=_(fix.to)) if fix.to else f"{verb} {named}"
    if fix.alternative:
        return _("{sentence}, or {ask}.", sentence=sentence.removesuffix("."), ask=f"{ask[0].lower()}{ask[1:]}")
    return f"{sentence} {ask}."


def name(fix: Fix, edge: Edge, lang: Lang = "en") -> str | None:
    """How ``edge`` names the option (with its value) or the call of ``fix``: the environment variable
    alone on the command line for an option it has none for; None when the edge has no such thing."""
    _ = Speaker(lang)
    if fix.call is not None:
        call = CALLS[edge].get(fix.call)
        return None if call is None else _(call)
    if fix.others:
        each = [name(replace(fix, option=option, others=()), edge, lang) for option in (fix.option, *fix.others)]
        return _(" or ").join(n for n in each if n) or None
    if edge == "cli":
        option = CLI_OPTIONS.get(fix.option)
        if option is None:
            return fix.variable or None
        return option if fix.value is True or fix.value is None else f"{option} {fix.value}"
    if edge == "form" and fix.option in FORM_SWITCHES:
        return f"“{_(FORM_SWITCHES[fix.option])}”"
    python = f"{fix.option}=" + ("" if fix.value is None else str(fix.value))
    return f"{fix.variable}{_(' or ')}{python}" if fix.variable else python


# -- the media report ---------------------------------------------------------------------------------


def fitting(how: Mapping[str, Any], lang: Lang = "en") -> str:
    """How an image was re-encoded (a :meth:`mmsnb.images.Fitted.how` record), in words.

    >>> fitting({"type": "image/jpeg", "quality": 65, "colours": None, "scaled": False, "frames": 1, "of_frames": 1})
    'JPEG quality 65'
    """
    _ = Speaker(lang)
    smaller = _(", made smaller") if how["scaled"] else ""
    if how["type"] == "image/jpeg":
        return _("JPEG quality {quality}", quality=how["quality"]) + smaller
    if how["type"] == "image/gif":
        if how["frames"] < how["of_frames"]:
            return _(
                "first frame only: the {frames}-frame animation did not fit even made smaller", frames=how["of_frames"]
            )
        if how["scaled"]:
            many = _("every frame made smaller ({frames})", frames=how["of_frames"])
            return many if how["of_frames"] > 1 else _("made smaller")
        return _("compressed harder")
    still = _("; first frame only: an animated PNG's frames are not kept") if how["of_frames"] > 1 else ""
    return (_("reduced to 256 colours") if how["colours"] else _("compressed harder")) + smaller + still


def done(how: Mapping[str, Any], edge: Edge = "python", removed: str = "", lang: Lang = "en") -> str:
    """What was done to a file (a media report's ``how``): "fitted (JPEG quality 65)" for Python's ``done``
    column, "fitted, JPEG quality 65" on the other edges, where ``removed`` ("EXIF, XMP") names the metadata.

    >>> how = {"converted_from": "", "conversion": None, "cleaned": True, "fitted": None, "refused": False}
    >>> done(how), done(how, "form", "EXIF"), done(how, "form", "EXIF", "pl")
    ('metadata removed', 'EXIF removed', 'usunięto EXIF')
    """
    parts, _ = [], Speaker(lang)

    def joined(what: str, note: str) -> str:
        return f"{what} ({note})" if edge == "python" else f"{what}, {note}"

    if how["conversion"] is not None:
        converted = _("converted from {kind}", kind=how["converted_from"])
        parts.append(joined(converted, fitting(how["conversion"], lang)))
    elif how["cleaned"]:
        parts.append(_("{what} removed", what=removed) if removed and edge != "python" else _("metadata removed"))
    if how["fitted"] is not None:
        parts.append(joined(_("fitted"), fitting(how["fitted"], lang)))
    if how["refused"]:
        parts.append(_("refused"))
    return "; ".join(parts) or _("as is")


def listing(items: Sequence[str], _: Speaker | None = None) -> str:
    """ "a", "a and b", "a, b and c" (in ``_``'s language: "a, b i c")."""
    if len(items) < 2:
        return "".join(items)
    return (
        _("{items} and {last}", items=", ".join(items[:-1]), last=items[-1])
        if _
        else f"{', '.join(items[:-1])} and {items[-1]}"
    )


def written(address: object) -> str:
    """A gateway address as a person writes the number: ``tel:+48501102030`` → ``+48 501 102 030``.

    >>> written("tel:+48501102030")
    '+48 501 102 030'
    """
    if not isinstance(address, str) or not address.startswith("tel:+48") or len(address) != 16:
        return "" if not isinstance(address, str) else address.removeprefix("tel:")
    digits = address[7:]
    return f"+48 {digits[:3]} {digits[3:6]} {digits[6:]}"


def size(n: int, _: Speaker | None = None) -> str:
    """A byte count as the sentences write it ("511 KB"; in ``_``'s language when given)."""
    if _ is None or _.lang == "en":
        return f"{n} bytes" if n < 10 * 1024 else f"{n / 1024:.0f} KB"
    return _.ngettext("{n} byte", "{n} bytes", n) if n < 10 * 1024 else f"{_.number(n / 1024, 0)} KB"


# -- the catalogue: Polish and English ---------------------------------------------------------------------

#: The languages mmsnb speaks: English (the catalogue's message ids) and Polish.
Lang = Literal["en", "pl"]
LANGS: tuple[Lang, ...] = ("en", "pl")
#: Where dates and times are shown unless ``tz=`` says otherwise.
TIME_ZONE = "Europe/Warsaw"


def language(lang: str | None = None, *, system: bool = False) -> Lang:
    """The language to speak: ``lang`` if given, else ``MMSNB_LANG`` (the environment, then ``.env``), else (with
    ``system``, as the command line does) the system locale's, else English. An unknown language is English,
    except ``lang=`` given by hand, which is refused.

    >>> language("pl_PL.UTF-8"), language("en")
    ('pl', 'en')
    """
    if lang:
        chosen = _known(lang)
        if chosen is None:
            from .errors import Fix, InputError

            raise InputError(f"mmsnb speaks English and Polish, not {lang!r}.", fix=Fix(option="lang", value="pl"))
        return chosen
    from .config import environment

    setting = environment().get("MMSNB_LANG", "")
    if setting:
        return _known(setting) or "en"
    if system:
        found = locale.getlocale(locale.LC_MESSAGES)[0] or os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
        return _known(found) or "en"
    return "en"


def _known(name: str) -> Lang | None:
    code = name.strip().lower().replace("-", "_").split("_")[0].split(".")[0]
    return "pl" if code in ("pl", "polish") else "en" if code in ("en", "c", "posix", "english") else None


@cache
def catalogue(lang: Lang) -> gettext.NullTranslations:
    """The translations of ``lang``, read from the ``.po`` file shipped in the package (no build step: Babel reads
    it and compiles it in memory). English is the message ids themselves."""
    if lang == "en":
        return gettext.NullTranslations()
    source = resources.files("mmsnb") / "locale" / lang / "LC_MESSAGES" / "mmsnb.po"
    with source.open("rb") as po:
        catalog = read_po(po, locale=lang, domain="mmsnb")
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain="mmsnb")


@dataclass(frozen=True)
class Speaker:
    """Words in one language: ``_("Subject")``, ``_.ngettext("{n} recipient", "{n} recipients", n)``, numbers and
    times as that language writes them.

    >>> _ = speaker("pl")
    >>> [_.ngettext("{n} recipient", "{n} recipients", n) for n in (1, 2, 5, 22)]
    ['1 odbiorca', '2 odbiorcy', '5 odbiorców', '22 odbiorcy']
    >>> _("Subject"), _.number(12345.5)
    ('Treść', '12\\xa0345,5')
    """

    lang: Lang = "en"

    def __call__(self, message: str, **values: object) -> str:
        """``message`` in this language, with ``{name}`` filled in from ``values`` (a :class:`Counted` one in this
        language too)."""
        said = catalogue(self.lang).gettext(message)
        if not values:
            return said
        return said.format(**{k: v.said(self) if isinstance(v, Later) else v for k, v in values.items()})

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        """The form of ``singular``/``plural`` this language uses for ``n`` (Polish has three), ``{n}`` filled in."""
        said = catalogue(self.lang).ngettext(singular, plural, n)
        return said.format(n=self.number(n), **values)

    def number(self, value: float, digits: int = 1) -> str:
        """``value`` with this language's separators, at most ``digits`` decimals."""
        return str(format_decimal(round(value, digits), locale=self.lang))

    def percent(self, share: float) -> str:
        """``share`` (0 to 1) as a percentage with one decimal: "71.9%", "71,9%"."""
        return str(format_percent(share, "#,##0.0%", locale=self.lang))

    def when(self, moment: datetime | pd.Timestamp, tz: str = TIME_ZONE) -> str:
        """A moment in time in ``tz`` (Europe/Warsaw by default): "5 grudnia 2026, 11:14"; a naive one is UTC."""
        import pandas as pd  # here: the command line's --help does not load pandas

        stamp = pd.Timestamp(moment)
        if stamp.tzinfo is None:
            stamp = stamp.tz_localize("UTC")
        return str(format_datetime(stamp.to_pydatetime(), "d MMMM y, HH:mm", tzinfo=ZoneInfo(tz), locale=self.lang))

    def day(self, day: date) -> str:
        """A date: "poniedziałek, 1 grudnia 2026"."""
        return str(format_date(day, "EEEE, d MMMM y", locale=self.lang))

    def duration(self, seconds: float) -> str:
        """A length of time in words, rounded: "3 minuty"."""
        return str(format_timedelta(timedelta(seconds=seconds), threshold=1.1, locale=self.lang))


class Later:
    """A value of a sentence kept to be said later (an error's, a row's): each language says it in its own words,
    English where the sentence is formatted as it is."""

    def said(self, speaker: Speaker) -> str:
        """The value in ``speaker``'s language."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.said(Speaker("en"))

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


@dataclass(frozen=True)
class Counted(Later):
    """A count with its noun, said with each language's plural form.

    >>> needed = Counted("{n} request", "{n} requests", 22)
    >>> str(needed), Speaker("pl")("{n} in all", n=needed) == "22 wiadomości in all"
    ('22 requests', True)
    """

    singular: str
    plural: str
    n: int

    def said(self, speaker: Speaker) -> str:
        return speaker.ngettext(self.singular, self.plural, self.n)


@dataclass(frozen=True)
class Phrase(Later):
    """A message of the catalogue (its ``values`` filled in), said in each language's words.

    >>> where = Phrase("gateway")
    >>> str(where), Speaker("pl")("{where}!", where=where)
    ('gateway', 'bramka operatora!')
    """

    message: str
    values: Mapping[str, object] = field(default_factory=dict)

    def said(self, speaker: Speaker) -> str:
        return speaker(self.message, **{"fix": "{fix}", **self.values}) if self.values else speaker(self.message)


@dataclass(frozen=True)
class Bytes(Later):
    """A size in bytes as the sentences write it (:func:`size`), in each language.

    >>> str(Bytes(2000)), Speaker("pl")("{n}", n=Bytes(2000)), str(Bytes(400 * 1024))
    ('2000 bytes', '2\xa0000 bajtów', '400 KB')
    """

    n: int

    def said(self, speaker: Speaker) -> str:
        return size(self.n, speaker)


@dataclass(frozen=True)
class Day(Later):
    """A day as the sentences write it, in each language: "5 December 2026", "5 grudnia 2026".

    >>> str(Day(date(2026, 12, 5))), Speaker("pl")("{d}", d=Day(date(2026, 12, 5)))
    ('5 December 2026', '5 grudnia 2026')
    """

    day: date

    def said(self, speaker: Speaker) -> str:
        return str(format_date(self.day, "d MMMM y", locale=speaker.lang))


def speaker(lang: str | None = None) -> Speaker:
    """A :class:`Speaker` of ``lang`` (see :func:`language`)."""
    return Speaker(language(lang))


#: What a person reads for each send state (a row of results), looked up in the catalogue.
SEND_STATE_WORDS: dict[str, str] = {
    "accepted": N_("Sent"),
    "invalid": N_("Not sent — invalid number"),
    "rejected": N_("Not sent — refused by the gateway"),
    "duplicate": N_("Not sent — repeated number"),
    "quota": N_("Not sent — the message limit is used up"),
    "unknown": N_("Outcome unknown — not repeated"),
    "already-sent": N_("Sent before"),
    "in-progress": N_("Being sent by another run"),
    "stopped": N_("Not sent — stopped"),
    "opted-out": N_("Not sent — opted out"),
    "too-soon": N_("Not sent — contacted recently"),
    "planned": N_("Planned"),
    "paused": N_("Not sent yet — paused"),
}
#: What a person reads for each campaign state (:func:`mmsnb.campaigns`' ``state``).
CAMPAIGN_STATE_WORDS: dict[str, str] = {
    "finished": N_("Finished"),
    "sending": N_("Sending"),
    "paused": N_("Paused"),
    "waiting-for-quota": N_("Waiting for the message limit to reset"),
    "interrupted": N_("Interrupted: send it again to resume"),
}
#: What a person reads for each delivery category.
CATEGORY_WORDS: dict[str, str] = {
    "delivered": N_("Delivered"),
    "pending": N_("Awaiting a report"),
    "partial": N_("Partly delivered"),
    "failed": N_("Not delivered"),
    "unknown": N_("Unknown"),
}


def translated(text: str, lang: Lang) -> str:
    """An English sentence of the catalogue, its values filled in, said in ``lang``; ``text`` as it is when no
    message of the catalogue words it (a sentence said in Polish already, or one from outside mmsnb).

    The values stay as they were written: ``'…'`` where :func:`mmsnb.tables.reason_kind` elided them.

    >>> translated("'…' is not a valid Polish number: check the digits (a mobile number has 9).", "pl")
    "'…' nie jest prawidłowym polskim numerem: sprawdź cyfry (numer komórkowy ma ich 9)."
    >>> translated("Not a sentence of mmsnb.", "pl")
    'Not a sentence of mmsnb.'
    """
    if lang == "en":
        return text
    said = _matched(text, lang)
    if said is not None:
        return said
    fix = _FIX_SENTENCE.fullmatch(text)
    if fix is not None:
        _ = Speaker(lang)
        verb, option, to = fix.groups()
        return _("{verb} {option} to {to}", verb=_(verb), option=option, to=_(to)) + "."
    for end in re.finditer(r"[.!?] ", text):  # a sentence the catalogue has, then what follows it (its fix)
        first = _matched(text[: end.start() + 1], lang)
        if first is not None:
            return f"{first} {translated(text[end.end() :], lang)}"
    return text


#: A fix said as a sentence of its own (:func:`say`): "Pass fit=True to shrink it."
_FIX_SENTENCE = re.compile(r"(Pass|Add|Tick) (.+?) to (.+)\.")


def _matched(text: str, lang: Lang) -> str | None:
    """``text`` in ``lang`` when a message of the catalogue words it whole; else None."""
    for pattern, said in _patterns(lang):
        found = pattern.fullmatch(text)
        if found is not None:
            values = {k: translated(v, lang) if " " in v else Speaker(lang)(v) for k, v in found.groupdict().items()}
            return _filled(said, values)  # a value that is a message of the catalogue itself is said too
    return None


def _filled(message: str, values: Mapping[str, str]) -> str:
    """``message`` with each ``{name}`` that ``values`` has replaced by its text as it is."""
    return _FIELD.sub(lambda field: values.get(field.group(1), field.group(0)), message)


#: A ``{name}`` of a message, with its conversion and format (``{number!r}``, ``{n:,}``).
_FIELD = re.compile(r"\{(\w+)(?:![rsa])?(?::[^{}]*)?\}")


@cache
def _patterns(lang: Lang) -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each singular message of ``lang``'s catalogue that has values, as a pattern of its English words (each value
    any text), with its words in ``lang``."""
    source = resources.files("mmsnb") / "locale" / lang / "LC_MESSAGES" / "mmsnb.po"
    with source.open("rb") as po:
        catalog = read_po(po, locale=lang, domain="mmsnb")
    out = []
    for message in catalog:
        if not isinstance(message.id, str) or not isinstance(message.string, str) or not _FIELD.search(message.id):
            continue
        if len(re.findall(r"[A-Za-z]{3,}", _FIELD.sub(" ", message.id))) < 2:
            continue  # "{sentence}, or {ask}." would word any text
        parts, seen = [], set()
        for piece in re.split(r"(\{\w+(?:![rsa])?(?::[^{}]*)?\})", message.id):
            field = _FIELD.fullmatch(piece)
            if field is None:
                parts.append(re.escape(piece))
            elif field.group(1) in seen:
                parts.append(f"(?P={field.group(1)})")
            else:
                seen.add(field.group(1))
                parts.append(f"(?P<{field.group(1)}>.+?)")
        out.append((re.compile("".join(parts), re.DOTALL), message.string))
    return tuple(sorted(out, key=lambda p: -len(p[0].pattern)))


def errors_language() -> Lang:
    """The language of the library's exceptions: English unless ``MMSNB_LANG`` (the environment, then ``.env``)
    says otherwise. Cheap enough for every ``str(error)``: a ``.env`` file is read again only when it changes."""
    setting = os.environ.get("MMSNB_LANG")
    if setting is None:
        from .config import find_env_file

        found = find_env_file()
        setting = _dotenv_language(found, found.stat().st_mtime_ns) if found else ""
    return _known(setting) or "en"


@cache
def _dotenv_language(path: Path, _stamp: int) -> str:
    from dotenv import dotenv_values

    return dotenv_values(path).get("MMSNB_LANG") or ""


# -- the campaign as a person recognises it ------------------------------------------------------------------

#: How :func:`mmsnb.campaign.campaign_name` names a campaign nobody named: ``auto-`` and 16 hex digits.
AUTOMATIC_NAME = re.compile(r"auto-[0-9a-f]{16}")
#: Words of the subject an automatic name is shown by; the longest a word is shown.
TITLE_WORDS, TITLE_WORD_LENGTH = 5, 30


def campaign_title(
    campaign: str,
    subject: str | None = None,
    when: datetime | date | pd.Timestamp | None = None,
    lang: str | None = None,
    tz: str = TIME_ZONE,
) -> str:
    """The campaign as a person recognises it: a name someone chose as it is; an automatic name (``auto-…``, the
    internal key, which stays as it is) as the subject's first words and the day it was sent (in ``tz``).

    >>> campaign_title("auto-5465ffcba600e86b", "Cześć {first_name}!", datetime(2026, 12, 5, 10, 0), "pl")
    '„Cześć {first_name}!” — 5 grudnia 2026'
    >>> campaign_title("spring-sale", "Cześć {first_name}!", datetime(2026, 12, 5, 10, 0), "pl")
    'spring-sale'
    """
    if not AUTOMATIC_NAME.fullmatch(campaign):
        return campaign
    _ = speaker(lang)
    found = (subject or "").split()
    first = " ".join(w if len(w) <= TITLE_WORD_LENGTH else w[:TITLE_WORD_LENGTH] + "…" for w in found[:TITLE_WORDS])
    first += "…" if len(found) > TITLE_WORDS and not first.endswith("…") else ""
    day = None if when is None else _day_in(when, tz, _.lang)
    if first and day:
        return _("“{words}” — {day}", words=first, day=day)
    if first:
        return _("“{words}”", words=first)
    if day:
        return _("Campaign of {day}", day=day)
    return _("Campaign named automatically")


def _day_in(when: datetime | date, tz: str, lang: Lang) -> str:
    """The day of ``when`` in ``tz`` (a naive time is UTC; a date is taken as it is): "5 grudnia 2026"."""
    import pandas as pd

    if isinstance(when, datetime):
        stamp = pd.Timestamp(when)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
        when = stamp.tz_convert(tz).date()
    return str(format_date(when, "d MMMM y", locale=lang))
