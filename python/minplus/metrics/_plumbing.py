"""Shared plumbing of the metrics: one way to bind a model, read a map, rank pixels and score a
stack of perturbations through the one evaluation loop (:mod:`minplus.evaluate`).

Every perturbation a metric makes is an alpha map (1 = the image, 0 = the baseline) rendered by
:class:`~minplus.saliency.indexed_maskers.AlphaMasker`, a region bitmask rendered by
:class:`minplus.Masker`, or a whole image held by :class:`.ImageBank`; the model only ever sees
full batches through :meth:`minplus.evaluate.Evaluation.scores`.
"""

from __future__ import annotations

import numpy as np

from ..arguments import choice, integer
from ..baselines import make_baseline
from ..errors import ArgumentError, ModelError, ShapeError
from ..evaluate import Binding
from ..masking import _as_image
from ..saliency.indexed_maskers import AlphaMasker
from ..saliency.perturbation import Target

ORDERS = ("morf", "lerf")
# Alpha maps built and scored per round: memory stays O(chunk * H * W) for any number of steps.
_CHUNK = 64


def bound(model, image) -> tuple[Binding, np.ndarray]:
    """(Binding of ``model`` to the image, the image as the maskers hold it), for one image; a
    Binding already made for this image is reused as is, so the unmasked image is scored once."""
    if isinstance(model, Binding):
        if image is not None and image is not model.image and not np.array_equal(
                np.asarray(image), model.image):
            raise ModelError("the Binding holds another image than the one given")
        return model, model.image
    image = _as_image(np.asarray(image))
    return Binding(model, image), image


def as_map(saliency, shape=None, name: str = "saliency") -> np.ndarray:
    """An (H, W) float64 map from a SaliencyMap, an (H, W) array or an (H, W, C) / (C, H, W)
    attribution (summed over channels, as the saliency methods sum them)."""
    a = getattr(saliency, "map", saliency)
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 3 and shape is not None and a.shape[:2] == tuple(shape):
        a = a.sum(axis=2)
    elif a.ndim == 3 and shape is not None and a.shape[1:] == tuple(shape):
        a = a.sum(axis=0)
    if a.ndim != 2 or (shape is not None and a.shape != tuple(shape)):
        raise ShapeError(f"{name} must be an (H, W) map of the image's {tuple(shape or ())}, got "
                         f"shape {a.shape}")
    if not np.isfinite(a).all():
        raise ArgumentError(f"{name} contains NaN or inf")
    return a


def rank_pixels(values: np.ndarray, order: str = "morf") -> np.ndarray:
    """Flat pixel indices in removal order: most relevant first ("morf") or least ("lerf");
    ties keep pixel order (a stable sort), so a run is reproducible on any machine.

    Examples
    --------
    >>> rank_pixels(np.array([[0.1, 0.9], [0.5, 0.9]])).tolist()
    [1, 3, 2, 0]
    """
    choice("order", order, ORDERS)
    flat = np.asarray(values, np.float64).reshape(-1)
    return np.argsort(-flat if order == "morf" else flat, kind="stable")


def step_counts(total: int, steps: int | None, per_step: int | None) -> np.ndarray:
    """Items perturbed after each step, 0 first and ``total`` last: ``per_step`` at a time, or
    ``steps`` equal steps.

    Examples
    --------
    >>> step_counts(10, None, 4).tolist(), step_counts(10, 4, None).tolist()
    ([0, 4, 8, 10], [0, 2, 5, 8, 10])
    """
    if per_step is not None:
        k = integer("pixels_per_step", per_step, lo=1)
        return np.r_[np.arange(0, total, k), total]
    s = integer("steps", 50 if steps is None else steps, lo=1)
    return np.unique(np.rint(np.linspace(0, total, min(s, total) + 1)).astype(np.int64))


def target_of(target, binding: Binding) -> Target:
    """The metric's target: the same specifications the saliency methods take."""
    return Target(target, binding.original)


def baseline_of(image: np.ndarray, baseline, sigma=None, seed: int = 0) -> np.ndarray:
    """The baseline array (computed once per metric, shared by every chunk it renders)."""
    return make_baseline(image, baseline, sigma=sigma, seed=seed)


def score_alphas(binding: Binding, image, base, alphas_of, count: int, target: Target):
    """Target scores (count,) of the images blending ``image`` with ``base`` by alpha maps
    ``alphas_of(start, stop) -> (stop - start, H, W)``; returns (scores, masked images scored)."""
    out = np.empty(count)
    images = 0
    for a in range(0, count, _CHUNK):
        b = min(count, a + _CHUNK)
        masker = AlphaMasker(image, alphas_of(a, b), baseline=base)
        ev = binding.evaluation(masker)
        out[a:b] = target(ev.scores(np.arange(b - a)))
        images += ev.images
    return out, images


def curve_area(x: np.ndarray, y: np.ndarray) -> float:
    """Trapezoid area under y(x)."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0))
