"""Gradient saliency against Captum 0.9 (test-time reference), IG's completeness axiom, targets,
batches, eval mode, seeds and bad inputs.

Tolerances: our maps are Captum's attributions summed over channels. Saliency and
InputXGradient run the same single forward+backward pass: rtol 1e-5, atol 1e-6 x max|map|.
IG and NoiseTunnel sum float32 gradients in a different order (we accumulate per path chunk):
atol 1e-5 x max|map| (and rtol 1e-4).
"""

import numpy as np
import pytest
import torch
from captum.attr import InputXGradient, IntegratedGradients, NoiseTunnel, Saliency
from whitebox_nets import (NoGradForward, SmallCNN, as_input, channels_last,
                           coffee)

import minplus.saliency.gradient as gradient_module
from minplus.errors import DTypeError, GradientError, ShapeError, TargetError
from minplus.saliency import (VerificationTarget, input_x_gradient, integrated_gradients,
                              saliency, smoothgrad)

# Captum notes that it switched requires_grad on for our plain input tensors: expected.
pytestmark = pytest.mark.filterwarnings("ignore:Input Tensor 0 did not already require gradients")


def close(ours, reference, atol_rel=1e-6, rtol=1e-5):
    reference = reference.detach().numpy()[0].sum(0)
    np.testing.assert_allclose(ours, reference, rtol=rtol,
                               atol=atol_rel * float(np.abs(reference).max()))


@pytest.mark.parametrize("absolute", [True, False])
def test_saliency_matches_captum(net, image, absolute):
    ours = saliency(net, image, target=3, abs=absolute)
    ref = Saliency(net).attribute(as_input(image), target=3, abs=absolute)
    close(ours.map, ref)
    assert ours.map.shape == (32, 32) and ours.map.dtype == np.float32
    assert ours.method == "saliency" and ours.target == 3 and ours.evaluations == 1
    assert ours.score == pytest.approx(float(net(as_input(image))[0, 3].detach()), rel=1e-6)
    if absolute:
        assert (ours.map >= 0).all()


def test_input_x_gradient_matches_captum(net, image):
    ours = input_x_gradient(net, image, target=1)
    close(ours.map, InputXGradient(net).attribute(as_input(image), target=1))


@pytest.mark.parametrize("method", gradient_module.IG_METHODS)
def test_integrated_gradients_matches_captum(net, image, method):
    ours = integrated_gradients(net, image, target=4, n_steps=20, method=method,
                                internal_batch_size=7, progress=False)
    ref, delta = IntegratedGradients(net).attribute(
        as_input(image), target=4, n_steps=20, method=method, return_convergence_delta=True)
    close(ours.map, ref, atol_rel=1e-5, rtol=1e-4)
    assert ours.extra["completeness_gap"] == pytest.approx(float(delta), abs=1e-5)
    assert ours.evaluations == 22 and ours.extra["backward_passes"] == 20


def test_integrated_gradients_array_and_blur_baselines_match_captum(net, image):
    x = as_input(image)
    blurred = integrated_gradients(net, image, target=0, baseline="blur", baseline_sigma=2.0,
                                   n_steps=16, progress=False)
    from minplus.baselines import gaussian_blur
    blur = torch.from_numpy(gaussian_blur(image.astype(np.float32) / 255.0, 2.0)
                            .transpose(2, 0, 1).copy())[None]
    close(blurred.map, IntegratedGradients(net).attribute(x, blur, target=0, n_steps=16),
          atol_rel=1e-5, rtol=1e-4)
    other = coffee(32)
    given = integrated_gradients(net, image, target=0, baseline=other, n_steps=16,
                                 progress=False)
    close(given.map, IntegratedGradients(net).attribute(x, as_input(other), target=0, n_steps=16),
          atol_rel=1e-5, rtol=1e-4)
    black = integrated_gradients(net, image, target=0, baseline="black", n_steps=16,
                                 preprocess=(1 / 255, 0.5, 0.25), progress=False)
    # the input exactly as preprocess=(scale, mean, std) computes it (x * scale, not x / 255)
    xn = channels_last(torch.from_numpy((image * np.float32(1 / 255) - 0.5) / 0.25))
    close(black.map, IntegratedGradients(net).attribute(xn, torch.full_like(xn, -2.0), target=0,
                                                        n_steps=16), atol_rel=1e-5, rtol=1e-4)


@pytest.mark.parametrize("baseline", ["black", "blur"])
@pytest.mark.parametrize("method", ["gausslegendre", "riemann_trapezoid"])
def test_integrated_gradients_completeness_within_one_percent(image, baseline, method):
    # Softplus keeps S smooth along the path, so the quadrature error, not a ReLU kink, is
    # what the gap measures; the black baseline makes S(x) - S(x') large enough to matter.
    smooth = SmallCNN(act=torch.nn.Softplus, seed=1).eval()
    m = integrated_gradients(smooth, image, target=2, baseline=baseline, n_steps=256,
                             method=method, internal_batch_size=64, progress=False)
    delta = m.score - m.extra["baseline_score"]
    assert abs(delta) > 1e-3
    assert abs(m.extra["relative_gap"]) < 0.01
    assert float(m.map.sum(dtype=np.float64)) == pytest.approx(delta, rel=0.01)


@pytest.mark.parametrize("nt_type", gradient_module.NOISE_TYPES)
def test_smoothgrad_matches_noise_tunnel_with_the_same_noise(net, image, nt_type):
    # Same seed for torch's global generator (Captum) and our private one, same partition of the
    # samples: the noise tensors are bit-identical (torch.normal(0, std) == randn * std).
    ours = smoothgrad(net, image, target=2, stdev=0.1, n_samples=10, batch_size=4, seed=7,
                      nt_type=nt_type, progress=False)
    torch.manual_seed(7)
    ref = NoiseTunnel(Saliency(net)).attribute(as_input(image), nt_type=nt_type, nt_samples=10,
                                               nt_samples_batch_size=4, stdevs=0.1, target=2)
    close(ours.map, ref, atol_rel=1e-5, rtol=1e-4)
    assert ours.evaluations == 11


def test_smoothgrad_wraps_integrated_gradients_like_noise_tunnel(net, image):
    ours = smoothgrad(net, image, target=1, method=integrated_gradients, stdev=0.05,
                      n_samples=3, batch_size=2, seed=3, n_steps=8, quadrature="riemann_middle",
                      internal_batch_size=5, progress=False)
    torch.manual_seed(3)
    ref = NoiseTunnel(IntegratedGradients(net)).attribute(
        as_input(image), nt_samples=3, nt_samples_batch_size=2, stdevs=0.05, target=1,
        n_steps=8, method="riemann_middle")
    close(ours.map, ref, atol_rel=1e-5, rtol=1e-4)
    assert ours.extra["backward_passes"] == 24


def test_smoothgrad_zero_noise_is_the_wrapped_method(net, image):
    sg = smoothgrad(net, image, target=0, method="input_x_gradient", stdev=0.0, n_samples=3,
                    progress=False)
    np.testing.assert_allclose(sg.map, input_x_gradient(net, image, target=0).map, rtol=1e-5,
                               atol=1e-7)


def test_smoothgrad_statistics_agree_with_noise_tunnel_under_different_noise(net, image):
    # Independent noise draws: both estimate the same expectation, so with 64 samples each the
    # maps must be near-identical in shape (Pearson r > 0.9) and in scale (sums within 15%).
    ours = smoothgrad(net, image, target=3, stdev=0.1, n_samples=64, seed=11, progress=False).map
    torch.manual_seed(12345)
    ref = NoiseTunnel(Saliency(net)).attribute(as_input(image), nt_samples=64, stdevs=0.1,
                                               target=3)[0].sum(0).numpy()
    assert np.corrcoef(ours.ravel(), ref.ravel())[0, 1] > 0.9
    assert ours.sum() == pytest.approx(ref.sum(), rel=0.15)


def test_smoothgrad_is_reproducible_from_its_seed(net, image):
    a = smoothgrad(net, image, target=0, n_samples=6, seed=5, progress=False).map
    b = smoothgrad(net, image, target=0, n_samples=6, seed=5, batch_size=6, progress=False).map
    c = smoothgrad(net, image, target=0, n_samples=6, seed=6, progress=False).map
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_verification_target_matches_captum_on_cosine_similarity(image):
    # An embedding network: 8-d outputs; the reference is the embedding of another real image.
    embedder = SmallCNN(outputs=8, seed=2).eval()
    ref_emb = embedder(as_input(coffee(32)))[0].detach()
    target = VerificationTarget(ref_emb.numpy())

    def cosine(x):
        return torch.nn.functional.cosine_similarity(embedder(x), ref_emb[None], dim=1)

    ours = saliency(embedder, image, target=target, abs=False)
    close(ours.map, Saliency(cosine).attribute(as_input(image), abs=False))
    assert ours.score == pytest.approx(float(cosine(as_input(image)).detach()), rel=1e-6)
    assert ours.target == "verification"
    ig = integrated_gradients(embedder, image, target=VerificationTarget(ref_emb), n_steps=12,
                              progress=False)
    close(ig.map, IntegratedGradients(cosine).attribute(as_input(image), n_steps=12),
          atol_rel=1e-5, rtol=1e-4)
    own = saliency(embedder, image, target=VerificationTarget(embedder(as_input(image))))
    assert own.score == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(TargetError, match="8 dimensions but the reference has 3"):
        saliency(embedder, image, target=VerificationTarget(np.ones(3, np.float32)))


def test_target_none_is_the_predicted_class(net, image):
    predicted = int(net(as_input(image)).argmax())
    m = saliency(net, image)
    assert m.target == predicted
    np.testing.assert_array_equal(m.map, saliency(net, image, target=predicted).map)
    ig = integrated_gradients(net, image, n_steps=4, progress=False)
    assert ig.target == predicted


def test_batches_give_one_map_per_image_with_per_image_targets(net, image):
    other = coffee(32)
    maps = saliency(net, np.stack([image, other]), target=[1, 2])
    assert [m.target for m in maps] == [1, 2]
    np.testing.assert_array_equal(maps[0].map, saliency(net, image, target=1).map)
    np.testing.assert_array_equal(maps[1].map, saliency(net, other, target=2).map)
    as_list = integrated_gradients(net, [image, other], target=0, n_steps=4, progress=False)
    assert len(as_list) == 2
    tensors = input_x_gradient(net, torch.cat([as_input(image), as_input(other)]), target=0)
    np.testing.assert_allclose(tensors[1].map, input_x_gradient(net, other, target=0).map,
                               rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match="2 targets for 1 image"):
        saliency(net, image, target=[1, 2])


def test_tensor_and_preprocessed_inputs_agree(net, image):
    mean, std = np.array([0.5, 0.4, 0.3]), np.array([0.2, 0.25, 0.3])
    by_tuple = saliency(net, image, target=1, preprocess=(1 / 255, mean, std)).map
    x = (as_input(image) - torch.tensor(mean).view(1, 3, 1, 1).float()) / \
        torch.tensor(std).view(1, 3, 1, 1).float()
    np.testing.assert_allclose(by_tuple, saliency(net, x[0], target=1).map, rtol=1e-5, atol=1e-7)

    def resize_to_16(hwc):
        return torch.nn.functional.interpolate(as_input(hwc), size=(16, 16), mode="bilinear")

    small = saliency(net, image, target=1, preprocess=resize_to_16)
    assert small.map.shape == (32, 32)


class ViewingMLP(torch.nn.Module):
    """Flattens its raw input with .view, which needs contiguous NCHW (not channels-last)."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(5)
        self.fc = torch.nn.Linear(3 * 32 * 32, 4)

    def forward(self, x):
        return self.fc(torch.tanh(x.view(len(x), -1)))


def test_a_model_that_views_its_input_gets_contiguous_inputs(image):
    mlp = ViewingMLP().eval()
    x = as_input(image)
    close(saliency(mlp, image, target=2, abs=False).map,
          Saliency(mlp).attribute(x.contiguous(), target=2, abs=False))
    ig = integrated_gradients(mlp, image, target=2, n_steps=8, internal_batch_size=3,
                              progress=False)
    close(ig.map, IntegratedGradients(mlp).attribute(x.contiguous(), target=2, n_steps=8),
          atol_rel=1e-5, rtol=1e-4)
    assert smoothgrad(mlp, image, target=1, n_samples=4, progress=False).map.shape == (32, 32)


def test_eval_mode_is_used_and_each_module_mode_restored(image):
    net = torch.nn.Sequential(SmallCNN(seed=4), torch.nn.Dropout(0.5), torch.nn.BatchNorm1d(5))
    net.train()
    net[0].eval()
    expected = saliency(net.eval(), image, target=0).map
    net.train()
    net[0].eval()
    got = saliency(net, image, target=0).map
    np.testing.assert_array_equal(got, expected)
    assert net.training and net[1].training and net[2].training and not net[0].training


class DetachedOutput(SmallCNN):
    def forward(self, x):
        return super().forward(x).detach()


@pytest.mark.parametrize("method", [saliency, input_x_gradient, integrated_gradients,
                                    smoothgrad])
@pytest.mark.parametrize("model", [NoGradForward(), DetachedOutput(),
                                   lambda x: torch.zeros(len(x), 5)])
def test_model_without_gradients_raises_gradient_error(image, method, model):
    with pytest.raises(GradientError, match="gradient|torch.nn.Module"):
        method(model, image, target=0)


@pytest.mark.parametrize("method", [saliency, integrated_gradients, smoothgrad])
def test_wrong_target_index_names_index_and_outputs(net, image, method):
    with pytest.raises(TargetError, match=r"target index 5 is out of range for a model with 5 "
                                          r"outputs"):
        method(net, image, target=5)
    with pytest.raises(TargetError, match="-6"):
        method(net, image, target=-6)
    with pytest.raises(TargetError, match="str"):
        method(net, image, target="cat")


def test_bad_images_and_options_raise_typed_errors(net, image):
    with pytest.raises(ShapeError, match=r"\(32, 32\)"):
        saliency(net, image[..., 0])
    with pytest.raises(ShapeError, match=r"\(32, 32, 5\)"):
        saliency(net, np.zeros((32, 32, 5), np.uint8))
    with pytest.raises(DTypeError, match="float64"):
        saliency(net, image.astype(np.float64))
    with pytest.raises(DTypeError, match="int64"):
        saliency(net, torch.zeros(3, 32, 32, dtype=torch.int64))
    with pytest.raises(ShapeError, match="baseline must have the image's shape"):
        integrated_gradients(net, image, baseline=np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="method must be one of"):
        integrated_gradients(net, image, method="simpson")
    with pytest.raises(ValueError, match="nt_type"):
        smoothgrad(net, image, nt_type="median")
    with pytest.raises(ValueError, match="preprocess applies to"):
        saliency(net, as_input(image), preprocess=(1, 0, 1))
