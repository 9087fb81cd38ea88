"""The token request's credentials: the client id and secret as a Basic ``Authorization`` header,
form-encoded (RFC 6749 §2.3.1) or raw, or a ready header; kept out of every ``repr`` and log.

>>> Credentials.of("my id", "50%+ł", check_encoding("form"))
Credentials(client_id='my i…', secret='***')
"""

from __future__ import annotations

import base64
from urllib.parse import quote_plus, unquote_plus

from requests.auth import AuthBase
from requests.models import PreparedRequest

from . import redact
from .config import VARIABLES
from .errors import ConfigError, Fix

#: How the client id and secret are put in the token request's Basic header: ``form`` (the default) as
#: RFC 6749 §2.3.1 says, each ``application/x-www-form-urlencoded`` first; ``raw`` as they are. Both UTF-8.
CREDENTIAL_ENCODINGS = ("form", "raw")


def basic_header(client_id: str, secret: str, encoding: str = "form") -> str:
    """The ``Authorization`` value of a token request for ``client_id`` and ``secret``.

    ``form`` (RFC 6749 §2.3.1): id and secret each form-encoded (UTF-8), joined by ``:``, in Base64, so a
    ``:`` in the id, and ``+``, ``%``, spaces and non-ASCII letters anywhere, reach an RFC server intact.
    ``raw``: the UTF-8 bytes of ``id:secret`` in Base64 (RFC 7617 with ``charset="UTF-8"``), which a gateway
    that does not form-decode expects; it cannot carry a ``:`` in the id.

    >>> basic_header("my id", "50%+ł")
    'Basic bXkraWQ6NTAlMjUlMkIlQzUlODI='
    >>> basic_header("my id", "50%+ł", "raw")
    'Basic bXkgaWQ6NTAlK8WC'
    """
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}" if encoding == "form" else f"{client_id}:{secret}"
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


def decode_basic(header: str) -> tuple[str, str] | None:
    """The (id, secret) text a Basic ``Authorization`` value holds, split at the first ``:`` and not
    form-decoded; None when it is not Base64 of UTF-8 text with a ``:``.

    >>> decode_basic("Basic bXkgaWQ6NTAlK8WC")
    ('my id', '50%+ł')
    """
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        text = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    client_id, colon, secret = text.partition(":")
    return (client_id, secret) if colon else None


class _HeaderAuth(AuthBase):
    """Sends a ready ``Authorization`` value (the token request's Basic credentials)."""

    def __init__(self, value: str) -> None:
        self._value = value

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers["Authorization"] = self._value
        return request

    def __repr__(self) -> str:
        return "HeaderAuth('Basic ***')"


class Credentials:
    """The token request's Basic credentials, kept out of ``repr`` and ``vars(client)``: built from the
    client id and secret (``encoding`` ``form`` or ``raw``), or a ready ``Authorization`` header."""

    __slots__ = ("_header", "client_id", "encoding", "ready", "sensitive")

    def __init__(self, client_id: str, header: str, encoding: str, *, ready: bool, sensitive: bool) -> None:
        self.client_id, self._header, self.encoding = client_id, header, encoding
        #: Whether the header was given as it is (``MMSNB_AUTHORIZATION``) rather than built here.
        self.ready = ready
        #: Whether the form and raw encodings of this id and secret differ (so the choice matters).
        self.sensitive = sensitive

    @classmethod
    def of(cls, client_id: str, secret: str, encoding: str) -> Credentials:
        if encoding == "raw" and ":" in client_id:
            raise ConfigError(
                "The client id contains ':', which the raw credential encoding cannot carry (the gateway splits "
                "the pair at the first ':'). Set {fix} (RFC 6749 §2.3.1), which encodes it.",
                fix=Fix(
                    option="credential_encoding", value="'form'", variable=f"{VARIABLES['credential_encoding']}=form"
                ),
            )
        header = basic_header(client_id, secret, encoding)
        # Whether the other encoding would send something else, so the choice may be why a gateway refuses them.
        sensitive = quote_plus(client_id) != client_id or quote_plus(secret) != secret
        pairs = (f"{client_id}:{secret}", f"{quote_plus(client_id)}:{quote_plus(secret)}")
        encoded = (basic_header(client_id, secret, form).partition(" ")[2] for form in CREDENTIAL_ENCODINGS)
        redact.register_sent(secret, *pairs, *encoded, header)
        return cls(client_id, header, encoding, ready=False, sensitive=sensitive)

    @classmethod
    def given(cls, authorization: str, encoding: str) -> Credentials:
        header = authorization.strip()
        scheme, _, value = header.partition(" ")
        value = value.strip()
        redact.register_sent(header, value)
        try:
            ascii_ok = value.isascii() and bool(base64.b64decode(value, validate=True))
        except ValueError:
            ascii_ok = False
        if scheme.lower() != "basic" or not ascii_ok:
            raise ConfigError(
                "{fix} must be a whole Basic header value, 'Basic ' and the Base64 credentials, as the developer "
                "portal shows it; this one is not.",
                fix=Fix(option="authorization", variable=VARIABLES["authorization"]),
            )
        header = "Basic " + value
        pair = decode_basic(header)
        client_id = "?"
        if pair is not None:
            client_id = unquote_plus(pair[0]) if encoding == "form" else pair[0]
            decoded = (unquote_plus(pair[0]), unquote_plus(pair[1]))
            redact.register_sent(pair[1], decoded[1], ":".join(pair), ":".join(decoded))
        return cls(client_id, header, encoding, ready=True, sensitive=False)

    def auth(self) -> AuthBase:
        return _HeaderAuth(self._header)

    def names(self) -> str:
        """The settings the credentials came from."""
        if self.ready:
            return VARIABLES["authorization"]
        return f"{VARIABLES['client_id']} and {VARIABLES['client_secret']}"

    def encoding_hint(self) -> str:
        """A sentence on the credential encoding when it may be why the gateway refused them, else ''."""
        setting = VARIABLES["credential_encoding"]
        if not self.sensitive:
            return ""
        if self.encoding == "form":
            return (
                " The id or secret holds characters (such as '+', '%', ':', spaces or non-ASCII letters) that "
                "were sent form-encoded, as RFC 6749 §2.3.1 says; if this gateway expects them unencoded, set "
                "{fix}."
            )
        return (
            f" The id and secret were sent unencoded ({setting}=raw), but they hold characters that RFC 6749 "
            "§2.3.1 says to form-encode ('+' and '%' then mean something else to the gateway, and a strict one "
            f"refuses spaces or non-ASCII letters); set {setting}=form (the default)."
        )

    def encoding_fix(self) -> Fix | None:
        """The setting :meth:`encoding_hint` names where it says ``{fix}``."""
        if not self.sensitive or self.encoding != "form":
            return None
        setting = VARIABLES["credential_encoding"]
        return Fix(option="credential_encoding", value="'raw'", variable=f"{setting}=raw")

    def __repr__(self) -> str:
        return f"Credentials(client_id={self.client_id[:4] + '…'!r}, secret='***')"


def check_encoding(value: str | None) -> str:
    """The credential encoding ``value`` names, ``form`` when it is unset; :class:`ConfigError` for any other."""
    encoding = (value or "form").strip().lower()
    if encoding not in CREDENTIAL_ENCODINGS:
        raise ConfigError(
            "{fix} must be 'form' (RFC 6749 §2.3.1, the default) or 'raw', not " + f"{value!r}.",
            fix=Fix(option="credential_encoding", variable=VARIABLES["credential_encoding"]),
        )
    return encoding
