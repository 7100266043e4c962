"""Input images as the face models need them: (H, W, 3) uint8 RGB.

Policy (documented, tested): (H, W) and (H, W, 1) grayscale are replicated to RGB; (H, W, 4) RGBA
drops its alpha channel; float images are taken as [0, 1] and rounded to uint8 (values outside
[0, 1] or NaN are refused rather than clipped); other dtypes or shapes raise.
"""

from __future__ import annotations

import numpy as np

from .errors import DTypeError, ShapeError


def as_rgb_uint8(image, name: str = "image") -> np.ndarray:
    """``image`` as a C-contiguous (H, W, 3) uint8 RGB array, converted by the policy above.

    Examples
    --------
    >>> as_rgb_uint8(np.zeros((2, 3), np.uint8)).shape
    (2, 3, 3)
    >>> as_rgb_uint8(np.ones((1, 1, 4), np.float32))[0, 0].tolist()
    [255, 255, 255]
    """
    if not isinstance(image, np.ndarray):
        raise DTypeError(f"{name} must be a numpy array, got {type(image).__name__}")
    a = image[:, :, None] if image.ndim == 2 else image
    if a.ndim != 3 or a.shape[2] not in (1, 3, 4):
        raise ShapeError(f"{name} must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), "
                         f"got shape {image.shape}")
    if min(a.shape[:2]) < 1:
        raise ShapeError(f"{name} is empty: shape {image.shape}")
    if a.dtype.kind == "f":
        if not np.isfinite(a).all() or a.min() < 0 or a.max() > 1:
            raise ValueError(f"{name} is a float image with values outside [0, 1] (or NaN): "
                             f"range [{np.nanmin(a)}, {np.nanmax(a)}]; scale it to [0, 1] or "
                             "convert it to uint8")
        a = np.rint(a * 255.0).astype(np.uint8)
    elif a.dtype != np.uint8:
        raise DTypeError(f"{name} must be uint8 or float in [0, 1], got dtype {a.dtype}")
    if a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    elif a.shape[2] == 4:
        a = a[:, :, :3]
    return np.ascontiguousarray(a)
