"""Saliency heatmaps over the image: sequential scale for one-signed maps, diverging scale
centred at 0 for signed maps (so blue < 0 < red and white means "no effect").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ShapeError
from .encoding import as_rgb8

SEQUENTIAL = "inferno"
DIVERGING = "RdBu_r"


@dataclass(frozen=True)
class ColourScale:
    """How map values become colours: a matplotlib colormap name and its limits."""

    cmap: str
    vmin: float
    vmax: float
    signed: bool

    def normalise(self, values: np.ndarray) -> np.ndarray:
        """Values -> [0, 1] positions on the colormap (float32)."""
        span = self.vmax - self.vmin
        # A constant map carries no ranking: every pixel sits at "no effect".
        t = (values - self.vmin) / span if span > 0 else np.zeros_like(values)
        return np.clip(t, 0.0, 1.0).astype(np.float32)

    def strength(self, values: np.ndarray) -> np.ndarray:
        """Values -> [0, 1] how far each is from "no effect" (0 for signed maps, vmin else)."""
        if self.signed:
            return np.clip(np.abs(values) / max(self.vmax, 1e-30), 0.0, 1.0).astype(np.float32)
        return self.normalise(values)


def colour_scale(values, signed: bool | None = None) -> ColourScale:
    """The colour scale for a map.

    Parameters
    ----------
    values : ndarray of float
        The map; NaNs are ignored.
    signed : bool, optional
        Diverging scale centred at 0 with symmetric limits +-max|v|. Default: signed when the
        map has a negative value.

    Examples
    --------
    >>> colour_scale(np.array([-1.0, 3.0]))
    ColourScale(cmap='RdBu_r', vmin=-3.0, vmax=3.0, signed=True)
    >>> colour_scale(np.array([0.5, 2.0]))
    ColourScale(cmap='inferno', vmin=0.0, vmax=2.0, signed=False)
    """
    v = np.asarray(values, dtype=np.float64)
    finite = v[np.isfinite(v)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if signed is None:
        signed = lo < 0
    if signed:
        m = max(abs(lo), abs(hi))
        return ColourScale(DIVERGING, -m, m, True)
    return ColourScale(SEQUENTIAL, min(lo, 0.0), hi, False)


def _fit_map(saliency, shape) -> np.ndarray:
    s = np.asarray(saliency, dtype=np.float32)
    if s.ndim != 2 or 0 in s.shape:
        raise ShapeError(f"saliency must be a non-empty (H, W) map, got shape {s.shape}")
    if s.shape != shape:
        import cv2

        # Model-resolution maps (e.g. Grad-CAM's) are shown at the image's size.
        s = cv2.resize(s, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.nan_to_num(s)


def heatmap_overlay(image, saliency, alpha: float = 0.6, signed: bool | None = None,
                    scale: ColourScale | None = None) -> np.ndarray:
    """Blend a colour-mapped saliency map over the image.

    Each pixel's opacity is ``alpha`` times its strength (distance from "no effect"), so pixels
    the map calls irrelevant show the face unchanged.

    Parameters
    ----------
    image : (H, W, 3) uint8 or float in [0, 1] ndarray (grey and RGBA accepted)
    saliency : (h, w) float ndarray
        Resized bilinearly to (H, W) when its shape differs.
    alpha : float in [0, 1]
    signed : bool, optional
        See :func:`colour_scale`.
    scale : ColourScale, optional
        Overrides ``signed``: share one scale between several panels.

    Returns
    -------
    (H, W, 3) uint8 ndarray

    Examples
    --------
    >>> img = np.full((8, 8, 3), 128, np.uint8)
    >>> out = heatmap_overlay(img, np.zeros((8, 8)))
    >>> bool((out == img).all())
    True
    """
    from matplotlib import colormaps

    rgb = as_rgb8(image)
    s = _fit_map(saliency, rgb.shape[:2])
    scale = scale or colour_scale(s, signed)
    colours = colormaps[scale.cmap](scale.normalise(s))[:, :, :3].astype(np.float32) * 255
    w = (float(np.clip(alpha, 0, 1)) * scale.strength(s))[:, :, None]
    return np.round((1 - w) * rgb + w * colours).astype(np.uint8)


def colour_bar(scale: ColourScale, height: int, ticks: int = 5) -> np.ndarray:
    """A vertical colour bar, vmax at the top, with its tick values written beside it.

    Parameters
    ----------
    scale : ColourScale
    height : int
        Pixels; the bar's width and the text size follow it.
    ticks : int
        Values written, evenly spaced from vmin to vmax (0 is one of them on a signed scale
        when ``ticks`` is odd).

    Returns
    -------
    (height, w, 3) uint8 ndarray, white background.

    Examples
    --------
    >>> colour_bar(ColourScale("RdBu_r", -1.0, 1.0, True), 100).shape[0]
    100
    """
    import cv2
    from matplotlib import colormaps

    font, size = cv2.FONT_HERSHEY_SIMPLEX, max(0.3, height / 700)
    pad = max(4, height // 40)
    values = np.linspace(scale.vmax, scale.vmin, ticks)
    texts = [f"{v:.2g}" for v in values]
    text_w = max(cv2.getTextSize(t, font, size, 1)[0][0] for t in texts)
    bar_w = max(8, height // 25)
    out = np.full((height, pad + bar_w + pad + text_w + pad, 3), 255, np.uint8)
    inner = height - 2 * pad
    positions = np.linspace(1.0, 0.0, inner)[:, None]  # top = vmax
    strip = colormaps[scale.cmap](positions)[:, :, :3] * 255
    out[pad:pad + inner, pad:pad + bar_w] = np.round(strip).astype(np.uint8)
    for v, t in zip(values, texts):
        y = pad + int(round(scale.normalise(np.array([v]))[0] * -(inner - 1) + inner - 1))
        cv2.line(out, (pad + bar_w, y), (pad + bar_w + 3, y), (0, 0, 0), 1)
        th = cv2.getTextSize(t, font, size, 1)[0][1]
        cv2.putText(out, t, (pad + bar_w + pad, int(np.clip(y + th // 2, th, height - 1))),
                    font, size, (0, 0, 0), 1, cv2.LINE_AA)
    return out


def heatmap_panel(image, saliency, alpha: float = 0.6, signed: bool | None = None) -> np.ndarray:
    """The heatmap overlay with its colour bar on the right, as one RGB picture.

    The array twin of :func:`heatmap_figure` (no matplotlib figure: fast enough for reports
    with many maps).

    Returns
    -------
    (H, W + w, 3) uint8 ndarray

    Examples
    --------
    >>> heatmap_panel(np.zeros((64, 48, 3), np.uint8), np.ones((64, 48))).shape[:2] > (64, 48)
    True
    """
    rgb = as_rgb8(image)
    s = _fit_map(saliency, rgb.shape[:2])
    scale = colour_scale(s, signed)
    return np.concatenate([heatmap_overlay(rgb, s, alpha=alpha, scale=scale),
                           colour_bar(scale, rgb.shape[0])], axis=1)


def heatmap_figure(image, saliency, title: str | None = None, alpha: float = 0.6,
                   signed: bool | None = None, size: float = 3.2):
    """A matplotlib Figure: the heatmap overlay with a colour bar showing the map's units.

    Parameters
    ----------
    image, saliency, alpha, signed
        As for :func:`heatmap_overlay`.
    title : str, optional
    size : float
        Figure height in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Built without pyplot, so it holds no global state; save it or pass it to
        :func:`minplus.viz.png_bytes`.
    """
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

    rgb = as_rgb8(image)
    s = _fit_map(saliency, rgb.shape[:2])
    scale = colour_scale(s, signed)
    h, w = rgb.shape[:2]
    fig = Figure(figsize=(size * w / h + 0.9, size), layout="constrained")
    ax = fig.subplots()
    ax.imshow(heatmap_overlay(rgb, s, alpha=alpha, scale=scale))
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)
    mappable = ScalarMappable(Normalize(scale.vmin, scale.vmax), colormaps[scale.cmap])
    bar = fig.colorbar(mappable, ax=ax, fraction=0.06, pad=0.02)
    bar.ax.tick_params(labelsize=7)
    return fig
