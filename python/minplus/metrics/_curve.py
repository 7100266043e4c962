"""The deletion / insertion engine (Petsiuk et al., BMVC 2018): one curve of target scores as
pixels (ranked by a map) or regions (ranked by region values) are removed from, or revealed on,
the baseline, in steps; every step is one image of one batched stream.
"""

from __future__ import annotations

import time

import numpy as np

from ..arguments import choice
from ..errors import RegionError
from ..saliency.perturbation import region_masker
from ._plumbing import (as_map, baseline_of, bound, curve_area, rank_pixels, score_alphas,
                        step_counts, target_of)
from ._results import Curve, MetricResult

KINDS = ("deletion", "insertion")


def _region_values(saliency, names) -> np.ndarray:
    """(n,) values of the regions, from a {name: value} dict, an (n,) array or a SaliencyMap
    with ``regions``."""
    values = getattr(saliency, "regions", None) if hasattr(saliency, "map") else saliency
    if values is None:
        raise RegionError("ranking regions needs region values: a SaliencyMap of a region "
                          "method (its .regions), a {name: value} dict or an (n,) array")
    if isinstance(values, dict):
        missing = [n for n in names if n not in values]
        if missing:
            raise RegionError(f"region values lack {missing}; regions are {names}")
        return np.array([float(values[n]) for n in names])
    values = np.asarray(values, np.float64).reshape(-1)
    if len(values) != len(names):
        raise RegionError(f"{len(values)} region values for {len(names)} regions")
    return values


def perturbation_curve(kind, model, image, saliency, target=None, *, regions=None, steps=None,
                       pixels_per_step=None, baseline="black", order="morf", sigma=None,
                       seed=0) -> MetricResult:
    """The deletion or insertion curve; see :func:`minplus.metrics.deletion`."""
    choice("kind", kind, KINDS)
    t0 = time.perf_counter()
    binding, image = bound(model, image)
    tgt = target_of(target, binding)
    delete = kind == "deletion"
    if regions is not None:
        masker, _, names = region_masker(image, regions, None, baseline_of(
            image, baseline, sigma, seed))
        ranked = rank_pixels(_region_values(saliency, names), order)
        counts = np.arange(len(names) + 1)
        full = (1 << len(names)) - 1
        prefix = np.zeros(len(names) + 1, np.uint64)
        for i, r in enumerate(ranked):
            prefix[i + 1] = prefix[i] | np.uint64(1 << int(r))
        masks = (np.uint64(full) & ~prefix) if delete else prefix
        # the step showing every region is the unmasked image, already scored by the binding
        todo = np.flatnonzero(masks != np.uint64(full))
        y = np.full(len(masks), tgt.score)
        ev = binding.evaluation(masker)
        if len(todo):
            y[todo] = tgt(ev.scores(masks[todo]))
        images, unit = ev.images, "regions"
        extra = {"order_of_regions": [names[int(r)] for r in ranked]}
    else:
        values = as_map(saliency, image.shape[:2])
        rank = np.empty(values.size, np.int64)
        rank[rank_pixels(values, order)] = np.arange(values.size)
        rank = rank.reshape(values.shape)
        counts = step_counts(values.size, steps, pixels_per_step)

        # the step showing every pixel is the unmasked image, already scored by the binding
        whole = 0 if delete else len(counts) - 1
        todo = np.delete(counts, whole)

        def alphas(a, b):
            c = todo[a:b, None, None]
            # a pixel shows the image while its rank is past the removed count (deletion) or
            # within the revealed count (insertion)
            return ((rank[None] >= c) if delete else (rank[None] < c)).astype(np.float32)

        scored, images = score_alphas(binding, image, baseline_of(image, baseline, sigma, seed),
                                      alphas, len(todo), tgt)
        y = np.insert(scored, whole, tgt.score)
        unit, extra = "pixels", {}
    x = counts / counts[-1]
    auc = curve_area(x, y)
    extra.update({"kind": kind, "order": order, "unit": unit, "counts": counts,
                  "baseline": baseline if isinstance(baseline, str) else "array",
                  "original_score": tgt.score, "target": tgt.label})
    # Deleting the most relevant first should drop the score fast (low area); revealing them
    # first should raise it fast (high area). LeRF reverses both.
    higher = (not delete) == (order == "morf")
    return MetricResult(kind, auc, higher_is_better=higher,
                        curve=Curve(x, y, f"fraction of {unit} {'removed' if delete else 'shown'}"),
                        evaluations=images + 1, seconds=time.perf_counter() - t0, extra=extra)
