"""The report's pictures of one explanation, as PNG data URIs sized for a page."""

from __future__ import annotations

import numpy as np

from ..viz import (as_rgb8, curves_figure, data_uri, heatmap_figure, highlight_regions,
                   region_map_picture)
from .record import region_ids

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


def _close(fig) -> str:
    uri = data_uri(fig)
    fig.clear()
    return uri


def explanation_pictures(exp, record: dict, saliency_maps=(), metrics=None) -> dict:
    """Data URIs of everything the report shows for one explanation.

    Returns
    -------
    dict
        ``image``, ``region_map``: str; ``min_plus``, ``min_minus``: list of str, aligned with
        the record's sets (at most MAX_SETS each); ``saliency``: list of str, aligned with
        ``saliency_maps``; ``curves``: str or None.
    """
    region_map = exp.region_map
    names = [str(n) for n in region_map.names]
    image, labels = _fit(as_rgb8(exp.image), np.asarray(region_map.labels), MAX_SIDE)

    def sets(key: str, kind: str) -> list[str]:
        return [data_uri(highlight_regions(image, labels, names,
                                           region_ids(region_map, s["regions"]), kind))
                for s in record[key][:MAX_SETS]]

    return {
        "image": data_uri(image),
        "region_map": data_uri(region_map_picture(labels, names, image)),
        "min_plus": sets("min_plus", "min+"),
        "min_minus": sets("min_minus", "min-"),
        "saliency": [_close(heatmap_figure(exp.image, s.map, title=str(s.method)))
                     for s in saliency_maps],
        "curves": _curves(metrics),
    }


def _curves(metrics) -> str | None:
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
