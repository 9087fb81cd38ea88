"""mmsnb: send MMS through Orange Polska's MMSOnnet API from notebooks, and study what happened.

>>> import mmsnb
>>> with mmsnb.Sandbox(seed=0) as sb:                               # doctest: +SKIP
...     client = sb.client()
...     results = mmsnb.send(client, frame, subject="Cześć {first_name}!")
...     results = mmsnb.poll(client, results)
"""

from .answers import DeliveryStatus, Limit, SendResult
from .client import Client
from .errors import (
    AuthError,
    BadRequestError,
    ConfigError,
    InputError,
    MMSError,
    NotFoundError,
    QuotaError,
    ServerError,
    TransportError,
)
from .numbers import normalize
from .sandbox import Faults, Sandbox

__all__ = [
    "AuthError", "BadRequestError", "Client", "ConfigError", "DeliveryStatus", "Faults", "InputError",
    "Limit", "MMSError", "NotFoundError", "QuotaError", "Sandbox", "SendResult", "ServerError",
    "TransportError", "normalize",
]
__version__ = "0.1.0"
