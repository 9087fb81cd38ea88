"""Notebook widgets (standard ipywidgets only): a composer form and a live delivery monitor.

>>> from mmsnb.widgets import Composer
>>> Composer(client)
Composer(...)
"""

from .composer import Composer
from .monitor import Monitor

__all__ = ["Composer", "Monitor"]
