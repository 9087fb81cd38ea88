"""The client secret and the access token never show: not in reprs, errors, logs or pickles."""

from __future__ import annotations

import base64
import logging
import pickle

import pytest

import mmsnb
from mmsnb.errors import AuthError, MMSError


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
    assert any("Bearer ***" in record.getMessage() for record in caplog.records), "the bearer header is logged, masked"
    secrets = leaks(sandbox)
    assert len(secrets) == 3
    for secret in secrets:
        assert secret not in caplog.text
        for record in caplog.records:
            assert secret not in record.getMessage()


def test_a_client_cannot_be_pickled(client):
    with pytest.raises(MMSError, match="cannot be pickled"):
        pickle.dumps(client)
