"""Checks for scalar arguments, shared by every public entry: type first, then range.

Each raises an :class:`~minplus.errors.ArgumentTypeError` (a TypeError) for a value of the wrong
Python type and an :class:`~minplus.errors.ArgumentError` (a ValueError) for one out of range,
naming the argument and the value, before the value reaches numpy, pybind11 or OpenMP (where a
float would be truncated, a NaN cast to an integer, or a huge count allocated).
"""

from __future__ import annotations

import math

import numpy as np

from .errors import ArgumentError, ArgumentTypeError


def integer(name: str, value, lo: int | None = None, hi: int | None = None) -> int:
    """``value`` as a Python int, refusing bools, floats (even 3.0) and strings.

    Examples
    --------
    >>> integer("k", np.int64(3), lo=0)
    3
    >>> integer("count", 2.5)
    Traceback (most recent call last):
    ...
    minplus.errors.ArgumentTypeError: count must be an int, got float 2.5
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ArgumentTypeError(f"{name} must be an int, got {type(value).__name__} {value!r:.80}")
    v = int(value)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ArgumentError(f"{name} must be in [{'-inf' if lo is None else lo}, "
                            f"{'inf' if hi is None else hi}], got {v}")
    return v


def real(name: str, value, lo: float | None = None, hi: float | None = None,
         lo_open: bool = False, hi_open: bool = False) -> float:
    """``value`` as a finite Python float in [lo, hi] (open ends where asked); ints accepted.

    Examples
    --------
    >>> real("p", 1, lo=0.0, hi=1.0)
    1.0
    >>> real("sigma", float("nan"), lo=0.0)
    Traceback (most recent call last):
    ...
    minplus.errors.ArgumentError: sigma must be a finite number, got nan
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                     np.floating)):
        raise ArgumentTypeError(f"{name} must be a number, got {type(value).__name__} "
                                f"{value!r:.80}")
    v = float(value)
    if not math.isfinite(v):
        raise ArgumentError(f"{name} must be a finite number, got {v}")
    low_bad = lo is not None and (v <= lo if lo_open else v < lo)
    high_bad = hi is not None and (v >= hi if hi_open else v > hi)
    if low_bad or high_bad:
        raise ArgumentError(f"{name} must be in {'(' if lo_open else '['}"
                            f"{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}"
                            f"{')' if hi_open else ']'}, got {v}")
    return v


def choice(name: str, value, options: tuple):
    """``value`` if it is one of ``options`` (compared by equality, strings only), else an error.

    Examples
    --------
    >>> choice("layout", "hwc", ("hwc", "nchw"))
    'hwc'
    """
    if not isinstance(value, str):
        raise ArgumentTypeError(f"{name} must be one of {options}, got {type(value).__name__} "
                                f"{value!r:.80}")
    if value not in options:
        raise ArgumentError(f"{name} must be one of {options}, got {value!r:.80}")
    return value


# Largest image minplus works on: 50 megapixels, more than the photos of common cameras and
# phones (12-48 MP), about 150 MB as RGB uint8 (masking and baselines need a few times that).
# Image files are checked from their header before decoding (minplus.regions.image_file), and
# a Masker refuses a larger array, so every method that renders (explain, search, saliency)
# stays within it.
MAX_PIXELS = 50_000_000

# Largest array minplus allocates for a caller in one call (4 GiB). Larger requests (all of a
# level of C(64, 32) masks, a million RISE masks at once) are refused rather than left to the
# allocator, which may grant them lazily and kill the process when they are written.
MAX_ALLOC_BYTES = 4 * 2**30


def allocation(name: str, shape: tuple, dtype) -> tuple:
    """``shape`` if an array of it and ``dtype`` fits in MAX_ALLOC_BYTES, else ArgumentError.

    Examples
    --------
    >>> allocation("out", (3, 4), np.float32)
    (3, 4)
    """
    nbytes = int(np.prod([int(s) for s in shape], dtype=object)) * np.dtype(dtype).itemsize
    if nbytes > MAX_ALLOC_BYTES:
        raise ArgumentError(f"{name} would need an array of shape {tuple(shape)} "
                            f"({nbytes / 2**30:.3g} GiB), more than minplus allocates in one "
                            f"call ({MAX_ALLOC_BYTES // 2**30} GiB): ask for less at a time, or "
                            "pass out=")
    return tuple(shape)
