"""What a dataset run explains: a stream of :class:`Item`, each an id, an image source and
metadata.

Inputs (see :func:`open_input`): a folder (every image file under it), a glob, a text list of
paths, a CSV or Parquet table (a path or image-bytes column, an optional id column, every other
column metadata), or any iterable of ``(id, image)`` / ``(id, image, metadata)``. Items are
listed lazily and images decoded only by the worker that explains them, so memory follows the
batch, not the dataset.
"""

from __future__ import annotations

import glob
import hashlib
import io
import os
from dataclasses import dataclass, field

import numpy as np

from .errors import RunInputError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".ppm",
                    ".pgm")
TABLE_EXTENSIONS = (".csv", ".parquet", ".pq")
LIST_EXTENSIONS = (".txt", ".lst")
IMAGE_COLUMNS = ("path", "image", "file", "filename")  # looked for in this order
TABLE_BATCH = 1024  # table rows read at a time


@dataclass
class Item:
    """One image to explain.

    Attributes
    ----------
    index : int
        Position in the input (the rows' canonical order).
    id : str
        The image id a run resumes by.
    kind : {"path", "bytes", "array"}
    payload : str, bytes or ndarray
        The file path, the encoded image, or the pixels.
    metadata : dict
        Metadata columns (key -> scalar).
    """

    index: int
    id: str
    kind: str
    payload: object
    metadata: dict = field(default_factory=dict)

    @property
    def source(self) -> str:
        """The row's ``source`` column: the path, "bytes" or "memory"."""
        if self.kind == "path":
            return self.payload
        return "bytes" if self.kind == "bytes" else "memory"

    def load(self) -> tuple[np.ndarray, str]:
        """(image (H, W, 3) uint8 or the given array, sha256 hex of its content).

        Raises
        ------
        ImageReadError, ImageTooLargeError
            The file or bytes do not decode (see :func:`minplus.regions.image_file.read_image`).
        """
        from ..regions.image_file import read_image

        if self.kind == "array":
            a = np.ascontiguousarray(self.payload)
            h = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode())
            h.update(a.data)
            return a, h.hexdigest()
        if self.kind == "bytes":
            return read_image(io.BytesIO(self.payload)), hashlib.sha256(self.payload).hexdigest()
        image = read_image(self.payload)
        return image, _file_hash(self.payload)


def _file_hash(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class Input:
    """A listed input: its description (for the run's fingerprint), size and items.

    Attributes
    ----------
    spec : str
        What was given ("folder:/data/faces", "table:/data/faces.csv", "iterable", ...).
    total : int or None
        How many items, when known without iterating.
    meta_schema : pyarrow.Schema
        The metadata columns' names and types (without the ``meta_`` prefix).
    items : iterable of Item
    """

    spec: str
    total: int | None
    meta_schema: object
    items: object


def open_input(source, image_column: str | None = None, id_column: str | None = "id") -> Input:
    """List ``source`` as an :class:`Input`.

    Parameters
    ----------
    source : str, os.PathLike or iterable
        A folder, a glob pattern, a ``.txt``/``.lst`` list of paths (one a line, relative to
        the list's folder), a ``.csv``/``.parquet`` table, or an iterable of ``(id, image)`` or
        ``(id, image, metadata)`` where image is an (H, W[, C]) array, encoded bytes or a path.
    image_column : str, optional
        The table column holding paths (strings, relative to the table's folder) or image
        bytes (binary); default the first of "path", "image", "file", "filename".
    id_column : str, optional
        The table column of ids (default "id" when present; else the path, else "row-<n>").

    Raises
    ------
    RunInputError
        No such file or folder, no image column, an empty input.
    """
    if isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        if os.path.isdir(text):
            paths = sorted(p for p in glob.glob(os.path.join(text, "**", "*"), recursive=True)
                           if p.lower().endswith(IMAGE_EXTENSIONS) and os.path.isfile(p))
            ids = [os.path.relpath(p, text).replace(os.sep, "/") for p in paths]
            return _path_input(f"folder:{os.path.abspath(text)}", ids, paths)
        if glob.has_magic(text):
            paths = sorted(glob.glob(text, recursive=True))
            return _path_input(f"glob:{text}", paths, paths)
        if not os.path.isfile(text):
            raise RunInputError(f"no folder, file or glob match at {text!r}")
        lower = text.lower()
        if lower.endswith(TABLE_EXTENSIONS):
            return _table_input(text, image_column, id_column)
        if lower.endswith(LIST_EXTENSIONS):
            return _list_input(text)
        raise RunInputError(f"{text!r} is not a folder, glob, {'/'.join(LIST_EXTENSIONS)} list "
                            f"or {'/'.join(TABLE_EXTENSIONS)} table")
    return _iterable_input(source)


def _path_input(spec: str, ids: list, paths: list) -> Input:
    import pyarrow as pa

    if not paths:
        raise RunInputError(f"no image files in {spec}")
    items = (Item(i, str(id_), "path", p) for i, (id_, p) in enumerate(zip(ids, paths)))
    return Input(spec, len(paths), pa.schema([]), items)


def _list_input(path: str) -> Input:
    folder = os.path.dirname(os.path.abspath(path))
    with open(path) as f:
        lines = [line.strip() for line in f]
    ids = [line for line in lines if line and not line.startswith("#")]
    return _path_input(f"list:{os.path.abspath(path)}", ids,
                       [os.path.join(folder, i) for i in ids])


def _table_input(path: str, image_column, id_column) -> Input:
    import pyarrow as pa

    schema = _table_schema(path)
    names = schema.names
    column = image_column or next((c for c in IMAGE_COLUMNS if c in names), None)
    if column is None or column not in names:
        raise RunInputError(f"table {path!r} has no image column (looked for "
                            f"{image_column or ', '.join(IMAGE_COLUMNS)}; it has {names})")
    is_bytes = pa.types.is_binary(schema.field(column).type) or \
        pa.types.is_large_binary(schema.field(column).type)
    id_col = id_column if id_column in names else None
    meta = pa.schema([f for f in schema if f.name not in (column, id_col)])
    folder = os.path.dirname(os.path.abspath(path))

    def items():
        index = 0
        for batch in _table_batches(path):
            rows = batch.to_pylist()
            for row in rows:
                value = row[column]
                if id_col is not None:
                    id_ = str(row[id_col])
                else:
                    id_ = value if not is_bytes and value is not None else f"row-{index}"
                metadata = {f.name: row[f.name] for f in meta}
                if is_bytes:
                    yield Item(index, id_, "bytes", value or b"", metadata)
                else:
                    yield Item(index, id_, "path", os.path.join(folder, value or ""), metadata)
                index += 1

    return Input(f"table:{os.path.abspath(path)}", _table_rows(path), meta, items())


def _table_schema(path: str):
    import pyarrow.csv as csv
    import pyarrow.parquet as pq

    if path.lower().endswith(".csv"):
        with csv.open_csv(path) as reader:
            return reader.schema
    return pq.read_schema(path)


def _table_batches(path: str):
    import pyarrow.csv as csv
    import pyarrow.parquet as pq

    if path.lower().endswith(".csv"):
        with csv.open_csv(path) as reader:
            yield from reader
    else:
        yield from pq.ParquetFile(path).iter_batches(batch_size=TABLE_BATCH)


def _table_rows(path: str) -> int | None:
    import pyarrow.parquet as pq

    return None if path.lower().endswith(".csv") else pq.ParquetFile(path).metadata.num_rows


def _iterable_input(source) -> Input:
    import pyarrow as pa

    try:
        total = len(source)
    except TypeError:
        total = None
    it = iter(source)
    try:
        first = next(it)
    except StopIteration:
        raise RunInputError("the input iterable is empty") from None
    first_item = _item_of(0, first)
    # The metadata's Arrow types come from the first item: a run's schema is fixed up front.
    meta = pa.schema([pa.field(k, _arrow_type_of(v)) for k, v in first_item.metadata.items()])

    def items():
        yield first_item
        for index, entry in enumerate(it, start=1):
            yield _item_of(index, entry)

    return Input("iterable", total, meta, items())


def _arrow_type_of(value):
    import pyarrow as pa

    t = pa.array([value]).type
    return pa.string() if pa.types.is_null(t) else t


def _item_of(index: int, entry) -> Item:
    if not isinstance(entry, (tuple, list)) or len(entry) not in (2, 3):
        raise RunInputError(f"input item {index} must be (id, image) or (id, image, metadata), "
                            f"got {type(entry).__name__}")
    id_, image = entry[0], entry[1]
    metadata = dict(entry[2]) if len(entry) == 3 and entry[2] is not None else {}
    if isinstance(image, (bytes, bytearray, memoryview)):
        return Item(index, str(id_), "bytes", bytes(image), metadata)
    if isinstance(image, (str, os.PathLike)):
        return Item(index, str(id_), "path", os.fspath(image), metadata)
    return Item(index, str(id_), "array", np.asarray(image), metadata)
