"""Subset enumeration: level fills, colex rank/unrank and binomials against itertools/math."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minplus import core
from minplus.errors import DTypeError, RegionError, ShapeError


def brute_level(n, k):
    return sorted(sum(1 << i for i in c) for c in itertools.combinations(range(n), k))


@st.composite
def n_k(draw, max_n=20):
    n = draw(st.integers(0, max_n))
    return n, draw(st.integers(0, n))


@settings(max_examples=200, deadline=None)
@given(n_k())
def test_level_equals_sorted_combinations(nk):
    n, k = nk
    assert core.level(n, k).tolist() == brute_level(n, k)


@settings(max_examples=200, deadline=None)
@given(n_k(max_n=64), st.data())
def test_rank_unrank_are_inverses(nk, data):
    n, k = nk
    total = core.count(n, k)
    ranks = data.draw(st.lists(st.integers(0, total - 1), min_size=1, max_size=20))
    masks = core.unrank(n, k, ranks)
    assert all(bin(int(m)).count("1") == k and int(m) < 2**n for m in masks)
    assert core.rank(masks).tolist() == ranks


@settings(max_examples=100, deadline=None)
@given(n_k(max_n=18), st.data())
def test_slices_concatenate_to_the_level(nk, data):
    n, k = nk
    total = core.count(n, k)
    cuts = sorted(data.draw(st.lists(st.integers(0, total), max_size=5)))
    bounds = [0] + cuts + [total]
    parts = [core.level(n, k, start=a, count=b - a) for a, b in zip(bounds, bounds[1:])]
    assert np.concatenate(parts).tolist() == core.level(n, k).tolist()


@settings(max_examples=100, deadline=None)
@given(n_k(max_n=64), st.data())
def test_slices_of_large_levels_are_consecutive_masks(nk, data):
    """For n up to 64 a slice starts at unrank(start) and walks increasing masks of popcount k."""
    n, k = nk
    total = core.count(n, k)
    start = data.draw(st.integers(0, total - 1))
    cnt = data.draw(st.integers(1, min(300, total - start)))
    s = core.level(n, k, start=start, count=cnt)
    assert int(s[0]) == int(core.unrank(n, k, [start])[0])
    assert all(bin(int(m)).count("1") == k for m in s)
    assert np.all(s[1:] > s[:-1])
    assert core.rank(s).tolist() == list(range(start, start + cnt))


def test_level_edges():
    assert core.level(0, 0).tolist() == [0]
    assert core.level(64, 64).tolist() == [2**64 - 1]
    assert core.level(64, 1)[-1] == np.uint64(2**63)
    top = core.level(64, 63)
    assert len(top) == 64 and int(top[-1]) == 2**64 - 1 - 1


@pytest.mark.parametrize("n", [0, 1, 5, 33, 64])
def test_count_equals_math_comb(n):
    assert [core.count(n, k) for k in range(n + 1)] == [math.comb(n, k) for k in range(n + 1)]


def test_binomial_overflow_is_typed():
    from minplus import _core

    assert _core.binomial(67, 33) == math.comb(67, 33)  # largest that fits in 64 bits
    with pytest.raises(OverflowError):
        _core.binomial(68, 34)


def test_bad_arguments():
    with pytest.raises(RegionError, match="n must be in"):
        core.level(65, 1)
    with pytest.raises(ValueError, match="k must be"):
        core.level(5, 6)
    with pytest.raises(ValueError, match="runs past"):
        core.level(5, 2, start=8, count=5)
    with pytest.raises(ValueError, match="start must be"):
        core.level(5, 2, start=-1)
    with pytest.raises(ValueError, match="out of range"):
        core.unrank(5, 2, [10])
    with pytest.raises(ShapeError, match="shape"):
        core.level(5, 2, out=np.empty(3, np.uint64), count=4)
    with pytest.raises(DTypeError, match="dtype"):
        core.level(5, 2, out=np.empty(10, np.int64))


def test_level_into_caller_buffer():
    buf = np.zeros(6, np.uint64)
    assert core.level(4, 2, out=buf) is buf
    assert buf.tolist() == [3, 5, 6, 9, 10, 12]
