"""Renamed to :mod:`mmsnb.delivery_statuses`: the old name still imports, with a :class:`DeprecationWarning`."""

from ._moved import forward

__getattr__ = forward("mmsnb.statuses", "mmsnb.delivery_statuses")
