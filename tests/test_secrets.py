"""The client secret and the access token never show: not in reprs, errors, logs or pickles."""

from __future__ import annotations

import base64
import logging
import pickle
import re
import traceback
from urllib.parse import quote, quote_plus, unquote_plus

import pandas as pd
import pytest
from helpers import TOKEN, Server, token_or

import mmsnb
from mmsnb.endpoints import SEND_PATH
from mmsnb.errors import AuthError, MMSError, RedirectError, ServerError


def leaks(sandbox: mmsnb.Sandbox) -> list[str]:
    """Every value that must not be shown: the secret, its Basic-auth form, every token issued."""
    basic = base64.b64encode(f"{sandbox.client_id}:{sandbox.client_secret}".encode()).decode()
    return [sandbox.client_secret, basic, *sandbox.gateway._tokens]


def test_repr_and_str_hide_the_secret_and_the_token(sandbox, client):
    client.limit()
    assert sandbox.gateway._tokens, "a token should have been issued"
    for shown in (repr(client), str(client)):
        assert sandbox.client_id[:4] in shown
        for secret in leaks(sandbox):
            assert secret not in shown


def test_an_auth_error_on_bad_credentials_does_not_show_the_secret(sandbox):
    wrong_secret = "wrong-" + sandbox.client_secret
    client = mmsnb.Client(sandbox.client_id, wrong_secret, base_url=sandbox.url, verify=sandbox.ca_path, timeout=(2, 2))
    with pytest.raises(AuthError) as caught:
        client.limit()
    error = caught.value
    texts = [str(error), repr(error), *map(str, error.args), str(error.gateway_message)]
    for text in texts:
        assert wrong_secret not in text
        assert sandbox.client_secret not in text


def test_errors_after_a_token_do_not_show_it(make_sandbox):
    sandbox = make_sandbox(quota=0)
    client = sandbox.client(timeout=(2, 2))
    with pytest.raises(MMSError) as caught:
        client.send_mms("501102030", subject="Hej")
    assert caught.value.http_status == 403
    for secret in leaks(sandbox):
        assert secret not in str(caught.value) and secret not in repr(caught.value)


def test_debug_logs_hide_the_secret_and_the_token(sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    client = sandbox.client(timeout=(2, 2))
    result = client.send_mms("501102030", subject="Test", attachments=[("a.txt", b"hello")])
    client.delivery_status(result.message_id)
    client.limit()

    loggers = {record.name for record in caplog.records}
    assert "requests_oauthlib.oauth2_session" in loggers, f"the token fetch should log at DEBUG; got {loggers}"
    assert any("'access_token': '***'" in record.getMessage() for record in caplog.records), "the token, masked"
    secrets = leaks(sandbox)
    assert len(secrets) == 3
    for secret in secrets:
        assert secret not in caplog.text
        for record in caplog.records:
            assert secret not in record.getMessage()


def test_a_client_cannot_be_pickled(client):
    with pytest.raises(MMSError, match="cannot be pickled"):
        pickle.dumps(client)


# -- a hostile gateway that echoes what it got ---------------------------------------------------

#: A secret with every character that percent- and form-encoding change.
HOSTILE_ID, HOSTILE_SECRET = "app id", "s3cr3t+pass/word=?&x y"


def sent_forms(client_id: str, secret: str) -> list[str]:
    """Every form of the secret the client may send (written here independently of mmsnb): as it is, percent- and
    form-encoded (hex digits in upper, lower or mixed case), in the id:secret pair (as it is and RFC 6749
    §2.3.1's), and that pair in Base64."""
    pairs = [f"{client_id}:{secret}", f"{quote_plus(client_id)}:{quote_plus(secret)}"]
    forms = [secret, quote(secret), quote(secret, safe=""), quote_plus(secret), *pairs]
    forms += [quote(p, safe="") for p in pairs] + [quote_plus(p) for p in pairs]
    forms += [re.sub("%[0-9A-F]{2}", lambda m: m[0].lower(), f) for f in forms if "%" in f]  # %2b as well as %2B
    forms += [re.sub("%[0-9A-F]([0-9A-F])", lambda m: m[0][:2] + m[1].lower(), f) for f in forms if "%" in f]
    return forms + [base64.b64encode(p.encode()).decode() for p in pairs]


def echo_of(handler) -> list[str]:
    """What a careless gateway echoes of the request: the Authorization header, and the id and secret it holds
    decoded and written back in every form."""
    header = handler.headers.get("Authorization", "")
    client_id, _, secret = base64.b64decode(header.partition(" ")[2]).decode().partition(":")
    return [header, *sent_forms(unquote_plus(client_id), unquote_plus(secret))]


def in_url(forms: list[str]) -> list[str]:
    """The forms a URL can hold as they are."""
    return [form for form in forms if re.fullmatch(r"[!-~]+", form)]


REFUSALS = {
    "oauth 401": lambda forms: (401, {}, {"error": "invalid_client", "error_description": " | ".join(forms)}),
    "json 400": lambda forms: (400, {}, {"message": "You sent " + " | ".join(forms)}),
    "html 502": lambda forms: (502, {"Content-Type": "text/html"}, f"<h1>Bad</h1><p>{' | '.join(forms)}</p>".encode()),
    "redirect": lambda forms: (302, {"Location": "https://127.0.0.1:1/login?" + "&".join(in_url(forms))}, {}),
}


def everything_shown(error: BaseException) -> list[str]:
    """An error as a person or a debugger sees it: text, repr, traceback, attributes, its context chain."""
    shown = [str(error), repr(error), "".join(traceback.format_exception(error))]
    shown += [repr(value) for value in vars(error).values()] + [repr(a) for a in error.args]
    if error.__context__ is not None:
        shown += everything_shown(error.__context__)
    return shown


@pytest.mark.parametrize("refusal", list(REFUSALS))
def test_a_token_endpoint_echoing_the_credentials_shows_them_in_no_encoding(tmp_path, caplog, refusal):
    """The first token is issued; every renewal (after a 401 from the API) is refused with an echo of the
    credentials, so the refusal reaches an exception, the log, a campaign's results and its ledger."""
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "requests_oauthlib"):
        caplog.set_level(logging.DEBUG, logger=name)
    echoed: list[str] = []

    def answer(handler, body):
        if handler.path.endswith("/limit"):
            return 200, {}, {"used": "0", "available": "100", "date": "Tue Jan 22 2026"}
        if not handler.path.startswith("/oauth/v2/token"):
            return 401, {}, {"code": 41, "message": "Invalid token"}
        if not echoed:
            echoed.append("")
            return 200, {}, {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600}
        forms = echo_of(handler)
        echoed.append(" ".join(in_url(forms) if refusal == "redirect" else forms))
        return REFUSALS[refusal](forms)

    server = Server(answer, tls_dir=tmp_path)
    ledger = tmp_path / "l.sqlite"
    client = mmsnb.Client(HOSTILE_ID, HOSTILE_SECRET, base_url=server.url, verify=server.ca_path, timeout=(2, 5))
    try:
        assert client.limit().available == 100
        with pytest.raises(MMSError) as caught:
            client.send_mms("501102030", subject="Hej")
        results = mmsnb.send(
            client, pd.DataFrame({"msisdn": ["501102031"]}), subject="Hej", ledger=ledger, progress=False
        )
    finally:
        client.close()
        server.stop()
    forms = sent_forms(HOSTILE_ID, HOSTILE_SECRET)
    assert len(echoed) == 3
    for form in in_url(forms) if refusal == "redirect" else forms:
        assert all(form in echo for echo in echoed[1:]), f"the gateway echoes {form!r}"
    assert results.send_state.astype(str).tolist() == ["rejected"]
    shown = [*everything_shown(caught.value), caplog.text, results.to_csv(), repr(results), *results.error]
    shown += [record.getMessage() for record in caplog.records]
    ledger_bytes = b"".join(p.read_bytes() for p in tmp_path.glob("l.sqlite*"))
    assert b"token endpoint" in ledger_bytes  # the refusal is recorded, masked
    for form in forms:
        for text in shown:
            assert form not in text
        assert form.encode() not in ledger_bytes
    assert "***" in str(caught.value)


def test_a_redirect_echoing_the_token_keeps_it_out_of_the_location(tmp_path):
    def bounce(handler, body):
        token = handler.headers["Authorization"].partition(" ")[2]
        return 307, {"Location": f"https://127.0.0.1:1/next/{token}?again={quote(token)}"}, {}

    gateway = Server(token_or(bounce), tls_dir=tmp_path)
    ledger = tmp_path / "l.sqlite"
    client = mmsnb.Client("id", "secret-value", base_url=gateway.url, verify=gateway.ca_path, timeout=(2, 5))
    try:
        with pytest.raises(RedirectError) as caught:
            client.send_mms("501102030", subject="Hej")
        results = mmsnb.send(
            client, pd.DataFrame({"msisdn": ["501102031"]}), subject="Hej", ledger=ledger, progress=False
        )
    finally:
        client.close()
        gateway.stop()
    assert caught.value.location == "https://127.0.0.1:1/next/***?again=***"
    assert results.send_state.astype(str).tolist() == ["rejected"] and "never followed" in results.error.iloc[0]
    ledger_bytes = b"".join(p.read_bytes() for p in tmp_path.glob("l.sqlite*"))
    assert TOKEN.encode() not in ledger_bytes
    for text in [*everything_shown(caught.value), results.to_csv(), repr(results)]:
        assert TOKEN not in text


BAD_IDS = {
    "the token": lambda: TOKEN,
    "holding the token": lambda: f"msg_{TOKEN}_1",
    "50 MB": lambda: "7" * 50_000_000,
    "markup": lambda: "<b>id</b>",
    "a list": lambda: ["a", "b"],
}


@pytest.mark.parametrize("kind", list(BAD_IDS))
def test_an_implausible_message_id_is_not_kept_and_the_row_is_unknown(tmp_path, kind):
    """A 2xx answer with no plausible id: the gateway probably took the message, so the row is unknown (never sent
    again blindly) and the id is not stored anywhere."""
    bad = BAD_IDS[kind]()
    gateway = Server(token_or(lambda handler, body: (200, {}, {"authenticationId": bad})), tls_dir=tmp_path)
    ledger = tmp_path / "l.sqlite"
    client = mmsnb.Client("id", "secret-value", base_url=gateway.url, verify=gateway.ca_path, timeout=(2, 30))
    frame = pd.DataFrame({"msisdn": ["501102031"]})
    try:
        with pytest.raises(ServerError, match="its authenticationId is not a message id") as caught:
            client.send_mms("501102030", subject="Hej")
        results = mmsnb.send(client, frame, subject="Hej", ledger=ledger, progress=False)
        again = mmsnb.send(client, frame, subject="Hej", ledger=ledger, progress=False)
    finally:
        client.close()
        gateway.stop()
    sends = [hit for hit in gateway.hits if hit[1].endswith(SEND_PATH)]
    assert len(sends) == 2  # one by send_mms, one by the campaign; the second run sent nothing
    assert results.send_state.astype(str).tolist() == ["unknown"]
    assert again.send_state.astype(str).tolist() == ["unknown"]
    assert results.message_id.isna().all() and "not a message id" in results.error.iloc[0]
    history = mmsnb.history(ledger=ledger).sends
    assert history.state.astype(str).tolist() == ["unknown"] and history.message_id.isna().all()
    ledger_bytes = b"".join(p.read_bytes() for p in tmp_path.glob("l.sqlite*"))
    assert len(ledger_bytes) < 2_000_000 and TOKEN.encode() not in ledger_bytes
    shown = [*everything_shown(caught.value), results.to_csv(), again.to_csv()]
    assert all(TOKEN not in text and "7" * 200 not in text and "<b>" not in text for text in shown)
