"""SearchOptions: what a Min+/Min- lattice search looks for and how, checked once.

One frozen object carries the options from :func:`minplus.search` (and ``explain``) to
:class:`minplus.LatticeSearch`, which turns it into the engine's option struct.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from . import _core
from .arguments import choice, integer
from .errors import ArgumentError, ArgumentTypeError, ShapeError

GOAL_NAMES = tuple(_core.Goal.__members__)
MODE_NAMES = tuple(_core.SearchMode.__members__)
MAX_BEAM = int(_core.LATTICE_MAX_BEAM)
_INT32_MAX = 2 ** 31 - 1
_UINT64_MAX = 2 ** 64 - 1


def _optional_int(name: str, value, lo: int, hi: int):
    return None if value is None else integer(name, value, lo, hi)


def _checked_prior(prior):
    if prior is None:
        return None
    if isinstance(prior, (str, bytes)):
        raise ArgumentTypeError(f"prior must be an array-like of numbers, got {prior!r}")
    try:
        arr = np.asarray(prior)
    except (TypeError, ValueError) as e:  # ragged nesting
        raise ArgumentTypeError(f"prior must be an array-like of numbers: {e}") from None
    if arr.dtype.kind not in "iuf":
        raise ArgumentTypeError(f"prior must hold ints or floats, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ShapeError(f"prior must be 1-D (one score per region), got shape {arr.shape}")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        bad = arr[~np.isfinite(arr)][0]
        raise ArgumentError(f"prior must be finite, got {bad!r} at index "
                            f"{int(np.flatnonzero(~np.isfinite(arr))[0])}")
    return tuple(float(x) for x in arr)


@dataclass(frozen=True)
class SearchOptions:
    """What a lattice search looks for and how; every field is checked on construction.

    Parameters
    ----------
    goal : {"both", "min_plus", "min_minus"}
        With "both" the two searches share one cache: a kept-mask evaluated once serves both.
    mode : {"exact", "minimal", "monotone", "greedy"}
        See :class:`minplus.LatticeSearch`.
    max_size : int >= 0, optional
        Largest solution size searched (None: n).
    budget : int >= 1, optional
        Most queries (None: unlimited).
    first_only : bool
        Stop each goal at its first solution instead of all ties.
    prior : (n,) finite floats, optional
        A score per region, higher = likelier to matter; stored as a tuple of floats (its length
        is checked against n by :class:`minplus.LatticeSearch`).
    beam : int in [1, 4096], optional
        Greedy mode only: beam width (None: plain deletion).
    audit : int in [0, 2**31 - 1]
        Monotone mode only: ask every audit-th candidate pruned by inference (0: none).

    Raises
    ------
    ArgumentTypeError
        A bool, float or str where an int goes, a non-str goal or mode, a non-bool first_only.
    ArgumentError
        A value out of range, an unknown goal or mode, a beam outside greedy mode, a NaN prior.

    Examples
    --------
    >>> SearchOptions(mode="minimal", max_size=3).max_size
    3
    >>> SearchOptions(budget=True)
    Traceback (most recent call last):
    ...
    minplus.errors.ArgumentTypeError: budget must be an int, got bool True
    """

    goal: str = "both"
    mode: str = "exact"
    max_size: int | None = None
    budget: int | None = None
    first_only: bool = False
    prior: tuple | None = None
    beam: int | None = None
    audit: int = 16

    def __post_init__(self):
        choice("goal", self.goal, GOAL_NAMES)
        choice("mode", self.mode, MODE_NAMES)
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 (frozen)
        set_("max_size", _optional_int("max_size", self.max_size, 0, _INT32_MAX))
        set_("budget", _optional_int("budget", self.budget, 1, _UINT64_MAX))
        set_("beam", _optional_int("beam", self.beam, 1, MAX_BEAM))
        set_("audit", integer("audit", self.audit, 0, _INT32_MAX))
        if not isinstance(self.first_only, (bool, np.bool_)):
            raise ArgumentTypeError(f"first_only must be a bool, got {self.first_only!r} "
                                    f"({type(self.first_only).__name__})")
        set_("first_only", bool(self.first_only))
        set_("prior", _checked_prior(self.prior))
        if self.beam is not None and self.mode != "greedy":
            raise ArgumentError(f"beam applies to mode='greedy' only, got beam={self.beam} "
                                f"with mode={self.mode!r}")

    def replace(self, **changes) -> SearchOptions:
        """A copy with ``changes`` applied and checked again."""
        unknown = sorted(set(changes) - set(FIELD_NAMES))
        if unknown:
            raise ArgumentTypeError(f"unknown search option(s) {unknown}; "
                                    f"the options are {list(FIELD_NAMES)}")
        return dataclasses.replace(self, **changes)

    @classmethod
    def of(cls, options=None, **changes) -> SearchOptions:
        """``options`` (a SearchOptions or None for the defaults) with ``changes`` applied."""
        if options is None:
            options = cls()
        elif not isinstance(options, cls):
            raise ArgumentTypeError(f"options must be a SearchOptions, got "
                                    f"{type(options).__name__}")
        return options.replace(**changes) if changes else options

    @classmethod
    def from_call(cls, options=None, **fields) -> SearchOptions:
        """The options of a call that takes them either as ``options=`` or one by one.

        ``fields`` are the call's individual keyword options, each at its default unless the
        caller gave it. Without ``options`` they make the SearchOptions; with it, any of them
        that differs from its default is refused rather than silently merged.

        Examples
        --------
        >>> SearchOptions.from_call(None, mode="greedy", beam=2).beam
        2
        >>> SearchOptions.from_call(SearchOptions(mode="minimal"), goal="both").mode
        'minimal'
        """
        unknown = sorted(set(fields) - set(FIELD_NAMES))
        if unknown:
            raise ArgumentTypeError(f"unknown search option(s) {unknown}; "
                                    f"the options are {list(FIELD_NAMES)}")
        if options is None:
            return cls(**fields)
        given = [k for k, v in fields.items() if not _is_default(k, v)]
        if given:
            raise ArgumentError(f"pass the search options either as options= or one by one, not "
                                f"both: got options= and {', '.join(f'{k}=' for k in given)}")
        return cls.of(options)


FIELD_NAMES = tuple(f.name for f in dataclasses.fields(SearchOptions))
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(SearchOptions)}


def _is_default(name: str, value) -> bool:
    default = _DEFAULTS[name]
    return value is default or (type(value) is type(default) and value == default)
