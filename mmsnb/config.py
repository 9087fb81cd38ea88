"""Settings from the environment and a ``.env`` file in the working directory or a folder above it.

>>> settings({"MMSNB_CLIENT_ID": "id", "MMSNB_CLIENT_SECRET": "s"})["base_url"]
'https://apigateway-prd.orange.pl'
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TypedDict

from dotenv import dotenv_values

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
#: A file named by a URL: its path follows this prefix (``sqlite:///relative`` or ``sqlite:////absolute``).
FILE_URL = "sqlite:///"
#: libpq's ``key=value`` form of a PostgreSQL ledger, as in ``host=db.example dbname=mmsnb user=marketing``.
CONNINFO_KEYWORDS = re.compile(
    r"\s*(host|hostaddr|port|dbname|user|password|service|sslmode|passfile)\s*=", re.IGNORECASE
)


class Environment(dict[str, str]):
    """The variables by name; :attr:`env_file` is the ``.env`` file read (``None`` when there is none) and
    :attr:`from_file` the names whose value came from it (the process environment did not set them)."""

    def __init__(self, values: Mapping[str, str], env_file: Path | None, from_file: frozenset[str]) -> None:
        super().__init__(values)
        self.env_file = env_file
        self.from_file = from_file


def find_env_file(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The ``.env`` file in ``start`` (default: the working directory) or the nearest folder above it.

    >>> Path(".env").touch()
    >>> find_env_file()
    PosixPath('/.../.env')
    """
    here = Path.cwd() if start is None else Path(start).absolute()
    for folder in (here, *here.parents):
        candidate = folder / ".env"
        if candidate.is_file():
            return candidate
    return None


def environment() -> Environment:
    """The process environment over the nearest ``.env`` file (the working directory's, else a parent's).

    The environment wins, so a notebook in ``notebooks/`` uses the repository's ``.env`` unless a
    variable is set in the process. A relative file path in ``.env`` is taken from the ``.env``
    file's folder, so every folder below it means the same file. The answer's ``env_file`` and
    ``from_file`` say which ``.env`` file was read and which names came from it, so a caller can
    say where its settings came from without showing them.
    """
    env_file = find_env_file()
    values = {k: v for k, v in dotenv_values(env_file).items() if v is not None} if env_file else {}
    for name in PATH_VARIABLES:
        if env_file and values.get(name):
            values[name] = from_folder(values[name], env_file.parent)
    from_file = frozenset(values) - frozenset(os.environ)
    values.update(os.environ)
    return Environment(values, env_file, from_file)


def from_folder(value: str, folder: Path) -> str:
    """``value`` with the relative file path it names taken from ``folder``, however it is spelled (a path, or
    a ``sqlite:///`` URL); a PostgreSQL ledger (a URL or libpq's ``key=value`` form) names no file and is kept.

    >>> from_folder("sqlite:///team.sqlite", Path("/home/me/campaigns"))
    'sqlite:////home/me/campaigns/team.sqlite'
    """
    prefix = FILE_URL if value.lower().startswith(FILE_URL) else ""
    path = value[len(prefix) :]
    if not path or (not prefix and ("://" in value or CONNINFO_KEYWORDS.match(value))):
        return value
    return prefix + os.path.join(folder, os.path.expanduser(path))


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
