"""Shared input checks of the localisation metrics: a map and a ground-truth mask."""

from __future__ import annotations

import numpy as np

from ..errors import ArgumentError, ShapeError
from ._plumbing import as_map


def map_and_mask(saliency, mask) -> tuple[np.ndarray, np.ndarray]:
    """(map (H, W) float64, mask (H, W) bool); the mask must hold at least one pixel."""
    m = np.asarray(mask)
    if m.ndim == 3 and m.shape[2] == 1:
        m = m[:, :, 0]
    if m.ndim != 2:
        raise ShapeError(f"mask must be (H, W), got shape {m.shape}")
    values = as_map(saliency, m.shape)
    m = m.astype(bool)
    if not m.any():
        raise ArgumentError("mask is empty: a localisation metric needs at least one pixel of "
                            "ground truth")
    return values, m
