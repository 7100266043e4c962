"""The statistics the audits use: intervals, tests, corrections, distances, rank agreement.

Plain functions over arrays; scipy supplies the distributions.
"""

from __future__ import annotations

import numpy as np


def wilson(k: float, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval (lo, hi) of a proportion k / n (95% by default); (0, 1) when n = 0.

    Examples
    --------
    >>> tuple(round(v, 3) for v in wilson(8, 10))
    (0.49, 0.943)
    """
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    # At p = 0 or 1 the interval's end is exactly 0 or 1 (the formula only rounds near it).
    lo = 0.0 if k <= 0 else max(0.0, c - h)
    hi = 1.0 if k >= n else min(1.0, c + h)
    return float(lo), float(hi)


def bootstrap_mean(values, n_boot: int = 2000, seed: int = 0, level: float = 0.95):
    """(mean, lo, hi): the mean of ``values`` (N,) and its percentile bootstrap interval.

    Examples
    --------
    >>> m, lo, hi = bootstrap_mean([1.0, 2.0, 3.0, 4.0])
    >>> m, lo <= m <= hi
    (2.5, True)
    """
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, len(v), (n_boot, len(v)))].mean(axis=1)
    a = (1 - level) / 2
    return float(v.mean()), float(np.quantile(means, a)), float(np.quantile(means, 1 - a))


def holm(pvalues) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (family-wise error), same order as given.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(pvalues, np.float64)
    order = np.argsort(p)
    adj = np.empty_like(p)
    running = 0.0
    for i, j in enumerate(order):
        running = max(running, min(1.0, (len(p) - i) * p[j]))
        adj[j] = running
    return adj


def contingency_test(table) -> float:
    """p-value of independence in a (G, 2) table of counts: Fisher's exact test for 2 x 2
    tables, chi-square otherwise (1.0 when a margin is empty)."""
    from scipy import stats

    t = np.asarray(table, np.float64)
    t = t[t.sum(axis=1) > 0]
    if len(t) < 2 or (t.sum(axis=0) == 0).any():
        return 1.0
    if t.shape == (2, 2) and np.allclose(t, np.round(t)):
        return float(stats.fisher_exact(np.round(t).astype(int))[1])
    return float(stats.chi2_contingency(t)[1])


def permutation_test(values, groups, n_perm: int = 2000, seed: int = 0) -> float:
    """p-value that the group means of ``values`` (N,) differ, by permuting ``groups`` (N,):
    the statistic is the spread (max - min) of the group means.

    Examples
    --------
    >>> permutation_test([0, 0, 0, 1, 1, 1.0], ["a", "a", "a", "b", "b", "b"]) < 0.2
    True
    """
    v = np.asarray(values, np.float64)
    g = np.asarray(groups)
    keep = np.isfinite(v)
    v, g = v[keep], g[keep]
    labels, codes = np.unique(g, return_inverse=True)
    if len(labels) < 2:
        return 1.0

    def spread(c):
        means = np.bincount(c, v, len(labels)) / np.maximum(np.bincount(c, None, len(labels)), 1)
        return means.max() - means.min()

    rng = np.random.default_rng(seed)
    seen = spread(codes)
    hits = sum(spread(rng.permutation(codes)) >= seen - 1e-12 for _ in range(n_perm))
    return float((hits + 1) / (n_perm + 1))


def two_proportions(k1: float, n1: int, k2: float, n2: int) -> float:
    """Two-sided p-value of the two-proportion z-test (pooled); 1.0 when undefined."""
    from scipy import stats

    if n1 == 0 or n2 == 0:
        return 1.0
    p = (k1 + k2) / (n1 + n2)
    se = np.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (k1 / n1 - k2 / n2) / se
    return float(2 * stats.norm.sf(abs(z)))


def js_distance(a, b, bins: int = 20) -> float:
    """Jensen-Shannon distance (base 2, in [0, 1]) between the histograms of two samples over
    their common range.

    Examples
    --------
    >>> js_distance([0, 0, 0], [1, 1, 1]), js_distance([0, 1], [0, 1])
    (1.0, 0.0)
    """
    from scipy.spatial.distance import jensenshannon

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    lo, hi = min(a.min(), b.min()), max(a.max(), b.max())
    if hi <= lo:
        return 0.0
    ha = np.histogram(a, bins, (lo, hi))[0].astype(np.float64)
    hb = np.histogram(b, bins, (lo, hi))[0].astype(np.float64)
    return float(jensenshannon(ha, hb, base=2))


def ndcg(reference, other, k: int | None = None) -> float:
    """nDCG of ranking items by ``other`` when ``reference`` (>= 0 relevances) holds the true
    importance, as SageMaker Clarify compares global attributions (1 = same order).

    Examples
    --------
    >>> ndcg([3, 2, 1], [3, 2, 1]), ndcg([3, 2, 1], [1, 2, 3]) < 1
    (1.0, True)
    """
    rel = np.clip(np.asarray(reference, np.float64), 0, None)
    k = len(rel) if k is None else k
    disc = 1 / np.log2(np.arange(2, k + 2))
    ideal = (np.sort(rel)[::-1][:k] * disc).sum()
    if ideal == 0:
        return 1.0
    got = (rel[np.argsort(-np.asarray(other, np.float64), kind="stable")][:k] * disc).sum()
    return float(got / ideal)
