"""The Python API reference (docs/python-api.md) is generated from the docstrings and kept up to date, and
every public name has a docstring to generate it from."""

from __future__ import annotations

import importlib.util
import inspect
import pathlib

import mmsnb

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


def _generator():
    spec = importlib.util.spec_from_file_location("make_python_api", DOCS / "make_python_api.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_public_name_has_a_docstring():
    undocumented = [name for name in mmsnb.__all__ if not (inspect.getdoc(getattr(mmsnb, name)) or "").strip()]
    assert not undocumented


def test_the_python_api_page_is_what_the_docstrings_say():
    page = (DOCS / "python-api.md").read_text(encoding="utf-8")
    assert page == _generator().render(), "run: .venv/bin/python docs/make_python_api.py"
    for name in mmsnb.__all__:
        assert f"`mmsnb.{name}" in page, name
