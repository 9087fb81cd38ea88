"""The command line's words: results, reports and errors turned into the lines ``mmsnb`` prints.

The library's errors carry what to change as data; here they are worded with the command line's
options (:mod:`mmsnb.words`): "Pass fit=True" in Python reads "Add --fit" here.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import words
from ..errors import ConfigError, InputError, LedgerError, MMSError
from ..words import Lang

if TYPE_CHECKING:  # pandas loads only when a command has a frame to show: `mmsnb --help` stays fast
    import pandas as pd

    from ..result_columns import SendInfo

#: How ``opt-out`` and ``opt-in`` say what became of each valid number, by the library's ``result``.
CHANGED = {
    "opted-out": "opted out",
    "already-opted-out": "already opted out",
    "opted-in": "opted in",
    "not-opted-out": "was not opted out",
}
#: A line to print, and whether it goes to stderr.
Line = tuple[str, bool]


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


def sent(results: pd.DataFrame, info: SendInfo, keep_metadata: bool, again: bool = True) -> list[Line]:
    """One line for each number of a send, then one for each file it changed (when anything was sent);
    ``again``: a number sent before is told how to send it anew."""
    from ..result_columns import SendState

    out: list[Line] = []
    for position, row in enumerate(results.itertuples()):
        who = row.address if isinstance(row.address, str) else repr(row.number)
        if row.send_state == SendState.ACCEPTED:
            out.append((f"{who}: sent, message id: {row.message_id}", False))
        elif row.send_state == SendState.ALREADY_SENT:
            out.append(
                (
                    f"{who}: already sent at {row.sent_at:%Y-%m-%d %H:%M:%S} UTC as message id: {row.message_id} "
                    f"(campaign {info.campaign}); not sent again." + (" Add --again to send it anew." if again else ""),
                    False,
                )
            )
        else:
            why = (info.said(position, "cli") or str(row.error)).removeprefix("Not sent: ")
            out.append((f"{who}: not sent ({row.send_state!s}): {why}", True))
    if (results.send_state == SendState.ACCEPTED).any():
        out += [(text, False) for text in file_lines(info.media, keep_metadata)]
    return out


def changes(results: pd.DataFrame, labels: Sequence[str], verb: str) -> list[Line]:
    """What became of each number given to opt-out or opt-in, one line each (invalid ones on stderr)."""
    width = max((len(str(a)) for a in results.address.dropna()), default=0)
    return [
        (f"{label}: not {verb}: {row.error}", True)
        if row.result == "invalid"
        else (f"{row.address:<{width}}  {CHANGED[str(row.result)]}", False)
        for label, row in zip(labels, results.itertuples(), strict=True)
    ]


def opt_outs(frame: pd.DataFrame, ended: bool) -> list[str]:
    """The table ``opt-out --list`` prints: number, when and why (and, with ``ended``, the opt-ins)."""
    if frame.empty:
        return ["No number has opted out."]
    shown = {"number": frame.address, "opted out (UTC)": frame.opted_out_at, "reason": frame.reason}
    if ended:
        shown |= {"opted in (UTC)": frame.opted_in_at, "opt-in reason": frame.opted_in_reason}
    header = list(shown)
    columns = [
        (c.dt.strftime("%Y-%m-%d %H:%M") if c.dtype.kind == "M" else c).astype("string").fillna("")
        for c in shown.values()
    ]
    rows = [list(map(str, row)) for row in zip(*columns, strict=True)]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


def file_lines(records: Sequence[Mapping[str, Any]], keep_metadata: bool = False) -> list[str]:
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
                out.append(f"{name}: sent with its location (GPS), as --keep-metadata asks")
            continue
        told = []
        if how["conversion"] is None and how["cleaned"]:
            what = ["location (GPS)"] * bool(r["gps"]) + [m for m in r["metadata_removed"].split(", ") if m]
            told.append(words.listing(what) + " removed")
        changed = words.done({**how, "cleaned": False}, "cli")
        if changed != "as is":
            before, after = r["pixels"], r["sent_pixels"]
            pixels = f", {before} → {after}" if before and after and before != after else f", {after}" if after else ""
            told.insert(0, f"{words.size(r['bytes'])} → {words.size(r['sent_bytes'])}{pixels} ({changed})")
            if r["gps"] and len(told) == 1:  # re-encoded: the location went with the rest of the EXIF
                told.append("location (GPS) removed")
        out.append(f"{name}: {'; '.join(told)}")
    return out


def campaign_lines(table: pd.DataFrame, tz: str) -> list[str]:
    """``mmsnb campaigns``: a header and one aligned line per campaign of :func:`mmsnb.campaigns`."""
    import pandas as pd

    if table.empty:
        return ["The ledger holds no campaign yet."]

    def rate(row: Any) -> str:
        if row.accepted == 0:
            return "-"
        return f"{row.rate:.1%} ({row.rate_low:.1%} to {row.rate_high:.1%})"

    def opened(median: Any) -> str:
        return "-" if pd.isna(median) else str(median.round("1s")).removeprefix("0 days ")

    def state(row: Any) -> str:
        if pd.isna(row.state):
            return "-"
        said = str(row.state).replace("-", " ")
        return said if pd.isna(row.state_until) else f"{said} until {row.state_until:%Y-%m-%d %H:%M}"

    header = ["campaign", f"first send ({tz})", "recipients", "accepted", "delivered", "failed", "not final",
              "delivery rate (95 % CI)", "half opened by", "state"]  # fmt: skip
    first = table["first_sent"].dt.strftime("%Y-%m-%d %H:%M").fillna("-")
    rows = [
        [str(name), str(when), f"{row.recipients:,}", f"{row.accepted:,}", f"{row.delivered:,}", f"{row.failed:,}",
         f"{row.not_final:,}", rate(row), opened(row.median_retrieval), state(row)]
        for name, when, row in zip(table.index, first, table.itertuples(index=False), strict=True)
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
