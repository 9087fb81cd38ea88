"""The two rules every send obeys beside its claims: opt-outs, and a minimum gap between contacts.

``min_gap`` is a pandas Timedelta (``"7D"``, ``"36h"``, ``pd.Timedelta(days=7)``) or calendar offset
(``pd.DateOffset(months=1)``): a number that a message of another campaign in the same ledger
reached (or may have reached) within it is left out as ``too-soon``.

>>> MinGap.parse("7D").label
'7D'
>>> opted_out(OptOut("tel:+48501102030", "2026-11-20T09:30:00+00:00", "replied STOP")).said()
'Not sent: this number opted out on 2026-11-20 (replied STOP). mmsnb.opt_in(...) ends it.'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from .errors import Fix, InputError
from .ledger import Contact, OptOut
from .result_columns import Outcome, SendState
from .words import N_


@dataclass(frozen=True)
class MinGap:
    """The least time between two campaigns' messages to one number."""

    gap: pd.Timedelta | pd.DateOffset
    label: str

    @classmethod
    def parse(cls, value: Any) -> MinGap:
        """``value`` as a gap, or :class:`InputError` saying what is accepted.

        A text needs its unit (``"7"`` alone is refused: pandas would read seven nanoseconds), and a gap
        under a second is taken for a mistake.

        >>> MinGap.parse("36h").gap
        Timedelta('1 days 12:00:00')
        """
        bad = InputError(
            N_('min_gap= must be a length of time with its unit, such as "7D", "36h" or pd.DateOffset(months=1), '
               "not {value!r}."),
            values={"value": value},
        )  # fmt: skip
        if isinstance(value, pd.offsets.Tick):
            value = pd.Timedelta(value)
        if isinstance(value, pd.DateOffset):
            start = pd.Timestamp("2000-01-31")
            if start - value >= start:
                raise InputError(N_("min_gap= must be longer than nothing, not {value!r}."), values={"value": value})
            shown = ", ".join(f"{k}={v}" for k, v in value.kwds.items())
            return cls(value, f"pd.DateOffset({shown})" if shown else value.freqstr)
        if isinstance(value, bool) or not isinstance(value, (str, timedelta)):
            raise bad
        if isinstance(value, str) and not re.search(r"[A-Za-z]", value):
            raise bad
        try:
            gap = pd.Timedelta(value)
        except ValueError:
            raise bad from None
        if pd.isna(gap) or gap < pd.Timedelta(seconds=1):
            raise InputError(N_("min_gap= must be at least a second, not {value!r}."), values={"value": value})
        return cls(gap, value if isinstance(value, str) else str(gap))

    def since(self) -> str:
        """The time (ISO text, as the ledger keeps it) after which a contact is too recent."""
        cutoff = pd.Timestamp(datetime.now(UTC)) - self.gap
        return str(cutoff.isoformat(timespec="microseconds"))

    def too_soon(self, contact: Contact) -> Outcome:
        """The outcome of a row whose number ``contact`` reached within the gap."""
        when = pd.Timestamp(contact.at).tz_convert(UTC).strftime("%Y-%m-%d %H:%M")
        return Outcome(
            state=SendState.TOO_SOON,
            said_as=(
                N_("Not sent: campaign {campaign} contacted this number on {when} UTC, within {fix}."),
                {"campaign": repr(contact.campaign), "when": when},
            ),
            fix=Fix(option="min_gap", value=self.label),
        )


def opted_out(opt_out: OptOut) -> Outcome:
    """The outcome of a row whose number opted out."""
    day = opt_out.since[:10]
    return Outcome(
        state=SendState.OPTED_OUT,
        said_as=(
            N_("Not sent: this number opted out on {day} ({reason}). {fix} ends it.")
            if opt_out.reason
            else N_("Not sent: this number opted out on {day}. {fix} ends it."),
            {"day": day, "reason": opt_out.reason},
        ),
        fix=Fix(call="opt_in"),
    )
