"""The sensitivity engine shared by max- and avg-sensitivity (Yeh et al., NeurIPS 2019): the
explanation of inputs perturbed by uniform noise, against the explanation of the input."""

from __future__ import annotations

import time

import numpy as np

from ..arguments import integer, real
from ..errors import ArgumentError, ShapeError
from ..masking import _as_image
from ._plumbing import as_map
from ._results import MetricResult

# Perturbed images explained per explainer call: batched methods see full batches, and memory
# stays O(chunk * H * W * C).
_CHUNK = 32


def explain_batch(explainer, model, images: np.ndarray, target) -> np.ndarray:
    """(B, H, W) float64 maps of ``explainer(model, images (B, H, W, C), target)``, which may
    return a list of SaliencyMaps, a (B, H, W) or a (B, H, W, C) array."""
    out = explainer(model, images, target)
    if isinstance(out, (list, tuple)):
        maps = np.stack([as_map(m, images.shape[1:3], "an explanation") for m in out])
    else:
        maps = np.asarray(getattr(out, "map", out), np.float64)
        if maps.ndim == 4:
            maps = maps.sum(axis=3)
    if maps.shape != images.shape[:3]:
        raise ShapeError(f"the explainer returned maps of shape {maps.shape} for images of shape "
                         f"{images.shape}; expected {images.shape[:3]}")
    return maps


def sensitivity(name, reduce, model, image, explainer, target=None, *, saliency=None,
                samples=50, radius=0.2, seed=0) -> MetricResult:
    """Sensitivity of ``explainer``'s maps; see :func:`minplus.metrics.max_sensitivity`."""
    t0 = time.perf_counter()
    if not callable(explainer):
        raise ArgumentError(f"explainer must be callable as explainer(model, images, target), "
                            f"got {type(explainer).__name__}")
    image = _as_image(np.asarray(image))
    x = image.astype(np.float32)
    samples = integer("samples", samples, lo=1)
    radius = real("radius", radius, lo=0.0, lo_open=True)
    calls = 0
    if saliency is None:
        first = explainer(model, x, target)
        saliency, calls = first, 1
        found = getattr(first, "target", None)
        if target is None and isinstance(found, (int, np.integer)):
            # explain every perturbed input for the class explained on the input, as Quantus
            # does with its fixed labels (other targets must be given explicitly)
            target = int(found)
    a = as_map(saliency, x.shape[:2])
    rng = np.random.RandomState(integer("seed", seed, lo=0))
    H, W, C = x.shape
    ratios = np.empty(samples)
    denominator = np.linalg.norm(a.reshape(-1))
    for s0 in range(0, samples, _CHUNK):
        s1 = min(samples, s0 + _CHUNK)
        # drawn channel-first, one sample at a time, as Quantus perturbs its (1, C, H, W) input
        noise = np.stack([rng.uniform(-radius, radius, size=(1, C * H * W)).reshape(C, H, W)
                          for _ in range(s1 - s0)]).transpose(0, 2, 3, 1)
        maps = explain_batch(explainer, model, (x[None] + noise).astype(np.float32), target)
        calls += s1 - s0
        diff = np.linalg.norm((maps - a[None]).reshape(s1 - s0, -1), axis=1)
        ratios[s0:s1] = diff / denominator if denominator > 0 else np.inf
    return MetricResult(name, float(reduce(ratios)), higher_is_better=False, evaluations=calls,
                        seconds=time.perf_counter() - t0,
                        extra={"ratios": ratios, "samples": samples, "radius": radius,
                               "target": target})
