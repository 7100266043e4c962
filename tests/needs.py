"""``need(module)``: a declared dependency a test imports. Missing, it skips the test on a
developer's machine and fails it under CI (``CI`` set, as .ci/run does): a broken install step
must not pass as skipped tests."""

from __future__ import annotations

import importlib
import os

import pytest


def need(name: str):
    """The imported module ``name``; without it, a skip locally and a failure in CI."""
    if os.environ.get("CI"):
        try:
            return importlib.import_module(name)
        except ImportError as e:
            pytest.fail(f"{name} is a declared dependency and is not importable in CI: {e}")
    return pytest.importorskip(name)
