"""The credentials' encoding lives in its own module, which the client uses; no secret in any repr."""

import ast
from pathlib import Path

import mmsnb
from mmsnb.credentials import Credentials, basic_header, check_encoding, decode_basic


def test_the_client_keeps_its_credentials_in_a_credentials_object_that_hides_the_secret():
    client = mmsnb.Client("my id", "50%+ł", base_url="https://127.0.0.1:1")
    assert isinstance(client._credentials, Credentials)
    assert "50%" not in repr(client._credentials) and "50%" not in repr(vars(client))


def test_form_and_raw_encodings_round_trip():
    assert decode_basic(basic_header("my id", "50%+ł", "raw")) == ("my id", "50%+ł")
    assert decode_basic(basic_header("my id", "50%+ł")) == ("my+id", "50%25%2B%C5%82")
    assert check_encoding(None) == "form" and check_encoding(" RAW ") == "raw"


def test_client_py_holds_no_credential_encoding():
    tree = ast.parse(Path(mmsnb.client.__file__).read_text(encoding="utf-8"))
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)}
    assert not defined & {"basic_header", "decode_basic", "_Credentials", "Credentials", "_HeaderAuth", "_encoding"}
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert "base64" not in imported
