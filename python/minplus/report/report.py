"""The self-contained HTML report: one page, every picture embedded, every text escaped."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from ..viz import data_uri
from .concepts import concepts_section
from .pictures import explanation_pictures, picture_files
from .record import GENERAL_LIMITATIONS, explanation_record, result_record
from ..errors import ArgumentError

TEMPLATE = "report.html.j2"


def _template():
    import jinja2

    # autoescape: file names, region names and labels are user text and must stay text.
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    return env.from_string(resources.files(__package__).joinpath(TEMPLATE).read_text("utf-8"))


def _per_explanation(value, single: bool, k: int, name: str) -> list:
    """One entry per explanation: ``[value]`` for a single explanation, else ``value`` itself
    (or k Nones), which must have one entry per explanation."""
    if single:
        return [value]
    value = [None] * k if value is None else list(value)
    if len(value) != k:
        raise ArgumentError(f"{name} has {len(value)} entries for {k} explanations")
    return value


def _uris(pngs: dict) -> dict:
    """PNG bytes (or lists of them, or None) -> the page's data: URIs, key by key."""
    return {k: [data_uri(p) for p in v] if isinstance(v, list) else v and data_uri(v)
            for k, v in pngs.items()}


class Report(NamedTuple):
    """A rendered report: the page, its record (result.json) and its pictures as PNG files."""

    html: str
    result: dict
    pngs: dict


def build_report(explanations, saliency_maps=None, metrics=None, meta=None, titles=None,
                 page_title: str | None = None, concepts=None) -> Report:
    """Render the report of one or several explanations.

    Parameters
    ----------
    explanations : Explanation-like or sequence of them
        See :mod:`minplus.report.record` for the attributes read.
    saliency_maps : sequence of SaliencyMap, optional
        For a single explanation, its maps; for a sequence of explanations, one sequence (or
        None) per explanation.
        Every map given gets a panel, so a method appears as soon as it is passed.
    metrics : dict[str, dict[str, float | ndarray]], optional
        Per method, named metric values: scalars fill the metric table; ``fractions`` with
        ``insertion`` / ``deletion`` (K,) arrays are drawn as curves. One dict per explanation
        when there are several.
    meta : dict[str, object], optional
        The run's inputs (image file, reference, model, command line...), shown and recorded
        as text.
    titles : sequence of str, optional
        A heading per explanation (default "decision 1", ...).
    page_title : str, optional
    concepts : sequence of TCAVResult, Visualisation and Inversion, optional
        Results of :mod:`minplus.concepts` for the model: a "Concepts and features" section
        (TCAV scores against random concepts, the visualisations, originals above their
        inversions), ``result["concepts"]`` and concepts_*.png files.

    Returns
    -------
    Report
        ``html`` (str); ``result``, the record as written to result.json (see
        :mod:`minplus.report.schema`); ``pngs``, file name -> PNG bytes of every picture
        (names from :func:`minplus.report.pictures.picture_files`, prefixed "1_", "2_"... when
        there are several explanations).
    """
    single = hasattr(explanations, "image")
    exps = [explanations] if single else list(explanations)
    if not exps:
        raise ArgumentError("build_report needs at least one explanation")
    k = len(exps)
    maps = [list(m or ()) for m in _per_explanation(saliency_maps, single, k, "saliency_maps")]
    mets = [m or {} for m in _per_explanation(metrics, single, k, "metrics")]
    titles = list(titles) if titles is not None else [f"decision {i + 1}" for i in range(k)]
    if len(titles) != k:
        raise ArgumentError(f"titles has {len(titles)} entries for {k} explanations")
    views = []
    for exp, title, smaps, mvals in zip(exps, titles, maps, mets):
        record = explanation_record(exp, title, smaps, mvals, meta)
        names = list(dict.fromkeys(n for vals in record["metrics"].values() for n in vals))
        pngs = explanation_pictures(exp, record, smaps, mvals)
        views.append({"record": record, "metric_names": names, "pngs": pngs,
                      "pictures": _uris(pngs)})
    result = result_record([v["record"] for v in views], meta)
    concept_rec, concept_pngs, concept_files = concepts_section(concepts)
    if concept_rec is not None:
        result["concepts"] = concept_rec
    concept_view = None if concept_rec is None else {"record": concept_rec,
                                                     "pictures": _uris(concept_pngs)}
    html = _template().render(result=result, views=views, page_title=page_title,
                              general_limitations=GENERAL_LIMITATIONS, concepts=concept_view)
    prefix = len(views) > 1
    files = {name: png for i, v in enumerate(views)
             for name, png in picture_files(v["pngs"], v["record"],
                                            f"{i + 1}_" if prefix else "").items()}
    files.update(concept_files)
    return Report(html, result, files)


def write_report(path, explanations, saliency_maps=None, metrics=None, meta=None, titles=None,
                 page_title: str | None = None, files: bool = False, concepts=None) -> dict:
    """Write the HTML report to ``path`` (parent folders created); returns the record.

    Takes the arguments of :func:`build_report`. With ``files=True`` the record is also written
    as result.json and every picture as a PNG, beside the page.

    Typical use: ``write_report("out/report.html", minplus.explain(image, model,
    reference=ref), saliency_maps=[minplus.saliency.rise(model, image)], files=True)``.
    """
    report = build_report(explanations, saliency_maps, metrics, meta, titles, page_title,
                          concepts)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report.html, encoding="utf-8")
    if files:
        with open(path.parent / "result.json", "w", encoding="utf-8") as f:
            json.dump(report.result, f, indent=1)
        for name, png in report.pngs.items():
            (path.parent / name).write_bytes(png)
    return report.result
