"""Black-box saliency methods: agreement with Captum 0.9 (same windows / feature masks /
enumeration), Shapley axioms, reproducibility, the native RISE masks and blending, bad inputs."""

import itertools
from math import comb

import numpy as np
import pytest
import torch
from blackbox_reference import ClosedFormRegression, SmallCNN, astronaut_image, grid_labels, \
    numpy_model
from captum.attr import FeatureAblation, KernelShap, Occlusion, ShapleyValues
from hypothesis import given, settings
from hypothesis import strategies as st

from minplus import RegionMap
from minplus.errors import RegionError, ShapeError, TargetError
from minplus.models.base import as_model
from minplus.saliency import (ClassTarget, SaliencyMap, VerificationTarget, banzhaf_values, kernel_shap, lime, occlusion, rise,
                              rise_masks, region_occlusion, shapley_values)
from minplus.saliency.indexed_maskers import AlphaMasker
from minplus.saliency.shapley import values_from_lattice

NET = SmallCNN()
MODEL = numpy_model(NET)
IMAGE = astronaut_image(32)
TARGET = 3
X = torch.from_numpy(IMAGE).permute(2, 0, 1)[None].contiguous()
# float32 rendering vs Captum's float32 forward on the same pixels: only summation order differs
ATOL = 1e-5


def region_mask(labels):
    return torch.from_numpy(labels).long()[None, None].expand(1, 3, *labels.shape).contiguous()


@pytest.mark.parametrize("window,stride", [(8, 4), (5, 3), ((6, 4), (3, 2)), (32, 32)])
def test_occlusion_matches_captum(window, stride):
    ours = occlusion(MODEL, IMAGE, target=TARGET, window=window, stride=stride, progress=False)
    wh, ww = np.broadcast_to(window, 2)
    sh, sw = np.broadcast_to(stride, 2)
    ref = Occlusion(NET).attribute(X, sliding_window_shapes=(3, int(wh), int(ww)),
                                   strides=(3, int(sh), int(sw)), baselines=0.0, target=TARGET,
                                   perturbations_per_eval=64)
    np.testing.assert_allclose(ours.map, ref[0, 0].numpy(), atol=ATOL)
    assert ours.evaluations == ours.extra["windows"] + 1


def test_occlusion_many_windows_per_row_splits_maskers():
    # 40 windows per row: more cells than one 64-region Masker holds
    img = astronaut_image(48)[:12]
    fn = lambda x: x[..., 1].reshape(len(x), -1) @ np.linspace(-1, 1, 12 * 48)  # linear in pixels
    ours = occlusion(fn, img, window=(4, 2), stride=(2, 1), progress=False)
    total, count = np.zeros((12, 48)), np.zeros((12, 48))
    w = np.linspace(-1, 1, 12 * 48).reshape(12, 48)
    for y in range(0, 9, 2):
        for x in range(0, 47):
            total[y:y + 4, x:x + 2] += (img[y:y + 4, x:x + 2, 1] * w[y:y + 4, x:x + 2]).sum()
            count[y:y + 4, x:x + 2] += 1
    np.testing.assert_allclose(ours.map, total / count, atol=1e-4)


def test_region_occlusion_matches_captum_feature_ablation():
    labels = grid_labels(32, 3)
    ours = region_occlusion(MODEL, IMAGE, regions=labels, target=TARGET, progress=False)
    ref = FeatureAblation(NET).attribute(X, baselines=0.0, target=TARGET,
                                         feature_mask=region_mask(labels),
                                         perturbations_per_eval=16)
    np.testing.assert_allclose(ours.map, ref[0, 0].numpy(), atol=ATOL)
    assert list(ours.regions) == [f"r{i}" for i in range(9)]
    assert ours.evaluations == 10


def test_shapley_matches_captum_exact_shapley_values():
    labels = grid_labels(32, 2)
    ours = shapley_values(MODEL, IMAGE, regions=labels, target=TARGET, progress=False)
    ref = ShapleyValues(NET).attribute(X, baselines=0.0, target=TARGET,
                                       feature_mask=region_mask(labels), perturbations_per_eval=64)
    np.testing.assert_allclose(ours.map, ref[0, 0].numpy(), atol=ATOL)


def lattice(n, fn):
    return np.array([fn({i for i in range(n) if s >> i & 1}) for s in range(1 << n)], float)


def brute_force_shapley(f, n):
    phi = np.zeros(n)
    for perm in itertools.permutations(range(n)):
        s = 0
        for i in perm:
            phi[i] += f[s | 1 << i] - f[s]
            s |= 1 << i
    return phi / np.prod(np.arange(1, n + 1))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_lattice_values_equal_permutation_definition(n, seed):
    f = np.random.default_rng(seed).normal(size=1 << n)
    np.testing.assert_allclose(values_from_lattice(f, n), brute_force_shapley(f, n), atol=1e-12)
    banzhaf = [np.mean([f[s | 1 << i] - f[s] for s in range(1 << n) if not s >> i & 1])
               for i in range(n)]
    np.testing.assert_allclose(values_from_lattice(f, n, "banzhaf"), banzhaf, atol=1e-12)


def test_shapley_axioms_on_the_cnn():
    labels = grid_labels(32, 3)
    m = shapley_values(MODEL, IMAGE, regions=labels, target=TARGET, progress=False)
    f = m.extra["lattice_scores"]
    # efficiency, to float rounding of a 9-term sum
    assert abs(sum(m.regions.values()) - (f[-1] - f[0])) < 1e-12 * max(1.0, abs(f).max())
    assert m.evaluations == 2**9 + 1 and m.score == pytest.approx(f[-1])
    assert m.extra["banzhaf"] == banzhaf_values(MODEL, IMAGE, TARGET, regions=labels,
                                                progress=False).regions


def test_symmetry_and_null_player():
    img = np.zeros((4, 8, 1), np.float32)
    img[:, :2], img[:, 2:4], img[:, 4:6] = 1.0, 1.0, 0.5
    labels = np.repeat([[0, 0, 1, 1, 2, 2, 3, 3]], 4, axis=0)
    # regions 0 and 1 interchangeable (same content, symmetric use); region 3 ignored (null)
    fn = lambda x: np.tanh(x[:, :, :4].sum((1, 2, 3)) * x[:, :, 4:6].sum((1, 2, 3))) + x[:, 0, 0, 0]
    for method in (shapley_values, banzhaf_values):
        v = method(fn, img, regions=labels, progress=False).regions
        assert v["r0"] != v["r1"]  # x[:, 0, 0, 0] reads region 0 only
    sym = lambda x: np.tanh(x[:, :, :4].sum((1, 2, 3)) * x[:, :, 4:6].sum((1, 2, 3)))
    for method in (shapley_values, banzhaf_values):
        v = method(sym, img, regions=labels, progress=False).regions
        assert v["r0"] == pytest.approx(v["r1"], abs=1e-12)
        assert v["r3"] == 0.0
        assert v["r2"] > 0


def test_shapley_refuses_more_than_20_regions():
    labels = np.arange(21 * 2).reshape(2, 21) % 21
    with pytest.raises(RegionError, match="n=21"):
        shapley_values(lambda x: x.sum((1, 2, 3)), np.ones((2, 21, 1), np.float32), regions=labels,
                       progress=False)


def test_kernel_shap_exact_enumeration_is_shapley():
    labels = np.repeat((np.arange(32) * 5 // 32)[None], 32, axis=0)  # 5 vertical bands
    ks = kernel_shap(MODEL, IMAGE, regions=labels, target=TARGET, n_samples=30, progress=False)
    sv = shapley_values(MODEL, IMAGE, regions=labels, target=TARGET, progress=False)
    assert ks.extra["exact"]
    np.testing.assert_allclose(list(ks.regions.values()), list(sv.regions.values()), atol=1e-9)


def test_kernel_shap_matches_captum_on_the_same_enumeration():
    """Captum's KernelShap machinery (LimeBase with the Shapley kernel), fed every coalition with
    its kernel weight, fits the same linear model: same values within float32 rounding."""
    labels = grid_labels(32, 2)
    n = 4
    coalitions = [torch.tensor([[s >> i & 1 for i in range(n)]]) for s in range(1 << n)]
    it = iter(coalitions)
    ks = KernelShap(NET)
    ks.interpretable_model = ClosedFormRegression()

    def enumerate_all(original_inp, **kwargs):
        return next(it)

    def weight(_, __, z, **kwargs):
        k = int(z.sum())
        w = 1e6 if k in (0, n) else (n - 1) / (comb(n, k) * k * (n - k))
        return torch.tensor([w])

    ks.perturb_func, ks.similarity_func = enumerate_all, weight
    ref = ks.attribute(X, baselines=0.0, target=TARGET, feature_mask=region_mask(labels),
                       n_samples=1 << n)
    ours = kernel_shap(MODEL, IMAGE, regions=labels, target=TARGET, n_samples=100, progress=False)
    np.testing.assert_allclose(ours.map, ref[0, 0].numpy(), atol=1e-4)


def test_kernel_shap_sampling_is_efficient_seeded_and_close():
    labels = grid_labels(32, 3)
    a = kernel_shap(MODEL, IMAGE, regions=labels, target=TARGET, n_samples=300, seed=1, progress=False)
    b = kernel_shap(MODEL, IMAGE, regions=labels, target=TARGET, n_samples=300, seed=1, progress=False)
    c = kernel_shap(MODEL, IMAGE, regions=labels, target=TARGET, n_samples=300, seed=2, progress=False)
    assert not a.extra["exact"]
    np.testing.assert_array_equal(a.map, b.map)
    assert not np.array_equal(a.map, c.map)
    total = a.extra["f_all"] - a.extra["f_none"]
    assert sum(a.regions.values()) == pytest.approx(total, abs=1e-9)
    exact = np.array(list(shapley_values(MODEL, IMAGE, TARGET, regions=labels,
                                         progress=False).regions.values()))
    err = np.abs(np.array(list(a.regions.values())) - exact).max()
    assert err < 0.25 * np.abs(exact).max()


def test_lime_recovers_an_additive_model_and_is_seeded():
    img = np.zeros((2, 4, 1), np.float32)
    img[0] = [[1], [2], [3], [4]]
    labels = np.array([[0, 1, 2, 3], [-1, -1, -1, -1]])
    fn = lambda x: x.sum((1, 2, 3))
    m = lime(fn, img, regions=labels, n_samples=64, ridge=0.0, progress=False)
    np.testing.assert_allclose(list(m.regions.values()), [1, 2, 3, 4], atol=1e-9)
    assert m.extra["intercept"] == pytest.approx(0.0, abs=1e-9)
    a = lime(MODEL, IMAGE, TARGET, regions=grid_labels(32, 3), n_samples=100, seed=5,
             progress=False)
    b = lime(MODEL, IMAGE, TARGET, regions=grid_labels(32, 3), n_samples=100, seed=5,
             progress=False)
    np.testing.assert_array_equal(a.map, b.map)
    assert a.evaluations == 101


def test_rise_masks_are_bilinear_grids_with_the_right_density():
    m = rise_masks(400, (24, 24), s=4, p=0.3, seed=3)
    assert m.dtype == np.float32 and ((m >= 0) & (m <= 1)).all()
    assert m.mean() == pytest.approx(0.3, abs=0.03)
    # cells are 6 px: along any row, second differences vanish inside a cell (piecewise linear)
    d2 = np.diff(m, 2, axis=2)
    assert (np.abs(d2) < 1e-5).mean() > 0.6
    np.testing.assert_array_equal(rise_masks(3, (24, 24), 4, 0.3, 3, first=397), m[397:])
    assert not np.array_equal(rise_masks(3, (24, 24), 4, 0.3, 4), m[:3])


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_alpha_blending_matches_numpy(dtype):
    rng = np.random.default_rng(0)
    img = (rng.random((5, 7, 3)) * (255 if dtype == np.uint8 else 1)).astype(dtype)
    alphas = rng.random((4, 5, 7)).astype(np.float32)
    m = AlphaMasker(img, alphas, baseline="gray")
    f_img, f_base = img.astype(np.float32), m.baseline.astype(np.float32)
    want = f_base + alphas[[2, 0]][..., None] * (f_img - f_base)
    got = m.render([2, 0])
    if dtype == np.uint8:
        want = np.clip(np.rint(want), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(got, want)
    nchw = m.render([2, 0], layout="nchw", scale=0.5, mean=[0.1, 0.2, 0.3], std=[2.0, 1.0, 0.5])
    norm = lambda a: ((a * np.float32(0.5) - np.float32([0.1, 0.2, 0.3])) /
                      np.float32([2.0, 1.0, 0.5])).transpose(2, 0, 1)
    ref = norm(f_base)[None] + alphas[[2, 0]][:, None] * (norm(f_img) - norm(f_base))[None]
    np.testing.assert_allclose(nchw, ref, rtol=1e-6, atol=1e-6)
    with pytest.raises(ShapeError):
        m.render([4])


def test_rise_is_seeded_and_finds_the_evidence():
    img = np.zeros((24, 24, 3), np.float32)
    img[2:10, 2:10] = 1
    fn = lambda x: x[:, 2:10, 2:10].mean((1, 2, 3))
    a = rise(fn, img, n_masks=300, s=4, seed=7, progress=False)
    b = rise(fn, img, n_masks=300, s=4, seed=7, progress=False)
    np.testing.assert_array_equal(a.map, b.map)
    # E[f | pixel kept]: the patch's pixels raise it, far pixels leave it at about E[f]
    assert a.map[2:10, 2:10].mean() > a.map[14:, 14:].mean() + 0.05
    const = rise(lambda x: np.ones(len(x)), img, n_masks=300, s=4, seed=7, progress=False)
    assert abs(const.map.mean() - 1.0) < 0.05  # sum_i M_i / (N p) estimates 1
    assert a.evaluations == 301
    c = rise(MODEL, IMAGE, TARGET, n_masks=64, s=4, seed=1, progress=False)
    assert c.map.shape == (32, 32) and np.isfinite(c.map).all()


def test_targets_and_batches():
    with pytest.raises(TargetError, match="target=10"):
        occlusion(MODEL, IMAGE, target=10, progress=False)
    with pytest.raises(TargetError, match="returned shape"):
        occlusion(MODEL, IMAGE, target=lambda s: s, progress=False)
    top = int(np.argmax(MODEL(IMAGE[None])[0]))
    m = occlusion(MODEL, IMAGE, window=16, stride=16, progress=False)
    assert isinstance(m, SaliencyMap) and m.target == top
    margin = lambda s: s[:, 3] - s[:, 4]
    v = occlusion(MODEL, IMAGE, target=margin, window=16, stride=16, progress=False)
    w3 = occlusion(MODEL, IMAGE, target=3, window=16, stride=16, progress=False)
    w4 = occlusion(MODEL, IMAGE, target=4, window=16, stride=16, progress=False)
    np.testing.assert_allclose(v.map, w3.map - w4.map, atol=1e-5)
    # the white-box target objects work here too
    c3 = occlusion(MODEL, IMAGE, target=ClassTarget(3), window=16, stride=16, progress=False)
    np.testing.assert_array_equal(c3.map, w3.map)
    ref = MODEL(IMAGE[None])[0]
    ver = occlusion(MODEL, IMAGE, target=VerificationTarget(ref), window=16, stride=16,
                    progress=False)
    assert ver.score == pytest.approx(1.0, abs=1e-6) and (ver.map > -1e-6).all()
    with pytest.raises(TargetError, match="reference has 3"):
        occlusion(MODEL, IMAGE, target=VerificationTarget(ref[:3]), progress=False)
    batch = occlusion(MODEL, np.stack([IMAGE, IMAGE[::-1]]), target=3, window=16, stride=16,
                      progress=False)
    assert isinstance(batch, list) and len(batch) == 2
    np.testing.assert_array_equal(batch[0].map, w3.map)


def test_region_inputs_are_checked():
    labels = grid_labels(32, 2)
    with pytest.raises(ShapeError, match=r"\(16, 32\)"):
        lime(MODEL, IMAGE, regions=labels[:16], progress=False)
    with pytest.raises(RegionError, match="names has 3"):
        kernel_shap(MODEL, IMAGE, regions=labels, names=["a", "b", "c"], progress=False)
    rm = RegionMap(labels, ["tl", "tr", "bl", "br", "empty"])
    with pytest.raises(RegionError, match="names has 4"):
        kernel_shap(MODEL, IMAGE, regions=rm, names=["a", "b", "c", "d"], progress=False)
    m = region_occlusion(MODEL, IMAGE, regions=rm, target=TARGET, progress=False)
    assert m.regions["empty"] == pytest.approx(0.0, abs=ATOL)  # same image, another batch
    assert list(m.regions)[:4] == ["tl", "tr", "bl", "br"]
    same = region_occlusion(MODEL, IMAGE, regions=labels, target=TARGET, progress=False)
    np.testing.assert_array_equal(m.map, same.map)
    # a RegionMap's context policy is honoured: masking the context changes the map
    framed = labels.copy()
    framed[:4] = -1
    keep = region_occlusion(MODEL, IMAGE, TARGET, regions=RegionMap(framed, list("abcd")),
                            progress=False)
    drop = region_occlusion(MODEL, IMAGE, TARGET, regions=RegionMap(framed, list("abcd"), context="mask"),
                            progress=False)
    assert keep.regions != drop.regions


def test_model_sees_full_batches():
    calls = []

    def fn(x):
        calls.append(len(x))
        return MODEL(x)

    occlusion(as_model(fn, batch_size=64), IMAGE, target=TARGET, window=4, stride=2,
              progress=False)
    assert calls[0] == 1 and calls[1:-1] == [64] * (len(calls) - 2)  # 225 windows: 64,64,64,33


@pytest.mark.parametrize("method", ["occlusion", "rise", "shapley", "minplus"])
def test_torch_adapter_renders_the_same_perturbations(method):
    """TorchModel renders normalised NCHW straight into its input tensor, through the index
    maskers too: the maps equal those of the numpy callable."""
    from minplus.models.torch_model import TorchModel
    from minplus.saliency import minplus_map

    labels = grid_labels(32, 2)
    run = {"occlusion": lambda m: occlusion(m, IMAGE, 3, window=8, stride=4, progress=False),
           "rise": lambda m: rise(m, IMAGE, 3, n_masks=40, s=4, progress=False),
           "shapley": lambda m: shapley_values(m, IMAGE, regions=labels, target=3, progress=False),
           "minplus": lambda m: minplus_map(m, IMAGE, 3, preset="fast", steps=2,
                                            progress=False)}[method]
    a = run(TorchModel(NET, preprocess=(1.0, 0.0, 1.0), batch_size=16))
    b = run(MODEL)
    np.testing.assert_allclose(a.map, b.map, atol=1e-5)
    assert a.evaluations == b.evaluations
