"""Engines: who explains the pending items. Each yields rows in input order.

* ``local``: this process, one model, nothing to start.
* ``pool`` (``workers=N``): N spawned processes, each loading the model once (spawn, not fork:
  the native core, onnxruntime and torch keep threads that fork would copy half-made). At most
  2N items are in flight, so memory follows N, not the dataset.
* ``ray``: Ray Data ``map_batches`` over a pool of actors, one model replica each
  (``num_gpus`` per actor where GPUs are present). The driver streams the rows back and commits
  them through the same store as the other engines; see :mod:`minplus.run.runner` for why.
"""

from __future__ import annotations

import pickle
from collections import deque

from .work import Explainer


def local_rows(config, items):
    """Rows of ``items``, explained in this process."""
    explainer = Explainer(config)
    for item in items:
        yield explainer.row(item)


_WORKER: dict = {}


def _start_worker(config) -> None:
    try:
        _WORKER["explainer"] = Explainer(config)
    except Exception as e:  # raised again with the first item, where the driver sees it
        _WORKER["error"] = e


def _worker_row(item) -> dict:
    if "error" in _WORKER:
        raise _WORKER["error"]
    return _WORKER["explainer"].row(item)


def pool_rows(config, items, workers: int):
    """Rows of ``items``, explained by ``workers`` processes, in input order."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=(config,)) as pool:
        window: deque = deque()
        for item in items:
            window.append(pool.submit(_worker_row, item))
            if len(window) >= 2 * workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()


class RayExplainer:
    """The Ray actor of :func:`ray_rows`: one model replica; a batch of pickled items in,
    a batch of pickled rows out (pickled so Ray never re-infers the nested row schema)."""

    def __init__(self, config):
        self.explainer = Explainer(config)

    def __call__(self, batch: dict) -> dict:
        import numpy as np

        rows = [pickle.dumps(self.explainer.row(pickle.loads(blob))) for blob in batch["item"]]
        return {"row": np.array(rows, dtype=object)}


def ray_rows(config, items, workers: int, address: str | None = None,
             num_gpus: float | None = None, batch_size: int = 4):
    """Rows of ``items``, explained by ``workers`` Ray actors, in input order.

    Connects to ``address`` (or starts a local Ray) unless Ray is already initialised.
    The pending items are listed on the driver first (Ray Data builds its dataset from them);
    for files and table rows that is their paths, for an in-memory iterable its arrays.
    """
    import ray

    if not ray.is_initialized():
        ray.init(address=address, log_to_driver=False)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False  # the run shows one bar, over images
    pending = [{"item": pickle.dumps(item)} for item in items]
    if not pending:
        return
    ds = ray.data.from_items(pending).map_batches(
        RayExplainer, fn_constructor_kwargs={"config": config}, batch_size=batch_size,
        compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=1, num_gpus=num_gpus or 0,
        batch_format="numpy")
    for record in ds.iter_rows():
        yield pickle.loads(record["row"])
