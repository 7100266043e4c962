"""Pictures of explanations: heatmap overlays, Min+/Min- regions, metric curves."""

from .curves import curves_figure
from .encoding import as_rgb8, data_uri, png_bytes
from .overlays import (ColourScale, colour_bar, colour_scale, heatmap_figure, heatmap_overlay,
                       heatmap_panel)
from .regions import highlight_regions

__all__ = [
    "curves_figure", "as_rgb8", "data_uri", "png_bytes", "ColourScale", "colour_bar",
    "colour_scale", "heatmap_panel", "heatmap_figure", "heatmap_overlay", "highlight_regions",
]
