"""Finish a campaign from the ledger alone: after a kernel restart, a reboot, or on another machine sharing the
ledger, without the frame or the files it was sent from.

>>> sent = mmsnb.send(client, frame, subject="Hej", campaign="resume-example", allow_partial=True, progress=False)
>>> results = mmsnb.resume("resume-example", client=client, progress=False)
>>> results.send_state.value_counts().head(1)
send_state
already-sent    57
Name: count, dtype: int64
"""

from __future__ import annotations

from typing import Unpack

import pandas as pd

from .campaign import Plan, _known, _to_send
from .client import Client
from .errors import Fix, InputError
from .ledger import Ledger, LedgerSpec, Location, StoredCampaign, locate
from .options import RUN_OPTIONS, RunOptions, check_options
from .result_columns import Outcome
from .rows import Row, group_requests
from .storing import rebuilt_gap, rebuilt_hours, rebuilt_message

#: What names the ledger a campaign was sent through, when the one given does not hold it.
_LEDGER_FIX = Fix(option="ledger", to="name the ledger it was sent through")


def resume(
    campaign: str, *, client: Client | None = None, ledger: LedgerSpec = None, **options: Unpack[RunOptions]
) -> pd.DataFrame:
    """Send what a campaign has not sent yet, from what the ledger stored when it was sent; returns the results
    frame as :meth:`Plan.send` does, one row per stored recipient with its row's index label and number.

    Recipients an earlier run settled stay as they are (``already-sent``, ``unknown``…), and numbers that
    opted out, or (with the campaign's ``min_gap``) that another campaign reached since, are left out.
    Several runs resuming one campaign at once share the work: each number still gets one message.
    ``client`` defaults to the gateway the ``MMSNB_*`` settings describe, ``ledger`` to the one a send through
    it uses; ``options`` are those of :meth:`Plan.send` (``workers``, ``rate``, ``progress``…). Without
    ``window``, ``days`` or ``start_at`` it sends within the hours the campaign was last sent with (give
    ``window="00:00-24:00"`` for any hour).

    >>> sent = mmsnb.send(client, frame, subject="Hej", campaign="resume-doc", allow_partial=True, progress=False)
    >>> mmsnb.resume("resume-doc", client=client, progress=False).send_state.value_counts().head(1)
    send_state
    already-sent    57
    Name: count, dtype: int64
    """
    check_options(options, RUN_OPTIONS, "resume()", "help(mmsnb.resume)")
    if not isinstance(campaign, str) or not campaign.strip():
        raise InputError(f"campaign must be the name of a campaign in the ledger (text), not {campaign!r}.")
    if client is not None:
        return rebuilt_plan(client, campaign, ledger).send(**options)
    with Client.from_env() as own:
        return rebuilt_plan(own, campaign, ledger).send(**options)


def _stored(where: Location | Ledger, campaign: str) -> StoredCampaign:
    """The stored ``campaign``; :class:`InputError` saying what to do when the ledger does not keep it."""
    shown = str(where.location if isinstance(where, Ledger) else where)
    values = {"campaign": repr(campaign), "ledger": repr(shown)}
    if isinstance(where, Location) and not where.exists():
        raise InputError(
            "The ledger {ledger} does not exist, so it holds no campaign {campaign}.", fix=_LEDGER_FIX, values=values
        )
    with Ledger.open(where) as book:
        kept = book.stored(campaign)
        if kept is not None:
            return kept
        if book.sent_before(campaign):
            raise InputError(
                "The campaign {campaign} was sent by an older mmsnb, which did not store its messages, so it "
                "cannot be resumed from the ledger. Send it again from its table and files: numbers it reached "
                "already are not sent to again.",
                values=values,
            )
    raise InputError(
        "The ledger {ledger} holds no campaign {campaign}. Check its name against the list of campaigns.",
        fix=_LEDGER_FIX,
        values=values,
    )


def _frame(kept: StoredCampaign) -> pd.DataFrame:
    """A frame of the stored recipients' rows: their index labels, and their numbers as given."""
    names = kept.settings["index"]
    labels = [r.label for r in kept.recipients]
    if len(names) > 1:
        index = pd.MultiIndex.from_tuples([tuple(label) for label in labels], names=names)
    else:
        index = pd.Index(labels, name=names[0], dtype=None if labels else "int64")
    return pd.DataFrame({kept.settings["to"]: [r.number for r in kept.recipients]}, index=index)


def rebuilt_plan(client: Client, campaign: str, ledger: LedgerSpec = None) -> Plan:
    """The plan of what ``campaign`` has left to send, made from the ledger alone; the ledger's opt-outs and
    the other campaigns' contacts are read now, as :func:`mmsnb.plan` reads them."""
    where = ledger if isinstance(ledger, Ledger) else locate(ledger, gateway=client.base_url).absolute()
    kept = _stored(where, campaign)
    settings = kept.settings
    per_row, retry_unknown, gap = settings["per_row"], settings["retry_unknown"], rebuilt_gap(settings["min_gap"])
    messages = {key: rebuilt_message(record, kept.files) for key, record in kept.messages.items()}
    rows = [
        Row(i, address=r.address, carrier=r.carrier, content_key=r.content_key, message=messages[r.content_key])
        for i, r in enumerate(kept.recipients)
    ]
    known = _known(where, campaign, list({r.address for r in kept.recipients}), gap)
    settled: dict[int, Outcome] = {}
    to_send = _to_send(rows, known, settled, per_row=per_row, retry_unknown=retry_unknown, min_gap=gap)
    return Plan(
        client=client,
        frame=_frame(kept),
        campaign=campaign,
        ledger=where,
        rows=rows,
        requests=group_requests(to_send, group=settings["group"], max_addresses=settings["max_addresses"]),
        settled=settled,
        limit=client.limit(),
        files={},
        per_row=per_row,
        retry_unknown=retry_unknown,
        min_gap=gap,
        to=settings["to"],
        group=settings["group"],
        max_addresses=settings["max_addresses"],
        subject=settings.get("subject"),
        hours=rebuilt_hours(settings.get("hours")),
    )
