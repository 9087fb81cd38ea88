"""``mmsnb.report(results, "report.html")`` writes a campaign's report (:func:`mmsnb.export.write_report`).

This module was also where ``summary`` and ``failures`` lived: they are in :mod:`mmsnb.tables` now, and the
old spelling (``mmsnb.report.summary``, ``from mmsnb.report import failures``) still works, with a
:class:`DeprecationWarning` naming the new one.
"""

from __future__ import annotations

import sys
import types

from ._moved import forward
from .export import write_report


class _Report(types.ModuleType):
    """This module, callable: ``mmsnb.report(...)`` is :func:`mmsnb.export.write_report`."""

    __call__ = staticmethod(write_report)


__getattr__ = forward("mmsnb.report", "mmsnb.tables")
sys.modules[__name__].__class__ = _Report
