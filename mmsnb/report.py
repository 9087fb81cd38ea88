"""``mmsnb.report(results, "report.html")`` writes a campaign's report (:func:`mmsnb.export.write_report`).

This module was also where ``summary`` and ``failures`` lived: they are in :mod:`mmsnb.tables` now, and the
old spelling (``mmsnb.report.summary``, ``from mmsnb.report import failures``) still works, with a
:class:`DeprecationWarning` naming the new one.
"""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING

from ._moved import forward

if TYPE_CHECKING:
    import pandas as pd

    from .client import Client
    from .ledger import LedgerSpec


class _Report(types.ModuleType):
    """This module, callable: ``mmsnb.report(...)`` is :func:`mmsnb.export.write_report`."""

    def __call__(
        self,
        data: pd.DataFrame | str,
        path: str | os.PathLike[str],
        *,
        by: str | None = None,
        title: str | None = None,
        ledger: LedgerSpec = None,
        client: Client | None = None,
        lang: str | None = None,
    ) -> Path:
        from .export import write_report

        return write_report(data, path, by=by, title=title, ledger=ledger, client=client, lang=lang)


__getattr__ = forward("mmsnb.report", "mmsnb.tables")
sys.modules[__name__].__class__ = _Report
