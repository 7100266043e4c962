"""Infidelity (Yeh et al., NeurIPS 2019)."""

from __future__ import annotations

import time

import numpy as np

from ..arguments import choice, integer, real
from ._image_bank import ImageBank
from ._plumbing import as_map, baseline_of, bound, score_alphas, target_of
from ._results import MetricResult

PERTURBATIONS = ("square", "noise")


def infidelity(model, image, saliency, target=None, *, perturbation="square", samples=64,
               patch=4, noise=0.1, baseline="black", scaled=True, seed=0):
    """Infidelity (Yeh et al., NeurIPS 2019): ``E_I[(I . a - (f(x) - f(x - I)))^2]``, how badly
    the map ``a`` predicts the score change of random perturbations ``I``.

    Parameters
    ----------
    model, image, saliency, target
        As :func:`minplus.metrics.deletion`.
    perturbation : {"square", "noise"}
        "square": a random ``patch`` x ``patch`` square replaced by the baseline, so ``I`` is
        ``x - baseline`` on it (Yeh's square removal); "noise": ``I ~ N(0, noise^2)`` on every
        pixel and channel (image units).
    samples : int
        Perturbations drawn; all are scored in batches through one Binding.
    patch : int
        Square side, pixels.
    noise : float
        Noise standard deviation (image units: 255 for uint8 images).
    baseline : str or ndarray
        For "square" (see :mod:`minplus.baselines`).
    scaled : bool
        Scale the map by the least-squares optimal ``beta`` first, as Yeh et al.'s code does,
        so the figure does not depend on the map's units.
    seed : int

    Returns
    -------
    MetricResult
        ``value`` the infidelity (>= 0, lower is better); ``extra``: "predicted" (I . a),
        "observed" (f(x) - f(x - I)), "beta".

    Notes
    -----
    Quantus' ``Infidelity`` perturbs by a different scheme (cumulative patches in raster order
    over fixed patch sizes, no scaling); the two figures are not comparable.

    Examples
    --------
    >>> w = np.arange(16, dtype=np.float32).reshape(4, 4)
    >>> f = lambda x: (x[..., 0] * w).sum(axis=(1, 2))
    >>> r = infidelity(f, np.ones((4, 4, 1), np.float32), w, samples=8, patch=2)
    >>> round(r.value, 9)      # a linear model's gradient is exactly faithful
    0.0
    """
    t0 = time.perf_counter()
    choice("perturbation", perturbation, PERTURBATIONS)
    binding, image = bound(model, image)
    tgt = target_of(target, binding)
    values = as_map(saliency, image.shape[:2])
    samples = integer("samples", samples, lo=1)
    rng = np.random.default_rng(integer("seed", seed, lo=0))
    H, W = values.shape
    x = image.astype(np.float64)
    if perturbation == "square":
        p = integer("patch", patch, lo=1, hi=min(H, W))
        base = baseline_of(image, baseline, seed=seed)
        diff = (x - base).sum(axis=2)
        ys, xs = rng.integers(0, H - p + 1, samples), rng.integers(0, W - p + 1, samples)
        inside = np.zeros((samples, H, W), bool)
        for i, (y0, x0) in enumerate(zip(ys, xs)):
            inside[i, y0:y0 + p, x0:x0 + p] = True
        predicted = (inside * (values * diff)[None]).sum(axis=(1, 2))
        scores, images = score_alphas(binding, image, base,
                                      lambda a, b: (~inside[a:b]).astype(np.float32), samples,
                                      tgt)
    else:
        sd = real("noise", noise, lo=0.0, lo_open=True)
        perturb = rng.normal(0.0, sd, (samples,) + image.shape)
        bank = ImageBank(image, x[None] - perturb)
        # what the model sees: a uint8 image rounds the perturbed pixels
        perturb = x[None] - bank.images.astype(np.float64)
        predicted = (perturb.sum(axis=3) * values[None]).sum(axis=(1, 2))
        ev = binding.evaluation(bank)
        scores, images = tgt(ev.scores(np.arange(samples))), ev.images
    observed = tgt.score - scores
    beta = 1.0
    if scaled and np.dot(predicted, predicted) > 0:
        beta = float(np.dot(predicted, observed) / np.dot(predicted, predicted))
    value = float(np.mean((beta * predicted - observed) ** 2))
    return MetricResult("infidelity", value, higher_is_better=False, evaluations=images + 1,
                        seconds=time.perf_counter() - t0,
                        extra={"predicted": predicted, "observed": observed, "beta": beta,
                               "perturbation": perturbation, "samples": samples,
                               "target": tgt.label})
