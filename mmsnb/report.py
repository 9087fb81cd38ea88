"""Renamed to :mod:`mmsnb.tables`: the old name still imports, with a :class:`DeprecationWarning`."""

from ._moved import forward

__getattr__ = forward("mmsnb.report", "mmsnb.tables")
