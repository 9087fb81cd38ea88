"""Every notebook runs headless in a real kernel: on its own sandbox, and configured from the environment.

Each notebook runs from its own folder and from the repository root (the two working directories people
use: JupyterLab opens a notebook in its folder, ``papermill notebooks/… out.ipynb`` runs from the root),
with nbclient; with papermill as well for ``02-bulk-campaign.ipynb`` (the one that reads the sample CSV and
image and writes ``out/``), from both folders. Sample files come from :func:`mmsnb.sample`, so neither
folder matters to them; what a notebook writes goes to ``out/`` in the working directory.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import nbformat
import papermill
import pytest
from nbclient import NotebookClient

import mmsnb

pytestmark = pytest.mark.slow  # every notebook runs in a kernel of its own, end to end

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
FOLDERS = ("own-folder", "repo-root")


def with_env(env: dict[str, str], run: Callable[[], nbformat.NotebookNode]) -> nbformat.NotebookNode:
    """``run()`` with the process environment (which the kernel inherits) set to ``env``."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        return run()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def execute(path: Path, env: dict[str, str], cwd: Path | None = None) -> nbformat.NotebookNode:
    """Run the notebook with nbclient in ``cwd`` (default: its own folder)."""
    notebook = nbformat.read(path, as_version=4)
    folder = str(cwd or path.parent)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": folder}})
    return with_env(env, lambda: client.execute())


def execute_papermill(path: Path, env: dict[str, str], cwd: Path, output: Path) -> nbformat.NotebookNode:
    """Run the notebook with papermill in ``cwd``, as ``papermill notebooks/x.ipynb out.ipynb --cwd …`` does."""

    def run() -> nbformat.NotebookNode:
        return papermill.execute_notebook(
            str(path), str(output), cwd=str(cwd), kernel_name="python3", progress_bar=False, log_output=False
        )

    return with_env(env, run)


RUNNERS = {"nbclient": execute, "papermill": execute_papermill}


def outputs_text(notebook: nbformat.NotebookNode) -> str:
    return "\n".join(nbformat.writes(cell) for cell in notebook.cells if cell.cell_type == "code")


def cell_text(cell: nbformat.NotebookNode) -> str:
    """What a code cell printed and showed, as text."""
    parts = [o.get("text", "") for o in cell.outputs if o.output_type == "stream"]
    parts += [o.get("data", {}).get("text/plain", "") for o in cell.outputs if "data" in o]
    return "\n".join(parts)


def base_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MMSNB_")}
    # The kernel imports this tree's mmsnb, whatever is installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(MPLBACKEND="Agg", MMSNB_LEDGER=str(tmp_path / "ledger.sqlite"))
    return env


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the repository's layout for one test (``project/notebooks/*.ipynb``), so that what a notebook
    writes to ``out/`` in its working directory is its own, whatever runs beside it."""
    shutil.copytree(ROOT / "notebooks", tmp_path / "project" / "notebooks")
    return tmp_path / "project"


def folder_of(project: Path, folder: str) -> Path:
    """The working directory that ``folder`` names: the notebook's own folder, or the project's root."""
    return project / "notebooks" if folder == "own-folder" else project


def test_the_notebooks_are_stored_without_outputs():
    assert NOTEBOOKS, "no notebooks found"
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name} has outputs: strip them"


def test_the_notebooks_name_no_file_relative_to_the_working_directory():
    for path in NOTEBOOKS:
        assert "../data" not in path.read_text(encoding="utf-8"), f"{path.name}: use mmsnb.sample(name)"


def check_run(path: Path, notebook: nbformat.NotebookNode) -> None:
    """What every sandbox run must show: the first cell's line, and each notebook's point made."""
    first = cell_text(notebook.cells[1])
    assert "Using the local sandbox" in first
    assert "no MMSNB_CLIENT_ID in the environment" in first
    text = outputs_text(notebook)
    assert "Two readings are needed" not in text
    if path.stem.startswith("01"):
        status = cell_text(notebook.cells[5])
        assert status.startswith("Retrieved (delivered)"), f"the showcase message was not delivered: {status}"
    if path.stem.startswith("04"):
        sent, statuses, readings = eval(cell_text(notebook.cells[3]))  # the cell shows a tuple of three ints
        assert sent == 500 and statuses > 0
        assert readings >= 2, "the quota chart needs at least two readings"
    if path.stem.startswith("05"):  # what its text says it found
        found = cell_text(notebook.cells[5])
        assert "B delivered 13.5 points more than A (95 % CI 4.9 to 21.9; p = 0.002)" in found, found


@pytest.mark.parametrize("folder", FOLDERS, ids=str)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_its_own_sandbox(path, folder, tmp_path, project):
    notebook = execute(project / "notebooks" / path.name, base_env(tmp_path), folder_of(project, folder))
    check_run(path, notebook)


@pytest.mark.parametrize("folder", FOLDERS, ids=str)
def test_papermill_runs_the_bulk_campaign_from_either_folder(folder, tmp_path, project):
    path = project / "notebooks" / "02-bulk-campaign.ipynb"
    cwd = folder_of(project, folder)
    notebook = execute_papermill(path, base_env(tmp_path), cwd, tmp_path / "run.ipynb")
    check_run(path, notebook)
    saved = cwd / "out" / "weekend-promo.csv"
    assert f"to {saved}" in outputs_text(notebook)
    assert saved.is_file()


@pytest.mark.parametrize("path", NOTEBOOKS[:2], ids=lambda p: p.stem)
def test_notebook_runs_from_the_environment_and_shows_no_secret(path, tmp_path, project):
    with mmsnb.Sandbox(seed=1, quota=1000, time_scale=600, client_secret="Notebook-Secret-8d1f0c77a2") as sandbox:
        env = base_env(tmp_path) | sandbox.env()
        notebook = execute(project / "notebooks" / path.name, env)
        tokens = list(sandbox.gateway._tokens)
        assert sandbox.received, "the notebook sent nothing to the configured gateway"
    text = outputs_text(notebook)
    assert "Using the MMSOnnet gateway at" in text
    assert "(settings from the environment)" in text
    assert tokens
    for secret in [sandbox.client_secret, *tokens]:
        assert secret not in text


def first_cell(tmp_path: Path, env: dict[str, str]) -> str:
    """What the notebooks' first cell prints when run in ``project/notebooks`` (``project`` is ``tmp_path``)."""
    folder = tmp_path / "notebooks"
    folder.mkdir(exist_ok=True)
    notebook = nbformat.read(NOTEBOOKS[0], as_version=4)
    notebook.cells = notebook.cells[:2]  # the title and the first cell: `client = mmsnb.connect()`
    path = folder / "first.ipynb"
    nbformat.write(notebook, path)
    return cell_text(execute(path, env).cells[1])


def test_the_first_cell_names_the_env_file_in_a_parent_folder_it_read(tmp_path):
    with mmsnb.Sandbox(seed=1, quota=10, client_secret="Parent-Env-Secret-5c2e91") as sandbox:
        settings = sandbox.env()
        (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in settings.items()), encoding="utf-8")
        env = {k: v for k, v in base_env(tmp_path).items() if not k.startswith("MMSNB_")}
        line = first_cell(tmp_path, env)
    assert line.strip() == f"Using the MMSOnnet gateway at {sandbox.url} (settings from {tmp_path / '.env'})."
    assert sandbox.client_secret not in line


def test_the_first_cell_says_why_it_uses_the_sandbox(tmp_path):
    (tmp_path / ".env").write_text(f"MMSNB_LEDGER={tmp_path / 'ledger.sqlite'}\n", encoding="utf-8")
    env = {k: v for k, v in base_env(tmp_path).items() if not k.startswith("MMSNB_")}
    line = first_cell(tmp_path, env)
    assert line.startswith("Using the local sandbox at https://127.0.0.1:")
    assert f"(no MMSNB_CLIENT_ID in the environment or in {tmp_path / '.env'}; nothing leaves this machine)" in line


def test_connect_without_any_env_file_says_where_it_looked(tmp_path, monkeypatch, capsys):
    for name in [n for n in os.environ if n.startswith("MMSNB_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MMSNB_LEDGER", str(tmp_path / "ledger.sqlite"))
    monkeypatch.chdir(tmp_path)
    if mmsnb.config.find_env_file() is not None:
        pytest.skip("a .env file above the temporary folder")
    client = mmsnb.connect(time_scale=6000)
    try:
        line = capsys.readouterr().out
    finally:
        mmsnb.Sandbox.behind(client).stop()
    assert f"no MMSNB_CLIENT_ID in the environment, and no .env file in {tmp_path} or a folder above it" in line


@pytest.mark.parametrize("where", ["tmp", "root", "notebooks"])
def test_sample_is_found_from_any_working_directory(where, tmp_path, monkeypatch):
    monkeypatch.chdir({"tmp": tmp_path, "root": ROOT, "notebooks": ROOT / "notebooks"}[where])
    for name in mmsnb.samples.names():
        path = mmsnb.sample(name)
        assert path.is_absolute() and path.is_file()
        # The packaged copies are the files data/make_data.py makes.
        assert path.read_bytes() == (ROOT / "data" / name).read_bytes(), f"{name} differs from data/{name}"
    assert len(mmsnb.read_recipients(mmsnb.sample("campaign.csv"), to="msisdn")) == 500


def test_a_missing_sample_names_the_samples_there_are():
    with pytest.raises(mmsnb.InputError) as caught:
        mmsnb.sample("nope.jpg")
    message = str(caught.value)
    assert "'nope.jpg'" in message
    for name in ("campaign.csv", "logo.png", "promo.jpg"):
        assert name in message
