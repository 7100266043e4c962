"""What a model consumes: its declared input (layout, dtype, preprocess, device) and, per image,
an optional geometric frame (an aligned face chip, a resize to the network's size).

A model never renders masked images itself. It declares an :class:`InputSpec`; when it needs
the explained image in another geometry it returns a :class:`Frame` from ``Model.bind(image)``,
and the one evaluation loop (:mod:`minplus.evaluate`) builds the Masker in that frame and renders
every batch straight into the model's input buffer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import numpy as np

from ..arguments import choice
from ..errors import DTypeError, ShapeError

_LAYOUTS = ("nhwc", "nchw")
_DEVICES = ("cpu", "cuda")


class Preprocess(NamedTuple):
    """``(x * scale - mean) / std`` per channel; ``mean`` and ``std`` are tuples or scalars."""

    scale: float = 1.0
    mean: tuple | float = 0.0
    std: tuple | float = 1.0

    @property
    def identity(self) -> bool:
        """True when the preprocess leaves pixel values as they are."""
        return (self.scale == 1.0 and np.all(np.asarray(self.mean) == 0)
                and np.all(np.asarray(self.std) == 1))


def as_preprocess(preprocess) -> Preprocess:
    """A :class:`Preprocess` from None (identity), a Preprocess or a (scale, mean, std) tuple.

    Examples
    --------
    >>> as_preprocess((1 / 255, (0.5, 0.5, 0.5), 0.25)).std
    0.25
    >>> as_preprocess(None)
    Preprocess(scale=1.0, mean=0.0, std=1.0)
    """
    if preprocess is None:
        return Preprocess()
    if not isinstance(preprocess, (tuple, list)):
        raise DTypeError("preprocess must be None or a (scale, mean, std) tuple, "
                         f"got {type(preprocess).__name__} {preprocess!r}")
    if len(preprocess) != 3:
        raise ShapeError("preprocess must be None or a (scale, mean, std) tuple, "
                         f"got {len(preprocess)} values {preprocess!r}")
    scale, mean, std = preprocess
    for name, v in (("scale", scale), ("mean", mean), ("std", std)):
        try:
            arr = np.asarray(v, np.float64)
        except (TypeError, ValueError):
            raise DTypeError(f"preprocess {name} must be a number or a sequence of numbers, "
                             f"got {v!r}") from None
        if arr.ndim > 1 or not np.isfinite(arr).all():
            raise ShapeError(f"preprocess {name} must be a finite scalar or a (C,) sequence, "
                             f"got {v!r}")
    if (np.asarray(std, np.float64) == 0).any():
        raise ShapeError(f"preprocess std must be non-zero, got {std!r}")
    return Preprocess(float(scale), mean, std)


def resolve_preprocess(preprocess, dtype) -> Preprocess:
    """The one preprocess policy, shared by model adapters and white-box methods: an explicit
    preprocess as given; None scales uint8 images to [0, 1] (x / 255) and takes float images as
    they are.

    Examples
    --------
    >>> resolve_preprocess(None, np.uint8).scale == 1 / 255, resolve_preprocess(None, np.float32)
    (True, Preprocess(scale=1.0, mean=0.0, std=1.0))
    """
    if preprocess is not None:
        return as_preprocess(preprocess)
    return Preprocess(1.0 / 255.0) if np.dtype(dtype) == np.uint8 else Preprocess()


def normalise(images: np.ndarray, preprocess: Preprocess, layout: str = "nchw",
              dtype=np.float32) -> np.ndarray:
    """(B, H, W, C) images -> normalised float array, (B, C, H, W) for "nchw" or as is for "nhwc".

    Examples
    --------
    >>> x = normalise(np.full((1, 2, 2, 3), 255, np.uint8), Preprocess(1 / 255, 0.5, 0.5))
    >>> x.shape, float(x.max())
    ((1, 3, 2, 2), 1.0)
    """
    c = images.shape[-1]
    try:
        mean = np.broadcast_to(np.asarray(preprocess.mean, np.float32), (c,))
        std = np.broadcast_to(np.asarray(preprocess.std, np.float32), (c,))
    except ValueError:
        raise ShapeError(f"preprocess mean {preprocess.mean!r} / std {preprocess.std!r} do not "
                         f"fit images with C={c} channels") from None
    x = (images.astype(np.float32) * np.float32(preprocess.scale) - mean) / std
    if layout == "nchw":
        x = x.transpose(0, 3, 1, 2)
    return np.ascontiguousarray(x, dtype=dtype)


@dataclass(frozen=True)
class InputSpec:
    """A model's declared input.

    Parameters
    ----------
    layout : {"nhwc", "nchw"}
        (B, H, W, C) or (B, C, H, W).
    dtype : numpy dtype or None
        float32 / float16 for a normalised tensor; None means the image's own dtype (uint8 or
        float32), as rendered, which requires ``layout="nhwc"`` and an identity preprocess.
    preprocess : Preprocess
        ``(x * scale - mean) / std`` per channel, fused into rendering for "nchw".
    device : {"cpu", "cuda"}
        Where the input buffer lives; "cuda" renders with the CUDA kernel into it.

    Examples
    --------
    >>> InputSpec("nchw", np.float32, Preprocess(1 / 255)).layout
    'nchw'
    """

    layout: str = "nhwc"
    dtype: object = None
    preprocess: Preprocess = field(default_factory=Preprocess)
    device: str = "cpu"

    def __post_init__(self):
        choice("layout", self.layout, _LAYOUTS)
        choice("device", self.device, _DEVICES)
        if self.dtype is not None:
            dt = np.dtype(self.dtype)
            if dt not in (np.float32, np.float16):
                raise DTypeError(f"dtype must be float32, float16 or None, got {dt}")
            object.__setattr__(self, "dtype", dt)
        elif not as_preprocess(self.preprocess).identity or self.layout != "nhwc":
            raise DTypeError("dtype=None (the image's own dtype) needs layout 'nhwc' and an "
                             "identity preprocess")
        object.__setattr__(self, "preprocess", as_preprocess(self.preprocess))

    @property
    def raw(self) -> bool:
        """True when the model takes rendered images as they are (hwc, the image's dtype)."""
        return self.dtype is None


@dataclass(frozen=True)
class Frame:
    """A geometric input transform: where each pixel of the model's input comes from.

    ``matrix`` (2, 3) float64 maps a model-input pixel (x, y, 1) to source-image coordinates
    (the inverse map of ``cv2.warpAffine`` with ``WARP_INVERSE_MAP``). ``size`` is the model
    input's (height, width). ``warp_image``, when given, produces the image-space resampling
    itself (e.g. dlib's own ``get_face_chip``), so the unmasked input is exactly what the
    model's own pipeline makes; labels are always warped by nearest neighbour through
    ``matrix``. ``block`` (fy, fx), set by :meth:`resize` for a shrink by whole factors, says
    the warp is the mean of each fy x fx block (cv2's INTER_AREA), which a window masker
    renders straight into the frame (:mod:`minplus.evaluate`).

    Examples
    --------
    >>> f = Frame.resize((4, 4), (2, 2))
    >>> f.warp(np.arange(16, dtype=np.float32).reshape(4, 4, 1))[..., 0].shape
    (2, 2)
    """

    matrix: np.ndarray
    size: tuple
    warp_image: Callable | None = None
    block: tuple | None = None

    @classmethod
    def resize(cls, source_hw, size_hw) -> "Frame":
        """The frame of a plain resize from ``source_hw`` to ``size_hw`` (pixel centres kept);
        its ``block`` is the (fy, fx) factors when both sides shrink by a whole factor.

        Examples
        --------
        >>> Frame.resize((256, 256), (32, 32)).block, Frame.resize((256, 256), (48, 48)).block
        ((8, 8), None)
        """
        (sh, sw), (h, w) = (int(v) for v in source_hw), (int(v) for v in size_hw)
        sx, sy = sw / w, sh / h
        m = np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5]])
        whole = h <= sh and w <= sw and sh % h == 0 and sw % w == 0
        return cls(m, (h, w), warp_image=_Resize((h, w)),
                   block=(sh // h, sw // w) if whole else None)

    @property
    def resizes(self) -> bool:
        """True when the frame is a plain resize (:meth:`resize`): cv2 resamples any float
        image, unlike a model's own chip extraction (dlib's, uint8)."""
        return isinstance(self.warp_image, _Resize)

    def warp(self, image: np.ndarray) -> np.ndarray:
        """The image (H, W[, C]) resampled into the frame: (h, w[, C]), same dtype."""
        if self.warp_image is not None:
            out = np.asarray(self.warp_image(image))
        else:
            import cv2

            h, w = self.size
            src = image if image.dtype != np.float16 else image.astype(np.float32)
            out = cv2.warpAffine(src, self.matrix, (w, h),
                                 flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                 borderMode=cv2.BORDER_REPLICATE)
            if image.ndim == 3 and out.ndim == 2:
                out = out[:, :, None]
        return np.ascontiguousarray(out.astype(image.dtype, copy=False))

    def to_source(self, values: np.ndarray, source_shape) -> np.ndarray:
        """A map (h, w) over the model's input carried back onto the source image: (H, W)
        float32, 0 where the frame does not reach (e.g. a white-box map of an aligned chip,
        drawn on the explained image)."""
        import cv2

        H, W = (int(v) for v in source_shape[:2])
        # matrix maps frame -> source, which is warpAffine's forward direction here.
        return cv2.warpAffine(np.asarray(values, np.float32), self.matrix, (W, H),
                              flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                              borderValue=0.0)

    def warp_labels(self, labels: np.ndarray, outside: int = -1) -> np.ndarray:
        """Region labels (H, W) int32 carried into the frame by nearest neighbour: (h, w)."""
        import cv2

        h, w = self.size
        out = cv2.warpAffine(labels.astype(np.float32), self.matrix, (w, h),
                             flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=float(outside))
        return np.ascontiguousarray(np.rint(out).astype(np.int32))


class _Resize:
    """cv2.resize to (h, w): area averaging when shrinking (no aliasing), bilinear otherwise."""

    def __init__(self, size):
        self.size = size

    def __call__(self, image):
        import cv2

        h, w = self.size
        shrink = h <= image.shape[0] and w <= image.shape[1]
        src = image if image.dtype != np.float16 else image.astype(np.float32)
        out = cv2.resize(src, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        return out[:, :, None] if image.ndim == 3 and out.ndim == 2 else out
