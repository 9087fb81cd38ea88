"""The ledger read as DataFrames, with one documented dtype per column (UTC times, categorical states).

>>> to_history([], [], []).sends.dtypes["intent_at"]
datetime64[us, UTC]
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import pandas as pd

from ..result_columns import CATEGORY_DTYPE
from .states import CAMPAIGN_STATES, REQUEST_STATES


def _no_states() -> pd.DataFrame:
    return _typed([], STATES_DTYPES)


@dataclass(frozen=True)
class History:
    """The ledger as DataFrames: ``sends`` (one row per recipient per request), ``statuses``, ``quota``, and
    ``states`` (each campaign's state, as :func:`mmsnb.campaigns` shows it); ``subjects``: each campaign's
    subject as it was sent (a campaign sent by an mmsnb that stored none has none)."""

    sends: pd.DataFrame
    statuses: pd.DataFrame
    quota: pd.DataFrame
    states: pd.DataFrame = field(default_factory=_no_states)
    subjects: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        """A line, not three frames: ``History(sends=12 rows, statuses=30 rows, quota=4 rows)``."""
        return (
            f"History(sends={len(self.sends)} rows, statuses={len(self.statuses)} rows, quota={len(self.quota)} rows)"
        )


_UTC: Final = "datetime64[us, UTC]"
#: The dtype of every column of :attr:`History.sends` (``mmsnb.read_results`` reads a saved one back with these).
SENDS_DTYPES: dict[str, Any] = {
    "campaign": "string",
    "request_no": "int64",
    "content_key": "string",
    "address": "string",
    "delivery_report": "bool",
    "state": pd.CategoricalDtype(list(REQUEST_STATES)),
    "message_id": "string",
    "http_status": "Int64",
    "error_code": "Int64",
    "error": "string",
    "intent_at": _UTC,
    "sent_at": _UTC,
}
#: The dtype of every column of :attr:`History.statuses`.
STATUSES_DTYPES: dict[str, Any] = {
    "campaign": "string",
    "message_id": "string",
    "address": "string",
    "status": "string",
    "category": CATEGORY_DTYPE,
    "final": "bool",
    "polled_at": _UTC,
}
#: The dtype of every column of :attr:`History.quota`.
QUOTA_DTYPES: dict[str, Any] = {"read_at": _UTC, "used": "int64", "available": "int64", "resets_on": _UTC}
#: The dtype of every column of :attr:`History.states`: the state, why, until when, and when it was written.
STATES_DTYPES: dict[str, Any] = {
    "campaign": "string",
    "state": pd.CategoricalDtype(list(CAMPAIGN_STATES)),
    "reason": "string",
    "until": _UTC,
    "updated_at": _UTC,
}
#: The dtype of every column of :func:`mmsnb.opted_out`.
OPT_OUT_DTYPES: dict[str, Any] = {
    "address": "string",
    "opted_out_at": _UTC,
    "reason": "string",
    "opted_in_at": _UTC,
    "opted_in_reason": "string",
}


def _typed(rows: Sequence[Sequence[Any]], dtypes: dict[str, Any]) -> pd.DataFrame:
    """A frame of ``rows`` (ISO text for times) with the columns and dtypes of ``dtypes``, also when empty."""
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(dtypes), dtype="object")
    for col, dtype in dtypes.items():
        if dtype == _UTC:
            frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601").astype(_UTC)
        elif dtype == "bool":
            frame[col] = frame[col].astype("int64").astype(bool)
        else:
            frame[col] = frame[col].astype(dtype)
    return frame


def to_history(
    requests: Sequence[Sequence[Any]],
    statuses: Sequence[Sequence[Any]],
    quota: Sequence[Sequence[Any]],
    states: Sequence[Sequence[Any]] = (),
    subjects: dict[str, str] | None = None,
) -> History:
    """A :class:`History` from the ledger's rows: requests (their addresses as JSON text), statuses, quota
    readings, campaign states, and the campaigns' subjects."""
    sends = [
        (campaign, no, key, address, *rest)
        for campaign, no, key, addresses, *rest in requests
        for address in json.loads(addresses)
    ]
    return History(
        _typed(sends, SENDS_DTYPES),
        _typed(statuses, STATUSES_DTYPES),
        _typed(quota, QUOTA_DTYPES),
        _typed(states, STATES_DTYPES),
        dict(subjects or {}),
    )


def opted_out_frame(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """The opt-outs as a frame with the dtypes of :data:`OPT_OUT_DTYPES`."""
    return _typed(rows, OPT_OUT_DTYPES)
