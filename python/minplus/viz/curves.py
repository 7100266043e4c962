"""Insertion and deletion curves: the model's score as the most salient pixels are revealed
(insertion) or removed (deletion), one line per saliency method, with its area under the curve.
"""

from __future__ import annotations

import numpy as np

from ..errors import ArgumentError, ShapeError


def _area(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0))


def curves_figure(fractions, insertion=None, deletion=None, title: str | None = None,
                  size: float = 3.0):
    """Plot insertion and deletion curves side by side.

    Parameters
    ----------
    fractions : (K,) float ndarray
        Fraction of pixels revealed (insertion) or removed (deletion) at each step, increasing.
    insertion, deletion : (K,) ndarray or dict[str, (K,) ndarray], optional
        Scores at each step; a dict draws one line per method (its key in the legend, with the
        area under the curve). At least one of the two must be given.
    title : str, optional
    size : float
        Height of the figure in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> x = np.linspace(0, 1, 11)
    >>> fig = curves_figure(x, insertion={"occlusion": x}, deletion={"occlusion": 1 - x})
    >>> [ax.get_title() for ax in fig.axes]
    ['insertion (higher is better)', 'deletion (lower is better)']
    """
    from matplotlib.figure import Figure

    x = np.asarray(fractions, dtype=np.float64)
    if x.ndim != 1 or x.size < 2:
        raise ShapeError(f"fractions must be a (K,) array with K >= 2, got shape {x.shape}")
    panels = [(label, c) for label, c in (("insertion (higher is better)", insertion),
                                          ("deletion (lower is better)", deletion))
              if c is not None]
    if not panels:
        raise ArgumentError("curves_figure needs insertion or deletion curves")
    fig = Figure(figsize=(size * 1.3 * len(panels), size), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    for ax, (label, curves) in zip(axes, panels):
        if not isinstance(curves, dict):
            curves = {"score": curves}
        for method, y in curves.items():
            y = np.asarray(y, dtype=np.float64)
            if y.shape != x.shape:
                raise ShapeError(f"{label.split()[0]} curve {method!r} has shape {y.shape}, "
                                 f"fractions has {x.shape}")
            ax.plot(x, y, label=f"{method} (AUC {_area(x, y):.3f})")
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("fraction of pixels", fontsize=9)
        ax.set_ylabel("score", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig
