"""Paths that come from data: a file named in a cell is read only from inside the folder the user chose.

A recipients CSV from a partner can name any file; a cell saying ``../api-keys.txt``,
``/etc/passwd`` or a symbolic link that leads out of the folder must not be sent to anyone.

>>> inside(Path("/campaign"), "promo.jpg")
PosixPath('/campaign/promo.jpg')
>>> inside(Path("/campaign"), "../api-keys.txt")
Traceback (most recent call last):
mmsnb.errors.InputError: The attachment '../api-keys.txt' named in this row leads outside the attachments folder ...
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Hashable
from pathlib import Path
from typing import Any

from .errors import Fix, InputError, too_large, too_large_to_read
from .words import N_, Phrase

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
    named = {"name": repr(text), "folder": repr(str(base))}
    if _URL.match(text):
        raise InputError(
            N_("The attachment {name} named in this row is a URL; name a file inside {folder}."), values=named
        )
    if os.path.isabs(text) or text.startswith("~"):
        raise InputError(
            N_(
                "The attachment {name} named in this row is an absolute path; files named in data must lie inside "
                "{folder}. Write it relative to that folder."
            ),
            fix=Fix(option="attachments_dir", to="choose the folder", alternative=True),
            values=named,
        )
    try:
        real = Path(os.path.realpath(base / text))
    except OSError:  # a symbolic link came or went while it was being followed
        raise InputError(
            f"The attachment {text!r} named in this row changed while it was being checked, so it is not read."
        ) from None
    if real != base and base not in real.parents:
        raise InputError(
            N_(
                "The attachment {name} named in this row leads outside the attachments folder {folder} (through "
                "'..' or a symbolic link), so it is not read. Put the file in that folder."
            ),
            fix=Fix(option="attachments_dir", alternative=True),
            values=named,
        )
    return real


def read_file(
    path: Path,
    label: str | Phrase,
    max_bytes: int | None = None,
    fix: Fix | None = None,
    *,
    image: bool = False,
    beneath: Path | None = None,
) -> bytes:
    """The bytes of a regular file the user named; :class:`InputError` saying why when it cannot be read.

    A file over ``max_bytes`` (the gateway's limit, or with ``image`` the most mmsnb reads of an image)
    is refused from its size alone, without reading it (``fix`` says what would help). With ``beneath``
    (the real folder a data column's ``path`` was checked to lie in, see :func:`inside`), the file is
    opened from that folder one name at a time, following no symbolic link, and a hard link is refused:
    what is read is what was opened, whatever is swapped in meanwhile.
    """
    try:
        descriptor = _open_beneath(beneath, path) if beneath is not None else os.open(path, _READ)
        try:
            found = os.fstat(descriptor)  # what was opened, not what the path names now
            if not stat.S_ISREG(found.st_mode):
                raise InputError(
                    N_("{label} is not a regular file (a folder, device or pipe): name a file."),
                    values={"label": label},
                )
            if beneath is not None and found.st_nlink > 1:
                raise InputError(
                    f"{label} is a hard link, which may be a file from outside {str(beneath)!r}, so it is not "
                    "read. Copy the file into the folder instead."
                )
            _check_size(found.st_size, label, max_bytes, fix, image)
        except BaseException:
            os.close(descriptor)
            raise
        with os.fdopen(descriptor, "rb") as file:
            data = file.read() if max_bytes is None else file.read(max_bytes + 1)
        _check_size(len(data), label, max_bytes, fix, image)  # it grew after it was measured
        return data
    except FileNotFoundError:
        raise InputError(N_("{label} does not exist: check the path."), values={"label": label}) from None
    except OSError as exc:
        if beneath is not None and exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise InputError(
                f"{label} changed while it was being read (a symbolic link or another file took its place), so "
                f"it is not read: files named in data are read only from inside {str(beneath)!r}."
            ) from None
        raise InputError(
            N_("{label} cannot be read ({why})."), values={"label": label, "why": exc.strerror or str(exc)}
        ) from None


_READ = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC  # a pipe does not block the open; fstat refuses it


def _open_beneath(base: Path, path: Path) -> int:
    """A descriptor of ``path`` opened from ``base`` name by name, none of them a symbolic link (an
    :class:`OSError` with ``ELOOP`` or ``ENOTDIR`` when one is)."""
    names = path.relative_to(base).parts
    descriptor = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for n, name in enumerate(names):
            folder = 0 if n == len(names) - 1 else os.O_DIRECTORY
            opened = os.open(name, _READ | os.O_NOFOLLOW | folder, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = opened
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def _check_size(size: int, label: str | Phrase, max_bytes: int | None, fix: Fix | None, image: bool) -> None:
    """:class:`InputError` when a file of ``size`` bytes is over ``max_bytes``."""
    if max_bytes is not None and size > max_bytes:
        what = Phrase(N_("{label} is"), {"label": label})
        if image:
            raise too_large_to_read(size, max_bytes, what)
        raise too_large(size, max_bytes, what, fix=fix)
