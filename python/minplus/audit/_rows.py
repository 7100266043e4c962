"""A run's rows as the audits read them: the Parquet part files of a dataset run (or a table),
the ok rows, one region vocabulary."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field

import numpy as np

from ..errors import AuditError  # noqa: F401  (re-exported)


META_PREFIX = "meta_"


@dataclass
class Rows:
    """The ok rows of one run, with what they share.

    Attributes
    ----------
    regions : list of str
        The region names every row uses (bit r / entry r).
    rows : list of dict
        One dict per ok row, in input order (``index``).
    errors : int
        Rows whose image failed.
    spec : dict
        model, decision, regions_spec, baseline, mode of the run (from its first row).
    source : str
        Where the rows came from.
    """

    regions: list
    rows: list
    errors: int = 0
    spec: dict = field(default_factory=dict)
    source: str = ""

    def __len__(self):
        return len(self.rows)

    @property
    def meta_keys(self) -> list:
        """The run's metadata columns, without their ``meta_`` prefix."""
        keys = self.rows[0].keys() if self.rows else []
        return [k[len(META_PREFIX):] for k in keys if k.startswith(META_PREFIX)]

    def column(self, key: str) -> list:
        """Values of a column (``meta_`` prefix optional for metadata) for every ok row."""
        name = key if not self.rows or key in self.rows[0] else META_PREFIX + key
        if self.rows and name not in self.rows[0]:
            raise AuditError(f"no column {key!r} in the run; metadata columns: {self.meta_keys}")
        return [r[name] for r in self.rows]

    def methods(self) -> list:
        """Saliency methods present in the rows, in first-seen order."""
        seen = {}
        for r in self.rows:
            for s in r.get("saliency") or []:
                seen.setdefault(s["method"], None)
        return list(seen)

    def region_values(self, method: str) -> np.ndarray:
        """(N, n) float64 region values of ``method`` per ok row (NaN where a row lacks it)."""
        out = np.full((len(self.rows), len(self.regions)), np.nan)
        for i, r in enumerate(self.rows):
            for s in r.get("saliency") or []:
                if s["method"] == method and s.get("region_values") is not None:
                    out[i] = s["region_values"]
        return out

    def membership(self, kind: str) -> np.ndarray:
        """(N, n) 1.0 where a region belongs to some ``kind`` ("min_plus" or "min_minus") set
        of the row (any of its tied minimum sets), else 0.0; NaN where not searched. A region
        in some Min+ set is part of a smallest sufficient set; in some Min- set, part of a
        smallest set whose removal breaks the decision."""
        out = np.full((len(self.rows), len(self.regions)), np.nan)
        index = {name: j for j, name in enumerate(self.regions)}
        for i, r in enumerate(self.rows):
            sets = r.get(kind)
            if sets is None:
                continue
            out[i] = 0.0
            for s in sets:
                for name in s:
                    out[i, index[name]] = 1.0
        return out


def _read_table(source):
    import pyarrow as pa
    import pyarrow.parquet as pq

    if isinstance(source, pa.Table):
        return source, "a table"
    path = os.fspath(source)
    if os.path.isfile(path):
        return pq.read_table(path), path
    if not os.path.isdir(path):
        raise AuditError(f"no run at {path!r}: expected a run folder or a Parquet file")
    try:
        from ..run import read_run  # the run store's own reader knows its commit log
    except ImportError:
        read_run = None
    if read_run is not None:
        return read_run(path), path
    files = sorted(f for f in glob.glob(os.path.join(path, "parts", "*.parquet"))
                   if not os.path.basename(f).startswith("."))
    if not files:
        raise AuditError(f"no Parquet part files under {os.path.join(path, 'parts')!r}")
    return pa.concat_tables([pq.read_table(f) for f in files]), path


def load_rows(run) -> Rows:
    """The ok rows of ``run``: a run folder, a Parquet file, a pyarrow Table or a :class:`Rows`.

    Raises :class:`AuditError` when no row is ok or rows disagree on the region names.
    """
    if isinstance(run, Rows):
        return run
    table, source = _read_table(run)
    rows = table.to_pylist()
    if rows and "index" in rows[0]:
        rows.sort(key=lambda r: r["index"])
    ok = [r for r in rows if r.get("status", "ok") == "ok"]
    if not ok:
        raise AuditError(f"{source}: no row explained an image ({len(rows)} rows, all errors)")
    regions = list(ok[0]["regions"])
    for r in ok:
        if list(r["regions"]) != regions:
            raise AuditError(f"{source}: rows use different region sets ({regions} and "
                             f"{list(r['regions'])}); audit one region spec at a time")
    spec = {k: ok[0].get(k) for k in ("model", "decision", "regions_spec", "baseline", "mode")}
    return Rows(regions, ok, len(rows) - len(ok), spec, source)
