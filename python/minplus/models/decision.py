"""The decision interface: scores -> preserved (same decision as the unmasked image) or not.

A decision is bound to the unmasked image's scores first (``bind``), then answers for batches.
Any callable ``fn(scores (B, D)) -> bool (B,)`` is accepted as an already-bound decision.
"""

from __future__ import annotations

import numpy as np

from ..errors import ModelError


class Decision:
    """Base class: subclasses implement :meth:`preserved` and may use ``self.original``."""

    original: np.ndarray | None = None

    def prepare(self, model) -> "Decision":
        """Called with the model before :meth:`bind`; a decision that needs the model (to embed
        a reference image, say) uses it here. Returns self."""
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
        s = np.asarray(scores, dtype=np.float64)
        if len(s) == 0:
            return np.zeros(0, bool)
        out = np.asarray(self.preserved(s.reshape(len(s), -1)))
        if out.shape != (len(s),):
            raise ModelError(f"decision returned shape {out.shape}, expected ({len(s)},)")
        return out.astype(bool)


class CallableDecision(Decision):
    """Wraps ``fn(scores (B, D)) -> (B,) bool``."""

    def __init__(self, fn):
        if not callable(fn):
            raise TypeError(f"decision must be a Decision or a callable, got {type(fn).__name__}")
        self.fn = fn

    def preserved(self, scores):
        return self.fn(scores)


def as_decision(decision) -> Decision:
    """A :class:`Decision` from a Decision (returned as is) or a callable (wrapped)."""
    return decision if isinstance(decision, Decision) else CallableDecision(decision)
