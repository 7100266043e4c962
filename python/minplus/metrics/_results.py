"""What every metric returns: its headline figure, its curve where it has one, and its cost.

``to_dict`` gives the JSON-ready form a report or ``result.json`` stores; ``figure`` draws the
curve (or the per-layer similarities, or the claim table) with matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def _plain(v):
    """JSON-ready: arrays and numpy scalars as lists and Python numbers, NaN as None."""
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, np.ndarray):
        return _plain(v.tolist())
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else float(v)
    return v


@dataclass
class Curve:
    """A metric's curve: ``y`` (score) against ``x`` (e.g. the fraction of pixels removed)."""

    x: np.ndarray
    y: np.ndarray
    xlabel: str = "fraction perturbed"
    ylabel: str = "target score"

    def to_dict(self) -> dict:
        return {"x": _plain(self.x), "y": _plain(self.y), "xlabel": self.xlabel,
                "ylabel": self.ylabel}


@dataclass
class MetricResult:
    """One metric on one explanation of one image.

    Attributes
    ----------
    metric : str
        The metric's name, e.g. "deletion".
    value : float
        Its headline figure (an AUC, a correlation, a hit, a sensitivity).
    higher_is_better : bool
        Which way a better explanation moves ``value``.
    curve : Curve, optional
        For the curve metrics (deletion, insertion, ROAD).
    evaluations : int
        Images the model scored (the unmasked one included), or explanations computed.
    seconds : float
        Wall time.
    extra : dict
        Metric-specific figures (per-step scores, the settings used, ...).
    """

    metric: str
    value: float
    higher_is_better: bool = True
    curve: Curve | None = None
    evaluations: int = 0
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """A JSON-ready dict (NaN as None)."""
        return {"metric": self.metric, "value": _plain(self.value),
                "higher_is_better": self.higher_is_better,
                "curve": None if self.curve is None else self.curve.to_dict(),
                "evaluations": int(self.evaluations), "seconds": float(self.seconds),
                "extra": _plain(self.extra)}

    def figure(self, ax=None):
        """The curve (with its area shaded), or a bar of the value for a curve-less metric; a
        matplotlib Figure."""
        import matplotlib.pyplot as plt

        fig = None
        if ax is None:
            fig, ax = plt.subplots(figsize=(4, 3))
        if self.curve is not None:
            ax.plot(self.curve.x, self.curve.y, lw=1.5)
            ax.fill_between(self.curve.x, self.curve.y, alpha=0.25)
            ax.set_xlabel(self.curve.xlabel)
            ax.set_ylabel(self.curve.ylabel)
        else:
            ax.bar([self.metric], [self.value])
        ax.set_title(f"{self.metric}: {self.value:.3g}")
        return fig if fig is not None else ax.figure

    def __repr__(self):
        return (f"MetricResult({self.metric}={self.value:.4g}, evaluations={self.evaluations}, "
                f"seconds={self.seconds:.3f})")
