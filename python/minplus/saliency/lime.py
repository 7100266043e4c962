"""LIME over regions (Ribeiro, Singh & Guestrin, KDD 2016), as in the ``lime_image`` package.

Samples are random region coalitions z (each region kept with probability 1/2; the first sample is
the unmasked image); each is weighted by an exponential kernel of its cosine distance to the
unmasked image in the interpretable space, d(z) = 1 - sqrt(|z| / n), with
w = sqrt(exp(-d^2 / kernel_width^2)); a weighted ridge regression with an unpenalised intercept is
solved in closed form; its coefficients are the regions' values.
"""

from __future__ import annotations

import numpy as np

from .perturbation import paint, region_masker, run, score
from ..errors import ArgumentError


def weighted_ridge(z: np.ndarray, y: np.ndarray, w: np.ndarray, alpha: float):
    """Coefficients (n,) and intercept of min sum_j w_j (y_j - b - z_j . c)^2 + alpha |c|^2."""
    sw = w / w.sum()
    zm, ym = sw @ z, sw @ y
    zc, yc = z - zm, y - ym
    gram = (zc * w[:, None]).T @ zc + alpha * np.eye(z.shape[1])
    coef = np.linalg.solve(gram, (zc * w[:, None]).T @ yc)
    return coef, float(ym - zm @ coef)


def _lime_one(model, image, target, regions, names, n_samples, kernel_width, ridge, baseline,
              seed, progress):
    masker, labels, names = region_masker(image, regions, names, baseline)
    n = len(names)
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 2, size=(n_samples, n)).astype(np.float64)
    z[0] = 1.0
    masks = (z.astype(np.uint64) << np.arange(n, dtype=np.uint64)).sum(axis=1, dtype=np.uint64)
    y = score(model, masker, masks, target, progress, "lime")
    d = 1.0 - np.sqrt(z.sum(axis=1) / n)
    w = np.sqrt(np.exp(-d ** 2 / kernel_width ** 2))
    coef, intercept = weighted_ridge(z, y, w, ridge)
    extra = {"intercept": intercept, "kernel_width": kernel_width, "ridge": ridge}
    return paint(labels, coef), n_samples, dict(zip(names, coef.tolist())), extra


def lime(model, image, target=None, *, regions=None, names=None, n_samples=1000,
         kernel_width=0.25, ridge=1.0, baseline="black", seed=0, progress=True):
    """LIME coefficients of regions.

    Parameters
    ----------
    model, image, target : as :func:`minplus.saliency.occlusion`.
    regions, names, baseline : as :func:`minplus.saliency.shapley_values`.
    n_samples : int
        Random coalitions evaluated (the first is the unmasked image).
    kernel_width : float
        Width of the exponential kernel on the cosine distance (lime_image's default 0.25).
    ridge : float
        Ridge penalty on the coefficients (the lime package's Ridge(alpha=1)).
    seed : int
        Seeds the sampling (same seed, same map).

    Returns
    -------
    SaliencyMap with ``regions`` {name: coefficient}; ``extra["intercept"]``.

    Examples
    --------
    >>> img = np.zeros((2, 2, 1), np.float32); img[:] = [[1], [3]]
    >>> lab = np.array([[0, 1]] * 2)
    >>> m = lime(lambda x: x.sum(axis=(1, 2, 3)), img, regions=lab, n_samples=200, ridge=0.0,
    ...          progress=False)
    >>> [round(v, 6) for v in m.regions.values()]
    [2.0, 6.0]
    """
    if int(n_samples) < 2 or float(kernel_width) <= 0 or float(ridge) < 0:
        raise ArgumentError(f"need n_samples >= 2, kernel_width > 0, ridge >= 0; got "
                            f"{n_samples}, {kernel_width}, {ridge}")
    return run("lime", model, image, target, _lime_one, regions=regions, names=names,
               n_samples=int(n_samples), kernel_width=float(kernel_width), ridge=float(ridge),
               baseline=baseline, seed=int(seed), progress=progress)
