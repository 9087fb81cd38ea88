"""The sample files the notebooks and the demo use, found from any working directory.

They ship inside the package (``mmsnb/sample_data/``, package data), so ``mmsnb.sample("promo.jpg")``
is the same file whether a notebook runs from its own folder, from the repository root, or from an
installed copy. ``data/`` in the repository holds the same files, made by ``data/make_data.py``.

>>> sample("campaign.csv").name
'campaign.csv'
"""

from __future__ import annotations

import atexit
import contextlib
from importlib import resources
from pathlib import Path

from .errors import InputError

#: The package folder that holds the samples.
FOLDER = "sample_data"

_extracted = contextlib.ExitStack()  # files copied out of a zipped install, removed at exit
atexit.register(_extracted.close)


def names() -> list[str]:
    """The names of the sample files, sorted.

    >>> "promo.jpg" in names()
    True
    """
    return sorted(item.name for item in resources.files("mmsnb").joinpath(FOLDER).iterdir() if item.is_file())


def sample(name: str) -> Path:
    """The path of the sample file ``name`` (``"campaign.csv"``, ``"promo.jpg"``, ``"logo.png"``…).

    A name that is not a sample is an :class:`~mmsnb.InputError` listing the samples there are.

    >>> sample("promo.jpg").is_file()
    True
    >>> sample("nope.jpg")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mmsnb.errors.InputError: There is no sample file 'nope.jpg'; the samples are: campaign.csv, logo.png, ...
    """
    available = names()
    if name not in available:
        raise InputError(f"There is no sample file {name!r}; the samples are: {', '.join(available)}.")
    item = resources.files("mmsnb").joinpath(FOLDER, name)
    if isinstance(item, Path):
        return item
    return _extracted.enter_context(resources.as_file(item))  # a zipped install: a temporary copy
