"""minplus.summarise: what a model relies on across a run, overall and per group."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ._rows import AuditError, Rows, load_rows
from ._stats import bootstrap_mean, contingency_test, holm, permutation_test, wilson

ALPHA = 0.05  # family-wise level of the group tests (Holm-corrected)


@dataclass
class Reliance:
    """How often one region is part of the claims: share of images with a Min+ (Min-) set
    holding it (any of the image's tied sets), with 95% Wilson intervals."""

    region: str
    min_plus: tuple
    min_minus: tuple


@dataclass
class GroupTable:
    """Reliance per group of a column and the tests that compare the groups.

    ``rows`` holds one dict per (measure, region): measure ("min_plus", "min_minus" or a
    saliency method), region, the per-group values, the raw and Holm-adjusted p-values over
    the whole table, and ``flagged`` where the adjusted p-value is below ``alpha``.
    """

    column: str
    groups: list
    sizes: list
    rows: list
    alpha: float = ALPHA

    @property
    def flagged(self) -> list:
        """(measure, region) pairs whose reliance differs significantly between groups."""
        return [(r["measure"], r["region"]) for r in self.rows if r["flagged"]]


@dataclass
class Summary:
    """A run's global picture; see :func:`summarise`."""

    images: int
    errors: int
    regions: list
    reliance: list
    methods: dict
    common_sets: dict
    fragile: dict
    metrics: dict
    groups: GroupTable | None = None
    spec: dict = field(default_factory=dict)

    def top(self, kind: str = "min_plus") -> str:
        """The region most often in ``kind`` claims."""
        return max(self.reliance, key=lambda r: getattr(r, kind)[0]).region

    def to_dict(self) -> dict:
        """JSON-ready."""
        return {"images": self.images, "errors": self.errors, "regions": self.regions,
                "reliance": [vars(r) for r in self.reliance], "methods": self.methods,
                "common_sets": {k: [[list(s), c] for s, c in v]
                                for k, v in self.common_sets.items()},
                "fragile": self.fragile, "metrics": self.metrics, "spec": self.spec,
                "groups": None if self.groups is None else vars(self.groups)}


def _fragile(rows: Rows) -> dict:
    """Claims whose robustness check did not hold everywhere (from a ``robustness`` metric),
    and the smallest margins seen."""
    checked = fragile = 0
    for r in rows.rows:
        for m in r.get("metrics") or []:
            if m["name"] != "robustness" or not m.get("details"):
                continue
            try:
                claims = json.loads(m["details"]).get("claims", [])
            except (ValueError, AttributeError):
                continue
            for c in claims:
                checked += 1
                fragile += not c.get("holds_everywhere", c.get("holds") == c.get("of"))
    margins = [abs(v) for r in rows.rows for key in ("min_plus_margins", "min_minus_margins")
               for v in (r.get(key) or []) if v is not None]
    return {"claims_checked": checked, "fragile": fragile,
            "share": fragile / checked if checked else None,
            "smallest_margin": min(margins) if margins else None}


def _metric_figures(rows: Rows) -> dict:
    values: dict = {}
    for r in rows.rows:
        for m in r.get("metrics") or []:
            if m.get("value") is not None and np.isfinite(m["value"]):
                values.setdefault(m["name"], []).append(m["value"])
    return {k: {"n": len(v), "mean": float(np.mean(v)), "median": float(np.median(v)),
                "min": float(np.min(v)), "max": float(np.max(v))} for k, v in values.items()}


def _group_table(rows: Rows, column: str, seed: int, alpha: float) -> GroupTable:
    labels = np.array([str(v) for v in rows.column(column)])
    groups = sorted(set(labels.tolist()))
    if len(groups) < 2:
        raise AuditError(f"column {column!r} has one group ({groups}): nothing to compare")
    masks = [labels == g for g in groups]
    out = []
    for kind in ("min_plus", "min_minus"):
        share = rows.membership(kind)
        for j, region in enumerate(rows.regions):
            v = share[:, j]
            table = [[np.nansum(v[m]), np.isfinite(v[m]).sum() - np.nansum(v[m])] for m in masks]
            out.append({"measure": kind, "region": region,
                        "values": [float(np.nanmean(v[m])) if np.isfinite(v[m]).any() else None
                                   for m in masks],
                        "p": contingency_test(np.round(table))})
    for method in rows.methods():
        values = rows.region_values(method)
        for j, region in enumerate(rows.regions):
            v = values[:, j]
            out.append({"measure": method, "region": region,
                        "values": [float(np.nanmean(v[m])) if np.isfinite(v[m]).any() else None
                                   for m in masks],
                        "p": permutation_test(v, labels, seed=seed + j)})
    adjusted = holm([r["p"] for r in out])
    for r, a in zip(out, adjusted):
        r["p_adjusted"] = float(a)
        r["flagged"] = bool(a < alpha)
    return GroupTable(column, groups, [int(m.sum()) for m in masks], out, alpha)


def summarise(run, by: str | None = None, seed: int = 0, alpha: float = ALPHA,
              top_sets: int = 5) -> Summary:
    """What a model relies on across a run: per region, how often it is part of the Min+ and
    Min- sets, the mean region values of each saliency method, the commonest sets, how many
    claims are fragile, and the metric distributions; with ``by``, the same per group and the
    tests that compare the groups.

    Parameters
    ----------
    run : str, os.PathLike, pyarrow.Table or Rows
        A dataset run's folder (as :func:`minplus.run` writes it), a Parquet file or a table.
    by : str, optional
        A column to group by: a metadata column (with or without its ``meta_`` prefix) or a
        row column such as ``outcome`` (the model's decision, e.g. predicted gender).
    seed : int
        Seeds the bootstrap intervals and the permutation tests.
    alpha : float
        Family-wise level of the group tests: p-values are Holm-corrected over the whole table.
    top_sets : int
        How many of the commonest Min+ / Min- sets to list.

    Returns
    -------
    Summary
        Group tests: Fisher's exact test (two groups) or chi-square on each region's Min+/Min-
        counts, and a permutation test of each method's mean region value.
    """
    rows = load_rows(run)
    reliance = []
    shares = {k: rows.membership(k) for k in ("min_plus", "min_minus")}
    for j, region in enumerate(rows.regions):
        cells = {}
        for kind, share in shares.items():
            v = share[:, j]
            n, k = int(np.isfinite(v).sum()), float(np.nansum(v))
            cells[kind] = (k / n if n else float("nan"),) + wilson(k, n)
        reliance.append(Reliance(region, cells["min_plus"], cells["min_minus"]))
    methods = {}
    for method in rows.methods():
        values = rows.region_values(method)
        methods[method] = [(region,) + bootstrap_mean(values[:, j], seed=seed + j)
                           for j, region in enumerate(rows.regions)]
    common = {}
    for kind in ("min_plus", "min_minus"):
        counts = Counter(tuple(s) for r in rows.rows for s in (r.get(kind) or []))
        common[kind] = counts.most_common(top_sets)
    return Summary(images=len(rows), errors=rows.errors, regions=list(rows.regions),
                   reliance=reliance, methods=methods, common_sets=common,
                   fragile=_fragile(rows), metrics=_metric_figures(rows),
                   groups=None if by is None else _group_table(rows, by, seed, alpha),
                   spec=dict(rows.spec))
