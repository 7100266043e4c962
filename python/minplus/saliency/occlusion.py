"""Occlusion: the score drop when a window (or a region) is replaced by the baseline.

Sliding windows overlap when ``stride < window``, so no single label map expresses them. We cut
each window row (the band of rows one row of windows covers) into cells at every window start and
end; a window is then a union of consecutive cells, and occluding it is one bitmask (all cells
kept but its own) of that band's Masker, whose pixels outside the band are context (always kept).
Any window/stride works (no multiple-of-stride requirement). A band's cells are at most twice
its windows plus one, so windows are grouped 31 at a time (<= 63 cells) into Maskers; a
:class:`~minplus.saliency.indexed_maskers.MaskerSet` renders all windows of the image as one
stream of batches, so the model sees full batches.

Window positions and the map follow Captum's ``Occlusion``: starts at 0, stride, 2 stride, ...,
ceil((H - window) / stride) times, the last window cropped at the border; each pixel gets the
mean score drop over the windows that cover it.
"""

from __future__ import annotations

import numpy as np

from ..masking import Masker
from ..baselines import make_baseline
from .indexed_maskers import MaskerSet
from .perturbation import paint, region_masker, run, score
from ..errors import ArgumentError

_WINDOWS_PER_MASKER = 31  # 2 * 31 + 1 = 63 cells <= 64 regions


def _pair(v, name: str) -> tuple[int, int]:
    a = np.broadcast_to(np.asarray(v), (2,))
    if a.dtype.kind not in "iu" or (a < 1).any():
        raise ArgumentError(f"{name} must be a positive int or (h, w) pair, got {v!r}")
    return int(a[0]), int(a[1])


def window_starts(size: int, window: int, stride: int) -> np.ndarray:
    """Window starts along one axis, as Captum's Occlusion places them.

    Examples
    --------
    >>> window_starts(10, 4, 4).tolist()  # the last window, [8, 12), is cropped to [8, 10)
    [0, 4, 8]
    """
    if window > size:
        raise ArgumentError(f"window {window} is larger than the image side {size}")
    if stride > window:
        raise ArgumentError(f"stride {stride} > window {window} would leave pixels unexplained")
    return np.arange(int(np.ceil((size - window) / stride)) + 1) * stride


def _occlusion_plan(image, baseline, window, stride):
    """MaskerSet rendering every window occluded, and the windows' boxes (N, 4) y0, y1, x0, x1."""
    H, W = image.shape[:2]
    (wh, ww), (sh, sw) = window, stride
    ys, xs = window_starts(H, wh, sh), window_starts(W, ww, sw)
    maskers, which, bits, boxes = [], [], [], []
    for y0 in ys:
        y1 = min(y0 + wh, H)
        for g in range(0, len(xs), _WINDOWS_PER_MASKER):
            x0s = xs[g:g + _WINDOWS_PER_MASKER]
            x1s = np.minimum(x0s + ww, W)
            cuts = np.unique(np.r_[x0s, x1s])
            labels = np.full((H, W), -1, np.int32)
            labels[y0:y1, cuts[0]:cuts[-1]] = np.searchsorted(
                cuts, np.arange(cuts[0], cuts[-1]), side="right") - 1
            n = len(cuts) - 1
            full = (1 << n) - 1
            for x0, x1 in zip(x0s, x1s):
                covered = range(int(np.searchsorted(cuts, x0)), int(np.searchsorted(cuts, x1)))
                which.append(len(maskers))
                bits.append(full & ~sum(1 << c for c in covered))
                boxes.append((y0, y1, x0, x1))
            maskers.append(Masker(image, labels, baseline=baseline, n_regions=n))
    return MaskerSet(maskers, which, np.array(bits, np.uint64)), np.array(boxes)


def _occlusion_one(model, image, target, window, stride, baseline, progress):
    base = make_baseline(image, baseline)
    masker, boxes = _occlusion_plan(image, base, window, stride)
    drop = target.score - score(model, masker, np.arange(len(boxes)), target, progress,
                                "occlusion")
    total = np.zeros(image.shape[:2])
    count = np.zeros(image.shape[:2])
    for d, (y0, y1, x0, x1) in zip(drop, boxes):
        total[y0:y1, x0:x1] += d
        count[y0:y1, x0:x1] += 1
    return total / count, len(boxes), None, {"windows": len(boxes)}


def occlusion(model, image, target=None, *, window=8, stride=4, baseline="black", progress=True):
    """Sliding-window occlusion map (Zeiler & Fergus 2014; Captum's ``Occlusion``).

    Parameters
    ----------
    model : Model or callable
        Anything :func:`minplus.models.base.as_model` accepts.
    image : (H, W, C) or (B, H, W, C) uint8 or float32 ndarray
    target : int, callable or None
        Score index, ``scores (B, D) -> (B,)`` callable, or None for the argmax.
    window, stride : int or (h, w)
        Window size and step in pixels; stride <= window.
    baseline : str or ndarray
        What an occluded window shows (see :mod:`minplus.baselines`).
    progress : bool
        Show a progress bar for long runs.

    Returns
    -------
    SaliencyMap (a list for a batch): map (H, W) float32 = mean score drop of the windows
    covering each pixel; ``evaluations`` = windows + 1.

    Examples
    --------
    >>> img = np.zeros((8, 8, 1), np.uint8); img[:4, :4] = 255
    >>> m = occlusion(lambda x: x.mean(axis=(1, 2, 3)), img, window=4, stride=4, progress=False)
    >>> float(m.map[0, 0]), float(m.map[7, 7])
    (63.75, 0.0)
    """
    return run("occlusion", model, image, target, _occlusion_one, window=_pair(window, "window"),
               stride=_pair(stride, "stride"), baseline=baseline, progress=progress)


def _region_occlusion_one(model, image, target, regions, names, baseline, progress):
    masker, labels, names = region_masker(image, regions, names, baseline)
    n = len(names)
    full = (1 << n) - 1
    masks = np.array([full & ~(1 << r) for r in range(n)], np.uint64)
    drop = target.score - score(model, masker, masks, target, progress, "region occlusion")
    return paint(labels, drop), n, dict(zip(names, drop.tolist())), {}


def region_occlusion(model, image, target=None, *, regions=None, names=None, baseline="black",
                     progress=True):
    """Score drop when each region alone is replaced by the baseline (Captum's FeatureAblation).

    Parameters
    ----------
    regions : RegionMap-like (``labels``, ``names``, ``context``) or (H, W) int ndarray
        Region id per pixel in [0, n), -1 for context.
    names : list of str, optional
        Region names for a plain labels array (default "r0", "r1", ...).
    Other parameters as :func:`occlusion`.

    Returns
    -------
    SaliencyMap with ``regions`` {name: drop}, painted into the map; ``evaluations`` = n + 1.

    Examples
    --------
    >>> img = np.zeros((4, 4, 1), np.float32); img[:, :2] = 1
    >>> lab = np.repeat([[0, 0, 1, 1]], 4, axis=0)
    >>> region_occlusion(lambda x: x.sum(axis=(1, 2, 3)), img, regions=lab, progress=False).regions
    {'r0': 8.0, 'r1': 0.0}
    """
    return run("region_occlusion", model, image, target, _region_occlusion_one, regions=regions,
               names=names, baseline=baseline, progress=progress)
