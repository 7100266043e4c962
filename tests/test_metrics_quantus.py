"""minplus.metrics against Quantus 0.6 at equal settings, on every metric both have.

Settings that make the two comparable, and why:
* one-channel images: Quantus ranks and samples the C x H x W features of a map broadcast over
  channels, minplus whole pixels; for C = 1 these are the same features;
* a numeric baseline (``perturb_baseline=0.0``): Quantus' "black" is the image's minimum, and
  naming any baseline by string makes it draw a "uniform" baseline it then discards, which
  moves the global random stream;
* ``softmax=False``: Quantus' default scores softmax probabilities, minplus the model's output;
* one seed: Quantus draws from numpy's global generator, minplus from a RandomState of the same
  seed in the same order.
Infidelity is not compared: Quantus' perturbation scheme (cumulative patches in raster order)
is not Yeh et al.'s random perturbations (see minplus.metrics.infidelity).
"""

import warnings

import numpy as np
import pytest
import quantus
import torch

from minplus import metrics
from minplus.models import TorchModel
from minplus.saliency import saliency

warnings.filterwarnings("ignore", module="quantus")

H = W = 16


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(4, 4, 3, padding=1),
        torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(4 * H * W, 3)).eval()


@pytest.fixture(scope="module")
def case(net):
    rng = np.random.default_rng(0)
    img = rng.random((H, W, 1)).astype(np.float32)
    amap = rng.random((H, W)).astype(np.float32)  # distinct values: no ties in either sort
    # the model's input is the image itself, as Quantus hands it x_batch
    return TorchModel(net, preprocess=(1.0, 0.0, 1.0)), img, amap


def _q(metric, net, img, amap, target=1, **kw):
    x = img.transpose(2, 0, 1)[None]
    return metric(net, x, np.array([target]), a_batch=amap[None, None], device="cpu",
                  channel_first=True, softmax=False, **kw)


def _gradient(model, images, target):
    """minplus' gradient saliency, the explainer both libraries are handed."""
    maps = saliency(model, np.ascontiguousarray(images, np.float32), target=target)
    return [maps] if not isinstance(maps, list) else maps


def _quantus_explainer(model, inputs, targets, **kwargs):
    hwc = np.asarray(inputs, np.float32).transpose(0, 2, 3, 1)
    maps = [saliency(model, np.ascontiguousarray(x), target=int(t)).map
            for x, t in zip(hwc, targets)]
    return np.stack(maps)[:, None]


def test_deletion_matches_pixel_flipping(net, case):
    model, img, amap = case
    q = _q(quantus.PixelFlipping(features_in_step=8, perturb_baseline=0.0,
                                 disable_warnings=True), net, img, amap)
    r = metrics.deletion(model, img, amap, target=1, pixels_per_step=8)
    np.testing.assert_allclose(r.curve.y[1:], q[0], rtol=0, atol=1e-6)
    # Quantus' AUC: the trapezoid over its curve with unit spacing, the unmasked point left out
    # (numpy 2 removed np.trapz, which Quantus' own AUC helper still calls)
    np.testing.assert_allclose(np.trapezoid(r.curve.y[1:], dx=1), np.trapezoid(q[0], dx=1),
                               atol=1e-5)


def test_faithfulness_correlation_matches(net, case):
    model, img, amap = case
    np.random.seed(3)
    q = _q(quantus.FaithfulnessCorrelation(nr_runs=50, subset_size=20, perturb_baseline=0.0,
                                           disable_warnings=True), net, img, amap)
    r = metrics.faithfulness_correlation(model, img, amap, target=1, runs=50, subset_size=20,
                                         seed=3)
    assert abs(r.value - q[0]) < 1e-6


def test_road_imputation_and_kept_class_match(net, case):
    from quantus.functions.perturb_func import noisy_linear_imputation as quantus_imputation

    from minplus.metrics._imputation import noisy_linear_imputation

    model, img, amap = case
    order = np.argsort(-amap.reshape(-1), kind="stable")
    np.random.seed(5)
    theirs = quantus_imputation(img.transpose(2, 0, 1).astype(np.float64), order[:100],
                                noise=0.01)
    ours = noisy_linear_imputation(img.astype(np.float64), order[:100], 0.01,
                                   np.random.RandomState(5))
    np.testing.assert_allclose(ours.transpose(2, 0, 1), theirs, atol=1e-9)

    percentages = [5, 25, 50, 75, 95]
    np.random.seed(7)
    q = _q(quantus.ROAD(percentages=percentages, noise=0.01, disable_warnings=True), net, img,
           amap, target=int(np.argmax(model(img))))
    r = metrics.road(model, img, amap, percentages=percentages, noise=0.01, seed=7)
    assert [int(q[p]) for p in percentages] == r.extra["kept_class"].tolist()


@pytest.mark.parametrize("which", ["max", "avg"])
def test_sensitivity_matches(net, case, which):
    model, img, _ = case
    a = _gradient(net, img[None], 1)[0].map
    Metric = quantus.MaxSensitivity if which == "max" else quantus.AvgSensitivity
    np.random.seed(11)
    q = _q(Metric(nr_samples=6, lower_bound=0.1, disable_warnings=True), net, img, a,
           explain_func=_quantus_explainer)
    fn = metrics.max_sensitivity if which == "max" else metrics.avg_sensitivity
    r = fn(net, img, _gradient, 1, saliency=a, samples=6, radius=0.1, seed=11)
    assert abs(r.value - float(q[0])) < 1e-5 * max(1.0, abs(r.value))


def test_mprt_spearman_per_layer_matches(net, case):
    _, img, _ = case
    a = _gradient(net, img[None], 1)[0].map
    for order, theirs in (("cascading", "top_down"), ("independent", "independent")):
        q = _q(quantus.MPRT(layer_order=theirs, seed=42, disable_warnings=True), net, img, a,
               explain_func=_quantus_explainer)
        r = metrics.model_parameter_randomisation(
            net, img, lambda m, x, t: saliency(m, x, target=t), target=1, order=order,
            similarities=("spearman",), seed=42)
        # Quantus' dict is keyed by layer name (not in the order randomised)
        assert sorted(k for k in q if k != "original") == sorted(r.layers)
        np.testing.assert_allclose(r.similarities["spearman"], [q[k][0] for k in r.layers],
                                   atol=1e-9)


def test_random_logit_spearman_matches(net, case):
    from quantus.functions.similarity_func import correlation_spearman

    _, img, _ = case
    a = _gradient(net, img[None], 1)[0].map
    q = _q(quantus.RandomLogit(num_classes=3, similarity_func=correlation_spearman, seed=42,
                               disable_warnings=True), net, img, a,
           explain_func=_quantus_explainer)
    r = metrics.random_logit(net, img, lambda m, x, t: saliency(m, x, target=t), target=1,
                             num_classes=3, similarity_of="spearman", seed=42)
    assert abs(r.value - float(q[0])) < 1e-9


def test_localisation_matches(case, net):
    _, img, amap = case
    rng = np.random.default_rng(1)
    for _ in range(5):
        mask = np.zeros((H, W), bool)
        y0, x0 = rng.integers(0, 10, 2)
        mask[y0:y0 + 6, x0:x0 + 6] = True
        s = mask[None, None].astype(np.float32)
        x, y = img.transpose(2, 0, 1)[None], np.array([1])
        pg = quantus.PointingGame(disable_warnings=True)(net, x, y, a_batch=amap[None, None],
                                                         s_batch=s, device="cpu")
        assert metrics.pointing_game(amap, mask).value == float(pg[0])
        rma = quantus.RelevanceMassAccuracy(disable_warnings=True)(
            net, x, y, a_batch=amap[None, None], s_batch=s, device="cpu")
        assert abs(metrics.relevance_mass_accuracy(amap, mask).value - rma[0]) < 1e-6


def test_complexity_measures_match(case, net):
    _, img, amap = case
    x, y = img.transpose(2, 0, 1)[None], np.array([1])
    signed = amap - 0.3
    for a in (amap, signed):
        sp = quantus.Sparseness(disable_warnings=True)(net, x, y, a_batch=a[None, None].copy(),
                                                       device="cpu")
        assert abs(metrics.sparseness(a).value - sp[0]) < 1e-5
        cx = quantus.Complexity(disable_warnings=True)(net, x, y, a_batch=a[None, None].copy(),
                                                       device="cpu")
        assert abs(metrics.complexity(a).value - cx[0]) < 1e-6
