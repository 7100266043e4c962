"""Masker: image + region labels + baseline -> batches of masked images, CPU or CUDA.

Input policy (documented, tested):

* ``image`` is (H, W, C) or (H, W) (taken as C = 1), dtype uint8 or float32; other dtypes raise
  DTypeError. Non-contiguous or negative-stride inputs are copied once, at construction.
* ``labels`` is (H, W), any integer dtype, values in [-1, n); -1 is context. n <= 64.
* ``out`` buffers are never copied: one of the wrong shape, dtype or device, or not C-contiguous,
  raises ShapeError / DTypeError / DeviceError.
"""

from __future__ import annotations

import numpy as np

from . import _core
from .baselines import gaussian_blur, make_baseline
from .core import MAX_REGIONS, as_masks, cuda_available, device_of, _check_host_out
from .errors import DeviceError, DTypeError, RegionError, ShapeError

_LAYOUTS = ("hwc", "nchw")
_DTYPE_CODES = {np.dtype(np.uint8): 0, np.dtype(np.float16): 1, np.dtype(np.float32): 2}


def _as_image(image) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        raise DTypeError(f"image must be a numpy array, got {type(image).__name__}")
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3:
        raise ShapeError(f"image must be (H, W, C) or (H, W), got shape {image.shape}")
    if image.dtype not in (np.uint8, np.float32):
        raise DTypeError(f"image must be uint8 or float32, got {image.dtype} "
                         "(convert with image.astype(np.float32))")
    if min(image.shape[:2]) < 1 or image.shape[2] < 1:
        raise ShapeError(f"image is empty: shape {image.shape}")
    if image.dtype == np.float32 and not np.isfinite(image).all():
        raise ValueError("image contains NaN or inf")
    return np.ascontiguousarray(image)


def _as_labels(labels, shape, n_regions) -> tuple[np.ndarray, int]:
    if not isinstance(labels, np.ndarray):
        raise DTypeError(f"labels must be a numpy array, got {type(labels).__name__}")
    if labels.dtype.kind not in "iu":
        raise DTypeError(f"labels must be an integer array, got dtype {labels.dtype}")
    if labels.shape != tuple(shape):
        raise ShapeError(f"labels has shape {labels.shape}, expected the image's {tuple(shape)}")
    lo, hi = int(labels.min()), int(labels.max())
    if lo < -1:
        raise RegionError(f"labels must be >= -1 (-1 = context), found {lo}")
    if hi >= MAX_REGIONS:
        raise RegionError(f"labels has region id {hi}; at most {MAX_REGIONS} regions (ids 0..63)")
    n = hi + 1 if n_regions is None else int(n_regions)
    if not 0 <= n <= MAX_REGIONS:
        raise RegionError(f"n_regions must be in [0, {MAX_REGIONS}], got {n}")
    if hi >= n:
        raise RegionError(f"labels has region id {hi} >= n_regions={n}")
    return np.ascontiguousarray(labels, dtype=np.int32), n


def feathered_weights(labels: np.ndarray, n: int, sigma: float) -> np.ndarray:
    """Soft region weights (n, H, W) float32: each region's indicator blurred by ``sigma``.

    Examples
    --------
    >>> lab = np.zeros((6, 6), np.int32); lab[:, 3:] = 1
    >>> w = feathered_weights(lab, 2, 1.0)
    >>> w.shape, bool(np.allclose(w.sum(0), 1.0, atol=1e-6))
    ((2, 6, 6), True)
    """
    return np.stack([gaussian_blur((labels == r).astype(np.float32), sigma) for r in range(n)]) \
        if n else np.zeros((0,) + labels.shape, np.float32)


class Masker:
    """Renders masked versions of one image: region r is kept where bit r of a mask is set.

    Parameters
    ----------
    image : (H, W, C) or (H, W) uint8 or float32 ndarray
    labels : (H, W) integer ndarray
        Region id per pixel in [0, n), or -1 for context.
    baseline : str or ndarray
        What masked pixels show: "mean", "black", "gray", "blur", "noise", or an array of the
        image's shape and dtype. See :mod:`minplus.baselines`.
    context : {"keep", "mask"}
        Whether context pixels (label -1) always show the image or always the baseline.
    n_regions : int, optional
        Number of regions n (default: labels.max() + 1). Mask bits >= n are an error.
    soft_weights : (n, H, W) float32 ndarray, optional
        Per-region blend weights (>= 0) replacing the hard label test; see masking.hpp.
    feather : float, optional
        Build ``soft_weights`` by blurring each region's indicator with this sigma (pixels).
    sigma, seed :
        Passed to the "blur" and "noise" baselines.

    Examples
    --------
    >>> img = np.full((2, 3, 3), 200, np.uint8)
    >>> lab = np.array([[0, 0, 1], [1, -1, -1]], np.int32)
    >>> m = Masker(img, lab, baseline="black")
    >>> out = m.render([0b01, 0b10])
    >>> out.shape, out[0, :, :, 0].tolist()
    ((2, 2, 3, 3), [[200, 200, 0], [0, 200, 200]])
    """

    def __init__(self, image, labels, baseline="mean", context="keep", n_regions=None,
                 soft_weights=None, feather=None, sigma=None, seed=0):
        self.image = _as_image(image)
        self.H, self.W, self.C = self.image.shape
        self.labels, self.n = _as_labels(labels, (self.H, self.W), n_regions)
        if context not in ("keep", "mask"):
            raise ValueError(f"context must be 'keep' or 'mask', got {context!r}")
        self.context = context
        self.baseline = make_baseline(self.image, baseline, sigma=sigma, seed=seed)
        if soft_weights is not None and feather is not None:
            raise ValueError("give soft_weights or feather, not both")
        if feather is not None:
            soft_weights = feathered_weights(self.labels, self.n, float(feather))
        self.soft_weights = None if soft_weights is None else self._check_weights(soft_weights)
        self._spans = _core.RegionSpans(self.labels)
        self._soft = None if self.soft_weights is None else _core.SoftWeights(self.soft_weights)
        self._frames: dict = {}

    def _check_weights(self, w) -> np.ndarray:
        if not isinstance(w, np.ndarray) or w.dtype != np.float32:
            raise DTypeError("soft_weights must be a float32 ndarray (n, H, W)")
        if w.shape != (self.n, self.H, self.W):
            raise ShapeError(f"soft_weights has shape {w.shape}, "
                             f"expected (n, H, W) = {(self.n, self.H, self.W)}")
        if not np.isfinite(w).all() or (w < 0).any():
            raise ValueError("soft_weights must be finite and >= 0")
        return np.ascontiguousarray(w)

    @property
    def context_keep(self) -> bool:
        return self.context == "keep"

    def output_shape(self, batch: int, layout: str = "hwc") -> tuple:
        """Shape of ``render``'s output for ``batch`` masks: (B, H, W, C) or (B, C, H, W)."""
        if layout == "hwc":
            return (batch, self.H, self.W, self.C)
        return (batch, self.C, self.H, self.W)

    def frames(self, layout="hwc", dtype=None, scale=1.0, mean=None, std=None, soft=False):
        """Image and baseline in the output layout and dtype (float32 when ``soft``); cached.

        For "nchw" they are ``(x * scale - mean) / std`` per channel, computed in float32.
        """
        layout, dtype, scale, mean, std = self._spec(layout, dtype, scale, mean, std)
        key = (layout, dtype.str, scale, mean, std, soft)
        if key not in self._frames:
            pair = []
            for x in (self.image, self.baseline):
                if layout == "nchw":
                    m = np.asarray(mean, np.float32)
                    s = np.asarray(std, np.float32)
                    f = (x.astype(np.float32) * np.float32(scale) - m) / s
                    f = f.transpose(2, 0, 1)
                    f = f if soft else f.astype(dtype)
                else:
                    f = x.astype(np.float32) if soft else x
                pair.append(np.ascontiguousarray(f))
            self._frames[key] = tuple(pair)
        return self._frames[key]

    def _spec(self, layout, dtype, scale, mean, std):
        if layout not in _LAYOUTS:
            raise ValueError(f"layout must be one of {_LAYOUTS}, got {layout!r}")
        if layout == "hwc":
            if dtype is not None and np.dtype(dtype) != self.image.dtype:
                raise DTypeError(f"layout 'hwc' renders in the image's dtype {self.image.dtype}, "
                                 f"got dtype={np.dtype(dtype)}; use layout='nchw' to convert")
            if scale != 1.0 or mean is not None or std is not None:
                raise ValueError("scale/mean/std apply to layout='nchw' only")
            return layout, self.image.dtype, 1.0, None, None
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        if dtype not in (np.float32, np.float16):
            raise DTypeError(f"layout 'nchw' renders float32 or float16, got {dtype}")
        mean = tuple(float(v) for v in np.broadcast_to(
            np.asarray(0.0 if mean is None else mean, np.float64), (self.C,)))
        std = tuple(float(v) for v in np.broadcast_to(
            np.asarray(1.0 if std is None else std, np.float64), (self.C,)))
        if any(s == 0 or not np.isfinite(s) for s in std):
            raise ValueError(f"std must be finite and non-zero, got {std}")
        return layout, dtype, float(scale), mean, std

    def render(self, masks, out=None, layout="hwc", dtype=None, scale=1.0, mean=None, std=None,
               num_threads=0, device=None):
        """Render one masked image per mask.

        Parameters
        ----------
        masks : (B,) uint64 array-like
            Kept-region bitmasks; bits must be < n. An empty batch raises ShapeError.
        out : ndarray, torch.Tensor or cupy array, optional
            Destination, written in place: (B, H, W, C) in the image dtype for "hwc",
            (B, C, H, W) float32/float16 for "nchw". Where it lives picks the backend: a CUDA
            tensor or cupy array runs the CUDA kernel on the current stream.
        layout : {"hwc", "nchw"}
        dtype : float32 or float16, for "nchw" (default float32).
        scale, mean, std : per-channel normalisation for "nchw": (x * scale - mean) / std.
        num_threads : int
            CPU threads; 0 picks one thread per MiB of output, up to OpenMP's default, because
            waking threads costs more than a small batch takes to render.
        device : {"cpu", "cuda"}, optional
            Where to allocate ``out`` when it is omitted (default "cpu").

        Returns
        -------
        The filled ``out``.
        """
        masks = as_masks(masks, self.n)
        layout, dtype, scale, mean, std = self._spec(layout, dtype, scale, mean, std)
        shape = self.output_shape(len(masks), layout)
        where = device_of(out) if out is not None else (device or "cpu")
        if where == "cuda":
            return self._render_cuda(masks, out, shape, layout, dtype, scale, mean, std)
        if where != "cpu":
            raise DeviceError(f"out lives on device {where!r}; expected a numpy array or a "
                              "CUDA torch tensor / cupy array")
        if out is None:
            out = np.empty(shape, dtype)
        host = out.numpy() if type(out).__module__.startswith("torch") else out
        _check_host_out(host, shape, dtype)
        if not num_threads:
            num_threads = min(_core.max_threads(), max(1, host.nbytes >> 20))
        if self._soft is None:
            img, base = self.frames(layout, dtype, scale, mean, std)
            _core.render_spans(self._spans, img, base, layout, masks, self.context_keep, host,
                               num_threads)
        else:
            img, base = self.frames(layout, dtype, scale, mean, std, soft=True)
            _core.render_soft(self._soft, img, base, layout, masks, self.context_keep, host,
                              num_threads)
        return out

    def _render_cuda(self, masks, out, shape, layout, dtype, scale, mean, std):
        from . import cuda_arrays

        if not cuda_available():
            raise DeviceError("CUDA rendering needs minplus built with CUDA and a visible device "
                              f"(compiled: {bool(_core.cuda_compiled())}, "
                              f"devices: {_core.cuda_device_count()})")
        if out is None:
            out = cuda_arrays.empty(shape, dtype)
        cuda_arrays.check_out(out, shape, dtype)
        lib = cuda_arrays.library(out)
        key = ("cuda", lib, cuda_arrays.device_index(out), layout, dtype.str, scale, mean, std)
        if key not in self._frames:
            soft = self._soft is not None
            img, base = self.frames(layout, dtype, scale, mean, std, soft=soft)
            extra = (self.soft_weights, self._soft.context) if soft else (self.labels,)
            self._frames[key] = tuple(cuda_arrays.upload(a, out) for a in (img, base) + extra)
        dev = self._frames[key]
        d_masks = cuda_arrays.upload(masks.view(np.int64), out)
        stream = cuda_arrays.stream_of(out)
        ptr = cuda_arrays.pointer
        if self._soft is None:
            _core.render_labels_cuda(ptr(dev[2]), ptr(dev[0]), ptr(dev[1]), self.H, self.W, self.C,
                                     layout, _DTYPE_CODES[dtype], ptr(d_masks), len(masks),
                                     self.context_keep, ptr(out), stream)
        else:
            _core.render_soft_cuda(ptr(dev[2]), ptr(dev[3]), self.n, ptr(dev[0]), ptr(dev[1]),
                                   self.H, self.W, self.C, layout, ptr(d_masks), len(masks),
                                   self.context_keep, _DTYPE_CODES[dtype], ptr(out), stream)
        return out
