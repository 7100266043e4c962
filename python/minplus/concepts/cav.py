"""Concept activation vectors (Kim et al. 2018): the normal of a linear boundary between a
concept's activations and a random set's.

The classifier is an L2-regularised logistic regression fitted by L-BFGS on the full batch, so
a CAV depends on its data and seed only (no SGD noise): a concept's TCAV scores vary across
runs because the random sets differ, which is what the t-test is about. Activations are centred
and divided by one common scale for the fit, which keeps the geometry of the activation space
(the space where the directional derivative is taken) and makes ``l2`` mean the same at any
layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..arguments import integer, real
from ..errors import ShapeError


@dataclass
class CAV:
    """A concept activation vector.

    Attributes
    ----------
    vector : (F,) float32 tensor
        Unit normal of the boundary, pointing towards the concept.
    bias : float
        The boundary's offset: ``x @ vector + bias > 0`` classifies x as the concept (in the
        raw activation space, up to the positive factor the unit norm removed).
    accuracy : float
        Accuracy on the held-out split (on the training data when nothing is held out).
    """

    vector: torch.Tensor
    bias: float
    accuracy: float

    def classify(self, acts: torch.Tensor) -> torch.Tensor:
        """(N, F) activations -> (N,) bool, True for the concept's side."""
        return acts.float() @ self.vector + self.bias > 0


def _fit_logistic(x: torch.Tensor, y: torch.Tensor, l2: float, steps: int):
    """Weights (F,) and bias of an L2-regularised logistic regression, x (N, F), y (N,) in {0,1}.

    With more units than examples (the usual case for conv layers) the weights are fitted as
    w = x^T a: by the representer theorem the penalised optimum lies in the span of the data, so
    optimising the N coefficients a reaches the same w at a fraction of the cost.
    """
    dual = x.shape[1] > x.shape[0]
    gram = x @ x.T if dual else None
    a = torch.zeros(x.shape[0] if dual else x.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([a, b], lr=1.0, max_iter=steps, line_search_fn="strong_wolfe",
                            tolerance_grad=1e-7, tolerance_change=1e-10)

    def closure():
        opt.zero_grad()
        if dual:
            logits, penalty = gram @ a + b, a @ gram @ a
        else:
            logits, penalty = x @ a + b, a @ a
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y)
        loss = loss + 0.5 * l2 * penalty
        loss.backward()
        return loss

    opt.step(closure)
    w = x.T @ a.detach() if dual else a.detach()
    return w, float(b.detach())


def train_cav(concept: torch.Tensor, random: torch.Tensor, *, l2: float = 0.01,
              test_fraction: float = 0.33, seed: int = 0, steps: int = 200) -> CAV:
    """Fit the CAV separating ``concept`` activations from ``random`` ones.

    Parameters
    ----------
    concept, random : (N, F), (M, F) float tensors
        Flattened layer activations of the concept's examples and of a random set's.
    l2 : float
        L2 penalty on the weights (of the centred, commonly scaled activations), >= 0.
    test_fraction : float
        Share of each set held out to measure the accuracy, in [0, 1).
    seed : int
        Seeds the train/test split.
    steps : int
        L-BFGS iterations.

    Returns
    -------
    CAV

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> pos = torch.randn(40, 3, generator=g) + torch.tensor([3.0, 0, 0])
    >>> cav = train_cav(pos, torch.randn(40, 3, generator=g))
    >>> bool(cav.vector[0] > 0.9), cav.accuracy > 0.9
    (True, True)
    """
    if concept.ndim != 2 or random.ndim != 2 or concept.shape[1] != random.shape[1]:
        raise ShapeError(f"concept and random activations must be (N, F) and (M, F) with one F, "
                         f"got {tuple(concept.shape)} and {tuple(random.shape)}")
    if len(concept) < 2 or len(random) < 2:
        raise ShapeError(f"a CAV needs at least 2 examples per set, got {len(concept)} concept "
                         f"and {len(random)} random")
    l2 = real("l2", l2, lo=0.0)
    test_fraction = real("test_fraction", test_fraction, lo=0.0, hi=1.0, hi_open=True)
    steps = integer("steps", steps, lo=1)
    rng = np.random.default_rng(integer("seed", seed))
    x = torch.cat([concept, random]).double()
    y = torch.cat([torch.ones(len(concept)), torch.zeros(len(random))]).double()
    # Hold out the same share of each set, so a small concept is never wholly held out.
    test = np.zeros(len(x), bool)
    for lo, n in ((0, len(concept)), (len(concept), len(random))):
        k = min(int(test_fraction * n), n - 1)
        test[lo + rng.choice(n, k, replace=False)] = True
    train = ~test
    mean = x[train].mean(0)
    # One scale for all units (their RMS spread), not one per unit: per-unit standardising would
    # blow up near-dead units' noise into directions as strong as the concept's.
    scale = float((x[train] - mean).pow(2).mean().sqrt())
    scale = scale if scale > 1e-12 else 1.0
    w, b = _fit_logistic((x[train] - mean) / scale, y[train], l2, steps)
    raw = w / scale
    bias = b - float(raw @ mean)
    norm = float(raw.norm())
    if norm == 0.0:
        raise ShapeError("the concept and random activations are identical: no CAV exists")
    vector = (raw / norm).float()
    held = test if test.any() else train
    pred = (x[held] @ raw + bias > 0).double()
    accuracy = float((pred == y[held]).double().mean())
    return CAV(vector=vector, bias=bias / norm, accuracy=accuracy)
