"""Named regions drawn on the face: the Min+ set kept, the Min- set removed, or the whole map."""

from __future__ import annotations

import numpy as np

from ..errors import RegionError, ShapeError
from .encoding import as_rgb8

KEPT = (40, 180, 80)      # Min+: the regions that alone keep the decision
REMOVED = (220, 40, 40)   # Min-: the regions whose removal changes it


def _check(labels, names, shape) -> np.ndarray:
    lab = np.asarray(labels)
    if lab.shape != shape:
        raise ShapeError(f"labels has shape {lab.shape}, the image is {shape}")
    if lab.size and (lab.min() < -1 or lab.max() >= len(names)):
        raise RegionError(f"labels hold ids in [{lab.min()}, {lab.max()}], names cover "
                          f"[0, {len(names)})")
    return lab


def _bits(mask, n: int) -> np.ndarray:
    """(n,) bool: which regions a uint64 mask or a collection of region ids selects."""
    if isinstance(mask, (int, np.integer)):
        value = int(mask)
        return np.array([bool(value >> r & 1) for r in range(n)])
    chosen = np.zeros(n, bool)
    chosen[list(mask)] = True
    return chosen


def _edges(selected: np.ndarray) -> np.ndarray:
    """Pixels on the border of a boolean area, two pixels thick so they show when scaled down."""
    import cv2

    sel = selected.astype(np.uint8)
    return cv2.dilate(sel, np.ones((3, 3), np.uint8)) != cv2.erode(sel, np.ones((3, 3), np.uint8))


def write_names(canvas: np.ndarray, labels: np.ndarray, names, which) -> np.ndarray:
    """Write ``names[r]`` for each r in ``which`` at region r's most interior pixel, in place.

    Black text on a white halo, so it reads on any colour; size follows the image's size.
    """
    import cv2

    scale = max(0.3, min(labels.shape) / 600.0)
    for r in which:
        own = (labels == r).astype(np.uint8)
        if not own.any():
            continue
        dist = cv2.distanceTransform(np.pad(own, 1), cv2.DIST_L2, 3)[1:-1, 1:-1]
        y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
        text = str(names[r])
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        org = (int(np.clip(x - tw // 2, 0, max(0, labels.shape[1] - tw))),
               int(np.clip(y + th // 2, th, labels.shape[0] - 1)))
        for colour, thick in (((255, 255, 255), 3), ((0, 0, 0), 1)):
            cv2.putText(canvas, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thick,
                        cv2.LINE_AA)
    return canvas


def highlight_regions(image, labels, names, mask, kind: str = "min+",
                      fade: float = 0.65) -> np.ndarray:
    """Show one Min+ or Min- set on the image, each of its regions outlined and named.

    Parameters
    ----------
    image : (H, W, 3) uint8 or float in [0, 1] ndarray
    labels : (H, W) int ndarray
        Region id per pixel in [0, n), -1 for context.
    names : sequence of str
        ``names[r]`` names region r.
    mask : int or iterable of int
        The set: a bitmask (bit r = region r) or region ids.
    kind : {"min+", "min-"}
        "min+": the set is what is *kept*; every other region fades towards grey.
        "min-": the set is what is *removed*; its regions are tinted red.
    fade : float in [0, 1]
        How far faded or tinted pixels move towards grey / red.

    Returns
    -------
    (H, W, 3) uint8 ndarray

    Examples
    --------
    >>> img = np.full((20, 20, 3), 200, np.uint8)
    >>> lab = np.repeat([[0] * 10 + [1] * 10], 20, axis=0)
    >>> out = highlight_regions(img, lab, ["left", "right"], 0b01, "min+")
    >>> bool(out[10, 18].mean() < 200)   # the right half, not kept, is faded
    True
    """
    if kind not in ("min+", "min-"):
        raise ValueError(f"kind must be 'min+' or 'min-', got {kind!r}")
    rgb = as_rgb8(image)
    lab = _check(labels, names, rgb.shape[:2])
    chosen = _bits(mask, len(names))
    in_set = np.zeros(lab.shape, bool)
    in_set[lab >= 0] = chosen[lab[lab >= 0]]
    out = rgb.astype(np.float32)
    if kind == "min+":
        faded = (lab >= 0) & ~in_set
        out[faded] = (1 - fade) * out[faded] + fade * 110.0
        colour = KEPT
    else:
        out[in_set] = (1 - fade) * out[in_set] + fade * np.array(REMOVED, np.float32)
        colour = REMOVED
    out = np.round(out).astype(np.uint8)
    out[_edges(in_set)] = colour
    return write_names(out, lab, names, np.flatnonzero(chosen))


def region_colours(n: int) -> np.ndarray:
    """(n, 3) uint8 RGB colours far apart in hue (golden-ratio steps), the same on every call.

    Examples
    --------
    >>> region_colours(4).shape
    (4, 3)
    """
    from matplotlib.colors import hsv_to_rgb

    hue = (np.arange(n) * 0.618033988749895) % 1.0
    hsv = np.stack([hue, np.where(np.arange(n) % 2, 0.55, 0.85), np.full(n, 0.95)], axis=1)
    return np.round(hsv_to_rgb(hsv) * 255).astype(np.uint8)


def region_map_picture(labels, names, image=None, alpha: float = 0.55) -> np.ndarray:
    """A picture of a region map: every region tinted its own colour, outlined and named.

    Parameters
    ----------
    labels : (H, W) int ndarray
        Region id per pixel in [0, n), -1 for context (left untinted).
    names : sequence of str
    image : (H, W, 3) ndarray, optional
        Drawn under the colours; a white canvas when omitted.
    alpha : float in [0, 1]
        Opacity of the colours.

    Returns
    -------
    (H, W, 3) uint8 ndarray
    """
    lab = np.asarray(labels)
    canvas = np.full(lab.shape + (3,), 255, np.uint8) if image is None else as_rgb8(image)
    lab = _check(lab, names, canvas.shape[:2])
    out = canvas.astype(np.float32)
    inside = lab >= 0
    out[inside] = (1 - alpha) * out[inside] + alpha * region_colours(len(names))[lab[inside]]
    out = np.round(out).astype(np.uint8)
    border = np.zeros(lab.shape, bool)
    border[:, 1:] |= lab[:, 1:] != lab[:, :-1]
    border[1:, :] |= lab[1:, :] != lab[:-1, :]
    out[border] = 40
    return write_names(out, lab, names, range(len(names)))
