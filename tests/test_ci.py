"""``.ci/run`` fails the run when any one of its checks fails (ruff, the formatter, mypy, the install, pytest).

The real script runs in a copy of its folder, with ``python3`` on PATH replaced by a stand-in whose virtual
environment's ``python`` logs each call and fails the one named by ``FAIL_ON``: the script's own control flow,
``set -e`` and all, is what is tested.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import stat
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
STEPS = ["pip install", "ruff check", "ruff format", "mypy", "mypy tests", "pytest"]

FAKE_PYTHON3 = """#!/bin/sh
# python3 -m venv .venv: make a .venv whose python logs its arguments and fails those that match FAIL_ON
if [ "$1 $2" = "-m venv" ]; then
  mkdir -p "$3/bin"
  cat > "$3/bin/python" <<'INNER'
#!/bin/sh
echo "$*" >> "$CI_LOG"
if [ -n "$FAIL_ON" ] && echo "$*" | grep -q -- "$FAIL_ON"; then exit 3; fi
exit 0
INNER
  chmod +x "$3/bin/python"
  exit 0
fi
exit 99
"""


def _executable(path: pathlib.Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def ci(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".ci").mkdir(parents=True)
    shutil.copy(ROOT / ".ci" / "run", repo / ".ci" / "run")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _executable(bin_dir / "python3", FAKE_PYTHON3)
    for present in ("chromium", "initdb"):  # so the script installs nothing from Debian
        _executable(bin_dir / present, "#!/bin/sh\nexit 0\n")
    _executable(bin_dir / "apt-get", "#!/bin/sh\necho apt-get must not run here >&2\nexit 1\n")
    log = tmp_path / "ci.log"

    def run(fail_on: str = "") -> tuple[int, list[str]]:
        env = {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin", "CI_LOG": str(log), "FAIL_ON": fail_on}
        log.write_text("")
        done = subprocess.run(["bash", ".ci/run"], cwd=repo, env=env, capture_output=True, text=True, timeout=60)
        return done.returncode, log.read_text().splitlines()

    return run


def test_every_step_runs_when_all_pass(ci):
    code, calls = ci()
    assert code == 0
    for step in STEPS:
        assert any(step in call for call in calls), (step, calls)


@pytest.mark.parametrize("step", STEPS)
def test_a_failing_step_fails_the_run_and_stops_it(ci, step):
    code, calls = ci(fail_on=step)
    assert code != 0, f"{step} failed and .ci/run still exited 0"
    failed_at = next(i for i, call in enumerate(calls) if step in call)
    assert not any("pytest" in call for call in calls[failed_at + 1 :]) or step == "pytest"
    if step != "pytest":
        assert not any(call.endswith("-m pytest") for call in calls), calls


def test_every_test_file_is_type_checked_as_a_test():
    """`mypy tests` checks tests/ with the tests' settings only for the modules pyproject.toml names; a new
    file missing from that list would be checked as strictly as the library and fail CI for the wrong reason."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = next(set(o["module"]) for o in config["tool"]["mypy"]["overrides"] if "conftest" in o["module"])
    present = {path.stem for path in (ROOT / "tests").glob("*.py")}
    assert present <= listed, f"add to [[tool.mypy.overrides]] in pyproject.toml: {sorted(present - listed)}"
