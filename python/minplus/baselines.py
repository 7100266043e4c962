"""Baselines: what a masked region is replaced with.

Names: "mean" (per-channel image mean), "black", "gray" (128 for uint8, 0.5 for float32),
"blur" (Gaussian blur of the image, ``sigma`` pixels; default max(H, W) / 16), "noise" (uniform
noise over the image's range, seeded). Or an array of the image's shape and dtype.
"""

from __future__ import annotations

import numpy as np

from .errors import DTypeError, ShapeError

BASELINES = ("mean", "black", "gray", "blur", "noise")


def gaussian_kernel(sigma: float) -> np.ndarray:
    """Normalised 1-D Gaussian taps, radius ceil(3 sigma), float32."""
    radius = max(1, int(np.ceil(3.0 * sigma)))
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return (k / k.sum()).astype(np.float32)


def gaussian_blur(a: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur over the first two axes of an (H, W[, C]) array, edges reflected.

    Returns float32 of the same shape.

    Examples
    --------
    >>> out = gaussian_blur(np.ones((8, 8), np.float32), 2.0)
    >>> bool(np.allclose(out, 1.0))
    True
    """
    if sigma <= 0:
        return np.asarray(a, dtype=np.float32).copy()
    k = gaussian_kernel(sigma)
    r = len(k) // 2
    out = np.asarray(a, dtype=np.float32)
    for axis in (0, 1):
        pad = [(0, 0)] * out.ndim
        pad[axis] = (r, r)
        mode = "reflect" if out.shape[axis] > r else "edge"
        p = np.pad(out, pad, mode=mode)
        acc = np.zeros_like(out)
        for i, w in enumerate(k):
            sl = [slice(None)] * out.ndim
            sl[axis] = slice(i, i + out.shape[axis])
            acc += w * p[tuple(sl)]
        out = acc
    return out


def make_baseline(image: np.ndarray, baseline="mean", sigma: float | None = None,
                  seed: int = 0) -> np.ndarray:
    """The baseline for ``image`` (H, W, C), same shape and dtype, C-contiguous.

    Examples
    --------
    >>> img = np.full((4, 4, 3), 200, np.uint8)
    >>> int(make_baseline(img, "black").max()), make_baseline(img, "mean")[0, 0].tolist()
    (0, [200, 200, 200])
    """
    dtype = image.dtype
    if isinstance(baseline, str):
        name = baseline.lower()
        if name == "mean":
            b = np.broadcast_to(image.reshape(-1, image.shape[2]).astype(np.float64).mean(0),
                                image.shape)
        elif name == "black":
            b = np.zeros(image.shape)
        elif name == "gray":
            b = np.full(image.shape, 128.0 if dtype == np.uint8 else 0.5)
        elif name == "blur":
            s = sigma if sigma is not None else max(image.shape[:2]) / 16.0
            b = gaussian_blur(image, float(s))
        elif name == "noise":
            rng = np.random.default_rng(seed)
            hi = 255.0 if dtype == np.uint8 else 1.0
            b = rng.uniform(0.0, hi, size=image.shape)
        else:
            raise ValueError(f"baseline must be one of {BASELINES} or an array, got {baseline!r}")
        if dtype == np.uint8:
            b = np.clip(np.rint(b), 0, 255)
        return np.ascontiguousarray(b, dtype=dtype)
    b = baseline
    if not isinstance(b, np.ndarray):
        raise DTypeError(f"baseline must be a name {BASELINES} or a numpy array, "
                         f"got {type(b).__name__}")
    if b.ndim == 2 and image.shape[2] == 1:
        b = b[:, :, None]
    if b.shape != image.shape:
        raise ShapeError(f"baseline has shape {b.shape}, expected the image's {image.shape}")
    if b.dtype != dtype:
        raise DTypeError(f"baseline has dtype {b.dtype}, expected the image's {dtype}")
    return np.ascontiguousarray(b)
