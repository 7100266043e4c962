"""Maskers whose "masks" are indices into a fixed list of perturbations, not region bitmasks.

Black-box methods score every batch through the one evaluation loop (:mod:`minplus.evaluate`);
these classes keep the Masker's contract (same ``render`` signature, layouts, dtypes and
normalisation as
:class:`minplus.Masker`, so any adapter renders straight into its input) for perturbations a
single label map cannot express:

* :class:`MaskerSet` -- several Maskers over one image; index i renders ``maskers[m_i]`` with
  bitmask ``bits_i`` (overlapping occlusion windows, one label map per window row).
* :class:`AlphaMasker` -- a bank of float alpha maps (RISE's smooth random masks).
* :class:`WindowMasker` -- Gaussian windows removed from / screen-blended onto current images
  (MinPlus).

The blending kernels live in the native core (cpp/src/blend_cpu.cpp, with a CUDA twin of the
window kernel in cpp/cuda/blend_cuda.cu, which writes WindowMasker's CUDA outputs); the other
maskers fill CUDA outputs from a host render.
"""

from __future__ import annotations

import numpy as np

from .. import _core
from ..baselines import make_baseline
from ..core import MAX_REGIONS, _check_host_out, device_of
from ..errors import ArgumentError, ArgumentTypeError, DeviceError, DTypeError, ShapeError
from ..masking import _DTYPE_CODES, Masker, _as_image, _own_baseline, thread_count


class IndexedMasker(Masker):
    """Base class: a Masker over one image whose masks index ``n_items`` perturbations.

    Subclasses implement ``_render_host(index (B,) int64, out, layout, spec)`` where ``spec`` is
    the (layout, dtype, scale, mean, std) tuple of :meth:`Masker._spec`.
    """

    def __init__(self, image, baseline, n_items: int, owned: bool = False):
        # owned: image and baseline are checked, C-contiguous arrays of one shape and dtype,
        # fresh copies the subclass hands over (kept as they are, not checked and copied again)
        image = np.asarray(image)
        labels = np.zeros(image.shape[:2], np.int32)
        if owned:
            self._hold(image, labels, 0, "keep", baseline)
        else:
            super().__init__(image, labels, baseline=baseline)
        self.n_items = int(n_items)

    def _indices(self, masks) -> np.ndarray:
        index = np.asarray(masks)
        if index.ndim != 1 or len(index) == 0:
            raise ShapeError(f"masks must be a non-empty (B,) array of indices, got shape "
                             f"{index.shape}")
        if index.dtype.kind not in "iu":
            raise DTypeError(f"masks must be integer indices, got dtype {index.dtype}")
        index = index.astype(np.int64)
        if index.min() < 0 or index.max() >= self.n_items:
            raise ShapeError(f"mask index out of range [0, {self.n_items}): "
                             f"min {index.min()}, max {index.max()}")
        return index

    def render(self, masks, out=None, layout="hwc", dtype=None, scale=1.0, mean=None, std=None,
               num_threads=0, device=None):
        """Render perturbation ``masks[b]`` for each b; arguments as :meth:`Masker.render`."""
        index = self._indices(masks)
        spec = self._spec(layout, dtype, scale, mean, std)
        shape = self.output_shape(len(index), spec[0])
        where, host = self._host_out(out, shape, spec[1], device)
        self._render_host(index, host, spec, thread_count(num_threads))
        return self._handed_back(where, host, out, shape, spec[1])

    def _host_out(self, out, shape, dtype, device):
        """(where out lives, the host array to render into): ``out`` itself on the host (checked,
        not aliasing the masker's arrays), a fresh array for none or a CUDA ``out``."""
        where = device_of(out) if out is not None else (device or "cpu")
        if where not in ("cpu", "cuda"):
            raise DeviceError(f"out lives on device {where!r}")
        if where == "cuda" or out is None:
            return where, np.empty(shape, dtype)
        host = out.numpy() if type(out).__module__.startswith("torch") else out
        _check_host_out(host, shape, dtype)
        self._check_not_aliased(host)
        return where, host

    @staticmethod
    def _handed_back(where, host, out, shape, dtype):
        """What render returns: the host render (or ``out``), or a CUDA ``out`` filled from it."""
        if where == "cpu":
            return host if out is None else out
        return _to_device(host, out, shape, dtype)

    def _render_host(self, index, out, spec, num_threads):
        raise NotImplementedError


def _numeric_array(name: str, value, dtype) -> np.ndarray:
    """``value`` as a C-contiguous array of ``dtype``; DTypeError when numpy cannot make one."""
    try:
        return np.ascontiguousarray(value, dtype=dtype)
    except (TypeError, ValueError, OverflowError) as e:
        raise DTypeError(f"{name} must be an array of numbers, got {value!r:.80}") from e


def _to_device(host: np.ndarray, out, shape, dtype):
    from .. import cuda_arrays

    if out is None:
        out = cuda_arrays.empty(shape, dtype)
    cuda_arrays.check_out(out, shape, dtype)
    if cuda_arrays.library(out) == "torch":
        import torch

        out.copy_(torch.from_numpy(host))
    else:
        out.set(host)
    return out


class MaskerSet(IndexedMasker):
    """Index i renders ``maskers[which[i]]`` with kept-mask ``bits[i]``.

    Parameters
    ----------
    maskers : list of Masker
        Maskers of the same image and baseline (their frame caches are shared).
    which : (N,) int ndarray
        Masker of each item.
    bits : (N,) uint64 ndarray
        Kept-region bitmask of each item, in its Masker's regions.
    """

    def __init__(self, maskers, which, bits):
        first = maskers[0]
        super().__init__(first.image, first.baseline, len(which))
        self.maskers = list(maskers)
        for m in self.maskers:  # same image and baseline: normalise the frames once for all
            m._frames = self._frames
        self.which = np.asarray(which, np.int64)
        self.bits = np.asarray(bits, np.uint64)

    def _render_host(self, index, out, spec, num_threads):
        layout, dtype, scale, mean, std = spec
        owner = self.which[index]
        # consecutive items of one Masker render as one call into a slice of out
        cuts = np.flatnonzero(np.diff(owner)) + 1
        for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(index)]):
            self.maskers[owner[a]].render(self.bits[index[a:b]], out=out[a:b], layout=layout,
                                          dtype=None if layout == "hwc" else dtype, scale=scale,
                                          mean=mean, std=std, num_threads=num_threads)


class AlphaMasker(IndexedMasker):
    """Index i blends image and baseline with ``alphas[i]`` (1 = image, 0 = baseline).

    Parameters
    ----------
    image : (H, W, C) uint8 or float32 ndarray
    alphas : (N, H, W) float32 ndarray
    baseline : str or ndarray, as for :class:`minplus.Masker`

    Examples
    --------
    >>> img = np.full((2, 2, 1), 200, np.uint8)
    >>> m = AlphaMasker(img, np.array([[[1, .5], [0, .25]]], np.float32), baseline="black")
    >>> m.render([0])[0, :, :, 0].tolist()
    [[200, 100], [0, 50]]
    """

    def __init__(self, image, alphas, baseline="black"):
        alphas = np.ascontiguousarray(alphas, dtype=np.float32)
        super().__init__(image, baseline, len(alphas))
        if alphas.shape[1:] != (self.H, self.W):
            raise ShapeError(f"alphas has shape {alphas.shape}, expected (N, H, W) with (H, W) = "
                             f"{(self.H, self.W)}")
        self.alphas = alphas

    def _render_host(self, index, out, spec, num_threads):
        img, base = self.frames(*spec, soft=True)
        _core.blend_alphas(img, base, spec[0], self.alphas, index, out, num_threads)


class WindowMasker(IndexedMasker):
    """Gaussian window steps on current images (MinPlus): index ``i = phase * N + w`` applies
    window w to phase ``phase``'s current image, with that phase's operation.

    Each phase holds a current image ``states[phase]`` (H, W, C) float32 in image units and an
    operation (see cpp/include/minplus/blend.hpp):

    * "remove": ``baseline + (1 - g) * (state - baseline)`` (the minus step: the window fades to
      the baseline; a black baseline gives the published ``state * (1 - g)``);
    * "screen": ``white - (white - state) * (white - image * g) / white``, the original's window
      screen-blended onto the state (the published plus step), truncated to integers for uint8
      images (white = 255) as the published uint8 state is; float images (white = 1) are not
      quantised.

    Window w is the separable ``taps`` (2R+1,) float32 centred at ``centres[w]`` = (y, x), zero
    outside its box; a centre far off the image renders the state itself. Only the window's box is
    computed: every other pixel is a copy of the state, rendered once per call.

    Parameters
    ----------
    image : (H, W, C) uint8 or float32 ndarray
        The steps compute in float32 (``image32``, ``baseline32``, ``states``).
    dtype : {None, "image"}
        What "hwc" renders are: None, float32 (the minus step's products unrounded, as
        published); "image", the image's own dtype (uint8 rounded half to even), for models
        whose input pipeline takes only that.
    centres : (N, 2) int ndarray
    taps : (2R+1,) float ndarray
    baseline : str or ndarray, as for :class:`minplus.Masker`
    ops : sequence of {"remove", "screen"}
        One operation per phase; ``states`` start as copies of the image.

    Examples
    --------
    >>> img = np.full((1, 3, 1), 200, np.uint8)
    >>> m = WindowMasker(img, [[0, 1]], np.array([0.5, 1.0, 0.5]), ops=("remove", "screen"))
    >>> m.render([0])[0, 0, :, 0].tolist()
    [100.0, 0.0, 100.0]
    >>> m.states[1][:] = 0; m.render([1])[0, 0, :, 0].tolist()  # 255 - 255 * (255 - 100) / 255
    [100.0, 200.0, 100.0]
    """

    OPS = {"remove": 0, "screen": 1}

    def __init__(self, image, centres, taps, baseline="black", ops=("remove",), dtype=None):
        image = _as_image(np.asarray(image))
        quantise = image.dtype == np.uint8
        if dtype not in (None, "image"):
            raise ArgumentError(f"dtype must be None or 'image', got {dtype!r:.80}")
        base = _own_baseline(make_baseline(image, baseline), baseline)
        centres = _numeric_array("centres", centres, np.int32)
        if centres.ndim != 2 or centres.shape[1] != 2:
            raise ShapeError(f"centres must be (N, 2), got shape {centres.shape}")
        if isinstance(ops, str) or not isinstance(ops, (tuple, list)) or not ops:
            raise ArgumentTypeError(f"ops must be a non-empty tuple of {sorted(self.OPS)}, "
                                    f"got {ops!r:.80}")
        for op in ops:
            if not isinstance(op, str) or op not in self.OPS:
                raise ArgumentError(f"ops must be among {sorted(self.OPS)}, got {op!r:.80}")
        held = np.float32 if dtype is None else image.dtype
        # image (checked by _as_image) and base are this masker's own copies
        super().__init__(image.astype(held, copy=False), base.astype(held, copy=False),
                         len(centres) * len(ops), owned=True)
        # float32 work copies; a float32 Masker's own arrays serve (nothing writes either)
        self.image32 = self.image if held == np.float32 else image.astype(np.float32)
        self.baseline32 = self.baseline if held == np.float32 else base.astype(np.float32)
        # indices, not bitmasks: the evaluation loop's check of bits against n does not apply
        self.n = MAX_REGIONS
        self.centres = centres
        self.taps = _numeric_array("taps", taps, np.float32)
        if self.taps.ndim != 1 or len(self.taps) % 2 != 1:
            raise ShapeError(f"taps must be (2R+1,), got shape {self.taps.shape}")
        self.ops = tuple(ops)
        self.white = np.float32(255.0 if quantise else 1.0)
        self.quantise = bool(quantise)
        self.states = [self.image32.copy() for _ in self.ops]

    def window(self, w: int) -> np.ndarray:
        """Window w as an (H, W) float32 map g_w."""
        R = len(self.taps) // 2
        cy, cx = (int(v) for v in self.centres[w])
        gy = np.zeros(self.H, np.float32)
        gx = np.zeros(self.W, np.float32)
        ys, xs = np.arange(self.H) - cy + R, np.arange(self.W) - cx + R
        inside_y, inside_x = (ys >= 0) & (ys <= 2 * R), (xs >= 0) & (xs <= 2 * R)
        gy[inside_y] = self.taps[ys[inside_y]]
        gx[inside_x] = self.taps[xs[inside_x]]
        return gy[:, None] * gx[None, :]

    def apply(self, index: int) -> None:
        """Make item ``index``'s image (float32, before any rounding to the output's dtype) the
        current image of its phase."""
        index = self._indices([index])
        state = np.empty((1, self.H, self.W, self.C), np.float32)
        self._blend(index, state, "hwc", 1.0, np.zeros(self.C, np.float32),
                    np.ones(self.C, np.float32), 1)
        self.states[int(index[0]) // len(self.centres)] = state[0]

    @property
    def renders_blocks(self) -> bool:
        """Whether :meth:`render` can area-reduce (``block=``): float32 renders only (a uint8
        render is rounded before any resize would average it)."""
        return self.image.dtype == np.float32

    def block_factors(self, block) -> tuple:
        """``block`` as (fy, fx) positive ints dividing (H, W); ShapeError otherwise."""
        try:
            fy, fx = block
        except (TypeError, ValueError):
            raise ShapeError(f"block must be a (fy, fx) pair of ints, got {block!r:.80}") from None
        for v in (fy, fx):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ShapeError(f"block must hold positive ints, got {block!r:.80}")
        if self.H % fy or self.W % fx:
            raise ShapeError(f"block {(int(fy), int(fx))} must divide the image's size "
                             f"{(self.H, self.W)}")
        return int(fy), int(fx)

    def output_shape(self, batch: int, layout: str = "hwc", block=None) -> tuple:
        """Shape of ``render``'s output for ``batch`` items, (B, H / fy, W / fx, ...) with
        ``block``."""
        shape = super().output_shape(batch, layout)
        if block is None:
            return shape
        fy, fx = self.block_factors(block)
        if layout == "hwc":
            return (shape[0], self.H // fy, self.W // fx, self.C)
        return (shape[0], self.C, self.H // fy, self.W // fx)

    def render(self, masks, out=None, layout="hwc", dtype=None, scale=1.0, mean=None, std=None,
               num_threads=0, device=None, block=None):
        """Render items ``masks[b]``; arguments as :meth:`Masker.render`. A CUDA ``out`` (torch
        or cupy) is written by the CUDA twin of the kernel.

        ``block`` (fy, fx) renders each item area-reduced: every output pixel the mean of its
        fy x fx block of the full-size render (what ``cv2.resize(..., INTER_AREA)`` makes of it,
        to float32 rounding), in one pass that never writes the full-size images (host kernel;
        a CUDA ``out`` gets a host render). Float32 maskers only (:attr:`renders_blocks`).

        Examples
        --------
        >>> img = np.full((4, 4, 1), 0.5, np.float32)
        >>> m = WindowMasker(img, [[0, 1]], np.ones(3, np.float32))
        >>> m.render([0], block=(2, 2))[0, :, :, 0].tolist()  # rows 0-1, columns 0-2 fade
        [[0.0, 0.25], [0.5, 0.5]]
        """
        if block is not None:
            return self._render_blocks(masks, out, layout, dtype, scale, mean, std, num_threads,
                                       device, block)
        where = device_of(out) if out is not None else (device or "cpu")
        if where != "cuda":
            return super().render(masks, out, layout, dtype, scale, mean, std, num_threads,
                                  device)
        from .. import cuda_arrays
        from ..core import cuda_available

        if not cuda_available():
            raise DeviceError("CUDA rendering needs minplus built with CUDA and a visible device")
        index = self._indices(masks)
        spec = self._spec(layout, dtype, scale, mean, std)
        shape = self.output_shape(len(index), spec[0])
        if out is None:
            out = cuda_arrays.empty(shape, spec[1])
        cuda_arrays.check_out(out, shape, spec[1])
        up = lambda a: cuda_arrays.upload(np.ascontiguousarray(a), out)  # noqa: E731
        ptr, stream = cuda_arrays.pointer, cuda_arrays.stream_of(out)
        mean, std = self._per_channel_spec(spec)
        fixed = [up(a) for a in (self.image32, self.baseline32, self.taps, mean, std)]
        elems = self.H * self.W * self.C
        for p, a, b in self._phase_runs(index):
            state = up(self.states[p])
            centres = up(self.centres[index[a:b] - p * len(self.centres)])
            _core.blend_windows_cuda(ptr(state), ptr(fixed[0]), ptr(fixed[1]), self.H, self.W,
                                     self.C, ptr(centres), b - a, ptr(fixed[2]),
                                     len(self.taps) // 2, self.OPS[self.ops[p]],
                                     float(self.white), self.quantise, spec[0],
                                     _DTYPE_CODES[spec[1]], float(spec[2]), ptr(fixed[3]),
                                     ptr(fixed[4]), ptr(out) + a * elems * spec[1].itemsize,
                                     stream)
        return out

    def _render_blocks(self, masks, out, layout, dtype, scale, mean, std, num_threads, device,
                       block):
        if not self.renders_blocks:
            raise ArgumentError("block rendering takes a float32 WindowMasker (dtype=None): "
                                f"this one renders {self.image.dtype}")
        block = self.block_factors(block)
        index = self._indices(masks)
        spec = self._spec(layout, dtype, scale, mean, std)
        shape = self.output_shape(len(index), spec[0], block)
        where, host = self._host_out(out, shape, spec[1], device)
        self._blend(index, host, spec[0], float(spec[2]), *self._per_channel_spec(spec),
                    thread_count(num_threads), block)
        return self._handed_back(where, host, out, shape, spec[1])

    def _per_channel_spec(self, spec):
        """(C,) float32 mean and std of an output spec (identity for "hwc")."""
        mean, std = spec[3], spec[4]
        mean = np.broadcast_to(np.asarray(0.0 if mean is None else mean, np.float32), (self.C,))
        std = np.broadcast_to(np.asarray(1.0 if std is None else std, np.float32), (self.C,))
        return np.ascontiguousarray(mean), np.ascontiguousarray(std)

    def _phase_runs(self, index):
        """(phase, a, b): consecutive items of one phase, rendered as one kernel call."""
        phase = index // len(self.centres)
        cuts = np.flatnonzero(np.diff(phase)) + 1
        return [(int(phase[a]), int(a), int(b))
                for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(index)])]

    def _render_host(self, index, out, spec, num_threads):
        self._blend(index, out, spec[0], float(spec[2]), *self._per_channel_spec(spec),
                    num_threads)

    def _blend(self, index, out, layout, scale, mean, std, num_threads, block=(1, 1)):
        N = len(self.centres)
        for p, a, b in self._phase_runs(index):
            _core.blend_windows(self.states[p], self.image32, self.baseline32,
                                np.ascontiguousarray(self.centres[index[a:b] - p * N]),
                                self.taps, self.OPS[self.ops[p]], float(self.white),
                                self.quantise, layout, scale, mean, std, out[a:b],
                                num_threads, *block)
