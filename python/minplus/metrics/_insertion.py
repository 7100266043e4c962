"""Insertion: the target score as the most relevant pixels (or regions) are revealed."""

from __future__ import annotations

import numpy as np  # noqa: F401  (the Examples use it)

from ._curve import perturbation_curve


def insertion(model, image, saliency, target=None, *, regions=None, steps=50,
              pixels_per_step=None, baseline="blur", order="morf", sigma=None, seed=0):
    """Insertion curve and its area (Petsiuk et al., BMVC 2018): start from the baseline (a blur
    of the image by default, as the paper) and reveal pixels ranked by a map (or regions ranked
    by region values) step by step, scoring each step.

    Parameters and batching as :func:`minplus.metrics.deletion`; ``order="morf"`` reveals the
    most relevant first.

    Returns
    -------
    MetricResult
        ``value``: the area under the curve over the fraction revealed in [0, 1] (higher is
        better for "morf"); ``curve``: x = fraction revealed, y = target scores.

    Notes
    -----
    Quantus 0.6 has no insertion metric.

    Examples
    --------
    >>> w = np.arange(16, dtype=np.float32).reshape(4, 4)
    >>> img = np.ones((4, 4, 1), np.float32)
    >>> r = insertion(lambda x: (x[..., 0] * w).sum(axis=(1, 2)), img, w, steps=4,
    ...               baseline="black")
    >>> r.curve.y.tolist(), r.value
    ([0.0, 54.0, 92.0, 114.0, 120.0], 80.0)
    """
    return perturbation_curve("insertion", model, image, saliency, target, regions=regions,
                              steps=steps, pixels_per_step=pixels_per_step, baseline=baseline,
                              order=order, sigma=sigma, seed=seed)
