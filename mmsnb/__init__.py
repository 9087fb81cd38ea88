"""mmsnb: send MMS through Orange Polska's MMSOnnet API from notebooks, and study what happened.

>>> import mmsnb
>>> with mmsnb.Sandbox(seed=0, time_scale=600) as sb:   # time_scale: statuses arrive 600 times faster
...     client = sb.client()
...     results = mmsnb.send(client, frame, subject="Cześć {first_name}!", progress=False)
...     results = mmsnb.poll(client, results, progress=False)
>>> results.status_category.value_counts()["delivered"]
np.int64(41)

``import mmsnb`` is light: it loads the errors and :func:`connect` only, and every other name
(pandas, matplotlib, ipywidgets and the sandbox behind it) on first use (PEP 562), so the
``mmsnb`` command starts fast. ``frame.mms`` is registered by ``import mmsnb`` when pandas is
already imported, else by the first use of any other name here (``mmsnb.connect()`` included).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from . import plot
    from .analysis import Retrieval, campaigns, compare, retrieval
    from .campaign import Plan, plan, send
    from .client import Client
    from .files import read_recipients, read_results
    from .gateway_answers import DeliveryStatus, Limit, SendResult
    from .ledger import History, Ledger, history, opt_in, opt_out, opted_out
    from .message import Attachment, Message
    from .phones import normalize
    from .polling import poll
    from .result_columns import SEND_STATES, Category, SendInfo, SendState
    from .resuming import resume
    from .samples import sample
    from .sandbox import Faults, Sandbox
    from .tables import failures, summary
    from .widgets import Composer, Monitor

#: Where each lazily loaded name lives: ``name: module`` (the module itself when the names are equal).
_LAZY: dict[str, str] = {
    "Retrieval": "analysis",
    "campaigns": "analysis",
    "compare": "analysis",
    "retrieval": "analysis",
    "report": "report",
    "DeliveryStatus": "gateway_answers",
    "Limit": "gateway_answers",
    "SendResult": "gateway_answers",
    "Plan": "campaign",
    "plan": "campaign",
    "send": "campaign",
    "resume": "resuming",
    "Attachment": "message",
    "Message": "message",
    "SEND_STATES": "result_columns",
    "Category": "result_columns",
    "SendInfo": "result_columns",
    "SendState": "result_columns",
    "Client": "client",
    "read_recipients": "files",
    "read_results": "files",
    "History": "ledger",
    "Ledger": "ledger",
    "history": "ledger",
    "opt_in": "ledger",
    "opt_out": "ledger",
    "opted_out": "ledger",
    "normalize": "phones",
    "plot": "plot",
    "poll": "polling",
    "failures": "tables",
    "summary": "tables",
    "Faults": "sandbox",
    "Sandbox": "sandbox",
    "sample": "samples",
    "Composer": "widgets",
    "Monitor": "widgets",
}

__all__ = [
    "SEND_STATES",
    "Attachment",
    "AuthError",
    "BadRequestError",
    "Category",
    "Client",
    "Composer",
    "ConfigError",
    "DeliveryStatus",
    "Faults",
    "History",
    "InputError",
    "Ledger",
    "LedgerError",
    "Limit",
    "MMSError",
    "Message",
    "Monitor",
    "NotFoundError",
    "Plan",
    "QuotaError",
    "RedirectError",
    "Retrieval",
    "Sandbox",
    "SendInfo",
    "SendResult",
    "SendState",
    "ServerError",
    "ThrottledError",
    "TransportError",
    "campaigns",
    "compare",
    "connect",
    "failures",
    "history",
    "normalize",
    "opt_in",
    "opt_out",
    "opted_out",
    "plan",
    "plot",
    "poll",
    "read_recipients",
    "read_results",
    "report",
    "resume",
    "retrieval",
    "sample",
    "send",
    "summary",
]
if "pandas" in sys.modules:
    from . import accessor  # noqa: F401  (registers frame.mms; cheap, pandas is loaded already)


def __getattr__(name: str) -> Any:
    """Load a public name, or a submodule such as ``mmsnb.tables``, on first use, and register ``frame.mms``."""
    if name == "__version__":  # one source: the installed package's metadata (pyproject.toml)
        from importlib.metadata import version

        globals()[name] = version(__name__)
        return globals()[name]
    module = _LAZY.get(name)
    if module is None:
        if name.startswith("__") or importlib.util.find_spec(f"{__name__}.{name}") is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        module = name
    loaded = importlib.import_module(f".{module}", __name__)
    importlib.import_module(".accessor", __name__)
    value = loaded if module == name else getattr(loaded, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names only (tab completion offers what ``__all__`` promises, not ``sys`` or ``Any``)."""
    return sorted(__all__)
