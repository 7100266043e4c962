"""The pointing game (Zhang et al., ECCV 2016)."""

from __future__ import annotations

import time

import numpy as np

from ..arguments import real
from ._localisation import map_and_mask
from ._results import MetricResult


def pointing_game(saliency, mask, *, tolerance=0.0):
    """Hit (1) when the map's maximum falls on the ground-truth mask, else miss (0).

    Parameters
    ----------
    saliency : SaliencyMap or (H, W) array
    mask : (H, W) bool array
        The ground truth, e.g. :func:`minplus.metrics.region_mask` of a face's region map.
    tolerance : float
        Pixels: a maximum within this distance of the mask also hits (Zhang et al. use 15 px).

    Returns
    -------
    MetricResult
        ``value`` 1.0 or 0.0; ``extra["maxima"]`` the (y, x) of the map's maxima.

    Notes
    -----
    Ties: it hits when any pixel holding the maximum value does, as Quantus' ``PointingGame``
    (``weighted=False``), with which it agrees at ``tolerance=0``.

    Examples
    --------
    >>> sal = np.zeros((4, 4)); sal[1, 2] = 1.0
    >>> mask = np.zeros((4, 4), bool); mask[0:2, 2:4] = True
    >>> pointing_game(sal, mask).value, pointing_game(sal, ~mask, tolerance=1).value
    (1.0, 1.0)
    """
    t0 = time.perf_counter()
    values, m = map_and_mask(saliency, mask)
    tol = real("tolerance", tolerance, lo=0.0)
    maxima = np.argwhere(values == values.max())
    near = m
    if tol > 0:
        from scipy.ndimage import distance_transform_edt

        near = distance_transform_edt(~m) <= tol
    hit = bool(near[maxima[:, 0], maxima[:, 1]].any())
    return MetricResult("pointing_game", float(hit), higher_is_better=True,
                        seconds=time.perf_counter() - t0,
                        extra={"maxima": maxima, "tolerance": tol})
