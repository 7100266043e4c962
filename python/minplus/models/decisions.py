"""The decisions minplus explains: classification, threshold, verification, regression.

Each is bound to the unmasked image's scores and answers, for a batch of masked images' scores,
whether the decision is *preserved* (the same as the unmasked image's). ``describe`` turns one
image's scores into a phrase for summaries ("distance 0.41 <= 0.6").
"""

from __future__ import annotations

import numpy as np

from ..arguments import choice
from ..errors import ArgumentError, ShapeError, TargetError
from .decision import Decision

_METRICS = ("euclidean", "cosine")


def _unbound(decision) -> RuntimeError:
    return RuntimeError(f"{type(decision).__name__} is not bound: call bind(original_scores) "
                        "with the unmasked image's scores first")


def _index(index: int, d: int, what: str = "index") -> int:
    if not -d <= index < d:
        raise TargetError(f"{what} {index} is out of range for scores of size {d}")
    return index % d


def _softmax(s: np.ndarray) -> np.ndarray:
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class Classification(Decision):
    """Preserved while the class stays the model's answer, or keeps enough of its probability.

    Parameters
    ----------
    target : int, optional
        The class whose decision is explained (default: the unmasked image's top class).
    factor : float, optional
        If given, preserved means ``p(target) >= factor * p_original(target)`` instead of
        "target is still the top class".
    from_logits : bool, optional
        Whether scores are logits (softmax applied) or probabilities. Default: probabilities if
        the unmasked image's scores are in [0, 1] and sum to 1, else logits.
    labels : sequence of str, optional
        Class names, for sentences ("male" rather than "class 1"); one per score.

    Examples
    --------
    >>> d = Classification().bind([0.1, 2.0, 0.3])
    >>> d([[0.0, 1.0, 0.5], [3.0, 1.0, 0.0]]).tolist(), d.outcome
    ([True, False], 'class 1')
    """

    def __init__(self, target: int | None = None, factor: float | None = None,
                 from_logits: bool | None = None, labels=None):
        if factor is not None and not 0 < factor:
            raise ArgumentError(f"factor must be > 0, got {factor}")
        self.target, self.factor, self.from_logits = target, factor, from_logits
        self.labels = None if labels is None else [str(x) for x in labels]

    def bind(self, original_scores):
        super().bind(original_scores)
        d = len(self.original)
        if d < 2:
            raise ShapeError(f"Classification needs >= 2 class scores, got {d}; use Threshold "
                             "for a single score")
        self.class_ = _index(int(np.argmax(self.original)) if self.target is None
                             else int(self.target), d, "target")
        top = int(np.argmax(self.original))
        if self.labels is not None and len(self.labels) != d:
            raise ShapeError(f"labels has {len(self.labels)} names for {d} class scores")
        if self.factor is None and self.class_ != top:
            # Min+/Min- explain the unmasked image's own decision, which must count as preserved.
            raise ArgumentError(f"target={self.class_} is not the unmasked image's decision (its "
                                f"top class is {top}); pass factor=... to explain class "
                                f"{self.class_}'s probability, or target=None")
        if self.from_logits is None:
            o = self.original
            self.from_logits = not (o.min() >= 0 and o.max() <= 1 and abs(o.sum() - 1) < 1e-3)
        return self

    def probabilities(self, scores) -> np.ndarray:
        """Class probabilities of (B, D) or (D,) scores."""
        s = np.asarray(scores, np.float64)
        return _softmax(s) if self.from_logits else s

    def preserved(self, scores):
        if self.original is None:
            raise _unbound(self)
        if self.factor is None:
            return np.argmax(scores, axis=1) == self.class_
        p0 = self.probabilities(self.original)[self.class_]
        return self.probabilities(scores)[:, self.class_] >= self.factor * p0

    def _name(self, k: int) -> str:
        return f"class {k}" if self.labels is None else repr(self.labels[k])

    @property
    def outcome(self):
        return f"class {self.class_}" if self.labels is None else \
            f"the answer {self.labels[self.class_]!r}"

    def describe(self, scores):
        p = self.probabilities(np.asarray(scores, np.float64).reshape(-1))
        if self.factor is None:
            top = int(np.argmax(p))
            if self.labels is None:
                return f"top class {top}, p={p[self.class_]:.2f}"
            return f"top {self._name(top)}, p({self.labels[self.class_]})={p[self.class_]:.2f}"
        p0 = self.probabilities(self.original)[self.class_]
        rel = ">=" if p[self.class_] >= self.factor * p0 else "<"
        return f"p({self._name(self.class_)}) {p[self.class_]:.2f} {rel} {self.factor:g} x {p0:.2f}"


class Threshold(Decision):
    """Preserved while score ``index`` stays on the given side of ``t``.

    The unmasked image must itself be on that side (else there is nothing to preserve).

    Examples
    --------
    >>> d = Threshold(0.5).bind([0.8])
    >>> d([[0.6], [0.4]]).tolist(), d.describe([0.6])
    ([True, False], 'score 0.6 >= 0.5')
    """

    def __init__(self, t: float, index: int = 0, above: bool = True):
        self.t, self.index, self.above = float(t), int(index), bool(above)

    def _side(self, values):
        return values >= self.t if self.above else values < self.t

    def bind(self, original_scores):
        super().bind(original_scores)
        self.index = _index(self.index, len(self.original))
        v = self.original[self.index]
        if not self._side(v):
            raise ArgumentError(f"the unmasked image's score {v:.4g} is not "
                                f"{'>=' if self.above else '<'} {self.t:g}: nothing to preserve "
                                f"(use above={not self.above})")
        return self

    def preserved(self, scores):
        if self.original is None:
            raise _unbound(self)
        return self._side(scores[:, self.index])

    @property
    def outcome(self):
        return f"score {'>=' if self.above else '<'} {self.t:g}"

    def describe(self, scores):
        v = float(np.asarray(scores, np.float64).reshape(-1)[self.index])
        return f"score {v:.3g} {'>=' if v >= self.t else '<'} {self.t:g}"


class Verification(Decision):
    """Face verification: preserved while the match/non-match outcome against a reference holds.

    The unmasked image either matches the reference (distance <= threshold) or not; a masked
    image preserves the decision when it gives the same outcome, so both a match and a
    non-match can be explained.

    Parameters
    ----------
    reference : ndarray
        An embedding (D,), or an image (H, W[, C]) that the driver (``explain``, or
        :meth:`~minplus.models.Decision.prepare`) embeds with the model.
    threshold : float
        Match when distance <= threshold (0.6 for dlib's descriptor with "euclidean").
    metric : {"euclidean", "cosine"}
        Euclidean distance, or cosine distance 1 - cos(a, b).

    Examples
    --------
    >>> d = Verification(np.array([1.0, 0.0]), threshold=0.5).bind([0.8, 0.1])
    >>> d([[0.9, 0.0], [0.0, 1.0]]).tolist(), d.outcome, d.describe([0.0, 1.0])
    ([True, False], 'the match', 'distance 1.41 > 0.5')
    """

    def __init__(self, reference, threshold: float = 0.6, metric: str = "euclidean"):
        choice("metric", metric, _METRICS)
        ref = np.asarray(reference)
        if ref.ndim not in (1, 2, 3) or ref.size == 0:
            raise ShapeError(f"reference must be an embedding (D,) or an image (H, W[, C]), "
                             f"got shape {ref.shape}")
        self.reference = ref
        self.embedding = ref.astype(np.float64) if ref.ndim == 1 else None
        self.threshold, self.metric = float(threshold), metric
        self.match: bool | None = None

    def reference_images(self) -> list:
        # a reference image is embedded by every driver call, by that call's model: an
        # embedding left by another model must not be reused
        if self.reference.ndim == 1:
            return []
        return [self.reference[:, :, None] if self.reference.ndim == 2 else self.reference]

    def set_reference_scores(self, scores: list):
        if scores:
            self.embedding = np.asarray(scores[0], np.float64).reshape(-1)
        return self

    def distance(self, scores) -> np.ndarray:
        """Distances (B,) of (B, D) embeddings to the reference embedding."""
        if self.embedding is None:
            raise RuntimeError("Verification with a reference image needs prepare(model) to "
                               "embed it first (explain() does this)")
        e = np.asarray(scores, np.float64).reshape(-1, len(self.embedding))
        if self.metric == "euclidean":
            return np.linalg.norm(e - self.embedding, axis=1)
        norms = np.linalg.norm(e, axis=1) * np.linalg.norm(self.embedding)
        return 1.0 - (e @ self.embedding) / np.maximum(norms, 1e-12)

    def bind(self, original_scores):
        super().bind(original_scores)
        if self.embedding is not None and len(self.original) != len(self.embedding):
            raise ShapeError(f"scores of size {len(self.original)} cannot be compared with a "
                             f"reference embedding of size {len(self.embedding)}")
        self.match = bool(self.distance(self.original)[0] <= self.threshold)
        return self

    def preserved(self, scores):
        if self.match is None:
            raise _unbound(self)
        return (self.distance(scores) <= self.threshold) == self.match

    @property
    def outcome(self):
        return "the match" if self.match else "the non-match"

    def describe(self, scores):
        d = float(self.distance(scores)[0])
        return f"distance {d:.2f} {'<=' if d <= self.threshold else '>'} {self.threshold:g}"


class Regression(Decision):
    """Preserved while the score(s) stay within ``tolerance`` of the unmasked image's.

    Parameters
    ----------
    tolerance : float
        Largest allowed absolute change.
    index : int, optional
        Which score to watch (default: all of them, each within the tolerance).

    Examples
    --------
    >>> d = Regression(0.5).bind([3.0])
    >>> d([[3.4], [2.4]]).tolist(), d.describe([2.4])
    ([True, False], 'score 2.4 (was 3, tolerance 0.5)')
    """

    def __init__(self, tolerance: float, index: int | None = None):
        if not tolerance >= 0:
            raise ArgumentError(f"tolerance must be >= 0, got {tolerance}")
        self.tolerance, self.index = float(tolerance), index

    def bind(self, original_scores):
        super().bind(original_scores)
        if self.index is not None:
            self.index = _index(int(self.index), len(self.original))
        return self

    def _watched(self, scores):
        s = np.asarray(scores, np.float64).reshape(-1, len(self.original))
        return s if self.index is None else s[:, [self.index]]

    def preserved(self, scores):
        if self.original is None:
            raise _unbound(self)
        change = np.abs(self._watched(scores) - self._watched(self.original))
        return (change <= self.tolerance).all(axis=1)

    @property
    def outcome(self):
        return "the score"

    def describe(self, scores):
        now, was = self._watched(scores)[0], self._watched(self.original)[0]
        if len(now) == 1:
            return f"score {now[0]:.3g} (was {was[0]:.3g}, tolerance {self.tolerance:g})"
        return f"largest change {np.abs(now - was).max():.3g} (tolerance {self.tolerance:g})"
