"""Relevance mass accuracy (Arras et al., Information Fusion 2022)."""

from __future__ import annotations

import time

import numpy as np

from ._localisation import map_and_mask
from ._results import MetricResult


def relevance_mass_accuracy(saliency, mask):
    """The share of the map's relevance inside the ground-truth mask: ``sum(a on mask) /
    sum(a)``.

    Parameters
    ----------
    saliency : SaliencyMap or (H, W) array
        Arras et al. take positive relevance: pass a non-negative map (e.g. ``abs``) for their
        definition; a signed map gives Quantus' (its default ``abs=False``).
    mask : (H, W) bool array

    Returns
    -------
    MetricResult
        ``value`` (in [0, 1] for a non-negative map; higher is better; NaN when sum(a) = 0).

    Notes
    -----
    Agrees with Quantus' ``RelevanceMassAccuracy`` (tests/test_metrics_quantus.py).

    Examples
    --------
    >>> sal = np.array([[3.0, 1.0], [0.0, 0.0]])
    >>> relevance_mass_accuracy(sal, np.array([[True, False], [True, False]])).value
    0.75
    """
    t0 = time.perf_counter()
    values, m = map_and_mask(saliency, mask)
    total = values.sum()
    value = float(values[m].sum() / total) if total != 0 else np.nan
    return MetricResult("relevance_mass_accuracy", value, higher_is_better=True,
                        seconds=time.perf_counter() - t0)
