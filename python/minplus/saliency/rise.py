"""RISE: Randomized Input Sampling for Explanation (Petsiuk, Das & Saenko, BMVC 2018).

The map is the average of N smooth random masks weighted by the target score of the image they
reveal, divided by the keep probability p: an unbiased estimate of E[f(I . M) | M(x) = 1]. The masks
come from the native core (coarse Bernoulli(p) grid, bilinear upsampling, random shift; see
cpp/include/minplus/rise.hpp) in chunks, so memory stays O(chunk * H * W) for any N.
"""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from .. import _core
from ..arguments import allocation, integer, real
from ..baselines import make_baseline
from ..errors import ShapeError
from .indexed_maskers import AlphaMasker
from .perturbation import run, score

_CHUNK = 256  # masks generated and scored per round
_MAX_SIDE = 2**31 - 1  # the core's image sides are int32


def rise_masks(n_masks: int, shape, s: int = 8, p: float = 0.5, seed: int = 0,
               first: int = 0) -> np.ndarray:
    """RISE masks ``first .. first + n_masks - 1`` of a seeded stream: (N, H, W) float32 in [0, 1].

    Parameters
    ----------
    n_masks : int
    shape : (H, W)
    s : int
        Grid size, 1 <= s <= max(H, W): the coarse grid has cells of ceil(H / s) x ceil(W / s)
        pixels (a finer grid than one cell per pixel adds nothing but memory).
    p : float
        Probability that a grid node is kept.
    seed : int
    first : int
        Index of the first mask in the stream (mask i depends on (seed, i) only).

    Examples
    --------
    >>> m = rise_masks(3, (16, 16), s=4, p=0.5, seed=1)
    >>> m.shape, bool(((m >= 0) & (m <= 1)).all())
    ((3, 16, 16), True)
    >>> bool((rise_masks(2, (16, 16), s=4, seed=1, first=1)[0] == m[1]).all())
    True
    """
    if not isinstance(shape, (tuple, list)) or len(shape) != 2:
        raise ShapeError(f"shape must be (H, W), got {shape!r:.80}")
    H, W = (integer(f"shape[{i}]", v, lo=1, hi=_MAX_SIDE) for i, v in enumerate(shape))
    s = integer("s", s, lo=1, hi=max(H, W))
    p = real("p", p, lo=0.0, hi=1.0)
    n_masks = integer("n_masks", n_masks, lo=0)
    first = integer("first", first, lo=0, hi=2**62)
    seed = integer("seed", seed)
    out = np.empty(allocation("rise_masks", (n_masks, H, W), np.float32), np.float32)
    _core.rise_masks(first, H, W, s, p, seed & (2**64 - 1), out)
    return out


def _rise_one(model, image, target, n_masks, s, p, baseline, seed, progress):
    H, W = image.shape[:2]
    base = make_baseline(image, baseline, seed=seed)
    total = np.zeros((H, W))
    with tqdm(total=n_masks, desc="rise", unit="eval", leave=False,
              disable=not progress or n_masks <= _CHUNK) as bar:
        for first in range(0, n_masks, _CHUNK):
            masks = rise_masks(min(_CHUNK, n_masks - first), (H, W), s, p, seed, first)
            scores = score(model, AlphaMasker(image, masks, base), np.arange(len(masks)), target)
            # float32 product (the masks stay float32), accumulated in float64 across chunks
            total += (scores.astype(np.float32) @ masks.reshape(len(masks), -1)).reshape(H, W)
            bar.update(len(masks))
    return total / (n_masks * p), n_masks, None, {"s": s, "p": p, "seed": seed}


def rise(model, image, target=None, n_masks=2000, s=8, p=0.5, baseline="black", seed=0,
         progress=True):
    """RISE saliency map.

    Parameters
    ----------
    model, image, target : as :func:`minplus.saliency.occlusion`.
    n_masks : int
        Number of random masks N (= model evaluations).
    s : int
        Grid size of the coarse masks (cells of ceil(H / s) pixels), 1 <= s <= max(H, W).
    p : float
        Keep probability of a grid node, in (0, 1].
    baseline : str or ndarray
        What the masked-out part shows (the paper uses black).
    seed : int
        The same seed gives the same masks and the same map.

    Returns
    -------
    SaliencyMap: map (H, W) float32 = sum_i f(I_i) M_i / (N p); ``evaluations`` = N + 1.

    Examples
    --------
    >>> img = np.zeros((16, 16, 1), np.float32); img[:8, :8] = 1
    >>> m = rise(lambda x: x[:, :8, :8].mean(axis=(1, 2, 3)), img, n_masks=256, s=4,
    ...          progress=False)
    >>> bool(m.map[:8, :8].mean() > m.map[8:, 8:].mean())
    True
    """
    n_masks = integer("n_masks", n_masks, lo=1)
    p = real("p", p, lo=0.0, hi=1.0, lo_open=True)
    s = integer("s", s, lo=1)  # and s <= max(H, W), checked per image by rise_masks
    return run("rise", model, image, target, _rise_one, n_masks=n_masks, s=s, p=p,
               baseline=baseline, seed=integer("seed", seed), progress=progress)
