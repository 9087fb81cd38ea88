"""Shared fixtures: a fresh HTTPS sandbox per test, and a client that trusts it."""

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
