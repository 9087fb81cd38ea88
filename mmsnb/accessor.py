"""``frame.mms``: the campaign functions as a pandas accessor.

>>> results = frame.mms.send(client, subject="Cześć {first_name}!")
>>> results = results.mms.poll(client)
>>> results.mms.info.campaign
'auto-...'

Importing this module registers the accessor; it imports only pandas, so that ``import mmsnb``
can register it cheaply when pandas is already loaded. ``plan``, ``send`` and ``poll`` load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Unpack

import pandas as pd

from .options import PLAN_OPTIONS, POLL_OPTIONS, SEND_OPTIONS, check_options
from .result_columns import SendInfo

if TYPE_CHECKING:
    from .campaign import Plan
    from .client import Client
    from .options import PlanOptions, PollOptions, SendOptions


@pd.api.extensions.register_dataframe_accessor("mms")
class MMSAccessor:
    """Plan or send a frame of recipients, poll a frame of results, or read what its send recorded."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame

    @property
    def info(self) -> SendInfo | None:
        """What the send that made this frame recorded (campaign, ledger, requests, quota, files), or None."""
        return SendInfo.of(self._frame)

    @property
    def media(self) -> pd.DataFrame | None:
        """What the send did to each distinct file (metadata removed, fitted, converted), or None.

        The columns are those of :data:`mmsnb.media.REPORT_COLUMNS`.
        """
        from .media import REPORT_COLUMNS

        info = SendInfo.of(self._frame)
        if info is None:
            return None
        return pd.DataFrame(list(info.media), columns=list(REPORT_COLUMNS)).astype(REPORT_COLUMNS)

    def plan(self, client: Client, **options: Unpack[PlanOptions]) -> Plan:
        """Same as :func:`mmsnb.plan` on this frame."""
        from .campaign import plan

        check_options(options, PLAN_OPTIONS, "frame.mms.plan()", "help(mmsnb.plan)")
        return plan(client, self._frame, **options)

    def send(self, client: Client, **options: Unpack[SendOptions]) -> pd.DataFrame:
        """Same as :func:`mmsnb.send` on this frame."""
        from .campaign import send

        check_options(options, SEND_OPTIONS, "frame.mms.send()", "help(mmsnb.send) and help(mmsnb.plan)")
        return send(client, self._frame, **options)

    def poll(self, client: Client, **options: Unpack[PollOptions]) -> pd.DataFrame:
        """Same as :func:`mmsnb.poll` on this frame."""
        from .polling import poll

        check_options(options, POLL_OPTIONS, "frame.mms.poll()", "help(mmsnb.poll)")
        return poll(client, self._frame, **options)
