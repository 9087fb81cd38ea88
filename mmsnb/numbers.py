"""Renamed to :mod:`mmsnb.phones`: the old name still imports, with a :class:`DeprecationWarning`."""

from ._moved import forward

__getattr__ = forward("mmsnb.numbers", "mmsnb.phones")
