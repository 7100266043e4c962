"""Signed distance of scores to a decision's boundary: positive on the preserved side."""

from __future__ import annotations

import numpy as np


def decision_margin(decision, scores) -> tuple[np.ndarray, str]:
    """(margins (B,) float64, unit) of (B, D) scores under a bound ``decision``; > 0 where the
    decision is preserved, NaN for a decision kind without a known boundary.

    * Verification: ``threshold - distance`` for a match (``distance - threshold`` for a
      non-match), in distance units;
    * Classification: ``p(class) - max p(other)`` (or ``p(class) - factor p0(class)``);
    * Threshold: the score's distance to ``t``, on the preserved side;
    * Regression (and ExpectedAge): ``tolerance - largest change``.

    Examples
    --------
    >>> from minplus.models import Verification
    >>> d = Verification(np.zeros(2), threshold=0.6).bind([0.3, 0.0])
    >>> m, unit = decision_margin(d, [[0.5, 0.0], [0.0, 0.7]])
    >>> np.round(m, 6).tolist(), unit
    ([0.1, -0.1], 'distance')
    """
    from ..models.decisions import Classification, Regression, Threshold, Verification

    s = np.asarray(scores, np.float64)
    s = s.reshape(len(s), -1)
    if isinstance(decision, Verification):
        d = decision.distance(s)
        gap = decision.threshold - d
        return (gap if decision.match else -gap), "distance"
    if isinstance(decision, Classification):
        p = decision.probabilities(s)
        c = decision.class_
        if decision.factor is not None:
            p0 = decision.probabilities(decision.original)[c]
            return p[:, c] - decision.factor * p0, "probability"
        other = np.delete(p, c, axis=1).max(axis=1)
        return p[:, c] - other, "probability" if not decision.from_logits else "softmax"
    if isinstance(decision, Threshold):
        v = s[:, decision.index]
        return (v - decision.t) if decision.above else (decision.t - v), "score"
    if isinstance(decision, Regression):
        change = np.abs(decision._watched(s) - decision._watched(decision.original))
        return decision.tolerance - change.max(axis=1), "score"
    return np.full(len(s), np.nan), ""
