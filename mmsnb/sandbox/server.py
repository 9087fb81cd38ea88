"""The sandbox's HTTPS server: a real gateway stand-in on loopback, in a background thread.

>>> with Sandbox(quota=100, seed=0) as sb:
...     client = sb.client()
...     client.send_mms("501102030", subject="Test").message_id
'0_..._000001'
"""

from __future__ import annotations

import os
import ssl
import tempfile
import threading
import time
from collections import deque
from functools import partial
from pathlib import Path
from typing import Unpack

from ..client import CLIENT_OPTIONS, CLIENT_SETTINGS, Client, ClientOptions
from ..endpoints import TOKEN_PATH
from ..errors import ConfigError, Fix
from ..ledger import gateway_key, keep_own_ledger
from ..options import check_options, option_names
from ..pacing import RateCap
from . import routes
from .faults import FaultPlan, Faults
from .gateway import GATEWAY_SETTINGS, Gateway, GatewaySettings, Received
from .http import Server


class SandboxSettings(GatewaySettings, total=False):
    """Every keyword of :class:`Sandbox`: the gateway's behaviour, and the server's."""

    host: str
    port: int
    latency: float
    faults: Faults | None
    max_in_flight: int | None
    rate: str | None
    ledger: str | os.PathLike[str] | None


SANDBOX_SETTINGS = option_names(SandboxSettings)

_RUNNING: dict[str, Sandbox] = {}
_RUNNING_LOCK = threading.Lock()


class Sandbox:
    """A local MMSOnnet gateway over HTTPS on loopback, for demos and tests.

    Settings: ``quota`` requests per ``window`` seconds; ``token_lifetime`` seconds;
    ``seed`` makes outcomes repeatable; ``time_scale`` simulated seconds per real second
    (default 60: every message is final within about ten seconds); ``outcomes`` and
    ``delays`` shape the lifecycle; ``by_suffix`` gives numbers ending in given digits a status
    (``{"13": "Message format corrupt"}``); ``ported_in`` lists numbers ported into Orange;
    ``behaviour`` (a :class:`~mmsnb.sandbox.Behaviour`) makes larger messages fail more often and people
    open more slowly at night, or scripts outcomes;
    ``latency`` seconds are added to every answer; ``faults`` injects trouble. ``max_in_flight``
    and ``rate`` (``"20/s"``) make it answer 429 with ``Retry-After`` when more API requests
    are in progress at once, or arrive within a second, than they allow. What is sent to the
    sandbox is recorded in its own ``ledger`` (default: a file in its temporary folder, removed
    when it stops), never in a real campaign's.

    >>> with Sandbox(quota=100, seed=0) as sb:
    ...     sb.client().limit().available
    100
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        faults: Faults | None = None,
        max_in_flight: int | None = None,
        rate: str | None = None,
        ledger: str | os.PathLike[str] | None = None,
        **gateway: Unpack[GatewaySettings],
    ) -> None:
        check_options(
            gateway, GATEWAY_SETTINGS, "Sandbox()", "help(mmsnb.Sandbox)", near=SANDBOX_SETTINGS, error=ConfigError
        )
        self.gateway = Gateway(**gateway)
        self.faults = FaultPlan(faults, self.gateway.seed)
        if isinstance(latency, bool) or not isinstance(latency, (int, float)) or not 0 <= latency < float("inf"):
            raise ConfigError(
                "{fix} must be a number of seconds, 0 or more, " + f"not {latency!r}.", fix=Fix(option="latency")
            )
        self.latency = latency
        if max_in_flight is not None and (
            isinstance(max_in_flight, bool) or not isinstance(max_in_flight, int) or max_in_flight < 1
        ):
            raise ConfigError(
                "{fix} must be a whole number of at least 1, " + f"not {max_in_flight!r}.",
                fix=Fix(option="max_in_flight"),
            )
        self.max_in_flight = max_in_flight
        #: ``rate``: at most ``allowed`` API requests in any ``window`` seconds
        #: (one second, or one interval when slower), as ``(window, allowed)``.
        self._rate: tuple[float, int] | None = None
        if rate is not None:
            interval = RateCap.parse(rate).interval
            window = max(1.0, interval)
            self._rate = (window, max(1, round(window / interval)))
        self._arrivals: deque[float] = deque()
        self._busy = 0
        self._admission = threading.Lock()
        import trustme  # here, not at the top: importing mmsnb.sandbox stays light until a sandbox is made

        self._dir = tempfile.TemporaryDirectory(prefix="mmsnb-sandbox-")
        ca = trustme.CA()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost", "::1").configure_cert(context)
        self.ca_path = str(Path(self._dir.name) / "sandbox-ca.pem")
        #: The ledger of what is sent to this sandbox (kept apart from any real campaign's ledger).
        self.ledger = Path(ledger) if ledger is not None else Path(self._dir.name) / "ledger.sqlite"
        ca.cert_pem.write_to_path(self.ca_path)
        self._server = Server((host, port), context, partial(routes.answer, self))
        self.host, self.port = host, self._server.server_address[1]
        self._thread: threading.Thread | None = None
        self._stopped = False

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    @property
    def client_id(self) -> str:
        return self.gateway.client_id

    @property
    def client_secret(self) -> str:
        return self.gateway.client_secret

    @property
    def received(self) -> list[Received]:
        """The sends it accepted, decoded, in order."""
        return list(self.gateway.received)

    def __repr__(self) -> str:
        return f"Sandbox(url={self.url!r}, quota={self.gateway.quota}, seed={self.gateway.seed})"

    def env(self) -> dict[str, str]:
        """The ``MMSNB_*`` variables that point :meth:`Client.from_env` (and the ledger) at this sandbox."""
        return {
            "MMSNB_CLIENT_ID": self.client_id,
            "MMSNB_CLIENT_SECRET": self.client_secret,
            "MMSNB_BASE_URL": self.url,
            "MMSNB_TOKEN_URL": self.token_url,
            "MMSNB_CA_BUNDLE": self.ca_path,
            "MMSNB_LEDGER": str(self.ledger),
        }

    def client(self, **options: Unpack[ClientOptions]) -> Client:
        """A :class:`Client` of this sandbox that trusts its certificate; ``options`` go to :class:`Client`."""
        check_options(
            options, CLIENT_OPTIONS, "Sandbox.client()", "help(mmsnb.Client)", near=CLIENT_SETTINGS, error=ConfigError
        )
        options.setdefault("verify", self.ca_path)
        return Client(self.client_id, self.client_secret, base_url=self.url, token_url=self.token_url, **options)

    @classmethod
    def behind(cls, client: Client) -> Sandbox | None:
        """The running embedded sandbox ``client`` talks to, or None (a real gateway).

        >>> mmsnb.Sandbox.behind(client) is sandbox
        True
        >>> "Cześć Aleksandra!" in {sent.subject for sent in mmsnb.Sandbox.behind(client).received}
        True
        """
        with _RUNNING_LOCK:
            return _RUNNING.get(gateway_key(client.base_url))

    def enter(self) -> bool:
        """Take a place for an API request, counted while it is answered (latency included); False when
        ``max_in_flight`` are in progress or ``rate`` allows no more now."""
        with self._admission:
            if self.max_in_flight is not None and self._busy >= self.max_in_flight:
                return False
            if self._rate is not None:
                window, allowed = self._rate
                now = time.monotonic()
                while self._arrivals and self._arrivals[0] <= now - window:
                    self._arrivals.popleft()
                if len(self._arrivals) >= allowed:
                    return False
                self._arrivals.append(now)
            self._busy += 1
            return True

    def leave(self) -> None:
        """Give back the place an admitted request held."""
        with self._admission:
            self._busy -= 1

    def fail_next(self, kind: str, *, endpoint: str = "send", times: int = 1) -> None:
        """Inject fault ``kind`` into the next ``times`` requests to ``endpoint`` ('send', 'status', 'limit')."""
        self.faults.fail_next(kind, endpoint=endpoint, times=times)

    def reset_quota(self) -> None:
        """Start a new quota window, as the gateway does on its reset date."""
        self.gateway.reset_quota()

    def start(self) -> Sandbox:
        if self._stopped:
            raise ConfigError("This sandbox has stopped and cannot start again; make a new one: mmsnb.Sandbox(...).")
        if self._thread is None:
            with _RUNNING_LOCK:
                _RUNNING[gateway_key(self.url)] = self
            keep_own_ledger(self.url, self.ledger)
            self._thread = threading.Thread(
                target=self._server.serve_forever, args=(0.05,), name="mmsnb-sandbox", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._thread.join()
            self._thread = None
            keep_own_ledger(self.url, None)
            with _RUNNING_LOCK:
                _RUNNING.pop(gateway_key(self.url), None)
        self._server.server_close()
        self._dir.cleanup()
        self._stopped = True

    def serve(self, stop_after: float | None = None) -> None:
        """Serve in this thread until interrupted, or for ``stop_after`` seconds."""
        self.start()
        try:
            if self._thread is not None:
                self._thread.join(stop_after)
        finally:
            self.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
