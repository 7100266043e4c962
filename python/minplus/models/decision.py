"""The decision interface: scores -> preserved (same decision as the unmasked image) or not.

A decision is bound to the unmasked image's scores first (``bind``), then answers for batches.
Any callable ``fn(scores (B, D)) -> bool (B,)`` is accepted as an already-bound decision.
"""

from __future__ import annotations

import numpy as np

from ..errors import DecisionError


class Decision:
    """Base class: subclasses implement :meth:`preserved` and may use ``self.original``."""

    original: np.ndarray | None = None

    def reference_images(self) -> list:
        """Images (H, W, C) whose scores the decision needs before :meth:`bind` (a reference
        face to embed, say); the driver scores them with the model and hands the scores to
        :meth:`set_reference_scores`. Default: none."""
        return []

    def set_reference_scores(self, scores: list) -> "Decision":
        """Take the scores (D,) of :meth:`reference_images`, in order; returns self."""
        return self

    def prepare(self, model) -> "Decision":
        """Score :meth:`reference_images` with ``model`` and hand them over; returns self. The
        decision never calls the model itself: this is the driver's step (``explain`` takes it
        on every call). Scores from this very model object (:meth:`Model.instance_token`) are
        kept, so a decision copied per image is scored once; another model scores them
        again."""
        from .base import as_model

        m = as_model(model)
        images = self.reference_images()
        if images and self.__dict__.get("_scored_by") == m.instance_token():
            return self  # scored by this very model already (a run embeds once per worker)
        self.set_reference_scores([m(im[None])[0] for im in images])
        self._scored_by = m.instance_token()  # (after: a failed scoring is not remembered)
        return self

    def bind(self, original_scores: np.ndarray) -> "Decision":
        """Remember the unmasked image's scores (D,); returns self."""
        self.original = np.asarray(original_scores, dtype=np.float64).reshape(-1)
        return self

    def preserved(self, scores: np.ndarray) -> np.ndarray:
        """(B, D) float scores -> (B,) bool: does each keep the original decision?"""
        raise NotImplementedError

    @property
    def outcome(self) -> str:
        """The unmasked image's decision as a noun phrase, e.g. "the match" (after bind)."""
        return "the decision"

    def describe(self, scores) -> str:
        """One image's scores (D,) as a short phrase, e.g. "distance 0.41 <= 0.6"."""
        return ""

    def __call__(self, scores) -> np.ndarray:
        """(B, D) scores -> (B,) bool. The answer must be booleans, shaped (B,) or (B, 1) (an
        elementwise test of (B, 1) scores); anything else raises DecisionError, never coerced."""
        s = np.asarray(scores, dtype=np.float64)
        if len(s) == 0:
            return np.zeros(0, bool)
        out = np.asarray(self.preserved(s.reshape(len(s), -1)))
        if out.shape == (len(s), 1):
            out = out[:, 0]
        if out.shape != (len(s),):
            raise DecisionError(f"decision returned shape {out.shape} for {len(s)} images; "
                                f"expected ({len(s)},) or ({len(s)}, 1) booleans")
        if out.dtype != np.bool_:
            raise DecisionError(f"decision returned dtype {out.dtype} (e.g. {out[0]!r}); expected "
                                "booleans (True = the decision is preserved), such as "
                                "scores[:, 0] > 0.5")
        return out


class CallableDecision(Decision):
    """Wraps ``fn(scores (B, D)) -> (B,) bool``."""

    def __init__(self, fn):
        if not callable(fn):
            raise DecisionError(f"decision must be a Decision or a callable, got "
                                f"{type(fn).__name__}")
        self.fn = fn

    def preserved(self, scores):
        return self.fn(scores)


def as_decision(decision) -> Decision:
    """A :class:`Decision` from a Decision (returned as is) or a callable (wrapped)."""
    return decision if isinstance(decision, Decision) else CallableDecision(decision)
