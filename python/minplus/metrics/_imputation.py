"""Noisy linear imputation (Rong et al., ICML 2022): removed pixels take the values that make
each the weighted mean of its 8 neighbours (1/6 direct, 1/12 diagonal), one sparse linear
system for all removed pixels and channels, plus Gaussian noise."""

from __future__ import annotations

import numpy as np

# (dy, dx, weight) of the 8 neighbours, as in the ROAD reference code.
_NEIGHBOURS = [(1, 1, 1 / 12), (0, 1, 1 / 6), (-1, 1, 1 / 12), (1, -1, 1 / 12),
               (0, -1, 1 / 6), (-1, -1, 1 / 12), (1, 0, 1 / 6), (-1, 0, 1 / 6)]


def noisy_linear_imputation(image: np.ndarray, removed: np.ndarray, noise: float,
                            rng: np.random.RandomState) -> np.ndarray:
    """``image`` (H, W, C) float64 with the flat pixels ``removed`` (k,) imputed; the noise is
    ``noise * rng.randn(C, k)`` (channel-major, in the order of ``removed``).

    Examples
    --------
    >>> img = np.zeros((3, 3, 1)); img[:, 2] = 3.0
    >>> out = noisy_linear_imputation(img, np.array([4]), 0.0, np.random.RandomState(0))
    >>> round(float(out[1, 1, 0]), 6)   # 3 of its neighbours (weights 1/12 + 1/6 + 1/12) are 3
    1.0
    """
    from scipy.sparse import csc_matrix
    from scipy.sparse.linalg import spsolve

    H, W, C = image.shape
    flat = image.reshape(H * W, C).astype(np.float64)
    k = len(removed)
    if k == 0:
        return flat.reshape(H, W, C)
    var = np.full(H * W, -1, np.int64)
    var[removed] = np.arange(k)
    y, x = removed // W, removed % W
    rows, cols, vals = [np.arange(k)], [np.arange(k)], []
    diag = np.ones(k)
    b = np.zeros((k, C))
    for dy, dx, w in _NEIGHBOURS:
        ny, nx = y + dy, x + dx
        valid = (ny >= 0) & (nx >= 0) & (ny < H) & (nx < W)
        diag[~valid] -= w
        i = np.flatnonzero(valid)
        j = ny[valid] * W + nx[valid]
        known = var[j] < 0
        np.add.at(b, i[known], -w * flat[j[known]])
        rows.append(i[~known])
        cols.append(var[j[~known]])
        vals.append(np.full(int((~known).sum()), w))
    vals = [-diag] + vals
    a = csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                   shape=(k, k))
    solved = spsolve(a, b)
    solved = solved.reshape(k, C)
    flat[removed] = solved + noise * rng.randn(C, k).T
    return flat.reshape(H, W, C)
