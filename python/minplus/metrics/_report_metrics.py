"""Metric results in the form the report takes (:func:`minplus.report.build_report`'s
``metrics``): ``{row: {column: number or (K,) array}}``."""

from __future__ import annotations

import numpy as np

from ._compare_methods import Comparison
from ._robustness import RobustnessResult


def _row(results: dict) -> dict:
    """One method's results as one report row: scalars by metric name ("deletion AUC" for the
    curve metrics), and the deletion / insertion curves with their shared ``fractions``."""
    row = {}
    for name, r in results.items():
        if isinstance(r, RobustnessResult):
            row["robust claims"] = float(r.value)
            continue
        if r.curve is not None and r.metric in ("deletion", "insertion"):
            row[f"{r.metric} AUC"] = float(r.value)
            if "fractions" not in row or np.array_equal(row["fractions"], r.curve.x):
                row["fractions"] = np.asarray(r.curve.x)
                row[r.metric] = np.asarray(r.curve.y)
        else:
            row[name] = float(r.value)
    return row


def report_metrics(results, claims_row: str = "Min+/Min- claims") -> dict:
    """The report's ``metrics`` argument from a :class:`Comparison` (one row per method), or
    from :func:`minplus.metrics.explanation_metrics`' ``{name: MetricResult}`` (one row, named
    ``claims_row``), or a list of either; a robustness result adds one row per claim with
    "holds", "of", "margin" and "fragile" (1 when it fails somewhere), so the report's table
    marks every fragile claim. Deletion / insertion curves are kept for the rows sharing the
    first curve's x axis (the report draws all over one), areas for all.

    Examples
    --------
    >>> from minplus import explain, metrics
    >>> from minplus.models import Threshold
    >>> img = np.zeros((8, 8, 3), np.uint8); img[:, :4] = 200
    >>> f = lambda x: x[:, :, :4].mean(axis=(1, 2, 3))[:, None]
    >>> e = explain(img, f, Threshold(50.0), regions="grid:1x2", baseline="black",
    ...             progress=False)
    >>> out = metrics.explanation_metrics(e, f, "deletion,robustness", baselines=["gray"],
    ...                                   shifts=(), brightness=(), jpeg=())
    >>> rows = report_metrics(out)
    >>> sorted(rows), rows["Min- r0c0"]
    (['Min+ r0c0', 'Min+/Min- claims', 'Min- r0c0'],
     {'holds': 1.0, 'of': 2.0, 'margin': 50.0, 'fragile': 1.0})
    """
    parts = results if isinstance(results, list) else [results]
    out = {}
    out_rows = _fill(parts, claims_row, out)
    # the report draws every row's curves over one x axis: rows on another axis keep their
    # areas but not their curves
    shared = next((r["fractions"] for r in out_rows if "fractions" in r), None)
    for r in out_rows:
        if "fractions" in r and not np.array_equal(r["fractions"], shared):
            for key in ("fractions", "deletion", "insertion"):
                r.pop(key, None)
    return out


def _fill(parts, claims_row, out) -> list:
    for part in parts:
        if isinstance(part, Comparison):
            for method, row in part.results.items():
                out[str(method)] = _row(row)
            continue
        out[claims_row] = _row(part)
        for r in part.values():
            if isinstance(r, RobustnessResult):
                for c in r.claims:
                    label = "Min+" if c.kind == "min_plus" else "Min-"
                    out[f"{label} {' + '.join(c.regions) or '(none)'}"] = {
                        "holds": float(c.k), "of": float(c.m), "margin": float(c.margin),
                        "fragile": float(c.fragile)}
    return list(out.values())
