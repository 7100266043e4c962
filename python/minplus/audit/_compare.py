"""minplus.compare: how what a model relies on drifted between two runs."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._rows import AuditError, load_rows
from ._stats import holm, js_distance, ndcg, two_proportions

# Documented drift thresholds. A region's Min+/Min- frequency drifts when the Holm-corrected
# two-proportion test rejects at ALPHA *and* the change is at least MIN_CHANGE (so that a large
# run does not flag a trivial change); a method's region values drift when the KS test rejects
# (Holm) and the Jensen-Shannon distance is at least JS_MIN; the global ranking drifts when its
# nDCG falls below NDCG_MIN (SageMaker Clarify's default).
ALPHA = 0.05
MIN_CHANGE = 0.10
JS_MIN = 0.2
NDCG_MIN = 0.90


@dataclass
class Drift:
    """Drift between run A and run B, per region; see :func:`compare`.

    ``regions`` holds one dict per (measure, region): the two values, the change, the test's
    raw and corrected p-values, the JS distance where it applies, and ``flagged``. ``ranking``
    holds nDCG and Spearman's rho of each measure's global importance order.
    """

    images: tuple
    regions: list
    ranking: dict
    thresholds: dict = field(default_factory=dict)

    @property
    def flagged(self) -> list:
        """(measure, region) pairs that drifted."""
        return [(r["measure"], r["region"]) for r in self.regions if r["flagged"]]

    @property
    def flagged_regions(self) -> list:
        """Regions with any drifted measure, in region order."""
        return list(dict.fromkeys(region for _, region in self.flagged))

    def verdict(self) -> str:
        """One sentence: what changed."""
        rank = [m for m, v in self.ranking.items() if v["flagged"]]
        if not self.flagged and not rank:
            return (f"No drift: reliance on every region is the same within the thresholds "
                    f"({self.images[0]} vs {self.images[1]} images).")
        parts = []
        for region in self.flagged_regions:
            how = [f"{r['measure']} {r['a']:.2f} -> {r['b']:.2f}" for r in self.regions
                   if r["region"] == region and r["flagged"]]
            parts.append(f"{region} ({'; '.join(how)})")
        text = "Drift in " + ", ".join(parts) if parts else "No region drifted"
        if rank:
            text += f"; the global ranking changed for {', '.join(rank)}"
        return text + "."

    def to_dict(self) -> dict:
        return {"images": list(self.images), "regions": self.regions, "ranking": self.ranking,
                "thresholds": self.thresholds, "flagged": [list(f) for f in self.flagged],
                "verdict": self.verdict()}


def _spearman(a, b) -> float:
    from scipy import stats

    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 1.0 if np.allclose(a, b) else 0.0
    return float(stats.spearmanr(a, b)[0])


def compare(run_a, run_b, alpha: float = ALPHA, min_change: float = MIN_CHANGE,
            js_min: float = JS_MIN, ndcg_min: float = NDCG_MIN) -> Drift:
    """Per region, what changed between two runs over the same region set: the Min+ and Min-
    frequencies (two-proportion z-test, Holm-corrected), each saliency method's region values
    (Kolmogorov-Smirnov and Jensen-Shannon), and the agreement of the global importance
    rankings (nDCG as SageMaker Clarify computes it, and Spearman's rho).

    Parameters
    ----------
    run_a, run_b : run folders, Parquet files, tables or Rows
    alpha, min_change, js_min, ndcg_min : float
        The drift thresholds (module constants document the defaults).

    Returns
    -------
    Drift
    """
    from scipy import stats

    a, b = load_rows(run_a), load_rows(run_b)
    if a.regions != b.regions:
        raise AuditError(f"the runs use different regions ({a.regions} vs {b.regions})")
    out, ranking = [], {}
    for kind in ("min_plus", "min_minus"):
        sa, sb = a.membership(kind), b.membership(kind)
        for j, region in enumerate(a.regions):
            va, vb = sa[:, j], sb[:, j]
            na, nb = int(np.isfinite(va).sum()), int(np.isfinite(vb).sum())
            ka, kb = float(np.nansum(va)), float(np.nansum(vb))
            fa, fb = (ka / na if na else np.nan), (kb / nb if nb else np.nan)
            out.append({"measure": kind, "region": region, "a": fa, "b": fb,
                        "change": fb - fa, "p": two_proportions(ka, na, kb, nb), "js": None})
        ranking[kind] = (np.nanmean(sa, axis=0), np.nanmean(sb, axis=0))
    for method in [m for m in a.methods() if m in b.methods()]:
        va, vb = a.region_values(method), b.region_values(method)
        for j, region in enumerate(a.regions):
            x, y = va[:, j][np.isfinite(va[:, j])], vb[:, j][np.isfinite(vb[:, j])]
            p = float(stats.ks_2samp(x, y).pvalue) if len(x) and len(y) else 1.0
            out.append({"measure": method, "region": region, "a": float(np.mean(x)),
                        "b": float(np.mean(y)), "change": float(np.mean(y) - np.mean(x)),
                        "p": p, "js": js_distance(x, y)})
        ranking[method] = (np.nanmean(np.abs(va), axis=0), np.nanmean(np.abs(vb), axis=0))
    for r, adj in zip(out, holm([r["p"] for r in out])):
        r["p_adjusted"] = float(adj)
        big = abs(r["change"]) >= min_change if r["js"] is None else r["js"] >= js_min
        r["flagged"] = bool(adj < alpha and big)
    ranks = {}
    for m, (ia, ib) in ranking.items():
        score = ndcg(ia, ib)
        ranks[m] = {"ndcg": score, "spearman": _spearman(ia, ib), "flagged": score < ndcg_min}
    return Drift((len(a), len(b)), out, ranks,
                 {"alpha": alpha, "min_change": min_change, "js_min": js_min,
                  "ndcg_min": ndcg_min})
