"""Compare saliency methods on one image by several metrics: a table and a ranking."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import ArgumentError
from ._complexity import complexity
from ._deletion import deletion
from ._energy_pointing_game import energy_pointing_game
from ._faithfulness_correlation import faithfulness_correlation
from ._infidelity import infidelity
from ._insertion import insertion
from ._plumbing import bound
from ._pointing_game import pointing_game
from ._relevance_mass_accuracy import relevance_mass_accuracy
from ._results import _plain
from ._road import road
from ._sparseness import sparseness

# name -> (metric, what it needs): "model" metrics score perturbations through one shared
# Binding, "mask" metrics read a ground-truth mask, "map" metrics read the map alone.
MODEL_METRICS = {"deletion": deletion, "insertion": insertion,
                 "faithfulness_correlation": faithfulness_correlation, "road": road,
                 "infidelity": infidelity}
MASK_METRICS = {"pointing_game": pointing_game, "energy_pointing_game": energy_pointing_game,
                "relevance_mass_accuracy": relevance_mass_accuracy}
MAP_METRICS = {"sparseness": sparseness, "complexity": complexity}
METRICS = {**MODEL_METRICS, **MASK_METRICS, **MAP_METRICS}


@dataclass
class Comparison:
    """Saliency methods side by side.

    Attributes
    ----------
    table : dict[str, dict[str, float]]
        ``table[method][metric]``.
    results : dict[str, dict[str, MetricResult]]
        The full results (curves, costs).
    ranking : dict[str, list[str]]
        Per metric, the methods best first (NaN last).
    mean_rank : dict[str, float]
        Each method's mean rank over the metrics (1 = best), the overall order.
    seconds : float
    """

    table: dict
    results: dict
    ranking: dict
    mean_rank: dict
    seconds: float = 0.0
    metrics: list = field(default_factory=list)

    def to_markdown(self) -> str:
        """The table as Markdown, methods by mean rank, an arrow giving each metric's sense."""
        first = next(iter(self.results.values()))
        heads = [f"{m} {'↑' if first[m].higher_is_better else '↓'}" for m in self.metrics]
        lines = ["| method | " + " | ".join(heads) + " | mean rank |",
                 "|---" * (len(heads) + 2) + "|"]
        for method in sorted(self.mean_rank, key=self.mean_rank.get):
            cells = [f"{self.table[method][m]:.4g}" for m in self.metrics]
            lines.append(f"| {method} | " + " | ".join(cells) +
                         f" | {self.mean_rank[method]:.2f} |")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"metrics": list(self.metrics), "table": _plain(self.table),
                "ranking": self.ranking, "mean_rank": _plain(self.mean_rank),
                "results": {k: {m: r.to_dict() for m, r in v.items()}
                            for k, v in self.results.items()},
                "seconds": float(self.seconds)}

    def figure(self):
        """One panel per curve metric (each method's curve) and a bar panel of mean ranks."""
        import matplotlib.pyplot as plt

        curved = [m for m in self.metrics
                  if next(iter(self.results.values()))[m].curve is not None]
        fig, axes = plt.subplots(1, len(curved) + 1, figsize=(4 * (len(curved) + 1), 3))
        axes = np.atleast_1d(axes)
        for ax, metric in zip(axes, curved):
            for method, res in self.results.items():
                c = res[metric].curve
                ax.plot(c.x, c.y, label=f"{method} ({res[metric].value:.3g})")
            ax.set_title(metric)
            ax.set_xlabel(next(iter(self.results.values()))[metric].curve.xlabel)
            ax.legend(fontsize=7)
        order = sorted(self.mean_rank, key=self.mean_rank.get)
        axes[-1].barh(order[::-1], [self.mean_rank[m] for m in order[::-1]])
        axes[-1].set_title("mean rank (1 = best)")
        fig.tight_layout()
        return fig


def _rank(values: dict, higher: bool) -> list:
    def key(name):
        v = values[name]
        return (np.isnan(v), -v if higher else v)

    return sorted(values, key=key)


def compare_methods(model, image, maps, metrics=("deletion", "insertion",
                                                 "faithfulness_correlation", "sparseness"),
                    target=None, *, mask=None, options=None):
    """Rank saliency methods on one image by several metrics.

    Parameters
    ----------
    model : Model or callable
        Scored by the model metrics; bound to the image once for all methods and metrics.
    image : (H, W, C) uint8 or float32 ndarray
    maps : dict[str, SaliencyMap or (H, W) array]
        One map per method, e.g. ``{"rise": rise(model, img), "occlusion": ...}``.
    metrics : sequence of str
        Among :data:`METRICS`: deletion, insertion, faithfulness_correlation, road, infidelity
        (model metrics); pointing_game, energy_pointing_game, relevance_mass_accuracy (need
        ``mask``); sparseness, complexity.
    target : target spec, optional
        As for the saliency methods; one for every method.
    mask : (H, W) bool array, optional
        Ground truth of the localisation metrics (see :func:`minplus.metrics.region_mask`).
    options : dict[str, dict], optional
        Keyword options per metric, e.g. ``{"deletion": {"steps": 20}}``.

    Returns
    -------
    Comparison

    Examples
    --------
    >>> w = np.arange(16, dtype=np.float32).reshape(4, 4)
    >>> f = lambda x: (x[..., 0] * w).sum(axis=(1, 2))
    >>> maps = {"reversed": w[::-1, ::-1], "true": w}
    >>> c = compare_methods(f, np.ones((4, 4, 1), np.float32), maps,
    ...                     metrics=("deletion", "insertion"),
    ...                     options={"insertion": {"baseline": "black"}})
    >>> c.ranking["deletion"], c.table["true"]
    (['true', 'reversed'], {'deletion': 38.75, 'insertion': 81.25})
    """
    t0 = time.perf_counter()
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ArgumentError(f"unknown metrics {unknown}; known: {sorted(METRICS)}")
    if not maps:
        raise ArgumentError("maps is empty: give {method name: map}")
    if mask is None and any(m in MASK_METRICS for m in metrics):
        raise ArgumentError(f"{[m for m in metrics if m in MASK_METRICS]} need mask= (a "
                            "ground-truth (H, W) bool mask, e.g. metrics.region_mask)")
    options = options or {}
    binding, image = bound(model, image) if any(m in MODEL_METRICS for m in metrics) \
        else (None, image)
    results = {}
    for method, sal in maps.items():
        row = {}
        for m in metrics:
            opts = options.get(m, {})
            if m in MODEL_METRICS:
                row[m] = METRICS[m](binding, image, sal, target, **opts)
            elif m in MASK_METRICS:
                row[m] = METRICS[m](sal, mask, **opts)
            else:
                row[m] = METRICS[m](sal, **opts)
        results[method] = row
    table = {k: {m: float(r.value) for m, r in row.items()} for k, row in results.items()}
    ranking, ranks = {}, {k: [] for k in maps}
    for m in metrics:
        higher = next(iter(results.values()))[m].higher_is_better
        ranking[m] = _rank({k: table[k][m] for k in maps}, higher)
        for i, k in enumerate(ranking[m]):
            ranks[k].append(i + 1)
    mean_rank = {k: float(np.mean(v)) for k, v in ranks.items()}
    return Comparison(table, results, ranking, mean_rank, time.perf_counter() - t0, metrics)
