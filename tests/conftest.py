"""Fixtures shared by several test modules (a module's own fixture of the same name wins)."""

import pytest

from whitebox_nets import SmallCNN, astronaut


@pytest.fixture(scope="module")
def net():
    """The white-box tests' small CNN, in eval mode."""
    return SmallCNN().eval()


@pytest.fixture(scope="module")
def image():
    """The astronaut's face, (32, 32, 3) uint8."""
    return astronaut(32)
