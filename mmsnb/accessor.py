"""``frame.mms``: the campaign functions as a pandas accessor.

>>> results = frame.mms.send(client, subject="Cześć {first_name}!")    # doctest: +SKIP
>>> results = results.mms.poll(client)                                 # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .campaign import send
from .client import Client
from .polling import poll


@pd.api.extensions.register_dataframe_accessor("mms")
class MMSAccessor:
    """Send a frame of recipients, or poll a frame of results."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame

    def send(self, client: Client, **kwargs: Any) -> pd.DataFrame:
        """Same as :func:`mmsnb.send` on this frame."""
        return send(client, self._frame, **kwargs)

    def poll(self, client: Client, **kwargs: Any) -> pd.DataFrame:
        """Same as :func:`mmsnb.poll` on this frame."""
        return poll(client, self._frame, **kwargs)
