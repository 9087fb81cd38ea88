"""Paths that come from data: a file named in a cell is read only from inside the folder the user chose.

A recipients CSV from a partner can name any file; a cell saying ``../api-keys.txt``,
``/etc/passwd`` or a symbolic link that leads out of the folder must not be sent to anyone.

>>> inside(Path("/campaign"), "promo.jpg")                      # doctest: +SKIP
PosixPath('/campaign/promo.jpg')
>>> inside(Path("/campaign"), "../api-keys.txt")                # doctest: +SKIP
Traceback (most recent call last):
mmsnb.errors.InputError: The file '../api-keys.txt' named in this row is outside the attachments folder ...
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Hashable
from pathlib import Path
from typing import Any

from .errors import InputError, too_large, too_large_to_read

#: Data attributes that :func:`mmsnb.read_recipients` sets: the folder of the CSV it read.
SOURCE_DIR = "mmsnb.source_dir"
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def base_folder(attachments_dir: str | os.PathLike[str] | None, attrs: dict[Hashable, Any]) -> Path:
    """The folder that files named in a column must lie in:
    ``attachments_dir``, else the CSV's folder, else the working directory.
    """
    chosen = attachments_dir if attachments_dir is not None else attrs.get(SOURCE_DIR)
    return Path(os.path.realpath(chosen if chosen is not None else Path.cwd()))


def inside(base: Path, value: str | os.PathLike[str]) -> Path:
    """The real path of ``value`` read relative to ``base``; :class:`InputError` when it leaves ``base``.

    Absolute paths, URLs, ``..`` that climbs out and symbolic links that point out are refused.
    ``base`` must already be a real path (see :func:`base_folder`).
    """
    text = os.fspath(value)
    if _URL.match(text):
        raise InputError(f"The attachment {text!r} named in this row is a URL; name a file inside {str(base)!r}.")
    if os.path.isabs(text) or text.startswith("~"):
        raise InputError(
            f"The attachment {text!r} named in this row is an absolute path; files named in data must lie inside "
            f"{str(base)!r}. Write it relative to that folder, or pass attachments_dir= to choose the folder."
        )
    real = Path(os.path.realpath(base / text))
    if real != base and base not in real.parents:
        raise InputError(
            f"The attachment {text!r} named in this row leads outside the attachments folder {str(base)!r} "
            "(through '..' or a symbolic link), so it is not read. Put the file in that folder, or pass "
            "attachments_dir=."
        )
    try:
        links = real.stat().st_nlink if real.is_file() else 1
    except OSError:
        links = 1
    if links > 1:
        raise InputError(
            f"The attachment {text!r} named in this row is a hard link, which may be a file from outside "
            f"{str(base)!r}, so it is not read. Copy the file into the folder instead."
        )
    return real


def read_file(path: Path, label: str, max_bytes: int | None = None, hint: str = "", *, image: bool = False) -> bytes:
    """The bytes of a regular file the user named; :class:`InputError` saying why when it cannot be read.

    A file over ``max_bytes`` (the gateway's limit, or with ``image`` the most mmsnb reads of an image)
    is refused from its size alone, without reading it (``hint`` says what would help).
    """
    try:
        found = path.stat()
        if not stat.S_ISREG(found.st_mode):
            raise InputError(f"{label} is not a regular file (a folder, device or pipe): name a file.")
        if max_bytes is not None and found.st_size > max_bytes:
            if image:
                raise too_large_to_read(found.st_size, max_bytes, f"{label} is")
            raise too_large(found.st_size, max_bytes, f"{label} is", hint)
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{label} does not exist: check the path.") from None
    except OSError as exc:
        raise InputError(f"{label} cannot be read ({exc.strerror}).") from None
