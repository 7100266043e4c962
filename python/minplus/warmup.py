"""minplus.warmup: pay the one-off costs of a process before the first timed search."""

from __future__ import annotations

import time

import numpy as np


def warmup() -> float:
    """Start the native core's thread pool and touch every path of a search once, so that the
    first real search costs what later ones do. Returns the seconds it took (a few ms).

    The first search in a process otherwise pays for OpenMP's thread start, the first touch of
    the render buffers and the lazy imports of the driver (about 4x a warm search of 1,664
    cheap queries; see benchmarks/RESULTS.md).

    Examples
    --------
    >>> warmup() >= 0.0
    True
    """
    from . import _core
    from .masking import Masker
    from .search import search

    t = time.perf_counter()
    image = np.zeros((64, 64, 3), np.uint8)
    labels = (np.arange(64)[None, :] // 16).repeat(64, 0).astype(np.int32)
    masker = Masker(image, labels, baseline="black")
    masker.render(np.arange(16, dtype=np.uint64), num_threads=_core.max_threads())
    search(lambda x: x.reshape(len(x), -1).mean(axis=1), masker, lambda s: s[:, 0] >= 0,
           batch_size=16, progress=False)
    return time.perf_counter() - t
