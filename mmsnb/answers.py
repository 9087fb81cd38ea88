"""Renamed to :mod:`mmsnb.gateway_answers`: the old name still imports, with a :class:`DeprecationWarning`."""

from ._moved import forward

__getattr__ = forward("mmsnb.answers", "mmsnb.gateway_answers")
