"""mmsnb: send MMS through Orange Polska's MMSOnnet API from notebooks, and study what happened.

>>> import mmsnb
>>> with mmsnb.Sandbox(seed=0) as sb:                               # doctest: +SKIP
...     client = sb.client()
...     results = mmsnb.send(client, frame, subject="Cześć {first_name}!")
...     results = mmsnb.poll(client, results)
"""

from .answers import DeliveryStatus, Limit, SendResult
from .client import Client
from .connect import connect
from .errors import (
    AuthError,
    BadRequestError,
    ConfigError,
    InputError,
    LedgerError,
    MMSError,
    NotFoundError,
    QuotaError,
    RedirectError,
    ServerError,
    ThrottledError,
    TransportError,
)
from .numbers import normalize
from .sandbox import Faults, Sandbox
from .campaign import SEND_STATES, send
from .ledger import History, Ledger, history
from .polling import poll
from .files import read_recipients, read_results
from .report import failures, summary
from . import plot
from .widgets import Composer, Monitor
from . import accessor as _accessor  # noqa: F401  (registers frame.mms)

__all__ = [
    "AuthError", "BadRequestError", "Client", "Composer", "Monitor", "ConfigError", "DeliveryStatus", "Faults", "InputError",
    "History", "Ledger", "LedgerError", "RedirectError", "ThrottledError", "Limit", "MMSError", "SEND_STATES", "failures", "history", "plot", "poll", "read_recipients", "read_results", "send", "summary", "NotFoundError", "QuotaError", "Sandbox", "SendResult", "ServerError",
    "TransportError", "connect", "normalize",
]
__version__ = "0.1.0"
