"""The auditable record of an explanation: a JSON-ready dict, written as result.json and shown
by the HTML report.

The report reads explanations by duck typing, so any object with these attributes works; the
:class:`minplus.Explanation` returned by :func:`minplus.explain` has them:

=====================  ==========================================================================
attribute              meaning
=====================  ==========================================================================
``image``              (H, W, 3) uint8 (or float in [0, 1]) ndarray: the explained image
``region_map``         a :class:`minplus.RegionMap` (``labels``, ``names``, ``context``,
                       ``mask_of``, ``names_of``)
``min_plus``           sequence of kept sets, each a uint64 bitmask or a sequence of region
                       names; None when Min+ was not searched
``min_minus``          sequence of removed sets, same forms; None when not searched
``decision``           optional: ``outcome`` (str, e.g. "the match") and ``describe(scores)``
                       -> str (e.g. "distance 0.41 <= 0.6")
``min_plus_scores``    optional: the model's scores (D,) on the image keeping only each Min+ set
``min_minus_scores``   optional: the scores (D,) with each Min- set removed
``original_scores``    optional: the scores (D,) of the unmasked image
``queries``            optional int: model queries the search used
``seconds``            optional: float wall time, or dict stage -> seconds (with "total")
``mode``               optional str: search mode ("exact", "minimal", "monotone", "greedy")
``search``             optional dict: ``bounds`` (sentences: what the search proved),
                       ``budget_exhausted`` (bool), ``violations`` (int, monotone mode)
``baseline``           optional str: what masked regions were replaced with
=====================  ==========================================================================

What an explanation does not know (the model's name, the region spec) comes from the run's
``meta``: keys ``model`` and ``regions``.
"""

from __future__ import annotations

import datetime as _dt
import math

import numpy as np


MODE_MEANING = {
    "exact": "every set smaller than the ones reported was tested and none keeps the decision: "
             "the reported sets are of minimum size, with all ties listed",
    "minimal": "all subset-minimal sets up to the searched size were found: no region can be "
               "dropped from any of them, but a smaller set of other regions may exist beyond "
               "the searched size",
    "monotone": "the search assumed that keeping more regions never breaks a kept decision "
                "(monotonicity); under that assumption the sets are minimum; observations that "
                "contradicted it are counted",
    "greedy": "a greedy/beam heuristic: the sets keep or break the decision as shown, but are "
              "not proven minimum",
}

GENERAL_LIMITATIONS = (
    "Regions come from an automatic parser; a region that is mislocated explains the wrong "
    "pixels.",
    "Masking replaces a region with the baseline; the model may react to the baseline itself "
    "(an out-of-distribution image), not only to the missing evidence.",
    "Min+ and Min- explain this one decision on this one image; they are not a global account "
    "of the model.",
    "Saliency maps are approximations with their own assumptions; they are shown beside the "
    "exact region sets, not as proof.",
)


def _text(value, default: str = "") -> str:
    return default if value is None else str(value)


def _number(value):
    """A JSON-safe float (None for NaN/inf/missing)."""
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def region_names(region_map, region_set) -> list[str]:
    """Names of a region set given as a bitmask or as names (validated against the map)."""
    if isinstance(region_set, (int, np.integer)) and not isinstance(region_set, (bool, np.bool_)):
        return region_map.names_of(region_set)
    names = [str(n) for n in region_set]
    region_map.mask_of(names)  # RegionError naming any region the map does not have
    return names


def _joined(names) -> str:
    return " + ".join(n.replace("_", " ") for n in names) if names else "no region"


def sentence(kind: str, names, outcome: str, evidence: str) -> str:
    """The summary sentence of one Min+ (kept) or Min- (removed) set.

    Examples
    --------
    >>> sentence("min+", ["eyes", "nose"], "the match", "distance 0.41 <= 0.6")
    'Keeping only eyes + nose keeps the match (distance 0.41 <= 0.6).'
    >>> sentence("min-", ["mouth"], "the match", "")
    'Removing mouth changes the match.'
    >>> sentence("min+", [], "the non-match", "distance 0.71 > 0.6")
    'Even with every region masked, the model keeps the non-match (distance 0.71 > 0.6).'
    """
    tail = f" ({evidence})." if evidence else "."
    if kind == "min+" and not names:
        return f"Even with every region masked, the model keeps {outcome}{tail}"
    if kind == "min+":
        return f"Keeping only {_joined(names)} keeps {outcome}{tail}"
    return f"Removing {_joined(names)} changes {outcome}{tail}"


def _sets(exp, kind: str, decision) -> list[dict]:
    region_map = exp.region_map
    sets = list(getattr(exp, "min_plus" if kind == "min+" else "min_minus", None) or [])
    scores = getattr(exp, "min_plus_scores" if kind == "min+" else "min_minus_scores", None)
    outcome = _text(getattr(decision, "outcome", None), "the decision")
    out = []
    for i, region_set in enumerate(sets):
        names = region_names(region_map, region_set)
        evidence = ""
        if scores is not None and i < len(scores) and hasattr(decision, "describe"):
            evidence = _text(decision.describe(np.asarray(scores[i])))
        mask = int(region_map.mask_of(names))
        out.append({"regions": names, "mask": mask, "evidence": evidence,
                    "sentence": sentence(kind, names, outcome, evidence)})
    return out


def _mark_robustness(rec: dict, metrics: dict) -> None:
    """Give each Min+/Min- set the robustness row the metrics hold for it (``report_metrics``
    names them "Min+ eyes + nose"): ``robustness`` = {holds, of, margin, fragile}."""
    for key, label in (("min_plus", "Min+"), ("min_minus", "Min-")):
        for s in rec[key]:
            row = metrics.get(f"{label} {' + '.join(s['regions']) or '(none)'}")
            if row is None or "fragile" not in row:
                continue
            s["robustness"] = {"holds": int(row["holds"]), "of": int(row["of"]),
                               "margin": float(row["margin"]),
                               "fragile": bool(row["fragile"])}


def _no_set(kind: str, outcome: str, searched: bool) -> str:
    goal = "Min+ (what keeps" if kind == "min+" else "Min- (what changes"
    if not searched:
        return f"{goal} {outcome}) was not searched."
    verb = "keeps" if kind == "min+" else "changes"
    return f"The search found no set of regions that {verb} {outcome} (see what it proved below)."


def _limitations(exp) -> list[str]:
    """Caveats of this run, from the search's own account of itself."""
    facts = getattr(exp, "search", None) or {}
    out = []
    if facts.get("budget_exhausted"):
        out.append("The query budget ran out: the sets shown are the best found, and "
                   "minimality holds only as far as the proved bounds say.")
    if facts.get("violations"):
        out.append(f"{facts['violations']} observations contradicted monotonicity: the "
                   "monotone shortcuts may have skipped sets.")
    return out


def explanation_record(exp, title: str | None = None, saliency_maps=(), metrics=None,
                       meta=None) -> dict:
    """The JSON-ready record of one explanation (see the module docstring for what is read).

    Parameters
    ----------
    exp : Explanation-like
    title : str, optional
        A heading for this decision (e.g. "grace_hopper vs astronaut").
    saliency_maps : sequence of SaliencyMap
        Their method, target, score, evaluations and seconds are recorded (not the maps).
    metrics : dict[str, dict[str, float | ndarray]], optional
        Per method, named metric values; only scalars are recorded (arrays are curves, drawn
        by the report).
    meta : dict, optional
        The run's inputs; ``model`` and ``regions`` name the model and region parser when
        ``exp`` does not.

    Returns
    -------
    dict
        Matches :data:`minplus.report.schema.EXPLANATION_SCHEMA`.
    """
    meta = meta or {}
    decision = getattr(exp, "decision", None)
    region_map = exp.region_map
    seconds = getattr(exp, "seconds", None)
    timings = seconds if isinstance(seconds, dict) else {}
    if isinstance(seconds, dict):
        seconds = seconds.get("total")
    proven = "; ".join(str(b).rstrip(".") for b in
                       (getattr(exp, "search", None) or {}).get("bounds", ()))
    image = np.asarray(exp.image)
    outcome = _text(getattr(decision, "outcome", None), "the decision")
    original = getattr(exp, "original_scores", None)
    mode = _text(getattr(exp, "mode", None), "exact")
    rec = {
        "title": _text(title, "decision"),
        "image_shape": [int(image.shape[0]), int(image.shape[1])],
        "model": _text(meta.get("model"), "unnamed model"),
        "decision": {
            "rule": type(decision).__name__ if decision is not None else "unspecified",
            "outcome": outcome,
            "original": _text(decision.describe(np.asarray(original)))
            if original is not None and hasattr(decision, "describe") else "",
        },
        "regions": {"parser": _text(meta.get("regions"), "unspecified"),
                    "names": [str(n) for n in region_map.names],
                    "context": _text(getattr(region_map, "context", None), "keep")},
        "baseline": _text(getattr(exp, "baseline", None), "unspecified"),
        "mode": mode,
        "mode_meaning": MODE_MEANING.get(mode, "custom search mode"),
        "proven": _text(proven),
        "min_plus": _sets(exp, "min+", decision),
        "min_minus": _sets(exp, "min-", decision),
        "queries": int(getattr(exp, "queries", 0) or 0),
        "seconds": _number(seconds),
        "timings": {str(k): _number(v) for k, v in timings.items()},
        "limitations": _limitations(exp),
        "saliency": [{"method": str(s.method), "target": _text(s.target),
                      "score": _number(s.score), "evaluations": int(s.evaluations),
                      "seconds": _number(s.seconds)} for s in saliency_maps],
        "metrics": {str(m): {str(k): _number(v) for k, v in vals.items() if np.ndim(v) == 0}
                    for m, vals in (metrics or {}).items()},
    }
    _mark_robustness(rec, metrics or {})
    searched = {k: getattr(exp, k, None) is not None for k in ("min_plus", "min_minus")}
    rec["summary"] = ([s["sentence"] for s in rec["min_plus"]]
                      or [_no_set("min+", outcome, searched["min_plus"])])
    rec["summary"] += ([s["sentence"] for s in rec["min_minus"]]
                       or [_no_set("min-", outcome, searched["min_minus"])])
    return rec


def result_record(records, meta=None) -> dict:
    """The whole result.json: the run's metadata and one record per explanation."""
    from .._version import __version__

    return {"minplus_version": __version__,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "meta": {str(k): _text(v) for k, v in (meta or {}).items()},
            "explanations": list(records)}
