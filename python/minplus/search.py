"""The search driver: ask -> render -> model -> decide -> tell, until the lattice search is done.

Per batch, Python does one :meth:`minplus.evaluate.Evaluation.scores` call (the one evaluation
loop: render into the model's input, run the model), one decision call and two engine calls;
nothing is done per query.
"""

from __future__ import annotations

import time

from tqdm.auto import tqdm

from .arguments import integer
from .errors import ArgumentError, ModelError, RegionError
from .lattice import LatticeSearch
from .evaluate import evaluation
from .models.decision import as_decision
from .search_options import SearchOptions
from .search_result import SearchResult, checked_names

AUTO_MAX_BATCH = 1024


class SearchInterrupted(ModelError):
    """The model failed mid-search (raised, NaN/inf, wrong shape). ``partial`` holds the
    :class:`SearchResult` proven up to the last batch told; the model's error is the cause."""

    def __init__(self, message: str, partial: SearchResult):
        super().__init__(message)
        self.partial = partial


class _AutoBatch:
    """Picks the batch size by measurement: doubles from 1 while the model's throughput (masks
    per second of render + model + decision) improves by more than 5%, going on past one size
    that does not, then keeps the best. A size whose first batch is 1.5x faster than the best
    so far is taken at once; otherwise it gets the best of three batches, since other work on
    the machine only ever slows a batch down. Larger is not assumed better: CPU models often
    slow down past a modest batch. Every mask measured is a useful query."""

    def __init__(self, cap: int = AUTO_MAX_BATCH, patience: int = 2, samples: int = 3):
        self.size, self.best, self.best_rate, self.cap = 1, 1, 0.0, cap
        self.settled = False
        self.patience, self.misses = patience, 0
        self.samples, self.rates = samples, []

    def record(self, count: int, seconds: float) -> None:
        if self.settled or count != self.size:  # a short batch (level end) says nothing
            return
        self.rates.append(count / max(seconds, 1e-9))
        if self.rates[-1] < 1.5 * self.best_rate and len(self.rates) < self.samples:
            return
        rate, self.rates = max(self.rates), []
        if rate > 1.05 * self.best_rate:
            self.best, self.best_rate, self.misses = self.size, rate, 0
        else:
            self.misses += 1
        if self.misses < self.patience and self.size * 2 <= self.cap:
            self.size *= 2
        else:
            self.size, self.settled = self.best, True


def search(model_fn, masker, decision, goal: str = "both", mode: str = "exact",
           batch_size="auto", budget=None, max_size=None, first_only: bool = False, prior=None,
           beam=None, progress: bool = True, names=None, audit: int = 16,
           render: str = "image", options=None) -> SearchResult:
    """Find Min+ (smallest kept region sets that preserve the model's decision) and Min-
    (smallest removed region sets that change it) for one image.

    Parameters
    ----------
    model_fn : callable, minplus.models.Model or minplus.evaluate.Evaluation
        ``fn(images (B, H, W, C) in the image's dtype) -> scores (B, D)``, a model adapter, or
        an Evaluation of a model on this ``masker`` (whose ``original`` then binds the decision).
    masker : minplus.Masker
        The image, its n regions (1 <= n <= 64) and the baseline that masked pixels show.
    decision : callable or minplus.models.Decision
        Bound to the scores of the unmasked image ``masker.image`` first, then
        ``decision(scores (B, D)) -> (B,) bool``: True where the decision is preserved.
    goal, mode, budget, max_size, first_only, prior, beam, audit :
        As for :class:`minplus.LatticeSearch`.
    options : minplus.SearchOptions, optional
        The same options in one object, instead of one by one (giving both is refused).
    batch_size : "auto" or int
        Masks per batch. "auto" measures throughput over the first batches, doubling from 1
        while it improves, and keeps the best size. A plain callable is called once per batch;
        an adapter is handed whole batches and splits them by its own ``batch_size``.
    render : {"image", "frame"}
        For a model that binds a geometric frame: mask at the image's resolution, or render in
        the model's frame (see :mod:`minplus.evaluate`).
    progress : bool
        Show a tqdm bar of queries.
    names : list of str, optional
        Region names (default "r0".."r{n-1}").

    Returns
    -------
    SearchResult

    Raises
    ------
    SearchInterrupted
        (a ModelError) when the model raises or returns NaN/inf mid-search; ``.partial`` holds
        the result so far. A KeyboardInterrupt is re-raised with the same ``.partial`` attribute.

    Examples
    --------
    >>> import numpy as np, minplus
    >>> img = np.zeros((8, 8, 3), np.uint8); img[:, :4] = 255
    >>> labels = np.repeat(np.arange(4), 16).reshape(8, 8).astype(np.int32)  # 4 bands of 2 rows
    >>> masker = minplus.Masker(img, labels, baseline="black")
    >>> brightness = lambda x: x.mean(axis=(1, 2, 3))
    >>> r = minplus.search(brightness, masker, lambda s: s[:, 0] > 60, progress=False,
    ...                    names=["a", "b", "c", "d"])
    >>> r.min_plus_names
    [['a', 'b'], ['a', 'c'], ['b', 'c'], ['a', 'd'], ['b', 'd'], ['c', 'd']]
    >>> r.min_minus_size, r.min_minus_names[0]
    (3, ['a', 'b', 'c'])
    """
    t_start = time.perf_counter()
    if getattr(masker, "n", 0) < 1:
        raise RegionError("masker must have at least one region, got "
                          f"n={getattr(masker, 'n', None)}")
    n = masker.n
    names = checked_names(names, n)
    if not (isinstance(batch_size, str) and batch_size == "auto"):
        if isinstance(batch_size, str):
            raise ArgumentError(f"batch_size must be 'auto' or an int >= 1, got {batch_size!r}")
        batch_size = integer("batch_size", batch_size, lo=1)
    options = SearchOptions.from_call(options, goal=goal, mode=mode, max_size=max_size,
                                      budget=budget, first_only=first_only, prior=prior,
                                      beam=beam, audit=audit)
    engine = LatticeSearch(n, options)  # refuses an infeasible search before any model call
    decide = as_decision(decision)
    sizer = _AutoBatch() if batch_size == "auto" else None
    fixed = None if sizer else int(batch_size)

    t = time.perf_counter()
    # A plain callable is called once per batch, so the batch size is the model's.
    ev = evaluation(model_fn, masker, render)
    if fixed:  # "auto" grows its batch by doubling, so its buffers grow geometrically anyway
        ev.reserve(min(fixed, 1 << min(n, 20)))
    decide.bind(ev.original)
    model_seconds = time.perf_counter() - t

    def partial() -> SearchResult:
        return engine.result(names, model_seconds, time.perf_counter() - t_start)

    bar = tqdm(total=None, unit="query", disable=not progress, desc=f"minplus {options.mode}")
    try:
        while not engine.done():
            work = engine.work
            masks = engine.ask(sizer.size if sizer else fixed)
            if len(masks) == 0:
                # Every engine call is bounded: an empty batch means its walk yielded (or settled
                # the rest), so ask again; Ctrl-C is seen here. Only one that did no work is stuck.
                if engine.work == work and not engine.done():
                    raise RuntimeError("the lattice search asked for nothing, did no work and "
                                       "is not done")
                continue
            t = time.perf_counter()
            preserved = decide(ev.scores(masks))
            dt = time.perf_counter() - t
            model_seconds += dt
            if sizer:
                sizer.record(len(masks), dt)
            engine.tell(masks, preserved)
            bar.update(len(masks))
    except ModelError as e:
        raise SearchInterrupted(f"search stopped after {engine.queries} queries: {e}",
                                partial()) from e
    except KeyboardInterrupt as e:
        e.partial = partial()
        raise
    finally:
        bar.close()
    return partial()
