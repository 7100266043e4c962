"""A run's arguments as one picklable object, re-created in each worker process or Ray actor.

:class:`RunConfig` holds what every worker needs to explain an image exactly as the others do:
the model *spec* (a CLI spec string, a factory, or an adapter), the decision, regions, search
options, methods and metrics. :meth:`RunConfig.fingerprint_spec` is the JSON that run.json
records: resuming needs the same, so a different model, decision or search into the same folder
is refused.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
from dataclasses import dataclass, field

import numpy as np

from ..errors import ArgumentError


def _array_digest(a) -> str:
    a = np.ascontiguousarray(a)
    return "sha256:" + hashlib.sha256(a.tobytes() + str(a.shape).encode()).hexdigest()[:16]


def describe(obj) -> str:
    """A stable one-line description of a model spec or decision, for rows and fingerprints.

    Strings are kept; a factory is named ``module:qualname`` (with a partial's arguments);
    an object is its type and public attributes, arrays reduced to a content digest.

    Examples
    --------
    >>> from minplus.models import Threshold
    >>> describe(Threshold(0.5))
    'Threshold(above=True, index=0, t=0.5)'
    """
    import functools

    if obj is None or isinstance(obj, str):
        return "" if obj is None else obj
    if isinstance(obj, functools.partial):
        args = [describe(a) if not isinstance(a, (int, float)) else repr(a) for a in obj.args]
        kwargs = [f"{k}={describe(v) if not isinstance(v, (int, float)) else repr(v)}"
                  for k, v in sorted(obj.keywords.items())]
        return f"{describe(obj.func)}({', '.join(args + kwargs)})"
    if inspect.isfunction(obj) or inspect.isclass(obj) or inspect.isbuiltin(obj):
        return f"{obj.__module__}:{obj.__qualname__}"
    if isinstance(obj, np.ndarray):
        return _array_digest(obj)
    from ..models import Decision, Model

    if isinstance(obj, Model):
        return obj.fingerprint()
    if isinstance(obj, Decision):
        public = {k: v for k, v in sorted(vars(obj).items())
                  if not k.startswith("_") and k not in _BOUND_STATE}
        fields = ", ".join(f"{k}={_value(v)}" for k, v in public.items())
        return f"{type(obj).__name__}({fields})"
    return repr(obj)


# What a Decision learns when bound to an image, or (a Verification's ``embedding``) from its
# reference image once embedded: not part of what the user asked for. The reference itself is
# described, so an embedding given as the reference is not lost.
_BOUND_STATE = {"original", "class_", "match", "embedding"}


def _value(v) -> str:
    return _array_digest(v) if isinstance(v, np.ndarray) else repr(v)


def is_factory(model) -> bool:
    """True when ``model`` is a callable taking no required argument (called once per worker to
    make the model), False for a Model adapter or a scoring function ``fn(images)``."""
    from ..models import Model

    if isinstance(model, (str, Model)) or not callable(model):
        return False
    try:
        params = inspect.signature(model).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: a scoring function
        return False
    return not any(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                   for p in params)


def load_model(model, preprocess: str = "unit"):
    """(Model adapter, torch module or None) from a spec string, a factory or an adapter.

    A spec string is what ``minplus explain --model`` takes (``dlib-verify``, ``PATH.onnx``,
    ``module:factory``; see :func:`minplus.cli_specs.model_from_spec`). A factory's result is
    adapted the same way: a Model as is, a torch module in a TorchModel, a callable wrapped.
    """
    from ..cli_specs import PREPROCESS, model_from_spec
    from ..models import Model, TorchModel, as_model

    if isinstance(model, str):
        return model_from_spec(model, preprocess)
    made = model() if is_factory(model) else model
    if isinstance(made, Model):
        return made, _torch_module(made)
    torch = sys.modules.get("torch")  # a factory that made a torch module has imported torch
    if torch is not None and isinstance(made, torch.nn.Module):
        return TorchModel(made, preprocess=PREPROCESS[preprocess]), made
    if not callable(made):
        raise ArgumentError(f"model {describe(model)} gave a {type(made).__name__}, not a model "
                            "or a callable")
    return as_model(made), None


def _torch_module(model):
    """The adapter's torch module for white-box methods, or None: a black-box adapter may
    refuse the attribute with a GradientError rather than lack it."""
    from ..errors import GradientError

    try:
        return getattr(model, "module", None)
    except GradientError:
        return None


@dataclass
class RunConfig:
    """Everything a worker needs to explain one image as every other worker does.

    Attributes
    ----------
    model : str, callable or Model
        A spec string, a factory ``() -> model`` or a model adapter / scoring function.
    decision : Decision, str or None
        A Decision, a ``--decision`` spec string (with ``reference``), or None (the default:
        verification with ``reference``, else the top class).
    reference : str or ndarray or None
        The reference face for verification: an image file, ``sample:NAME`` or an array.
    regions, face_box, baseline, mode, goal, budget :
        As :func:`minplus.explain` and :func:`minplus.parse_regions` take them.
    methods : list of str
        Saliency method names (``minplus explain --methods``).
    metrics : list of str
        Names of :data:`minplus.metrics.EXPLANATION_METRICS` ("deletion", "insertion",
        "robustness"; the localisation ones with ``point_at``).
    point_at : list of str, optional
        Region names the localisation metrics ("pointing", ...) expect a map to point at.
    save_maps : bool
        Keep each saliency method's pixel map in the row.
    preprocess : str
        Input normalisation of ONNX/torch models.
    meta_schema : pyarrow.Schema
        The metadata columns.
    model_spec, decision_spec, regions_spec : str
        The rows' ``model``, ``decision`` and ``regions_spec`` columns, described on
        construction.
    """

    model: object
    decision: object = None
    reference: object = None
    regions: str = "face68"
    face_box: str = "detect"
    baseline: str = "blur"
    mode: str = "exact"
    goal: str = "both"
    budget: int | None = None
    methods: list = field(default_factory=list)
    metrics: list = field(default_factory=list)
    point_at: list | None = None
    save_maps: bool = False
    preprocess: str = "unit"
    meta_schema: object = None

    def __post_init__(self):
        # Described once, where the run starts: a worker sees a factory from the driver's
        # __main__ under another module name, and its rows must say what the driver's say.
        self.model_spec = describe(self.model)
        text = describe(self.decision) or ("verify" if self.reference is not None else "class")
        self.decision_spec = text if self.reference is None else \
            f"{text} reference={describe(self.reference)}"
        self.regions_spec = self.regions if self.face_box == "detect" else \
            f"{self.regions} face_box={self.face_box}"

    def fingerprint_spec(self, input_spec: str) -> dict:
        """The JSON-ready arguments that decide a run's rows (engine and workers do not)."""
        return {"input": input_spec, "model": self.model_spec,
                "decision": self.decision_spec, "regions": self.regions_spec,
                "baseline": self.baseline, "mode": self.mode, "goal": self.goal,
                "budget": self.budget, "methods": list(self.methods),
                "metrics": list(self.metrics), "point_at": self.point_at,
                "save_maps": bool(self.save_maps),
                "preprocess": self.preprocess}
