"""pytest-benchmark suite for LatticeSearch: the engine alone, the engine through Python ask/tell,
and the whole search against the straightforward Python implementation.

Run: python -m pytest benchmarks/bench_lattice.py --benchmark-enable
"""

import numpy as np
import pytest

import minplus
from benchmarks.compare_lattice import (KeepsFraction, cheap_oracle_problem, naive_search,
                                        planted_options, planted_sets)
from minplus import _core


@pytest.mark.parametrize("mode, n", [("exact", 24), ("monotone", 24), ("greedy", 64)])
def test_engine_with_a_cpp_oracle(benchmark, mode, n):
    planted = planted_sets(n, 1)
    r = benchmark(_core.lattice_run_planted, planted_options(n, mode), planted, 4096)
    benchmark.extra_info["queries"] = int(r["queries"])


def test_engine_with_a_numpy_oracle(benchmark):
    n = 24
    planted = np.array(planted_sets(n, 1), np.uint64)

    def run():
        s = minplus.LatticeSearch(n)
        while not s.done():
            m = s.ask(4096)
            s.tell(m, ((m[:, None] & planted[None, :]) == planted[None, :]).any(axis=1))
        return s.result()

    benchmark.extra_info["queries"] = benchmark(run).queries


@pytest.fixture(scope="module")
def cheap_problem():
    return cheap_oracle_problem()


@pytest.mark.parametrize("batch_size", ["auto", 1024])
def test_search_cheap_oracle(benchmark, cheap_problem, batch_size):
    masker, score = cheap_problem
    r = benchmark(minplus.search, score, masker, KeepsFraction(0.7), batch_size=batch_size,
                  progress=False)
    benchmark.extra_info["queries"] = r.queries


def test_naive_cheap_oracle(benchmark, cheap_problem):
    masker, score = cheap_problem
    benchmark.pedantic(naive_search, args=(masker.image, masker.baseline, masker.labels, masker.n,
                                           score, lambda s, o: s >= 0.7 * o),
                       rounds=1, iterations=1)
