"""Saliency maps on one calling convention: ``method(model, image, target=..., **options)``."""

from .saliency_map import SaliencyMap

__all__ = ["SaliencyMap"]

from .cam import (CAM, GradCAM, GradCAMPlusPlus, ScoreCAM, find_layer, grad_cam, grad_cam_pp,
                  score_cam)
from .gradient import input_x_gradient, integrated_gradients, saliency, smoothgrad
from .targets import ClassTarget, VerificationTarget

__all__ += ["saliency", "input_x_gradient", "integrated_gradients", "smoothgrad", "grad_cam",
            "grad_cam_pp", "score_cam", "CAM", "GradCAM", "GradCAMPlusPlus", "ScoreCAM",
            "find_layer", "ClassTarget", "VerificationTarget"]

from .occlusion import occlusion, region_occlusion
from .rise import rise, rise_masks
from .lime import lime
from .kernel_shap import kernel_shap
from .shapley import banzhaf_values, shapley_values
from .minplus_map import minplus_map

__all__ += ["occlusion", "region_occlusion", "rise", "rise_masks", "lime", "kernel_shap",
            "shapley_values", "banzhaf_values", "minplus_map"]
