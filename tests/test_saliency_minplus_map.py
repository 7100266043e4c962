"""MinPlus map: the window blending core against its numpy formula, the greedy phases on planted
models, one model batch per step, presets, determinism."""

import numpy as np
import pytest
from blackbox_reference import SmallCNN, astronaut_image, numpy_model

from minplus.models.base import as_model
from minplus.saliency import minplus_map
from minplus.saliency.indexed_maskers import WindowMasker
from minplus.saliency.minplus_map import PRESETS, window_grid


@pytest.mark.parametrize("add", [False, True])
@pytest.mark.parametrize("layout", ["hwc", "nchw"])
def test_window_blending_matches_numpy(add, layout):
    rng = np.random.default_rng(1)
    img = rng.random((20, 30, 3)).astype(np.float32)
    centres, taps = window_grid((20, 30), 9, 6)
    centres = np.vstack([centres, [[-3, 28], [-1000, -1000]]])  # partly and wholly off the image
    m = WindowMasker(img, centres, taps, baseline="gray")
    m.keep = rng.random((20, 30)).astype(np.float32)
    m.add = add
    idx = np.arange(len(centres))
    g = np.stack([m.window(i) for i in idx])
    alpha = 1 - (1 - m.keep) * (1 - g) if add else m.keep * (1 - g)
    base = m.baseline
    want = base + alpha[..., None] * (img - base)
    got = m.render(idx, layout=layout)
    if layout == "nchw":
        got = got.transpose(0, 2, 3, 1)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(got[-1], (base + m.keep[..., None] * (img - base)))
    assert g[-1].max() == 0 and g[-2].max() > 0


def test_window_grid_and_presets():
    centres, taps = window_grid((256, 256), 161, 16)
    assert len(centres) == 256 and len(taps) == 161
    assert taps[80] == 1.0  # sigma = window / 6
    assert taps[0] == pytest.approx(np.exp(-0.5 * (80 * 6 / 161) ** 2), rel=1e-5)
    assert PRESETS["normal"] == {"window": 161, "stride": 16, "steps": 20, "threshold": 0.01}


def planted(x):
    """The score reads a 6x6 patch at rows 2..8, cols 20..26 only."""
    return x[:, 2:8, 20:26].mean(axis=(1, 2, 3))


def test_planted_evidence_ranks_first_and_each_step_is_one_batch():
    img = np.zeros((32, 32, 3), np.float32)
    img[2:8, 20:26] = 1.0
    calls = []

    def fn(x):
        calls.append(len(x))
        return planted(x)

    m = minplus_map(as_model(fn, batch_size=4096), img, window=9, stride=4, steps=5,
                    threshold=1e-3, progress=False)
    y, x = np.unravel_index(np.argmax(m.map), m.map.shape)
    assert 0 <= y < 11 and 17 <= x < 29
    minus, plus = m.extra["minus"], m.extra["plus"]
    assert np.all(np.diff(minus["scores"]) < 0) and np.all(np.diff(plus["scores"]) > 0)
    assert len(set(minus["windows"])) == len(minus["windows"])
    # calls: unmasked, then per phase one batch per step (+ the baseline for plus)
    n_windows = 64
    steps_minus, steps_plus = len(minus["windows"]), len(plus["windows"])
    expected = ([1] + [n_windows - k for k in range(min(steps_minus + 1, 5))] + [1]
                + [n_windows - k for k in range(min(steps_plus + 1, 5))])
    assert calls == expected
    assert m.evaluations == sum(calls)


def test_threshold_stops_a_flat_model():
    img = astronaut_image(32)
    m = minplus_map(lambda x: np.ones(len(x)), img, preset="fast", progress=False)
    assert m.extra["minus"]["windows"] == [] and m.extra["plus"]["windows"] == []
    n = len(window_grid((32, 32), 20, 4)[0])  # fast preset scaled to 32 px: window 20, stride 4
    assert m.evaluations == 1 + n + 1 + n  # unmasked, minus step 1, baseline, plus step 1
    assert np.all(m.map == 0)


def test_deterministic_on_a_cnn_and_batched_images():
    f = numpy_model(SmallCNN())
    img = astronaut_image(32)
    a = minplus_map(f, img, target=3, preset="fast", steps=3, progress=False)
    b = minplus_map(f, np.stack([img, img]), target=3, preset="fast", steps=3, progress=False)
    assert a.map.shape == (32, 32) and a.map.dtype == np.float32 and np.isfinite(a.map).all()
    np.testing.assert_array_equal(a.map, b[0].map)
    np.testing.assert_array_equal(b[0].map, b[1].map)
    with pytest.raises(ValueError, match="preset"):
        minplus_map(f, img, preset="slow")
