"""The versioned Arrow schema of a run's rows, read from the documented ``schema.json``.

``schema.json`` (beside this file) is the one description of the columns: their names, Arrow
types, nullability and meaning. This module turns it into a ``pyarrow.Schema``, adds the run's
``meta_<key>`` metadata columns, and validates tables against it.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache

from .errors import RunSchemaError

SCHEMA_FILE = os.path.join(os.path.dirname(__file__), "schema.json")
META_PREFIX = "meta_"


@lru_cache(maxsize=1)
def description() -> dict:
    """The parsed ``schema.json``: name, version, description, timing_columns, columns."""
    with open(SCHEMA_FILE) as f:
        return json.load(f)


SCHEMA_VERSION: int = description()["version"]
TIMING_COLUMNS: tuple = tuple(description()["timing_columns"])


def arrow_type(text: str):
    """The pyarrow type named by ``text``: ``int64``, ``list<T>``, ``map<K,V>``,
    ``struct<a:T,b:U>``.

    Examples
    --------
    >>> arrow_type("list<struct<name:string,value:float64>>")
    ListType(list<item: struct<name: string, value: double>>)
    """
    import pyarrow as pa

    text = text.strip()
    m = re.fullmatch(r"(\w+)<(.*)>", text)
    if m is None:
        make = getattr(pa, _PYARROW_NAMES.get(text, text), None)
        if make is None:
            raise RunSchemaError(f"unknown Arrow type {text!r} in {SCHEMA_FILE}")
        return make()
    kind, inner = m.groups()
    parts = _split_top(inner)
    if kind == "list":
        return pa.list_(arrow_type(inner))
    if kind == "map":
        return pa.map_(arrow_type(parts[0]), arrow_type(parts[1]))
    if kind == "struct":
        return pa.struct([pa.field(p.split(":", 1)[0], arrow_type(p.split(":", 1)[1]))
                          for p in parts])
    raise RunSchemaError(f"unknown Arrow type {text!r} in {SCHEMA_FILE}")


_PYARROW_NAMES = {"bool": "bool_"}  # Arrow's type name -> pyarrow's function


def _split_top(text: str) -> list[str]:
    """``text`` split at the commas outside any <...>."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        depth += (c == "<") - (c == ">")
        if c == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return parts + [text[start:]]


def base_schema():
    """The fixed columns, in order, as a ``pyarrow.Schema`` (column docs as field metadata)."""
    import pyarrow as pa

    return pa.schema([pa.field(c["name"], arrow_type(c["type"]), c.get("nullable", True),
                               metadata={"doc": c["doc"]})
                      for c in description()["columns"]],
                     metadata={"minplus-run-schema": str(SCHEMA_VERSION)})


def run_schema(meta_schema=None):
    """The full schema of a run: the fixed columns, then ``meta_<key>`` for each metadata key.

    Parameters
    ----------
    meta_schema : pyarrow.Schema, optional
        The metadata columns' names (without the prefix) and types, as run.json records them.
    """
    schema = base_schema()
    for field in meta_schema or []:
        schema = schema.append(field.with_name(META_PREFIX + field.name))
    return schema


def validate_table(table, meta_schema=None) -> None:
    """Raise :class:`RunSchemaError` unless ``table`` has exactly the run schema's columns and
    types, with no nulls in non-nullable columns and a known ``status``.

    Parameters
    ----------
    table : pyarrow.Table
    meta_schema : pyarrow.Schema, optional
        The run's metadata columns (see :func:`run_schema`).
    """
    import pyarrow.compute as pc

    want = run_schema(meta_schema)
    if table.schema.names != want.names:
        raise RunSchemaError(f"columns {table.schema.names} differ from the run schema's "
                             f"{want.names}")
    for field in want:
        got = table.schema.field(field.name).type
        if got != field.type:
            raise RunSchemaError(f"column {field.name!r} has type {got}, the schema says "
                                 f"{field.type}")
        if not field.nullable and table.column(field.name).null_count:
            raise RunSchemaError(f"column {field.name!r} has nulls but is not nullable")
    bad = set(table.column("status").to_pylist()) - {"ok", "error"}
    if bad:
        raise RunSchemaError(f"column 'status' holds {sorted(bad)}; only 'ok' and 'error'")
    versions = set(table.column("schema_version").to_pylist())
    if versions - {SCHEMA_VERSION}:
        raise RunSchemaError(f"rows of schema version {sorted(versions)}; this minplus reads "
                             f"version {SCHEMA_VERSION}")
    ok = pc.equal(table.column("status"), "ok")
    if table.filter(ok).column("regions").null_count:
        raise RunSchemaError("an 'ok' row has no regions")
