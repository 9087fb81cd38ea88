"""Renamed to :mod:`mmsnb.result_columns`: the old name still imports, with a :class:`DeprecationWarning`."""

from ._moved import forward

__getattr__ = forward("mmsnb.results", "mmsnb.result_columns")
