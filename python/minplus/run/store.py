"""The run folder: a manifest, Parquet part files committed by atomic rename, and a commit log.

Layout::

    OUT/run.json        the manifest: format, schema version, the run's arguments and their
                        fingerprint, the metadata columns' types
    OUT/parts/part-NNNNNN.parquet    committed rows (one file per batch of rows)
    OUT/commits.jsonl   one JSON line per committed part: file, rows, first/last index, sha256

Why rename is the commit: a part is written under a temporary name, flushed, then renamed into
``parts/`` (atomic on POSIX), so ``parts/*.parquet`` only ever holds whole, committed files and
any reader (pandas, pyarrow, duckdb) sees each row once, even while a run is going or after it
was killed. The commit log is appended after the rename; a kill between the two leaves a part
without its log line, which :meth:`RunStore.open` finds and logs. A kill anywhere else leaves
at most a temporary file, which is deleted. Resuming reads the ``id`` column of every part and
skips those ids: no row is lost, none duplicated.
"""

from __future__ import annotations

import base64
import glob
import hashlib
import json
import os
import time

from .errors import RunMismatchError, RunStoreError
from .schema import SCHEMA_VERSION, run_schema, validate_table

FORMAT = "minplus-run"
MANIFEST, LOG, PARTS = "run.json", "commits.jsonl", "parts"


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(os.path.dirname(os.path.abspath(path)))


def _schema_bytes(schema) -> str:
    return base64.b64encode(schema.serialize().to_pybytes()).decode()


def _schema_of(text: str):
    import pyarrow as pa

    return pa.ipc.read_schema(pa.py_buffer(base64.b64decode(text)))


def fingerprint(spec: dict) -> str:
    """sha256 of the canonical JSON of a run's arguments."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


class RunStore:
    """One run folder, open for appending committed parts.

    Use :meth:`open`; then :attr:`done_ids` are the ids already committed, :meth:`commit`
    writes one part.

    Attributes
    ----------
    path : str
    spec : dict
        The run's arguments, as recorded in run.json.
    meta_schema : pyarrow.Schema
        Metadata columns (without the ``meta_`` prefix).
    schema : pyarrow.Schema
        The full row schema.
    done_ids : set of str
    rows : int
        Rows committed so far.
    """

    def __init__(self, path: str, spec: dict, meta_schema):
        self.path, self.spec, self.meta_schema = path, spec, meta_schema
        self.schema = run_schema(meta_schema)
        self.done_ids: set = set()
        self.rows = 0
        self._next_part = 0

    @classmethod
    def open(cls, path: str, spec: dict, meta_schema) -> "RunStore":
        """Create the run folder, or reopen one made with the same ``spec``.

        Raises
        ------
        RunMismatchError
            ``path`` holds a run of other arguments (the differing keys are named).
        RunStoreError
            ``path`` is a non-empty folder that is not a run, or its parts are unreadable.
        """
        os.makedirs(os.path.join(path, PARTS), exist_ok=True)
        manifest_path = os.path.join(path, MANIFEST)
        if os.path.exists(manifest_path):
            with open(manifest_path) as f:
                manifest = json.load(f)
            _check_same(path, manifest, spec)
            meta_schema = _schema_of(manifest["meta_schema"])
        else:
            stray = [n for n in os.listdir(path)
                     if n != PARTS and not n.startswith(".") and ".tmp-" not in n]
            if stray or os.listdir(os.path.join(path, PARTS)):
                raise RunStoreError(f"{path!r} is not empty and holds no {MANIFEST}: not a "
                                    f"minplus run (found {sorted(stray)[:5]})")
            manifest = {"format": FORMAT, "schema_version": SCHEMA_VERSION,
                        "fingerprint": fingerprint(spec), "spec": spec,
                        "meta_types": {f.name: str(f.type) for f in meta_schema},
                        "meta_schema": _schema_bytes(meta_schema),
                        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            _write_atomic(manifest_path, json.dumps(manifest, indent=1).encode())
        store = cls(path, spec, meta_schema)
        store._recover()
        return store

    @property
    def parts_dir(self) -> str:
        return os.path.join(self.path, PARTS)

    def _recover(self) -> None:
        """Delete temporary files, log parts renamed but not logged, load the committed ids."""
        import pyarrow.parquet as pq

        for tmp in glob.glob(os.path.join(self.parts_dir, ".*.tmp*")):
            os.remove(tmp)
        log = read_log(self.path)
        logged = {entry["part"] for entry in log}
        parts = sorted(os.path.basename(p) for p in glob.glob(os.path.join(self.parts_dir,
                                                                           "part-*.parquet")))
        missing = logged - set(parts)
        if missing:
            raise RunStoreError(f"{self.path!r}: the commit log names parts that are gone: "
                                f"{sorted(missing)[:5]}")
        unlogged = [p for p in parts if p not in logged]
        for name in parts:
            try:
                ids = pq.read_table(os.path.join(self.parts_dir, name),
                                    columns=["id", "index"])
            except Exception as e:  # a committed part is whole by construction: say so loudly
                raise RunStoreError(f"{self.path!r}: part {name} is unreadable: {e}") from e
            self.done_ids.update(ids.column("id").to_pylist())
            self.rows += ids.num_rows
            if name in unlogged:
                log.append(_log_entry(os.path.join(self.parts_dir, name), ids, recovered=True))
        if unlogged or _log_is_torn(self.path):
            _write_atomic(os.path.join(self.path, LOG),
                          "".join(json.dumps(e) + "\n" for e in log).encode())
        if self.rows != len(self.done_ids):
            raise RunStoreError(f"{self.path!r}: {self.rows} rows but {len(self.done_ids)} "
                                "distinct ids: parts overlap")
        self._next_part = 1 + max((int(p[5:11]) for p in parts), default=-1)

    def commit(self, table) -> str:
        """Validate ``table`` against the schema and commit it as the next part; returns its
        file name."""
        import pyarrow.parquet as pq

        validate_table(table, self.meta_schema)
        name = f"part-{self._next_part:06d}.parquet"
        final = os.path.join(self.parts_dir, name)
        tmp = os.path.join(self.parts_dir, f".{name}.tmp-{os.getpid()}")
        pq.write_table(table, tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, final)  # the commit point
        _fsync_dir(self.parts_dir)
        entry = _log_entry(final, table)
        with open(os.path.join(self.path, LOG), "a") as f:
            f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self._next_part += 1
        self.done_ids.update(table.column("id").to_pylist())
        self.rows += table.num_rows
        return name


def _log_entry(path: str, table, recovered: bool = False) -> dict:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    index = table.column("index").to_pylist()
    entry = {"part": os.path.basename(path), "rows": table.num_rows,
             "first_index": min(index), "last_index": max(index), "sha256": h.hexdigest(),
             "committed": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if recovered:
        entry["recovered"] = True
    return entry


def read_log(path: str) -> list[dict]:
    """The commit log's entries; a torn last line (a kill mid-append) is left out."""
    log_path = os.path.join(path, LOG)
    if not os.path.exists(log_path):
        return []
    entries = []
    with open(log_path) as f:
        for line in f:
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                break
    return entries


def _log_is_torn(path: str) -> bool:
    log_path = os.path.join(path, LOG)
    if not os.path.exists(log_path):
        return False
    with open(log_path, "rb") as f:
        data = f.read()
    return bool(data) and (not data.endswith(b"\n") or len(read_log(path)) != data.count(b"\n"))


def _check_same(path: str, manifest: dict, spec: dict) -> None:
    if manifest.get("format") != FORMAT:
        raise RunStoreError(f"{path!r}: {MANIFEST} is not a minplus run manifest")
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise RunMismatchError(f"{path!r} holds a run of schema version "
                               f"{manifest.get('schema_version')}; this minplus writes version "
                               f"{SCHEMA_VERSION}: use another --out")
    if manifest["fingerprint"] == fingerprint(spec):
        return
    old = manifest.get("spec", {})
    keys = sorted(k for k in set(old) | set(spec) if old.get(k) != spec.get(k))
    diffs = "; ".join(f"{k}: {old.get(k)!r} then, {spec.get(k)!r} now" for k in keys)
    raise RunMismatchError(f"{path!r} holds a run made with other arguments ({diffs}): resume "
                           "with the same arguments, or write to another folder")


def read_run(path: str, columns=None):
    """The committed rows of the run at ``path`` as a ``pyarrow.Table``, sorted by ``index``.

    Parameters
    ----------
    path : str
        The run folder (``--out``).
    columns : list of str, optional
        Read only these (``index`` is added for the order).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not os.path.exists(os.path.join(path, MANIFEST)):
        raise RunStoreError(f"{path!r} holds no {MANIFEST}: not a minplus run")
    with open(os.path.join(path, MANIFEST)) as f:
        schema = run_schema(_schema_of(json.load(f)["meta_schema"]))
    want = None if columns is None else list(dict.fromkeys(["index", *columns]))
    parts = sorted(glob.glob(os.path.join(path, PARTS, "part-*.parquet")))
    tables = [pq.read_table(p, columns=want) for p in parts]
    if not tables:
        empty = schema if want is None else pa.schema([schema.field(c) for c in want])
        return empty.empty_table()
    table = pa.concat_tables(tables)
    return table.sort_by("index")
