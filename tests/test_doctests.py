"""Every Examples section in minplus' docstrings runs and gives what it shows."""

import doctest
import importlib
import pkgutil

import pytest

import minplus

MODULES = sorted(m.name for m in pkgutil.walk_packages(minplus.__path__, "minplus.")
                 if not m.name.endswith("__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
