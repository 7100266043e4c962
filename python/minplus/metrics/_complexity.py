"""Complexity: the entropy of a map (Bhatt et al., IJCAI 2020)."""

from __future__ import annotations

import time

import numpy as np

from ._plumbing import as_map
from ._results import MetricResult


def complexity(saliency):
    """The Shannon entropy (nats) of the map's fractional contributions ``p = |a| / sum |a|``.

    Parameters
    ----------
    saliency : SaliencyMap or (H, W) array

    Returns
    -------
    MetricResult
        ``value`` in [0, log n] (lower = simpler); 0 for an all-zero map.

    Notes
    -----
    Agrees with Quantus' ``Complexity`` (which adds 1e-12 inside the log and sums a float32
    map in float32) to 1e-6.

    Examples
    --------
    >>> round(complexity(np.ones((2, 2))).value, 6), complexity(np.eye(2) * [1, 0]).value
    (1.386294, 0.0)
    """
    t0 = time.perf_counter()
    a = np.abs(as_map(saliency)).reshape(-1)
    total = a.sum()
    p = a[a > 0] / total if total > 0 else a[:0]
    value = float(-(p * np.log(p)).sum()) + 0.0
    return MetricResult("complexity", value, higher_is_better=False,
                        seconds=time.perf_counter() - t0)
