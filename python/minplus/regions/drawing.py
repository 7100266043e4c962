"""Pictures of a RegionMap: regions tinted in distinct colours, outlined and named."""

from __future__ import annotations

import numpy as np

from ..errors import DTypeError, ShapeError


def region_colors(n: int) -> np.ndarray:
    """(n, 3) uint8 RGB colours, far apart in hue (golden-ratio steps), the same for every call.

    Examples
    --------
    >>> region_colors(3).shape
    (3, 3)
    """
    hue = (np.arange(n) * 0.618033988749895) % 1.0
    sat = np.where(np.arange(n) % 2, 0.55, 0.85)
    h6 = hue * 6.0
    k = (np.array([5.0, 3.0, 1.0])[None, :] + h6[:, None]) % 6.0
    rgb = 0.95 - 0.95 * sat[:, None] * np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)
    return np.round(rgb * 255).astype(np.uint8)


def _canvas(image, shape) -> np.ndarray:
    if image is None:
        return np.full(shape + (3,), 255, np.uint8)
    image = np.asarray(image)
    if image.shape[:2] != shape:
        raise ShapeError(f"image has shape {image.shape}, the region map is {shape}")
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4):
        raise ShapeError(f"image must be (H, W), (H, W, 3) or (H, W, 4), got {image.shape}")
    image = np.broadcast_to(image[:, :, :3], shape + (3,))
    if image.dtype == np.uint8:
        return image.copy()
    if image.dtype.kind == "f":
        return np.round(np.clip(image, 0.0, 1.0) * 255).astype(np.uint8)
    raise DTypeError(f"image must be uint8 or float in [0, 1], got {image.dtype}")


def draw_regions(region_map, image=None, alpha: float = 0.55, write_names: bool = True):
    """Tint each region of ``region_map`` over ``image``, outline it, write its name at its centre.

    Names go at each region's most interior pixel (the maximum of its distance transform), in
    white on a dark box so they read on any colour. Context pixels (-1) are left untinted.

    Returns
    -------
    (H, W, 3) uint8 ndarray
    """
    try:
        import cv2
    except ImportError as exc:  # pragma: no cover - cv2 ships with the "face" extra
        raise ImportError("RegionMap.render needs OpenCV: pip install minplus[face]") from exc
    labels = region_map.labels
    out = _canvas(image, region_map.shape).astype(np.float32)
    colors = region_colors(region_map.n).astype(np.float32)
    inside = labels >= 0
    out[inside] = (1 - alpha) * out[inside] + alpha * colors[labels[inside]]
    edge = np.zeros(labels.shape, bool)
    edge[:, 1:] |= labels[:, 1:] != labels[:, :-1]
    edge[1:, :] |= labels[1:, :] != labels[:-1, :]
    out[edge] = 40.0
    out = np.round(out).astype(np.uint8)
    if write_names:
        areas = region_map.areas()
        for r in np.argsort(-areas, kind="stable"):  # small regions last: their names on top
            if areas[r] == 0:
                continue
            own = (labels == r).astype(np.uint8)
            dist = cv2.distanceTransform(np.pad(own, 1), cv2.DIST_L2, 3)[1:-1, 1:-1]
            y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
            cols = np.flatnonzero(own[y])
            _write(cv2, out, region_map.names[r], int(x), int(y), width=cols.max() - cols.min())
    return out


def _write(cv2, out, text, x, y, width):
    """White text on a dark box centred at (x, y), about ``width`` px wide, inside the picture."""
    font = cv2.FONT_HERSHEY_SIMPLEX
    unit = cv2.getTextSize(text, font, 1.0, 1)[0][0]
    scale = float(np.clip(0.9 * width / unit, 0.25, max(0.3, min(out.shape[:2]) / 600.0)))
    (tw, th), base = cv2.getTextSize(text, font, scale, 1)
    h, w = out.shape[:2]
    left = int(np.clip(x - tw // 2, 0, max(0, w - tw - 2)))
    top = int(np.clip(y - th // 2, 0, max(0, h - th - base - 2)))
    cv2.rectangle(out, (left, top), (left + tw + 1, top + th + base), (30, 30, 30), -1)
    cv2.putText(out, text, (left + 1, top + th), font, scale, (255, 255, 255), 1, cv2.LINE_AA)
