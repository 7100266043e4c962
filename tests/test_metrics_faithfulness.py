"""Deletion, insertion, faithfulness correlation, ROAD and infidelity: closed forms on planted
linear models, batching through the one evaluation loop, determinism and typed errors."""

import numpy as np
import pytest
import torch

from minplus import metrics
from minplus.baselines import make_baseline
from minplus.errors import ArgumentError, RegionError, ShapeError, TargetError
from minplus.models import TorchModel
from minplus.models.base import Model

H, W, C = 12, 10, 3


class Linear(Model):
    """f(x) = sum(w * x), counting its calls: a planted model whose every curve has a closed
    form."""

    def __init__(self, w, batch_size=None):
        super().__init__(batch_size)
        self.w, self.calls = w.astype(np.float64), []

    def run(self, batch):
        self.calls.append(len(batch))
        return (np.asarray(batch, np.float64) * self.w).sum(axis=(1, 2, 3))[:, None]


@pytest.fixture(scope="module")
def planted():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(H, W, C))
    img = rng.random((H, W, C)).astype(np.float32)
    return w, img, (w * img).sum(axis=2)  # the exact contribution of each pixel


def _curve(contrib, counts, order, kind, total_base=0.0, base_contrib=None):
    """The closed-form curve: pixels in rank order, the score the sum of what is shown."""
    flat = contrib.reshape(-1)
    rank = np.argsort(-flat if order == "morf" else flat, kind="stable")
    base = np.zeros_like(flat) if base_contrib is None else base_contrib.reshape(-1)
    shown_sorted = np.r_[0.0, np.cumsum(flat[rank] - base[rank])]
    start = base.sum()
    if kind == "insertion":
        return start + shown_sorted[counts]
    return flat.sum() - shown_sorted[counts]


@pytest.mark.parametrize("kind", ["deletion", "insertion"])
@pytest.mark.parametrize("order", ["morf", "lerf"])
def test_curve_and_auc_of_a_linear_model(planted, kind, order):
    w, img, contrib = planted
    model = Linear(w)
    fn = getattr(metrics, kind)
    r = fn(model, img, contrib, steps=15, baseline="black", order=order)
    counts = r.extra["counts"]
    expected = _curve(contrib, counts, order, kind)
    np.testing.assert_allclose(r.curve.y, expected, rtol=1e-5, atol=1e-4)
    x = counts / counts[-1]
    auc = float(np.sum(np.diff(x) * (expected[1:] + expected[:-1]) / 2))
    assert r.value == pytest.approx(auc, rel=1e-5)
    # the unmasked image, then one batch for the other 15 steps (under the 64-map chunk): the
    # step showing the whole image reuses the unmasked score
    assert model.calls == [1, len(counts) - 1] and r.evaluations == len(counts)
    assert r.higher_is_better == ((kind == "insertion") == (order == "morf"))


def test_morf_deletion_beats_lerf_and_random_on_the_true_map(planted):
    w, img, contrib = planted
    model = Linear(w)
    morf = metrics.deletion(model, img, contrib, steps=20).value
    lerf = metrics.deletion(model, img, contrib, steps=20, order="lerf").value
    noise = np.random.default_rng(1).random(contrib.shape)
    rand = metrics.deletion(model, img, noise, steps=20).value
    assert morf < rand < lerf


def test_blur_baseline_is_the_closed_form_with_the_blurred_image(planted):
    w, img, contrib = planted
    base = make_baseline(img, "blur", sigma=2.0)
    r = metrics.insertion(Linear(w), img, contrib, steps=10, baseline="blur", sigma=2.0)
    base_contrib = (w * base).sum(axis=2)
    expected = _curve(contrib, r.extra["counts"], "morf", "insertion",
                      base_contrib=base_contrib)
    np.testing.assert_allclose(r.curve.y, expected, rtol=1e-5, atol=1e-4)


def test_pixels_per_step_and_chunking(planted):
    w, img, contrib = planted
    model = Linear(w, batch_size=7)
    r = metrics.deletion(model, img, contrib, pixels_per_step=1)
    assert len(r.curve.y) == H * W + 1 and r.curve.y[-1] == pytest.approx(0.0, abs=1e-9)
    # 120 steps after the unmasked image: chunks of 64 + 56 maps, cut into batches of 7
    assert max(model.calls) <= 7 and sum(model.calls) == H * W + 1


def test_region_deletion_closed_form(planted):
    w, img, contrib = planted
    labels = (np.arange(H)[:, None] // 6) * 2 + (np.arange(W)[None] // 5)  # 4 quadrants
    region_contrib = np.array([contrib[labels == r].sum() for r in range(4)])
    values = {f"r{r}": float(v) for r, v in enumerate(region_contrib)}
    r = metrics.deletion(Linear(w), img, values, regions=labels)
    order = np.argsort(-region_contrib, kind="stable")
    expected = region_contrib.sum() - np.r_[0.0, np.cumsum(region_contrib[order])]
    np.testing.assert_allclose(r.curve.y, expected, rtol=1e-6, atol=1e-6)
    assert r.extra["order_of_regions"] == [f"r{i}" for i in order]
    assert r.curve.x.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    with pytest.raises(RegionError):
        metrics.deletion(Linear(w), img, {"r0": 1.0}, regions=labels)


def test_torch_model_renders_into_its_input_like_the_callable(planted):
    w, img, contrib = planted
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(H * W * C, 1, bias=False))
    with torch.no_grad():  # the same linear map over the nchw input
        net[1].weight[:] = torch.from_numpy(w.transpose(2, 0, 1).reshape(1, -1).copy())
    r_t = metrics.deletion(TorchModel(net, preprocess=(1.0, 0.0, 1.0)), img, contrib, steps=8)
    r_c = metrics.deletion(Linear(w), img, contrib, steps=8)
    np.testing.assert_allclose(r_t.curve.y, r_c.curve.y, rtol=1e-4, atol=1e-4)


def test_faithfulness_correlation_of_the_true_map_is_one(planted):
    w, img, contrib = planted
    model = Linear(w)
    for kind in ("pearson", "spearman"):
        r = metrics.faithfulness_correlation(model, img, contrib, runs=30, subset_size=10,
                                             correlation=kind)
        assert r.value == pytest.approx(1.0, abs=1e-9)
        # drops are exactly the subsets' attribution mass
        np.testing.assert_allclose(r.extra["score_drops"], r.extra["attribution_sums"],
                                   rtol=1e-5, atol=1e-5)
    neg = metrics.faithfulness_correlation(model, img, -contrib, runs=30, subset_size=10)
    assert neg.value == pytest.approx(-1.0, abs=1e-9)


def test_seeded_and_deterministic(planted):
    w, img, contrib = planted
    noise = np.random.default_rng(2).random(contrib.shape)
    a = metrics.faithfulness_correlation(Linear(w), img, noise, runs=20, subset_size=8, seed=4)
    b = metrics.faithfulness_correlation(Linear(w), img, noise, runs=20, subset_size=8, seed=4)
    c = metrics.faithfulness_correlation(Linear(w), img, noise, runs=20, subset_size=8, seed=5)
    assert a.value == b.value and a.value != c.value


def test_road_imputes_a_plane_exactly_and_ranks_morf_below_lerf(planted):
    from minplus.metrics._imputation import noisy_linear_imputation

    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    plane = np.stack([0.1 * yy + 0.05 * xx, 0.02 * xx, np.full_like(xx, 0.3)], axis=2)
    inner = (yy[1:-1, 1:-1] * W + xx[1:-1, 1:-1]).astype(np.int64).reshape(-1)[::3]
    out = noisy_linear_imputation(plane, inner, 0.0, np.random.RandomState(0))
    # an interior pixel of a plane is the weighted mean of its symmetric neighbours
    np.testing.assert_allclose(out, plane, atol=1e-10)

    w, img, contrib = planted
    morf = metrics.road(Linear(w), img, contrib, percentages=[10, 30, 50, 70, 90])
    lerf = metrics.road(Linear(w), img, contrib, percentages=[10, 30, 50, 70, 90],
                        order="lerf")
    assert morf.value < lerf.value and morf.evaluations == 6
    again = metrics.road(Linear(w), img, contrib, percentages=[10, 30, 50, 70, 90])
    assert np.array_equal(again.curve.y, morf.curve.y)


@pytest.mark.parametrize("perturbation", ["square", "noise"])
def test_infidelity_is_zero_for_the_exact_linear_attribution(planted, perturbation):
    w, img, contrib = planted
    model = Linear(w)
    # for f = sum(w x): f(x) - f(x - I) = sum(w I), so the gradient w predicts every
    # perturbation exactly (a one-channel model: the map sums I over channels)
    g = w[:, :, :1]
    x1 = img[:, :, :1]
    r = metrics.infidelity(Linear(g), x1, g[:, :, 0], perturbation=perturbation, samples=16,
                           patch=3, noise=0.05, scaled=False)
    assert r.value == pytest.approx(0.0, abs=1e-8)
    wrong = metrics.infidelity(model, img, np.random.default_rng(3).random(contrib.shape),
                               perturbation=perturbation, samples=16, patch=3, noise=0.05)
    assert wrong.value > 1e-3 and wrong.evaluations == 17


def test_infidelity_scaling_makes_it_unit_free(planted):
    w, img, contrib = planted
    noisy = contrib + np.random.default_rng(4).normal(0, 0.3, contrib.shape)
    a = metrics.infidelity(Linear(w), img, noisy, samples=32, patch=3)
    b = metrics.infidelity(Linear(w), img, 5 * noisy, samples=32, patch=3)
    assert a.value == pytest.approx(b.value, rel=1e-9)
    assert b.extra["beta"] == pytest.approx(a.extra["beta"] / 5, rel=1e-9)
    c = metrics.infidelity(Linear(w), img, 5 * noisy, samples=32, patch=3, scaled=False)
    assert c.value > b.value


def test_typed_errors(planted):
    w, img, contrib = planted
    with pytest.raises(ArgumentError):
        metrics.deletion(Linear(w), img, contrib, order="sideways")
    with pytest.raises(ShapeError):
        metrics.deletion(Linear(w), img, contrib[:-1])
    with pytest.raises(TargetError):
        metrics.insertion(Linear(w), img, contrib, target=3)
    with pytest.raises(ArgumentError):
        metrics.faithfulness_correlation(Linear(w), img, contrib, correlation="kendall")
    with pytest.raises(ArgumentError):
        metrics.infidelity(Linear(w), img, contrib, perturbation="blur")
    with pytest.raises(ArgumentError):
        metrics.deletion(Linear(w), img, np.where(contrib > 0, np.nan, contrib))


def test_result_is_json_ready_with_a_figure(planted):
    import json

    import matplotlib

    matplotlib.use("Agg")
    w, img, contrib = planted
    r = metrics.deletion(Linear(w), img, contrib, steps=5)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["metric"] == "deletion" and len(d["curve"]["y"]) == 6
    assert r.figure().axes[0].get_title().startswith("deletion")


def test_a_binding_is_shared_and_checked(planted):
    from minplus.errors import ModelError
    from minplus.evaluate import Binding

    w, img, contrib = planted
    model = Linear(w)
    binding = Binding(model, img)
    metrics.deletion(binding, img, contrib, steps=4)
    metrics.insertion(binding, img, contrib, steps=4, baseline="black")
    # the unmasked image was scored once, by the binding, for both metrics
    assert model.calls == [1, 4, 4]
    with pytest.raises(ModelError):
        metrics.deletion(binding, img[::-1].copy(), contrib, steps=4)
