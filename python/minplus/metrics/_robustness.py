"""Robustness of an explanation's Min+ / Min- claims: do they hold beyond the exact conditions
of the search?"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import numpy as np

from ..baselines import BASELINES
from ..errors import ArgumentError
from ..evaluate import Binding
from ._margins import decision_margin
from ._results import MetricResult, _plain


@dataclass
class Claim:
    """One Min+ set (kept regions preserve the decision) or Min- set (removing them breaks it),
    re-checked under each condition.

    Attributes
    ----------
    kind : {"min_plus", "min_minus"}
    regions : list of str
    mask : int
        Kept-region bitmask for Min+, removed-region bitmask for Min-, as the Explanation.
    margin : float
        Distance to the decision boundary under the search's own conditions, in ``unit``;
        positive when the claim holds (the Min- margin is how far the removal breaks it).
    holds, margins : dict[str, bool], dict[str, float]
        Per condition.
    """

    kind: str
    regions: list
    mask: int
    margin: float
    holds: dict = field(default_factory=dict)
    margins: dict = field(default_factory=dict)

    @property
    def k(self) -> int:
        """Conditions under which the claim holds."""
        return int(sum(self.holds.values()))

    @property
    def m(self) -> int:
        """Conditions checked."""
        return len(self.holds)

    @property
    def fragile(self) -> bool:
        """The claim fails under at least one condition."""
        return self.k < self.m

    def describe(self) -> str:
        label = "Min+" if self.kind == "min_plus" else "Min-"
        names = " + ".join(self.regions) or "(no region)"
        return (f"{label} {names}: holds in {self.k} of {self.m}; margin {self.margin:+.3g}"
                f"{' (fragile)' if self.fragile else ''}")

    def to_dict(self) -> dict:
        return {"kind": self.kind, "regions": list(self.regions), "mask": int(self.mask),
                "margin": _plain(self.margin), "holds": _plain(self.holds),
                "margins": _plain(self.margins), "k": self.k, "m": self.m,
                "fragile": self.fragile}


@dataclass
class RobustnessResult(MetricResult):
    """:func:`minplus.metrics.robustness`'s answer: ``claims`` and the ``conditions`` checked;
    ``value`` is the fraction of claims holding in every condition."""

    claims: list = field(default_factory=list)
    conditions: list = field(default_factory=list)
    unit: str = ""

    def summary(self) -> str:
        """One line per claim: "Min- eyes: holds in 9 of 11; margin +0.006 (fragile)"."""
        return "\n".join(c.describe() for c in self.claims)

    def to_dict(self) -> dict:
        d = super().to_dict()
        d.update({"claims": [c.to_dict() for c in self.claims],
                  "conditions": list(self.conditions), "unit": self.unit})
        return d

    def figure(self, ax=None):
        """Claims x conditions, coloured by margin (red: the claim fails there)."""
        import matplotlib.pyplot as plt

        fig = None
        if ax is None:
            fig, ax = plt.subplots(figsize=(1 + 0.6 * len(self.conditions),
                                            1 + 0.4 * max(1, len(self.claims))))
        grid = np.array([[c.margins.get(k, np.nan) for k in self.conditions]
                         for c in self.claims]) if self.claims else np.zeros((0, 0))
        lim = np.nanmax(np.abs(grid)) if grid.size and np.isfinite(grid).any() else 1.0
        ax.imshow(grid, cmap="RdYlGn", vmin=-lim, vmax=lim, aspect="auto")
        ax.set_xticks(range(len(self.conditions)), self.conditions, rotation=60, ha="right",
                      fontsize=7)
        ax.set_yticks(range(len(self.claims)),
                      [f"{c.kind}: {'+'.join(c.regions)} ({c.k}/{c.m})" for c in self.claims],
                      fontsize=7)
        ax.set_title(f"claim margins ({self.unit})")
        return fig if fig is not None else ax.figure


def _shift(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """The image moved by (dy, dx) pixels, the uncovered border repeating the edge."""
    H, W = image.shape[:2]
    ys = np.clip(np.arange(H) - dy, 0, H - 1)
    xs = np.clip(np.arange(W) - dx, 0, W - 1)
    return np.ascontiguousarray(image[ys][:, xs])


def _brightness(image: np.ndarray, factor: float) -> np.ndarray:
    hi = 255.0 if image.dtype == np.uint8 else 1.0
    out = np.clip(image.astype(np.float32) * np.float32(factor), 0, hi)
    return (np.rint(out) if image.dtype == np.uint8 else out).astype(image.dtype)


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    import cv2

    u8 = image if image.dtype == np.uint8 else np.clip(np.rint(image * 255), 0, 255).astype(
        np.uint8)
    bgr = u8[:, :, ::-1] if u8.shape[2] == 3 else u8
    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(bgr), [cv2.IMWRITE_JPEG_QUALITY,
                                                               int(quality)])
    if not ok:
        raise ArgumentError(f"JPEG encoding failed at quality {quality}")
    out = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    out = out.reshape(u8.shape[:2] + (-1,))
    out = out[:, :, ::-1] if u8.shape[2] == 3 else out
    return np.ascontiguousarray(out if image.dtype == np.uint8
                                else (out / 255.0).astype(np.float32))


def _other_aligner(model, decision):
    """(dlib's recogniser with the other shape predictor (5 <-> 68 points), the decision with
    its reference face re-embedded by it), or None when the model is not dlib's."""
    from ..models.decisions import Verification
    from ..models.dlib_recognizer import DlibFaceRecognizer

    if not isinstance(model, DlibFaceRecognizer):
        return None
    other = DlibFaceRecognizer(landmarks=68 if model.landmarks == 5 else 5,
                               upsample=model.upsample, padding=model.padding,
                               batch_size=model.batch_size, backend=model.backend)
    if isinstance(decision, Verification) and np.asarray(decision.reference).ndim >= 2:
        # the whole pipeline changes aligner, the enrolled face's embedding included; the
        # outcome checked (match or not) stays the explained one
        decision = copy.copy(decision)
        ref = np.asarray(decision.reference)
        decision.embedding = np.asarray(other.predict((ref[:, :, None] if ref.ndim == 2
                                                       else ref)[None])[0], np.float64)
    return other, decision


def conditions_of(explanation, model, baselines, shifts, brightness, jpeg, aligner):
    """[(name, model, image, baseline, decision)]: the search's own conditions first."""
    image, used, d = explanation.image, explanation.baseline, explanation.decision
    out = [("search", model, image, used, d)]
    others = [b for b in (BASELINES if baselines is None else baselines) if b != used]
    out += [(f"baseline={b}", model, image, b, d) for b in others]
    for s in shifts:
        out += [(f"shift x{s:+d}", model, _shift(image, 0, int(s)), used, d),
                (f"shift y{s:+d}", model, _shift(image, int(s), 0), used, d)]
    out += [(f"brightness x{f:g}", model, _brightness(image, f), used, d) for f in brightness]
    out += [(f"jpeg q{q}", model, _jpeg(image, q), used, d) for q in jpeg]
    other = _other_aligner(model, d) if aligner else None
    if other is not None:
        out.append((f"dlib {other[0].landmarks}-point aligner", other[0], image, used, other[1]))
    return out


def robustness(explanation, model, *, baselines=None, shifts=(-2, 2),
               brightness=(0.9, 1.1), jpeg=(75,), aligner=True):
    """Re-check every Min+ and Min- set of ``explanation`` under other conditions, with its
    margin to the decision boundary.

    Conditions: the search's own (the margin), each other baseline, the image shifted by each
    of ``shifts`` pixels along x and along y (regions fixed), scaled in brightness, JPEG
    re-encoded, and, for dlib's recogniser, the other aligner (5 <-> 68 landmarks). Under
    each condition all claims are rendered in one batch through one
    :class:`~minplus.evaluate.Binding` of the (perturbed) image; the decision stays bound to
    the explained image's scores.

    Parameters
    ----------
    explanation : Explanation
        From :func:`minplus.explain`.
    model : Model or callable
        The model explained.
    baselines : sequence of str, optional
        Other baselines to try (default: all of :data:`minplus.baselines.BASELINES`).
    shifts : sequence of int
        Pixel shifts.
    brightness : sequence of float
        Brightness factors.
    jpeg : sequence of int
        JPEG qualities.
    aligner : bool
        Try dlib's other aligner when ``model`` is a DlibFaceRecognizer.

    Returns
    -------
    RobustnessResult
        ``claims`` (each "holds in k of m" with margins per condition; ``fragile`` when
        k < m), ``conditions``, ``unit`` of the margins; ``value`` the fraction of robust
        claims (higher is better); ``extra["unmasked_preserved"]`` whether the unmasked image
        itself keeps the decision under each condition.

    Examples
    --------
    >>> from minplus import explain
    >>> img = np.zeros((8, 8, 3), np.uint8); img[:, :4] = 200
    >>> f = lambda x: x[:, :, :4].mean(axis=(1, 2, 3))[:, None]
    >>> from minplus.models import Threshold
    >>> e = explain(img, f, Threshold(50.0), regions="grid:1x2", baseline="black",
    ...             progress=False)
    >>> r = robustness(e, f, baselines=["gray"], shifts=(), brightness=(0.5,), jpeg=())
    >>> print(r.summary())
    Min+ r0c0: holds in 3 of 3; margin +150
    Min- r0c0: holds in 2 of 3; margin +50 (fragile)
    """
    t0 = time.perf_counter()
    e = explanation
    full = (1 << e.region_map.n) - 1
    claims, kept = [], []
    for kind, masks in (("min_plus", e.min_plus_masks), ("min_minus", e.min_minus_masks)):
        for m in ([] if masks is None else masks):
            claims.append(Claim(kind, e.region_map.names_of(int(m)), int(m), np.nan))
            kept.append(int(m) if kind == "min_plus" else full & ~int(m))
    conditions = conditions_of(e, model, baselines, shifts, brightness, jpeg, aligner)
    unmasked, evaluations, unit = {}, 0, ""
    for name, model_c, image_c, baseline_c, d in conditions:
        binding = Binding(model_c, image_c)
        unmasked[name] = bool(d.preserved(binding.original[None])[0])
        evaluations += 1
        if not claims:
            continue
        ev = binding.evaluation(e.region_map.masker(image_c, baseline=baseline_c))
        scores = ev.scores(np.array(kept, np.uint64))
        evaluations += ev.images
        preserved = d.preserved(scores)
        margin, unit = decision_margin(d, scores)
        for c, p, mg in zip(claims, preserved, margin):
            plus = c.kind == "min_plus"
            c.holds[name] = bool(p) if plus else not bool(p)
            c.margins[name] = float(mg if plus else -mg)
    for c in claims:
        c.margin = c.margins.get("search", np.nan)
    value = float(np.mean([not c.fragile for c in claims])) if claims else float("nan")
    return RobustnessResult("robustness", value, higher_is_better=True,
                            evaluations=evaluations, seconds=time.perf_counter() - t0,
                            extra={"unmasked_preserved": unmasked},
                            claims=claims, conditions=[c[0] for c in conditions], unit=unit)
