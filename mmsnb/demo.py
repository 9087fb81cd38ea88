"""``mmsnb demo``: a whole campaign on the embedded sandbox, end to end.

The sample campaign is checked, sent in waves (one per segment) with an image, sent again to
show that nothing goes out twice, polled until every message is final; the results CSV and the
charts land in ``out/demo/`` and a summary is printed. The waves are one campaign, so a number
listed in two segments gets one message.

>>> from mmsnb.demo import run
>>> results = run(out="out/demo")
Sample campaign: 500 recipients from .../campaign.csv
...
Done in ... s. Results, summary and charts are in out/demo/
>>> len(results)
500
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from . import plot
from .campaign import plan, send
from .errors import ConfigError
from .files import read_recipients
from .ledger import History, history
from .polling import poll
from .result_columns import SendState
from .sandbox import Sandbox
from .tables import summary
from .words import N_, Speaker, speaker

DATA = Path(__file__).resolve().parent.parent / "data"
#: The time zone of the demo's time axes: the sample campaign's recipients are in Poland.
TZ = "Europe/Warsaw"
SUBJECT = "Cześć {first_name}! -20% na wszystko w ten weekend."
#: Simulated seconds per real second in the demo's own sandbox: the delivery reports a handset sends
#: within ten minutes arrive within a second, so the demo ends in seconds, not minutes.
TIME_SCALE = 600.0


def _chart(draw: Callable[..., Axes], data: pd.DataFrame | History, path: Path, **kwargs: Any) -> None:
    figure = Figure(figsize=(8, 4.5), layout="constrained")
    draw(data, ax=figure.subplots(), **kwargs)
    figure.savefig(path, dpi=110)


def run(
    *,
    out: str | Path = "out/demo",
    quota: int = 1000,
    seed: int = 0,
    time_scale: float = TIME_SCALE,
    data: str | Path = DATA,
    sandbox: Sandbox | None = None,
) -> pd.DataFrame:
    """Run the demo (on ``sandbox`` if given, else on a new one whose clock runs ``time_scale`` times faster).

    Returns the polled results.
    """
    data, out, _ = Path(data), Path(out), speaker()
    csv = data / "campaign.csv"
    if not csv.is_file():
        raise ConfigError(f"The sample campaign {csv} is missing: run the demo from a clone of the mmsnb repository.")
    out.mkdir(parents=True, exist_ok=True)
    ledger = out / "ledger.sqlite"
    for stale in out.glob("ledger.sqlite*"):
        stale.unlink()
    started = time.monotonic()
    frame = read_recipients(csv, to="msisdn")
    print(
        _(
            "Sample campaign: {recipients} from {csv}",
            recipients=_.ngettext("{n} recipient", "{n} recipients", len(frame)),
            csv=csv,
        )
    )
    with (
        nullcontext(sandbox)
        if sandbox is not None
        else Sandbox(quota=quota, seed=seed, time_scale=time_scale) as gateway
    ):
        client = gateway.client()
        print(
            _(
                "Sandbox gateway at {url} (quota {available}; its handsets answer {scale} times faster than real ones)",
                url=gateway.url,
                available=_.ngettext("{n} request", "{n} requests", client.limit().available),
                scale=f"{gateway.gateway.time_scale:g}",
            )
        )
        options: dict[str, Any] = dict(
            subject=SUBJECT, attachments=data / "promo.jpg", sender="Sklep Demo", ledger=ledger, campaign="demo"
        )
        checked = plan(client, frame, **options)
        dry = checked.to_frame()
        checks = dry.send_state.value_counts()
        planned = checked.recipients
        print(
            _(
                "Checks: {planned} to send, {invalid} invalid, {duplicate} repeated numbers (one message per number); "
                "{available} available",
                planned=_.ngettext("{n} recipient", "{n} recipients", planned),
                invalid=checks.get("invalid", 0),
                duplicate=checks.get("duplicate", 0),
                available=_.ngettext("{n} request", "{n} requests", checked.limit.available),
            )
        )
        reasons = dry.loc[dry.send_state == SendState.INVALID, "error"].str.split(":").str[-1].str.strip()
        for reason, count in reasons.value_counts().items():
            print(_("  invalid: {count} x {reason}", count=count, reason=reason))
        waves: list[pd.DataFrame] = []
        for segment, part in frame.groupby("segment", sort=True):
            waves.append(send(client, part, progress=False, **options))
            accepted = int((waves[-1].send_state == SendState.ACCEPTED).sum())
            print(
                _(
                    "Sent wave {segment}: {recipients}, quota used {used}",
                    segment=repr(segment),
                    recipients=_.ngettext("{n} recipient", "{n} recipients", accepted),
                    used=client.limit().used,
                )
            )
        results = pd.concat(waves).loc[frame.index]
        sent = int((results.send_state == SendState.ACCEPTED).sum())
        print(
            _("Sent {recipients} in all (as checked)", recipients=_.ngettext("{n} recipient", "{n} recipients", sent))
            if sent == planned
            else _(
                "Sent {recipients} in all (NOT as checked)",
                recipients=_.ngettext("{n} recipient", "{n} recipients", sent),
            )
        )
        used = client.limit().used
        again = pd.concat([send(client, part, progress=False, **options) for _, part in frame.groupby("segment")])
        already = again.loc[again.send_state == SendState.ALREADY_SENT, "address"].nunique()
        print(
            _(
                "Ran the sends again: {already} already had the message, {anew} sent anew, quota used {used} (was "
                "{was})",
                already=_.ngettext("{n} recipient", "{n} recipients", already),
                anew=int((again.send_state == SendState.ACCEPTED).sum()),
                used=client.limit().used,
                was=used,
            )
        )
        results = poll(client, results, timeout=120, progress=False, ledger=ledger)
        client.limit()
        events = history(ledger=ledger)
    results.to_csv(out / "results.csv", index=False)
    _chart(plot.outcomes, results, out / "outcomes.png", by="segment")
    _chart(plot.delivery_times, results, out / "delivery_times.png")
    _chart(plot.timeline, events, out / "timeline.png", tz=TZ)
    _chart(plot.quota, events, out / "quota.png", tz=TZ)
    table = summary(results)
    table.to_csv(out / "summary.csv")
    print("\n" + _("Summary:"))
    print(_shown(table, _).to_string())
    _report(results, out / "report.html", _)
    print(
        "\n"
        + _(
            "Done in {seconds} s. Results, summary and charts are in {out}/",
            seconds=_.number(time.monotonic() - started),
            out=out,
        )
    )
    return results


#: The summary's columns as the printed table names them.
_COLUMNS = {"count": N_("count"), "share": N_("share"), "meaning": N_("meaning")}


def _shown(table: pd.DataFrame, _: Speaker) -> pd.DataFrame:
    """The summary table as the demo prints it: its columns in ``_``'s words, in Polish the shares as percentages
    (the CSV keeps its columns and fractions)."""
    shown = table.assign(share=table["share"].map(_.percent)) if _.lang != "en" else table
    shown = shown.rename(columns={name: _(word) for name, word in _COLUMNS.items()})
    shown.index.name = _("outcome")
    return shown


def _report(results: pd.DataFrame, path: Path, _: Speaker) -> None:
    """Write the campaign's page, compared by segment; say so, or why not (the analysis extra is optional)."""
    try:
        from .export import write_report

        write_report(results, path, by="segment", title=_("Demo campaign"), lang=_.lang)
    except ConfigError as exc:
        print("\n" + _("No {file}: {why}", file=path.name, why=exc))
        return
    print("\n" + _("The report for a manager (one page, charts inside, opens offline): {path}", path=path))
