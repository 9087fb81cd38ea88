"""The world the package's doctests run in: a real sandbox and what a notebook has after a campaign.

Every example in a docstring runs against it (``--doctest-modules``), in a fresh working folder with the
sample files in ``data/`` and an empty ``out/``, so a docstring's ``results.to_csv("out/….csv")`` writes
there. The names it gives: ``mmsnb``, ``pd``, ``client`` (a sandbox's), ``frame`` (60 rows of the sample
campaign), ``plan`` (planned, not sent), ``results`` (sent and polled; campaign ``spring-sale``) and
``sandbox``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from _pytest.doctest import DoctestItem

#: Doctests of the slow lane (``pytest -m "not slow"`` leaves them out): the demo runs a whole campaign.
SLOW_DOCTESTS = {"mmsnb.demo"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if isinstance(item, DoctestItem) and item.name in SLOW_DOCTESTS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def _doctest_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import pandas as pd

    import mmsnb

    with mmsnb.Sandbox(quota=1000, seed=0, time_scale=6000) as sandbox:
        client = sandbox.client()
        frame = mmsnb.read_recipients(mmsnb.sample("campaign.csv"), to="msisdn").head(60)
        frame["variant"] = ["A", "B"] * 30  # an A/B split, for the analysis examples
        subject = "Cześć {first_name}!"
        results = mmsnb.send(client, frame, subject=subject, campaign="spring-sale", progress=False)
        results = mmsnb.poll(client, results, timeout=60, progress=False)
        plan = mmsnb.plan(client, frame, subject="Hej", campaign="weekend-promo")
        yield {
            "mmsnb": mmsnb,
            "pd": pd,
            "sandbox": sandbox,
            "client": client,
            "frame": frame,
            "plan": plan,
            "results": results,
        }


@pytest.fixture(autouse=True)
def _doctest_namespace(request: pytest.FixtureRequest, doctest_namespace: dict[str, Any]) -> Iterator[None]:
    """For doctests only: the world above, a fresh working folder, and frames shown as wide as a notebook's."""
    if not isinstance(request.node, DoctestItem):
        yield
        return
    import shutil

    import pandas as pd

    import mmsnb

    world = request.getfixturevalue("_doctest_world")
    doctest_namespace.update(world)
    monkeypatch, folder = request.getfixturevalue("monkeypatch"), request.getfixturevalue("tmp_path")
    monkeypatch.chdir(folder)
    (folder / "data").mkdir()
    (folder / "out").mkdir()
    for name in ("campaign.csv", "promo.jpg"):
        shutil.copy(mmsnb.sample(name), folder / "data" / name)
    with pd.option_context("display.width", 120, "display.max_columns", 20, "display.max_colwidth", 60):
        yield
