"""The random-logit test (Sixt et al., ICML 2020)."""

from __future__ import annotations

import time

import numpy as np

from ..arguments import integer
from ..errors import ArgumentError, TargetError
from ..masking import _as_image
from ._plumbing import as_map
from ._results import MetricResult
from ._similarity import SIMILARITIES, similarity


def random_logit(model, image, explainer, target=None, *, num_classes=None, similarity_of="ssim",
                 seed=42):
    """Similarity of the map of the explained class to the map of a random other class: a
    class-sensitive explanation gives a low similarity.

    Parameters
    ----------
    model
        What ``explainer`` takes; a minplus Model is also run once to count its classes when
        ``num_classes`` is not given.
    image : (H, W, C) uint8 or float32 ndarray
    explainer : callable
        ``explainer(model, image, target)`` -> SaliencyMap or (H, W) map.
    target : int, optional
        The explained class; None takes the one the explainer explains.
    num_classes : int, optional
    similarity_of : {"ssim", "spearman", "hog"}
        See :func:`minplus.metrics._similarity.similarity`.
    seed : int
        The other class is the ``np.random.RandomState(seed).randint(0, num_classes - 1)``-th
        of the classes other than ``target``, as Quantus picks it.

    Returns
    -------
    MetricResult
        ``value`` the similarity (lower is better); ``extra["other_class"]``.

    Notes
    -----
    Quantus' ``RandomLogit`` takes SSIM on the flattened maps; with
    ``similarity_func=correlation_spearman`` it agrees with ``similarity_of="spearman"``.

    Examples
    --------
    >>> w = np.stack([np.eye(4), np.eye(4)[::-1]])       # class 0 and class 1 look at diagonals
    >>> explain = lambda model, x, t: w[t]
    >>> r = random_logit(None, np.zeros((4, 4, 1), np.float32), explain, target=0,
    ...                  num_classes=2, similarity_of="spearman")
    >>> r.extra["other_class"], round(r.value, 3)
    (1, -0.333)
    """
    t0 = time.perf_counter()
    if similarity_of not in SIMILARITIES:
        raise ArgumentError(f"similarity_of must be one of {SIMILARITIES}, got "
                            f"{similarity_of!r}")
    image = _as_image(np.asarray(image))
    first = explainer(model, image, target)
    if target is None:
        target = getattr(first, "target", None)
    if not isinstance(target, (int, np.integer)) or isinstance(target, bool):
        raise TargetError(f"the random-logit test needs an int class target, got {target!r}")
    if num_classes is None:
        from ..models.base import Model

        if not isinstance(model, Model):
            raise ArgumentError("pass num_classes= (the model is not a minplus Model to count "
                                "its outputs)")
        num_classes = model(image).shape[-1]
    num_classes = integer("num_classes", num_classes, lo=2)
    if not 0 <= int(target) < num_classes:
        raise TargetError(f"target {target} is out of range for {num_classes} classes")
    others = [c for c in range(num_classes) if c != int(target)]
    other = others[np.random.RandomState(integer("seed", seed, lo=0)).randint(
        0, num_classes - 1)]
    a = as_map(first, image.shape[:2])
    b = as_map(explainer(model, image, other), image.shape[:2])
    return MetricResult("random_logit", similarity(similarity_of, a, b), higher_is_better=False,
                        evaluations=2, seconds=time.perf_counter() - t0,
                        extra={"target": int(target), "other_class": int(other),
                               "similarity": similarity_of})
