"""One line to get a client in a notebook: the real gateway when configured, else the sandbox.

>>> client = mmsnb.connect()      # doctest: +SKIP
Using the local sandbox at https://127.0.0.1:53211 (no account needed; nothing leaves this machine).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import Client


def connect(*, sandbox: bool | None = None, max_wait: float = 300.0, **settings: Any) -> Client:
    """A client for the real gateway when ``MMSNB_CLIENT_ID`` (or ``MMSNB_AUTHORIZATION``) is set, else for an
    embedded sandbox.

    ``sandbox=True`` forces the sandbox; ``settings`` go to :class:`Sandbox` (``seed``, ``quota``,
    ``time_scale``…). The sandbox runs in this process and ends with it; ``Sandbox.behind(client)`` is it.
    ``max_wait`` is the client's: how long a call may wait out "slow down" answers.

    >>> client = mmsnb.connect(seed=0, quota=500)     # doctest: +SKIP
    """
    # Imported here so that ``import mmsnb`` binds this function without loading the client or the sandbox.
    from . import accessor  # noqa: F401  (registers frame.mms for the client this returns)
    from .client import Client
    from .config import VARIABLES, environment
    from .sandbox import Sandbox

    env = environment()
    configured = env.get(VARIABLES["client_id"]) or env.get(VARIABLES["authorization"])
    use_sandbox = sandbox if sandbox is not None else not configured
    if not use_sandbox:
        client = Client.from_env(max_wait=max_wait)
        print(f"Using the MMSOnnet gateway at {client.base_url}.")
        return client
    settings.setdefault("seed", 0)
    gateway = Sandbox(**settings).start()
    print(f"Using the local sandbox at {gateway.url} (no account needed; nothing leaves this machine).")
    return gateway.client(max_wait=max_wait)
