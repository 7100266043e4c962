"""ROAD: RemOve And Debias (Rong et al., ICML 2022)."""

from __future__ import annotations

import time

import numpy as np

from ..arguments import integer, real
from ._image_bank import ImageBank
from ._imputation import noisy_linear_imputation
from ._plumbing import as_map, bound, curve_area, rank_pixels, target_of
from ._results import Curve, MetricResult


def road(model, image, saliency, target=None, *, percentages=tuple(range(1, 100, 2)),
         order="morf", noise=0.01, seed=0):
    """ROAD (Rong et al., ICML 2022): remove the top ``p`` % of pixels by the map (MoRF) or the
    bottom ones (LeRF), fill them by noisy linear imputation (which leaks no shape of the
    removed set, unlike a constant baseline), and score each percentage.

    The imputed images are computed once (one sparse solve per percentage, all channels at
    once) and scored in batches through one Binding.

    Parameters
    ----------
    model, image, saliency, target
        As :func:`minplus.metrics.deletion`.
    percentages : sequence of float
        Percent of the pixels removed at each point (Quantus' default: 1, 3, ..., 99); each
        removes ``int(H * W * p / 100)`` pixels.
    order : {"morf", "lerf"}
    noise : float
        Standard deviation of the Gaussian noise added to imputed values (image units).
    seed : int
        The noise is drawn from ``np.random.RandomState(seed)``, percentage after percentage,
        as Quantus draws it from the global generator.

    Returns
    -------
    MetricResult
        ``value``: area under the target-score curve over the fraction removed (lower is better
        for MoRF); ``extra["kept_class"]`` (P,) 1 where the top class is still the unmasked
        image's (Quantus' per-sample output), ``extra["accuracy"]`` its mean.

    Notes
    -----
    Quantus' ``ROAD`` ranks the C x H x W features of the map broadcast over channels and
    reports only ``kept_class``; for C = 1 and distinct map values the imputed images and
    ``kept_class`` agree with it exactly (tests/test_metrics_quantus.py). Imputed values are
    rounded to the image's dtype for uint8 images.

    Examples
    --------
    >>> w = np.arange(16, dtype=np.float32).reshape(4, 4)
    >>> r = road(lambda x: (x[..., 0] * w).sum(axis=(1, 2)), np.ones((4, 4, 1), np.float32), w,
    ...          percentages=[25, 50], noise=0.0)
    >>> [round(v, 6) for v in r.curve.y.tolist()]    # imputation of a constant image is exact
    [120.0, 120.0]
    """
    t0 = time.perf_counter()
    binding, image = bound(model, image)
    tgt = target_of(target, binding)
    values = as_map(saliency, image.shape[:2])
    ranked = rank_pixels(values, order)
    percentages = [real("percentage", p, lo=0.0, hi=100.0) for p in percentages]
    rng = np.random.RandomState(integer("seed", seed, lo=0))
    noise = real("noise", noise, lo=0.0)
    counts = np.array([int(values.size * p / 100) for p in percentages])
    imputed = np.stack([noisy_linear_imputation(image, ranked[:k], noise, rng) for k in counts])
    ev = binding.evaluation(ImageBank(image, imputed))
    scores = ev.scores(np.arange(len(counts)))
    y = tgt(scores)
    kept = (np.argmax(scores, axis=1) == np.argmax(binding.original)).astype(np.int64)
    x = np.asarray(percentages) / 100.0
    return MetricResult("road", curve_area(x, y), higher_is_better=order == "lerf",
                        curve=Curve(x, y, "fraction of pixels imputed"),
                        evaluations=ev.images + 1, seconds=time.perf_counter() - t0,
                        extra={"kept_class": kept, "accuracy": float(kept.mean()),
                               "order": order, "percentages": percentages, "noise": noise,
                               "target": tgt.label})
