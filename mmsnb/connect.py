"""One line to get a client in a notebook: the real gateway when configured, else the sandbox.

>>> client = mmsnb.connect()
Using the local sandbox at https://127.0.0.1:... (no MMSNB_CLIENT_ID in the environment, and no .env file in ...;
nothing leaves this machine).
>>> mmsnb.Sandbox.behind(client).stop()
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Unpack

if TYPE_CHECKING:
    from .client import Client
    from .config import Environment
    from .sandbox.server import SandboxSettings


def connect(*, sandbox: bool | None = None, max_wait: float = 300.0, **settings: Unpack[SandboxSettings]) -> Client:
    """A client for the real gateway when ``MMSNB_CLIENT_ID`` (or ``MMSNB_AUTHORIZATION``) is set, else for an
    embedded sandbox.

    ``sandbox=True`` forces the sandbox; ``settings`` go to :class:`Sandbox` (``seed``, ``quota``,
    ``time_scale``…). The sandbox runs in this process and ends with it; ``Sandbox.behind(client)`` is it.
    ``max_wait`` is the client's: how long a call may wait out "slow down" answers.

    >>> client = mmsnb.connect(seed=0, quota=500)
    Using the local sandbox at https://127.0.0.1:... nothing leaves this machine).
    >>> client.limit().available
    500
    >>> mmsnb.Sandbox.behind(client).stop()
    """
    # Imported here so that ``import mmsnb`` binds this function without loading the client or the sandbox.
    from . import accessor  # noqa: F401  (registers frame.mms for the client this returns)
    from .client import Client
    from .config import VARIABLES, environment
    from .errors import ConfigError
    from .options import check_options
    from .sandbox import Sandbox
    from .sandbox.server import SANDBOX_SETTINGS

    check_options(
        settings, SANDBOX_SETTINGS, "connect()", "help(mmsnb.connect) and help(mmsnb.Sandbox)", error=ConfigError
    )
    env = environment()
    names = (VARIABLES["client_id"], VARIABLES["authorization"])
    configured = next((name for name in names if env.get(name)), None)
    use_sandbox = sandbox if sandbox is not None else configured is None
    if not use_sandbox:
        client = Client.from_env(max_wait=max_wait)
        print(f"Using the MMSOnnet gateway at {client.base_url} ({_settings_from(env)}).")
        return client
    settings.setdefault("seed", 0)
    gateway = Sandbox(**settings).start()
    print(f"Using the local sandbox at {gateway.url} ({_why_sandbox(env, configured)}; nothing leaves this machine).")
    return gateway.client(max_wait=max_wait)


def _settings_from(env: Environment) -> str:
    """Where the gateway's settings came from: the process environment, a ``.env`` file, or both (no values)."""
    ours = {name for name in env if name.startswith("MMSNB_")}
    sources = []
    if ours - env.from_file:
        sources.append("the environment")
    if env.env_file is not None and ours & env.from_file:
        sources.append(str(env.env_file))
    return "settings from " + " and ".join(sources or ["the environment"])


def _why_sandbox(env: Environment, configured: str | None) -> str:
    """Why the sandbox is used: forced, or no client id in the environment or in the ``.env`` file read."""
    if configured is not None:
        return f"sandbox=True; {configured} is set but not used"
    if env.env_file is None:
        return f"no MMSNB_CLIENT_ID in the environment, and no .env file in {Path.cwd()} or a folder above it"
    return f"no MMSNB_CLIENT_ID in the environment or in {env.env_file}"
