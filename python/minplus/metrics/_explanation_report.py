"""Everything ``minplus explain --metrics`` adds to the report, in one call."""

from __future__ import annotations

import numpy as np  # noqa: F401  (the Examples use it)

from ._compare_methods import compare_methods
from ._explanation_metrics import explanation_metrics
from ._region_mask import region_mask
from ._report_metrics import report_metrics

# explanation metric name -> the compare_methods metric judging a saliency map the same way
_MAP_METRICS = {"deletion": "deletion", "insertion": "insertion", "pointing": "pointing_game",
                "energy_pointing": "energy_pointing_game",
                "relevance_mass": "relevance_mass_accuracy"}


def explanation_report_metrics(explanation, model, metrics, *, saliency_maps=(), point_at=None,
                               steps=20, **robustness_options) -> dict:
    """The report's ``metrics`` for one explanation: a row for the Min+/Min- claims
    (:func:`minplus.metrics.explanation_metrics`), one per claim when "robustness" is asked
    (holds k of m, margin, fragile), and one per saliency map with the same metrics judging
    the map (:func:`minplus.metrics.compare_methods`, the decision's score as target, the
    explanation's baseline).

    Parameters
    ----------
    explanation : Explanation
    model : Model or callable
    metrics : str or sequence of str
        Names of :data:`minplus.metrics.EXPLANATION_METRICS`, e.g.
        "deletion,insertion,pointing,robustness".
    saliency_maps : sequence of SaliencyMap
        Maps of the explained image (``explanation.image``'s size).
    point_at : str or sequence of str, optional
        Ground-truth regions of the localisation metrics.
    steps : int
        Pixel steps of the maps' deletion / insertion curves.
    **robustness_options
        Passed to :func:`minplus.metrics.robustness`.

    Returns
    -------
    dict
        For :func:`minplus.report.write_report`'s ``metrics``.

    Examples
    --------
    >>> from minplus import explain
    >>> from minplus.models import Threshold
    >>> img = np.zeros((8, 8, 3), np.uint8); img[:, :4] = 200
    >>> f = lambda x: x[:, :, :4].mean(axis=(1, 2, 3))[:, None]
    >>> e = explain(img, f, Threshold(50.0), regions="grid:1x2", baseline="black",
    ...             progress=False)
    >>> rows = explanation_report_metrics(e, f, "deletion,pointing", point_at="r0c0")
    >>> rows["Min+/Min- claims"]["pointing"], float(rows["Min+/Min- claims"]["deletion AUC"])
    (1.0, 50.0)
    """
    names = [m.strip() for m in metrics.split(",")] if isinstance(metrics, str) \
        else list(metrics)
    parts = [explanation_metrics(explanation, model, names, point_at=point_at, steps=steps,
                                 **robustness_options)]
    on_maps = [_MAP_METRICS[m] for m in names if m in _MAP_METRICS]
    maps = {str(s.method): s for s in saliency_maps}
    if maps and on_maps:
        e = explanation
        options = {m: {"steps": steps, "baseline": e.baseline}
                   for m in ("deletion", "insertion")}
        mask = None if point_at is None else region_mask(e.region_map, point_at)
        parts.insert(0, compare_methods(model, e.image, maps, on_maps, e.decision, mask=mask,
                                        options=options))
    return report_metrics(parts)

