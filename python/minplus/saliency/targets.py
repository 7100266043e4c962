"""Targets: which scalar of the model's output a saliency method explains.

One target type serves white-box and black-box methods alike: it turns the model's outputs, a
(B, D) tensor (white-box, differentiable) or array (black-box), into one score per image (B,).
Two kinds exist: a class index (the output column, e.g. a logit) and a face-verification target
(closeness of the model's embedding to a reference embedding). ``None`` means the class the
model predicts for the image (its argmax). :func:`decision_target` builds the target that
explains the same score a :class:`~minplus.models.Decision` watches, with one meaning per kind:

* ``Classification``: the decided class's column (its probability or logit, as the model
  outputs it);
* ``Verification``: the closeness to the reference the decision thresholds, ``-distance`` for
  the euclidean metric and the cosine similarity for the cosine metric (larger = closer);
* ``Threshold`` / ``Regression``: the watched score's column (column 0 when all are watched);
* a decision with a ``target()`` method (``ExpectedAge``, ``AgeBracket``: the expected age, a
  :class:`LinearTarget`) says itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..errors import ArgumentError, ShapeError, TargetError


@dataclass(frozen=True)
class ClassTarget:
    """Explain output column ``index`` (a logit, probability or any per-class score)."""

    index: int

    def check(self, outputs: torch.Tensor) -> None:
        """Raise :class:`TargetError` unless ``index`` is a column of ``outputs`` (B, D)."""
        n = outputs.shape[1]
        if not -n <= self.index < n:
            raise TargetError(f"target index {self.index} is out of range for a model with {n} "
                              f"outputs (valid: 0..{n - 1})")

    def score(self, outputs: torch.Tensor) -> torch.Tensor:
        """(B, D) outputs -> (B,) scores of the target class."""
        return outputs[:, self.index]

    def describe(self):
        return self.index


class VerificationTarget:
    """Face-verification target: cosine similarity of the model's embedding to ``reference``.

    The model is an embedding network ((B, E) outputs); the explained score is
    ``cos(model(x), reference)``, the quantity a verifier thresholds to decide "same person".

    Parameters
    ----------
    reference : (E,) or (1, E) float ndarray or tensor
        The reference embedding (e.g. the enrolled face's embedding).

    Examples
    --------
    >>> t = VerificationTarget(np.array([1.0, 0.0], np.float32))
    >>> t.score(torch.tensor([[2.0, 0.0], [0.0, 3.0]])).tolist()
    [1.0, 0.0]
    """

    def __init__(self, reference, metric: str = "cosine"):
        if metric not in ("cosine", "euclidean"):
            raise TargetError(f"metric must be 'cosine' or 'euclidean', got {metric!r}")
        self.metric = metric
        if isinstance(reference, torch.Tensor):
            reference = reference.detach().cpu().numpy()
        ref = torch.as_tensor(np.asarray(reference, dtype=np.float32))
        if ref.ndim == 2 and ref.shape[0] == 1:
            ref = ref[0]
        if ref.ndim != 1 or ref.numel() == 0:
            raise ShapeError(f"reference must be an (E,) or (1, E) embedding, got shape "
                             f"{tuple(ref.shape)}")
        if not torch.isfinite(ref).all() or float(ref.norm()) == 0.0:
            raise ArgumentError("reference must be a finite, non-zero embedding")
        self.reference = ref

    def check(self, outputs: torch.Tensor) -> None:
        """Raise :class:`TargetError` unless ``outputs`` (B, E) match the reference's size E."""
        if outputs.shape[1] != self.reference.numel():
            raise TargetError(f"verification target: the model's embedding has {outputs.shape[1]} "
                              f"dimensions but the reference has {self.reference.numel()}")

    def score(self, outputs: torch.Tensor) -> torch.Tensor:
        """(B, E) embeddings -> (B,) closeness to the reference: cosine similarities, or minus
        the euclidean distances."""
        ref = self.reference.to(device=outputs.device, dtype=outputs.dtype)
        if self.metric == "euclidean":
            return -torch.linalg.vector_norm(outputs - ref[None], dim=1)
        return torch.nn.functional.cosine_similarity(outputs, ref[None], dim=1)

    def describe(self):
        return "verification"

    def __repr__(self):
        return f"VerificationTarget(E={self.reference.numel()}, metric={self.metric!r})"


class LinearTarget:
    """Explain ``outputs @ weights``: a weighted sum of the output columns (an expected age,
    say), differentiable on tensors and plain on arrays.

    Examples
    --------
    >>> LinearTarget([0.0, 10.0], "expected age").score(np.array([[0.5, 0.5]]))
    array([5.])
    """

    def __init__(self, weights, label: str = "weighted score"):
        w = np.asarray(weights, np.float64).reshape(-1)
        if w.size == 0 or not np.isfinite(w).all():
            raise TargetError(f"weights must be a finite non-empty vector, got {weights!r}")
        self.weights, self.label = w, label

    def check(self, outputs) -> None:
        if outputs.shape[1] != len(self.weights):
            raise TargetError(f"{self.label}: the model has {outputs.shape[1]} outputs, the "
                              f"weights {len(self.weights)}")

    def score(self, outputs):
        if isinstance(outputs, torch.Tensor):
            return outputs @ torch.as_tensor(self.weights, dtype=outputs.dtype,
                                             device=outputs.device)
        return np.asarray(outputs, np.float64) @ self.weights

    def describe(self):
        return self.label

    def __repr__(self):
        return f"LinearTarget({self.label!r}, D={len(self.weights)})"


def decision_target(decision):
    """The target explaining the score ``decision`` (a bound or reference-embedded
    :class:`~minplus.models.Decision`) watches; see the module docstring for each kind.

    Examples
    --------
    >>> from minplus.models import Classification, Verification
    >>> decision_target(Classification().bind([0.1, 0.7, 0.2]))
    ClassTarget(index=1)
    >>> decision_target(Verification(np.ones(4)))
    VerificationTarget(E=4, metric='euclidean')
    """
    from ..models import Classification, Verification

    own = getattr(decision, "target", None)
    if callable(own):  # a decision that knows its watched score (ExpectedAge: the age)
        return own()
    if isinstance(decision, Verification):
        if decision.embedding is None:
            raise TargetError("the Verification's reference image is not embedded yet: call "
                              "decision.prepare(model) (explain does) before taking its target")
        return VerificationTarget(decision.embedding.astype(np.float32), metric=decision.metric)
    if isinstance(decision, Classification):
        if getattr(decision, "class_", None) is None:
            raise TargetError("the Classification is not bound yet: bind it to the unmasked "
                              "image's scores first (explain does)")
        return ClassTarget(int(decision.class_))
    index = getattr(decision, "index", None)
    if index is None and not hasattr(decision, "preserved"):
        raise TargetError(f"cannot take a target from {type(decision).__name__}")
    return ClassTarget(int(index or 0))


def as_target(target, outputs: torch.Tensor):
    """The checked target object for ``target`` given the model's ``outputs`` (B, D) on the image.

    Parameters
    ----------
    target : int, None, ClassTarget, VerificationTarget or a Decision
        ``None`` picks the predicted class, ``argmax(outputs[0])``; a Decision gives
        :func:`decision_target`.
    outputs : (B, D) tensor
        The model's outputs for the image being explained.

    Raises
    ------
    TargetError
        An index outside ``0..D-1`` (the message names the index and D), or a reference
        embedding of the wrong size.

    Examples
    --------
    >>> as_target(None, torch.tensor([[0.1, 0.9]]))
    ClassTarget(index=1)
    """
    from ..models.decision import Decision

    if isinstance(target, Decision):
        target = decision_target(target)
    if target is None:
        target = ClassTarget(int(outputs[0].argmax()))
    elif isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        target = ClassTarget(int(target))
    elif not isinstance(target, (ClassTarget, VerificationTarget, LinearTarget)):
        raise TargetError(f"target must be an int class index, None, or a VerificationTarget; got "
                          f"{type(target).__name__}")
    target.check(outputs)
    return target
