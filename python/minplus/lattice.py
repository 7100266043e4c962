"""LatticeSearch: the validated Python face of the native ask/tell Min+/Min- engine.

The engine never calls the model: :meth:`LatticeSearch.ask` hands out kept-masks to evaluate and
:meth:`LatticeSearch.tell` takes back whether each preserved the decision of the unmasked image.
:func:`minplus.search` drives it with a model and a Masker; drive it yourself for anything else.
"""

from __future__ import annotations

import numpy as np

from . import _core
from .arguments import integer
from .core import MAX_REGIONS
from .errors import (ArgumentError, ArgumentTypeError, DTypeError, InfeasibleSearchError,
                     RegionError, ShapeError)
from .search_options import FIELD_NAMES, SearchOptions
from .search_result import SearchResult, checked_names

_UINT64_MAX = 2 ** 64 - 1


def native_options(n: int, options: SearchOptions):
    """The engine's option struct (``_core.LatticeOptions``) for n regions."""
    return _core.LatticeOptions(
        n=n, goal=_core.Goal.__members__[options.goal],
        mode=_core.SearchMode.__members__[options.mode],
        max_size=-1 if options.max_size is None else min(options.max_size, n),
        budget=options.budget or 0, first_only=options.first_only,
        prior=[] if options.prior is None else list(options.prior), beam=options.beam or 0,
        audit=options.audit)


def _refuse_if_infeasible(n: int, options: SearchOptions, native) -> None:
    f = _core.lattice_feasibility(native)
    if f.feasible:
        return
    limit = int(_core.LATTICE_MAX_UNPACED_SETS)
    # The engine's count saturates at 2^64 - 1 (every subset of 64 regions but one).
    sets = f"{'at least ' if f.unpaced_sets == _UINT64_MAX else ''}{f.unpaced_sets:,}"
    what = (f"mode={options.mode!r} with goal={options.goal!r} at n={n}"
            + ("" if options.max_size is None else f" and max_size={options.max_size}"))
    fixes = (f"{'lower' if options.max_size is not None else 'set'} max_size= "
             f"(max_size={f.largest_max_size} needs {f.sets_at_largest:,} sets) "
             f"or budget= (an anytime search, interruptible between calls)")
    if options.mode == "monotone":
        fixes += ", or audit= >= 1 so that queries pace the walk"
    raise InfeasibleSearchError(
        f"{what} may have to decide {sets} candidate sets by pruning alone, beyond the engine's "
        f"limit of {limit:,} (2^{limit.bit_length() - 1}): {fixes}")


def check_search(n: int, options: SearchOptions | None = None, **kwargs):
    """Check a search of ``n`` regions with ``options`` as :class:`LatticeSearch` would, without
    building its engine: (n, options, native options), or the same errors (an infeasible
    search raises InfeasibleSearchError). ``explain`` calls it before any model call.

    Examples
    --------
    >>> check_search(4, mode="exact")[0]
    4
    """
    n = integer("n", n)
    if not 1 <= n <= MAX_REGIONS:
        raise RegionError(f"n must be an int in [1, {MAX_REGIONS}], got {n!r}")
    unknown = sorted(set(kwargs) - set(FIELD_NAMES))
    if unknown:
        raise ArgumentTypeError(f"LatticeSearch got unknown option(s) {unknown}; "
                                f"the options are {list(FIELD_NAMES)}")
    options = SearchOptions.of(options, **kwargs)
    if options.prior is not None and len(options.prior) != n:
        raise ShapeError(f"prior must have shape (n,) = ({n},), got ({len(options.prior)},)")
    native = native_options(n, options)
    _refuse_if_infeasible(n, options, native)
    return int(n), options, native


def _checked_masks(masks, n: int) -> np.ndarray:
    arr = np.asarray(masks)
    if arr.ndim != 1:
        raise ShapeError(f"masks must be 1-D (B,), got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, np.uint64)
    if arr.dtype.kind == "O" and all(isinstance(m, (int, np.integer))
                                     and not isinstance(m, (bool, np.bool_)) for m in arr):
        bad = [m for m in arr if not 0 <= m <= _UINT64_MAX]
        if bad:
            raise RegionError(f"masks must be non-negative 64-bit ints, got {bad[0]!r}")
        arr = np.array([int(m) for m in arr], np.uint64)
    if arr.dtype.kind not in "iu":
        raise DTypeError(f"masks must be unsigned or non-negative ints (uint64 kept-masks), got "
                         f"dtype {arr.dtype}")
    if arr.dtype.kind == "i" and (arr < 0).any():
        i = int(np.flatnonzero(arr < 0)[0])
        raise RegionError(f"masks must be non-negative, got {int(arr[i])} at index {i}")
    arr = np.ascontiguousarray(arr, dtype=np.uint64)
    if n < 64 and (arr >> np.uint64(n)).any():
        i = int(np.flatnonzero(arr >> np.uint64(n))[0])
        raise RegionError(f"masks must use only bits 0..{n - 1}, got {int(arr[i])} at index {i}")
    return arr


def _checked_preserved(preserved, shape) -> np.ndarray:
    arr = np.asarray(preserved)
    if arr.shape != shape:
        raise ShapeError(f"preserved must have the shape of masks {shape}, got {arr.shape}")
    if arr.dtype.kind in "iu":
        if ((arr != 0) & (arr != 1)).any():
            i = int(np.flatnonzero((arr != 0) & (arr != 1))[0])
            raise ArgumentError(f"preserved must be bool (ints only as 0/1), got {arr[i]!r} at "
                                f"index {i}")
    elif arr.dtype.kind != "b" and arr.size:
        raise DTypeError(f"preserved must be bool (ints only as 0/1), got dtype {arr.dtype}; "
                         "minplus does not guess what a float or a string means")
    return np.ascontiguousarray(arr, dtype=bool)


class LatticeSearch:
    """Ask/tell search for Min+ (smallest kept sets that preserve the decision) and Min-
    (smallest removed sets that change it) over n <= 64 regions.

    Parameters
    ----------
    n : int
        Number of regions, 1 <= n <= 64.
    options : SearchOptions, optional
        All the options below in one object; keyword options given beside it override its fields.
    goal : {"both", "min_plus", "min_minus"}
        With "both" the two searches share one cache: a kept-mask evaluated once serves both.
    mode : {"exact", "minimal", "monotone", "greedy"}
        exact: level by level over set size; all minimum-cardinality solutions, proven.
        minimal: all subset-minimal solutions up to ``max_size``, skipping supersets of solutions.
        monotone: exact under the assumption that keeping more regions never breaks a preserved
        decision. Prunes by closure both ways: Min- candidates must hit every preserving kept
        set seen, Min+ candidates every breaking removed set (it prunes most with goal "both",
        asking one goal's level per batch so that the other's answers filter it). Counts
        violations and falls back to exact search at the first one (the result's
        ``effective_mode`` is then "exact"). The inference is audited:
        the first candidate of each level that it prunes, and every ``audit``-th after that, is
        asked anyway, so violations show up where the decision is not monotone. A violation no
        query meets cannot be seen: the result then says its answer holds under the assumption.
        greedy: one 1-minimal solution per goal by deletion (about n queries per pass), or by
        a beam of width ``beam``; for large n.
    max_size : int >= 0, optional
        Largest solution size searched; the result says when it stopped there.
    budget : int >= 1, optional
        Most queries; the result then holds what is proven so far.
    first_only : bool
        Stop each goal at its first solution (in enumeration order) instead of all ties.
    prior : (n,) float array-like, optional
        A score per region, higher = likelier to matter: candidates made of high-scoring regions
        are asked first, and greedy deletion tries low-scoring regions first.
    beam : int in [1, 4096], optional
        Greedy mode only: beam width (default: plain deletion).
    audit : int >= 0
        Monotone mode only: ask every audit-th candidate pruned by inference (0: none).

    Notes
    -----
    Every call (``ask``, ``tell``, ``done``, ``result``) does bounded work: at most
    ``_core.LATTICE_WORK_PER_CALL`` (2^20) units, a unit being a candidate set walked or
    settled, tens of milliseconds; ``ask`` hands out at most ``_core.LATTICE_MAX_ASK`` (2^16)
    masks. A longer walk yields: ``ask`` may return an empty batch while ``done()`` is still
    False, and the caller asks again (:func:`minplus.search` does), so Ctrl-C is seen between
    calls. (The one cost outside the bound is the cache doubling as queries accumulate: O(1) per
    query amortised, a fraction of a second once past ten million queries.)

    Which searches are refused. In exact and greedy mode, minimal mode with ``first_only`` and
    monotone mode with audits, every set walked is asked, was asked, or (monotone) is one of
    fewer than ``audit`` pruned between two audit queries: the work is paced by the queries,
    which ``budget`` bounds and a progress bar shows, and these searches are never refused.
    Minimal mode, and monotone mode with ``audit=0``, decide sets by pruning alone, up to every
    candidate set of size <= ``max_size`` of each goal searched. When that count exceeds
    ``_core.LATTICE_MAX_UNPACED_SETS`` (2^30, minutes of engine time) and no ``budget`` is set,
    the constructor raises :class:`minplus.InfeasibleSearchError`, naming ``max_size=`` (with
    the largest that fits) and ``budget=``: for goal "both" that is every n >= 30 without a
    max_size. A budget makes such a search anytime; it bounds queries, not the walk between them.

    Raises
    ------
    RegionError
        n outside [1, 64].
    ArgumentTypeError, ArgumentError, ShapeError
        Options of the wrong type, out of range, or a prior of the wrong length (see
        :class:`minplus.SearchOptions`).
    InfeasibleSearchError
        The search is refused, as above.

    Examples
    --------
    >>> import numpy as np
    >>> s = LatticeSearch(4)
    >>> while not s.done():
    ...     masks = s.ask(16)
    ...     s.tell(masks, (masks & 0b0011) == 0b0011)  # preserved iff regions 0 and 1 are kept
    >>> r = s.result()
    >>> r.min_plus, r.min_minus
    ([3], [1, 2])
    """

    def __init__(self, n: int, options: SearchOptions | None = None, **kwargs):
        n, options, native = check_search(n, options, **kwargs)
        self.n, self.options = n, options
        self.goal, self.mode = options.goal, options.mode
        self._engine = _core.LatticeSearch(native)

    def ask(self, max_batch: int) -> np.ndarray:
        """Up to ``max_batch`` (an int >= 1) kept-masks never asked before: (B,) uint64, with
        B <= ``_core.LATTICE_MAX_ASK`` (2^16) whatever max_batch says. Empty when done, while
        every remaining decision waits on masks asked but not yet told, or when this call's
        bounded work ran out first: while :meth:`done` is False, ask again."""
        return self._engine.ask(integer("max_batch", max_batch, 1, _UINT64_MAX))

    def tell(self, masks, preserved) -> None:
        """Record decisions, all or nothing.

        Parameters
        ----------
        masks : (B,) uint64 (or non-negative ints)
            Kept-masks from :meth:`ask`, each told once.
        preserved : (B,) bool
            True = same decision as the unmasked image. Ints are accepted only as 0/1;
            floats, strings, NaN and other ints are refused, never coerced.

        Raises
        ------
        ShapeError, DTypeError, RegionError, ArgumentError
            Wrong shapes; float, str or bool masks, or non-bool answers; negative masks or bits
            >= n; preserved ints other than 0/1, or a mask not pending (not asked, told
            already, or twice in this batch). Nothing of a refused tell is recorded.
        """
        masks = _checked_masks(masks, self.n)
        preserved = _checked_preserved(preserved, masks.shape)
        try:
            self._engine.tell(masks, preserved)
        except ValueError as e:  # the engine's state check: a mask not pending
            raise ArgumentError(f"masks: {e}") from None

    def done(self) -> bool:
        """True once every goal is finished, or the budget is spent and nothing is pending."""
        return self._engine.done()

    @property
    def queries(self) -> int:
        """Masks asked so far."""
        return self._engine.queries

    @property
    def work(self) -> int:
        """Engine work units spent so far; an empty ask that spent none cannot progress."""
        return self._engine.work

    def result(self, names=None, model_seconds: float = 0.0, seconds: float = 0.0) -> SearchResult:
        """What is found and proven so far (valid at any time: the result is anytime)."""
        r = self._engine.result()
        names = checked_names(names, self.n)
        goals = [g for g in ("min_plus", "min_minus") if r[g]["searched"]]
        sols = {g: [int(m) for m in r[g]["solutions"]] for g in ("min_plus", "min_minus")}
        minus = r["min_minus"]
        return SearchResult(
            n=self.n, goal=self.goal, mode=self.mode, names=names,
            min_plus=sols["min_plus"], min_minus=sols["min_minus"],
            min_plus_empty=r["empty_kept_state"] == _core.MaskState.preserved,
            min_minus_none=bool(minus["searched"] and minus["finished"] and not sols["min_minus"]),
            proven_below={g: int(r[g]["proven_below"]) for g in goals},
            finished={g: bool(r[g]["finished"]) for g in goals},
            max_size_reached={g: bool(r[g]["max_size_reached"]) for g in goals},
            budget_exhausted=bool(r["budget_exhausted"]), queries=int(r["queries"]),
            queries_per_level=r["queries_per_level"].astype(np.int64), batches=int(r["batches"]),
            pruned=int(r["pruned"]), audits=int(r["audits"]), violations=int(r["violations"]),
            violating_masks=[int(m) for m in r["violating_masks"]], fell_back=bool(r["fell_back"]),
            engine_seconds=float(r["engine_seconds"]), model_seconds=float(model_seconds),
            seconds=float(seconds), effective_mode=r["effective_mode"].name)
