"""Saliency maps on one calling convention: ``method(model, image, target=..., **options)``."""

from .saliency_map import SaliencyMap

__all__ = ["SaliencyMap"]
