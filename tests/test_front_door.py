"""The front door: ``import mmsnb`` and the ``mmsnb`` command stay light, every public name still resolves,
the report module is reachable, and the plot functions share one calling convention."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest

import mmsnb
from mmsnb import plot

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("matplotlib", "ipywidgets", "trustme")
T0 = pd.Timestamp("2026-01-21 09:00", tz="UTC")


def run(code: str) -> Any:
    """Run ``code`` in a fresh interpreter that imports this tree's mmsnb; it prints its findings as JSON last."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", code]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


LOADED = "print(json.dumps({name: name in sys.modules for name in %r}))"


def test_import_mmsnb_leaves_matplotlib_ipywidgets_and_trustme_out():
    found = run("import json, sys\nimport mmsnb\n" + LOADED % (HEAVY,))
    assert found == dict.fromkeys(HEAVY, False)


def test_import_mmsnb_cli_leaves_matplotlib_ipywidgets_and_trustme_out():
    found = run("import json, sys\nimport mmsnb.cli\n" + LOADED % (HEAVY,))
    assert found == dict.fromkeys(HEAVY, False)


def test_import_mmsnb_sandbox_leaves_trustme_out():
    assert run("import json, sys\nimport mmsnb.sandbox\n" + LOADED % (HEAVY,)) == dict.fromkeys(HEAVY, False)


def test_cli_help_does_not_import_pandas():
    code = (
        "import contextlib, io, json, sys\nfrom mmsnb.cli import main\nout = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n    try:\n        main(['--help'])\n"
        "    except SystemExit:\n        pass\n"
        "print(json.dumps({'pandas': 'pandas' in sys.modules, 'usage': out.getvalue().startswith('usage: mmsnb')}))"
    )
    assert run(code) == {"pandas": False, "usage": True}


def test_every_public_name_resolves_and_is_listed():
    code = (
        "import json, sys\nimport mmsnb\nlisted = set(dir(mmsnb))\n"
        "missing = [n for n in mmsnb.__all__ if not hasattr(mmsnb, n)]\n"
        "print(json.dumps({'missing': missing, 'unlisted': sorted(set(mmsnb.__all__) - listed)}))"
    )
    assert run(code) == {"missing": [], "unlisted": []}
    for name in mmsnb.__all__:
        assert getattr(mmsnb, name) is not None
    assert set(mmsnb.__all__) <= set(dir(mmsnb))


def test_from_mmsnb_import_each_name():
    names = ", ".join(mmsnb.__all__)
    code = f"import json\nfrom mmsnb import {names}\nprint(json.dumps({{'ok': summary.__module__ == 'mmsnb.tables'}}))"
    assert run(code) == {"ok": True}


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        mmsnb.nothing_here  # noqa: B018
    assert not hasattr(mmsnb, "__nothing__")


def test_tables_is_the_module_and_summary_the_function():
    import mmsnb.tables

    assert isinstance(mmsnb.tables, types.ModuleType)
    assert callable(mmsnb.summary) and not isinstance(mmsnb.summary, types.ModuleType)
    assert mmsnb.summary is mmsnb.tables.summary and mmsnb.failures is mmsnb.tables.failures
    assert callable(mmsnb.tables.require) and callable(mmsnb.tables.outcome_counts)
    assert run("import json, types\nimport mmsnb\nprint(json.dumps(isinstance(mmsnb.tables, types.ModuleType)))")


def test_connect_stays_the_function_after_its_module_is_imported():
    code = "import json\nimport mmsnb.connect\nimport mmsnb\nprint(json.dumps(mmsnb.connect.__module__))"
    assert run(code) == "mmsnb.connect"


@pytest.mark.parametrize(
    "code",
    [
        "import pandas as pd\nimport mmsnb",  # pandas first: import mmsnb registers frame.mms at once
        "import mmsnb\nimport pandas as pd\nmmsnb.send",  # mmsnb first: the first name used registers it
        "import mmsnb\nimport pandas as pd\nmmsnb.Client",
    ],
)
def test_frame_mms_is_registered(code):
    assert run(f"import json\n{code}\nprint(json.dumps(hasattr(pd.DataFrame(), 'mms')))")


# -- plot functions: the data first, ax by keyword only, the Axes returned --------------------------


@pytest.fixture
def results() -> pd.DataFrame:
    sent_at = pd.Series([T0, T0, T0 + pd.Timedelta(seconds=5), pd.NaT], dtype="datetime64[ns, UTC]")
    return pd.DataFrame(
        {
            "send_state": ["accepted", "accepted", "accepted", "invalid"],
            "status": ["Retrieved", "Retrieved", "Expired", None],
            "status_category": ["delivered", "delivered", "failed", None],
            "sent_at": sent_at,
            "delivered_at": sent_at + pd.to_timedelta([60, 120, None, None], unit="s"),
        }
    )


@pytest.fixture
def statuses() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "campaign": ["c1"] * 3,
            "message_id": ["m1", "m1", "m2"],
            "address": ["tel:+48501102030", "tel:+48501102030", "tel:+48501102031"],
            "category": ["pending", "delivered", "pending"],
            "polled_at": [T0, T0 + pd.Timedelta(minutes=1), T0],
        }
    )


@pytest.fixture
def readings() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "read_at": [T0 + pd.Timedelta(minutes=m) for m in range(3)],
            "used": [0, 5, 10],
            "available": [100, 95, 90],
            "resets_on": [pd.Timestamp("2026-01-22", tz="UTC")] * 3,
        }
    )


@pytest.fixture
def charts(results, statuses, readings):
    yield {plot.outcomes: results, plot.timeline: statuses, plot.delivery_times: results, plot.quota: readings}
    plt.close("all")


def test_plot_functions_take_data_first_and_the_rest_by_keyword_only(charts):
    for draw, data in charts.items():
        first, *rest = inspect.signature(draw).parameters.values()
        assert first.name == "data" and first.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        assert "ax" in [p.name for p in rest] and {p.kind for p in rest} == {inspect.Parameter.KEYWORD_ONLY}
        _, ax = plt.subplots()
        assert draw(data, ax=ax) is ax
        assert ax.get_title() and ax.has_data()


def test_plot_functions_refuse_ax_by_position(charts):
    _, ax = plt.subplots()
    for draw, data in charts.items():
        with pytest.raises(TypeError, match="positional argument"):
            draw(data, ax)
    assert not ax.has_data()
