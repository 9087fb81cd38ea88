"""The client against the sandbox: real HTTPS on 127.0.0.1, nothing mocked."""

from __future__ import annotations

import base64
import json
import socket
import time
from datetime import date

import pytest
import requests
import trustme
from helpers import VirtualClock, token_of
from openapi_spec_validator import validate

import mmsnb
from mmsnb.config import VARIABLES
from mmsnb.endpoints import DOC_PATH, LIMIT_PATH, SEND_PATH, STATUS_PATH, TOKEN_PATH
from mmsnb.errors import (
    AuthError,
    BadRequestError,
    ConfigError,
    NotFoundError,
    QuotaError,
    ServerError,
    TransportError,
)
from mmsnb.gateway_answers import parse_limit, parse_status

ORANGE = "501102030"
ORANGE_ADDRESS = "tel:+48501102030"
PLAY = "790000000"
POLISH = "Zażółć gęślą jaźń — Cześć Łucjo!"
FINAL_OUTCOMES = {"Retrieved", "Rejected", "Expired", "Indeterminate"}


# -- helpers -------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_final(client: mmsnb.Client, message_id: str) -> mmsnb.DeliveryStatus:
    for _ in range(200):
        status = client.delivery_status(message_id)
        if status.final:
            return status
        time.sleep(0.05)
    pytest.fail(f"message {message_id} never reached a final status; last: {status}")


def per_address(status: mmsnb.DeliveryStatus) -> dict[str, str]:
    return {a.address: a.status for a in status.addresses}


@pytest.fixture
def no_settings(monkeypatch, tmp_path):
    """No MMSNB_* variables and a working directory without a .env file."""
    for variable in VARIABLES.values():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- tokens --------------------------------------------------------------------------------


def test_token_is_fetched_lazily_and_reused(sandbox, client):
    assert sandbox.gateway.counts["token"] == 0
    sent = client.send_mms(ORANGE, subject="Test")
    client.delivery_status(sent.message_id)
    client.limit()
    assert sandbox.gateway.counts == {"token": 1, "send": 1, "status": 1, "limit": 1}


def test_a_short_lived_token_is_renewed(make_sandbox):
    sandbox = make_sandbox(token_lifetime=2)
    clock = VirtualClock()
    client = clock.on(sandbox.client(timeout=(2, 2)))
    client.limit()
    clock.advance(1.0)
    client.limit()
    assert sandbox.gateway.counts["token"] == 1  # still fresh
    clock.advance(1.5)  # past the lifetime by the client's clock: renewed before the gateway would refuse it
    client.limit()
    assert sandbox.gateway.counts["token"] == 2
    assert sandbox.gateway.counts["limit"] == 3


def test_a_401_renews_the_token_and_repeats_the_send_once(sandbox, client):
    client.limit()
    sandbox.gateway.revoke_tokens()
    result = client.send_mms(ORANGE, subject="after revoke")
    assert sandbox.gateway.counts["token"] == 2
    assert [r.message_id for r in sandbox.received] == [result.message_id]


def test_a_persistent_401_is_an_auth_error(sandbox, client):
    sandbox.fail_next("revoke_token", endpoint="limit", times=2)
    with pytest.raises(AuthError) as caught:
        client.limit()
    assert (caught.value.http_status, caught.value.code) == (401, 41)
    assert "MMSNB_CLIENT_ID" in str(caught.value)
    assert sandbox.gateway.counts["token"] == 2


@pytest.mark.parametrize("wrong", ["client_id", "client_secret"])
def test_bad_credentials_are_an_auth_error_naming_the_variables(sandbox, wrong):
    credentials = {"client_id": sandbox.client_id, "client_secret": sandbox.client_secret, wrong: "not-the-right-one"}
    client = mmsnb.Client(**credentials, base_url=sandbox.url, verify=sandbox.ca_path, timeout=(2, 2))
    with pytest.raises(AuthError) as caught:
        client.limit()
    assert caught.value.http_status == 401
    assert "MMSNB_CLIENT_ID" in str(caught.value)
    assert sandbox.gateway.counts == {"token": 1, "send": 0, "status": 0, "limit": 0}


def test_a_wrong_token_url_is_named_rather_than_the_credentials(sandbox):
    client = mmsnb.Client(
        sandbox.client_id,
        sandbox.client_secret,
        base_url=sandbox.url,
        token_url=sandbox.url + "/oauth/v9/token",
        verify=sandbox.ca_path,
    )
    with pytest.raises(AuthError) as caught:
        client.limit()
    assert caught.value.http_status == 404
    assert "MMSNB_TOKEN_URL" in str(caught.value)
    assert "MMSNB_CLIENT_SECRET" not in str(caught.value)


# -- error answers -------------------------------------------------------------------------


def test_quota_exceeded_is_a_quota_error(make_sandbox):
    sandbox = make_sandbox(quota=1)
    client = sandbox.client(timeout=(2, 2))
    client.send_mms(ORANGE, subject="first")
    with pytest.raises(QuotaError) as caught:
        client.send_mms(ORANGE, subject="second")
    assert (caught.value.http_status, caught.value.code) == (403, 53)
    assert caught.value.gateway_message == "Too many requests"
    assert [r.subject for r in sandbox.received] == ["first"]
    assert (client.limit().used, client.limit().available) == (1, 0)


@pytest.mark.parametrize("how", ["attachment over the size limit", "subject not a string"])
def test_a_refused_body_is_a_bad_request_error(sandbox, jpeg, how):
    client = sandbox.client(timeout=(2, 2))
    with pytest.raises(BadRequestError) as caught:
        if how == "subject not a string":
            body = json.dumps({"addresses": [ORANGE_ADDRESS], "subject": 5}).encode()
            client._request("POST", SEND_PATH, data=body, headers={"Content-Type": "application/json"}, sending=True)
        else:
            client.send_mms(
                ORANGE,
                attachments=[("big.jpg", jpeg + b"\0" * (300 * 1024))],
                max_message_bytes=10 * 1024 * 1024,
                keep_metadata=True,  # as it is: what follows the picture would be left out otherwise
            )
    assert (caught.value.http_status, caught.value.code, caught.value.gateway_message) == (400, 21, "Bad request")
    assert "HTTP 400" in str(caught.value)
    assert sandbox.received == []


def test_a_subject_that_is_not_a_string_is_refused_with_a_json_error(sandbox):
    resp = requests.post(
        sandbox.url + SEND_PATH,
        json={"addresses": [ORANGE_ADDRESS], "subject": ["not", "text"]},
        headers={"Authorization": "Bearer " + token_of(sandbox)},
        verify=sandbox.ca_path,
        timeout=5,
    )
    assert resp.status_code == 400
    assert resp.json() == {"code": 21, "message": "Bad request", "description": "subject must be a string."}


def test_an_html_502_is_a_server_error_with_a_readable_sentence(sandbox, client):
    sandbox.fail_next("html_error")
    with pytest.raises(ServerError) as caught:
        client.send_mms(ORANGE, subject="x")
    error = caught.value
    assert error.http_status == 502
    assert "502 Bad Gateway" in str(error)
    for noise in ("<", "JSONDecodeError", "Expecting value", "Traceback"):
        assert noise not in str(error)
    assert error.__cause__ is None and error.__context__ is None
    assert sandbox.received == []


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nothing/here", 404),
        ("POST", "/Messaging/v1/MMSOffnet", 404),
        ("GET", SEND_PATH, 405),
        ("POST", STATUS_PATH, 405),
        ("DELETE", LIMIT_PATH, 405),
        ("GET", TOKEN_PATH, 405),
    ],
)
def test_unknown_paths_and_wrong_methods_answer_json_errors(sandbox, method, path, status):
    resp = requests.request(method, sandbox.url + path, verify=sandbox.ca_path, timeout=5)
    assert resp.status_code == status
    assert resp.headers["Content-Type"].startswith("application/json")
    body = resp.json()
    assert body["code"] == status and isinstance(body["message"], str)


@pytest.mark.parametrize(("method", "path", "status"), [("GET", "/nothing/here", 404), ("GET", SEND_PATH, 405)])
def test_the_client_reports_404_and_405_as_not_found(client, method, path, status):
    with pytest.raises(NotFoundError) as caught:
        client._request(method, path)
    assert caught.value.http_status == status


# -- transport -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "endpoint", "maybe_sent"),
    [("slow", "send", True), ("drop_after", "send", True), ("slow", "limit", False)],
)
def test_no_answer_is_a_transport_error_that_says_if_the_send_may_have_gone(make_sandbox, fault, endpoint, maybe_sent):
    sandbox = make_sandbox(faults=mmsnb.Faults(slow_seconds=1.5))
    client = sandbox.client(timeout=(2, 0.5))
    sandbox.fail_next(fault, endpoint=endpoint)
    with pytest.raises(TransportError) as caught:
        client.send_mms(ORANGE, subject="x") if endpoint == "send" else client.limit()
    assert caught.value.maybe_sent is maybe_sent
    assert ("not repeated" in str(caught.value)) is maybe_sent
    assert len(sandbox.received) == (1 if endpoint == "send" else 0)


@pytest.mark.parametrize("closed", ["token endpoint", "gateway"])
def test_a_refused_connection_is_a_transport_error_that_sent_nothing(sandbox, closed):
    nowhere = f"https://127.0.0.1:{closed_port()}"
    token_url = nowhere + TOKEN_PATH if closed == "token endpoint" else sandbox.token_url
    client = mmsnb.Client(
        sandbox.client_id,
        sandbox.client_secret,
        base_url=nowhere,
        token_url=token_url,
        verify=sandbox.ca_path,
        timeout=(2, 2),
    )
    with pytest.raises(TransportError) as caught:
        client.send_mms(ORANGE, subject="x")
    assert caught.value.maybe_sent is False
    assert "nothing was sent" in str(caught.value)


# -- the wire, end to end -------------------------------------------------------------------

CARD_BOUNDARY = b"92977ae4d2ba21425a59"


def card_request(jpeg: bytes, attachment_headers: bytes = b"") -> bytes:
    """The card's example request, byte for byte (with a real number and a real JPEG)."""
    message = (
        b"{\r\n"
        b'"addresses": ["tel:+48501102030"],\r\n'
        b'"priority": "Normal",\r\n'
        b'"senderAddress": "SenderName",\r\n'
        b'"subject": "Ronaldo",\r\n'
        b'"deliveryReport": true\r\n'
        b"}"
    )
    return (
        b"--" + CARD_BOUNDARY + b"\r\n"
        b"Content-Type: application/json; name=messagePart\r\n"
        b"Content-Transfer-Encoding: binary\r\n"
        b'Content-Disposition: form-data; name="messagePart"; filename="messagePart"\r\n'
        b"\r\n" + message + b"\r\n"
        b"--" + CARD_BOUNDARY + b"\r\n" + attachment_headers + b"Content-Transfer-Encoding: base64\r\n"
        b"\r\n" + base64.encodebytes(jpeg).replace(b"\n", b"\r\n") + b"--" + CARD_BOUNDARY + b"--\r\n"
    )


@pytest.mark.parametrize(
    "attachment_headers",
    [b"", b'Content-Type: image/jpeg\r\nContent-Disposition: form-data; name="photo.jpg"; filename="photo.jpg"\r\n'],
    ids=["as-on-the-card", "with-part-headers"],
)
def test_the_cards_example_request_is_accepted(sandbox, jpeg, attachment_headers):
    resp = requests.post(
        sandbox.url + SEND_PATH,
        data=card_request(jpeg, attachment_headers),
        headers={
            "Authorization": "Bearer " + token_of(sandbox),
            "Content-Type": 'multipart/form-data; boundary="' + CARD_BOUNDARY.decode() + '"',
        },
        verify=sandbox.ca_path,
        timeout=5,
    )
    assert resp.status_code == 200, resp.text
    message_id = resp.json()["authenticationId"]
    (received,) = sandbox.received
    assert received.message_id == message_id
    assert (received.addresses, received.priority, received.sender, received.subject, received.delivery_report) == (
        (ORANGE_ADDRESS,),
        "Normal",
        "SenderName",
        "Ronaldo",
        True,
    )
    assert [f.data for f in received.attachments] == [jpeg]
    if attachment_headers:
        assert (received.attachments[0].filename, received.attachments[0].content_type) == ("photo.jpg", "image/jpeg")


@pytest.mark.parametrize("with_attachment", [False, True], ids=["json", "multipart"])
def test_polish_letters_arrive_intact(sandbox, client, jpeg, with_attachment):
    attachments = [("zdjęcie.jpg", jpeg)] if with_attachment else []
    result = client.send_mms([ORANGE], subject=POLISH, sender="Sklep Żabka", priority="High", attachments=attachments)
    (received,) = sandbox.received
    assert (received.message_id, received.subject, received.sender, received.priority) == (
        result.message_id,
        POLISH,
        "Sklep Żabka",
        "High",
    )
    assert received.content_type == ("multipart/form-data" if with_attachment else "application/json")
    assert [(f.filename, f.content_type, f.data) for f in received.attachments] == (
        [("zdjęcie.jpg", "image/jpeg", jpeg)] if with_attachment else []
    )


@pytest.mark.parametrize("address", [501102030, 501102030.0, "tel%3A%2B48501102030"], ids=repr)
def test_a_single_number_in_any_form_is_sent_as_one_address(sandbox, client, address):
    result = client.send_mms(address, subject="Hej")
    assert result.addresses == (ORANGE_ADDRESS,)
    assert sandbox.received[0].addresses == (ORANGE_ADDRESS,)


# -- statuses ------------------------------------------------------------------------------


def test_a_non_orange_number_fails_alone_while_the_orange_one_goes_on(make_sandbox):
    sandbox = make_sandbox(outcomes={"Retrieved": 1.0})
    client = sandbox.client(timeout=(2, 2))
    result = client.send_mms([ORANGE, PLAY], subject="x")
    assert result.addresses == (ORANGE_ADDRESS, "tel:+48" + PLAY)
    status = wait_until_final(client, result.message_id)
    assert status.status == "Partial success"
    assert status.category == "partial"
    assert per_address(status) == {ORANGE_ADDRESS: "Retrieved", "tel:+48" + PLAY: "Address Not Found"}
    assert {a.address: a.category for a in status.addresses} == {
        ORANGE_ADDRESS: "delivered",
        "tel:+48" + PLAY: "failed",
    }


def test_an_unknown_message_id_is_not_found(client):
    status = client.delivery_status("no-such-id")
    assert (status.message_id, status.status, status.category, status.final, status.addresses) == (
        "no-such-id",
        "Message ID Not found",
        "unknown",
        False,
        (),
    )


def test_a_status_starts_as_success_and_pending(make_sandbox):
    sandbox = make_sandbox(time_scale=1)
    client = sandbox.client(timeout=(2, 2))
    status = client.delivery_status(client.send_mms(ORANGE, subject="Hej").message_id)
    assert (status.status, status.category, status.final) == ("Success", "pending", False)


def test_every_address_reaches_a_final_status(sandbox, client):
    numbers = [f"5011020{i:02d}" for i in range(12)]
    result = client.send_mms(numbers, subject="lifecycle")
    status = wait_until_final(client, result.message_id)
    assert len(status.addresses) == len(numbers)
    assert set(per_address(status).values()) <= FINAL_OUTCOMES
    assert all(a.final for a in status.addresses)
    assert len(sandbox.received) == 1  # one request, however many addresses


def test_without_a_delivery_report_success_is_final_and_stays(client):
    result = client.send_mms(ORANGE, subject="Hej", delivery_report=False)
    time.sleep(0.3)  # longer than any simulated delivery at time_scale 6000
    status = client.delivery_status(result.message_id, delivery_report=False)
    assert (status.status, status.category, status.final) == ("Success", "pending", True)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            {"result": "OK", "address": ORANGE_ADDRESS, "deliveryStatus": "Retrieved"},
            ("Retrieved", "delivered", True, {ORANGE_ADDRESS: "Retrieved"}),
        ),
        (
            {"result": "OK", "address": ORANGE_ADDRESS, "deliveryStatus": "DeliveredToTerminal"},
            ("DeliveredToTerminal", "unknown", False, {ORANGE_ADDRESS: "DeliveredToTerminal"}),
        ),
        ({"status": "Expired"}, ("Expired", "failed", True, {})),
        ({"status": "Something new"}, ("Something new", "unknown", False, {})),
    ],
    ids=["sms-flat", "sms-flat-unknown", "mms", "mms-unknown"],
)
def test_status_answers_in_both_shapes_are_understood(answer, expected):
    status = parse_status(answer, "id-1")
    assert (status.status, status.category, status.final, per_address(status)) == expected


# -- quota ---------------------------------------------------------------------------------


def test_limit_counts_requests_not_recipients(sandbox, client):
    client.send_mms([ORANGE, "510000000", PLAY], subject="Hej")
    limit = client.limit()
    assert (limit.used, limit.available) == (1, 99)
    assert isinstance(limit.resets_on, date) and limit.resets_on >= date.today()


@pytest.mark.parametrize(
    "answer",
    [
        {"used": "1", "available": "99", "date": "Tue Jan 22 2026"},
        {"SmartSMS -global counter": {"used": "1", "available": "99", "date": "Tue Jan 22 2026"}},
    ],
    ids=["flat", "nested"],
)
def test_limit_answers_in_both_shapes_are_understood(answer):
    assert parse_limit(answer) == mmsnb.Limit(used=1, available=99, resets_on=date(2026, 1, 22))


@pytest.mark.parametrize("answer", [{"used": "many"}, [], {"counter": {"available": "1"}}], ids=repr)
def test_a_quota_answer_not_understood_is_a_server_error(answer):
    with pytest.raises(ServerError, match="quota answer"):
        parse_limit(answer)


@pytest.mark.parametrize("count", ["-5", "+7", "\u0663", " 7", "1_000", "7.0", True, -5], ids=repr)
def test_a_quota_count_that_is_not_ascii_digits_is_not_understood(tmp_path, count):
    """The OpenAPI document says ``^[0-9]+$``: what Python's int() would also read (a sign, an Arabic-Indic
    digit, spaces, underscores) is refused, through a real client and server."""
    from helpers import Server

    def answer(handler, body):
        if handler.path.startswith("/oauth/v2/token"):
            return 200, {}, {"access_token": "token-0123456789", "token_type": "Bearer", "expires_in": 3600}
        return 200, {}, {"used": count, "available": "99", "date": "Tue Jan 22 2026"}

    server = Server(answer, tls_dir=tmp_path)
    client = mmsnb.Client("app", "a-secret-value", base_url=server.url, verify=server.ca_path, timeout=(2, 5))
    try:
        with pytest.raises(ServerError, match="The gateway's quota answer is not understood"):
            client.limit()
    finally:
        client.close()
        server.stop()


# -- settings ------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["base_url", "token_url"])
def test_a_plain_http_url_is_refused_before_any_connection(sandbox, which):
    urls = {"base_url": sandbox.url, "token_url": sandbox.token_url}
    urls[which] = urls[which].replace("https://", "http://")
    with pytest.raises(ConfigError, match="HTTPS"):
        mmsnb.Client(sandbox.client_id, sandbox.client_secret, verify=sandbox.ca_path, **urls)
    assert sandbox.gateway.counts == {"token": 0, "send": 0, "status": 0, "limit": 0}


@pytest.mark.parametrize(
    ("present", "missing"),
    [
        ({}, "MMSNB_CLIENT_ID"),
        ({"MMSNB_CLIENT_ID": "my-app"}, "MMSNB_CLIENT_SECRET"),
        ({"MMSNB_CLIENT_SECRET": "s3cret"}, "MMSNB_CLIENT_ID"),
    ],
)
def test_missing_credentials_are_a_config_error_naming_the_variable(no_settings, monkeypatch, present, missing):
    for name, value in present.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=missing):
        mmsnb.Client.from_env()


def test_settings_are_read_from_a_dotenv_file(no_settings, sandbox):
    (no_settings / ".env").write_text("".join(f"{k}={v}\n" for k, v in sandbox.env().items()), encoding="utf-8")
    client = mmsnb.Client.from_env(timeout=(2, 2))
    assert (client.base_url, client.token_url, client.verify) == (sandbox.url, sandbox.token_url, sandbox.ca_path)
    assert client.limit().available == 100


def test_the_environment_wins_over_the_dotenv_file(no_settings, monkeypatch, sandbox):
    (no_settings / ".env").write_text(
        "".join(f"{k}={v}\n" for k, v in {**sandbox.env(), "MMSNB_BASE_URL": "https://example.invalid"}.items()),
        encoding="utf-8",
    )
    monkeypatch.setenv("MMSNB_BASE_URL", sandbox.url)
    assert mmsnb.Client.from_env(timeout=(2, 2)).limit().available == 100


def test_verify_path_wins_over_a_wrong_requests_ca_bundle(no_settings, monkeypatch, sandbox):
    wrong = no_settings / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(wrong))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(wrong))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(wrong))
    assert sandbox.client(timeout=(2, 2)).limit().available == 100
    # Without verify=, requests takes the wrong bundle from the environment: the TLS check fails.
    trusting_env = mmsnb.Client(sandbox.client_id, sandbox.client_secret, base_url=sandbox.url, timeout=(2, 2))
    with pytest.raises(TransportError, match="MMSNB_CA_BUNDLE") as caught:
        trusting_env.limit()
    assert caught.value.maybe_sent is False


# -- the API description ---------------------------------------------------------------------


def test_the_openapi_document_is_served_and_valid(sandbox, client):
    resp = requests.get(sandbox.url + DOC_PATH, verify=sandbox.ca_path, timeout=5)
    assert resp.status_code == 200
    document = resp.json()
    validate(document)
    assert document["servers"] == [{"url": sandbox.url}]
    assert {TOKEN_PATH, SEND_PATH, STATUS_PATH, LIMIT_PATH, DOC_PATH} <= set(document["paths"])
    assert client.api_document() == document
