"""SaliencyMap: what every saliency method returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class SaliencyMap:
    """An (H, W) float32 attribution map with how it was made.

    Attributes
    ----------
    map : (H, W) float32 ndarray
    method : str
        The method's name, e.g. "integrated_gradients".
    target : object
        The class index or target description explained.
    score : float
        The model's score for the target on the unmasked image.
    evaluations : int
        Model queries (black-box) or forward+backward passes (white-box) used.
    seconds : float
        Wall time of the method.
    regions : dict[str, float], optional
        Per-region values, for region-level methods (LIME, SHAP, Shapley).
    extra : dict
        Method-specific figures (e.g. IG's completeness gap).
    """

    map: np.ndarray
    method: str
    target: object = None
    score: float = float("nan")
    evaluations: int = 0
    seconds: float = 0.0
    regions: dict | None = None
    extra: dict = field(default_factory=dict)

    def _repr_html_(self) -> str:
        from ..viz.cards import saliency_card

        return saliency_card(self)

    def _repr_png_(self) -> bytes:
        from ..viz.encoding import png_bytes
        from ..viz.overlays import heatmap_panel

        return png_bytes(heatmap_panel(np.zeros(self.map.shape + (3,), np.uint8), self.map))
