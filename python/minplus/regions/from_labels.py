"""Regions from the user's own label image and names, validated strictly."""

from __future__ import annotations

import numpy as np

from ..errors import RegionError, ShapeError
from .region_map import RegionMap


def labels_regions(labels, names, shape=None, context: str = "keep") -> RegionMap:
    """A RegionMap from a user label image: like the constructor, but every region must be used.

    Parameters
    ----------
    labels : (H, W) integer ndarray
        Region id per pixel in [0, len(names)), or -1 for context.
    names : sequence of str
        One unique name per region id.
    shape : (H, W[, C]) tuple, optional
        The image's shape; labels of another (H, W) raise ShapeError.
    context : {"keep", "mask"}

    Raises
    ------
    RegionError
        A named region has no pixel (it could never change a model's decision, and the search
        would report it as "irrelevant" for the wrong reason).

    Examples
    --------
    >>> rm = labels_regions(np.array([[0, 1], [1, -1]]), ["left", "right"])
    >>> rm.areas().tolist()
    [1, 2]
    """
    rm = RegionMap(labels, names, context=context)
    if shape is not None and tuple(shape[:2]) != rm.shape:
        raise ShapeError(f"labels has shape {rm.shape}, the image is {tuple(shape[:2])}")
    empty = [rm.names[r] for r in np.flatnonzero(rm.areas() == 0)]
    if empty:
        raise RegionError(f"regions {empty} have no pixels in labels")
    return rm
