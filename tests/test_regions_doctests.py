"""The Examples sections of minplus.regions run and give what they show."""

import doctest
import importlib

import pytest

MODULES = ["region_map", "grid", "superpixels", "from_labels", "image_input", "drawing", "parse"]


@pytest.mark.parametrize("module", MODULES)
def test_examples(module):
    mod = importlib.import_module(f"minplus.regions.{module}")
    result = doctest.testmod(mod, extraglobs={"np": __import__("numpy")}, verbose=False)
    assert result.attempted > 0 and result.failed == 0
