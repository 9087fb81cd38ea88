"""HTTPS to the gateway: one pooled session that never follows a redirect and never prints, and what a
failed connection means for a request.

>>> require_https("https://apigateway-prd.orange.pl/", "base URL")
'https://apigateway-prd.orange.pl'
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests_oauthlib import OAuth2Session
from urllib3.connection import HTTPSConnection
from urllib3.connectionpool import HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError, SSLError

from .config import VARIABLES
from .errors import ConfigError, Fix, TransportError
from .words import N_, Phrase


def require_https(url: str, what: str) -> str:
    """``url`` without a trailing slash; :class:`ConfigError` unless it is HTTPS."""
    if not url.lower().startswith("https://"):
        raise ConfigError(
            f"The {what} {url!r} is not HTTPS; the gateway is reached over HTTPS only. Use an https:// URL."
        )
    return url.rstrip("/")


class _QuietConnection(HTTPSConnection):
    """A connection that never prints:
    ``http.client.HTTPConnection.debuglevel = 1`` would print its headers (tokens).
    """

    debuglevel = 0


class _QuietPool(HTTPSConnectionPool):
    ConnectionCls = _QuietConnection


class Adapter(HTTPAdapter):
    """Pooled HTTPS whose connections ignore ``http.client``'s global debug level (direct or through a proxy)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {**self.poolmanager.pool_classes_by_scheme, "https": _QuietPool}

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        manager.pool_classes_by_scheme = {**manager.pool_classes_by_scheme, "https": _QuietPool}
        return manager


#: The environment variables that decide how an https:// URL is reached: its proxy, the hosts that bypass
#: proxies, and the CA bundle requests takes when ``verify`` is True.
_REACH = ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY")
_BUNDLE = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


class Session(OAuth2Session):
    """An OAuth 2.0 session that never follows a redirect: a 3xx answer comes back as it is.

    requests reads every environment variable, twice, for each request (its proxies); this session reads
    them again only when one of those that matter to an https:// URL (:data:`_REACH`) has changed.
    :meth:`call` is the gateway's path: a request with the bearer token, straight to the adapter.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reached: tuple[tuple[Any, ...], dict[str, Any]] | None = None
        self._urls: dict[str, str] = {}  # each URL without parameters, as requests prepares it

    def get_redirect_target(self, resp: requests.Response) -> None:
        return None

    def merge_environment_settings(self, url: str, proxies: Any, stream: Any, verify: Any, cert: Any) -> dict[str, Any]:
        """requests' settings for ``url`` from the environment, kept while the variables that decide them stay."""
        parts = urlsplit(url)
        if proxies or parts.scheme.lower() != "https" or not self.trust_env or isinstance(cert, list):
            merged: dict[str, Any] = super().merge_environment_settings(url, proxies, stream, verify, cert)
            return merged
        key = (parts.netloc, stream, verify, cert, *(os.environ.get(name) for name in _REACH + _BUNDLE))
        if self._reached is None or self._reached[0] != key:
            self._reached = (key, super().merge_environment_settings(url, {}, stream, verify, cert))
        found = self._reached[1]
        return {**found, "proxies": dict(found["proxies"])}

    def call(
        self,
        method: str,
        url: str,
        *,
        timeout: tuple[float, float],
        verify: bool | str,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> requests.Response:
        """One request with the current bearer token, its answer read whole.

        What :meth:`request` does, less what a call to the gateway never needs (cookies, hooks, ``.netrc``,
        oauthlib's second look at the token, which the client renews itself): about 40 % less of the client's CPU
        per request. A redirect is not followed either way.
        """
        prepared = requests.PreparedRequest()
        prepared.prepare_method(method)
        if params or url not in self._urls:
            prepared.prepare_url(url, params)
            if not params:
                self._urls[url] = prepared.url or url
        else:
            prepared.url = self._urls[url]
        prepared.prepare_headers({**self.headers, **(headers or {}), "Authorization": f"Bearer {self.access_token}"})
        prepared.prepare_body(data, None)
        settings = self.merge_environment_settings(prepared.url or url, {}, False, verify, None)
        response: requests.Response = self.get_adapter(url).send(prepared, timeout=timeout, **settings)
        response.content  # noqa: B018 -- read whole (a dropped connection raises here), the connection back in the pool
        return response


def _unverified(exc: requests.exceptions.SSLError) -> bool:
    """Whether a TLS error is the certificate check, which fails before anything is sent
    (other TLS errors may come after), or the CA bundle that could not be read for a new connection.
    """
    text = str(exc).lower()
    checked = "certificate verify failed" in text or "hostname mismatch" in text or "doesn't match" in text
    return checked or bundle_unread(exc)


def bundle_unread(exc: requests.RequestException) -> bool:
    """Whether ``exc`` is a new connection that could not read its CA bundle (gone, or not a readable file): it
    failed before anything was sent."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    cause = reason.args[0] if isinstance(reason, SSLError) and reason.args else None
    return isinstance(cause, (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError))


def transport_error(
    exc: requests.RequestException, where: str, *, sending: bool, read_timeout: float
) -> TransportError:
    """What a failed connection means: whether the request may have reached the ``where``, in a sentence."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(exc, requests.exceptions.SSLError) and _unverified(exc):
        return TransportError(
            f"The TLS certificate of the {where} could not be verified; nothing was sent. "
            "Set {fix} to the CA bundle.",
            maybe_sent=False,
            fix=Fix(option="verify", variable=VARIABLES["ca_bundle"]),
        )
    values = {"where": Phrase(where), "kind": type(exc).__name__, "seconds": f"{read_timeout:g}"}
    # A proxy error is a connection that never reached the proxy (urllib3 says so only before it has).
    never_connected = (requests.exceptions.ConnectTimeout, requests.exceptions.ProxyError)
    if isinstance(exc, never_connected) or isinstance(reason, NewConnectionError):
        return TransportError(
            N_("Could not connect to the {where} ({kind}); nothing was sent. Check the URL and the network."),
            maybe_sent=False,
            values=values,
        )
    if isinstance(exc, requests.exceptions.ReadTimeout):
        sentence = (
            N_(
                "The {where} did not answer within {seconds} s; the message may have been accepted, so it is not "
                "repeated."
            )
            if sending
            else N_("The {where} did not answer within {seconds} s.")
        )
    else:
        sentence = (
            N_(
                "The connection to the {where} was dropped ({kind}); the message may have been accepted, so it is "
                "not repeated."
            )
            if sending
            else N_("The connection to the {where} was dropped ({kind}).")
        )
    return TransportError(sentence, maybe_sent=sending, values=values)
