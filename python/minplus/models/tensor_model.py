"""Networks fed normalised float tensors (torch, onnxruntime): the shared input path.

Normalisation is ``(x * scale - mean) / std`` per channel. The same three numbers go to
:meth:`minplus.Masker.render` (fused into the masking pass, writing the network's input buffer)
and to :func:`normalise` (plain images given to ``predict``), so both paths feed the model alike.
"""

from __future__ import annotations

import numpy as np

from .base import Model
from ..errors import ShapeError
from .input_spec import (Frame, InputSpec, Preprocess, as_preprocess, normalise,  # noqa: F401
                         resolve_preprocess)


def as_input_size(value) -> tuple | None:
    """None, or an (h, w) tuple of positive ints from an int or a pair.

    Examples
    --------
    >>> as_input_size(32), as_input_size((64, 48)), as_input_size(None)
    ((32, 32), (64, 48), None)
    """
    if value is None:
        return None
    pair = (value, value) if isinstance(value, (int, np.integer)) else value
    try:
        h, w = pair
    except (TypeError, ValueError):
        raise ShapeError(f"input_size must be an int or an (h, w) pair, got {value!r}") from None
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1
               for v in (h, w)):
        raise ShapeError(f"input_size must hold positive ints, got {value!r}")
    return int(h), int(w)


class TensorModel(Model):
    """Base of adapters whose network takes a normalised float tensor.

    Subclasses set ``preprocess``, ``layout`` ("nchw" or "nhwc") and ``dtype`` (float32 or
    float16) and implement ``_input_buffer(shape)`` (an empty input, where the network reads it),
    ``_as_input(array)`` (a host array moved there) and ``_run(x) -> (B, D)`` scores.
    """

    preprocess: Preprocess | None = None  # None: the one policy, resolve_preprocess
    layout: str = "nchw"
    dtype = np.float32
    input_size: tuple | None = None  # (h, w) the network takes; images are resized to it

    def bind(self, image):
        """A resize frame to :attr:`input_size` when the network takes another size than the
        image's; None otherwise."""
        if self.input_size is None or tuple(image.shape[:2]) == self.input_size:
            return None
        return Frame.resize(image.shape[:2], self.input_size)

    def _input_buffer(self, shape: tuple):
        raise NotImplementedError

    def _as_input(self, x: np.ndarray):
        return x

    def _run(self, x) -> np.ndarray:
        raise NotImplementedError

    @property
    def input_spec(self) -> InputSpec:
        """The input for uint8 images (see :meth:`input_spec_for`)."""
        return self.input_spec_for(np.uint8)

    def input_spec_for(self, dtype) -> InputSpec:
        return InputSpec(self.layout, self.dtype, resolve_preprocess(self.preprocess, dtype),
                         self._device_type())

    def _device_type(self) -> str:
        return "cpu"

    def input_buffer(self, shape, dtype):
        return self._input_buffer(shape)

    def as_input(self, x):
        return self._as_input(x)

    def run(self, batch):
        return self._run(batch)
