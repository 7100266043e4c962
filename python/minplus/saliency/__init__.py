"""Saliency maps on one calling convention: ``method(model, image, target=..., **options)``.

White-box (torch nn.Module): saliency, input_x_gradient, integrated_gradients, smoothgrad,
grad_cam, grad_cam_pp, score_cam. Black-box (any model adapter or numpy callable, rendered by the
fused Masker): occlusion, region_occlusion, rise, lime, kernel_shap, shapley_values,
banzhaf_values, minplus_map. Every method returns a :class:`SaliencyMap` (a list for a batch).
"""

from .kernel_shap import kernel_shap
from .lime import lime
from .minplus_map import minplus_map
from .occlusion import occlusion, region_occlusion
from .rise import rise, rise_masks
from .saliency_map import SaliencyMap
from .shapley import banzhaf_values, shapley_values

# The white-box methods and the targets need torch: they load on first use, so that the
# black-box methods (and ``import minplus``) work, and start fast, without it.
_LAZY = {
    "cam": ("CAM", "GradCAM", "GradCAMPlusPlus", "ScoreCAM", "find_layer", "grad_cam",
            "grad_cam_pp", "score_cam"),
    "trained_explainer": ("Explainer", "explainer", "train_explainer"),
    "gradient": ("input_x_gradient", "integrated_gradients", "saliency", "smoothgrad"),
    "targets": ("ClassTarget", "LinearTarget", "VerificationTarget", "decision_target"),
}
_HOME = {name: module for module, names in _LAZY.items() for name in names}


def __getattr__(name):
    if name in _HOME:
        import importlib

        module = importlib.import_module(f".{_HOME[name]}", __name__)
        # All of the module's names at once: one import, and later lookups skip this hook.
        globals().update({n: getattr(module, n) for n in _LAZY[_HOME[name]]})
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "SaliencyMap", "ClassTarget", "VerificationTarget", "LinearTarget", "decision_target",
    "saliency", "input_x_gradient", "integrated_gradients", "smoothgrad",
    "grad_cam", "grad_cam_pp", "score_cam", "CAM", "GradCAM", "GradCAMPlusPlus", "ScoreCAM",
    "find_layer",
    "occlusion", "region_occlusion", "rise", "rise_masks", "lime", "kernel_shap",
    "shapley_values", "banzhaf_values", "minplus_map",
    "Explainer", "explainer", "train_explainer",
]
