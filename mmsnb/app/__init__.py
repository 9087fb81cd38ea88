"""``mmsnb app``: the composer, the delivery monitor and past campaigns as a web page, served by Voilà.

>>> serve(port=8866, idle=30)            # doctest: +SKIP
Open http://127.0.0.1:8866/?token=… in a browser. Ctrl-C stops the app.

Voilà (``pip install 'mmsnb[app]'``) runs :data:`NOTEBOOK`, shipped in this package, once per visitor, in a
kernel of its own: a visitor sees its output (the page of :mod:`mmsnb.app.page`), never its code, and cannot run
any. The page is refused without the sign-in token; idle kernels are ended after ``idle`` minutes and a closed
tab ends its kernel. Each kernel works in the folder the app was started in: its ``.env`` and ``MMSNB_*``
settings, the gateway they name and ``MMSNB_LEDGER`` (else ``mmsnb-ledger.sqlite`` in that folder). Without
gateway credentials the app starts one sandbox that every visitor shares, with its own ledger.
"""

from __future__ import annotations

import errno
import importlib.util
import ipaddress
import os
import secrets
import socket
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from ..errors import ConfigError

#: The notebook Voilà serves (package data).
NOTEBOOK = Path(__file__).with_name("campaigns.ipynb")
#: The languages of the page.
LANGUAGES = ("en", "pl")
#: The command that installs Voilà.
INSTALL = "pip install 'mmsnb[app]'"
#: Variables the app passes to each visitor's kernel: the folder it was started in, the language, and
#: whether the gateway is the app's sandbox (for the page's banner).
FOLDER_VARIABLE, LANG_VARIABLE, SANDBOX_VARIABLE = "MMSNB_APP_FOLDER", "MMSNB_LANG", "MMSNB_APP_SANDBOX"
TOKEN_VARIABLE = "MMSNB_APP_TOKEN"


def language(lang: str | None = None) -> str:
    """The page's language: ``lang``, else ``MMSNB_LANG``, else English."""
    chosen = (lang or os.environ.get(LANG_VARIABLE) or "en").strip().lower()
    if chosen not in LANGUAGES:
        raise ConfigError(f"The language {chosen!r} is not one the app speaks; choose {' or '.join(LANGUAGES)}.")
    return chosen


def is_loopback(host: str) -> bool:
    """True when ``host`` is reachable from this machine only (``127.0.0.1``, ``::1``, ``localhost``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sign_in_token(host: str, token: str | None = None) -> tuple[str, bool]:
    """The token a visitor must present, and whether it was generated here (then it may be printed).

    ``token``, else ``MMSNB_APP_TOKEN``, else a new random one. An empty token would let anyone in: refused."""
    given = token if token is not None else os.environ.get(TOKEN_VARIABLE)
    if given is None:
        return secrets.token_hex(24), True
    if len(given.strip()) < 16:
        where = "reachable from other machines" if not is_loopback(host) else "on this machine"
        raise ConfigError(
            f"The app needs a sign-in token of at least 16 characters to start {where}; {TOKEN_VARIABLE} is "
            f"{'empty' if not given.strip() else 'too short'}. Leave it unset to have one made for you."
        )
    return given.strip(), False


def idle_seconds(minutes: float) -> int:
    """``--idle`` in whole seconds, at least one."""
    if not minutes > 0:
        raise ConfigError(f"The idle time must be more than 0 minutes, not {minutes:g}.")
    return max(1, round(minutes * 60))


def voila_arguments(*, host: str, port: int, token: str, idle: float) -> list[str]:
    """Voilà's command line: the notebook, sign-in, no code shown or run, idle kernels ended."""
    seconds = idle_seconds(idle)
    return [
        str(NOTEBOOK),
        "--no-browser",
        f"--Voila.ip={host}",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        f"--Voila.token={token}",
        "--PasswordIdentityProvider.allow_password_change=False",  # the token signs in; it sets no password
        "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.strip_sources=True",
        f"--MappingKernelManager.cull_idle_timeout={seconds}",
        f"--MappingKernelManager.cull_interval={max(1, min(60, seconds // 3))}",
        "--MappingKernelManager.cull_busy=False",
        "--MappingKernelManager.cull_connected=True",
    ]


def _check_port(host: str, port: int) -> None:
    """Refuse, with a sentence, a port that cannot be listened on (Voilà would only log it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(f"Port {port} on {host} is in use; choose another with --port.") from None
            raise ConfigError(
                f"Cannot listen on {host} port {port} ({exc.strerror or exc}); check --host and --port."
            ) from None


def voila_class() -> Any:
    """Voilà's application, whose page also sets the cookie its own "tab closed" request must carry: without it,
    a visitor signed in by the token in the address would leave a kernel behind until the idle limit ended it."""
    from voila import app
    from voila.tornado.handler import TornadoVoilaHandler

    class PageHandler(TornadoVoilaHandler):
        async def prepare(self) -> None:
            await super().prepare()
            if self.current_user:
                self.xsrf_token  # noqa: B018  (reading it sets the cookie)

    class Voila(app.Voila):  # the same name: its log lines say [Voila], as Voilà's own do
        def init_handlers(self) -> list[tuple[Any, ...]]:
            handlers: list[tuple[Any, ...]] = super().init_handlers()
            return [(url, PageHandler if cls is TornadoVoilaHandler else cls, *rest) for url, cls, *rest in handlers]

    return Voila


def _gateway_configured() -> bool:
    """True when the settings name a real gateway (as :func:`mmsnb.connect` decides)."""
    from ..config import VARIABLES, environment

    env = environment()
    return any(env.get(VARIABLES[name]) for name in ("client_id", "authorization"))


def kernel_environment(*, lang: str, sandbox_env: dict[str, str] | None) -> dict[str, str]:
    """The variables every visitor's kernel gets on top of the app's own: the working folder, the language,
    and the sandbox's settings when there are no gateway credentials."""
    env = {FOLDER_VARIABLE: str(Path.cwd()), LANG_VARIABLE: lang}
    if sandbox_env is not None:
        env.update(sandbox_env, **{SANDBOX_VARIABLE: "1"})
    return env


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8866,
    lang: str | None = None,
    idle: float = 30.0,
    token: str | None = None,
    say: Callable[[str], None] = print,
) -> None:
    """Serve the app until interrupted (see the module's description); ``say`` prints the address to open."""
    if importlib.util.find_spec("voila") is None:
        raise ConfigError(f"The app needs Voilà, which is not installed; install it with: {INSTALL}")
    chosen = language(lang)
    secret, generated = sign_in_token(host, token)
    idle_seconds(idle)
    _check_port(host, port)
    server = voila_class()
    with ExitStack() as stack:
        sandbox_env = None
        if not _gateway_configured():
            from ..sandbox import Sandbox

            sandbox = stack.enter_context(Sandbox(seed=0))
            sandbox_env = sandbox.env()
        os.environ.update(kernel_environment(lang=chosen, sandbox_env=sandbox_env))
        os.environ.pop(TOKEN_VARIABLE, None)  # the kernels need not know it
        shown = socket.gethostname() if host in ("0.0.0.0", "::") else f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{port}/"
        where = f"{url}?token={secret}" if generated else f"{url} (sign in with the token in {TOKEN_VARIABLE})"
        practice = " on a local sandbox: no gateway credentials are set, nothing reaches a phone" if sandbox_env else ""
        say(f"Open {where} in a browser{practice}. Ctrl-C stops the app.")
        server.launch_instance(argv=voila_arguments(host=host, port=port, token=secret, idle=idle))
