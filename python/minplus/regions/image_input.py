"""The face parsers' input policy: any reasonable photo in, (H, W, 3) uint8 RGB out.

* (H, W) grayscale and (H, W, 1) are repeated to three channels; (H, W, 4) RGBA drops alpha
  (no compositing: the colour channels are taken as they are).
* uint8 is taken as is. Floating-point images must lie in [0, 1] and are mapped to uint8 by
  ``round(x * 255)``; NaN/inf or values outside [0, 1] raise ArgumentError (a ValueError).
* Other dtypes (bool, int16, uint16, ...) raise DTypeError: convert them first.
* Images smaller than ``MIN_SIZE`` pixels on a side raise ShapeError: no face detector or
  region parser can work on them (upscale them first if that is really meant).
"""

from __future__ import annotations

import numpy as np

from ..arguments import integer
from ..errors import ArgumentError, DTypeError, ShapeError

MIN_SIZE = 32


def as_rgb_uint8(image, name: str = "image", min_size: int = MIN_SIZE,
                 clip: bool = False) -> np.ndarray:
    """Validate ``image`` and convert it to a C-contiguous (H, W, 3) uint8 RGB array.

    Parameters
    ----------
    image : (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) ndarray, uint8 or float in [0, 1]
    name : str
        How error messages refer to the image.
    min_size : int
        Smallest side accepted (ShapeError below it).
    clip : bool
        For pictures rather than model inputs: float values are clipped to [0, 1] (NaN -> 0)
        instead of being refused when outside.

    Examples
    --------
    >>> as_rgb_uint8(np.full((40, 40), 0.5)).shape
    (40, 40, 3)
    >>> int(as_rgb_uint8(np.full((40, 40), 0.5))[0, 0, 0])
    128
    >>> int(as_rgb_uint8(np.full((2, 2), 7.0), min_size=1, clip=True)[0, 0, 0])
    255
    """
    if not isinstance(image, np.ndarray):
        raise DTypeError(f"{name} must be a numpy array, got {type(image).__name__}")
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4):
        raise ShapeError(f"{name} must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) (RGBA), "
                         f"got shape {image.shape}")
    if image.size == 0:
        raise ShapeError(f"{name} is empty: shape {image.shape}")
    if min(image.shape[:2]) < integer("min_size", min_size, lo=0):
        raise ShapeError(f"{name} is too small: shape {image.shape[:2]}, need at least "
                         f"{min_size} x {min_size} pixels")
    if image.dtype.kind == "f":
        if clip:
            image = np.clip(np.nan_to_num(image), 0.0, 1.0)
        elif not np.isfinite(image).all():
            raise ArgumentError(f"{name} contains NaN or inf")
        lo, hi = float(image.min()), float(image.max())
        if lo < 0.0 or hi > 1.0:
            raise ArgumentError(f"float {name} must lie in [0, 1], found values in "
                                f"[{lo:g}, {hi:g}] (divide by 255, or pass uint8)")
        image = np.round(image * 255.0).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise DTypeError(f"{name} must be uint8 or float in [0, 1], got dtype {image.dtype}")
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    return np.ascontiguousarray(image[:, :, :3])
