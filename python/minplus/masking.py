"""Masker: image + region labels + baseline -> batches of masked images, CPU or CUDA.

Input policy (documented, tested):

* ``image`` is (H, W, C) or (H, W) (taken as C = 1), dtype uint8 or float32; other dtypes raise
  DTypeError, NaN/inf raise ArgumentError, more than ``minplus.arguments.MAX_PIXELS`` (50 MP)
  pixels ImageTooLargeError.
* ``labels`` is (H, W), any integer dtype, values in [-1, n); -1 is context. n <= 64.
* The image, labels, baseline and soft weights are copied once, at construction: changing the
  caller's arrays afterwards changes no output, in any layout (the "nchw" frames are cached,
  the "hwc" path reads the image directly, and both must agree). ``masker.image`` and
  ``masker.baseline`` are the Masker's own copies: read them, do not write them.
* ``out`` buffers are never copied: one of the wrong shape, dtype or device, or not C-contiguous,
  raises ShapeError / DTypeError / DeviceError, and one that overlaps the Masker's own arrays
  raises ArgumentError (rendering into it would corrupt the image it reads).
"""

from __future__ import annotations

import numpy as np

from . import _core
from .arguments import MAX_PIXELS, allocation, choice, integer, real
from .baselines import MAX_SIGMA, gaussian_blur, make_baseline
from .core import MAX_REGIONS, as_masks, cuda_available, device_of, _check_host_out
from .errors import (ArgumentError, DeviceError, DTypeError, ImageTooLargeError, RegionError,
                     ShapeError)

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
    if image.shape[0] * image.shape[1] > MAX_PIXELS:
        raise ImageTooLargeError(f"image has {image.shape[0]} x {image.shape[1]} pixels, more "
                                 f"than MAX_PIXELS={MAX_PIXELS} (minplus.arguments): downscale "
                                 "it first")
    if image.dtype == np.float32 and not np.isfinite(image).all():
        raise ArgumentError("image contains NaN or inf")
    return _own(image)


def _own(a: np.ndarray) -> np.ndarray:
    """A C-contiguous copy, so the caller's later edits cannot reach the Masker's caches.

    Kept writeable: models receive ``masker.image[None]`` for the unmasked score, and torch
    warns on (and in-place models fail on) read-only arrays.
    """
    return np.array(a, order="C", copy=True)


def _own_baseline(base: np.ndarray, given) -> np.ndarray:
    """:func:`make_baseline`'s ``base`` for the baseline ``given``, as a masker's own: a given
    array is checked finite and copied; a named baseline is fresh and finite already."""
    if not isinstance(given, np.ndarray):
        return base
    if base.dtype == np.float32 and not np.isfinite(base).all():
        raise ArgumentError("baseline contains NaN or inf (the image may not, so neither may "
                            "what masked pixels show)")
    return _own(base)


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
    n = hi + 1 if n_regions is None else integer("n_regions", n_regions)
    if not 0 <= n <= MAX_REGIONS:
        raise RegionError(f"n_regions must be in [0, {MAX_REGIONS}], got {n}")
    if hi >= n:
        raise RegionError(f"labels has region id {hi} >= n_regions={n}")
    return _own(labels.astype(np.int32, copy=False)), n


def thread_count(num_threads) -> int:
    """``num_threads`` checked (an int >= 0) and capped at OpenMP's default team size, as the
    core caps it too: a larger request buys nothing and would not fit the binding's int."""
    return min(integer("num_threads", num_threads, lo=0), _core.max_threads())


def _as_dtype(dtype) -> np.dtype:
    try:
        return np.dtype(dtype)
    except TypeError as e:
        raise DTypeError(f"dtype must be a numpy dtype, got {dtype!r:.80}") from e


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
        image = _as_image(image)
        labels, n = _as_labels(labels, image.shape[:2], n_regions)
        context = choice("context", context, ("keep", "mask"))
        base = _own_baseline(make_baseline(image, baseline, sigma=sigma, seed=seed), baseline)
        if soft_weights is not None and feather is not None:
            raise ArgumentError("give soft_weights or feather, not both")
        if feather is not None:
            soft_weights = feathered_weights(labels, n,
                                             real("feather", feather, lo=0.0, hi=MAX_SIGMA))
        self._hold(image, labels, n, context, base)
        self.soft_weights = None if soft_weights is None else self._check_weights(soft_weights)
        self._soft = None if self.soft_weights is None else _core.SoftWeights(self.soft_weights)

    def _hold(self, image, labels, n, context, baseline) -> None:
        """Keep checked arrays this masker owns (no soft weights): :meth:`__init__`'s last
        step, and the whole of it for a subclass handing over its own checked copies."""
        self.image, self.labels, self.n, self.context = image, labels, n, context
        self.H, self.W, self.C = image.shape
        self.baseline = baseline
        self.soft_weights = self._soft = None
        self._region_spans = None  # built on the first render (index maskers never need it)
        self._frames: dict = {}

    def _spans(self):
        """The labels' row spans, as the native renderer walks them (built once)."""
        if self._region_spans is None:
            self._region_spans = _core.RegionSpans(self.labels)
        return self._region_spans

    def _check_weights(self, w) -> np.ndarray:
        if not isinstance(w, np.ndarray) or w.dtype != np.float32:
            raise DTypeError("soft_weights must be a float32 ndarray (n, H, W)")
        if w.shape != (self.n, self.H, self.W):
            raise ShapeError(f"soft_weights has shape {w.shape}, "
                             f"expected (n, H, W) = {(self.n, self.H, self.W)}")
        if not np.isfinite(w).all() or (w < 0).any():
            raise ArgumentError("soft_weights must be finite and >= 0")
        return _own(w)

    @property
    def context_keep(self) -> bool:
        return self.context == "keep"

    def output_shape(self, batch: int, layout: str = "hwc") -> tuple:
        """Shape of ``render``'s output for ``batch`` masks: (B, H, W, C) or (B, C, H, W)."""
        batch = integer("batch", batch, lo=0)
        if choice("layout", layout, _LAYOUTS) == "hwc":
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
        layout = choice("layout", layout, _LAYOUTS)
        if layout == "hwc":
            if dtype is not None and _as_dtype(dtype) != self.image.dtype:
                raise DTypeError(f"layout 'hwc' renders in the image's dtype {self.image.dtype}, "
                                 f"got dtype={np.dtype(dtype)}; use layout='nchw' to convert")
            if mean is not None or std is not None or real("scale", scale) != 1.0:
                raise ArgumentError("scale/mean/std apply to layout='nchw' only")
            return layout, self.image.dtype, 1.0, None, None
        dtype = np.dtype(np.float32) if dtype is None else _as_dtype(dtype)
        if dtype not in (np.float32, np.float16):
            raise DTypeError(f"layout 'nchw' renders float32 or float16, got {dtype}")
        scale = real("scale", scale)
        mean = self._per_channel("mean", 0.0 if mean is None else mean)
        std = self._per_channel("std", 1.0 if std is None else std)
        if any(s == 0 for s in std):
            raise ArgumentError(f"std must be non-zero, got {std}")
        return layout, dtype, scale, mean, std

    def _per_channel(self, name: str, value) -> tuple:
        """A scalar or C values as a C-tuple of finite floats (numpy would broadcast or raise)."""
        if isinstance(value, (str, bytes)):
            raise DTypeError(f"{name} must be a number or {self.C} numbers, got {value!r:.80}")
        try:
            a = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise DTypeError(f"{name} must be a number or {self.C} numbers, got "
                             f"{value!r:.80}") from e
        if a.ndim > 1 or a.size not in (1, self.C):
            raise ShapeError(f"{name} must be a number or {self.C} numbers (one per channel), "
                             f"got shape {a.shape}")
        if not np.isfinite(a).all():
            raise ArgumentError(f"{name} must be finite, got {a.tolist()}")
        return tuple(float(v) for v in np.broadcast_to(a.reshape(-1), (self.C,)))

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
        num_threads = thread_count(num_threads)
        shape = self.output_shape(len(masks), layout)
        if device is not None:
            choice("device", device, ("cpu", "cuda"))
        where = device_of(out) if out is not None else (device or "cpu")
        if where == "cuda":
            return self._render_cuda(masks, out, shape, layout, dtype, scale, mean, std)
        if where != "cpu":
            raise DeviceError(f"out lives on device {where!r}; expected a numpy array or a "
                              "CUDA torch tensor / cupy array")
        if out is None:
            out = np.empty(allocation("render's output", shape, dtype), dtype)
        host = out.numpy() if type(out).__module__.startswith("torch") else out
        _check_host_out(host, shape, dtype)
        self._check_not_aliased(host)
        if not num_threads:
            num_threads = min(_core.max_threads(), max(1, host.nbytes >> 20))
        if self._soft is None:
            img, base = self.frames(layout, dtype, scale, mean, std)
            _core.render_spans(self._spans(), img, base, layout, masks, self.context_keep, host,
                               num_threads)
        else:
            img, base = self.frames(layout, dtype, scale, mean, std, soft=True)
            _core.render_soft(self._soft, img, base, layout, masks, self.context_keep, host,
                              num_threads)
        return out

    def _check_not_aliased(self, out: np.ndarray) -> None:
        """ArgumentError when ``out`` overlaps an array the render reads from."""
        own = [("image", self.image), ("baseline", self.baseline), ("labels", self.labels)]
        if self.soft_weights is not None:
            own.append(("soft_weights", self.soft_weights))
        own += [("a cached frame", f) for pair in self._frames.values() for f in pair
                if isinstance(f, np.ndarray)]
        for name, a in own:
            if np.may_share_memory(out, a):
                raise ArgumentError(f"out overlaps the Masker's {name}: rendering into it would "
                                    "overwrite what it reads; pass a separate buffer")

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
