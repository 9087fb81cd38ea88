"""The states a request and a recipient's claim take in the ledger.

>>> RequestState.THROTTLED == "throttled"
True
"""

from __future__ import annotations

from enum import StrEnum


class RequestState(StrEnum):
    """A request's state in the ledger. ``sending``: intent written, no outcome yet (under way, or the
    run stopped); ``throttled``: the gateway said "slow down" and the run waits to send it again;
    ``unsent``: certainly never reached the gateway (it was never taken, or the gateway refused it with a 4xx),
    so a later run sends it; ``rejected``: refused, as earlier versions recorded a 400 (not sent again)."""

    SENDING = "sending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNKNOWN = "unknown"
    UNSENT = "unsent"
    THROTTLED = "throttled"


class ClaimState(StrEnum):
    """What a recipient's claim means now: ``in-progress`` while a live run sends it; ``unsent``: free to send."""

    ACCEPTED = "accepted"
    IN_PROGRESS = "in-progress"
    UNKNOWN = "unknown"
    REJECTED = "rejected"
    UNSENT = "unsent"


#: The request states in order, as text.
REQUEST_STATES: tuple[str, ...] = tuple(state.value for state in RequestState)
