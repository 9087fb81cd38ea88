"""Renamed modules: each old import path still works, with a DeprecationWarning that names the new one."""

import importlib
import subprocess
import sys

import pytest

RENAMED = {
    "mmsnb.numbers": ("mmsnb.phones", "normalize"),
    "mmsnb.answers": ("mmsnb.gateway_answers", "parse_limit"),
    "mmsnb.results": ("mmsnb.result_columns", "SendState"),
    "mmsnb.statuses": ("mmsnb.delivery_statuses", "describe"),
    "mmsnb.report": ("mmsnb.tables", "summary"),
    "mmsnb.ledger.book": ("mmsnb.ledger.journal", "Ledger"),
    "mmsnb.ledger.where": ("mmsnb.ledger.location", "locate"),
}


@pytest.mark.parametrize("old", sorted(RENAMED))
def test_old_path_warns_with_the_new_one_and_gives_the_same_object(old):
    new, name = RENAMED[old]
    with pytest.warns(DeprecationWarning, match=rf"{old} is now {new}: import {name} from {new}"):
        value = getattr(importlib.import_module(old), name)
    assert value is getattr(importlib.import_module(new), name)


def test_from_import_of_an_old_path_warns_at_the_callers_line():
    code = "import warnings\nwarnings.simplefilter('error')\nfrom mmsnb.numbers import normalize\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert 'File "<string>", line 3' in done.stderr
    assert "DeprecationWarning: mmsnb.numbers is now mmsnb.phones: import normalize from mmsnb.phones" in done.stderr


def test_an_old_path_has_no_name_the_new_one_lacks():
    with pytest.raises(ImportError):
        from mmsnb.numbers import nothing_here  # noqa: F401


def test_the_new_modules_do_not_shadow_the_standard_library():
    import numbers

    import mmsnb.phones

    assert numbers.__file__ != mmsnb.phones.__file__ and hasattr(numbers, "Number")
