"""A real explanation to report on, found by brute force: which cells of a grid over
grace_hopper's face keep dlib's HOG face detector firing.

Every one of the 2^n kept-masks is rendered by the Masker and scored by the detector, so Min+
and Min- are exact, and the region Shapley values (a signed saliency map) and single-region
occlusion (an unsigned one) come from the same evaluations.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import combinations
from math import factorial

import numpy as np

from minplus import Masker, RegionMap
from minplus.models.decision import Decision
from minplus.saliency.saliency_map import SaliencyMap


def grace_hopper(size=(192, 224)) -> np.ndarray:
    """(H, W, 3) uint8: matplotlib's sample photograph, resized to (W, H) = size."""
    import cv2
    import matplotlib.image as mpimg
    from matplotlib import cbook

    with cbook.get_sample_data("grace_hopper.jpg") as f:
        image = mpimg.imread(f, format="jpg")
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def face_grid(shape, box, rows: int, cols: int) -> np.ndarray:
    """(H, W) int32: the box (top, left, bottom, right) cut into rows x cols cells, -1 outside."""
    labels = np.full(shape, -1, np.int32)
    t, l, b, r = box
    y, x = np.mgrid[t:b, l:r]
    labels[t:b, l:r] = ((y - t) * rows // (b - t)) * cols + (x - l) * cols // (r - l)
    return labels


class FaceDetected(Decision):
    """Preserved while dlib's frontal face detector still finds a face (best score > 0)."""

    outcome = "the face detection"

    def preserved(self, scores):
        return scores[:, 0] > 0

    def describe(self, scores):
        s = float(np.asarray(scores).reshape(-1)[0])
        return f"detector score {s:.2f} {'>' if s > 0 else '<='} 0"


def detector_scores(images: np.ndarray) -> np.ndarray:
    """(B, H, W, 3) uint8 -> (B,) float64 best HOG face-detection score (-2 if none)."""
    import dlib

    detector = detector_scores.detector = getattr(detector_scores, "detector", None) or \
        dlib.get_frontal_face_detector()
    out = np.full(len(images), -2.0)
    for i, im in enumerate(images):
        _, scores, _ = detector.run(np.ascontiguousarray(im), 0, -1.0)
        if scores:
            out[i] = max(scores)
    return out


@dataclass
class BruteForceExplanation:
    """Carries the attributes :mod:`minplus.report.record` reads."""

    image: np.ndarray
    region_map: RegionMap
    decision: Decision
    min_plus: list
    min_minus: list
    min_plus_scores: list
    min_minus_scores: list
    original_scores: np.ndarray
    queries: int
    seconds: dict
    search: dict
    mode: str = "exact"
    baseline: str = "blur"


def smallest(masks: list[int]) -> list[int]:
    """The masks of smallest popcount among ``masks``."""
    if not masks:
        return []
    k = min(bin(m).count("1") for m in masks)
    return sorted(m for m in masks if bin(m).count("1") == k)


def explain_by_brute_force(names=None, rows: int = 2, cols: int = 3):
    """(explanation, [shapley SaliencyMap, occlusion SaliencyMap]) for grace_hopper.

    Its meta for the report: {"model": "dlib HOG face detector", "regions": "grid:2x3"}."""
    t0 = time.perf_counter()
    image = grace_hopper()
    names = list(names or [f"cell {r // cols},{r % cols}" for r in range(rows * cols)])
    labels = face_grid(image.shape[:2], (40, 40, 170, 190), rows, cols)
    n = len(names)
    masker = Masker(image, labels, baseline="blur", n_regions=n)
    masks = np.arange(2 ** n, dtype=np.uint64)
    t1 = time.perf_counter()
    scores = detector_scores(masker.render(masks))[:, None]
    t2 = time.perf_counter()
    decision = FaceDetected().bind(scores[-1])
    kept = decision(scores)
    full = 2 ** n - 1
    min_plus = smallest([m for m in range(2 ** n) if kept[m]])
    min_minus = smallest([full ^ m for m in range(2 ** n) if not kept[m]])
    exp = BruteForceExplanation(
        image=image, region_map=RegionMap(labels, names), decision=decision,
        min_plus=min_plus, min_minus=min_minus,
        min_plus_scores=[scores[m] for m in min_plus],
        min_minus_scores=[scores[full ^ m] for m in min_minus],
        original_scores=scores[-1], queries=2 ** n,
        seconds={"rendering": t1 - t0, "model": t2 - t1, "total": time.perf_counter() - t0},
        search={"bounds": [f"All {2 ** n} subsets of the {n} regions were evaluated."],
                "budget_exhausted": False})
    return exp, [_shapley(scores[:, 0], labels, n), _occlusion(scores[:, 0], labels, n)]


def _shapley(v: np.ndarray, labels: np.ndarray, n: int) -> SaliencyMap:
    """Exact region Shapley values of the detector score, painted onto the regions."""
    phi = np.zeros(n)
    for r in range(n):
        others = [i for i in range(n) if i != r]
        for k in range(n):
            w = factorial(k) * factorial(n - k - 1) / factorial(n)
            for s in combinations(others, k):
                m = sum(1 << i for i in s)
                phi[r] += w * (v[m | 1 << r] - v[m])
    return SaliencyMap(map=_paint(phi, labels), method="region Shapley", target="face",
                       score=float(v[-1]), evaluations=2 ** n)


def _occlusion(v: np.ndarray, labels: np.ndarray, n: int) -> SaliencyMap:
    """Drop of the score when each region alone is removed, clipped at 0."""
    full = 2 ** n - 1
    drop = np.array([max(0.0, v[full] - v[full ^ 1 << r]) for r in range(n)])
    return SaliencyMap(map=_paint(drop, labels), method="occlusion", target="face",
                       score=float(v[-1]), evaluations=n + 1)


def _paint(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    out = np.zeros(labels.shape, np.float32)
    out[labels >= 0] = values[labels[labels >= 0]]
    return out


def hog_face_detector():
    """``minplus explain --model report_example:hog_face_detector``: the detector as a model."""
    return detector_scores


def tiny_cnn():
    """``--model report_example:tiny_cnn``: a seeded, untrained 3-class torch CNN; it exercises
    the command's torch and white-box paths (its decisions mean nothing)."""
    import torch

    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 5, stride=4), torch.nn.ReLU(), torch.nn.Conv2d(8, 8, 3),
        torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(8, 3))
