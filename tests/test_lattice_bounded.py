"""LatticeSearch never hangs: every call is bounded, infeasible searches are refused up front,
Ctrl-C stops a long search with its partial result, and bad input is refused with a typed error
that changes nothing. Also the one options object (SearchOptions) and the effective mode.

Timed assertions are generous hang guards (a call takes tens of milliseconds; the guard is 1 s),
not speed claims.
"""

import math
import os
import signal
import threading
import time

import numpy as np
import pytest

import minplus
from minplus import (DTypeError, InfeasibleSearchError, LatticeSearch, MinplusError, RegionError,
                     SearchOptions, ShapeError, _core)
from minplus.errors import ArgumentError, ArgumentTypeError
from test_lattice import breaking_removed, planted, popcount, subset_minimal

CALL_GUARD_S = 1.0
LIMIT = int(_core.LATTICE_MAX_UNPACED_SETS)
WORK_PER_CALL = int(_core.LATTICE_WORK_PER_CALL)


def sets_up_to(n, goal, max_size=None):
    """Candidate sets of sizes <= max_size over the goals searched (Min- starts at size 1)."""
    last = n if max_size is None else min(max_size, n)
    firsts = {"min_plus": [0], "min_minus": [1], "both": [0, 1]}[goal]
    return sum(math.comb(n, k) for f in firsts for k in range(f, last + 1))


def timed(calls, name, fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    calls.append((name, time.perf_counter() - t0))
    return out


def drive(search, answer, batch, rounds):
    """Up to ``rounds`` ask/tell rounds; returns every call's (name, seconds) and the masks asked."""
    calls, asked = [], []
    for _ in range(rounds):
        if timed(calls, "done", search.done):
            break
        masks = timed(calls, "ask", search.ask, batch)
        asked.append(masks)
        timed(calls, "tell", search.tell, masks, answer(masks))
    timed(calls, "result", search.result)
    return calls, np.concatenate(asked) if asked else np.zeros(0, np.uint64)


def unpaced(mode, first_only, audit):
    return (mode == "minimal" and not first_only) or (mode == "monotone" and audit == 0)


# ---- every call is bounded, or the search is refused -------------------------------------------

MODES = [("exact", {}), ("minimal", {}), ("monotone", {}), ("monotone", {"audit": 0}),
         ("greedy", {}), ("greedy", {"beam": 8})]


@pytest.mark.parametrize("n", [40, 60, 64])
@pytest.mark.parametrize("goal", ["both", "min_plus", "min_minus"])
@pytest.mark.parametrize("first_only", [False, True])
@pytest.mark.parametrize("mode, extra", MODES)
def test_every_call_is_bounded_or_refused(n, goal, first_only, mode, extra):
    audit = extra.get("audit", 16)
    options = dict(goal=goal, mode=mode, first_only=first_only, **extra)
    if unpaced(mode, first_only, audit):
        with pytest.raises(InfeasibleSearchError, match="max_size=.*budget="):
            LatticeSearch(n, **options)
        options["budget"] = 10 ** 9  # an anytime search: allowed, and still bounded per call
    rng = np.random.default_rng(n)
    for p, batch in ((0.5, 64), (0.02, 4096)):  # random answers; rare preservation goes deep
        s = LatticeSearch(n, **options)
        calls, asked = drive(s, lambda m: rng.random(len(m)) < p, batch, rounds=8)
        slow = [(name, round(t, 3)) for name, t in calls if t > CALL_GUARD_S]
        assert not slow, f"calls over {CALL_GUARD_S} s: {slow}"
        assert len(np.unique(asked)) == len(asked)
        assert n == 64 or not (asked >> np.uint64(n)).any()


@pytest.mark.parametrize("mode", ["exact", "minimal"])
def test_a_large_batch_is_capped_and_bounded(mode):
    # Nothing preserves but the unmasked image: exact mode walks every level of Min+, and by
    # level 4 (C(64, 4) = 635,376 sets) each ask hits the cap on masks per call; first_only
    # minimal is exact up to its first solution.
    s = LatticeSearch(64, mode=mode, first_only=mode == "minimal")
    cap, sizes, calls = int(_core.LATTICE_MAX_ASK), [], []
    for _ in range(7):
        masks = timed(calls, "ask", s.ask, 2 ** 40)
        sizes.append(len(masks))
        timed(calls, "tell", s.tell, masks, np.zeros(len(masks), bool))
        assert not timed(calls, "done", s.done)
    assert max(t for _, t in calls) < CALL_GUARD_S
    assert max(sizes) == cap and sizes[-2:] == [cap, cap]


def test_a_long_walk_yields_empty_batches_and_resumes():
    # Minimal, Min+ only, n = 40: every singleton of regions 0..29 preserves, so almost every
    # later candidate is a pruned superset: ~2^40 sets walked with no query to pace them.
    n, solving = 40, (1 << 30) - 1
    s = LatticeSearch(n, goal="min_plus", mode="minimal", budget=10 ** 9)
    calls, empties, works = [], 0, [s.work]
    for _ in range(40):
        assert not timed(calls, "done", s.done)
        masks = timed(calls, "ask", s.ask, 1024)
        empties += len(masks) == 0
        works.append(s.work)
        timed(calls, "tell", s.tell, masks, (masks & np.uint64(solving)) != 0)
    assert max(t for _, t in calls) < CALL_GUARD_S
    assert empties > 0, "the walk never yielded"
    assert all(b > a for a, b in zip(works, works[1:])), "an ask did no work"
    assert s.result().min_plus == [1 << i for i in range(30)]


@pytest.mark.parametrize("mode, goal, audit, sets", [
    ("minimal", "min_plus", 16, [1 << i for i in range(12)]),  # supersets of 12 singletons
    ("minimal", "min_minus", 16, [0xFFF]),                      # removing any of 12 breaks
    ("monotone", "both", 0, [0xFFF]),  # Min- at size 1 prunes Min+ up to size 12
])
def test_answers_across_yields_equal_brute_force(mode, goal, audit, sets):
    # n = 21: 2^21 candidate sets per goal, mostly pruned, so the walk yields several times; the
    # answer must not depend on where it stopped.
    n = 21
    pres = planted(n, sets)
    s = LatticeSearch(n, goal=goal, mode=mode, audit=audit)
    full_calls = 0  # calls that spent their whole bound: the walk yielded there
    while True:
        work = s.work
        if s.done():
            break
        full_calls += s.work - work == WORK_PER_CALL
        work = s.work
        masks = s.ask(4096)
        full_calls += s.work - work == WORK_PER_CALL
        s.tell(masks, pres[masks.astype(np.int64)])
    r = s.result()
    assert full_calls > 0, "the walk never yielded"
    if mode == "minimal":
        assert sorted(r.min_plus) == (subset_minimal(n, pres) if goal == "min_plus" else [])
        assert sorted(r.min_minus) == (subset_minimal(n, breaking_removed(n, pres))
                                       if goal == "min_minus" else [])
    else:  # preserved iff regions 0..11 are all kept: the minimum sets, as brute force finds
        assert r.min_plus == [0xFFF] and r.min_minus == [1 << i for i in range(12)]
        assert r.queries < 2 ** 12


# ---- refusals ------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, goal", [(40, "both"), (60, "min_plus"), (64, "min_minus"),
                                     (30, "both"), (31, "min_plus")])
def test_refusal_names_the_options_and_the_sets_needed(n, goal):
    with pytest.raises(InfeasibleSearchError) as e:
        LatticeSearch(n, goal=goal, mode="minimal")
    assert isinstance(e.value, MinplusError) and isinstance(e.value, ValueError)
    msg = str(e.value)
    assert "max_size=" in msg and "budget=" in msg
    need = sets_up_to(n, goal)
    assert (f"{need:,}" if need < 2 ** 64 - 1 else f"at least {2 ** 64 - 1:,}") in msg
    fits = int(msg.split("(max_size=")[1].split()[0])  # the largest max_size that fits
    assert sets_up_to(n, goal, fits) <= LIMIT < sets_up_to(n, goal, fits + 1)
    assert f"{sets_up_to(n, goal, fits):,}" in msg
    LatticeSearch(n, goal=goal, mode="minimal", max_size=fits)
    with pytest.raises(InfeasibleSearchError, match="lower max_size="):
        LatticeSearch(n, goal=goal, mode="minimal", max_size=fits + 1)
    LatticeSearch(n, goal=goal, mode="minimal", budget=1000)


def test_the_limit_is_where_the_docs_put_it():
    assert LIMIT == 2 ** 30
    LatticeSearch(29, mode="minimal")                 # 2^30 - 1 sets over both goals
    LatticeSearch(30, goal="min_plus", mode="minimal")  # exactly 2^30
    with pytest.raises(InfeasibleSearchError):
        LatticeSearch(30, mode="minimal")
    with pytest.raises(InfeasibleSearchError, match="audit="):
        LatticeSearch(40, mode="monotone", audit=0)
    for options in ({"mode": "exact"}, {"mode": "monotone"}, {"mode": "greedy"},
                    {"mode": "minimal", "first_only": True}):
        LatticeSearch(64, **options)  # paced by their queries: never refused


def test_search_refuses_before_any_model_call():
    calls = []

    def model(images):
        calls.append(len(images))
        return images.reshape(len(images), -1).mean(axis=1, keepdims=True)

    masker = grid_masker(40)
    with pytest.raises(InfeasibleSearchError, match="max_size="):
        minplus.search(model, masker, lambda s: s[:, 0] > 0, mode="minimal", progress=False)
    assert calls == []


# ---- Ctrl-C --------------------------------------------------------------------------------------

def grid_masker(n, lit=None):
    """n regions of 2x2 pixels in rows of 8; regions in ``lit`` (default all) are white."""
    rows = -(-n // 8)
    labels = np.full((2 * rows, 16), -1, np.int32)
    image = np.zeros((2 * rows, 16, 3), np.uint8)
    for r in range(n):
        y, x = 2 * (r // 8), 2 * (r % 8)
        labels[y:y + 2, x:x + 2] = r
        if lit is None or r in lit:
            image[y:y + 2, x:x + 2] = 255
    return minplus.Masker(image, labels, baseline="black")


def brightest(images):
    return images.reshape(len(images), -1).max(axis=1, keepdims=True).astype(np.float64)


@pytest.mark.parametrize("case", ["exact, nothing preserves", "minimal, walking pruned sets"])
def test_ctrl_c_stops_a_long_search_within_a_second_with_the_partial_result(case):
    if case.startswith("exact"):  # query-paced: the model is asked forever
        masker, decision = grid_masker(64), lambda s: np.zeros(len(s), bool)
        options = SearchOptions(mode="exact", budget=10 ** 9)
    else:  # engine-paced: a 2^40 walk of pruned supersets between rare queries
        masker, decision = grid_masker(40, lit=range(30)), lambda s: s[:, 0] > 0
        options = SearchOptions(goal="min_plus", mode="minimal", budget=10 ** 9)
    sent = []

    def interrupt():
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(0.5, interrupt)

    def model(images):  # starts the clock once the search runs, however loaded the machine
        if not timer.is_alive() and not sent:
            timer.start()
        return brightest(images)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt) as e:
            minplus.search(model, masker, decision, options=options, batch_size=256,
                           progress=False)
        stopped = time.perf_counter()
    finally:
        timer.cancel()
        timer.join()
        signal.signal(signal.SIGINT, previous)
    assert sent and stopped - sent[0] < CALL_GUARD_S
    partial = e.value.partial
    assert isinstance(partial, minplus.SearchResult) and partial.queries > 0
    assert not partial.budget_exhausted and not all(partial.finished.values())
    if case.startswith("minimal"):
        assert partial.min_plus[:30] == [1 << i for i in range(30)]


# ---- tell is atomic; bad input is refused, typed ------------------------------------------------

def test_tell_with_a_duplicate_commits_nothing():
    s = LatticeSearch(6)
    masks = s.ask(8)
    assert len(masks) >= 2
    with pytest.raises(ArgumentError, match="twice"):
        s.tell(np.r_[masks, masks[:1]], np.zeros(len(masks) + 1, bool))
    with pytest.raises(ArgumentError, match="not asked"):  # one bad mask at the end
        s.tell(np.r_[masks, np.uint64(3)], np.zeros(len(masks) + 1, bool))
    s.tell(masks, np.zeros(len(masks), bool))  # every mask was still pending
    with pytest.raises(ArgumentError, match="told already"):
        s.tell(masks[:1], [True])


def asked_search(n=6):
    s = LatticeSearch(n)
    return s, s.ask(4)


@pytest.mark.parametrize("masks, preserved, error", [
    ([-1], [True], RegionError),
    (np.array([-3], np.int64), [True], RegionError),
    ([2 ** 64], [True], RegionError),
    ([1 << 6], [True], RegionError),               # a bit >= n
    ([1.5], [True], DTypeError),
    (np.array([1.0]), [True], DTypeError),
    (["3"], [True], DTypeError),
    ("3", [True], ShapeError),
    ([True], [True], DTypeError),
    ([[1]], [[True]], ShapeError),                 # a 2-D list is refused, not flattened
    ([0, 1], [True], ShapeError),
    ([0], ["yes"], DTypeError),
    ([0], [0.0], DTypeError),
    ([0], [np.nan], DTypeError),
    ([0], [2], ArgumentError),
    ([0], np.array([-1]), ArgumentError),
    ([0], True, ShapeError),
])
def test_bad_tell_is_refused_with_a_typed_error_and_changes_nothing(masks, preserved, error):
    s, asked = asked_search()
    with pytest.raises(error) as e:
        s.tell(masks, preserved)
    assert isinstance(e.value, MinplusError)
    s.tell(asked, np.ones(len(asked), bool))  # still pending: the bad tell changed nothing


@pytest.mark.parametrize("preserved", [[True, False, True, True], np.array([1, 0, 1, 1]),
                                       np.array([True, False, True, True]),
                                       [np.True_, np.False_, True, True], (1, 0, 1, 1)])
def test_tell_accepts_bools_and_zero_one_ints(preserved):
    s, asked = asked_search()
    s.tell(asked, preserved)
    assert s.result().min_plus_empty  # mask 0 was asked first and told True


@pytest.mark.parametrize("max_batch, error", [(0, ArgumentError), (-1, ArgumentError),
                                              (2 ** 64, ArgumentError), (True, ArgumentTypeError),
                                              (1.5, ArgumentTypeError), ("3", ArgumentTypeError),
                                              (None, ArgumentTypeError)])
def test_bad_max_batch_is_refused(max_batch, error):
    s = LatticeSearch(6)
    with pytest.raises(error, match="max_batch"):
        s.ask(max_batch)


@pytest.mark.parametrize("kwargs, error, name", [
    ({"n": True}, ArgumentTypeError, "n"), ({"n": 4.0}, ArgumentTypeError, "n"),
    ({"n": "4"}, ArgumentTypeError, "n"), ({"n": 2 ** 70}, RegionError, "n"),
    ({"goal": 3}, ArgumentTypeError, "goal"), ({"mode": None}, ArgumentTypeError, "mode"),
    ({"budget": True}, ArgumentTypeError, "budget"), ({"budget": 1.5}, ArgumentTypeError, "budget"),
    ({"budget": 2 ** 64}, ArgumentError, "budget"), ({"max_size": "2"}, ArgumentTypeError,
                                                      "max_size"),
    ({"max_size": 2 ** 40}, ArgumentError, "max_size"),
    ({"first_only": 1}, ArgumentTypeError, "first_only"),
    ({"first_only": "yes"}, ArgumentTypeError, "first_only"),
    ({"mode": "greedy", "beam": 0}, ArgumentError, "beam"),
    ({"mode": "greedy", "beam": 5000}, ArgumentError, "beam"),
    ({"mode": "greedy", "beam": 2.0}, ArgumentTypeError, "beam"),
    ({"audit": -1}, ArgumentError, "audit"), ({"audit": 2 ** 31}, ArgumentError, "audit"),
    ({"prior": [1, 2, np.inf, 0]}, ArgumentError, "prior"),
    ({"prior": [1, 2, np.nan, 0]}, ArgumentError, "prior"),
    ({"prior": [1, 2, 3]}, ShapeError, "prior"), ({"prior": [[1, 2], [3, 4]]}, ShapeError, "prior"),
    ({"prior": ["a", "b", "c", "d"]}, ArgumentTypeError, "prior"),
    ({"prior": "abcd"}, ArgumentTypeError, "prior"),
    ({"prior": [True, False, True, False]}, ArgumentTypeError, "prior"),
    ({"speed": 3}, ArgumentTypeError, "speed"),
])
def test_bad_options_are_refused_naming_the_argument(kwargs, error, name):
    kwargs = {"n": 4, **kwargs}
    with pytest.raises(error, match=name) as e:
        LatticeSearch(**kwargs)
    assert isinstance(e.value, MinplusError)


# ---- SearchOptions -------------------------------------------------------------------------------

def test_search_options_give_the_same_search_as_keywords():
    n, pres = 10, planted(10, [0b111, 0b11 << 5])
    options = SearchOptions(mode="monotone", max_size=4, prior=np.arange(10.0))
    assert options.prior == tuple(float(i) for i in range(10))
    results = []
    for s in (LatticeSearch(n, options), LatticeSearch(n, mode="monotone", max_size=4,
                                                        prior=np.arange(10.0))):
        while not s.done():
            m = s.ask(16)
            s.tell(m, pres[m.astype(np.int64)])
        results.append(s.result())
    a, b = results
    assert (a.min_plus, a.min_minus, a.queries) == (b.min_plus, b.min_minus, b.queries)
    # Keywords beside an options object override its fields, checked again.
    assert LatticeSearch(n, options, max_size=2).options.max_size == 2
    with pytest.raises(ArgumentError):
        LatticeSearch(n, options, beam=2)


def test_search_options_are_frozen_hashable_and_checked_on_replace():
    o = SearchOptions(mode="greedy", beam=3)
    with pytest.raises(AttributeError):
        o.beam = 4
    assert o == SearchOptions(mode="greedy", beam=3) and hash(o) == hash(SearchOptions(
        mode="greedy", beam=3))
    assert o.replace(beam=None).beam is None
    with pytest.raises(ArgumentError, match="beam"):
        o.replace(mode="exact")
    with pytest.raises(ArgumentTypeError, match="options must be a SearchOptions"):
        LatticeSearch(4, {"mode": "exact"})


def test_search_takes_options_or_keywords_not_both():
    masker = grid_masker(6)
    keep = lambda s: s[:, 0] > 0  # noqa: E731 (any region kept preserves)
    a = minplus.search(brightest, masker, keep, mode="minimal", max_size=2, progress=False)
    b = minplus.search(brightest, masker, keep, options=SearchOptions(mode="minimal", max_size=2),
                       progress=False)
    assert (a.min_plus, a.min_minus, a.queries, a.mode) == (b.min_plus, b.min_minus, b.queries,
                                                            b.mode)
    assert a.min_plus == [1 << i for i in range(6)]
    with pytest.raises(ArgumentError, match="mode="):
        minplus.search(brightest, masker, keep, mode="greedy", options=SearchOptions(),
                       progress=False)
    with pytest.raises(ArgumentError, match="budget"):
        minplus.search(brightest, masker, keep, budget=0, progress=False)


# ---- the effective mode ---------------------------------------------------------------------------

def test_effective_mode_names_the_fallback():
    n = 7
    flips = popcount(n) % 2 == 1  # non-monotone at every level
    flips[-1] = True
    monotone = planted(n, [0b11, 0b1100])
    for mode, pres, want in (("monotone", flips, "exact"), ("monotone", monotone, "monotone"),
                             ("exact", flips, "exact"), ("minimal", flips, "minimal"),
                             ("greedy", flips, "greedy")):
        s = LatticeSearch(n, mode=mode)
        while not s.done():
            m = s.ask(8)
            s.tell(m, pres[m.astype(np.int64)])
        r = s.result()
        assert r.mode == mode and r.effective_mode == want
        assert r.fell_back == (mode == "monotone" and want == "exact")
