"""Faithfulness correlation (Bhatt et al., IJCAI 2020)."""

from __future__ import annotations

import time

import numpy as np

from ..arguments import choice, integer
from ._plumbing import as_map, baseline_of, bound, score_alphas, target_of
from ._results import MetricResult

CORRELATIONS = ("pearson", "spearman")


def _correlation(a: np.ndarray, b: np.ndarray, kind: str) -> float:
    if kind == "spearman":
        from scipy.stats import rankdata

        a, b = rankdata(a), rankdata(b)
    if np.std(a) == 0 or np.std(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def faithfulness_correlation(model, image, saliency, target=None, *, runs=100, subset_size=224,
                             baseline="black", correlation="pearson", seed=0, sigma=None):
    """Faithfulness correlation (Bhatt et al., IJCAI 2020): the correlation, over random pixel
    subsets S, between the attribution mass of S and the score drop when S is replaced by the
    baseline.

    All ``runs`` subsets are alpha maps scored in batches through one Binding.

    Parameters
    ----------
    model, image, saliency, target
        As :func:`minplus.metrics.deletion` (``saliency`` an (H, W) map).
    runs : int
        Random subsets drawn.
    subset_size : int
        Pixels per subset (Quantus' default, 224).
    baseline : str or ndarray
        What a removed pixel shows (see :mod:`minplus.baselines`).
    correlation : {"pearson", "spearman"}
    seed : int
        Subsets are ``np.random.RandomState(seed).choice(H * W, subset_size, replace=False)``,
        one per run, so a run with ``np.random.seed(seed)`` before Quantus draws the same ones.

    Returns
    -------
    MetricResult
        ``value`` the correlation in [-1, 1] (higher is better; NaN when either side is
        constant); ``extra``: "attribution_sums" and "score_drops" (runs,).

    Notes
    -----
    Quantus' ``FaithfulnessCorrelation`` draws subsets of the C x H x W features of the map
    broadcast over channels; for C = 1 the two agree (tests/test_metrics_quantus.py), for C > 1
    ours removes whole pixels and sums the (H, W) map over them.

    Examples
    --------
    >>> w = np.arange(64, dtype=np.float32).reshape(8, 8)
    >>> f = lambda x: (x[..., 0] * w).sum(axis=(1, 2))
    >>> r = faithfulness_correlation(f, np.ones((8, 8, 1), np.float32), w, runs=20,
    ...                              subset_size=8)
    >>> round(r.value, 6), r.evaluations
    (1.0, 21)
    """
    t0 = time.perf_counter()
    choice("correlation", correlation, CORRELATIONS)
    binding, image = bound(model, image)
    tgt = target_of(target, binding)
    values = as_map(saliency, image.shape[:2])
    n = values.size
    runs = integer("runs", runs, lo=2)
    subset_size = integer("subset_size", subset_size, lo=1, hi=n)
    # The legacy generator, drawn as Quantus draws from the global one, so both see the same
    # subsets at the same seed.
    rng = np.random.RandomState(integer("seed", seed, lo=0))
    subsets = np.stack([rng.choice(n, subset_size, replace=False) for _ in range(runs)])

    def alphas(a, b):
        out = np.ones((b - a, n), np.float32)
        np.put_along_axis(out, subsets[a:b], 0.0, axis=1)
        return out.reshape((b - a,) + values.shape)

    scores, images = score_alphas(binding, image, baseline_of(image, baseline, sigma, seed),
                                  alphas, runs, tgt)
    drops = tgt.score - scores
    sums = values.reshape(-1)[subsets].sum(axis=1)
    return MetricResult("faithfulness_correlation", _correlation(sums, drops, correlation),
                        higher_is_better=True, evaluations=images + 1,
                        seconds=time.perf_counter() - t0,
                        extra={"attribution_sums": sums, "score_drops": drops, "runs": runs,
                               "subset_size": subset_size, "correlation": correlation,
                               "target": tgt.label})
