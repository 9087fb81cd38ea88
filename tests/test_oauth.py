"""OAuth 2.0 details: the client's credential encoding (RFC 6749 §2.3.1), a ready Basic header
(``MMSNB_AUTHORIZATION``), and the sandbox's token endpoint (§2.3.1, §5.1, §5.2), checked against the
sandbox and against an independent server (oauthlib's server side).

The client form-encodes the id and secret before Base64 by default, as §2.3.1 says, so every pair below
authenticates with any server that follows it. ``credential_encoding="raw"`` sends the UTF-8 bytes of
``id:secret`` as they are. That form cannot carry a ``:`` in the id at all (every server splits the pair at
the first ``:``; the client refuses it up front), and to a server that form-decodes, as §2.3.1 says, a ``+``
means a space and ``%xx`` an escape, so a raw pair holding those reads as another pair and is refused (the
sandbox then says why). Spaces, ``:`` in the secret, a ``%`` that starts no escape and Polish letters come
through the raw form unchanged at the sandbox.
"""

from __future__ import annotations

import base64
import logging
from types import SimpleNamespace
from urllib.parse import quote_plus, unquote_plus

import pytest
import requests
from helpers import Server
from oauthlib.common import urldecode
from oauthlib.oauth2 import BackendApplicationServer, RequestValidator

import mmsnb
from mmsnb.errors import AuthError, ConfigError

#: (client id, client secret) pairs with every character that Basic auth and form-encoding treat specially.
AWKWARD = [
    ("id:with:colons", "secret:with:colons"),
    ("plus+id", "s3cr+t+plus"),
    ("pct%id", "100%25-and-50%"),
    ("id with spaces", " a secret with spaces "),
    ("zażółć-gęślą", "jaźń-łódź-ĄĘÓŚ"),
    ("mix: +%ł", "all:+% ż%41"),
]
IDS = ["colon", "plus", "percent", "space", "polish", "mixed"]


def raw_can_carry(client_id: str, secret: str) -> bool:
    """Whether the raw form reaches a form-decoding server intact: no ':' in the id, and nothing that
    form-decoding changes ('+', '%xx')."""
    return ":" not in client_id and unquote_plus(client_id) == client_id and unquote_plus(secret) == secret


def rfc_basic(client_id: str, secret: str) -> str:
    """RFC 6749 §2.3.1, written here independently of mmsnb."""
    pair = quote_plus(client_id, safe="") + ":" + quote_plus(secret, safe="")
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


def raw_basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode("ascii")


def token_post(sandbox, authorization: str | None, data: dict | str | None = None) -> requests.Response:
    headers = {"Authorization": authorization} if authorization is not None else {}
    body = {"grant_type": "client_credentials"} if data is None else data
    return requests.post(sandbox.token_url, data=body, headers=headers, verify=sandbox.ca_path, timeout=5)


# -- the sandbox ---------------------------------------------------------------------------


@pytest.mark.parametrize(("client_id", "secret"), AWKWARD, ids=IDS)
def test_the_default_client_authenticates_any_id_and_secret(make_sandbox, client_id, secret):
    sandbox = make_sandbox(client_id=client_id, client_secret=secret)
    with sandbox.client(timeout=(2, 2)) as client:
        assert client.limit().available == 100


@pytest.mark.parametrize(("client_id", "secret"), AWKWARD, ids=IDS)
def test_the_raw_encoding_works_where_it_can_carry_the_pair_and_explains_where_not(make_sandbox, client_id, secret):
    sandbox = make_sandbox(client_id=client_id, client_secret=secret)
    if ":" in client_id:
        with pytest.raises(ConfigError, match="MMSNB_CREDENTIAL_ENCODING=form"):
            sandbox.client(credential_encoding="raw")
        return
    client = sandbox.client(credential_encoding="raw", timeout=(2, 2))
    if raw_can_carry(client_id, secret):
        assert client.limit().available == 100
        return
    with pytest.raises(AuthError) as caught:
        client.limit()
    text = str(caught.value)
    assert caught.value.http_status == 401
    assert "did not form-encode" in text  # the sandbox's explanation
    assert "MMSNB_CREDENTIAL_ENCODING=form" in text
    assert secret not in text


def test_token_answers_are_never_cached(sandbox):
    """RFC 6749 §5.1 for the success, §5.2 answers too."""
    answers = [
        token_post(sandbox, rfc_basic(sandbox.client_id, sandbox.client_secret)),
        token_post(sandbox, rfc_basic(sandbox.client_id, "wrong-secret")),
        token_post(sandbox, rfc_basic(sandbox.client_id, sandbox.client_secret), data={}),
    ]
    assert [a.status_code for a in answers] == [200, 401, 400]
    for answer in answers:
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["Pragma"] == "no-cache"
    assert answers[0].json()["token_type"] == "Bearer"


@pytest.mark.parametrize(
    ("expires_in", "fetched"),
    [(0, 3), ("0", 3), (-5, 3), ("-5", 3), (3600, 1)],
    ids=["0", "text 0", "negative", "text negative", "an hour"],
)
def test_a_token_that_expires_in_0_is_not_reused(tmp_path, expires_in, fetched):
    """RFC 6749 §5.1: ``expires_in: 0`` is a token not to be kept (oauthlib drops the 0, which read as "no lifetime
    named"); each call fetches its own. A negative lifetime is taken as 0 (oauthlib would call the token expired
    at once, and the gateway would be blamed for refusing a fresh one). Counted at a real token endpoint."""
    issued: list[str] = []

    def answer(handler, body):
        if handler.path.startswith("/oauth/v2/token"):
            issued.append(f"token-{len(issued)}-0123456789")
            return 200, {}, {"access_token": issued[-1], "token_type": "Bearer", "expires_in": expires_in}
        return 200, {}, {"used": "0", "available": "100", "date": "Tue Jan 22 2026"}

    server = Server(answer, tls_dir=tmp_path)
    client = mmsnb.Client("app", "a-secret-value", base_url=server.url, verify=server.ca_path, timeout=(2, 5))
    try:
        for _ in range(3):
            assert client.limit().available == 100
    finally:
        client.close()
        server.stop()
    assert len(issued) == fetched
    bearers = [hit[2]["Authorization"] for hit in server.hits if hit[1].endswith("/limit")]
    assert len(bearers) == 3 and len(set(bearers)) == fetched


def test_grant_type_errors_follow_rfc_6749(sandbox):
    good = rfc_basic(sandbox.client_id, sandbox.client_secret)
    missing = token_post(sandbox, good, data={})
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    assert "grant_type" in missing.json()["error_description"]
    other = token_post(sandbox, good, data={"grant_type": "password"})
    assert other.status_code == 400 and other.json()["error"] == "unsupported_grant_type"
    twice = token_post(sandbox, good, data="grant_type=client_credentials&grant_type=client_credentials")
    assert twice.status_code == 400 and twice.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer abc", "Basic !!!not-base64!!!", "Basic " + base64.b64encode("id:zły".encode("cp1250")).decode()],
    ids=["none", "other-scheme", "not-base64", "not-utf8"],
)
def test_unreadable_client_authentication_is_401_invalid_client(sandbox, authorization, capfd):
    answer = token_post(sandbox, authorization)
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert answer.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert answer.headers["Cache-Control"] == "no-store"
    assert "Traceback" not in capfd.readouterr().err


def test_a_wrong_secret_is_401_invalid_client_without_the_raw_hint(sandbox):
    answer = token_post(sandbox, rfc_basic(sandbox.client_id, "not-" + sandbox.client_secret))
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"
    assert answer.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert "form-encode" not in answer.json()["error_description"]


def test_a_pair_that_matches_only_unencoded_is_explained(make_sandbox):
    sandbox = make_sandbox(client_id="app+1", client_secret="p+ss%2Bword")
    answer = token_post(sandbox, raw_basic(sandbox.client_id, sandbox.client_secret))
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"
    description = answer.json()["error_description"]
    assert "RFC 6749 §2.3.1" in description and "MMSNB_CREDENTIAL_ENCODING=form" in description
    assert token_post(sandbox, rfc_basic(sandbox.client_id, sandbox.client_secret)).status_code == 200


def test_api_401_names_the_bearer_scheme(sandbox):
    """RFC 6750 §3."""
    answer = requests.get(
        sandbox.url + "/Messaging/v1/MMSOnnet/limit",
        headers={"Authorization": "Bearer not-a-token"},
        verify=sandbox.ca_path,
        timeout=5,
    )
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith('Bearer realm="MMSOnnet", error="invalid_token"')


# -- the client's settings -----------------------------------------------------------------


def test_a_bad_credential_encoding_is_a_config_error_naming_the_setting(sandbox, monkeypatch):
    with pytest.raises(ConfigError, match="MMSNB_CREDENTIAL_ENCODING"):
        sandbox.client(credential_encoding="base64")
    monkeypatch.setenv("MMSNB_CREDENTIAL_ENCODING", "latin-1")
    with pytest.raises(ConfigError, match="MMSNB_CREDENTIAL_ENCODING"):
        sandbox.client()
    monkeypatch.setenv("MMSNB_CREDENTIAL_ENCODING", "RAW")
    assert sandbox.client(timeout=(2, 2)).limit().available == 100


def test_a_form_encoded_pair_refused_names_the_raw_setting(tmp_path):
    """A gateway that does not form-decode refuses what RFC 6749 §2.3.1 sends: the error says what to set,
    not MMSNB_TOKEN_URL."""
    server = Server(
        lambda handler, body: (401, {}, {"error": "invalid_client", "error_description": "Bad credentials."}),
        tls_dir=tmp_path,
    )
    try:
        client = mmsnb.Client("app", "pä+ss", base_url=server.url, verify=server.ca_path, timeout=(2, 2))
        with pytest.raises(AuthError) as caught:
            client._renew_token()
    finally:
        server.stop()
    text = str(caught.value)
    assert "MMSNB_CREDENTIAL_ENCODING=raw" in text and "Bad credentials." in text
    assert "MMSNB_TOKEN_URL" not in text and "pä+ss" not in text


# -- MMSNB_AUTHORIZATION -------------------------------------------------------------------

SECRET = "Portal+Secret:zażółć%41"


@pytest.fixture
def portal(make_sandbox, monkeypatch):
    """A sandbox whose credentials come as the developer portal's ready header, in MMSNB_AUTHORIZATION."""
    sandbox = make_sandbox(client_id="portal-app", client_secret=SECRET)
    for name in ("MMSNB_CLIENT_ID", "MMSNB_CLIENT_SECRET", "MMSNB_CREDENTIAL_ENCODING"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MMSNB_AUTHORIZATION", rfc_basic(sandbox.client_id, SECRET))
    return sandbox


def hidden(header: str) -> list[str]:
    """What must never show of a Basic header: the value, its Base64, the secret (encoded and not)."""
    encoded = base64.b64decode(header.split(" ", 1)[1]).decode().split(":", 1)[1]
    return [header, header.split(" ", 1)[1], encoded, unquote_plus(encoded)]


def test_mmsnb_authorization_is_sent_as_given_and_never_shown(portal, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "requests_oauthlib"):
        caplog.set_level(logging.DEBUG, logger=name)
    client = mmsnb.Client.from_env(base_url=portal.url, verify=portal.ca_path, timeout=(2, 2))
    assert client.limit().available == 100
    assert "port" in repr(client)  # the client id, decoded from the header
    assert any(r.name.startswith("requests_oauthlib") for r in caplog.records), "the token fetch logs at DEBUG"
    header = rfc_basic("portal-app", SECRET)
    for secret in hidden(header):
        assert secret not in repr(client) and secret not in str(client)
        assert secret not in caplog.text
        for record in caplog.records:
            assert secret not in record.getMessage()


def test_a_refused_mmsnb_authorization_is_named_and_not_shown(portal, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = rfc_basic("portal-app", "Wrong+Secret:łąka")
    monkeypatch.setenv("MMSNB_AUTHORIZATION", wrong)
    client = mmsnb.Client.from_env(base_url=portal.url, verify=portal.ca_path, timeout=(2, 2))
    with pytest.raises(AuthError) as caught:
        client.limit()
    error = caught.value
    texts = [str(error), repr(error), *map(str, error.args), str(error.gateway_message), caplog.text]
    assert "MMSNB_AUTHORIZATION" in str(error)
    for text in texts:
        for secret in [*hidden(wrong), *hidden(rfc_basic("portal-app", SECRET))]:
            assert secret not in text


@pytest.mark.parametrize("value", ["Bearer abc", "Basic not base64!", "Basic zażółć"])
def test_a_malformed_mmsnb_authorization_is_a_config_error(portal, monkeypatch, value):
    monkeypatch.setenv("MMSNB_AUTHORIZATION", value)
    with pytest.raises(ConfigError, match="MMSNB_AUTHORIZATION") as caught:
        mmsnb.Client.from_env(base_url=portal.url, verify=portal.ca_path)
    assert value not in str(caught.value)


def test_authorization_and_an_id_and_secret_together_are_refused(portal, monkeypatch):
    with pytest.raises(ConfigError, match="not both"):
        mmsnb.Client("id", "Sekret-9f2c4e", authorization=rfc_basic("id", "Sekret-9f2c4e"), base_url=portal.url)
    monkeypatch.setenv("MMSNB_CLIENT_ID", "portal-app")
    with pytest.raises(ConfigError, match="MMSNB_AUTHORIZATION"):
        mmsnb.Client.from_env(base_url=portal.url)
    # Given explicitly, an id and secret win over MMSNB_AUTHORIZATION in the environment.
    client = mmsnb.Client("portal-app", SECRET, base_url=portal.url, verify=portal.ca_path, timeout=(2, 2))
    assert client.limit().available == 100


# -- an independent server: oauthlib's ---------------------------------------------------


class _Validator(RequestValidator):
    """Authenticates the client from the Basic header as RFC 6749 §2.3.1 says: Base64, UTF-8, split at the
    first ':', then each of id and secret application/x-www-form-urlencoded (oauthlib's ``urldecode``, which
    also refuses characters a form-encoded value cannot hold)."""

    def __init__(self, clients: dict[str, str]) -> None:
        self.clients = clients
        self.issued: list[str] = []

    def authenticate_client(self, request, *args, **kwargs) -> bool:
        scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            text = base64.b64decode(value, validate=True).decode("utf-8")
            encoded_id, colon, encoded_secret = text.partition(":")
            client_id = dict(urldecode("v=" + encoded_id))["v"]
            secret = dict(urldecode("v=" + encoded_secret))["v"]
        except (ValueError, UnicodeDecodeError):
            return False
        if not colon or self.clients.get(client_id) != secret:
            return False
        request.client = SimpleNamespace(client_id=client_id)
        return True

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs) -> bool:
        return grant_type == "client_credentials"

    def get_default_scopes(self, client_id, request, *args, **kwargs) -> list[str]:
        return []

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs) -> bool:
        return True

    def save_bearer_token(self, token, request, *args, **kwargs) -> None:
        self.issued.append(token["access_token"])


@pytest.fixture
def oauthlib_server(tmp_path):
    """oauthlib's client-credentials token endpoint over HTTPS on 127.0.0.1; ``.clients`` are its clients."""
    validator = _Validator({})
    endpoint = BackendApplicationServer(validator)

    def answer(handler, body):
        headers, text, status = endpoint.create_token_response(
            "https://127.0.0.1" + handler.path, "POST", body.decode("utf-8"), dict(handler.headers)
        )
        return status, headers, text.encode("utf-8")

    server = Server(answer, tls_dir=tmp_path)
    server.validator = validator
    yield server
    server.stop()


@pytest.mark.parametrize(("client_id", "secret"), AWKWARD, ids=IDS)
def test_an_independent_oauth_server_issues_a_token_for_any_id_and_secret(oauthlib_server, client_id, secret):
    oauthlib_server.validator.clients[client_id] = secret
    client = mmsnb.Client(
        client_id,
        secret,
        base_url=oauthlib_server.url,
        token_url=oauthlib_server.url + "/oauth/v2/token",
        verify=oauthlib_server.ca_path,
        timeout=(2, 2),
    )
    client._renew_token()
    assert len(oauthlib_server.validator.issued) == 1
    method, path, headers, body = oauthlib_server.hits[-1]
    assert (method, path, body) == ("POST", "/oauth/v2/token", b"grant_type=client_credentials")
    assert headers["Authorization"] == rfc_basic(client_id, secret)


def test_the_independent_server_refuses_raw_credentials_and_the_error_says_what_to_set(oauthlib_server):
    client_id, secret = "plus+id", "s3cr+t łąka"
    oauthlib_server.validator.clients[client_id] = secret
    client = mmsnb.Client(
        client_id,
        secret,
        credential_encoding="raw",
        base_url=oauthlib_server.url,
        verify=oauthlib_server.ca_path,
        timeout=(2, 2),
    )
    with pytest.raises(AuthError) as caught:
        client._renew_token()
    assert "invalid_client" in str(caught.value)
    assert "MMSNB_CREDENTIAL_ENCODING=form" in str(caught.value)
    assert oauthlib_server.validator.issued == []
