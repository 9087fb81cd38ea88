"""Settings from the environment and a ``.env`` file in the working directory or a folder above it.

>>> settings({"MMSNB_CLIENT_ID": "id", "MMSNB_CLIENT_SECRET": "s"})["base_url"]
'https://apigateway-prd.orange.pl'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TypedDict

from dotenv import dotenv_values, find_dotenv

from .endpoints import TOKEN_PATH

DEFAULT_BASE_URL = "https://apigateway-prd.orange.pl"
VARIABLES = {
    "client_id": "MMSNB_CLIENT_ID",
    "client_secret": "MMSNB_CLIENT_SECRET",
    "authorization": "MMSNB_AUTHORIZATION",
    "credential_encoding": "MMSNB_CREDENTIAL_ENCODING",
    "base_url": "MMSNB_BASE_URL",
    "token_url": "MMSNB_TOKEN_URL",
    "ca_bundle": "MMSNB_CA_BUNDLE",
    "ledger": "MMSNB_LEDGER",
}
#: Variables that name files: a relative path in a ``.env`` file is read from that file's folder.
PATH_VARIABLES = ("MMSNB_CA_BUNDLE", "MMSNB_LEDGER")


def environment() -> dict[str, str]:
    """The process environment over the nearest ``.env`` file (the working directory's, else a parent's).

    The environment wins, so a notebook in ``notebooks/`` uses the repository's ``.env`` unless a
    variable is set in the process. A relative file path in ``.env`` is taken from the ``.env``
    file's folder, so every folder below it means the same file.
    """
    env_file = find_dotenv(usecwd=True)
    values = {k: v for k, v in dotenv_values(env_file).items() if v is not None} if env_file else {}
    for name in PATH_VARIABLES:
        if values.get(name):
            values[name] = os.path.join(os.path.dirname(env_file), os.path.expanduser(values[name]))
    values.update(os.environ)
    return values


class Settings(TypedDict):
    """The client's settings by name (the keys of :data:`VARIABLES`); the URLs always have a value."""

    client_id: str | None
    client_secret: str | None
    authorization: str | None
    credential_encoding: str | None
    base_url: str
    token_url: str
    ca_bundle: str | None
    ledger: str | None


def settings(env: Mapping[str, str] | None = None) -> Settings:
    """The client's settings by name, with defaults filled in."""
    env = environment() if env is None else env
    given = {name: (env.get(var) or None) for name, var in VARIABLES.items()}
    base_url = (given["base_url"] or DEFAULT_BASE_URL).rstrip("/")
    return Settings(
        client_id=given["client_id"],
        client_secret=given["client_secret"],
        authorization=given["authorization"],
        credential_encoding=given["credential_encoding"],
        base_url=base_url,
        token_url=given["token_url"] or base_url + TOKEN_PATH,
        ca_bundle=given["ca_bundle"],
        ledger=given["ledger"],
    )
