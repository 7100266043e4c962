"""LatticeSearch against brute force over all 2^n kept-masks, driven through ask/tell directly.

A decision is a bool table ``pres`` over all kept-masks (pres[full] is True: the unmasked image
preserves its own decision by definition).
"""

from functools import lru_cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minplus import LatticeSearch, RegionError, ShapeError, _core

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---- decisions ---------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def popcount(n):
    x = np.arange(2 ** n, dtype=np.int64)
    return np.array([bin(v).count("1") for v in x], np.int64)


def planted(n, sets):
    """Monotone: preserved iff the kept-mask contains one of ``sets``."""
    kept = np.arange(2 ** n, dtype=np.int64)
    pres = np.zeros(2 ** n, bool)
    for s in sets:
        pres |= (kept & s) == s
    pres[-1] = True
    return pres


def sizes(max_n):
    """n in [1, max_n], leaning to the large end where the lattice is interesting."""
    return st.one_of(st.integers(1, max_n), st.integers(max(1, max_n - 3), max_n))


@st.composite
def arbitrary(draw, max_n=12):
    n = draw(sizes(max_n))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    pres = rng.random(2 ** n) < draw(st.sampled_from([0.02, 0.2, 0.5, 0.8]))
    pres[-1] = True
    return n, pres


@st.composite
def monotone(draw, max_n=12):
    n = draw(sizes(max_n))
    sets = draw(st.lists(st.integers(0, 2 ** n - 1), min_size=1, max_size=5))
    return n, planted(n, sets)


@st.composite
def planted_with_flips(draw, max_n=12):
    """Non-monotone: planted solutions plus a few flipped masks."""
    n, pres = draw(monotone(max_n))
    pres = pres.copy()
    for m in draw(st.lists(st.integers(0, 2 ** n - 2), min_size=1, max_size=6)):
        pres[m] = not pres[m]
    return n, pres


# ---- brute force -----------------------------------------------------------------------------

def breaking_removed(n, pres):
    """(2^n,) bool: removing set R breaks the decision."""
    full = 2 ** n - 1
    return ~pres[full ^ np.arange(2 ** n, dtype=np.int64)]


def minimum_sets(n, family):
    """All sets of minimum popcount in a (2^n,) bool family, ascending."""
    if not family.any():
        return []
    pc = popcount(n)
    k = pc[family].min()
    return np.flatnonzero(family & (pc == k)).tolist()


def subset_minimal(n, family, max_size=None):
    """All subset-minimal members of a (2^n,) bool family (sizes <= max_size), ascending."""
    down = family.copy()  # down[K]: some member lies inside K (sum over subsets)
    for i in range(n):
        v = down.reshape(-1, 2, 2 ** i)
        v[:, 1, :] |= v[:, 0, :]
    kept = np.arange(2 ** n, dtype=np.int64)
    below = np.zeros(2 ** n, bool)
    for i in range(n):
        has = (kept >> i) & 1 == 1
        below[has] |= down[kept[has] ^ (1 << i)]
    minimal = family & ~below
    if max_size is not None:
        minimal &= popcount(n) <= max_size
    return np.flatnonzero(minimal).tolist()


def run(n, pres, batch=16, **options):
    """Drives a LatticeSearch on a table; returns the result and every mask asked, in order."""
    s = LatticeSearch(n, **options)
    asked = []
    while not s.done():
        masks = s.ask(batch)
        # Nothing asked means the cache decided the rest, and done() must now say so.
        assert len(masks) > 0 or s.done(), "ask returned nothing while the search goes on"
        asked.append(masks)
        s.tell(masks, pres[masks.astype(np.int64)])
    asked = np.concatenate(asked) if asked else np.zeros(0, np.uint64)
    return s.result(), asked


def check_asks(n, asked):
    assert len(np.unique(asked)) == len(asked), "ask repeated a mask"
    assert len(asked) <= 2 ** n - 1
    assert (asked != 2 ** n - 1).all(), "the unmasked image is never asked"


# ---- exact ---------------------------------------------------------------------------------------

@FAST
@given(arbitrary(), st.integers(1, 64), st.sampled_from(["both", "min_plus", "min_minus"]))
def test_exact_equals_brute_force(case, batch, goal):
    n, pres = case
    r, asked = run(n, pres, batch, goal=goal)
    check_asks(n, asked)
    assert r.queries == len(asked)
    assert r.queries_per_level.sum() == r.queries
    want_plus = minimum_sets(n, pres)
    want_minus = minimum_sets(n, breaking_removed(n, pres))
    if goal != "min_minus":
        assert r.min_plus == want_plus  # colex order = ascending within a level
        assert r.min_plus_empty == (want_plus == [0])
        assert r.proven_below["min_plus"] == bin(want_plus[0]).count("1") + 1
    if goal != "min_plus":
        assert r.min_minus == want_minus
        assert r.min_minus_none == (want_minus == [])


@FAST
@given(arbitrary(), st.integers(1, 32))
def test_first_only_returns_the_first_tie(case, batch):
    n, pres = case
    r, asked = run(n, pres, batch, first_only=True)
    check_asks(n, asked)
    assert r.min_plus == minimum_sets(n, pres)[:1]
    assert r.min_minus == minimum_sets(n, breaking_removed(n, pres))[:1]


@FAST
@given(arbitrary(max_n=10), st.integers(1, 32), st.integers(0, 2 ** 32 - 1))
def test_prior_reorders_but_keeps_the_answer(case, batch, seed):
    n, pres = case
    prior = np.random.default_rng(seed).random(n)
    r, asked = run(n, pres, batch, prior=prior)
    check_asks(n, asked)
    assert sorted(r.min_plus) == minimum_sets(n, pres)
    assert sorted(r.min_minus) == minimum_sets(n, breaking_removed(n, pres))


def test_prior_asks_likely_regions_first():
    # Planted on the two regions the prior ranks highest: the first level-2 query is that pair.
    n = 10
    pres = planted(n, [(1 << 7) | (1 << 3)])
    prior = np.zeros(n)
    prior[[7, 3]] = [2.0, 1.0]
    r, asked = run(n, pres, 1, goal="min_plus", first_only=True, prior=prior)
    assert r.min_plus == [(1 << 7) | (1 << 3)]
    level2 = [int(m) for m in asked if bin(int(m)).count("1") == 2]
    assert level2 == [(1 << 7) | (1 << 3)]


@FAST
@given(arbitrary(max_n=10), st.integers(1, 16), st.integers(1, 300))
def test_budget_gives_an_anytime_result(case, batch, budget):
    n, pres = case
    r, asked = run(n, pres, batch, budget=budget)
    check_asks(n, asked)
    assert r.queries <= budget
    full_plus = minimum_sets(n, pres)
    full_minus = minimum_sets(n, breaking_removed(n, pres))
    # Whatever was found is a true minimum solution, and what is proven holds.
    assert set(r.min_plus) <= set(full_plus)
    assert set(r.min_minus) <= set(full_minus)
    assert r.proven_below["min_plus"] <= bin(full_plus[0]).count("1") + 1
    if not r.budget_exhausted:
        assert r.min_plus == full_plus and r.min_minus == full_minus


@FAST
@given(arbitrary(max_n=10), st.integers(0, 10))
def test_max_size(case, max_size):
    n, pres = case
    r, asked = run(n, pres, 8, max_size=max_size)
    want = minimum_sets(n, pres)
    size = bin(want[0]).count("1")
    if size <= max_size:
        assert r.min_plus == want and not r.max_size_reached["min_plus"]
    else:
        assert r.min_plus == [] and r.max_size_reached["min_plus"]
        assert r.proven_below["min_plus"] == max_size + 1
    removed = np.array([bin(int(m) ^ (2 ** n - 1)).count("1") for m in asked])
    plus_side = popcount(n)[asked.astype(np.int64)] <= max_size
    assert (plus_side | (removed <= max_size)).all(), "asked beyond max_size"


@FAST
@given(arbitrary(max_n=9), st.integers(1, 32), st.sampled_from(["exact", "minimal", "monotone",
                                                                 "greedy"]))
def test_same_input_same_result_same_order(case, batch, mode):
    n, pres = case
    r1, a1 = run(n, pres, batch, mode=mode)
    r2, a2 = run(n, pres, batch, mode=mode)
    assert a1.tolist() == a2.tolist()
    assert (r1.min_plus, r1.min_minus, r1.queries_per_level.tolist(), r1.violations) == \
        (r2.min_plus, r2.min_minus, r2.queries_per_level.tolist(), r2.violations)


# ---- minimal -----------------------------------------------------------------------------------

@FAST
@given(arbitrary(), st.integers(1, 64), st.one_of(st.none(), st.integers(0, 12)))
def test_minimal_equals_brute_force(case, batch, max_size):
    n, pres = case
    r, asked = run(n, pres, batch, mode="minimal", max_size=max_size)
    check_asks(n, asked)
    assert sorted(r.min_plus) == subset_minimal(n, pres, max_size)
    assert sorted(r.min_minus) == subset_minimal(n, breaking_removed(n, pres), max_size)
    # Level by level: sizes never decrease in the order found.
    sizes = [bin(m).count("1") for m in r.min_plus]
    assert sizes == sorted(sizes)


def test_minimal_superset_test_with_thousands_of_solutions():
    # Every 3-subset of 18 regions preserves and is minimal: C(18, 3) = 816 solutions; levels 4..6
    # are then pruned entirely by the superset test, without a query.
    n = 18
    pres = popcount(n) >= 3
    r, asked = run(n, pres, 4096, mode="minimal", goal="min_plus", max_size=6)
    assert len(r.min_plus) == 816
    assert r.queries == 1 + 18 + 153 + 816
    assert r.pruned > 0


# ---- monotone ----------------------------------------------------------------------------------

@FAST
@given(monotone(), st.integers(1, 64), st.sampled_from(["both", "min_plus", "min_minus"]))
def test_monotone_is_exact_on_monotone_decisions(case, batch, goal):
    n, pres = case
    r, asked = run(n, pres, batch, mode="monotone", goal=goal)
    check_asks(n, asked)
    exact, _ = run(n, pres, batch, mode="exact", goal=goal)
    assert r.violations == 0 and not r.fell_back  # audits agree with a monotone decision
    assert r.min_plus == exact.min_plus and r.min_minus == exact.min_minus
    assert r.queries <= exact.queries


def observed_violation(kept, pres, asked):
    """Some asked mask contradicts monotonicity together with ``kept``."""
    others = asked.astype(np.int64)
    if pres[kept]:  # kept preserves: a breaking superset was seen
        return bool((((others & kept) == kept) & ~pres[others]).any())
    return bool((((others & kept) == others) & pres[others]).any())


@FAST
@given(st.one_of(planted_with_flips(), arbitrary()), st.integers(1, 64))
def test_monotone_on_non_monotone_decisions(case, batch):
    n, pres = case
    r, asked = run(n, pres, batch, mode="monotone")
    check_asks(n, asked)
    assert r.fell_back == (r.violations > 0)
    for kept in r.violating_masks:  # every violation reported is real
        assert observed_violation(kept, pres, asked)
    # Solutions returned are always confirmed by queries.
    assert all(pres[k] for k in r.min_plus)
    assert all(not pres[(2 ** n - 1) ^ m] for m in r.min_minus)
    if r.violations:  # where the assumption failed, the answer is the exact one
        assert r.min_plus == minimum_sets(n, pres)
        assert r.min_minus == minimum_sets(n, breaking_removed(n, pres))
    elif n <= 8:  # otherwise everything it saw was consistent with monotonicity
        obs = asked.astype(np.int64)
        inside = (obs[:, None] & obs[None, :]) == obs[:, None]  # obs[i] inside obs[j]
        assert not (inside & pres[obs][:, None] & ~pres[obs][None, :]).any()


@pytest.mark.parametrize("batch", [1, 8, 64])
def test_flip_flopping_decision_is_reported_and_exact(batch):
    # preserved iff an odd number of regions is kept (or all): flips at every level.
    n = 7
    pres = popcount(n) % 2 == 1
    pres[-1] = True
    want_plus, want_minus = minimum_sets(n, pres), minimum_sets(n, breaking_removed(n, pres))
    assert want_plus == [1 << i for i in range(n)]
    for mode in ("exact", "monotone"):
        r, _ = run(n, pres, batch, mode=mode)
        assert r.min_plus == want_plus and r.min_minus == want_minus
    assert r.violations > 0 and r.fell_back and r.audits > 0
    assert "monotonicity violated: finished by exact search" in r.bounds
    r, _ = run(n, pres, batch, mode="minimal")
    assert sorted(r.min_plus) == subset_minimal(n, pres)


def test_without_audits_a_hidden_violation_goes_unseen():
    # The same decision with audit=0: every observation agrees with monotonicity, so the answer
    # can only be the one under the assumption, and the result says so.
    n = 7
    pres = popcount(n) % 2 == 1
    pres[-1] = True
    r, asked = run(n, pres, 8, mode="monotone", audit=0)
    assert r.audits == 0 and r.violations == 0 and not r.fell_back
    assert "proven under the monotonicity assumption (no violation observed)" in r.bounds
    assert r.min_minus != minimum_sets(n, breaking_removed(n, pres))


def test_monotone_prunes_with_the_dual_family():
    n = 16
    pres = planted(n, [0b11, 0b1100])
    r, _ = run(n, pres, 64, mode="monotone")
    exact, _ = run(n, pres, 64, mode="exact")
    assert r.min_plus == exact.min_plus == [0b11, 0b1100]
    assert r.min_minus == exact.min_minus == [0b101, 0b110, 0b1001, 0b1010]
    assert r.queries < exact.queries and r.pruned > 0


# ---- greedy ------------------------------------------------------------------------------------

def one_minimal(n, family, m):
    return family[m] and all(not family[m ^ (1 << i)] for i in range(n) if (m >> i) & 1)


@FAST
@given(monotone(), st.one_of(st.none(), st.integers(1, 4)))
def test_greedy_is_subset_minimal_on_monotone_decisions(case, beam):
    n, pres = case
    r, asked = run(n, pres, 8, mode="greedy", beam=beam)
    check_asks(n, asked)
    assert len(r.min_plus) == 1 and r.min_plus[0] in subset_minimal(n, pres)
    brk = breaking_removed(n, pres)
    if pres[0]:  # removing everything still preserves: Min- = none
        assert r.min_minus == [] and r.min_minus_none
    else:
        assert len(r.min_minus) == 1 and r.min_minus[0] in subset_minimal(n, brk)
    if beam is None:
        assert r.queries <= 2 * n * (n + 1)


@FAST
@given(arbitrary(), st.one_of(st.none(), st.integers(1, 3)))
def test_greedy_is_one_minimal_on_any_decision(case, beam):
    n, pres = case
    r, asked = run(n, pres, 4, mode="greedy", beam=beam)
    check_asks(n, asked)
    assert one_minimal(n, pres, r.min_plus[0])
    if not pres[0]:
        assert one_minimal(n, breaking_removed(n, pres), r.min_minus[0])


def test_greedy_at_64_regions():
    need = (1 << 63) | (1 << 40) | (1 << 5)
    s = LatticeSearch(64, mode="greedy")
    while not s.done():
        m = s.ask(4)
        s.tell(m, (m & np.uint64(need)) == np.uint64(need))
    r = s.result()
    assert r.min_plus == [need]
    assert len(r.min_minus) == 1 and r.min_minus[0] in (1 << 63, 1 << 40, 1 << 5)
    assert r.queries <= 2 * (64 + 3) + 1  # one pass, then a check pass over what is left


# ---- edge cases ----------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["exact", "minimal", "monotone", "greedy"])
def test_empty_min_plus_and_no_min_minus(mode):
    # The fully masked image already preserves; so does every mask.
    n = 5
    pres = np.ones(2 ** n, bool)
    r, _ = run(n, pres, 8, mode=mode)
    assert r.min_plus == [0] and r.min_plus_empty and r.min_plus_names == [[]]
    assert r.min_minus == [] and r.min_minus_none
    assert any("Min+ = ∅" in b for b in r.bounds) and any("Min- = none" in b for b in r.bounds)
    assert not any(b.startswith("min_plus: no kept set") for b in r.bounds)


@pytest.mark.parametrize("preserves", [False, True])
@pytest.mark.parametrize("mode", ["exact", "minimal", "monotone", "greedy"])
def test_one_region(mode, preserves):
    pres = np.array([preserves, True])
    r, asked = run(1, pres, 4, mode=mode)
    assert asked.tolist() == [0]
    if preserves:
        assert r.min_plus == [0] and r.min_minus == [] and r.min_minus_none
    else:
        assert r.min_plus == [1] and r.min_minus == [1] and not r.min_plus_empty


def test_exact_at_64_regions():
    a, b = 1 << 2, 1 << 61
    s = LatticeSearch(64)
    while not s.done():
        m = s.ask(4096)
        s.tell(m, (m & np.uint64(a | b)) == np.uint64(a | b))
    r = s.result()
    assert r.min_plus == [a | b] and r.min_minus == [a, b]
    assert r.queries == 1 + 64 + 2016 + 64  # Min+ levels 0-2, Min- level 1
    assert r.names[63] == "r63" and r.min_plus_names == [["r2", "r61"]]


def test_tell_rejects_masks_not_asked():
    s = LatticeSearch(4)
    m = s.ask(2)
    with pytest.raises(ValueError, match="not asked"):
        s.tell(np.array([9], np.uint64), [True])
    with pytest.raises(ShapeError):
        s.tell(m, [True])
    s.tell(m, [False, False])
    with pytest.raises(ValueError, match="not asked"):
        s.tell(m, [False, False])


@pytest.mark.parametrize("kwargs, error", [
    ({"n": 0}, RegionError), ({"n": 65}, RegionError), ({"n": 4, "goal": "min"}, ValueError),
    ({"n": 4, "mode": "fast"}, ValueError), ({"n": 4, "budget": 0}, ValueError),
    ({"n": 4, "max_size": -1}, ValueError), ({"n": 4, "beam": 2}, ValueError),
    ({"n": 4, "prior": [1.0, 2.0]}, ShapeError), ({"n": 4, "prior": [1, 2, np.nan, 0]}, ValueError),
])
def test_bad_options_raise_typed_errors(kwargs, error):
    with pytest.raises(error):
        LatticeSearch(**kwargs)


def test_native_planted_run_matches_the_python_driven_one():
    n, sets = 14, [0b111, 0b11 << 8, 1 << 13]
    pres = planted(n, sets)
    for mode in ("exact", "minimal", "monotone", "greedy"):
        r, _ = run(n, pres, 256, mode=mode)
        native = _core.lattice_run_planted(
            _core.LatticeOptions(n, _core.Goal.both, _core.SearchMode.__members__[mode]), sets, 256)
        assert native["min_plus"]["solutions"].tolist() == r.min_plus
        assert native["min_minus"]["solutions"].tolist() == r.min_minus
        assert native["queries"] == r.queries
