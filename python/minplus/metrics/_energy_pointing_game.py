"""The energy-based pointing game (Wang et al., Score-CAM, CVPRW 2020)."""

from __future__ import annotations

import time

import numpy as np

from ._localisation import map_and_mask
from ._results import MetricResult


def energy_pointing_game(saliency, mask):
    """The share of the map's positive energy inside the ground-truth mask:
    ``sum(max(a, 0) on mask) / sum(max(a, 0))``.

    Parameters
    ----------
    saliency : SaliencyMap or (H, W) array
    mask : (H, W) bool array

    Returns
    -------
    MetricResult
        ``value`` in [0, 1] (higher is better; NaN for a map with no positive value).

    Notes
    -----
    Quantus 0.6 has no energy pointing game; its ``RelevanceMassAccuracy`` is the same ratio on
    the signed map (see :func:`minplus.metrics.relevance_mass_accuracy`).

    Examples
    --------
    >>> sal = np.array([[3.0, 1.0], [-2.0, 0.0]])
    >>> energy_pointing_game(sal, np.array([[True, False], [True, False]])).value
    0.75
    """
    t0 = time.perf_counter()
    values, m = map_and_mask(saliency, mask)
    pos = values.clip(min=0.0)
    total = pos.sum()
    value = float(pos[m].sum() / total) if total > 0 else np.nan
    return MetricResult("energy_pointing_game", value, higher_is_better=True,
                        seconds=time.perf_counter() - t0)
