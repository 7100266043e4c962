"""Model adapters (a batch of images in, scores out) and decisions (scores -> preserved)."""

from .base import CallableModel, Model, as_model
from .decision import CallableDecision, Decision, as_decision

__all__ = ["Model", "CallableModel", "as_model", "Decision", "CallableDecision", "as_decision"]
