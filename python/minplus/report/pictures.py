"""The report's pictures of one explanation, as PNG bytes sized for a page."""

from __future__ import annotations

import numpy as np

import re

from ..regions import RegionMap
from ..viz import as_rgb8, curves_figure, heatmap_panel, highlight_regions, png_bytes

MAX_SIDE = 384    # pixels: sharp on a phone, and a whole report stays a few MB
MAX_SETS = 8      # Min+/Min- ties drawn per goal; the record lists them all


def _fit(image: np.ndarray, labels: np.ndarray, max_side: int):
    """Downscale image (area) and labels (nearest) together so names are drawn at page size."""
    import cv2

    h, w = labels.shape
    f = max_side / max(h, w)
    if f >= 1:
        return image, labels
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return (cv2.resize(image, size, interpolation=cv2.INTER_AREA),
            cv2.resize(labels.astype(np.int32), size, interpolation=cv2.INTER_NEAREST))


def _close(fig) -> bytes:
    png = png_bytes(fig)
    fig.clear()
    return png


def explanation_pictures(exp, record: dict, saliency_maps=(), metrics=None) -> dict:
    """PNG bytes of everything the report shows for one explanation.

    Returns
    -------
    dict
        ``image``, ``region_map``: bytes; ``min_plus``, ``min_minus``: list of bytes, aligned
        with the record's sets (at most MAX_SETS each); ``saliency``: list of bytes, aligned
        with ``saliency_maps``; ``curves``: bytes or None.
    """
    region_map = exp.region_map
    names = [str(n) for n in region_map.names]
    image, labels = _fit(as_rgb8(exp.image), np.asarray(region_map.labels), MAX_SIDE)

    def sets(key: str, kind: str) -> list[bytes]:
        return [png_bytes(highlight_regions(image, labels, names, s["mask"], kind))
                for s in record[key][:MAX_SETS]]

    return {
        "image": png_bytes(image),
        "region_map": png_bytes(RegionMap(labels, names).render(image)),
        "min_plus": sets("min_plus", "min+"),
        "min_minus": sets("min_minus", "min-"),
        "saliency": [png_bytes(heatmap_panel(image, s.map)) for s in saliency_maps],
        "curves": _curves(metrics),
    }


def _curves(metrics) -> bytes | None:
    """Insertion/deletion curves from metrics whose values include ``fractions`` and the
    ``insertion``/``deletion`` score arrays; None when no method has them."""
    fractions, curves = None, {"insertion": {}, "deletion": {}}
    for method, values in (metrics or {}).items():
        if "fractions" not in values:
            continue
        fractions = values["fractions"]
        for kind in curves:
            if kind in values and np.ndim(values[kind]) == 1:
                curves[kind][str(method)] = values[kind]
    if fractions is None or not any(curves.values()):
        return None
    return _close(curves_figure(fractions, insertion=curves["insertion"] or None,
                                deletion=curves["deletion"] or None))


def picture_files(pictures: dict, record: dict, prefix: str = "") -> dict[str, bytes]:
    """File names -> PNG bytes for :func:`explanation_pictures`' output: original.png,
    regions.png, min_plus_1.png..., min_minus_1.png..., saliency_<method>.png, curves.png,
    each name after ``prefix``."""
    files = {f"{prefix}original.png": pictures["image"],
             f"{prefix}regions.png": pictures["region_map"]}
    for key in ("min_plus", "min_minus"):
        files.update({f"{prefix}{key}_{i + 1}.png": png for i, png in enumerate(pictures[key])})
    for s, png in zip(record["saliency"], pictures["saliency"]):
        slug = re.sub(r"[^a-z0-9]+", "_", s["method"].lower()).strip("_") or "map"
        files[f"{prefix}saliency_{slug}.png"] = png
    if pictures["curves"] is not None:
        files[f"{prefix}curves.png"] = pictures["curves"]
    return files
