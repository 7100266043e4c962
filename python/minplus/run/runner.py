"""``minplus.run``: explain a whole dataset into a resumable Parquet run folder.

Resume mechanism, for every engine: minplus's own commit log (:mod:`minplus.run.store`), not
Ray's job checkpointing. The driver lists the input, skips the ids already committed, hands the
rest to the engine and commits the rows it gets back in parts, each by an atomic rename. So a
run killed under any engine resumes under any other, into the same files, with one code path
to test. Ray's ``CheckpointConfig`` is beta, writes its own checkpoint files beside the output,
and its file sink's two-phase commit covers one write job, not a kill between jobs; our log is
exactly-once by construction and also serves the local and process-pool engines.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from ..arguments import choice
from ..errors import ArgumentError, MissingDependencyError
from .errors import RunInputError
from .engines import local_rows, pool_rows, ray_rows
from .inputs import open_input
from .spec import RunConfig
from .store import RunStore, read_run

ENGINES = ("local", "ray")


@dataclass
class RunSummary:
    """What :func:`run` did.

    Attributes
    ----------
    path : str
        The run folder.
    rows : int
        Rows committed in the folder (this call's and earlier ones').
    written : int
        Rows this call wrote.
    skipped : int
        Input items already committed by an earlier call (resumed past).
    errors : int
        Error rows this call wrote.
    seconds : float
        Wall time of this call.
    engine : str
    """

    path: str
    rows: int
    written: int
    skipped: int
    errors: int
    seconds: float
    engine: str

    def read(self, columns=None):
        """The run's rows as a ``pyarrow.Table`` sorted by ``index`` (see :func:`read_run`)."""
        return read_run(self.path, columns)

    def to_pandas(self):
        """The run's rows as a pandas DataFrame, sorted by ``index``."""
        return self.read().to_pandas()


def run(images, model, decision=None, *, out, reference=None, regions="face68",
        face_box="detect", baseline="blur", mode="exact", goal="both", budget=None,
        methods=(), metrics=(), point_at=None, save_maps=False, preprocess="unit",
        engine="local", workers=None, address=None, num_gpus=None, part_rows=32,
        image_column=None, id_column="id", progress=True) -> RunSummary:
    """Explain every image of a dataset into a resumable Parquet run folder, one row each.

    Run the same call again after any interruption (even SIGKILL) and it continues where the
    committed rows end; the final rows equal an uninterrupted run's. A failing image (unreadable,
    no face, the model raising) becomes an error row and the run goes on.

    Parameters
    ----------
    images : str, os.PathLike or iterable
        A folder, a glob, a ``.txt`` list of paths, a ``.csv``/``.parquet`` table (paths or
        image bytes, plus metadata columns), or an iterable of ``(id, image[, metadata])``
        (see :func:`minplus.run.inputs.open_input`).
    model : str, callable or Model
        A spec string as ``minplus explain --model`` takes (``dlib-verify``, ``PATH.onnx``,
        ``module:factory``), a factory ``() -> model`` (called once in each worker), or a model
        adapter / scoring function (the local engine; other engines pickle it).
    decision : Decision or str, optional
        A Decision, or a ``--decision`` spec (``verify:0.6``, ``class``, ...). Default:
        verification against ``reference`` when given, else the top class.
    out : str
        The run folder: created, or resumed when it holds a run of the same arguments.
    reference : str or ndarray, optional
        Reference face for verification (image file, ``sample:NAME`` or an array).
    regions, face_box, baseline, mode, goal, budget :
        As :func:`minplus.explain` and :func:`minplus.parse_regions` take them (``face_box``
        for face regions only; "full" for images that are already face crops).
    methods : list of str
        Saliency methods by ``--methods`` name (e.g. "region-occlusion", "shapley"); their
        region values go in the ``saliency`` column.
    metrics : list of str
        Metrics of each explanation by name, as ``minplus explain --metrics`` takes them
        (:data:`minplus.metrics.EXPLANATION_METRICS`: "deletion", "insertion", "robustness",
        and "pointing", "energy_pointing", "relevance_mass" with ``point_at``); their values
        go in the ``metrics`` column.
    point_at : str or list of str, optional
        Region names the localisation metrics expect a map to point at.
    save_maps : bool
        Keep each method's (H, W) float32 pixel map in the row.
    preprocess : {"unit", "imagenet", "raw"}
        Input normalisation of ONNX/torch models.
    engine : {"local", "ray"}
        "local" (default) runs here, or in ``workers`` processes when workers > 1; "ray" runs
        Ray Data actors (``workers`` of them, default 2), on ``address`` or a local Ray.
    num_gpus : float, optional
        GPUs per Ray actor.
    part_rows : int
        Rows per committed part file: the most work a kill can lose, and the rows held in
        memory.
    image_column, id_column : str, optional
        Table inputs: the column of paths or image bytes, and of ids.
    progress : bool
        A tqdm bar over images, with rate and ETA.

    Returns
    -------
    RunSummary

    Raises
    ------
    RunMismatchError
        ``out`` holds a run made with other arguments.
    RunInputError
        The input cannot be listed, or holds an id twice.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from minplus.models import Threshold
    >>> img = np.zeros((4, 4, 3), np.uint8); img[:2] = 200
    >>> items = [("top", img, {"group": "x"}), ("bottom", img[::-1], {"group": "y"})]
    >>> done = run(items, lambda x: x.mean(axis=(1, 2, 3))[:, None], Threshold(50.0),
    ...            out=tempfile.mkdtemp(), regions="grid:2x1", baseline="black", progress=False)
    >>> [(r["id"], r["min_plus"], r["meta_group"]) for r in done.read().to_pylist()]
    [('top', [['r0c0']], 'x'), ('bottom', [['r1c0']], 'y')]
    """
    choice("engine", engine, ENGINES)
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ArgumentError(f"workers must be an int >= 1, got {workers!r}")
    if not isinstance(part_rows, int) or part_rows < 1:
        raise ArgumentError(f"part_rows must be an int >= 1, got {part_rows!r}")
    if reference is not None and decision is not None and not isinstance(decision, str):
        raise ArgumentError("give reference= (for verification) or a Decision, not both: use "
                            "decision=Verification(reference, ...)")
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise MissingDependencyError("dataset runs write Parquet with pyarrow: pip install "
                                     "'minplus[ray]'") from None
    started = time.perf_counter()
    listed = open_input(images, image_column=image_column, id_column=id_column)
    config = RunConfig(model=model, decision=decision, reference=reference, regions=regions,
                       face_box=face_box, baseline=baseline, mode=mode, goal=goal,
                       budget=budget, methods=list(methods), metrics=_metric_names(metrics),
                       point_at=[point_at] if isinstance(point_at, str) else point_at,
                       save_maps=bool(save_maps), preprocess=preprocess,
                       meta_schema=listed.meta_schema)
    store = RunStore.open(os.fspath(out), config.fingerprint_spec(listed.spec),
                          listed.meta_schema)
    config.meta_schema = store.meta_schema  # the types run.json fixed when the run began
    skipped = [0]
    pending = _pending(listed.items, store.done_ids, skipped)
    if engine == "ray":
        rows = ray_rows(config, pending, workers or 2, address, num_gpus)
    elif workers and workers > 1:
        rows = pool_rows(config, pending, workers)
    else:
        rows = local_rows(config, pending)
    written, errors = _commit_all(store, rows, part_rows, listed.total, progress)
    return RunSummary(os.fspath(out), store.rows, written, skipped[0], errors,
                      time.perf_counter() - started,
                      engine if engine == "ray" or not workers or workers == 1
                      else f"pool:{workers}")


def _metric_names(metrics) -> list[str]:
    """``metrics`` as a list of known names, checked before any image is explained."""
    names = [m.strip() for m in metrics.split(",") if m.strip()] if isinstance(metrics, str) \
        else list(metrics)
    if names:
        from ..metrics import EXPLANATION_METRICS

        unknown = [m for m in names if m not in EXPLANATION_METRICS]
        if unknown:
            raise ArgumentError(f"unknown metrics {unknown}; known: {list(EXPLANATION_METRICS)}")
    return names


def _pending(items, done_ids: set, skipped: list):
    """The items whose id is not committed yet; an id seen twice in the input is refused."""
    seen = set()
    for item in items:
        if item.id in seen:
            raise RunInputError(f"the input holds id {item.id!r} twice (items {item.index} and "
                                "an earlier one): ids name the rows a run resumes by")
        seen.add(item.id)
        if item.id in done_ids:
            skipped[0] += 1
            continue
        yield item


def _commit_all(store, rows, part_rows: int, total, progress: bool) -> tuple[int, int]:
    """Commit ``rows`` in parts of ``part_rows``; returns (rows written, error rows)."""
    import pyarrow as pa
    from tqdm.auto import tqdm

    done = len(store.done_ids)
    written = errors = 0
    buffer: list = []
    with tqdm(total=total, initial=done, unit="image", desc="minplus run",
              disable=not progress) as bar:
        try:
            for row in rows:
                buffer.append(row)
                errors += row["status"] == "error"
                bar.update(1)
                if len(buffer) >= part_rows:
                    store.commit(pa.Table.from_pylist(buffer, schema=store.schema))
                    written += len(buffer)
                    buffer = []
        except KeyboardInterrupt:  # rows already made are kept; the next call resumes
            if buffer:
                store.commit(pa.Table.from_pylist(buffer, schema=store.schema))
            raise
        if buffer:
            store.commit(pa.Table.from_pylist(buffer, schema=store.schema))
            written += len(buffer)
    return written, errors
