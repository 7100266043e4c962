"""Superpixel regions (SLIC, scikit-image): image-adaptive regions for any image, no detector."""

from __future__ import annotations

import numpy as np

from ..core import MAX_REGIONS
from ..errors import DTypeError, RegionError, ShapeError
from .region_map import RegionMap


def superpixel_regions(image, n_segments: int = 32, compactness: float = 10.0,
                       sigma: float = 1.0) -> RegionMap:
    """SLIC superpixels of ``image`` as a RegionMap with regions named "s0", "s1", ...

    SLIC starts from a regular grid, so the result is deterministic for a given image and
    parameters. It may return a few more or fewer segments than asked for; when it returns more
    than 64, ``n_segments`` is lowered until it fits. Every pixel belongs to a segment (no
    context); ids are relabelled 0..n-1 in raster order of first appearance.

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray, uint8 or float
    n_segments : int
        Approximate number of superpixels, 1..64.
    compactness, sigma : float
        Passed to :func:`skimage.segmentation.slic` (colour vs space trade-off; pre-smoothing).

    Examples
    --------
    >>> img = np.zeros((40, 40, 3), np.uint8); img[:, 20:] = 255
    >>> rm = superpixel_regions(img, n_segments=4)
    >>> rm.n <= 64 and bool(rm.areas().min() > 0)
    True
    """
    from skimage.segmentation import slic

    if not isinstance(image, np.ndarray):
        raise DTypeError(f"image must be a numpy array, got {type(image).__name__}")
    if image.ndim not in (2, 3) or min(image.shape[:2]) < 2:
        raise ShapeError(f"image must be (H, W) or (H, W, C) with H, W >= 2, got {image.shape}")
    if image.dtype != np.uint8 and image.dtype.kind != "f":
        raise DTypeError(f"image must be uint8 or float, got dtype {image.dtype}")
    n_segments = int(n_segments)
    if not 1 <= n_segments <= MAX_REGIONS:
        raise RegionError(f"n_segments must be in [1, {MAX_REGIONS}], got {n_segments}")
    channel_axis = -1 if image.ndim == 3 else None
    ask = n_segments
    while True:
        seg = slic(image, n_segments=ask, compactness=compactness, sigma=sigma, start_label=0,
                   channel_axis=channel_axis, enforce_connectivity=True)
        _, first, labels = np.unique(seg.ravel(), return_index=True, return_inverse=True)
        if len(first) <= MAX_REGIONS or ask == 1:
            break
        ask = max(1, ask - max(1, len(first) - MAX_REGIONS))
    order = np.argsort(np.argsort(first))  # old id -> rank by first appearance
    labels = order[labels].reshape(seg.shape).astype(np.int32)
    return RegionMap(labels, [f"s{k}" for k in range(len(first))])
