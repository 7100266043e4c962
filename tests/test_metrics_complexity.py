"""Sparseness (Gini) and complexity (entropy) of known vectors."""

import numpy as np
import pytest

from minplus import metrics


@pytest.mark.parametrize("values, gini", [
    ([1, 1, 1, 1], 0.0),
    ([0, 0, 0, 5], 0.75),              # one spike of n = 4: 1 - 1/n
    ([1, 2, 3, 4], 0.25),              # sum (2i - n - 1) a_i / (n sum a) = 10 / 40
    ([0, 0, 0, 0], 0.0),
    ([3, 1, 0, 0, 0, 0], 18 / 24),     # ((2*5 - 7) * 1 + (2*6 - 7) * 3) / (6 * 4)
])
def test_gini_of_known_vectors(values, gini):
    a = np.array(values, np.float64).reshape(1, -1)
    assert metrics.sparseness(a).value == pytest.approx(gini, abs=1e-12)


def test_gini_is_sign_and_scale_free():
    a = np.random.default_rng(0).normal(size=(8, 8))
    g = metrics.sparseness(a).value
    assert metrics.sparseness(-a).value == pytest.approx(g)
    assert metrics.sparseness(7 * np.abs(a)).value == pytest.approx(g)
    spike = np.zeros((8, 8))
    spike[3, 3] = 1
    assert metrics.sparseness(spike).value == pytest.approx(1 - 1 / 64)


@pytest.mark.parametrize("values, entropy", [
    ([1, 1, 1, 1], np.log(4)),
    ([0, 0, 2, 0], 0.0),
    ([1, 1, 2, 0], -(0.25 * np.log(0.25) * 2 + 0.5 * np.log(0.5))),
    ([0, 0, 0, 0], 0.0),
])
def test_entropy_of_known_vectors(values, entropy):
    a = np.array(values, np.float64).reshape(2, 2)
    assert metrics.complexity(a).value == pytest.approx(entropy, abs=1e-12)
    assert metrics.complexity(-a).value == pytest.approx(entropy, abs=1e-12)


def test_directions():
    assert metrics.sparseness(np.ones((2, 2))).higher_is_better
    assert not metrics.complexity(np.ones((2, 2))).higher_is_better
