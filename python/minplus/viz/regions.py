"""Min+ and Min- sets drawn on the face: the kept set outlined with everything else faded, or
the removed set tinted red; each region of the set named. (A picture of a whole region map is
:meth:`minplus.regions.RegionMap.render`, whose drawing this reuses for outlines and names.)"""

from __future__ import annotations

import numpy as np

from ..errors import ArgumentError, RegionError, ShapeError
from ..regions import RegionMap
from ..regions.drawing import draw_regions
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
        raise ArgumentError(f"kind must be 'min+' or 'min-', got {kind!r}")
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
    # Only the set's regions are outlined and named: the others become context (-1).
    only_set = RegionMap(np.where(in_set, lab, -1), names)
    out = draw_regions(only_set, np.round(out).astype(np.uint8), alpha=0.0)
    out[_edges(in_set)] = colour
    return out
