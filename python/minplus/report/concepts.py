"""The report's "Concepts and features" section: TCAV scores with their tests against random
concepts, feature visualisations and inversions (:mod:`minplus.concepts`).

They describe the model, not one explained image, so they get one section of their own after
the explanations, a ``concepts`` entry in result.json and PNG files of their own.
"""

from __future__ import annotations

import re

import numpy as np

from ..errors import ArgumentError, ArgumentTypeError
from ..metrics._results import _plain
from ..viz import png_bytes

MAX_IMAGES = 8  # pictures drawn per visualisation or inversion; the record keeps every value


def split_concepts(items) -> dict:
    """``items`` (TCAVResult, Visualisation and Inversion objects, in any order) sorted into
    {"tcav": [...], "visualisations": [...], "inversions": [...]}."""
    from ..concepts import Inversion, TCAVResult, Visualisation

    if isinstance(items, (TCAVResult, Visualisation, Inversion)):
        items = [items]
    try:
        items = list(items)
    except TypeError:
        raise ArgumentTypeError(f"concepts must be a sequence of TCAVResult, Visualisation or "
                                f"Inversion objects, got {type(items).__name__}") from None
    out = {"tcav": [], "visualisations": [], "inversions": []}
    kinds = ((TCAVResult, "tcav"), (Visualisation, "visualisations"), (Inversion, "inversions"))
    for item in items:
        key = next((k for cls, k in kinds if isinstance(item, cls)), None)
        if key is None:
            raise ArgumentTypeError(f"concepts holds a {type(item).__name__}; expected "
                                    "TCAVResult, Visualisation or Inversion objects")
        out[key].append(item)
    return out


def _floats(a) -> list:
    return [float(v) for v in np.asarray(a, float).ravel()]


def concepts_record(parts: dict) -> dict:
    """The JSON-ready record of :func:`split_concepts`' parts (result.json's ``concepts``)."""
    tcav = [{"concept": str(r.concept), "layer": str(r.layer), "target": str(r.target),
             "runs": int(len(r.scores)), "mean": r.mean, "std": r.std,
             "random_mean": r.random_mean, "random_std": r.random_std, "t": float(r.t),
             "p_value": float(r.p_value), "alpha": float(r.alpha),
             "significant": r.significant, "scores": _floats(r.scores),
             "random_scores": _floats(r.random_scores),
             "accuracy": float(np.mean(r.accuracies)), "summary": r.summary()}
            for r in parts["tcav"]]
    vis = [{"objective": str(v.objective), "images": int(len(v.images)),
            "values": _floats(v.values), "seconds": float(v.seconds),
            "options": _plain(v.options)}
           for v in parts["visualisations"]]
    inv = [{"layer": str(i.layer), "images": int(len(i.images)),
            "distances": _floats(i.distances), "start_distances": _floats(i.start_distances),
            "seconds": float(i.seconds), "options": _plain(i.options)}
           for i in parts["inversions"]]
    return {"tcav": tcav, "visualisations": vis, "inversions": inv}


def _tcav_figure(results):
    """Bars of each concept's mean TCAV score (+/- its spread) beside random concepts'."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(max(4.0, 1.1 * len(results) + 2), 3.2), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(results))
    ax.bar(x - 0.2, [r.mean for r in results], 0.4, yerr=[r.std for r in results],
           label="concept", color="#2f6fb0", capsize=3)
    ax.bar(x + 0.2, [r.random_mean for r in results], 0.4, yerr=[r.random_std for r in results],
           label="random", color="#b0b7bf", capsize=3)
    for i, r in enumerate(results):
        ax.text(i, 1.02, "*" if r.significant else "n.s.", ha="center", va="bottom", fontsize=9)
    ax.set_xticks(x, [f"{r.concept}\n-> {r.target}\n@ {r.layer}" for r in results], fontsize=7)
    ax.set_ylim(0, 1.15)
    ax.set_ylabel("TCAV score")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def _strip(rows):
    """One picture of rows of (B, H, W, C) uint8 images side by side (a row per array)."""
    rows = [np.asarray(r)[:MAX_IMAGES] for r in rows]
    h, w = rows[0].shape[1:3]
    gap = max(1, w // 16)
    n = max(len(r) for r in rows)
    canvas = np.full((len(rows) * (h + gap) - gap, n * (w + gap) - gap, 3), 255, np.uint8)
    for i, r in enumerate(rows):
        for j, im in enumerate(r):
            im = im if im.shape[2] == 3 else np.repeat(im[..., :1], 3, axis=2)
            canvas[i * (h + gap):i * (h + gap) + h, j * (w + gap):j * (w + gap) + w] = im
    side = max(canvas.shape[:2])
    if side < 256:  # small network inputs (32 px): scale up by whole pixels to be seen
        f = int(np.ceil(256 / side))
        canvas = np.repeat(np.repeat(canvas, f, axis=0), f, axis=1)
    return canvas


def concepts_pictures(parts: dict) -> dict:
    """PNG bytes: ``tcav`` (bytes or None), ``visualisations`` and ``inversions`` (lists,
    aligned with the record; an inversion is its originals above their reconstructions)."""
    from .pictures import _close

    return {
        "tcav": _close(_tcav_figure(parts["tcav"])) if parts["tcav"] else None,
        "visualisations": [png_bytes(_strip([v.images])) for v in parts["visualisations"]],
        "inversions": [png_bytes(_strip([i.originals, i.images]) if i.originals is not None
                                 else _strip([i.images])) for i in parts["inversions"]],
    }


def concepts_files(pictures: dict, record: dict) -> dict[str, bytes]:
    """File names -> PNG bytes: concepts_tcav.png, concepts_visualisation_1.png...,
    concepts_inversion_1.png..."""
    files = {}
    if pictures["tcav"] is not None:
        files["concepts_tcav.png"] = pictures["tcav"]
    for i, (v, png) in enumerate(zip(record["visualisations"], pictures["visualisations"])):
        slug = re.sub(r"[^a-z0-9]+", "_", v["objective"].lower()).strip("_")[:40] or "objective"
        files[f"concepts_visualisation_{i + 1}_{slug}.png"] = png
    for i, png in enumerate(pictures["inversions"]):
        files[f"concepts_inversion_{i + 1}.png"] = png
    return files


def concepts_section(concepts):
    """(record, pictures, files) for ``concepts``, or (None, None, {}) when there are none."""
    if concepts is None:
        return None, None, {}
    parts = split_concepts(concepts)
    if not any(parts.values()):
        raise ArgumentError("concepts is empty: pass None for no concepts section")
    record = concepts_record(parts)
    pictures = concepts_pictures(parts)
    return record, pictures, concepts_files(pictures, record)
