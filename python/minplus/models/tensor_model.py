"""Networks fed normalised float tensors (torch, onnxruntime): the shared input path.

Normalisation is ``(x * scale - mean) / std`` per channel. The same three numbers go to
:meth:`minplus.Masker.render` (fused into the masking pass, writing the network's input buffer)
and to :func:`normalise` (plain images given to ``predict``), so both paths feed the model alike.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .base import Model


class Preprocess(NamedTuple):
    """``(x * scale - mean) / std`` per channel; ``mean`` and ``std`` are tuples or scalars."""

    scale: float = 1.0
    mean: tuple | float = 0.0
    std: tuple | float = 1.0


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
    try:
        scale, mean, std = preprocess
    except (TypeError, ValueError):
        raise ValueError("preprocess must be None or a (scale, mean, std) tuple, "
                         f"got {preprocess!r}") from None
    std_arr = np.asarray(std, np.float64)
    if not np.isfinite(std_arr).all() or (std_arr == 0).any():
        raise ValueError(f"preprocess std must be finite and non-zero, got {std!r}")
    return Preprocess(float(scale), mean, std)


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
    mean = np.broadcast_to(np.asarray(preprocess.mean, np.float32), (c,))
    std = np.broadcast_to(np.asarray(preprocess.std, np.float32), (c,))
    x = (images.astype(np.float32) * np.float32(preprocess.scale) - mean) / std
    if layout == "nchw":
        x = x.transpose(0, 3, 1, 2)
    return np.ascontiguousarray(x, dtype=dtype)


class TensorModel(Model):
    """Base of adapters whose network takes a normalised float tensor.

    Subclasses set ``preprocess``, ``layout`` ("nchw" or "nhwc") and ``dtype`` (float32 or
    float16) and implement ``_input_buffer(shape)`` (an empty input, where the network reads it),
    ``_as_input(array)`` (a host array moved there) and ``_run(x) -> (B, D)`` scores.
    """

    preprocess: Preprocess = Preprocess()
    layout: str = "nchw"
    dtype = np.float32

    def _input_buffer(self, shape: tuple):
        raise NotImplementedError

    def _as_input(self, x: np.ndarray):
        return x

    def _run(self, x) -> np.ndarray:
        raise NotImplementedError

    def predict(self, images):
        return self._run(self._as_input(
            normalise(np.asarray(images), self.preprocess, self.layout, self.dtype)))

    def score_masks(self, masker, masks):
        if self.layout != "nchw":  # the kernel normalises into nchw only
            return super().score_masks(masker, masks)
        p = self.preprocess
        out, buf = [], None
        for i in range(0, len(masks), self.batch_size):
            chunk = masks[i:i + self.batch_size]
            if buf is None or len(buf) != len(chunk):
                buf = self._input_buffer(masker.output_shape(len(chunk), "nchw"))
            masker.render(chunk, out=buf, layout="nchw", dtype=self.dtype,
                          scale=p.scale, mean=p.mean, std=p.std)
            out.append(self._checked(self._run(buf), len(chunk)))
        return np.concatenate(out) if out else np.zeros((0, 1))
