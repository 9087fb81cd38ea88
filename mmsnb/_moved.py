"""Modules that were renamed: the old name still imports, with a :class:`DeprecationWarning` naming the new one."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any


def forward(old: str, new: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``old`` that takes each name from ``new`` and warns at each use."""

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(new), name)
        warnings.warn(
            f"{old} is now {new}: import {name} from {new} ({old} will be removed).", DeprecationWarning, stacklevel=2
        )
        return value

    return __getattr__
