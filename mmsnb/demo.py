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
    data, out = Path(data), Path(out)
    csv = data / "campaign.csv"
    if not csv.is_file():
        raise ConfigError(f"The sample campaign {csv} is missing: run the demo from a clone of the mmsnb repository.")
    out.mkdir(parents=True, exist_ok=True)
    ledger = out / "ledger.sqlite"
    for stale in out.glob("ledger.sqlite*"):
        stale.unlink()
    started = time.monotonic()
    frame = read_recipients(csv, to="msisdn")
    print(f"Sample campaign: {len(frame)} recipients from {csv}")
    with (
        nullcontext(sandbox)
        if sandbox is not None
        else Sandbox(quota=quota, seed=seed, time_scale=time_scale) as gateway
    ):
        client = gateway.client()
        print(
            f"Sandbox gateway at {gateway.url} (quota {client.limit().available} requests; "
            f"its handsets answer {gateway.gateway.time_scale:g} times faster than real ones)"
        )
        options: dict[str, Any] = dict(
            subject=SUBJECT, attachments=data / "promo.jpg", sender="Sklep Demo", ledger=ledger, campaign="demo"
        )
        checked = plan(client, frame, **options)
        dry = checked.to_frame()
        checks = dry.send_state.value_counts()
        planned = checked.recipients
        print(
            f"Checks: {planned} recipients to send, {checks.get('invalid', 0)} invalid, "
            f"{checks.get('duplicate', 0)} repeated numbers (one message per number); "
            f"{checked.limit.available} requests available"
        )
        reasons = dry.loc[dry.send_state == SendState.INVALID, "error"].str.split(":").str[-1].str.strip()
        for reason, count in reasons.value_counts().items():
            print(f"  invalid: {count} x {reason}")
        waves: list[pd.DataFrame] = []
        for segment, part in frame.groupby("segment", sort=True):
            waves.append(send(client, part, progress=False, **options))
            print(
                f"Sent wave '{segment}': {(waves[-1].send_state == SendState.ACCEPTED).sum()} recipients, quota used "
                f"{client.limit().used}"
            )
        results = pd.concat(waves).loc[frame.index]
        sent = int((results.send_state == SendState.ACCEPTED).sum())
        print(f"Sent {sent} recipients in all ({'as' if sent == planned else 'NOT as'} checked)")
        used = client.limit().used
        again = pd.concat([send(client, part, progress=False, **options) for _, part in frame.groupby("segment")])
        already = again.loc[again.send_state == SendState.ALREADY_SENT, "address"].nunique()
        print(
            f"Ran the sends again: {already} recipients already had the message, "
            f"{(again.send_state == SendState.ACCEPTED).sum()} sent anew, quota used {client.limit().used} (was {used})"
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
    print("\nSummary:")
    print(table.to_string())
    _report(results, out / "report.html")
    print(f"\nDone in {time.monotonic() - started:.1f} s. Results, summary and charts are in {out}/")
    return results


def _report(results: pd.DataFrame, path: Path) -> None:
    """Write the campaign's page, compared by segment; say so, or why not (the analysis extra is optional)."""
    try:
        from .export import write_report

        write_report(results, path, by="segment", title="Demo campaign")
    except ConfigError as exc:
        print(f"\nNo report.html: {exc}")
        return
    print(f"\nThe report for a manager (one page, charts inside, opens offline): {path}")
