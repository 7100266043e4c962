"""Maskers whose "masks" are indices into a fixed list of perturbations, not region bitmasks.

Black-box methods score every batch through ``model.score_masks(masker, masks)``; these classes
keep that contract (same ``render`` signature, layouts, dtypes and normalisation as
:class:`minplus.Masker`, so any adapter renders straight into its input) for perturbations a
single label map cannot express:

* :class:`MaskerSet` -- several Maskers over one image; index i renders ``maskers[m_i]`` with
  bitmask ``bits_i`` (overlapping occlusion windows, one label map per window row).
* :class:`AlphaMasker` -- a bank of float alpha maps (RISE's smooth random masks).
* :class:`WindowMasker` -- Gaussian windows removed from / added to a current keep map (MinPlus).

The blending kernels live in the native core (cpp/src/blend_cpu.cpp); CUDA outputs are filled
from a host render (no CUDA blending kernel yet).
"""

from __future__ import annotations

import numpy as np

from .. import _core
from ..core import _check_host_out, device_of
from ..errors import DeviceError, DTypeError, ShapeError
from ..masking import Masker


class IndexedMasker(Masker):
    """Base class: a Masker over one image whose masks index ``n_items`` perturbations.

    Subclasses implement ``_render_host(index (B,) int64, out, layout, spec)`` where ``spec`` is
    the (layout, dtype, scale, mean, std) tuple of :meth:`Masker._spec`.
    """

    def __init__(self, image, baseline, n_items: int):
        image = np.asarray(image)
        super().__init__(image, np.zeros(image.shape[:2], np.int32), baseline=baseline)
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
        where = device_of(out) if out is not None else (device or "cpu")
        if where not in ("cpu", "cuda"):
            raise DeviceError(f"out lives on device {where!r}")
        if where == "cuda" or out is None:
            host = np.empty(shape, spec[1])
        else:
            host = out.numpy() if type(out).__module__.startswith("torch") else out
            _check_host_out(host, shape, spec[1])
        self._render_host(index, host, spec, int(num_threads))
        if where == "cpu":
            return host if out is None else out
        return _to_device(host, out, shape, spec[1])

    def _render_host(self, index, out, spec, num_threads):
        raise NotImplementedError


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
    """Index i applies window i to the current ``keep`` map: removes it or adds it back.

    ``keep`` (H, W) float32 in [0, 1] is what is visible now (1 = image). Window i is the
    separable ``taps`` (2R+1,) centred at ``centres[i]`` = (y, x); removing it gives
    ``keep * (1 - g)``, adding it gives ``1 - (1 - keep) * (1 - g)``.
    """

    def __init__(self, image, centres, taps, baseline="black"):
        centres = np.ascontiguousarray(centres, dtype=np.int32)
        super().__init__(image, baseline, len(centres))
        self.centres = centres
        self.taps = np.ascontiguousarray(taps, dtype=np.float32)
        if self.taps.ndim != 1 or len(self.taps) % 2 != 1:
            raise ShapeError(f"taps must be (2R+1,), got shape {self.taps.shape}")
        self.keep = np.ones((self.H, self.W), np.float32)
        self.add = False

    def window(self, i: int) -> np.ndarray:
        """Window i as an (H, W) float32 map g_i."""
        R = len(self.taps) // 2
        cy, cx = (int(v) for v in self.centres[i])
        gy = np.zeros(self.H, np.float32)
        gx = np.zeros(self.W, np.float32)
        ys, xs = np.arange(self.H) - cy + R, np.arange(self.W) - cx + R
        inside_y, inside_x = (ys >= 0) & (ys <= 2 * R), (xs >= 0) & (xs <= 2 * R)
        gy[inside_y] = self.taps[ys[inside_y]]
        gx[inside_x] = self.taps[xs[inside_x]]
        return gy[:, None] * gx[None, :]

    def _render_host(self, index, out, spec, num_threads):
        img, base = self.frames(*spec, soft=True)
        centres = np.ascontiguousarray(self.centres[index])
        _core.blend_windows(img, base, spec[0], self.keep, centres, self.taps, self.add, out,
                            num_threads)
