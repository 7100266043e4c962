"""Max-sensitivity (Yeh et al., NeurIPS 2019)."""

from __future__ import annotations

import numpy as np

from ._sensitivity import sensitivity


def max_sensitivity(model, image, explainer, target=None, *, saliency=None, samples=50,
                    radius=0.2, seed=0):
    """Max-sensitivity: ``max_s ||e(x + n_s) - e(x)|| / ||e(x)||`` over ``samples`` uniform
    noises ``n_s ~ U(-radius, radius)`` on every pixel and channel.

    Parameters
    ----------
    model
        What ``explainer`` takes (a torch module for the white-box methods, any adapter for the
        black-box ones); the metric itself never runs it.
    image : (H, W, C) uint8 or float32 ndarray
        Perturbed in float32, in image units (``radius`` 0.2 suits images in [0, 1]).
    explainer : callable
        ``explainer(model, images (B, H, W, C) float32, target)`` -> a list of SaliencyMaps or
        (B, H, W) maps: any saliency method of :mod:`minplus.saliency` (``saliency``,
        ``occlusion``, ...), or a function wrapping one with options. It is handed the
        perturbed images in batches.
    target : int or target spec, optional
        The explained class; None takes the one ``explainer`` explains on the input.
    saliency : SaliencyMap or (H, W) array, optional
        The input's explanation, when already computed (else computed here).
    samples : int
    radius : float
    seed : int
        Noise from ``np.random.RandomState(seed)``, one (1, C * H * W) channel-first draw per
        sample, as Quantus draws from the global generator.

    Returns
    -------
    MetricResult
        ``value`` (lower is better); ``extra["ratios"]`` (samples,);
        ``evaluations`` = explanations computed.

    Notes
    -----
    Agrees with Quantus' ``MaxSensitivity`` (Frobenius norms, ``difference``,
    ``return_nan_when_prediction_changes=False``) at equal seed and explainer
    (tests/test_metrics_quantus.py).

    Examples
    --------
    >>> explain = lambda model, x, target: x.sum(axis=-1)    # the map is the image itself
    >>> img = np.ones((4, 4, 1), np.float32)
    >>> r = max_sensitivity(None, img, explain, samples=10, radius=0.1)
    >>> bool(0 < r.value <= 0.1), r.evaluations
    (True, 11)
    """
    return sensitivity("max_sensitivity", np.max, model, image, explainer, target,
                       saliency=saliency, samples=samples, radius=radius, seed=seed)
