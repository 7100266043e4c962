"""Deletion: the target score as the most relevant pixels (or regions) are removed."""

from __future__ import annotations

import numpy as np  # noqa: F401  (the Examples use it)

from ._curve import perturbation_curve


def deletion(model, image, saliency, target=None, *, regions=None, steps=50,
             pixels_per_step=None, baseline="black", order="morf", sigma=None, seed=0):
    """Deletion curve and its area (Petsiuk et al., BMVC 2018): remove pixels ranked by a map
    (or regions ranked by region values) step by step, replacing them by the baseline, and
    score each step.

    Every step is an alpha map (1 = image, 0 = baseline) rendered by the fused core straight
    into the model's input; all steps are scored in batches through one
    :class:`~minplus.evaluate.Binding`.

    Parameters
    ----------
    model : Model, callable or Binding
        Any adapter of :mod:`minplus.models` or ``fn(images (B, H, W, C)) -> scores (B, D)``.
    image : (H, W, C) or (H, W) uint8 or float32 ndarray
    saliency : SaliencyMap, (H, W) array, or region values
        The map ranking pixels (an (H, W, C) attribution is summed over channels); with
        ``regions``, the region values: a region method's SaliencyMap (its ``.regions``), a
        ``{name: value}`` dict or an (n,) array.
    target : int, callable, Decision, ClassTarget, VerificationTarget or None
        As for the saliency methods (None: the unmasked image's top score).
    regions : RegionMap or (H, W) int labels, optional
        Rank and remove whole regions (n + 1 steps) instead of pixels.
    steps : int
        Equal steps from none to all pixels (``steps + 1`` images with the unmasked one).
    pixels_per_step : int, optional
        Remove this many pixels per step instead (Quantus' ``features_in_step`` for C = 1).
    baseline : {"black", "blur", "mean", "gray", "noise"} or ndarray
        What removed pixels show (see :mod:`minplus.baselines`).
    order : {"morf", "lerf"}
        Most relevant first (the deletion game) or least relevant first.
    sigma, seed : passed to the blur and noise baselines.

    Returns
    -------
    MetricResult
        ``value``: the area under the curve, over the fraction removed in [0, 1], in score
        units (lower is better for "morf"); ``curve``: x = fraction removed (0 first),
        y = target scores; ``evaluations`` counts the unmasked image too.

    Notes
    -----
    Quantus' ``PixelFlipping`` on a one-channel image with ``features_in_step = k`` gives
    ``curve.y[1:]`` of ``pixels_per_step=k`` (its curve omits the unmasked point) and its AUC is
    ``trapezoid(curve.y[1:], dx=1)``, not normalised. On C channels Quantus ranks the C x H x W
    features of the map broadcast over channels (ties in an unstable sort), we rank pixels with
    ties in pixel order: the curves then differ in where a step splits a pixel's channels.

    Examples
    --------
    >>> w = np.arange(16, dtype=np.float32).reshape(4, 4)
    >>> img = np.ones((4, 4, 1), np.float32)
    >>> r = deletion(lambda x: (x[..., 0] * w).sum(axis=(1, 2)), img, w, steps=4)
    >>> r.curve.y.tolist(), r.value
    ([120.0, 66.0, 28.0, 6.0, 0.0], 40.0)
    """
    return perturbation_curve("deletion", model, image, saliency, target, regions=regions,
                              steps=steps, pixels_per_step=pixels_per_step, baseline=baseline,
                              order=order, sigma=sigma, seed=seed)
