"""Baselines: what a masked region is replaced with.

Names: "mean" (per-channel image mean), "black", "gray" (128 for uint8, 0.5 for float32),
"blur" (Gaussian blur of the image, ``sigma`` pixels in [0, MAX_SIGMA]; default max(H, W) / 16;
O(H * W) for any sigma; needs opencv-python-headless or scipy), "noise" (uniform
noise over the image's range, seeded). Or an array of the image's shape and dtype.
"""

from __future__ import annotations

import math

import numpy as np

from .arguments import integer, real
from .errors import ArgumentError, DTypeError, MissingDependencyError, ShapeError

BASELINES = ("mean", "black", "gray", "blur", "noise")
# Largest blur sigma accepted (pixels). Work stays O(H * W) for any sigma: above KERNEL_SIGMA the
# image is blurred at a coarser scale (see gaussian_blur), so this only refuses nonsense.
MAX_SIGMA = 1e4
KERNEL_SIGMA = 8.0


def gaussian_kernel(sigma: float) -> np.ndarray:
    """Normalised 1-D Gaussian taps, radius ceil(3 sigma), float32; 0 < sigma <= MAX_SIGMA.

    Examples
    --------
    >>> k = gaussian_kernel(1.0)
    >>> len(k), round(float(k.sum()), 6)
    (7, 1.0)
    """
    sigma = real("sigma", sigma, lo=0.0, hi=MAX_SIGMA, lo_open=True)
    radius = max(1, int(np.ceil(3.0 * sigma)))
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return (k / k.sum()).astype(np.float32)


def gaussian_blur(a: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur over the first two axes of an (H, W[, C]) array, edges mirrored.

    OpenCV's separable filter (``cv2.sepFilter2D``) when opencv is installed, else scipy's
    (``scipy.ndimage.correlate1d``), with the taps of :func:`gaussian_kernel`. The kernel is
    bounded: for sigma > KERNEL_SIGMA the image is area-averaged down by f = ceil(sigma /
    KERNEL_SIGMA), blurred with sigma / f and resized back bilinearly, so the cost is O(H * W)
    for every sigma (a blur that wide has no detail the coarse grid loses). Returns float32 of
    the same shape; sigma = 0 returns a copy.

    Raises
    ------
    ArgumentError
        sigma not a finite number in [0, MAX_SIGMA].
    MissingDependencyError
        Neither opencv-python-headless nor scipy is installed.

    Examples
    --------
    >>> out = gaussian_blur(np.ones((8, 8), np.float32), 2.0)
    >>> bool(np.allclose(out, 1.0))
    True
    """
    sigma = real("sigma", sigma, lo=0.0, hi=MAX_SIGMA)
    a = np.asarray(a, dtype=np.float32)
    if a.ndim not in (2, 3) or a.size == 0:
        raise ShapeError(f"gaussian_blur needs a non-empty (H, W) or (H, W, C) array, got shape "
                         f"{a.shape}")
    if sigma == 0:
        return a.copy()
    backend = _backend()
    planes = a[:, :, None] if a.ndim == 2 else a
    out = np.stack([_blur_plane(backend, np.ascontiguousarray(planes[:, :, c]), sigma)
                    for c in range(planes.shape[2])], axis=2)
    return out[:, :, 0] if a.ndim == 2 else out


def _backend():
    try:
        import cv2

        return cv2
    except ImportError:
        pass
    try:
        import scipy.ndimage

        return scipy.ndimage
    except ImportError:
        raise MissingDependencyError(
            "the blur baseline and gaussian_blur need opencv-python-headless or scipy: "
            "pip install 'minplus[face]' (or choose baseline='mean')") from None


def _blur_plane(backend, p: np.ndarray, sigma: float) -> np.ndarray:
    """One (H, W) float32 plane blurred by ``sigma``, at a coarser scale when sigma is large."""
    H, W = p.shape
    f = max(1, math.ceil(sigma / KERNEL_SIGMA))
    if f == 1:
        return _filter(backend, p, gaussian_kernel(sigma))
    small = _filter(backend, _shrink(backend, p, f), gaussian_kernel(sigma / f))
    return _grow(backend, small, (H, W))


def _filter(backend, p: np.ndarray, k: np.ndarray) -> np.ndarray:
    if backend.__name__ == "cv2":
        return backend.sepFilter2D(p, backend.CV_32F, k, k, borderType=backend.BORDER_REFLECT_101)
    # scipy's "mirror" is OpenCV's REFLECT_101 (and numpy's "reflect"): d c b | a b c d
    out = backend.correlate1d(p, k, axis=0, mode="mirror")
    return backend.correlate1d(out, k, axis=1, mode="mirror")


def _shrink(backend, p: np.ndarray, f: int) -> np.ndarray:
    """Area average over f x f cells: (ceil(H / f), ceil(W / f))."""
    h, w = -(-p.shape[0] // f), -(-p.shape[1] // f)
    if backend.__name__ == "cv2":
        return backend.resize(p, (w, h), interpolation=backend.INTER_AREA)
    mean = backend.uniform_filter(p, size=f, mode="mirror")
    oy, ox = min(f // 2, p.shape[0] - 1), min(f // 2, p.shape[1] - 1)  # cell centres, in bounds
    return np.ascontiguousarray(mean[oy::f, ox::f][:h, :w])


def _grow(backend, p: np.ndarray, shape: tuple) -> np.ndarray:
    H, W = shape
    if backend.__name__ == "cv2":
        return backend.resize(p, (W, H), interpolation=backend.INTER_LINEAR)
    out = backend.zoom(p, (H / p.shape[0], W / p.shape[1]), order=1, grid_mode=True,
                       mode="nearest")
    return out[:H, :W].astype(np.float32, copy=False)


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
            return np.zeros(image.shape, dtype)  # (exact in either dtype: nothing to round)
        elif name == "gray":
            b = np.full(image.shape, 128.0 if dtype == np.uint8 else 0.5)
        elif name == "blur":
            s = sigma if sigma is not None else max(image.shape[:2]) / 16.0
            b = gaussian_blur(image, s)
        elif name == "noise":
            rng = np.random.default_rng(integer("seed", seed, lo=0))
            hi = 255.0 if dtype == np.uint8 else 1.0
            b = rng.uniform(0.0, hi, size=image.shape)
        else:
            raise ArgumentError(f"baseline must be one of {BASELINES} or an array, "
                                f"got {baseline!r:.80}")
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
