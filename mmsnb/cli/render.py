"""The command line's words: results, reports and errors turned into the lines ``mmsnb`` prints.

The library's errors carry what to change as data; here they are worded with the command line's
options (:mod:`mmsnb.words`): "Pass fit=True" in Python reads "Add --fit" here. Every line is a message of the
catalogue, said in the command line's language (``MMSNB_LANG``, else the system's locale): in Polish a number
shows as a person writes it and an outcome in words, never as the gateway's address or a state's name.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import words
from ..errors import ConfigError, InputError, LedgerError, MMSError
from ..words import CAMPAIGN_STATE_WORDS, CATEGORY_WORDS, N_, SEND_STATE_WORDS, Lang, Speaker, language

if TYPE_CHECKING:  # pandas loads only when a command has a frame to show: `mmsnb --help` stays fast
    import pandas as pd

    from ..result_columns import SendInfo

#: How ``opt-out`` and ``opt-in`` say what became of each valid number, by the library's ``result``.
CHANGED = {
    "opted-out": N_("opted out"),
    "already-opted-out": N_("already opted out"),
    "opted-in": N_("opted in"),
    "not-opted-out": N_("was not opted out"),
}
#: The line for a number ``opt-out`` or ``opt-in`` refused, by the verb of the command.
NOT_CHANGED = {"opted out": N_("{label}: not opted out: {error}"), "opted in": N_("{label}: not opted in: {error}")}
#: The words of a caller that names no language.
ENGLISH = Speaker("en")
#: A line to print, and whether it goes to stderr.
Line = tuple[str, bool]


def speaker() -> Speaker:
    """The command line's words: ``MMSNB_LANG``, else the system's locale, else English."""
    return Speaker(language(system=True))


def who(address: object, _: Speaker) -> str:
    """A number as a line names it: the gateway's address in English (as it always was), as a person writes it in
    Polish."""
    return str(address) if _.lang == "en" else words.written(address)


def state(value: object, _: Speaker) -> str:
    """A send state: its name in English (as it always was), in words in Polish."""
    return str(value) if _.lang == "en" else _(SEND_STATE_WORDS.get(str(value), str(value)))


def show(lines: Iterable[Line]) -> None:
    """Print each line, to stderr where it says so."""
    for text, to_stderr in lines:
        print(text, file=sys.stderr if to_stderr else sys.stdout, flush=True)


def error(exc: MMSError, lang: Lang = "en") -> str:
    """The line for an error: its sentence (in ``lang``) with what to change named as the command line's option."""
    return f"mmsnb: {exc.say('cli', lang)}"


def status(exc: MMSError) -> int:
    """The exit status of an error: 2 for a mistake in the command or the settings, else 1."""
    return 2 if isinstance(exc, ConfigError | InputError | LedgerError) else 1


def sent(
    results: pd.DataFrame, info: SendInfo, keep_metadata: bool, _: Speaker = ENGLISH, again: bool = True
) -> list[Line]:
    """One line for each number of a send, then one for each file it changed (when anything was sent);
    ``again``: a number sent before is told how to send it anew."""
    from ..result_columns import SendState

    out: list[Line] = []
    for position, row in enumerate(results.itertuples()):
        number = who(row.address, _) if isinstance(row.address, str) else repr(row.number)
        if row.send_state == SendState.ACCEPTED:
            out.append((_("{who}: sent, message id: {id}", who=number, id=row.message_id), False))
        elif row.send_state == SendState.ALREADY_SENT:
            at: Any = row.sent_at
            when = f"{at:%Y-%m-%d %H:%M:%S} UTC" if _.lang == "en" else _.when(at)
            told = {"who": number, "when": when, "id": row.message_id, "campaign": info.campaign}
            said = (
                _(
                    "{who}: already sent at {when} as message id: {id} (campaign {campaign}); not sent again. "
                    "Add {again} to send it anew.",
                    again="--again",
                    **told,
                )
                if again
                else _(
                    "{who}: already sent at {when} as message id: {id} (campaign {campaign}); not sent again.", **told
                )
            )
            out.append((said, False))
        else:
            why = (info.said(position, "cli", _.lang) or str(row.error)).removeprefix(_("Not sent: "))
            out.append(
                (_("{who}: not sent ({state}): {why}", who=number, state=state(row.send_state, _), why=why), True)
            )
    if (results.send_state == SendState.ACCEPTED).any():
        out += [(text, False) for text in file_lines(info.media, keep_metadata, _)]
    return out


def changes(results: pd.DataFrame, labels: Sequence[str], verb: str, _: Speaker = ENGLISH) -> list[Line]:
    """What became of each number given to opt-out or opt-in, one line each (invalid ones on stderr)."""
    width = max((len(who(a, _)) for a in results.address.dropna()), default=0)
    return [
        (_(NOT_CHANGED[verb], label=label, error=row.error), True)
        if row.result == "invalid"
        else (f"{who(row.address, _):<{width}}  {_(CHANGED[str(row.result)])}", False)
        for label, row in zip(labels, results.itertuples(), strict=True)
    ]


def opt_outs(frame: pd.DataFrame, ended: bool, _: Speaker = ENGLISH) -> list[str]:
    """The table ``opt-out --list`` prints: number, when and why (and, with ``ended``, the opt-ins); times in UTC in
    English (as they always were), in Polish time in Polish."""
    if frame.empty:
        return [_("No number has opted out.")]
    zone = "UTC" if _.lang == "en" else words.TIME_ZONE
    shown = {
        _("number"): frame.address.map(lambda a: who(a, _)),
        _("opted out ({zone})", zone=zone): frame.opted_out_at,
        _("reason"): frame.reason,
    }
    if ended:
        shown |= {_("opted in ({zone})", zone=zone): frame.opted_in_at, _("opt-in reason"): frame.opted_in_reason}
    columns = [
        (c.dt.tz_convert(zone).dt.strftime("%Y-%m-%d %H:%M") if c.dtype.kind == "M" else c).astype("string").fillna("")
        for c in shown.values()
    ]
    return aligned(list(shown), [list(map(str, row)) for row in zip(*columns, strict=True)])


def aligned(header: list[str], rows: list[list[str]]) -> list[str]:
    """``header`` and ``rows`` as lines of columns two spaces apart."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


def file_lines(records: Sequence[Mapping[str, Any]], keep_metadata: bool = False, _: Speaker = ENGLISH) -> list[str]:
    """One line for each file a send changed (fitted, converted, metadata removed), from its media report's
    records (``results.mms.info.media``); and one for each photo sent with its location.

    >>> jpeg = {"type": "image/jpeg", "quality": 65, "colours": None, "scaled": False, "frames": 1, "of_frames": 1}
    >>> how = {"converted_from": "", "conversion": None, "cleaned": False, "refused": False, "fitted": jpeg}
    >>> file_lines([{"file": "big.jpg", "bytes": 523110, "sent_bytes": 297558, "pixels": "960×720",
    ...   "sent_pixels": "960×720", "gps": False, "metadata_removed": "", "how": how}])
    ['big.jpg: 511 KB → 291 KB, 960×720 (fitted, JPEG quality 65)']
    >>> how = {"converted_from": "", "conversion": None, "cleaned": True, "fitted": None, "refused": False}
    >>> file_lines([{"file": "photo.jpg", "bytes": 20000, "sent_bytes": 19000, "pixels": "64×48",
    ...   "sent_pixels": "64×48", "gps": True, "metadata_removed": "EXIF", "how": how}])
    ['photo.jpg: location (GPS) and EXIF removed']
    """
    out = []
    for r in records:
        how, name = r["how"], r["file"]
        if words.done(how) == "as is":
            if r["gps"] and keep_metadata:
                out.append(
                    _("{name}: sent with its location (GPS), as {option} asks", name=name, option="--keep-metadata")
                )
            continue
        told = []
        if how["conversion"] is None and how["cleaned"]:
            what = [_("location (GPS)")] * bool(r["gps"]) + [m for m in r["metadata_removed"].split(", ") if m]
            told.append(_("{what} removed", what=words.listing(what, _)))
        changed = words.done({**how, "cleaned": False}, "cli", lang=_.lang)
        if changed != _("as is"):
            before, after = r["pixels"], r["sent_pixels"]
            pixels = f", {before} → {after}" if before and after and before != after else f", {after}" if after else ""
            told.insert(0, f"{words.size(r['bytes'], _)} → {words.size(r['sent_bytes'], _)}{pixels} ({changed})")
            if r["gps"] and len(told) == 1:  # re-encoded: the location went with the rest of the EXIF
                told.append(_("location (GPS) removed"))
        out.append(f"{name}: {'; '.join(told)}")
    return out


def campaign_lines(
    table: pd.DataFrame, tz: str, _: Speaker = ENGLISH, subjects: Mapping[str, str] | None = None
) -> list[str]:
    """``mmsnb campaigns``: a header and one aligned line per campaign of :func:`mmsnb.campaigns`: its key (to type
    into ``mmsnb report``/``resume``) and, for an automatic name, its title (the first words of its ``subjects``'
    subject and the day)."""
    import pandas as pd

    def title(name: str, first: Any) -> str:
        said = words.campaign_title(name, (subjects or {}).get(name), None if pd.isna(first) else first, _.lang, tz)
        return "-" if said == name else said

    if table.empty:
        return [_("The ledger holds no campaign yet.")]

    def rate(row: Any) -> str:
        if row.accepted == 0:
            return "-"
        return _("{rate} ({low} to {high})", rate=_.percent(row.rate), low=_.percent(row.rate_low),
                 high=_.percent(row.rate_high))  # fmt: skip

    def opened(median: Any) -> str:
        return "-" if pd.isna(median) else str(median.round("1s")).removeprefix("0 days ")

    def count(n: Any) -> str:
        return f"{n:,}" if _.lang == "en" else _.number(n)

    def state(row: Any) -> str:
        if pd.isna(row.state):
            return "-"
        said = _(CAMPAIGN_STATE_WORDS[str(row.state)])
        if pd.isna(row.state_until):
            return said
        until = f"{row.state_until:%Y-%m-%d %H:%M}" if _.lang == "en" else _.when(row.state_until)
        return _("{state} until {when}", state=said, when=until)

    header = [_("campaign"), _("title"), _("first send ({tz})", tz=tz), _("recipients"), _("accepted"), _("delivered"),
              _("failed"), _("not final"), _("delivery rate (95 % CI)"), _("half opened by"), _("state")]  # fmt: skip
    first = table["first_sent"].dt.strftime("%Y-%m-%d %H:%M").fillna("-")
    rows = [
        [str(name), title(str(name), row.first_sent), str(when), count(row.recipients), count(row.accepted),
         count(row.delivered), count(row.failed), count(row.not_final), rate(row), opened(row.median_retrieval),
         state(row)]
        for name, when, row in zip(table.index, first, table.itertuples(index=False), strict=True)
    ]  # fmt: skip
    return aligned(header, rows)


def status_lines(status: Any, _: Speaker = ENGLISH) -> list[str]:
    """``mmsnb status``: the message's status and what it means, then each address's (a
    :class:`~mmsnb.gateway_answers.DeliveryStatus`). In Polish, the operator's card's words."""
    from ..delivery_statuses import describe

    if _.lang == "en":
        final = "final" if status.final else "not final"
        return [f"{status.status} ({status.category}, {final}): {status.meaning}"] + [
            f"  {a.address}: {a.status} ({a.category})" for a in status.addresses
        ]
    final = _("final") if status.final else _("not final yet")
    return [f"{describe(status.status).meaning_in(_.lang)} ({_(CATEGORY_WORDS[status.category])}, {final})"] + [
        f"  {who(a.address, _)}: {describe(a.status).meaning_in(_.lang)}" for a in status.addresses
    ]
