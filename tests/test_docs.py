"""The Python API reference (docs/python-api.md) is generated from the docstrings and kept up to date, and
every public name has a docstring to generate it from."""

from __future__ import annotations

import importlib.util
import inspect
import pathlib

import pytest

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


def test_every_command_and_option_is_in_the_cli_reference():
    from mmsnb.cli.parser import build, subcommands

    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    for name, sub in subcommands(build()).items():
        assert f"### `mmsnb {name}`" in page, f"run: .venv/bin/python docs/make_cli_reference.py ({name})"
        for action in sub._actions:
            for option in action.option_strings:
                assert option in page, f"mmsnb {name} {option}: run .venv/bin/python docs/make_cli_reference.py"


def _python_blocks(page: pathlib.Path) -> list[str]:
    """The ```python blocks of a page; ```python notest marks an illustration that cannot run here."""
    import re

    return re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), flags=re.S | re.M)


PAGES = [DOCS.parent / "README.md", *sorted(DOCS.glob("*.md"))]


@pytest.mark.slow  # every page's examples run as a whole
@pytest.mark.parametrize("page", [p for p in PAGES if _python_blocks(p)], ids=lambda p: p.name)
def test_the_examples_of_every_page_run(page, tmp_path, monkeypatch):
    """Each page's examples, in order, in one namespace, in a folder holding the sample data, on the sandbox
    that mmsnb.connect() starts when no credentials are set."""
    import os
    import shutil

    import matplotlib

    matplotlib.use("Agg")
    shutil.copytree(DOCS.parent / "data", tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("MMSNB_")]:
        monkeypatch.delenv(name)
    namespace: dict[str, object] = {}
    try:
        for block in _python_blocks(page):
            exec(compile(block, str(page), "exec"), namespace)
    finally:
        client = namespace.get("client")
        if isinstance(client, mmsnb.Client) and (sandbox := mmsnb.Sandbox.behind(client)) is not None:
            sandbox.stop()
