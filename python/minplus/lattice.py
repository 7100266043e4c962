"""LatticeSearch: the validated Python face of the native ask/tell Min+/Min- engine.

The engine never calls the model: :meth:`LatticeSearch.ask` hands out kept-masks to evaluate and
:meth:`LatticeSearch.tell` takes back whether each preserved the decision of the unmasked image.
:func:`minplus.search` drives it with a model and a Masker; drive it yourself for anything else.
"""

from __future__ import annotations

import numpy as np

from . import _core
from .core import MAX_REGIONS
from .errors import RegionError, ShapeError
from .search_result import SearchResult, checked_names

GOALS = {"min_plus": 1, "min_minus": 2, "both": 3}
MODES = {"exact": 0, "minimal": 1, "monotone": 2, "greedy": 3}
_EMPTY_PRESERVED = 3  # MaskCache::preserved


def _positive_int(name, value, allow_none=True, minimum=1):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}{' or None' if allow_none else ''}, "
                         f"got {value!r}")
    return int(value)


class LatticeSearch:
    """Ask/tell search for Min+ (smallest kept sets that preserve the decision) and Min-
    (smallest removed sets that change it) over n <= 64 regions.

    Parameters
    ----------
    n : int
        Number of regions, 1 <= n <= 64.
    goal : {"both", "min_plus", "min_minus"}
        With "both" the two searches share one cache: a kept-mask evaluated once serves both.
    mode : {"exact", "minimal", "monotone", "greedy"}
        exact: level by level over set size; all minimum-cardinality solutions, proven.
        minimal: all subset-minimal solutions up to ``max_size``, skipping supersets of solutions.
        monotone: exact under the assumption that keeping more regions never breaks a preserved
        decision. Prunes by closure both ways: Min- candidates must hit every preserving kept
        set seen, Min+ candidates every breaking removed set (it prunes most with goal "both",
        asking one goal's level per batch so that the other's answers filter it). Counts
        violations and falls back to exact search at the first one. The inference is audited:
        the first candidate of each level that it prunes, and every ``audit``-th after that, is
        asked anyway, so violations show up where the decision is not monotone. A violation no
        query meets cannot be seen: the result then says its answer holds under the assumption.
        greedy: one 1-minimal solution per goal by deletion (about n queries per pass), or by
        a beam of width ``beam``; for large n.
    max_size : int, optional
        Largest solution size searched; the result says when it stopped there.
    budget : int, optional
        Most queries; the result then holds what is proven so far.
    first_only : bool
        Stop each goal at its first solution (in enumeration order) instead of all ties.
    prior : (n,) float array-like, optional
        A score per region, higher = likelier to matter: candidates made of high-scoring regions
        are asked first, and greedy deletion tries low-scoring regions first.
    beam : int, optional
        Greedy mode only: beam width (default: plain deletion).
    audit : int
        Monotone mode only: ask every audit-th candidate pruned by inference (0: none).

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

    def __init__(self, n: int, goal: str = "both", mode: str = "exact", max_size=None,
                 budget=None, first_only: bool = False, prior=None, beam=None, audit: int = 16):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_REGIONS:
            raise RegionError(f"n must be an int in [1, {MAX_REGIONS}], got {n!r}")
        if goal not in GOALS:
            raise ValueError(f"goal must be one of {list(GOALS)}, got {goal!r}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
        max_size = _positive_int("max_size", max_size, minimum=0)
        budget = _positive_int("budget", budget)
        beam = _positive_int("beam", beam)
        audit = _positive_int("audit", audit, allow_none=False, minimum=0)
        if beam is not None and mode != "greedy":
            raise ValueError(f"beam applies to mode='greedy' only, got mode={mode!r}")
        if prior is not None:
            prior = np.asarray(prior, dtype=np.float64)
            if prior.shape != (n,):
                raise ShapeError(f"prior must have shape (n,) = ({n},), got {prior.shape}")
            if not np.isfinite(prior).all():
                raise ValueError("prior must be finite")
        self.n, self.goal, self.mode = int(n), goal, mode
        self._engine = _core.LatticeSearch(
            self.n, GOALS[goal], MODES[mode], -1 if max_size is None else max_size,
            budget or 0, bool(first_only), [] if prior is None else prior.tolist(), beam or 0,
            audit)

    def ask(self, max_batch: int) -> np.ndarray:
        """Up to ``max_batch`` kept-masks never asked before: (B,) uint64. Empty when done, or
        while every remaining decision waits on masks asked but not yet told."""
        return self._engine.ask(_positive_int("max_batch", max_batch, allow_none=False))

    def tell(self, masks, preserved) -> None:
        """Record decisions: ``masks`` (B,) uint64 from :meth:`ask`, ``preserved`` (B,) bool
        (True = same decision as the unmasked image). Masks not pending raise ValueError."""
        masks = np.ascontiguousarray(masks, dtype=np.uint64)
        preserved = np.ascontiguousarray(preserved, dtype=bool)
        if masks.ndim != 1 or preserved.shape != masks.shape:
            raise ShapeError(f"tell needs masks (B,) and preserved (B,), got shapes "
                             f"{masks.shape} and {preserved.shape}")
        self._engine.tell(masks, preserved)

    def done(self) -> bool:
        """True once every goal is finished, or the budget is spent and nothing is pending."""
        return self._engine.done()

    @property
    def queries(self) -> int:
        """Masks asked so far."""
        return self._engine.queries

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
            min_plus_empty=r["empty_kept_state"] == _EMPTY_PRESERVED,
            min_minus_none=bool(minus["searched"] and minus["finished"] and not sols["min_minus"]),
            proven_below={g: int(r[g]["proven_below"]) for g in goals},
            finished={g: bool(r[g]["finished"]) for g in goals},
            max_size_reached={g: bool(r[g]["max_size_reached"]) for g in goals},
            budget_exhausted=bool(r["budget_exhausted"]), queries=int(r["queries"]),
            queries_per_level=r["queries_per_level"].astype(np.int64), batches=int(r["batches"]),
            pruned=int(r["pruned"]), audits=int(r["audits"]), violations=int(r["violations"]),
            violating_masks=[int(m) for m in r["violating_masks"]], fell_back=bool(r["fell_back"]),
            engine_seconds=float(r["engine_seconds"]), model_seconds=float(model_seconds),
            seconds=float(seconds))
