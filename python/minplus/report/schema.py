"""The schema of result.json, and a small validator for it (no jsonschema dependency).

result.json::

    {
      "minplus_version": str,
      "created": str,                       # ISO 8601, UTC
      "meta": {str: str},                   # the run's inputs: image, reference, model, ...
      "explanations": [                     # one per decision explained
        {
          "title": str,
          "image_shape": [int, int],        # H, W
          "model": str,
          "decision": {"rule": str, "outcome": str, "original": str},
          "regions": {"parser": str, "names": [str], "context": str},
          "baseline": str,
          "mode": str, "mode_meaning": str, "proven": str,
          "min_plus":  [{"regions": [str], "mask": int, "evidence": str, "sentence": str}],
          "min_minus": [{"regions": [str], "mask": int, "evidence": str, "sentence": str}],
          "summary": [str],                 # one sentence per set (or why there is none)
          "queries": int,
          "seconds": float | null,
          "timings": {str: float | null},
          "limitations": [str],
          "saliency": [{"method": str, "target": str, "score": float | null,
                        "evaluations": int, "seconds": float | null}],
          "metrics": {str: {str: float | null}}   # method -> metric -> value
        }
      ]
    }

Every key shown is required and no other key is allowed, so a change of format is a change here.
"""

from __future__ import annotations


class Nullable:
    """``spec`` or null."""

    def __init__(self, spec):
        self.spec = spec


class MapOf:
    """An object with any string keys, each value matching ``spec``."""

    def __init__(self, spec):
        self.spec = spec


class Pair:
    """A list of exactly two items matching ``spec``."""

    def __init__(self, spec):
        self.spec = spec


NUMBER = Nullable(float)
REGION_SET = {"regions": [str], "mask": int, "evidence": str, "sentence": str}
SALIENCY = {"method": str, "target": str, "score": NUMBER, "evaluations": int, "seconds": NUMBER}
EXPLANATION_SCHEMA = {
    "title": str, "image_shape": Pair(int), "model": str,
    "decision": {"rule": str, "outcome": str, "original": str},
    "regions": {"parser": str, "names": [str], "context": str},
    "baseline": str, "mode": str, "mode_meaning": str, "proven": str,
    "min_plus": [REGION_SET], "min_minus": [REGION_SET], "summary": [str],
    "queries": int, "seconds": NUMBER, "timings": MapOf(NUMBER), "limitations": [str],
    "saliency": [SALIENCY], "metrics": MapOf(MapOf(NUMBER)),
}
RESULT_SCHEMA = {"minplus_version": str, "created": str, "meta": MapOf(str),
                 "explanations": [EXPLANATION_SCHEMA]}


def _check(value, spec, path: str) -> None:
    if isinstance(spec, Nullable):
        if value is not None:
            _check(value, spec.spec, path)
    elif isinstance(spec, dict):
        if not isinstance(value, dict):
            raise ValueError(f"{path}: expected an object, got {type(value).__name__}")
        missing, extra = set(spec) - set(value), set(value) - set(spec)
        if missing or extra:
            raise ValueError(f"{path}: missing keys {sorted(missing)}, unexpected keys "
                             f"{sorted(extra)}")
        for key, sub in spec.items():
            _check(value[key], sub, f"{path}.{key}")
    elif isinstance(spec, MapOf):
        if not isinstance(value, dict):
            raise ValueError(f"{path}: expected an object, got {type(value).__name__}")
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{path}: key {key!r} is not a string")
            _check(item, spec.spec, f"{path}.{key}")
    elif isinstance(spec, (list, Pair)):
        item_spec = spec[0] if isinstance(spec, list) else spec.spec
        if not isinstance(value, list):
            raise ValueError(f"{path}: expected an array, got {type(value).__name__}")
        if isinstance(spec, Pair) and len(value) != 2:
            raise ValueError(f"{path}: expected 2 items, got {len(value)}")
        for i, item in enumerate(value):
            _check(item, item_spec, f"{path}[{i}]")
    elif spec is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{path}: expected a number, got {type(value).__name__}")
    elif spec is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{path}: expected an integer, got {type(value).__name__}")
    elif not isinstance(value, spec):
        raise ValueError(f"{path}: expected {spec.__name__}, got {type(value).__name__}")


def validate_result(data: dict) -> dict:
    """Check a parsed result.json against :data:`RESULT_SCHEMA`; returns it unchanged.

    Raises
    ------
    ValueError
        Naming the first offending path, e.g. ``result.explanations[0].queries``.

    Examples
    --------
    >>> validate_result({"minplus_version": "0.1.0", "created": "", "meta": {},
    ...                  "explanations": []})["explanations"]
    []
    >>> validate_result({"minplus_version": 1})
    Traceback (most recent call last):
    ...
    ValueError: result: missing keys ['created', 'explanations', 'meta'], unexpected keys []
    """
    _check(data, RESULT_SCHEMA, "result")
    return data
