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


class CampaignState(StrEnum):
    """Where a campaign stands: ``sending`` (a live run sends it), ``paused`` (outside its sending hours, or its
    quota used up with no run waiting), ``waiting-for-quota`` (a live run waits for the reset), ``finished``
    (nothing left to send), ``interrupted`` (a run stopped or died before the end: running it again resumes it)."""

    FINISHED = "finished"
    SENDING = "sending"
    PAUSED = "paused"
    WAITING_FOR_QUOTA = "waiting-for-quota"
    INTERRUPTED = "interrupted"


#: The request states in order, as text.
REQUEST_STATES: tuple[str, ...] = tuple(state.value for state in RequestState)
#: The campaign states in order, as text.
CAMPAIGN_STATES: tuple[str, ...] = tuple(state.value for state in CampaignState)
