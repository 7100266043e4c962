"""Similarity of two maps, for the randomisation sanity checks (Adebayo et al., NeurIPS 2018):
Spearman rank correlation, SSIM and the correlation of HOG features."""

from __future__ import annotations

import numpy as np

from ..arguments import choice

SIMILARITIES = ("spearman", "ssim", "hog")


def _unit(a: np.ndarray) -> np.ndarray:
    """Min-max scaled to [0, 1] (a constant map becomes zeros): SSIM and HOG need one range."""
    lo, hi = float(a.min()), float(a.max())
    return np.zeros_like(a) if hi == lo else (a - lo) / (hi - lo)


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.reshape(-1), b.reshape(-1)
    if np.std(a) == 0 and np.std(b) == 0:
        return 1.0 if np.array_equal(a, b) else 0.0
    if np.std(a) == 0 or np.std(b) == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def similarity(kind: str, a: np.ndarray, b: np.ndarray) -> float:
    """Similarity of the (H, W) maps ``a`` and ``b``.

    * "spearman": Spearman's rank correlation of the raw values (scipy's, as Quantus' MPRT);
    * "ssim": structural similarity of the min-max scaled maps (data range 1, scikit-image's
      default 7 px window, smaller on small maps);
    * "hog": Pearson correlation of the HOG descriptors of the scaled maps (8 px cells, or a
      quarter of the side on small maps).

    Examples
    --------
    >>> a = np.arange(64.0).reshape(8, 8)
    >>> [round(similarity(k, a, 2 * a + 1), 6) for k in SIMILARITIES]
    [1.0, 1.0, 1.0]
    """
    choice("similarity", kind, SIMILARITIES)
    if kind == "spearman":
        from scipy.stats import rankdata

        return _pearson(rankdata(a.reshape(-1)), rankdata(b.reshape(-1)))
    ua, ub = _unit(a), _unit(b)
    side = min(a.shape)
    if kind == "ssim":
        from skimage.metrics import structural_similarity

        win = min(7, side if side % 2 else side - 1)
        return float(structural_similarity(ua, ub, data_range=1.0, win_size=max(win, 3)))
    from skimage.feature import hog

    cell = max(2, min(8, side // 4))
    fa, fb = (hog(u, pixels_per_cell=(cell, cell), cells_per_block=(2, 2), feature_vector=True)
              for u in (ua, ub))
    return _pearson(fa, fb)
