"""The command line's textual specs: images, models, decisions and saliency methods by name.

Each ``*_from_spec`` turns one option's text into the object :func:`minplus.explain` or a
saliency method takes, raising :class:`SpecError` (a usage error) for text it cannot read.
"""

from __future__ import annotations

import importlib
import os

import numpy as np


class SpecError(ValueError):
    """An option's value cannot be understood: the command line is wrong (exit status 2)."""


PREPROCESS = {  # --preprocess: (scale, mean, std) for ONNX and torch models
    "unit": (1 / 255, 0.0, 1.0),
    "imagenet": (1 / 255, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "raw": (1.0, 0.0, 1.0),
}

# --methods name -> (function in minplus.saliency, kind): "pixels" and "regions" are black-box
# (any model; "regions" ones work on the explanation's regions), "white" needs a torch module.
SALIENCY_METHODS = {
    "occlusion": ("occlusion", "pixels"),
    "rise": ("rise", "pixels"),
    "minplus-map": ("minplus_map", "pixels"),
    "region-occlusion": ("region_occlusion", "regions"),
    "lime": ("lime", "regions"),
    "kernelshap": ("kernel_shap", "regions"),
    "shapley": ("shapley_values", "regions"),
    "banzhaf": ("banzhaf_values", "regions"),
    "gradient": ("saliency", "white"),
    "ixg": ("input_x_gradient", "white"),
    "ig": ("integrated_gradients", "white"),
    "smoothgrad": ("smoothgrad", "white"),
    "gradcam": ("grad_cam", "white"),
    "gradcam++": ("grad_cam_pp", "white"),
    "scorecam": ("score_cam", "white"),
}


def image_from_spec(spec: str) -> np.ndarray:
    """(H, W, 3) uint8 RGB from a file path, or ``sample:NAME`` for a photo shipped by an
    installed package (``sample:hopper``, ``sample:hopper_shifted``, ``sample:astronaut``).
    """
    if spec.startswith("sample:"):
        from .demo import sample_faces

        faces = sample_faces()
        name = spec.split(":", 1)[1]
        if name not in faces:
            raise SpecError(f"unknown sample image {name!r}; samples are {sorted(faces)}")
        return faces[name]
    import cv2

    if not os.path.isfile(spec):
        raise SpecError(f"no image file at {spec!r}")
    bgr = cv2.imread(spec, cv2.IMREAD_COLOR)
    if bgr is None:
        raise SpecError(f"cannot read an image from {spec!r} (not a format OpenCV reads)")
    return np.ascontiguousarray(bgr[:, :, ::-1])


def model_from_spec(spec: str, preprocess: str = "unit"):
    """(model, torch_module or None) from ``dlib-verify``, ``PATH.onnx`` or ``module:factory``.

    ``module:factory`` imports ``module`` and calls ``factory()``, which returns a
    :class:`minplus.models.Model`, a ``torch.nn.Module`` (wrapped in a TorchModel with
    ``preprocess``; white-box saliency methods then work) or any callable
    ``images (B, H, W, 3) uint8 -> scores (B, D)``.
    """
    from .models import DlibFaceRecognizer, Model, OnnxModel, TorchModel, as_model

    if preprocess not in PREPROCESS:
        raise SpecError(f"--preprocess must be one of {sorted(PREPROCESS)}, got {preprocess!r}")
    norm = PREPROCESS[preprocess]
    if spec == "dlib-verify":
        return DlibFaceRecognizer(), None
    if spec.endswith(".onnx"):
        if not os.path.isfile(spec):
            raise SpecError(f"no ONNX file at {spec!r}")
        return OnnxModel(spec, preprocess=norm), None
    module_name, sep, factory = spec.partition(":")
    if not sep or not module_name or not factory:
        raise SpecError(f"--model must be dlib-verify, PATH.onnx or module:factory, got {spec!r}")
    try:
        made = getattr(importlib.import_module(module_name), factory)()
    except (ImportError, AttributeError) as e:
        raise SpecError(f"cannot load model {spec!r}: {e}") from e
    if isinstance(made, Model):
        return made, getattr(made, "module", None)
    try:
        import torch

        if isinstance(made, torch.nn.Module):
            return TorchModel(made, preprocess=norm), made
    except ImportError:
        pass
    if not callable(made):
        raise SpecError(f"{spec} returned a {type(made).__name__}, not a model or a callable")
    return as_model(made), None


def _numbers(fields: list[str], spec: str) -> list[float]:
    try:
        return [float(f) for f in fields]
    except ValueError:
        raise SpecError(f"--decision {spec!r}: {fields} are not numbers") from None


def decision_from_spec(spec: str | None, reference):
    """A Decision from ``--decision``:

    ``verify[:THRESHOLD[:euclidean|cosine]]`` (default with --reference; threshold 0.6),
    ``class[:INDEX]`` (default without: the top class), ``threshold:T[:INDEX]`` (score stays
    >= T), ``regression:TOL[:INDEX]`` (score stays within TOL).
    """
    from .models import Classification, Regression, Threshold, Verification

    kind, *fields = (spec or ("verify" if reference is not None else "class")).split(":")
    if kind == "verify":
        if reference is None:
            raise SpecError("--decision verify needs --reference IMAGE")
        metric = fields[1] if len(fields) > 1 else "euclidean"
        if metric not in ("euclidean", "cosine"):
            raise SpecError(f"--decision {spec!r}: metric must be euclidean or cosine")
        threshold = _numbers(fields[:1], spec)[0] if fields else 0.6
        return Verification(reference, threshold=threshold, metric=metric)
    if reference is not None:
        raise SpecError(f"--reference is only used by --decision verify, not {kind!r}")
    if kind == "class" and len(fields) <= 1:
        return Classification(target=int(_numbers(fields, spec)[0]) if fields else None)
    if kind == "threshold" and 1 <= len(fields) <= 2:
        t, *index = _numbers(fields, spec)
        return Threshold(t, index=int(index[0]) if index else 0)
    if kind == "regression" and 1 <= len(fields) <= 2:
        tol, *index = _numbers(fields, spec)
        return Regression(tol, index=int(index[0]) if index else None)
    raise SpecError(f"--decision must be verify[:T[:METRIC]], class[:INDEX], threshold:T[:INDEX] "
                    f"or regression:TOL[:INDEX], got {spec!r}")


def available_methods() -> list[str]:
    """The names in :data:`SALIENCY_METHODS` whose function this minplus has."""
    from . import saliency

    return [name for name, (fn, _) in SALIENCY_METHODS.items() if hasattr(saliency, fn)]


def methods_from_spec(spec: str | None) -> list[str]:
    """Method names from ``--methods a,b,c``, checked against :data:`SALIENCY_METHODS`."""
    names = list(dict.fromkeys(m.strip() for m in (spec or "").split(",") if m.strip()))
    unknown = [m for m in names if m not in SALIENCY_METHODS]
    if unknown:
        raise SpecError(f"unknown saliency methods {unknown}; known: "
                        f"{', '.join(SALIENCY_METHODS)}")
    missing = [m for m in names if m not in available_methods()]
    if missing:
        raise SpecError(f"saliency methods {missing} are not available in this minplus")
    return names


def check_white_box(names: list[str], torch_module) -> None:
    """SpecError unless every white-box method in ``names`` has a torch module to run on."""
    white = [n for n in names if SALIENCY_METHODS[n][1] == "white"]
    if white and torch_module is None:
        raise SpecError(f"{', '.join(white)}: white-box methods need --model module:factory "
                        "returning a torch.nn.Module")


def _targets(decision):
    """(black-box target, white-box target) explaining the same score the decision watches."""
    from .models import Classification, Verification

    if isinstance(decision, Verification):
        from .saliency import VerificationTarget

        def closeness(scores):  # larger = closer to the reference: what keeps a match
            return -decision.distance(scores)

        return closeness, VerificationTarget(decision.embedding)
    if isinstance(decision, Classification):
        return decision.class_, decision.class_
    index = getattr(decision, "index", None) or 0
    return index, index


def run_saliency(names, model, torch_module, explanation, preprocess: str = "unit",
                 progress: bool = True) -> list:
    """SaliencyMaps of ``explanation.image`` for each method name, in order.

    Black-box methods query ``model`` with the explanation's baseline ("regions" methods over
    its region map); white-box ones need ``torch_module`` (see :func:`check_white_box`).
    Targets follow the decision: the closeness to the reference (-distance) for verification,
    else the decided class or score.
    """
    from . import saliency

    bb_target, wb_target = _targets(explanation.decision)
    image, baseline = explanation.image, explanation.baseline
    out = []
    for name in names:
        fn_name, kind = SALIENCY_METHODS[name]
        fn = getattr(saliency, fn_name)
        if kind == "white":
            out.append(fn(torch_module, image, target=wb_target,
                          preprocess=PREPROCESS[preprocess]))
        elif kind == "regions":
            out.append(fn(model, image, explanation.region_map, target=bb_target,
                          baseline=baseline, progress=progress))
        else:
            out.append(fn(model, image, target=bb_target, baseline=baseline, progress=progress))
    return out
