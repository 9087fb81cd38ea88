"""Renamed to :mod:`mmsnb.ledger.journal`: the old name still imports, with a :class:`DeprecationWarning`."""

from .._moved import forward

__getattr__ = forward("mmsnb.ledger.book", "mmsnb.ledger.journal")
