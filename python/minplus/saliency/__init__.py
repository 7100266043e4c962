"""Saliency maps on one calling convention: ``method(model, image, target=..., **options)``.

White-box (torch nn.Module): saliency, input_x_gradient, integrated_gradients, smoothgrad,
grad_cam, grad_cam_pp, score_cam. Black-box (any model adapter or numpy callable, rendered by the
fused Masker): occlusion, region_occlusion, rise, lime, kernel_shap, shapley_values,
banzhaf_values, minplus_map. Every method returns a :class:`SaliencyMap` (a list for a batch).
"""

from .cam import (CAM, GradCAM, GradCAMPlusPlus, ScoreCAM, find_layer, grad_cam, grad_cam_pp,
                  score_cam)
from .gradient import input_x_gradient, integrated_gradients, saliency, smoothgrad
from .kernel_shap import kernel_shap
from .lime import lime
from .minplus_map import minplus_map
from .occlusion import occlusion, region_occlusion
from .rise import rise, rise_masks
from .saliency_map import SaliencyMap
from .shapley import banzhaf_values, shapley_values
from .targets import ClassTarget, VerificationTarget

__all__ = [
    "SaliencyMap", "ClassTarget", "VerificationTarget",
    "saliency", "input_x_gradient", "integrated_gradients", "smoothgrad",
    "grad_cam", "grad_cam_pp", "score_cam", "CAM", "GradCAM", "GradCAMPlusPlus", "ScoreCAM",
    "find_layer",
    "occlusion", "region_occlusion", "rise", "rise_masks", "lime", "kernel_shap",
    "shapley_values", "banzhaf_values", "minplus_map",
]
