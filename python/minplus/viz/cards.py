"""Pictures of one result for screens and notebooks: an Explanation's four panels (as pictures,
a matplotlib figure, one PNG strip and a compact HTML card) and a SaliencyMap's overlay.

Notebooks show :class:`minplus.Explanation` and :class:`~minplus.saliency.SaliencyMap` inline
through ``_repr_html_`` / ``_repr_png_``, which call these; the cards are self-contained
(pictures are ``data:`` URIs) and every text in them is escaped.
"""

from __future__ import annotations

import html
import textwrap

import numpy as np

from ..phrases import join_regions
from .encoding import as_rgb8, data_uri, png_bytes


def explanation_panels(e) -> list[tuple[str, np.ndarray]]:
    """The four pictures of an Explanation: original, regions, Min+ kept image, Min- removed
    image, as (title, (H, W, 3) uint8) pairs.

    Examples
    --------
    >>> from minplus.models import Threshold
    >>> import minplus
    >>> img = np.zeros((8, 8, 3), np.uint8); img[:4] = 200
    >>> e = minplus.explain(img, lambda x: x.mean(axis=(1, 2, 3)), Threshold(50.0),
    ...                     regions="grid:2x1", baseline="black", progress=False)
    >>> [title.split(":")[0] for title, _ in explanation_panels(e)]
    ['original', '2 regions', 'Min+ kept', 'Min- removed']
    """
    img = as_rgb8(e.image)
    d = e.decision
    out = [(f"original: {d.describe(e.original_scores)}", img),
           (f"{e.region_map.n} regions", e.region_map.render(img))]
    for label, sets, images, scores, verb in (
            ("Min+", e.min_plus, e.min_plus_images, e.min_plus_scores, "kept"),
            ("Min-", e.min_minus, e.min_minus_images, e.min_minus_scores, "removed")):
        if not sets:
            what = "not searched" if sets is None else \
                "none found within the budget" if e.search.get("budget_exhausted") \
                else "none exists"
            out.append((f"{label}: {what}", np.full_like(img, 255)))
        else:
            what = join_regions(sets[0], e.region_map.names) or "nothing"
            out.append((f"{textwrap.fill(f'{label} {verb}: {what}', 44)}\n"
                        f"{d.describe(scores[0])}", as_rgb8(images[0])))
    return out


def explanation_figure(e, figsize=(16, 4.6)):
    """A 4-panel matplotlib Figure of :func:`explanation_panels`."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    for ax, (title, picture) in zip(fig.subplots(1, 4), explanation_panels(e)):
        ax.imshow(picture)
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    return fig


def panel_strip(pictures, gap: int = 4) -> np.ndarray:
    """(H, W, 3) pictures side by side on white, each scaled to the first one's height."""
    import cv2

    h = pictures[0].shape[0]
    parts = []
    for p in pictures:
        if p.shape[0] != h:
            p = cv2.resize(p, (max(1, round(p.shape[1] * h / p.shape[0])), h),
                           interpolation=cv2.INTER_AREA)
        parts += [p, np.full((h, gap, 3), 255, np.uint8)]
    return np.concatenate(parts[:-1], axis=1)


def explanation_card(e) -> str:
    """A compact, self-contained HTML card: the four panels with their captions and the
    explanation's sentences (every text escaped)."""
    cells = "".join(
        f'<figure style="margin:0;flex:1 1 0;min-width:120px">'
        f'<img src="{data_uri(p)}" style="width:100%;image-rendering:pixelated" '
        f'alt="{html.escape(t.splitlines()[0])}">'
        f'<figcaption style="font-size:12px;white-space:pre-line">{html.escape(t)}'
        f'</figcaption></figure>' for t, p in explanation_panels(e))
    return ('<div class="minplus-card" style="font-family:sans-serif;max-width:860px">'
            f'<div style="display:flex;gap:6px">{cells}</div>'
            f'<p style="font-size:13px">{html.escape(e.summary())}</p></div>')


def saliency_card(m, image=None) -> str:
    """A compact HTML card of a SaliencyMap: its overlay on ``image`` (or the map alone) with
    the method, target and cost (escaped)."""
    from .overlays import heatmap_panel

    base = np.zeros(m.map.shape + (3,), np.uint8) if image is None else image
    top = ""
    if m.regions:
        best = sorted(m.regions.items(), key=lambda kv: -abs(kv[1]))[:5]
        top = "; ".join(f"{html.escape(str(k))} {v:.3g}" for k, v in best)
        top = f"<br>top regions: {top}"
    return ('<div class="minplus-card" style="font-family:sans-serif;max-width:420px">'
            f'<img src="{data_uri(heatmap_panel(base, m.map))}" style="width:100%" '
            f'alt="{html.escape(m.method)}"><p style="font-size:12px">'
            f'{html.escape(m.method)}, target {html.escape(str(m.target))}: '
            f'{m.evaluations} evaluations in {m.seconds:.2f} s{top}</p></div>')


def explanation_png(e) -> bytes:
    """PNG bytes of the four panels in one strip."""
    return png_bytes(panel_strip([p for _, p in explanation_panels(e)]))
