"""Shared plumbing of the black-box (perturbation) saliency methods.

Every method follows ``method(model, image, target=..., **options) -> SaliencyMap``: the model is
anything :func:`minplus.models.base.as_model` accepts. :func:`run` binds it to each image once (a
:class:`minplus.evaluate.Binding`), and every batch is scored through the one evaluation loop,
:class:`minplus.evaluate.Evaluation`, so the Masker (or one of the index maskers of
:mod:`minplus.saliency.indexed_maskers`) renders into the model's input. This module resolves
the target, validates region inputs, scores mask batches with progress, and runs a method over a
batch of images.
"""

from __future__ import annotations

import time

import numpy as np
from tqdm.auto import tqdm

from ..errors import RegionError, ShapeError, TargetError
from ..evaluate import Binding
from ..masking import Masker, _as_image
from .saliency_map import SaliencyMap

# Masks scored per Evaluation.scores call when showing progress: large enough that the
# adapter's own batching, not this loop, sets the model's batch size.
_PROGRESS_CHUNK = 1024


class Target:
    """What a method explains: a score per image, from the model's (B, D) scores.

    Parameters
    ----------
    spec : int, callable, target object, Decision or None
        An index into the score vector; a callable ``scores (B, D) -> (B,)``; a Decision (its
        :func:`~minplus.saliency.targets.decision_target`); a white-box target
        (:class:`~minplus.saliency.targets.ClassTarget`, ``VerificationTarget``: anything with
        ``check`` and ``score`` on torch tensors), applied to the scores as a tensor; or None for
        the argmax of the unmasked image's scores.
    unmasked : (D,) float64 ndarray
        Scores of the unmasked image.
    """

    def __init__(self, spec, unmasked: np.ndarray):
        from ..models.decision import Decision

        D = unmasked.shape[-1]
        if isinstance(spec, Decision):
            from .targets import decision_target

            spec = decision_target(spec)
        if spec is None:
            spec = int(np.argmax(unmasked))
        if hasattr(spec, "score") and hasattr(spec, "check"):
            import torch

            spec.check(torch.from_numpy(unmasked[None]))
            target = spec
            self.fn = lambda s: target.score(torch.from_numpy(s)).numpy()
            self.label = spec.describe() if hasattr(spec, "describe") else repr(spec)
        elif callable(spec):
            self.fn, self.label = spec, getattr(spec, "__name__", repr(spec))
        elif isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
            if not 0 <= int(spec) < D:
                raise TargetError(f"target={int(spec)} is out of range for a model with D={D} "
                                  "scores")
            index = int(spec)
            self.fn, self.label = (lambda s: s[:, index]), index
        else:
            raise TargetError(f"target must be an int, a callable or None, got "
                              f"{type(spec).__name__}")
        self.score = float(self(unmasked[None])[0])

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        out = np.asarray(self.fn(scores), dtype=np.float64)
        if out.shape != (len(scores),):
            raise TargetError(f"the target callable returned shape {out.shape} for scores of "
                              f"shape {scores.shape}; expected ({len(scores)},)")
        return out


def score(binding: Binding, masker, masks: np.ndarray, target: Target, progress: bool = False,
          desc: str = "") -> np.ndarray:
    """Target scores (B,) float64 of the images ``masker`` renders for ``masks`` (B,) uint64,
    through the evaluation loop of the model ``binding`` binds to the image."""
    masks = np.asarray(masks, dtype=np.uint64)
    ev = binding.evaluation(masker)
    if not progress or len(masks) <= _PROGRESS_CHUNK:
        return target(ev.scores(masks))
    out = np.empty(len(masks))
    with tqdm(total=len(masks), desc=desc, unit="eval", leave=False) as bar:
        for i in range(0, len(masks), _PROGRESS_CHUNK):
            chunk = masks[i:i + _PROGRESS_CHUNK]
            out[i:i + len(chunk)] = target(ev.scores(chunk))
            bar.update(len(chunk))
    return out


def region_labels(regions, names, shape) -> tuple[np.ndarray, list[str], str]:
    """(labels (H, W) int32, names, context) from a RegionMap-like object or a labels array.

    A RegionMap-like object has ``labels`` and optionally ``names`` and ``context``. For a plain
    array, n = len(names) when names are given (regions may be empty), else labels.max() + 1 with
    names "r0", "r1", .... Raises ShapeError when the labels do not match the image and
    RegionError when the names do not match the regions.
    """
    context = "keep"
    if hasattr(regions, "labels"):
        if names is None:
            names = getattr(regions, "names", None)
        context = getattr(regions, "context", context) or context
        regions = regions.labels
    labels = np.asarray(regions)
    if labels.dtype.kind not in "iu":
        raise RegionError(f"regions must be an integer label map, got dtype {labels.dtype}")
    if labels.shape != tuple(shape):
        raise ShapeError(f"regions has shape {labels.shape}, expected the image's (H, W) = "
                         f"{tuple(shape)}")
    top = int(labels.max()) if labels.size else -1
    names = [f"r{r}" for r in range(top + 1)] if names is None else [str(x) for x in names]
    if not names:
        raise RegionError("regions has no region (all labels are -1)")
    if top >= len(names):
        raise RegionError(f"names has {len(names)} entries but regions has labels up to {top} "
                          f"(n={top + 1} regions)")
    return np.ascontiguousarray(labels, dtype=np.int32), names, context


def region_masker(image, regions, names, baseline) -> tuple[Masker, np.ndarray, list[str]]:
    """A Masker over the regions, with the labels and names.

    A :class:`minplus.RegionMap` builds its own (honouring its context and soft weights);
    anything else goes through :func:`region_labels`.
    """
    if regions is None:
        raise RegionError("this method attributes regions: pass regions= (a RegionMap, e.g. "
                          "minplus.parse_regions(image, 'face68').regions, or (H, W) int labels)")
    if hasattr(regions, "masker") and hasattr(regions, "n"):
        names = list(regions.names) if names is None else [str(x) for x in names]
        if len(names) != regions.n:
            raise RegionError(f"names has {len(names)} entries but the RegionMap has "
                              f"n={regions.n} regions")
        if tuple(regions.labels.shape) != image.shape[:2]:
            raise ShapeError(f"the RegionMap is {tuple(regions.labels.shape)}, the image "
                             f"{image.shape[:2]}")
        masker = regions.masker(image, baseline=baseline)
        return masker, masker.labels, names
    labels, names, context = region_labels(regions, names, image.shape[:2])
    masker = Masker(image, labels, baseline=baseline, context=context, n_regions=len(names))
    return masker, labels, names


def paint(labels: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(H, W) float32 map with ``values[r]`` on region r and 0 on context pixels."""
    lut = np.append(np.asarray(values, np.float32), np.float32(0.0))
    return lut[labels]  # label -1 reads the appended 0


def run(method: str, model, image, target, explain_one, **options):
    """Run ``explain_one(model, image (H, W, C), target: Target, **options)`` on one image or each
    image of a (B, H, W, C) batch, timing it and packing the result as SaliencyMap(s).

    ``explain_one`` gets the model bound to the image (a :class:`~minplus.evaluate.Binding`,
    which :func:`score` takes) and returns (map (H, W), evaluations, regions or None, extra
    dict); the unmasked evaluation made here to resolve the target is added to
    ``evaluations``.
    """
    arr = np.asarray(image)
    if arr.ndim == 4:
        from ..models.base import as_model

        model = as_model(model)
        return [run(method, model, arr[b], target, explain_one, **options)
                for b in range(len(arr))]
    arr = _as_image(arr)
    t0 = time.perf_counter()
    binding = Binding(model, arr)
    tgt = Target(target, binding.original)
    sal, evaluations, regions, extra = explain_one(binding, arr, tgt, **options)
    return SaliencyMap(map=np.ascontiguousarray(sal, dtype=np.float32), method=method,
                       target=tgt.label, score=tgt.score, evaluations=int(evaluations) + 1,
                       seconds=time.perf_counter() - t0, regions=regions, extra=extra)
