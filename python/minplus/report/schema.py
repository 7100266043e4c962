"""The schema of result.json, as a JSON Schema file shipped with the package, and its validator.

``result.schema.json`` (JSON Schema draft 2020-12, next to this module) is the format's one
definition; any tool can validate a result.json with it. Its shape::

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

Every key shown is required and no other key is allowed, so a change of format is a change there.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from ..errors import ArgumentError, MissingDependencyError

SCHEMA_PATH = Path(__file__).with_name("result.schema.json")
RESULT_SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
EXPLANATION_SCHEMA = RESULT_SCHEMA["$defs"]["explanation"]

_EXPECTED = {"object": "an object", "array": "an array", "integer": "an integer",
             "number": "a number", "string": "str", "null": "null"}


@lru_cache(maxsize=1)
def _validator():
    try:
        import jsonschema
    except ImportError:
        raise MissingDependencyError("validating result.json needs jsonschema: pip install "
                                     "'minplus[viz]'") from None
    cls = jsonschema.validators.validator_for(RESULT_SCHEMA)
    cls.check_schema(RESULT_SCHEMA)
    return cls(RESULT_SCHEMA)


def _path(error) -> str:
    return "result" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}"
                              for p in error.absolute_path)


def _message(error) -> str:
    """One jsonschema error in the words of the path it concerns: what was expected, got."""
    value, schema = error.instance, error.schema
    if error.validator in ("required", "additionalProperties") and "properties" in schema:
        missing = sorted(set(schema.get("required", ())) - set(value))
        extra = sorted(set(value) - set(schema["properties"]))
        return f"missing keys {missing}, unexpected keys {extra}"
    if error.validator == "type":
        kinds = error.validator_value
        kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        want = " or ".join(_EXPECTED.get(k, k) for k in kinds)
        return f"expected {want}, got {type(value).__name__}"
    if error.validator in ("minItems", "maxItems") and isinstance(value, list):
        exact = schema.get("minItems") == schema.get("maxItems")
        bound = "" if exact else ("at least " if error.validator == "minItems" else "at most ")
        return f"expected {bound}{error.validator_value} items, got {len(value)}"
    return error.message


def validate_result(data: dict) -> dict:
    """Check a parsed result.json against ``result.schema.json``; returns it unchanged.

    Raises
    ------
    ArgumentError
        (a ValueError) naming the first offending path, e.g. ``result.explanations[0].queries``.
    MissingDependencyError
        jsonschema is not installed (it comes with the viz extra).

    Examples
    --------
    >>> validate_result({"minplus_version": "0.1.0", "created": "", "meta": {},
    ...                  "explanations": []})["explanations"]
    []
    >>> validate_result({"minplus_version": 1})
    Traceback (most recent call last):
    ...
    minplus.errors.ArgumentError: result: missing keys ['created', 'explanations', 'meta'], ...
    """
    error = next(iter(_validator().iter_errors(data)), None)
    if error is not None:
        raise ArgumentError(f"{_path(error)}: {_message(error)}")
    return data
