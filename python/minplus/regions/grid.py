"""Grid regions: the image cut into rows x cols rectangular cells, for any image, no detector."""

from __future__ import annotations

import numpy as np

from ..core import MAX_REGIONS
from ..errors import RegionError, ShapeError
from .region_map import RegionMap


def grid_regions(shape, rows: int, cols: int) -> RegionMap:
    """A RegionMap of ``rows`` x ``cols`` cells named "r{i}c{j}" (row i, column j, 0-based).

    Cell (i, j) covers rows ``[i*H//rows, (i+1)*H//rows)`` and the matching columns, so cell sizes
    differ by at most one pixel and every pixel belongs to exactly one cell (no context).
    Region id of cell (i, j) is ``i * cols + j``.

    Parameters
    ----------
    shape : (H, W) or (H, W, C) tuple
        Image shape (only H and W are used).
    rows, cols : int
        Grid size; 1 <= rows <= H, 1 <= cols <= W, rows * cols <= 64.

    Examples
    --------
    >>> rm = grid_regions((4, 6), 2, 3)
    >>> rm.names
    ['r0c0', 'r0c1', 'r0c2', 'r1c0', 'r1c1', 'r1c2']
    >>> rm.labels
    array([[0, 0, 1, 1, 2, 2],
           [0, 0, 1, 1, 2, 2],
           [3, 3, 4, 4, 5, 5],
           [3, 3, 4, 4, 5, 5]], dtype=int32)
    """
    if len(shape) < 2:
        raise ShapeError(f"shape must be (H, W[, C]), got {tuple(shape)}")
    h, w = int(shape[0]), int(shape[1])
    rows, cols = int(rows), int(cols)
    if rows < 1 or cols < 1:
        raise RegionError(f"grid must have at least 1 x 1 cells, got {rows} x {cols}")
    if rows * cols > MAX_REGIONS:
        raise RegionError(f"grid {rows} x {cols} has {rows * cols} cells; at most {MAX_REGIONS}")
    if rows > h or cols > w:
        raise ShapeError(f"grid {rows} x {cols} does not fit an image of {h} x {w} pixels")
    row = np.arange(h) * rows // h
    col = np.arange(w) * cols // w
    labels = (row[:, None] * cols + col[None, :]).astype(np.int32)
    names = [f"r{i}c{j}" for i in range(rows) for j in range(cols)]
    return RegionMap(labels, names)
