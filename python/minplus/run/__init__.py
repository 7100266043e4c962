"""Dataset runs: explain every image of a dataset into a resumable, versioned Parquet folder.

``minplus.run(images, model, ..., out="run/")`` (this module is callable: it is
:func:`~minplus.run.runner.run`) writes one row per image; ``minplus.run.read_run("run/")``
reads them back sorted by input order. The columns are documented in ``schema.json`` beside this
file (:data:`SCHEMA_VERSION`); :func:`validate_table` checks a table against them.

Modules: ``inputs`` (what is explained), ``spec`` (the picklable arguments), ``work`` (one
image's row), ``engines`` (local, process pool, Ray), ``store`` (part files, commit log,
resume), ``runner`` (the driver), ``cli`` (``minplus run``).
"""

import sys
import types

from .errors import RunInputError, RunMismatchError, RunSchemaError, RunStoreError
from .inputs import Item, open_input
from .runner import RunSummary, run
from .schema import SCHEMA_VERSION, TIMING_COLUMNS, base_schema, run_schema, validate_table
from .spec import RunConfig
from .store import read_log, read_run

__all__ = ["run", "read_run", "read_log", "RunSummary", "RunConfig", "Item", "open_input",
           "SCHEMA_VERSION", "TIMING_COLUMNS", "base_schema", "run_schema", "validate_table",
           "RunMismatchError", "RunStoreError", "RunSchemaError", "RunInputError"]


class _CallableModule(types.ModuleType):
    """``minplus.run`` is both this package and the function: ``minplus.run(...)`` calls
    :func:`run`, while ``minplus.run.read_run`` and the submodules stay reachable (a function
    exported under the package's own name would hide them)."""

    def __call__(self, *args, **kwargs) -> RunSummary:
        return run(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
