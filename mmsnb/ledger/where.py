"""Renamed to :mod:`mmsnb.ledger.location`: the old name still imports, with a :class:`DeprecationWarning`."""

from .._moved import forward

__getattr__ = forward("mmsnb.ledger.where", "mmsnb.ledger.location")
