"""The work of a run on one image: explain it, map it, measure it, and make its row.

:class:`Explainer` loads the model once (per process or Ray actor) and turns each
:class:`~minplus.run.inputs.Item` into one row of the run schema. Everything goes through what a
single image uses: :func:`minplus.parse_regions`, :func:`minplus.explain` (the one evaluation
loop), the saliency methods by their ``--methods`` names, and :mod:`minplus.metrics` by function
name. A failure of any step becomes an error row; the run goes on.
"""

from __future__ import annotations

import copy
import json
import time

import numpy as np

from .._version import __version__
from ..errors import ArgumentError
from .schema import META_PREFIX, SCHEMA_VERSION, description

FACE_SPECS = ("face68", "coarse", "fine", "mediapipe")


def margin(decision, scores) -> float | None:
    """How far ``scores`` (D,) are from flipping ``decision``'s original outcome, in the
    quantity it watches (:func:`minplus.metrics.decision_margin`); None when the decision has
    no margin."""
    from ..metrics import decision_margin

    m = float(decision_margin(decision, np.asarray(scores, np.float64).reshape(1, -1))[0][0])
    return None if np.isnan(m) else m


def _region_values(smap, region_map) -> list[float]:
    """Per-region values of a SaliencyMap, in region order: the method's own when it has them,
    else the map's mean over each region's pixels."""
    if smap.regions:
        return [float(smap.regions[name]) for name in region_map.names]
    labels = region_map.labels
    values = np.asarray(smap.map, np.float64)
    if values.shape != labels.shape:
        raise ArgumentError(f"{smap.method}: a map of shape {values.shape} does not cover the "
                            f"regions' {labels.shape}")
    flat = labels.reshape(-1)
    inside = flat >= 0
    sums = np.bincount(flat[inside], values.reshape(-1)[inside], minlength=region_map.n)
    counts = np.bincount(flat[inside], minlength=region_map.n)
    return (sums / np.maximum(counts, 1)).tolist()


def _metrics(names, model, explanation, point_at) -> tuple[list[dict], dict]:
    """(the ``metrics`` column's entries, seconds per metric) of one explanation, through
    :func:`minplus.metrics.explanation_metrics` (what ``minplus explain --metrics`` runs)."""
    from ..metrics import explanation_metrics

    results = explanation_metrics(explanation, model, names, point_at=point_at)
    entries, seconds = [], {}
    for name, result in results.items():
        details = result.to_dict()
        seconds[f"metric:{name}"] = details.pop("seconds")  # rows stay equal between runs
        entries.append({"name": name, "value": details["value"],
                        "details": json.dumps(details, default=float)})
    return entries, seconds


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


class Explainer:
    """A run's per-image work with its model loaded once.

    Parameters
    ----------
    config : RunConfig
    """

    def __init__(self, config):
        from .spec import load_model

        self.config = config
        self.model, self.module = load_model(config.model, config.preprocess)
        # The reference (a face to verify against) is scored once here, not once per image.
        self.decision = self._decision_template().prepare(self.model)
        self._fixed = {"schema_version": SCHEMA_VERSION, "model": config.model_spec,
                       "decision": config.decision_spec, "regions_spec": config.regions_spec,
                       "baseline": config.baseline, "mode": config.mode, "goal": config.goal,
                       "minplus_version": __version__}
        self._empty = {name: None for name in config.meta_schema.names}

    def _decision_template(self):
        from ..cli_specs import decision_from_spec, image_from_spec
        from ..models import as_decision

        c = self.config
        reference = c.reference
        if isinstance(reference, str):
            reference = image_from_spec(reference)
        if c.decision is None or isinstance(c.decision, str):
            return decision_from_spec(c.decision, reference,
                                      c.model if isinstance(c.model, str) else None)
        # run() refuses a reference beside a Decision. A copy: embedding the reference and
        # binding each image must not change the caller's object (in the local engine it is
        # the very object the caller passed, and the caller may start this run again)
        return copy.deepcopy(as_decision(c.decision))

    def row(self, item) -> dict:
        """The row (a dict of the run schema's columns) of one :class:`Item`; never raises
        for a failure of the image, the model or a method: that becomes an error row."""
        row = dict.fromkeys(_COLUMNS)
        row.update(self._fixed, index=item.index, id=item.id, source=item.source,
                   status="ok", seconds={})
        meta = dict(self._empty, **{k: v for k, v in item.metadata.items() if k in self._empty})
        row.update({META_PREFIX + k: v for k, v in meta.items()})
        try:
            image, row["content_hash"] = item.load()
            self._explain(image, item.id, row)
        except Exception as e:  # any failure is this image's row, never the run's end
            for key in _RESULT_COLUMNS:
                row[key] = None
            row.update(status="error", error_type=type(e).__name__, error=_one_line(e))
        row["seconds"] = sorted(row["seconds"].items())
        return row

    def _explain(self, image, name: str, row: dict) -> None:
        from ..cli_specs import run_saliency
        from ..explain import explain
        from ..regions import parse_regions

        c = self.config
        t0 = time.perf_counter()
        face = c.regions.split(":")[0] in FACE_SPECS
        parsed = parse_regions(image, c.regions, name=name,
                               **({"face_box": c.face_box} if face else {}))
        t_parsed = time.perf_counter()
        decision = copy.deepcopy(self.decision)  # each image binds its own
        e = explain(parsed.image, self.model, decision, regions=parsed.regions,
                    baseline=c.baseline, goal=c.goal, mode=c.mode, budget=c.budget,
                    progress=False)
        seconds = {k: float(v) for k, v in e.seconds.items()}
        seconds["regions"] += t_parsed - t0
        rm = e.region_map
        row.update(image_height=int(e.image.shape[0]), image_width=int(e.image.shape[1]),
                   regions=list(rm.names), region_areas=[int(a) for a in rm.areas()],
                   landmarks=None if parsed.landmarks is None else
                   np.asarray(parsed.landmarks, np.float64).tolist(),
                   outcome=decision.outcome,
                   original_scores=np.asarray(e.original_scores, np.float64).tolist(),
                   original_margin=margin(decision, e.original_scores),
                   queries=int(e.queries), bounds=[str(b) for b in e.search.get("bounds", [])],
                   budget_exhausted=bool(e.search.get("budget_exhausted", False)),
                   violations=int(e.search.get("violations", 0)))
        for side in ("min_plus", "min_minus"):
            masks = getattr(e, f"{side}_masks")
            scores = getattr(e, f"{side}_scores")
            row[side] = getattr(e, side)
            row[f"{side}_masks"] = None if masks is None else [int(m) for m in masks]
            row[f"{side}_scores"] = None if scores is None else \
                np.asarray(scores, np.float64).tolist()
            row[f"{side}_margins"] = None if scores is None else \
                [margin(decision, s) for s in scores]
        saliency = []
        for method in c.methods:
            t = time.perf_counter()
            (smap,) = run_saliency([method], self.model, self.module, e, c.preprocess,
                                   progress=False)
            seconds[f"saliency:{method}"] = time.perf_counter() - t
            m = np.ascontiguousarray(smap.map, "<f4")
            saliency.append({
                "method": method, "region_values": _region_values(smap, rm),
                "evaluations": int(smap.evaluations),
                "map_height": int(m.shape[0]), "map_width": int(m.shape[1]),
                "map": m.tobytes() if c.save_maps else None})
        row["saliency"] = saliency
        row["metrics"] = []
        if c.metrics:
            row["metrics"], metric_seconds = _metrics(c.metrics, self.model, e, c.point_at)
            seconds.update(metric_seconds)
        seconds["total"] = time.perf_counter() - t0
        row["seconds"] = seconds


_COLUMNS = [c["name"] for c in description()["columns"]]
# The columns an error row leaves null: everything the explanation would have given.
_RESULT_COLUMNS = _COLUMNS[_COLUMNS.index("image_height"):_COLUMNS.index("seconds")]
