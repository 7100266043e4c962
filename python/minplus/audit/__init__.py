"""Audits of dataset runs: what a model relies on across a run and per group
(:func:`summarise`), on a canonical face (:func:`canonical_map`), how it drifted between two runs
(:func:`compare`), and the dataset report (:func:`dataset_report`). They read the run's Parquet
rows and never re-run a model."""

from ._canonical import CanonicalMap, canonical_map
from ._compare import Drift, compare
from ._report import dataset_report
from ._rows import AuditError, Rows, load_rows
from ._summarise import GroupTable, Reliance, Summary, summarise

__all__ = ["summarise", "Summary", "Reliance", "GroupTable", "canonical_map", "CanonicalMap",
           "compare", "Drift", "dataset_report", "load_rows", "Rows", "AuditError"]
