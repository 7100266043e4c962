"""KernelSHAP over regions (Lundberg & Lee, NeurIPS 2017): Shapley values as a weighted
linear regression on coalitions, with efficiency imposed as a constraint.

With n regions the 2^n - 2 proper coalitions S get the Shapley kernel weight
pi(|S|) = (n - 1) / (C(n, |S|) |S| (n - |S|)). When they all fit in ``n_samples`` they are all
enumerated and the regression's solution is exactly the Shapley values; otherwise ``n_samples``
coalitions are drawn with size k ~ pi(k) C(n, k) and a uniform subset of that size (each then
weighs 1), seeded. The regression f(S) - f({}) = sum_{i in S} phi_i is solved in closed form under
sum_i phi_i = f(all) - f({}) by eliminating the last region's value.
"""

from __future__ import annotations

from math import comb

import numpy as np

from ..errors import ArgumentError, RegionError
from .perturbation import paint, region_masker, run, score
from .shapley import popcount


def shapley_kernel(n: int) -> np.ndarray:
    """Shapley kernel weight pi(k) of one coalition of size k, for k = 0..n (inf at 0 and n)."""
    w = np.full(n + 1, np.inf)
    for k in range(1, n):
        w[k] = (n - 1) / (comb(n, k) * k * (n - k))
    return w


def sample_coalitions(n: int, n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """``n_samples`` proper coalitions (uint64 bitmasks) drawn from the Shapley kernel."""
    sizes = np.arange(1, n)
    p = shapley_kernel(n)[1:n] * np.array([comb(n, int(k)) for k in sizes])
    k = rng.choice(sizes, size=n_samples, p=p / p.sum())
    order = np.argsort(rng.random((n_samples, n)), axis=1)  # a uniform subset: first k of a shuffle
    member = np.arange(n)[None, :] < k[:, None]
    bits = np.zeros(n_samples, np.uint64)
    rows = np.repeat(np.arange(n_samples), n)
    chosen = member.ravel()
    np.bitwise_or.at(bits, rows[chosen],
                     np.left_shift(np.uint64(1), order.ravel()[chosen].astype(np.uint64)))
    return bits


def constrained_fit(z: np.ndarray, y: np.ndarray, w: np.ndarray, total: float) -> np.ndarray:
    """phi (n,) minimising sum_j w_j (y_j - z_j . phi)^2 subject to sum(phi) = total.

    z (m, n) 0/1 coalitions, y (m,) = f(S_j) - f({}), w (m,) >= 0.
    """
    n = z.shape[1]
    # phi_last = total - sum(phi_rest): y - z_last total = (z_rest - z_last) phi_rest
    a = z[:, :-1] - z[:, -1:]
    b = y - z[:, -1] * total
    sw = np.sqrt(w)
    rest = np.linalg.lstsq(a * sw[:, None], b * sw, rcond=None)[0] if n > 1 else np.zeros(0)
    return np.append(rest, total - rest.sum())


def _kernel_shap_one(model, image, target, regions, names, n_samples, baseline, seed, progress):
    masker, labels, names = region_masker(image, regions, names, baseline)
    n = len(names)
    if n < 2:
        raise RegionError(f"kernel_shap needs n >= 2 regions, got n={n}")
    full = (1 << n) - 1
    exact = (1 << n) - 2 <= n_samples
    if exact:
        coalitions = np.arange(1, full, dtype=np.uint64)
        weight = shapley_kernel(n)[popcount(coalitions)]
    else:
        coalitions = sample_coalitions(n, n_samples, np.random.default_rng(seed))
        weight = np.ones(n_samples)
    masks = np.concatenate([np.array([0, full], np.uint64), coalitions])
    f = score(model, masker, masks, target, progress, "kernel shap")
    z = ((coalitions[:, None] >> np.arange(n, dtype=np.uint64)) & np.uint64(1)).astype(np.float64)
    phi = constrained_fit(z, f[2:] - f[0], weight, f[1] - f[0])
    extra = {"exact": exact, "f_none": float(f[0]), "f_all": float(f[1])}
    return paint(labels, phi), len(masks), dict(zip(names, phi.tolist())), extra


def kernel_shap(model, image, target=None, *, regions=None, names=None, n_samples=2048,
                baseline="black", seed=0, progress=True):
    """KernelSHAP values of regions; exact Shapley values when 2^n - 2 <= ``n_samples``.

    Parameters
    ----------
    model, image, target : as :func:`minplus.saliency.occlusion`.
    regions, names, baseline : as :func:`minplus.saliency.shapley_values`.
    n_samples : int
        Coalitions evaluated besides the empty and the full one.
    seed : int
        Seeds the coalition sampling (same seed, same map).

    Returns
    -------
    SaliencyMap with ``regions`` {name: value}; the values sum to f(all) - f(none);
    ``extra["exact"]`` tells whether every coalition was enumerated; ``evaluations`` =
    min(n_samples, 2^n - 2) + 3.

    Examples
    --------
    >>> img = np.zeros((2, 3, 1), np.float32); img[:] = [[1], [2], [3]]
    >>> lab = np.array([[0, 1, 2]] * 2)
    >>> m = kernel_shap(lambda x: x.sum(axis=(1, 2, 3)), img, regions=lab, progress=False)
    >>> [round(v, 6) for v in m.regions.values()], m.extra["exact"]
    ([2.0, 4.0, 6.0], True)
    """
    if int(n_samples) < 1:
        raise ArgumentError(f"n_samples must be >= 1, got {n_samples}")
    return run("kernel_shap", model, image, target, _kernel_shap_one, regions=regions,
               names=names, n_samples=int(n_samples), baseline=baseline, seed=int(seed),
               progress=progress)
