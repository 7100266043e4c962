"""The metrics of one Explanation by name: the one call ``minplus explain --metrics`` and the
report make."""

from __future__ import annotations

import numpy as np

from ..errors import ArgumentError
from ..saliency.perturbation import paint
from ._deletion import deletion
from ._energy_pointing_game import energy_pointing_game
from ._insertion import insertion
from ._pointing_game import pointing_game
from ._region_mask import region_mask
from ._relevance_mass_accuracy import relevance_mass_accuracy
from ._robustness import robustness

EXPLANATION_METRICS = ("deletion", "insertion", "pointing", "energy_pointing",
                       "relevance_mass", "robustness")


def claim_values(explanation) -> np.ndarray:
    """(n,) region values from the Min+/Min- claims: the share of Min+ sets holding the region
    plus the share of Min- sets holding it, so the regions the claims name rank first.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> e = SimpleNamespace(region_map=SimpleNamespace(n=3), min_plus_masks=np.array([0b011]),
    ...                     min_minus_masks=np.array([0b001, 0b010]))
    >>> claim_values(e).tolist()
    [1.5, 1.5, 0.0]
    """
    n = explanation.region_map.n
    values = np.zeros(n)
    for masks in (explanation.min_plus_masks, explanation.min_minus_masks):
        if masks is not None and len(masks):
            bits = (np.asarray(masks, np.uint64)[:, None] >> np.arange(n, dtype=np.uint64)) & 1
            values += bits.astype(np.float64).mean(axis=0)
    return values


def explanation_metrics(explanation, model, metrics=("deletion", "insertion", "robustness"), *,
                        saliency=None, point_at=None, steps=20, **robustness_options) -> dict:
    """Named metrics of one :class:`~minplus.Explanation`: ``{name: MetricResult}``.

    Parameters
    ----------
    explanation : Explanation
    model : Model or callable
        The model explained.
    metrics : sequence of str or a comma-separated string
        Among :data:`EXPLANATION_METRICS`: "deletion" / "insertion" (MoRF, the decision's
        score; pixels ranked by ``saliency`` when given, else the regions ranked by
        :func:`claim_values`, removed on the explanation's baseline), "pointing",
        "energy_pointing", "relevance_mass" (need ``point_at``), "robustness"
        (:func:`minplus.metrics.robustness`).
    saliency : SaliencyMap or (H, W) array, optional
        A map of the explained image to judge instead of the claims' region ranking.
    point_at : str or sequence of str, optional
        Region names of the ground truth for the localisation metrics ("mouth").
    steps : int
        Pixel steps of deletion / insertion with a map.
    **robustness_options
        Passed to :func:`minplus.metrics.robustness`.

    Returns
    -------
    dict[str, MetricResult]
        In the order asked; ``{k: v.to_dict() for k, v in ...}`` is what ``result.json`` holds.

    Examples
    --------
    >>> from minplus import explain
    >>> from minplus.models import Threshold
    >>> img = np.zeros((8, 8, 3), np.uint8); img[:, :4] = 200
    >>> f = lambda x: x[:, :, :4].mean(axis=(1, 2, 3))[:, None]
    >>> e = explain(img, f, Threshold(50.0), regions="grid:1x2", baseline="black",
    ...             progress=False)
    >>> out = explanation_metrics(e, f, "deletion,insertion,pointing", point_at="r0c0")
    >>> [(k, round(v.value, 3)) for k, v in out.items()]
    [('deletion', 50.0), ('insertion', 150.0), ('pointing', 1.0)]
    """
    names = [m.strip() for m in metrics.split(",")] if isinstance(metrics, str) \
        else list(metrics)
    unknown = [m for m in names if m not in EXPLANATION_METRICS]
    if unknown:
        raise ArgumentError(f"unknown metrics {unknown}; known: {list(EXPLANATION_METRICS)}")
    e = explanation
    needs_mask = [m for m in names if m in ("pointing", "energy_pointing", "relevance_mass")]
    if needs_mask and point_at is None:
        raise ArgumentError(f"{needs_mask} need point_at= (the region names the map should "
                            f"point at, among {list(e.region_map.names)})")
    values = claim_values(e)
    picture = saliency if saliency is not None else paint(e.region_map.labels, values)
    out = {}
    for m in names:
        if m in ("deletion", "insertion"):
            fn = deletion if m == "deletion" else insertion
            if saliency is None:
                out[m] = fn(model, e.image, dict(zip(e.region_map.names, values)), e.decision,
                            regions=e.region_map, baseline=e.baseline)
            else:
                out[m] = fn(model, e.image, saliency, e.decision, steps=steps,
                            baseline=e.baseline)
        elif m == "robustness":
            out[m] = robustness(e, model, **robustness_options)
        else:
            fn = {"pointing": pointing_game, "energy_pointing": energy_pointing_game,
                  "relevance_mass": relevance_mass_accuracy}[m]
            out[m] = fn(picture, region_mask(e.region_map, point_at))
    return out
