"""RegionMap: which named region every pixel of an image belongs to.

A RegionMap is one label image: ``labels[y, x]`` is a region id in [0, n) or -1 for *context*
(hair, background, anything no region claims). Region r is bit r of the uint64 bitmasks the
search and the Masker use, so n <= 64. Because it is a single label image, regions never overlap.
"""

from __future__ import annotations

import base64

import numpy as np

from ..core import MAX_REGIONS
from ..arguments import choice
from ..errors import ArgumentError, DTypeError, RegionError, ShapeError

CONTEXT_POLICIES = ("keep", "mask")


class RegionMap:
    """Named, non-overlapping image regions: the unit Min+/Min- explanations are made of.

    Parameters
    ----------
    labels : (H, W) integer ndarray
        Region id per pixel in [0, n), or -1 for context. Stored as C-contiguous int32.
    names : sequence of str
        ``names[r]`` names region r; n = len(names) <= 64, names unique and non-empty.
    context : {"keep", "mask"}
        Whether context pixels (-1) always show the image ("keep") or always the baseline.
    soft_weights : (n, H, W) float32 ndarray, optional
        Per-region blend weights for soft masking (see :class:`minplus.Masker`).

    Examples
    --------
    >>> labels = np.array([[0, 0, 1], [2, 2, -1]])
    >>> rm = RegionMap(labels, ["eyes", "nose", "mouth"])
    >>> rm.n, rm.shape
    (3, (2, 3))
    >>> int(rm.mask_of(["eyes", "mouth"]))
    5
    >>> rm.names_of(0b110)
    ['nose', 'mouth']
    >>> RegionMap.from_dict(rm.to_dict()) == rm
    True
    """

    __hash__ = None  # mutable arrays inside: equality by value, not hashable

    def __init__(self, labels, names, context: str = "keep", soft_weights=None):
        self.names = _check_names(names)
        self.labels = _check_labels(labels, self.n)
        choice("context", context, CONTEXT_POLICIES)
        self.context = context
        self.soft_weights = None if soft_weights is None else _check_weights(
            soft_weights, (self.n,) + self.shape)
        self._index = {name: r for r, name in enumerate(self.names)}

    @property
    def n(self) -> int:
        """Number of regions."""
        return len(self.names)

    @property
    def shape(self) -> tuple[int, int]:
        """(H, W) of the labelled image."""
        return tuple(int(v) for v in self.labels.shape)

    @property
    def full_mask(self) -> np.uint64:
        """The bitmask keeping every region (bits 0..n-1 set)."""
        return np.uint64((1 << self.n) - 1)

    def index(self, name: str) -> int:
        """Region id of ``name``; RegionError listing the known names if there is none."""
        try:
            return self._index[name]
        except (KeyError, TypeError):
            raise RegionError(f"no region named {name!r}; regions are {self.names}") from None

    def areas(self) -> np.ndarray:
        """(n,) int64 pixel count of every region."""
        kept = self.labels[self.labels >= 0]
        return np.bincount(kept, minlength=self.n).astype(np.int64)

    def mask_of(self, names) -> np.uint64:
        """Bitmask (uint64) with the bits of the named regions set.

        Parameters
        ----------
        names : str or iterable of str
            One name or several; an unknown name raises RegionError.
        """
        if isinstance(names, str):
            names = [names]
        mask = 0
        for name in names:
            mask |= 1 << self.index(name)
        return np.uint64(mask)

    def names_of(self, mask) -> list[str]:
        """Names of the regions whose bits are set in ``mask``, in region order.

        Parameters
        ----------
        mask : int or numpy unsigned/signed integer scalar
            Bits >= n raise RegionError.
        """
        if isinstance(mask, (bool, np.bool_)) or not isinstance(mask, (int, np.integer)):
            raise DTypeError(f"mask must be an integer bitmask, got {type(mask).__name__}")
        value = int(np.uint64(mask)) if isinstance(mask, np.integer) else int(mask)
        if value < 0 or value >> self.n:
            raise RegionError(f"mask {value:#x} has bits outside the {self.n} regions")
        return [name for r, name in enumerate(self.names) if value >> r & 1]

    def masker(self, image, baseline="mean", **kwargs):
        """A :class:`minplus.Masker` over ``image`` with this map's labels, context and weights.

        Parameters
        ----------
        image : (H, W, C) or (H, W) uint8 or float32 ndarray
            Must have this map's (H, W).
        baseline : str or ndarray
            See :class:`minplus.Masker`.
        **kwargs
            Passed on to the Masker (``feather``, ``sigma``, ``seed``).
        """
        from ..masking import Masker

        if getattr(image, "shape", (None, None))[:2] != self.shape:
            raise ShapeError(f"image has shape {getattr(image, 'shape', None)}, "
                             f"the region map is {self.shape}")
        return Masker(image, self.labels, baseline=baseline, context=self.context,
                      n_regions=self.n, soft_weights=self.soft_weights, **kwargs)

    def render(self, image=None, alpha: float = 0.55, labels: bool = True) -> np.ndarray:
        """A picture of the regions: each coloured, outlined, and named at its centre.

        Parameters
        ----------
        image : (H, W, 3) or (H, W) ndarray, optional
            Drawn under the colours (uint8, or float in [0, 1]); a blank canvas if omitted.
        alpha : float
            Opacity of the region colours over the image.
        labels : bool
            Write each region's name on it.

        Returns
        -------
        (H, W, 3) uint8 ndarray
        """
        from .drawing import draw_regions

        return draw_regions(self, image, alpha=alpha, write_names=labels)

    def to_dict(self) -> dict:
        """A JSON-ready dict: labels run-length encoded, soft weights as base64 float32."""
        flat = self.labels.ravel()
        starts = np.flatnonzero(np.r_[True, flat[1:] != flat[:-1]])
        counts = np.diff(np.r_[starts, flat.size])
        out = {"shape": list(self.shape), "names": list(self.names), "context": self.context,
               "labels_rle": np.column_stack([flat[starts], counts]).ravel().tolist()}
        if self.soft_weights is not None:
            out["soft_weights_b64"] = base64.b64encode(
                self.soft_weights.astype("<f4").tobytes()).decode("ascii")
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "RegionMap":
        """Inverse of :meth:`to_dict`; validates like the constructor."""
        try:
            h, w = (int(v) for v in data["shape"])
            rle = np.asarray(data["labels_rle"], np.int64).reshape(-1, 2)
            names, context = data["names"], data.get("context", "keep")
        except (KeyError, TypeError, ValueError) as exc:
            raise ArgumentError(f"not a RegionMap dict ({exc})") from None
        if (rle[:, 1] < 0).any() or rle[:, 1].sum() != h * w:
            raise ShapeError(f"labels_rle covers {int(rle[:, 1].sum())} pixels, shape {(h, w)} "
                             f"has {h * w}")
        labels = np.repeat(rle[:, 0], rle[:, 1]).reshape(h, w)
        weights = None
        if "soft_weights_b64" in data:
            raw = np.frombuffer(base64.b64decode(data["soft_weights_b64"]), "<f4")
            if raw.size != len(names) * h * w:
                raise ShapeError(f"soft_weights_b64 holds {raw.size} values, expected "
                                 f"n*H*W = {len(names) * h * w}")
            weights = raw.astype(np.float32).reshape(len(names), h, w)
        return cls(labels, names, context=context, soft_weights=weights)

    def __eq__(self, other) -> bool:
        if not isinstance(other, RegionMap):
            return NotImplemented
        same_w = (self.soft_weights is None and other.soft_weights is None) or (
            self.soft_weights is not None and other.soft_weights is not None
            and np.array_equal(self.soft_weights, other.soft_weights))
        return (self.names == other.names and self.context == other.context and same_w
                and np.array_equal(self.labels, other.labels))

    def __repr__(self) -> str:
        return (f"RegionMap(n={self.n}, shape={self.shape}, names={self.names}, "
                f"context={self.context!r})")


def _check_names(names) -> list[str]:
    if isinstance(names, str) or not hasattr(names, "__iter__"):
        raise DTypeError(f"names must be a sequence of str, got {type(names).__name__}")
    names = list(names)
    bad = [v for v in names if not isinstance(v, str) or not v]
    if bad:
        raise DTypeError(f"region names must be non-empty str, got {bad[0]!r}")
    if len(names) > MAX_REGIONS:
        raise RegionError(f"{len(names)} region names; at most {MAX_REGIONS} regions")
    dupes = sorted({v for v in names if names.count(v) > 1})
    if dupes:
        raise RegionError(f"region names must be unique, repeated: {dupes}")
    return names


def _check_labels(labels, n: int) -> np.ndarray:
    if not isinstance(labels, np.ndarray):
        raise DTypeError(f"labels must be a numpy array, got {type(labels).__name__}")
    if labels.dtype.kind not in "iu":
        raise DTypeError(f"labels must be an integer array, got dtype {labels.dtype}")
    if labels.ndim != 2 or labels.size == 0:
        raise ShapeError(f"labels must be a non-empty (H, W) array, got shape {labels.shape}")
    lo, hi = int(labels.min()), int(labels.max())
    if lo < -1 or hi >= n:
        raise RegionError(f"labels must lie in [-1, {n}) for {n} names, found values in "
                          f"[{lo}, {hi}]")
    return np.ascontiguousarray(labels, dtype=np.int32)


def _check_weights(weights, shape) -> np.ndarray:
    if not isinstance(weights, np.ndarray) or weights.dtype != np.float32:
        raise DTypeError("soft_weights must be a float32 ndarray (n, H, W), got "
                         f"{getattr(weights, 'dtype', type(weights).__name__)}")
    if weights.shape != shape:
        raise ShapeError(f"soft_weights has shape {weights.shape}, expected (n, H, W) = {shape}")
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ArgumentError("soft_weights must be finite and >= 0")
    return np.ascontiguousarray(weights)
