"""Shared fixtures: a fresh HTTPS sandbox per test, and a client that trusts it; a real PostgreSQL server
(started only when a test asks for it) and a fresh database per test."""

from __future__ import annotations

import pytest

import mmsnb

#: Sandbox settings every test starts from; ``time_scale`` makes every message final within ~0.1 s.
SANDBOX_DEFAULTS = {"quota": 100, "seed": 0, "time_scale": 6000}


@pytest.fixture
def make_sandbox():
    """``make_sandbox(**settings)`` starts a sandbox (defaults above); all are stopped at teardown."""
    made: list[mmsnb.Sandbox] = []

    def make(**settings) -> mmsnb.Sandbox:
        sandbox = mmsnb.Sandbox(**{**SANDBOX_DEFAULTS, **settings}).start()
        made.append(sandbox)
        return sandbox

    yield make
    for sandbox in made:
        sandbox.stop()


@pytest.fixture
def sandbox(make_sandbox) -> mmsnb.Sandbox:
    return make_sandbox()


@pytest.fixture
def client(sandbox):
    client = sandbox.client(timeout=(2, 2))
    yield client
    client.close()


@pytest.fixture(scope="session")
def jpeg() -> bytes:
    """A real, small JPEG (made with Pillow)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (48, 32), (255, 102, 0)).save(out, format="JPEG", quality=80)
    return out.getvalue()


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server (tests/postgres.py), started the first time a test asks for it;
    the test is skipped, with the reason, when no server can be started here."""
    from postgres import PostgresServer, PostgresUnavailable

    server = PostgresServer()
    try:
        server.start()
    except PostgresUnavailable as error:
        pytest.skip(f"no PostgreSQL server here: {error}")
    yield server
    server.stop()


@pytest.fixture
def pg_url(postgres_server, request):
    """The URL (with the password) of a fresh database named after the test; dropped afterwards."""
    import re
    import secrets

    name = f"t_{re.sub(r'[^a-z0-9]+', '_', request.node.name.lower())[:40]}_{secrets.token_hex(4)}"
    postgres_server.create_database(name)
    yield postgres_server.url(name)
    postgres_server.drop_database(name)
