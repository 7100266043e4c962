"""What a test needs from the machine: ``need(module)`` for a declared dependency, ``missing``
for anything else (a browser). Missing, it skips the test on a developer's machine and fails
it under CI (``CI`` set, as .ci/run does): a broken install step must not pass as skipped
tests."""

from __future__ import annotations

import importlib
import os

import pytest


def missing(message: str):
    """Fail the test under CI, skip it elsewhere, saying what is missing."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def need(name: str):
    """The imported module ``name``; without it, a skip locally and a failure in CI."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        missing(f"{name} is a declared dependency and does not import: {e}")
