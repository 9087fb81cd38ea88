"""The campaign ledger: a journal of every send, status answer, quota reading and opt-out.

A SQLite file by default; a team's PostgreSQL database (``ledger="postgresql://…"``, with
``pip install 'mmsnb[team]'``) when several people send. Both have one schema and the same guarantees.

The intent of a request is written (and committed, durably) before the request goes out, and
its outcome after the answer, so a killed kernel leaves a true record: a request with an intent
and no outcome may have reached the gateway and is never repeated silently.

Each recipient of a campaign is *claimed* in the transaction that writes the intent. A claim
that is accepted, under way or unknown is never sent again, by this run or any other sharing
the ledger (threads, notebooks, processes, machines), so two runs of one campaign deliver each
message once. The same transaction leaves out numbers that opted out, and with a ``min_gap``
those another campaign contacted too recently.

>>> with Ledger("out/ledger.sqlite") as ledger:
...     ledger.history().sends.columns.tolist()
['campaign', 'request_no', 'content_key', 'address', 'delivery_report', 'state', 'message_id',
 'http_status', 'error_code', 'error', 'intent_at', 'sent_at']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .frames import OPT_OUT_DTYPES, QUOTA_DTYPES, SENDS_DTYPES, STATES_DTYPES, STATUSES_DTYPES, History
from .journal import Begun, Claim, Contact, Ledger, OptOut, holding, now
from .location import DEFAULT_NAME, LedgerSpec, Location, gateway_key, keep_own_ledger, locate
from .optouts import opt_in, opt_out, opted_out
from .states import CAMPAIGN_STATES, REQUEST_STATES, CampaignState, ClaimState, RequestState
from .stored import StoredCampaign, StoredRecipient

if TYPE_CHECKING:
    from ..client import Client

__all__ = [
    "CAMPAIGN_STATES",
    "DEFAULT_NAME",
    "OPT_OUT_DTYPES",
    "QUOTA_DTYPES",
    "REQUEST_STATES",
    "SENDS_DTYPES",
    "STATES_DTYPES",
    "STATUSES_DTYPES",
    "Begun",
    "CampaignState",
    "Claim",
    "ClaimState",
    "Contact",
    "History",
    "Ledger",
    "LedgerSpec",
    "Location",
    "OptOut",
    "RequestState",
    "StoredCampaign",
    "StoredRecipient",
    "gateway_key",
    "history",
    "holding",
    "keep_own_ledger",
    "locate",
    "now",
    "opt_in",
    "opt_out",
    "opted_out",
]


def history(campaign: str | None = None, ledger: LedgerSpec = None, *, client: Client | None = None) -> History:
    """The ledger as DataFrames for analysis: ``.sends``, ``.statuses`` and ``.quota``.

    Without ``ledger``, the one :func:`locate` finds for ``client``'s gateway (an embedded
    sandbox keeps its own). A ledger file that does not exist yet has an empty history, and
    reading it does not create it.

    >>> h = mmsnb.history("spring-sale", client=client)
    >>> h.sends.state.value_counts().head(1)
    state
    accepted    ...
    Name: count, dtype: int64
    """
    if not isinstance(ledger, Ledger):
        where = locate(ledger, gateway=None if client is None else client.base_url)
        ledger = where if where.exists() else ":memory:"  # reading never creates a ledger: no file, no history
    with Ledger.open(ledger) as book:
        return book.history(campaign)
