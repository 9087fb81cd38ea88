"""``frame.mms``: the campaign functions as a pandas accessor.

>>> results = frame.mms.send(client, subject="Cześć {first_name}!")    # doctest: +SKIP
>>> results = results.mms.poll(client)                                 # doctest: +SKIP

Importing this module registers the accessor; it imports only pandas, so that ``import mmsnb``
can register it cheaply when pandas is already loaded. ``send`` and ``poll`` load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from .client import Client


@pd.api.extensions.register_dataframe_accessor("mms")
class MMSAccessor:
    """Send a frame of recipients, or poll a frame of results."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame

    def send(self, client: Client, **kwargs: Any) -> pd.DataFrame:
        """Same as :func:`mmsnb.send` on this frame."""
        from .campaign import send

        return send(client, self._frame, **kwargs)

    def poll(self, client: Client, **kwargs: Any) -> pd.DataFrame:
        """Same as :func:`mmsnb.poll` on this frame."""
        from .polling import poll

        return poll(client, self._frame, **kwargs)
