"""Every notebook runs headless in a real kernel: on its own sandbox, and configured from the environment."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import mmsnb

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def execute(path: Path, env: dict[str, str]) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        NotebookClient(
            notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return notebook


def outputs_text(notebook: nbformat.NotebookNode) -> str:
    return "\n".join(nbformat.writes(cell) for cell in notebook.cells if cell.cell_type == "code")


def base_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MMSNB_")}
    env.update(MPLBACKEND="Agg", MMSNB_LEDGER=str(tmp_path / "ledger.sqlite"))
    return env


def test_the_notebooks_are_stored_without_outputs():
    assert NOTEBOOKS, "no notebooks found"
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name} has outputs: strip them"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_its_own_sandbox(path, tmp_path):
    notebook = execute(path, base_env(tmp_path))
    first = "".join(o.get("text", "") for o in notebook.cells[1].outputs if o.output_type == "stream")
    assert "Using the local sandbox" in first


@pytest.mark.parametrize("path", NOTEBOOKS[:2], ids=lambda p: p.stem)
def test_notebook_runs_from_the_environment_and_shows_no_secret(path, tmp_path):
    with mmsnb.Sandbox(seed=1, quota=1000, time_scale=600, client_secret="Notebook-Secret-8d1f0c77a2") as sandbox:
        env = base_env(tmp_path) | sandbox.env()
        notebook = execute(path, env)
        tokens = list(sandbox.gateway._tokens)
        assert sandbox.received, "the notebook sent nothing to the configured gateway"
    text = outputs_text(notebook)
    assert "Using the MMSOnnet gateway at" in text
    assert tokens
    for secret in [sandbox.client_secret, *tokens]:
        assert secret not in text
