"""The MMSOnnet client: OAuth 2.0 client credentials, one pooled HTTPS session, typed answers.

>>> client = sandbox.client()  # elsewhere Client.from_env(): the MMSNB_* settings of the environment or .env
>>> client.send_mms("501 102 030", subject="Cześć!", attachments=["data/promo.jpg"])
SendResult(message_id='...', addresses=('tel:+48501102030',), ...)
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict, Unpack

import requests
from oauthlib.oauth2 import BackendApplicationClient, OAuth2Error
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_exponential

from . import redact
from .config import VARIABLES, environment, settings
from .credentials import Credentials, check_encoding
from .endpoints import DOC_PATH, LIMIT_PATH, SEND_PATH, STATUS_PATH, TOKEN_PATH
from .errors import (
    AuthError,
    ConfigError,
    Fix,
    InputError,
    MMSError,
    ThrottledError,
)
from .gateway_answers import (
    DeliveryStatus,
    Limit,
    SendResult,
    excerpt,
    parse_limit,
    parse_send,
    parse_status,
    read,
    redirect,
)
from .media import Media
from .message import MAX_MESSAGE_BYTES, AttachmentSpec, Message, check_limit
from .options import check_options, option_names
from .phones import normalize
from .transport import Adapter, Session, bundle_unread, require_https, transport_error
from .wire import encode_message
from .words import N_, Phrase

#: The shortest wait after a "slow down", even when the gateway asks for none (no busy loop).
SHORTEST_WAIT = 0.1
#: A token is renewed this many seconds before it expires.
RENEW_MARGIN = 30.0
#: The lifetime assumed for a token whose answer names none (a 401 renews it sooner).
UNKNOWN_LIFETIME = 3600.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _sendable(token: str) -> bool:
    """Whether a token can go in an ``Authorization`` header as it is: visible ASCII, at least one character.

    >>> _sendable("abc.DEF-123_~+/="), _sendable("abc\\r\\nX: 1"), _sendable("żółw"), _sendable("")
    (True, False, False, False)
    """
    return bool(token) and token.isascii() and token.isprintable() and " " not in token


def token_lifetime(answer: object) -> float:
    """Seconds a token may be reused, from its answer's ``expires_in`` (RFC 6749 §5.1): 0 means not at all;
    absent or unreadable means unknown (:data:`UNKNOWN_LIFETIME`).

    >>> token_lifetime({"expires_in": 0}), token_lifetime({"expires_in": "60"}), token_lifetime({})
    (0.0, 60.0, 3600.0)
    """
    value = answer.get("expires_in") if isinstance(answer, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return UNKNOWN_LIFETIME
    try:
        seconds = float(value)
    except ValueError:
        return UNKNOWN_LIFETIME
    return max(0.0, seconds) if math.isfinite(seconds) else UNKNOWN_LIFETIME


#: The sentence for each missing credential (a message of the catalogue).
_MISSING = {
    "client_id": N_("No client id: set {variable} in the environment or a .env file."),
    "client_secret": N_("No client secret: set {variable} in the environment or a .env file."),
}


def _required(name: str, value: str | None) -> str:
    if not value:
        raise ConfigError(
            _MISSING.get(name, f"No {name.replace('_', ' ')}: set {{variable}} in the environment or a .env file."),
            fix=Fix(option=name, alternative=True),
            values={"variable": VARIABLES[name]},
        )
    return value


def _refused(credentials: Credentials, said: str, http_status: int | None) -> AuthError:
    """The token endpoint's refusal of ``credentials``: what it said, the settings to check, and when their
    encoding may be why, a word on it."""
    names = (
        Phrase(N_("{id} and {secret}"), {"id": VARIABLES["client_id"], "secret": VARIABLES["client_secret"]})
        if not credentials.ready
        else VARIABLES["authorization"]
    )
    return AuthError(
        N_("The token endpoint refused the credentials ({said}). Check {names}.{hint}"),
        http_status=http_status,
        fix=credentials.encoding_fix(),
        values={"said": said, "names": names, "hint": credentials.encoding_hint()},
    )


class ClientOptions(TypedDict, total=False):
    """How a :class:`Client` talks to a gateway whose address and credentials are given elsewhere."""

    credential_encoding: str | None
    verify: bool | str
    timeout: float | tuple[float, float]
    max_wait: float
    pool_size: int


class ClientSettings(ClientOptions, total=False):
    """Every keyword of :class:`Client`: its options, and the credentials and addresses."""

    client_id: str | None
    client_secret: str | None
    authorization: str | None
    base_url: str | None
    token_url: str | None


CLIENT_OPTIONS = option_names(ClientOptions)
CLIENT_SETTINGS = option_names(ClientSettings)


class Client:
    """A connection to the MMSOnnet gateway (or the sandbox).

    Credentials not given come from ``MMSNB_CLIENT_ID`` and ``MMSNB_CLIENT_SECRET`` in the
    environment or a ``.env`` file; instead of them, ``authorization`` (``MMSNB_AUTHORIZATION``) takes the
    ready ``Basic ...`` header the developer portal shows, sent as it is. ``credential_encoding``
    (``MMSNB_CREDENTIAL_ENCODING``) is ``"form"`` (the default: id and secret form-encoded before Base64,
    as RFC 6749 §2.3.1 says) or ``"raw"`` (their UTF-8 bytes as they are). ``verify`` is True, False or a
    CA bundle path. ``client.clock`` and ``client.sleep`` (``time.monotonic`` and ``time.sleep``) are what it
    waits by, for "slow down" and :func:`mmsnb.poll` too, and ``client.now`` (the time of day, UTC) is what
    sending hours and quota resets are judged by; a test may replace them with a virtual clock.

    >>> client = Client("my-id", "my-secret")
    >>> client
    Client(base_url='https://apigateway-prd.orange.pl', client_id='my-i…')
    """

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        authorization: str | None = None,
        credential_encoding: str | None = None,
        base_url: str | None = None,
        token_url: str | None = None,
        verify: bool | str = True,
        timeout: float | tuple[float, float] = (5.0, 30.0),
        max_wait: float = 300.0,
        pool_size: int = 32,
    ) -> None:
        found = environment()
        env = settings(found)
        redact.install()
        encoding = check_encoding(
            credential_encoding if credential_encoding is not None else env["credential_encoding"]
        )
        if authorization is None and client_id is None and client_secret is None:
            authorization = env["authorization"]
            if authorization and (env["client_id"] or env["client_secret"]):
                raise ConfigError(
                    f"Both {VARIABLES['authorization']} and {VARIABLES['client_id']}/{VARIABLES['client_secret']} "
                    "are set; set one of them (the Basic header, or the id and secret)."
                )
        if authorization:
            if client_id is not None or client_secret is not None:
                raise ConfigError("Give authorization= or client_id= and client_secret=, not both.")
            self._credentials = Credentials.given(authorization, encoding)
        else:
            client_id = _required("client_id", client_id or env["client_id"])
            secret = _required("client_secret", client_secret or env["client_secret"])
            self._credentials = Credentials.of(client_id, secret, encoding)
        self.base_url = require_https(base_url or env["base_url"], "base URL")
        self.token_url = require_https(
            token_url or (base_url.rstrip("/") + TOKEN_PATH if base_url else env["token_url"]), "token URL"
        )
        #: The .env file the CA bundle's setting came from, if it did (a stale .env is why a bundle goes missing).
        self._ca_from: Path | None = None
        if verify is True and env["ca_bundle"]:
            verify = env["ca_bundle"]
            self._ca_from = found.env_file if VARIABLES["ca_bundle"] in found.from_file else None
        self.verify = verify
        self.timeout = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        if isinstance(max_wait, bool) or not isinstance(max_wait, (int, float)) or not 0 <= max_wait < math.inf:
            raise ConfigError(f"max_wait= must be a number of seconds, 0 or more, not {max_wait!r}.")
        #: Seconds a call may take in all, waits included, while the gateway says "slow down"
        #: (429, or 503 with Retry-After).
        self.max_wait = float(max_wait)
        self._session = Session(client=BackendApplicationClient(client_id=self._credentials.client_id))
        self._session.mount("https://", Adapter(pool_connections=2, pool_maxsize=pool_size, max_retries=0))
        self._session.register_compliance_hook("access_token_response", self._token_response)
        self._token_lock = threading.Lock()
        #: The clock and the sleep this client waits by (token expiry, "slow down", the pauses of
        #: :func:`mmsnb.poll`): the real ones unless replaced, e.g. by a test's virtual clock.
        self.clock: Callable[[], float] = time.monotonic
        self.sleep: Callable[[float], None] = time.sleep
        #: The time of day (aware, UTC) that sending hours and quota resets are judged by, waited for by ``sleep``.
        self.now: Callable[[], datetime] = _utc_now
        self._expires_at = 0.0
        #: The lifetime the token endpoint last named, read from its answer (oauthlib drops an ``expires_in`` of 0).
        self._lifetime = UNKNOWN_LIFETIME

    @classmethod
    def from_env(cls, **settings: Unpack[ClientSettings]) -> Client:
        """A client configured from ``MMSNB_*`` variables (and ``.env``); ``settings`` are those of :class:`Client`."""
        check_options(settings, CLIENT_SETTINGS, "Client.from_env()", "help(mmsnb.Client)", error=ConfigError)
        return cls(**settings)

    def __repr__(self) -> str:
        return f"Client(base_url={self.base_url!r}, client_id={self._credentials.client_id[:4] + '…'!r})"

    __str__ = __repr__

    def __getstate__(self) -> None:
        raise MMSError("A Client cannot be pickled: it holds credentials. Create one where it is needed.")

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- token -------------------------------------------------------------
    def _renew_token(self, stale: float | None = None) -> None:
        with self._token_lock:
            if stale is not None and self._expires_at != stale:
                return
            credentials, refused = self._credentials, None
            try:
                token = self._session.fetch_token(
                    token_url=self.token_url,
                    auth=credentials.auth(),
                    timeout=self.timeout,
                    verify=self.verify,
                )
            except OAuth2Error as exc:
                said = exc.error + (f": {exc.description}" if exc.description else "")
                refused = _refused(credentials, said, exc.status_code)
            except requests.RequestException as exc:
                raise transport_error(exc, "token endpoint", sending=False, read_timeout=self.timeout[1]) from None
            except ValueError:
                raise AuthError(
                    f"The token endpoint {self.token_url} did not answer with a token. Check {VARIABLES['token_url']}."
                ) from None
            if refused is not None:  # raised here, not in the except: the refusal (an echo, maybe) is not its context
                raise refused
            access = token.get("access_token")
            if isinstance(access, str):
                redact.register_sent(access)
            if not (isinstance(access, str) and _sendable(access)):
                raise AuthError(
                    N_(
                        "The token endpoint {url} issued an access token that cannot be sent in a header (it must be "
                        "text of visible ASCII characters); nothing was sent. Check {variable}."
                    ),
                    values={"url": self.token_url, "variable": VARIABLES["token_url"]},
                )
            self._expires_at = self.clock() + self._lifetime - min(RENEW_MARGIN, self._lifetime / 10)

    def _token_response(self, resp: requests.Response) -> requests.Response:
        """Let OAuth 2.0 answers through; any other refusal becomes a clear error here."""
        if 300 <= resp.status_code < 400:
            raise redirect(resp, "token endpoint")
        try:
            data = resp.json()
        except ValueError:
            data = None
        if resp.ok or (isinstance(data, dict) and "error" in data):
            self._lifetime = token_lifetime(data)
            if self._lifetime == 0 and isinstance(data, dict) and "expires_in" in data:
                # not kept (0, or a lifetime already over): oauthlib would call a negative one expired before use
                resp._content = json.dumps({k: v for k, v in data.items() if k != "expires_in"}).encode()
            return resp
        said = f"HTTP {resp.status_code}: " + (
            (data.get("message") if isinstance(data, dict) else None) or excerpt(resp)
        )
        credentials = self._credentials
        if resp.status_code in (401, 403):
            raise _refused(credentials, said, resp.status_code)
        # A 400 may be a gateway that cannot read the credentials as they were encoded.
        hint, fix = (credentials.encoding_hint(), credentials.encoding_fix()) if resp.status_code == 400 else ("", None)
        raise AuthError(
            f"The token endpoint {self.token_url} did not answer with a token ({said}). Check "
            f"{VARIABLES['token_url']}." + hint,
            http_status=resp.status_code,
            fix=fix,
        )

    def _bundle(self, url: str) -> bool | str:
        """The CA bundle requests takes for ``url``: ``verify``, or when it is True, the environment's."""
        verify: bool | str = self._session.merge_environment_settings(url, {}, False, self.verify, None)["verify"]
        return verify

    def _check_ca_bundle(self, bundle: bool | str | None = None) -> None:
        """:class:`ConfigError` when the CA bundle (``verify``'s unless named) is gone (a stopped sandbox's, say)."""
        path = self.verify if bundle is None else bundle
        if isinstance(path, str) and not os.path.exists(path):
            gone = N_(
                "The CA bundle {path} ({fix}) does not exist, so the gateway's certificate cannot be checked; nothing "
                "was sent. If it was a sandbox's, that sandbox has stopped: start a new one and use its settings."
            )
            set_in = N_(
                "The CA bundle {path} ({fix}) does not exist, so the gateway's certificate cannot be checked; nothing "
                "was sent. If it was a sandbox's, that sandbox has stopped: start a new one and use its settings. It "
                "is set in {file}: update or remove that file."
            )
            raise ConfigError(
                set_in if self._ca_from else gone,
                fix=Fix(option="verify", variable=VARIABLES["ca_bundle"]),
                values={"path": repr(path), "fix": "{fix}", "file": repr(str(self._ca_from))},
            )

    def _ensure_token(self) -> float:
        if self.clock() >= self._expires_at:
            self._check_ca_bundle(self._bundle(self.token_url))
            self._renew_token(self._expires_at)
        return self._expires_at

    # -- requests ----------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        sending: bool = False,
        on_wait: Callable[[float], None] | None = None,
        attempt: Callable[[], AbstractContextManager[Any]] | None = None,
        **kwargs: Any,
    ) -> Any:
        """One API call; when the gateway says "slow down" (the request was not taken), wait as told and ask again.

        The waits add up to at most ``max_wait`` seconds; ``on_wait(seconds)`` hears of each before it
        starts. Each attempt (not the waits between them) runs inside ``attempt()``, e.g. a place in flight.
        """
        started = self.clock()

        def once() -> Any:
            with attempt() if attempt is not None else nullcontext():
                return self._request_once(method, path, sending=sending, **kwargs)

        try:
            return once()  # most calls: no "slow down", so no retrying is built
        except ThrottledError as exc:
            said = [exc]

        def again() -> Any:  # the retrying's first attempt is the answer already had
            if said:
                raise said.pop()
            return once()

        backoff = wait_exponential(multiplier=1, max=60)

        def told(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            asked = exc.retry_after if isinstance(exc, ThrottledError) else None
            return max(asked, SHORTEST_WAIT) if asked is not None else backoff(state)

        def give_up(state: RetryCallState) -> bool:
            return self.clock() - started + told(state) > self.max_wait

        retrying = Retrying(
            retry=retry_if_exception_type(ThrottledError),
            wait=told,
            stop=give_up,
            reraise=True,
            sleep=self.sleep,
            before_sleep=(lambda state: on_wait(state.upcoming_sleep)) if on_wait else None,
        )

        try:
            return retrying(again)
        except ThrottledError as exc:
            asked = "" if exc.retry_after is None else f" (it asked for {exc.retry_after:g} s more)"
            raise ThrottledError(
                f"{exc} It still said so after the waits allowed by max_wait={self.max_wait:g} s{asked}; "
                "the request was not taken. Run again later, or allow a longer max_wait.",
                http_status=exc.http_status or 429,
                retry_after=exc.retry_after,
                gateway_message=exc.gateway_message,
            ) from None

    def _request_once(self, method: str, path: str, *, sending: bool = False, **kwargs: Any) -> Any:
        url = self.base_url + path
        for attempt in (1, 2):
            seen = self._ensure_token()
            try:
                resp = self._session.call(method, url, timeout=self.timeout, verify=self.verify, **kwargs)
            except requests.RequestException as exc:
                if bundle_unread(exc):  # a new connection without its CA bundle: nothing was sent
                    self._check_ca_bundle(self._bundle(url))
                raise transport_error(exc, "gateway", sending=sending, read_timeout=self.timeout[1]) from None
            except OSError:  # requests' own check of the CA bundle, before anything is sent
                self._check_ca_bundle(self._bundle(url))
                raise
            if resp.status_code == 401 and attempt == 1:
                self._renew_token(seen)
                continue
            return read(resp)
        raise AuthError(
            "The gateway refused a fresh access token; check that the application is subscribed to MMSOnnet."
        )

    # -- API ---------------------------------------------------------------
    def send_mms(
        self,
        addresses: str | int | Iterable[str | int],
        *,
        subject: str | None = None,
        sender: str | None = None,
        priority: str | None = None,
        delivery_report: bool = True,
        attachments: Sequence[AttachmentSpec] = (),
        max_message_bytes: int = MAX_MESSAGE_BYTES,
        fit: bool = False,
        keep_metadata: bool = False,
    ) -> SendResult:
        """Send one MMS to one or several numbers; returns the gateway's message id.

        The message is checked first (:meth:`Message.check`, against ``max_message_bytes``). The
        EXIF (GPS included), XMP and comments of JPEG and PNG files are removed unless
        ``keep_metadata=True``; ``fit=True`` re-encodes images that would not fit (see :func:`mmsnb.plan`).

        >>> client.send_mms(
        ...     ["501102030", "+48 510 000 000"], subject="Promocja", attachments=["data/promo.jpg"]
        ... )
        SendResult(message_id='...', addresses=('tel:+48501102030', 'tel:+48510000000'), ...)
        """
        numbers = list(addresses) if isinstance(addresses, Iterable) and not isinstance(addresses, str) else [addresses]
        if not numbers:
            raise InputError("No addresses: give at least one number.")
        media = Media(fit=fit, keep_metadata=keep_metadata, limit=check_limit(max_message_bytes))
        read = (media.read(a) for a in attachments)
        files = media.fit(tuple(media.clean(a, a.filename) for a in read))
        message = Message(subject, sender, priority, delivery_report, files).check(max_message_bytes)
        return self.send_checked([normalize(n) for n in numbers], message)

    def send_checked(
        self,
        addresses: list[str],
        message: Message,
        *,
        on_wait: Callable[[float], None] | None = None,
        attempt: Callable[[], AbstractContextManager[Any]] | None = None,
    ) -> SendResult:
        """Send ``message`` to addresses already checked by :func:`mmsnb.phones.parse`.

        No check is repeated: this is the path of :func:`mmsnb.send`, which checks every row first.
        ``on_wait(seconds)`` hears of each wait when the gateway says "slow down"; each attempt
        runs inside ``attempt()`` (a campaign's pace), the waits between them outside it.

        >>> client.send_checked(["tel:+48501102030"], Message(subject="Hej"))
        SendResult(message_id='...', addresses=('tel:+48501102030',), delivery_status='DeliveredToNetwork', ...)
        """
        body, content_type = encode_message(addresses, message)
        data = self._request(
            "POST",
            SEND_PATH,
            data=body,
            headers={"Content-Type": content_type},
            sending=True,
            on_wait=on_wait,
            attempt=attempt,
        )
        return parse_send(data, addresses, 200)

    def delivery_status(self, message_id: str, *, delivery_report: bool = True) -> DeliveryStatus:
        """The status of a sent message, with per-address detail when the gateway gives it.

        >>> result = client.send_mms("501102030", subject="Hej")
        >>> client.delivery_status(result.message_id).category  # pending at first; delivered or failed later
        <Category...>
        """
        data = self._request("GET", STATUS_PATH, params={"id": message_id})
        return parse_status(data, message_id, delivery_report=delivery_report)

    def limit(self) -> Limit:
        """The request quota: used, available, and the day the counter resets.

        >>> client.limit()
        Limit(used=..., available=..., resets_on=datetime.date(...))
        """
        return parse_limit(self._request("GET", LIMIT_PATH))

    def api_document(self) -> dict[str, Any]:
        """The gateway's OpenAPI document."""
        document: dict[str, Any] = self._request("GET", DOC_PATH)
        return document
