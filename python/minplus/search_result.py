"""SearchResult: what a Min+/Min- search found, what it proved, and what it cost."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import DTypeError, ShapeError


def region_names(mask: int, names: list[str]) -> list[str]:
    """Names of the regions whose bits are set in ``mask``, in region order.

    Examples
    --------
    >>> region_names(0b101, ["eyes", "nose", "mouth"])
    ['eyes', 'mouth']
    """
    return [names[r] for r in range(len(names)) if (mask >> r) & 1]


def checked_names(names, n: int) -> list[str]:
    """One name per region: ``names`` as strings, or "r0".."r{n-1}" when None.

    Examples
    --------
    >>> checked_names(None, 3)
    ['r0', 'r1', 'r2']
    """
    if names is None:
        return [f"r{i}" for i in range(n)]
    if isinstance(names, (str, bytes)) or not hasattr(names, "__iter__"):
        raise DTypeError(f"names must be a sequence of region names, got "
                         f"{type(names).__name__} {names!r:.80}")
    names = [str(x) for x in names]
    if len(names) != n:
        raise ShapeError(f"names must hold one name per region ({n}), got {len(names)}")
    return names


@dataclass
class SearchResult:
    """The answer of :func:`minplus.search` or :meth:`minplus.LatticeSearch.result`.

    Masks are Python ints over n regions: bit r set means region r is in the set. ``min_plus``
    holds *kept* sets (keeping only them preserves the decision); ``min_minus`` holds *removed*
    sets (removing them changes the decision).

    Attributes
    ----------
    n, goal, mode : int, str, str
    names : list of str
        Region names (default "r0".."r{n-1}").
    min_plus, min_minus : list of int
        Solutions in the order found. exact/monotone: every minimum-cardinality set (or the first
        one with ``first_only``); minimal: every subset-minimal set up to ``max_size``; greedy: one
        1-minimal set (subset-minimal when the decision is monotone).
    min_plus_names, min_minus_names : list of list of str
    min_plus_empty : bool
        The fully masked image already preserves the decision: Min+ = ∅ (``min_plus == [0]``).
    min_minus_none : bool
        The search ran to its end and no removed set breaks the decision (up to ``max_size``).
        In greedy and monotone mode when removing every region still preserves it, this is the
        answer under monotonicity.
    proven_below : dict
        Per goal: every set of size < this was decided (exact/monotone: none is a solution;
        minimal: all minimal ones below it are listed). 0 in greedy mode, which proves nothing.
    finished, max_size_reached : dict
        Per goal: the search ran to its end; it stopped because the next size exceeds max_size.
    budget_exhausted : bool
        The query budget ran out first; the solutions and bounds are those proven so far.
    queries : int
        Model evaluations (masked images); the unmasked image is not counted.
    queries_per_level : (n + 1,) int64 ndarray
        Queries by number of kept regions.
    batches, pruned, audits : int
        Batches asked; candidates decided without a query (superset or monotone pruning);
        monotone mode: candidates asked anyway to audit the inference.
    violations : int
        Monotone mode: observations contradicting monotonicity (a preserving set with a breaking
        superset seen, or the reverse).
    violating_masks : list of int
        The kept-masks whose observation was a violation (the first 1024).
    fell_back : bool
        Monotone mode saw a violation and finished with exact search.
    effective_mode : str
        The pruning in force at the end: ``mode``, except "exact" for a monotone search that
        fell back.
    engine_seconds, model_seconds, seconds : float
        Time in the C++ engine; in rendering, the model and the decision; in total.
    """

    n: int
    goal: str
    mode: str
    names: list[str]
    min_plus: list[int] = field(default_factory=list)
    min_minus: list[int] = field(default_factory=list)
    min_plus_empty: bool = False
    min_minus_none: bool = False
    proven_below: dict = field(default_factory=dict)
    finished: dict = field(default_factory=dict)
    max_size_reached: dict = field(default_factory=dict)
    budget_exhausted: bool = False
    queries: int = 0
    queries_per_level: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    batches: int = 0
    pruned: int = 0
    audits: int = 0
    violations: int = 0
    violating_masks: list[int] = field(default_factory=list)
    fell_back: bool = False
    engine_seconds: float = 0.0
    model_seconds: float = 0.0
    seconds: float = 0.0
    effective_mode: str = ""

    def __post_init__(self):
        if not self.effective_mode:
            self.effective_mode = self.mode

    @property
    def min_plus_names(self) -> list[list[str]]:
        return [region_names(m, self.names) for m in self.min_plus]

    @property
    def min_minus_names(self) -> list[list[str]]:
        return [region_names(m, self.names) for m in self.min_minus]

    @property
    def bounds(self) -> list[str]:
        """What is proven, one sentence per fact."""
        out = []
        for goal, sets, verb in (("min_plus", "kept", "preserves"),
                                 ("min_minus", "removed", "breaks")):
            if goal not in self.proven_below:
                continue
            k = self.proven_below[goal]
            if self.mode == "minimal":
                if k:
                    out.append(f"{goal}: every subset-minimal {sets} set of size < {k} is listed")
            else:
                size = self._size(goal)
                bound = k if size is None else min(k, size)
                if bound:
                    out.append(f"{goal}: no {sets} set of size < {bound} {verb} the decision")
            if self.finished.get(goal) and self.max_size_reached.get(goal):
                out.append(f"{goal}: stopped at max_size {k - 1}")
        if self.min_plus_empty:
            out.append("min_plus: the fully masked image already preserves the decision "
                       "(Min+ = ∅)")
        if self.min_minus_none:
            out.append("min_minus: no removed set breaks the decision (Min- = none)")
        if self.mode == "monotone":
            out.append("monotonicity violated: finished by exact search" if self.fell_back else
                       "proven under the monotonicity assumption (no violation observed)")
        if self.mode == "greedy":
            out.append("greedy: no single region can be dropped from a solution (1-minimal)")
        if self.budget_exhausted:
            out.append(f"query budget exhausted after {self.queries} queries")
        return out

    def _size(self, goal: str) -> int | None:
        sets = self.min_plus if goal == "min_plus" else self.min_minus
        return bin(sets[0]).count("1") if sets else None

    @property
    def min_plus_size(self) -> int | None:
        """Size of the Min+ sets found, or None."""
        return self._size("min_plus")

    @property
    def min_minus_size(self) -> int | None:
        """Size of the Min- sets found, or None."""
        return self._size("min_minus")

    def __str__(self) -> str:
        lines = [f"SearchResult(n={self.n}, goal={self.goal}, mode={self.mode}, "
                 f"queries={self.queries}, batches={self.batches}, "
                 f"engine={self.engine_seconds:.4f}s, model={self.model_seconds:.3f}s)"]
        if "min_plus" in self.proven_below:
            lines.append(f"  Min+: {self.min_plus_names}")
        if "min_minus" in self.proven_below:
            lines.append(f"  Min-: {self.min_minus_names}")
        lines += [f"  {b}" for b in self.bounds]
        return "\n".join(lines)
