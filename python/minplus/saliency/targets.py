"""Targets of white-box methods: which scalar of the model's output is explained.

A target turns the model's outputs, a (B, D) tensor, into one differentiable score per image, a
(B,) tensor. Two kinds exist: a class index (the output column, e.g. a logit) and a
face-verification target (the cosine similarity between the model's embedding and a reference
embedding). ``None`` means the class the model predicts for the image (its argmax).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..errors import ShapeError, TargetError


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

    def __init__(self, reference):
        if isinstance(reference, torch.Tensor):
            reference = reference.detach().cpu().numpy()
        ref = torch.as_tensor(np.asarray(reference, dtype=np.float32))
        if ref.ndim == 2 and ref.shape[0] == 1:
            ref = ref[0]
        if ref.ndim != 1 or ref.numel() == 0:
            raise ShapeError(f"reference must be an (E,) or (1, E) embedding, got shape "
                             f"{tuple(ref.shape)}")
        if not torch.isfinite(ref).all() or float(ref.norm()) == 0.0:
            raise ValueError("reference must be a finite, non-zero embedding")
        self.reference = ref

    def check(self, outputs: torch.Tensor) -> None:
        """Raise :class:`TargetError` unless ``outputs`` (B, E) match the reference's size E."""
        if outputs.shape[1] != self.reference.numel():
            raise TargetError(f"verification target: the model's embedding has {outputs.shape[1]} "
                              f"dimensions but the reference has {self.reference.numel()}")

    def score(self, outputs: torch.Tensor) -> torch.Tensor:
        """(B, E) embeddings -> (B,) cosine similarities to the reference."""
        ref = self.reference.to(device=outputs.device, dtype=outputs.dtype)
        return torch.nn.functional.cosine_similarity(outputs, ref[None], dim=1)

    def describe(self):
        return "verification"

    def __repr__(self):
        return f"VerificationTarget(E={self.reference.numel()})"


def as_target(target, outputs: torch.Tensor):
    """The checked target object for ``target`` given the model's ``outputs`` (B, D) on the image.

    Parameters
    ----------
    target : int, None, ClassTarget or VerificationTarget
        ``None`` picks the predicted class, ``argmax(outputs[0])``.
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
    if target is None:
        target = ClassTarget(int(outputs[0].argmax()))
    elif isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        target = ClassTarget(int(target))
    elif not isinstance(target, (ClassTarget, VerificationTarget)):
        raise TargetError(f"target must be an int class index, None, or a VerificationTarget; got "
                          f"{type(target).__name__}")
    target.check(outputs)
    return target
