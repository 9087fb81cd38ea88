"""Opt-outs: numbers that asked not to be contacted. Every send checks them when it claims its
recipients, so a number opted out from any notebook or machine sharing the ledger is never sent to.

>>> mmsnb.opt_out(["501 102 030", "+48 600 700 800"], reason="replied STOP")[["number", "result"]]
            number     result
0      501 102 030  opted-out
1  +48 600 700 800  opted-out
>>> mmsnb.opted_out()[["address", "reason"]]
            address        reason
0  tel:+48501102030  replied STOP
1  tel:+48600700800  replied STOP
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import InputError
from ..phones import normalize
from ..words import N_
from .journal import Ledger
from .location import LedgerSpec, locate

if TYPE_CHECKING:
    from ..client import Client

#: The ``result`` of each number given to :func:`opt_out` or :func:`opt_in`.
RESULT_DTYPE = pd.CategoricalDtype(["opted-out", "already-opted-out", "opted-in", "not-opted-out", "invalid"])


def _numbers(numbers: Any) -> list[object]:
    if isinstance(numbers, (str, int)):
        return [numbers]
    if isinstance(numbers, pd.DataFrame):
        raise InputError(N_("numbers= takes one column (frame['msisdn']) or a list, not a whole DataFrame."), values={})
    if not isinstance(numbers, Iterable):
        raise InputError(
            N_("numbers= must be a number or a list of numbers, not {type}."), values={"type": type(numbers).__name__}
        )
    return list(numbers)


def _ledger(ledger: LedgerSpec, client: Client | None) -> LedgerSpec:
    if isinstance(ledger, Ledger):
        return ledger
    return locate(ledger, gateway=None if client is None else client.base_url)


def _change(numbers: Any, ledger: LedgerSpec, client: Client | None, out: bool, reason: str | None) -> pd.DataFrame:
    given = _numbers(numbers)
    addresses: list[str | None] = []
    errors: list[str | None] = []
    for value in given:
        try:
            addresses.append(normalize(value))
            errors.append(None)
        except InputError as exc:
            addresses.append(None)
            errors.append(str(exc))
    valid = [a for a in addresses if a is not None]
    with Ledger.open(_ledger(ledger, client)) as book:
        where = str(book.location)
        before = book.opted_out(valid)
        if out:
            book.opt_out(valid, reason)
        else:
            book.opt_in(valid, reason)
    done, kept = ("opted-out", "already-opted-out") if out else ("opted-in", "not-opted-out")
    results = []
    seen: set[str] = set()
    for address in addresses:
        if address is None:
            results.append("invalid")
            continue
        changed = (address not in before) == out and address not in seen
        seen.add(address)
        results.append(done if changed else kept)
    return pd.DataFrame(
        {
            "number": pd.array([str(v) for v in given], dtype="string"),
            "address": pd.array(addresses, dtype="string"),
            "result": pd.Categorical(results, dtype=RESULT_DTYPE),
            "error": pd.array(errors, dtype="string"),
            "ledger": pd.array([where] * len(given), dtype="string"),
        }
    )


def opt_out(
    numbers: Any, *, reason: str | None = None, ledger: LedgerSpec = None, client: Client | None = None
) -> pd.DataFrame:
    """Record ``numbers`` (one, a list or a column, in any form a send accepts) as opted out, with the
    time and ``reason``; no send through this ledger contacts them again until :func:`opt_in`.

    Returns a frame with each number's ``result`` (``opted-out``, ``already-opted-out``, or
    ``invalid`` with the ``error``) and the ``ledger`` it went to: a bad number is named and the
    others are recorded. Without ``ledger``, the one a send through ``client`` would use (an embedded
    sandbox keeps its own; without ``client``, ``MMSNB_LEDGER`` or ``./mmsnb-ledger.sqlite``).

    >>> mmsnb.opt_out("501 102 030", reason="replied STOP")[["address", "result"]]
                address     result
    0  tel:+48501102030  opted-out
    """
    return _change(numbers, ledger, client, True, reason)


def opt_in(
    numbers: Any, *, reason: str | None = None, ledger: LedgerSpec = None, client: Client | None = None
) -> pd.DataFrame:
    """End the opt-outs of ``numbers``: they may be contacted again. Their record stays in the ledger
    (``opted_out(include_ended=True)``). Returns each number's ``result`` (``opted-in``, ``not-opted-out``,
    ``invalid``).

    >>> mmsnb.opt_in("501 102 030", reason="signed up again").result.tolist()
    ['not-opted-out']
    """
    return _change(numbers, ledger, client, False, reason)


def opted_out(ledger: LedgerSpec = None, *, client: Client | None = None, include_ended: bool = False) -> pd.DataFrame:
    """The numbers opted out now, with ``opted_out_at`` (UTC) and ``reason``; ``include_ended=True`` adds
    every earlier opt-out with its ``opted_in_at``. A ledger that does not exist yet has none (and is not created).

    >>> mmsnb.opted_out().columns.tolist()
    ['address', 'opted_out_at', 'reason', 'opted_in_at', 'opted_in_reason']
    """
    where = _ledger(ledger, client)
    if not isinstance(where, Ledger) and not locate(where).exists():
        where = ":memory:"
    with Ledger.open(where) as book:
        return book.opt_outs(include_ended=include_ended)
