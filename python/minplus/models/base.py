"""The model interface every adapter fulfils: a prepared batch in, a scores array out.

An adapter declares what it consumes (:attr:`Model.input_spec`: layout, dtype, preprocess,
device), may bind per-image state for the explained image (:meth:`Model.bind`, returning the
:class:`~minplus.models.input_spec.Frame` it wants its inputs in), and runs a batch that is
already in that form (:meth:`Model.run`). It never renders masked images: the one evaluation
loop, :class:`minplus.evaluate.Evaluation`, renders straight into its input and calls ``run``.
"""

from __future__ import annotations

import uuid

import numpy as np

from ..errors import DTypeError, ModelError
from .input_spec import InputSpec, normalise


def _batch_size(value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise DTypeError(f"batch_size must be an int >= 1 or None, got {value!r}")
    return int(value)


class Model:
    """Base class of model adapters.

    Subclasses set :attr:`input_spec` and implement :meth:`run`; a model that needs the
    explained image's geometry (an aligned face chip) overrides :meth:`bind`. Scores are
    returned as a float64 (B, D) array; NaN/inf or a wrong batch size raise
    :class:`~minplus.errors.ModelError`.

    Parameters
    ----------
    batch_size : int or None
        Most images per :meth:`run`; None hands every batch over whole.
    """

    input_spec: InputSpec = InputSpec()

    def __init__(self, batch_size: int | None = 64):
        self.batch_size = _batch_size(batch_size)

    # ---- what an adapter implements ------------------------------------------------------

    def bind(self, image: np.ndarray):
        """Per-image state for the explained (unmasked) ``image`` (H, W, C): the
        :class:`~minplus.models.input_spec.Frame` the model wants its input in, or None for the
        image as it is. Called once per explained image, before any masked image is scored."""
        return None

    def run(self, batch) -> np.ndarray:
        """Scores (B, D) of a batch already in :attr:`input_spec`'s form (and in the frame)."""
        raise NotImplementedError

    def input_spec_for(self, dtype) -> InputSpec:
        """The declared input for images of ``dtype`` (an adapter whose default preprocess
        depends on the pixel type resolves it here); default :attr:`input_spec`."""
        return self.input_spec

    def fingerprint(self) -> str:
        """A one-line description that differs when the model's answers may differ: a resumed
        dataset run (:mod:`minplus.run`) refuses a model whose fingerprint changed. Default:
        the repr; adapters of weights add a digest of them."""
        return repr(self)

    def instance_token(self) -> str:
        """A token of this model object (made on first use; a pickled copy carries it): what
        a decision's scored references remember, so that another model scores them again."""
        token = self.__dict__.get("_instance_token")
        if token is None:
            token = self.__dict__["_instance_token"] = uuid.uuid4().hex
        return token

    def input_buffer(self, shape: tuple, dtype):
        """An empty input batch where :meth:`run` reads it (default: a host numpy array)."""
        return np.empty(shape, dtype)

    def as_input(self, x: np.ndarray):
        """A host array in the declared layout and dtype, moved to where :meth:`run` reads it."""
        return x

    # ---- shared --------------------------------------------------------------------------

    def prepare(self, images: np.ndarray):
        """(B, H, W, C) images (already in the frame) -> a batch in :attr:`input_spec`'s form."""
        spec = self.input_spec_for(images.dtype)
        if spec.raw:
            return self.as_input(np.ascontiguousarray(images))
        return self.as_input(normalise(images, spec.preprocess, spec.layout, spec.dtype))

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Scores of plain (B, H, W, C) images, each bound on its own (a reference face, say)."""
        images = np.asarray(images)
        if type(self).bind is not Model.bind:
            frames = [self.bind(im) for im in images]
            images = np.stack([im if f is None else f.warp(im) for im, f in zip(images, frames)])
        return self.run(self.prepare(images))

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """Scores for (B, H, W, C) or one (H, W, C) image, batched by ``batch_size``: (B, D)."""
        images = np.asarray(images)
        single = images.ndim == 3
        batch = images[None] if single else images
        step = self.batch_size or max(1, len(batch))
        parts = [self.checked(self.predict(batch[i:i + step]), len(batch[i:i + step]))
                 for i in range(0, len(batch), step)]
        scores = np.concatenate(parts) if parts else np.zeros((0, 1))
        return scores[0] if single else scores

    def checked(self, scores, batch: int, width: int | None = None) -> np.ndarray:
        """Scores as a finite float64 (batch, D) array; anything else raises ModelError.
        ``width``: the D the model gave before, which must not change."""
        try:
            s = np.asarray(scores, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise ModelError(f"{self!r} returned scores that are not numeric: {e}") from e
        if s.ndim == 1:
            s = s[:, None]
        if s.ndim != 2 or s.shape[0] != batch:
            raise ModelError(f"{self!r} returned scores of shape {s.shape} for a batch of {batch} "
                             "images; expected (batch, D)")
        if width is not None and s.shape[1] != width:
            raise ModelError(f"{self!r} returned {s.shape[1]} scores per image, after {width} "
                             "for the unmasked image: its output width changed")
        if not np.isfinite(s).all():
            raise ModelError(f"{self!r} returned NaN or inf scores")
        return s


class CallableModel(Model):
    """Wraps ``fn(images (B, H, W, C)) -> scores (B, ...)``, any numpy-returning callable. It is
    handed rendered images as they are (hwc, the image's dtype).

    Parameters
    ----------
    fn : callable
    batch_size : int or None
        Most images per call; None (default) calls ``fn`` once per batch it is given.

    Examples
    --------
    >>> m = CallableModel(lambda x: x.mean(axis=(1, 2, 3)))
    >>> m(np.ones((2, 4, 4, 3), np.uint8)).tolist()
    [[1.0], [1.0]]
    """

    def __init__(self, fn, batch_size: int | None = None):
        super().__init__(batch_size)
        if not callable(fn):
            raise DTypeError(f"model must be callable (or a minplus Model), got "
                             f"{type(fn).__name__}")
        self.fn = fn

    def run(self, batch):
        try:
            return self.fn(batch)
        except Exception as e:  # a model failing mid-search must surface as a typed error
            raise ModelError(f"the model raised {type(e).__name__}: {e}") from e

    predict = run

    def __repr__(self):
        return f"CallableModel({getattr(self.fn, '__name__', type(self.fn).__name__)})"


def as_model(model, batch_size: int | None = None) -> Model:
    """A :class:`Model` from an adapter (returned as is) or a plain callable (wrapped, called
    once per batch unless ``batch_size`` is given)."""
    if isinstance(model, Model):
        return model
    return CallableModel(model, batch_size=batch_size)
