"""Sparseness: the Gini index of a map (Chalasani et al., ICML 2020)."""

from __future__ import annotations

import time

import numpy as np

from ._plumbing import as_map
from ._results import MetricResult


def sparseness(saliency):
    """The Gini index of ``|a|``: 0 for a uniform map, ``1 - 1/n`` for a single spike.

    ``G = sum_i (2 i - n - 1) a_(i) / (n sum_i a_(i))`` over the n values sorted ascending
    (i = 1..n).

    Parameters
    ----------
    saliency : SaliencyMap or (H, W) array

    Returns
    -------
    MetricResult
        ``value`` in [0, 1) (higher = sparser); 0 for an all-zero map.

    Notes
    -----
    Quantus' ``Sparseness`` adds 1e-7 to every (max-normalised) value before the index, which
    moves it by less than 1e-5 on a map with no near-zero total (tests/test_metrics_quantus.py).

    Examples
    --------
    >>> sparseness(np.ones((2, 2))).value, sparseness(np.array([[0, 0], [0, 5.0]])).value
    (0.0, 0.75)
    """
    t0 = time.perf_counter()
    a = np.sort(np.abs(as_map(saliency)).reshape(-1))
    n, total = len(a), a.sum()
    value = 0.0 if total == 0 else float(((2 * np.arange(1, n + 1) - n - 1) * a).sum()
                                         / (n * total))
    return MetricResult("sparseness", value, higher_is_better=True,
                        seconds=time.perf_counter() - t0)
