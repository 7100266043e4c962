"""Explanation: the answer of :func:`minplus.explain`, with the evidence for it.

Min+ sets are *kept* region sets: keeping only them (every other region masked) preserves the
decision, and no smaller kept set does. Min- sets are *removed* region sets: masking only them
breaks the decision, and no smaller removed set does. Each set comes with the masked image that
proves it and the model's scores on that image, re-queried after the search.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import numpy as np

from .phrases import join_regions

_TIES_SHOWN = 3  # alternatives named in a summary beyond the first set


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass
class Explanation:
    """Min+ / Min- region sets of one image's decision, their proofs, scores and costs.

    Attributes
    ----------
    image : (H, W, C) ndarray
        The explained (unmasked) image: the face chip when the face parser cropped.
    region_map : minplus.regions.RegionMap
        The regions the sets are made of; bit r of a mask is ``region_map.names[r]``.
    decision : minplus.models.Decision
        Bound to ``original_scores``.
    original_scores : (D,) float64 ndarray
        The model's scores on the unmasked image.
    min_plus_masks : (K+,) uint64 ndarray or None
        Kept-region bitmasks of every Min+ set found (ties included); None if not searched.
    min_minus_masks : (K-,) uint64 ndarray or None
        *Removed*-region bitmasks of every Min- set found; empty when no removal breaks the
        decision; None if not searched.
    min_plus_images, min_minus_images : (K, H, W, C) ndarray or None
        The masked images that prove each set (Min-: the image with that set removed).
    min_plus_scores, min_minus_scores : (K, D) float64 ndarray or None
        The model's scores on those images.
    queries : int
        Masked images the search evaluated (the proofs' re-queries not included).
    seconds : dict
        Wall time per stage: "regions" (parsing), "prepare" (e.g. embedding the reference),
        "search", "proofs" (re-querying the sets found), "total".
    goal, mode, baseline : str
        How the search was run.
    search : dict
        What the search proved and counted (``bounds`` sentences, per-level queries, ...).
    search_result : SearchResult
        The search's own answer, whole (what ``search`` summarises).
    crop : minplus.regions.FaceCrop or None
        Photo -> chip transform when the face parser cropped (maps results back to the photo).
    """

    image: np.ndarray
    region_map: object
    decision: object
    original_scores: np.ndarray
    min_plus_masks: np.ndarray | None
    min_minus_masks: np.ndarray | None
    min_plus_images: np.ndarray | None
    min_minus_images: np.ndarray | None
    min_plus_scores: np.ndarray | None
    min_minus_scores: np.ndarray | None
    queries: int
    seconds: dict = field(default_factory=dict)
    goal: str = "both"
    mode: str = "exact"
    baseline: str = "blur"
    search: dict = field(default_factory=dict)
    crop: object = None
    search_result: object = None

    @property
    def min_plus(self) -> list[list[str]] | None:
        """Region names of each Min+ set (kept), or None if Min+ was not searched."""
        return None if self.min_plus_masks is None else \
            [self.region_map.names_of(int(m)) for m in self.min_plus_masks]

    @property
    def min_minus(self) -> list[list[str]] | None:
        """Region names of each Min- set (removed), or None if Min- was not searched."""
        return None if self.min_minus_masks is None else \
            [self.region_map.names_of(int(m)) for m in self.min_minus_masks]

    def summary(self) -> str:
        """The explanation in plain sentences.

        E.g. "eyes + nose suffice to keep the match (distance 0.41 <= 0.6); removing the eyes
        breaks it (distance 0.72 > 0.6)."
        """
        d = self.decision
        said = d.describe(self.original_scores)
        parts = [f"{_sentence(d.outcome)}{f' ({said})' if said else ''} over "
                 f"{self.region_map.n} regions ({', '.join(self.region_map.names)})."]
        if self.min_plus_masks is not None:
            parts.append(self._plus_sentence())
        if self.min_minus_masks is not None:
            parts.append(self._minus_sentence())
        parts.append(f"{self.queries} model queries in {self.seconds.get('total', 0.0):.1f} s.")
        return " ".join(parts)

    def _alternatives(self, sets) -> str:
        more = [join_regions(s, self.region_map.names) for s in sets[1:1 + _TIES_SHOWN]]
        rest = len(sets) - 1 - len(more)
        if not more:
            return ""
        return f" (equally small: {'; '.join(more)}{f'; and {rest} more' if rest else ''})"

    def _plus_sentence(self) -> str:
        sets, d = self.min_plus, self.decision
        if not sets:
            return f"No kept set that keeps {d.outcome} was found within the query budget."
        said = d.describe(self.min_plus_scores[0])
        if not sets[0]:
            return f"Even with every region masked the model keeps {d.outcome} ({said})."
        verb = "suffices" if len(sets[0]) == 1 else "suffice"
        what = join_regions(sets[0], self.region_map.names)
        return _sentence(f"{what} {verb} to keep {d.outcome} ({said})"
                         f"{self._alternatives(sets)}.")

    def _minus_sentence(self) -> str:
        sets, d = self.min_minus, self.decision
        if not sets:
            if self.search.get("budget_exhausted"):
                return f"No removed set that breaks {d.outcome} was found within the budget."
            return f"No set of regions breaks {d.outcome} when removed."
        said = d.describe(self.min_minus_scores[0])
        what = join_regions(sets[0], self.region_map.names)
        return f"Removing {what} breaks it ({said}){self._alternatives(sets)}."

    def to_dict(self) -> dict:
        """A JSON-ready dict of the sets, masks (ints), scores, costs and the region map."""
        def masks(m):
            return None if m is None else [int(v) for v in m]

        def scores(s):
            return None if s is None else np.asarray(s).tolist()

        d = self.decision
        return {
            "summary": self.summary(),
            "decision": {"type": type(d).__name__, "outcome": d.outcome,
                         "original": d.describe(self.original_scores)},
            "regions": list(self.region_map.names),
            "min_plus": self.min_plus, "min_plus_masks": masks(self.min_plus_masks),
            "min_plus_scores": scores(self.min_plus_scores),
            "min_minus": self.min_minus, "min_minus_masks": masks(self.min_minus_masks),
            "min_minus_scores": scores(self.min_minus_scores),
            "original_scores": scores(self.original_scores),
            "queries": int(self.queries), "seconds": dict(self.seconds),
            "goal": self.goal, "mode": self.mode, "baseline": self.baseline,
            "search": self.search, "region_map": self.region_map.to_dict(),
            "image_shape": list(self.image.shape),
        }

    def panels(self) -> list[tuple[str, np.ndarray]]:
        """The four pictures of :meth:`plot`, as (title, (H, W, 3) uint8 image) pairs."""
        from .viz.cards import explanation_panels

        return explanation_panels(self)

    def plot(self, figsize=(16, 4.6)):
        """A 4-panel matplotlib Figure: original, regions, Min+ kept image, Min- removed image."""
        from .viz.cards import explanation_figure

        return explanation_figure(self, figsize)

    def _repr_html_(self) -> str:
        from .viz.cards import explanation_card

        return explanation_card(self)

    def _repr_png_(self) -> bytes:
        from .viz.cards import explanation_png

        return explanation_png(self)

    def save(self, path) -> str:
        """Write ``explanation.json``, ``explanation.png`` (the 4 panels) and one PNG per panel.

        Files in the folder ``path`` (created if missing): explanation.json, explanation.png,
        original.png, regions.png, min_plus.png, min_minus.png (the last two only when the
        set exists). Returns the folder.
        """
        from matplotlib.image import imsave

        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "explanation.json"), "w") as f:
            json.dump(self.to_dict(), f, indent=1)
        names = ("original", "regions", "min_plus", "min_minus")
        have = (True, True, bool(self.min_plus), bool(self.min_minus))
        for name, ok, (_, picture) in zip(names, have, self.panels()):
            if ok:
                imsave(os.path.join(path, f"{name}.png"), picture)
        self.plot().savefig(os.path.join(path, "explanation.png"), dpi=90)
        return os.fspath(path)

    def __repr__(self):
        return (f"Explanation(min_plus={self.min_plus}, min_minus={self.min_minus}, "
                f"queries={self.queries})")
