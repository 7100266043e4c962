"""The model interface every adapter fulfils: a batch of images in, a scores array out.

The search and the black-box saliency methods only ever call :meth:`Model.score_masks`, so an
adapter decides how masked images are rendered for it (hwc uint8 for a plain callable, fused
normalised nchw straight into its input tensor for torch).
"""

from __future__ import annotations

import numpy as np

from ..errors import ModelError


class Model:
    """Base class of model adapters.

    Subclasses implement :meth:`predict` (or override :meth:`score_masks` to render in their own
    layout). Scores are returned as a float64 (B, D) array; NaN/inf or a wrong batch size raise
    :class:`~minplus.errors.ModelError`.

    Parameters
    ----------
    batch_size : int
        Most images per call of the underlying model.
    """

    def __init__(self, batch_size: int = 64):
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.batch_size = int(batch_size)

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Scores for a batch of (B, H, W, C) images in the image's dtype -> (B, ...) array."""
        raise NotImplementedError

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """Scores for (B, H, W, C) or one (H, W, C) image, batched by ``batch_size``: (B, D)."""
        images = np.asarray(images)
        single = images.ndim == 3
        batch = images[None] if single else images
        parts = [self._checked(self.predict(batch[i:i + self.batch_size]),
                               len(batch[i:i + self.batch_size]))
                 for i in range(0, len(batch), self.batch_size)]
        scores = np.concatenate(parts) if parts else np.zeros((0, 1))
        return scores[0] if single else scores

    def score_masks(self, masker, masks: np.ndarray) -> np.ndarray:
        """Scores (B, D) of the images that ``masker`` renders for ``masks`` (B,) uint64."""
        out = []
        buf = None
        for i in range(0, len(masks), self.batch_size):
            chunk = masks[i:i + self.batch_size]
            if buf is None or len(buf) != len(chunk):
                buf = np.empty(masker.output_shape(len(chunk)), masker.image.dtype)
            masker.render(chunk, out=buf)
            out.append(self._checked(self.predict_masked(masker, buf), len(chunk)))
        return np.concatenate(out) if out else np.zeros((0, 1))

    def predict_masked(self, masker, images: np.ndarray) -> np.ndarray:
        """Scores of (B, H, W, C) images that ``masker`` rendered; default :meth:`predict`.

        An adapter that needs the unmasked image (``masker.image``), e.g. to keep a face
        alignment fixed across masks, overrides this.
        """
        return self.predict(images)

    def _checked(self, scores, batch: int) -> np.ndarray:
        try:
            s = np.asarray(scores, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise ModelError(f"{self!r} returned scores that are not numeric: {e}") from e
        if s.ndim == 1:
            s = s[:, None]
        if s.ndim != 2 or s.shape[0] != batch:
            raise ModelError(f"{self!r} returned scores of shape {s.shape} for a batch of {batch} "
                             "images; expected (batch, D)")
        if not np.isfinite(s).all():
            raise ModelError(f"{self!r} returned NaN or inf scores")
        return s


class CallableModel(Model):
    """Wraps ``fn(images (B, H, W, C)) -> scores (B, ...)``, any numpy-returning callable.

    Examples
    --------
    >>> m = CallableModel(lambda x: x.mean(axis=(1, 2, 3)))
    >>> m(np.ones((2, 4, 4, 3), np.uint8)).tolist()
    [[1.0], [1.0]]
    """

    def __init__(self, fn, batch_size: int = 64):
        super().__init__(batch_size)
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {type(fn).__name__}")
        self.fn = fn

    def predict(self, images):
        try:
            return self.fn(images)
        except Exception as e:  # a model failing mid-search must surface as a typed error
            raise ModelError(f"the model raised {type(e).__name__}: {e}") from e

    def __repr__(self):
        return f"CallableModel({getattr(self.fn, '__name__', type(self.fn).__name__)})"


def as_model(model, batch_size: int | None = None) -> Model:
    """A :class:`Model` from an adapter (returned as is) or a plain callable (wrapped)."""
    if isinstance(model, Model):
        return model
    return CallableModel(model, batch_size=batch_size or 64)
