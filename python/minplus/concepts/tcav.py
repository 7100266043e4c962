"""TCAV: testing with concept activation vectors (Kim et al., ICML 2018).

For a concept C, a layer l and a target class k: a CAV v (the normal of a linear boundary
between C's activations and a random set's at l) gives each input x the conceptual sensitivity
S(x) = grad_l f_k(x) . v, the directional derivative of the class score along the concept. The
TCAV score is the share of the class's inputs with S(x) > 0.

One CAV is one draw: its random set is arbitrary. The score is therefore computed for ``runs``
random sets, and so is the score of random-vs-random CAVs (a concept that is no concept). A
two-sided Welch t-test between the two samples says whether the concept's score differs from
chance; the result carries both means and spreads. The random CAVs pair random sets r and
r + 1 (cyclically) rather than one fixed set against all others, so that one unlucky set does
not bias the whole null sample.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np
import torch

from ..arguments import integer, real
from ..errors import ShapeError
from ..saliency.cam import find_layer
from ..saliency.whitebox import eval_mode, model_device, prepare_images, require_module
from .cav import CAV, train_cav
from .layers import activations, layer_gradients


@dataclass
class TCAVResult:
    """A concept's TCAV scores for one layer and target, with their test against chance.

    Attributes
    ----------
    concept, layer : str
    target : int or str
        The explained class (the resolved target's description).
    scores : (R,) float64 ndarray
        TCAV score (share of inputs with positive sensitivity) for each of the R concept CAVs.
    magnitudes : (R,) float64 ndarray
        Mean sensitivity over the inputs for each concept CAV (its sign says the direction).
    random_scores : (R,) float64 ndarray
        Scores of the random-vs-random CAVs, the null sample.
    accuracies, random_accuracies : (R,) float64 ndarrays
        Held-out accuracies of the CAVs.
    mean, std, random_mean, random_std : float
        Means and sample standard deviations (ddof=1) of the two score samples.
    t, p_value : float
        Welch's two-sided t-test of ``scores`` against ``random_scores``.
    alpha : float
        The test's level; ``significant`` is ``p_value < alpha``.
    """

    concept: str
    layer: str
    target: object
    scores: np.ndarray
    magnitudes: np.ndarray
    random_scores: np.ndarray
    accuracies: np.ndarray
    random_accuracies: np.ndarray
    t: float
    p_value: float
    alpha: float

    @property
    def mean(self) -> float:
        return float(self.scores.mean())

    @property
    def std(self) -> float:
        return float(self.scores.std(ddof=1)) if len(self.scores) > 1 else 0.0

    @property
    def random_mean(self) -> float:
        return float(self.random_scores.mean())

    @property
    def random_std(self) -> float:
        return float(self.random_scores.std(ddof=1)) if len(self.random_scores) > 1 else 0.0

    @property
    def significant(self) -> bool:
        return bool(self.p_value < self.alpha)

    def to_dict(self) -> dict:
        """Plain JSON-ready values (lists for the arrays), means and spreads included."""
        out = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in asdict(self).items()}
        out.update(mean=self.mean, std=self.std, random_mean=self.random_mean,
                   random_std=self.random_std, significant=self.significant)
        return out

    def summary(self) -> str:
        """One line: the score, its spread, chance's, and the test."""
        verdict = "significant" if self.significant else "not significant"
        return (f"TCAV[{self.concept} -> {self.target} @ {self.layer}] = {self.mean:.2f} "
                f"+/- {self.std:.2f} vs random {self.random_mean:.2f} +/- {self.random_std:.2f} "
                f"(t = {self.t:.2f}, p = {self.p_value:.3g}, {verdict} at {self.alpha})")


def model_inputs(images, preprocess, device) -> torch.Tensor:
    """A set of images as one (N, C, H, W) float32 model input on ``device``."""
    xs, _, _, _ = prepare_images(images if not isinstance(images, np.ndarray) or images.ndim == 4
                                 else images[None], preprocess)
    return torch.cat(xs).to(device)


def _random_sets(random_images, runs: int, size: int, rng) -> list:
    """``runs`` random image sets: those given, or draws of ``size`` from one pool."""
    if isinstance(random_images, (list, tuple)) and len(random_images) and all(
            isinstance(s, (list, tuple)) or (hasattr(s, "ndim") and s.ndim == 4)
            for s in random_images):
        if len(random_images) < runs:
            raise ShapeError(f"{runs} runs need {runs} random sets, got {len(random_images)}")
        return list(random_images[:runs])
    pool = random_images
    n = len(pool)
    if n < size:
        raise ShapeError(f"the random pool holds {n} images, fewer than a set of {size}")
    return [pool[rng.choice(n, size, replace=False)] if isinstance(pool, np.ndarray)
            else [pool[i] for i in rng.choice(n, size, replace=False)] for _ in range(runs)]


def sensitivities(grads: torch.Tensor, cav: CAV) -> torch.Tensor:
    """Conceptual sensitivities (N,): the layer gradients (N, F) along the CAV."""
    return grads @ cav.vector


def tcav(model, layer, concept_images, random_images, target, *, inputs, runs: int = 10,
         preprocess=None, concept: str = "concept", alpha: float = 0.05, l2: float = 0.01,
         test_fraction: float = 0.33, seed: int = 0, batch_size: int = 64) -> TCAVResult:
    """TCAV score of a concept for a target class at one layer, tested against random CAVs.

    Parameters
    ----------
    model : torch.nn.Module
        (B, C, H, W) float inputs -> (B, D) scores.
    layer : str or nn.Module
        The layer whose activations the CAVs live in (a dotted name or the module).
    concept_images : (N, H, W, C) uint8/float32 ndarray, list of (H, W, C) arrays, or a
        (N, C, H, W) tensor already in the model's input space
        The concept's examples (see :func:`images_from_folder`, :func:`region_crops`).
    random_images : same kinds
        Either one pool (``runs`` sets of N images are drawn from it, seeded), or a list of at
        least ``runs`` sets.
    target : int, ClassTarget, VerificationTarget or None
        The explained score; None takes the class the model predicts for ``inputs[0]``.
    inputs : same kinds
        The examples of the target class whose sensitivities are counted.
    runs : int
        R >= 2: concept CAV r separates the concept from random set r; random CAV r separates
        set r from set r + 1 (cyclically), so no one set is the counterpart of every null CAV.
    preprocess : callable, (scale, mean, std) or None
        For arrays, the one preprocess policy (None scales uint8 to [0, 1]).
    concept : str
        Names the concept in the result.
    alpha : float
        Level of the two-sided t-test.
    l2, test_fraction : float
        The CAV classifier's penalty and held-out share (see :func:`train_cav`).
    seed : int
        Seeds the random draws and the CAVs' splits.
    batch_size : int
        Inputs per forward pass.

    Returns
    -------
    TCAVResult
    """
    from scipy import stats

    model = require_module(model, "tcav")
    runs = integer("runs", runs, lo=2)
    alpha = real("alpha", alpha, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    seed = integer("seed", seed)
    rng = np.random.default_rng(seed)
    device = model_device(model)
    with eval_mode(model):
        xc = model_inputs(concept_images, preprocess, device)
        sets = _random_sets(random_images, runs, len(xc), rng)
        act_c = activations(model, layer, xc, batch_size)
        act_r = [activations(model, layer, model_inputs(s, preprocess, device), batch_size)
                 for s in sets]
        grads, resolved = layer_gradients(model, layer, model_inputs(inputs, preprocess, device),
                                          target, batch_size)
    if grads.shape[1] != act_c.shape[1]:
        raise ShapeError(f"layer {layer!r} has {act_c.shape[1]} units for the concept images "
                         f"but {grads.shape[1]} for the inputs: give them one size")
    scores, mags, accs, rscores, raccs = [], [], [], [], []
    for r in range(runs):
        cav = train_cav(act_c, act_r[r], l2=l2, test_fraction=test_fraction, seed=seed + r)
        s = sensitivities(grads, cav)
        scores.append(float((s > 0).double().mean()))
        mags.append(float(s.double().mean()))
        accs.append(cav.accuracy)
        null = train_cav(act_r[r], act_r[(r + 1) % runs], l2=l2, test_fraction=test_fraction,
                         seed=seed + runs + r)
        rscores.append(float((sensitivities(grads, null) > 0).double().mean()))
        raccs.append(null.accuracy)
    scores, rscores = np.asarray(scores), np.asarray(rscores)
    if np.ptp(scores) == 0 and np.ptp(rscores) == 0:
        # Two constant samples: Welch's statistic is 0/0. Equal constants cannot be told apart
        # (p = 1); different ones differ with certainty (p = 0).
        t = 0.0 if scores[0] == rscores[0] else float(np.sign(scores[0] - rscores[0]) * np.inf)
        p = 1.0 if scores[0] == rscores[0] else 0.0
    else:
        with warnings.catch_warnings():
            # One constant sample (a concept at 1.0) is a valid input: scipy's warning about
            # nearly identical data concerns its precision, which the p-value does not need.
            warnings.simplefilter("ignore", RuntimeWarning)
            test = stats.ttest_ind(scores, rscores, equal_var=False)
        t, p = float(test.statistic), float(test.pvalue)
    return TCAVResult(concept=concept, layer=find_layer(model, layer)[0],
                      target=resolved.describe(), scores=scores,
                      magnitudes=np.asarray(mags), random_scores=rscores,
                      accuracies=np.asarray(accs), random_accuracies=np.asarray(raccs),
                      t=t, p_value=p, alpha=alpha)
