"""Max- and avg-sensitivity: closed forms with explainers whose change is known, batching and
seeding."""

import numpy as np
import pytest

from minplus import metrics
from minplus.errors import ArgumentError, ShapeError


def _noises(seed, samples, shape, radius):
    rng = np.random.RandomState(seed)
    H, W, C = shape
    return [rng.uniform(-radius, radius, size=(1, C * H * W)).reshape(C, H, W).transpose(1, 2, 0)
            for _ in range(samples)]


def test_identity_explainer_closed_form():
    img = np.random.default_rng(0).random((6, 5, 2)).astype(np.float32)
    calls = []

    def identity(model, x, target):
        calls.append(x.shape)
        return x.sum(axis=-1)

    r = metrics.max_sensitivity(None, img, identity, samples=40, radius=0.05, seed=3)
    a = img.astype(np.float64).sum(axis=2)
    expected = [np.linalg.norm(n.sum(axis=2)) / np.linalg.norm(a)
                for n in _noises(3, 40, img.shape, 0.05)]
    np.testing.assert_allclose(r.extra["ratios"], expected, rtol=1e-5)
    assert r.value == pytest.approx(max(expected), rel=1e-5)
    avg = metrics.avg_sensitivity(None, img, identity, samples=40, radius=0.05, seed=3)
    assert avg.value == pytest.approx(np.mean(expected), rel=1e-5)
    # the input once, then the 40 perturbed images in batches of at most 32
    assert calls[:3] == [(6, 5, 2), (32, 6, 5, 2), (8, 6, 5, 2)]
    assert r.evaluations == 41


def test_a_constant_explainer_is_insensitive_and_a_given_map_is_used():
    img = np.ones((4, 4, 3), np.uint8)
    const = lambda m, x, t: np.ones(x.shape[:-1])  # noqa: E731
    assert metrics.max_sensitivity(None, img, const, samples=5).value == 0.0
    r = metrics.avg_sensitivity(None, img, const, saliency=2 * np.ones((4, 4)), samples=5)
    assert r.value == pytest.approx(0.5) and r.evaluations == 5


def test_typed_errors():
    img = np.ones((4, 4, 1), np.float32)
    with pytest.raises(ArgumentError):
        metrics.max_sensitivity(None, img, "saliency")
    with pytest.raises(ShapeError):
        metrics.max_sensitivity(None, img, lambda m, x, t: np.ones((2, 2)), samples=2)
    with pytest.raises(ArgumentError):
        metrics.max_sensitivity(None, img, lambda m, x, t: x[..., 0], radius=0)
