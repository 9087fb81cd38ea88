"""The sandbox against its own OpenAPI document: no 5xx, every answer as documented (schemathesis)."""

from __future__ import annotations

import base64

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import openapi

import mmsnb

pytestmark = pytest.mark.slow  # schemathesis walks the whole OpenAPI document


@pytest.fixture(scope="module")
def contract_sandbox():
    with mmsnb.Sandbox(seed=3, quota=1_000_000, time_scale=6000) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def contract_session(contract_sandbox):
    session = requests.Session()
    yield session
    session.close()


@pytest.fixture(scope="module")
def api(contract_sandbox, contract_session):
    return openapi.from_dict(
        contract_session.get(
            contract_sandbox.url + "/doc/api/Messaging/v1/MMSOnnet/doc.json", verify=contract_sandbox.ca_path
        ).json()
    )


schema = schemathesis.pytest.from_fixture("api")


@schema.parametrize()
# deadline=None: each example is a real HTTPS round trip, whose time on a loaded 2-core CI machine says nothing
# about the contract. The health checks are off because schemathesis' strategies are large and filtered by
# design (too_slow, filter_too_much, data_too_large), and the function-scoped fixtures are module-scoped
# stand-ins on purpose (one sandbox for every example).
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_sandbox_keeps_its_contract(case, contract_sandbox, contract_session):
    if case.path == "/oauth/v2/token":
        pair = f"{contract_sandbox.client_id}:{contract_sandbox.client_secret}".encode()
        headers = {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    else:
        headers = {"Authorization": "Bearer " + _token(contract_sandbox, contract_session)}
    response = case.call_and_validate(
        base_url=contract_sandbox.url, session=contract_session, headers=headers, verify=contract_sandbox.ca_path
    )
    assert response.status_code < 500


_TOKENS: dict[str, str] = {}


def _token(sandbox, session) -> str:
    if sandbox.url not in _TOKENS:
        answer = session.post(
            sandbox.token_url,
            data={"grant_type": "client_credentials"},
            auth=(sandbox.client_id, sandbox.client_secret),
            verify=sandbox.ca_path,
        )
        _TOKENS[sandbox.url] = answer.json()["access_token"]
    return _TOKENS[sandbox.url]
