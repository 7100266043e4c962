"""CAMs: Grad-CAM against Captum 0.9's LayerGradCam, closed forms on a GAP head, Score-CAM's
batched masks against a one-channel-at-a-time loop, layer selection and bad inputs.

Tolerances: Grad-CAM is the same single forward+backward and the same bilinear upsampling
(align_corners=False) as Captum's LayerAttribution.interpolate: rtol 1e-5, atol 1e-6 x max.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from captum.attr import LayerAttribution, LayerGradCam
from whitebox_nets import NoGradForward, SmallCNN, as_input, coffee

from minplus.errors import GradientError, LayerNotFoundError, ShapeError, TargetError
from minplus.saliency import VerificationTarget, find_layer, grad_cam, grad_cam_pp, score_cam


class GAPNet(torch.nn.Module):
    """conv-relu-conv-relu-global average pool-linear: the architecture of the original CAM."""

    def __init__(self, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.features = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(),
                                            torch.nn.Conv2d(8, 12, 3, stride=2, padding=1),
                                            torch.nn.ReLU())
        self.head = torch.nn.Linear(12, 4)

    def forward(self, x):
        return self.head(self.features(x).mean(dim=(2, 3)))


def upsampled(layer_map, size=(32, 32)):
    return LayerAttribution.interpolate(layer_map, size, "bilinear")[0, 0].detach().numpy()


def close(ours, reference, atol_rel=1e-6, rtol=1e-5):
    np.testing.assert_allclose(ours, reference, rtol=rtol,
                               atol=atol_rel * float(np.abs(reference).max()))


@pytest.mark.parametrize("target", [0, 3])
def test_grad_cam_matches_captum_layer_grad_cam(net, image, target):
    ours = grad_cam(net, image, target=target)
    ref = LayerGradCam(net, net.features[3]).attribute(as_input(image), target=target,
                                                       relu_attributions=True)
    close(ours.map, upsampled(ref))
    assert ours.extra["layer"] == "features.3" and ours.extra["layer_shape"] == (16, 16, 16)
    assert ours.map.shape == (32, 32) and ours.map.dtype == np.float32
    assert ours.evaluations == 1 and ours.method == "grad_cam" and ours.target == target


def test_grad_cam_on_a_named_layer_and_a_verification_target(image):
    embedder = SmallCNN(outputs=8, seed=2).eval()
    ref_emb = embedder(as_input(coffee(32)))[0].detach()

    def cosine(x):
        return F.cosine_similarity(embedder(x), ref_emb[None], dim=1)

    ours = grad_cam(embedder, image, target=VerificationTarget(ref_emb), layer="features.0")
    ref = LayerGradCam(cosine, embedder.features[0]).attribute(as_input(image),
                                                               relu_attributions=True)
    close(ours.map, upsampled(ref))
    assert ours.score == pytest.approx(float(cosine(as_input(image)).detach()), rel=1e-6)


def test_grad_cam_and_pp_closed_forms_on_a_global_average_pooling_head(image):
    # With A -> GAP -> linear, dS/dA_k = W_ck / (h w) everywhere, so Grad-CAM is the original
    # CAM relu(sum_k W_ck A_k) / (h w), with A the ReLU's output ("features.3"), and
    # Grad-CAM++'s alphas have the closed form g^2 / (2 g^2 + sum(A_k) g^3): both computed
    # here from the weights, not from autograd.
    net = GAPNet().eval()
    x = as_input(image)
    acts = net.features(x)[0].detach()
    hw = acts.shape[1] * acts.shape[2]
    target = 2
    g = net.head.weight[target].detach() / hw
    cam = F.relu((net.head.weight[target].detach()[:, None, None] * acts).sum(0)) / hw
    close(grad_cam(net, image, target=target, layer="features.3").map, upsampled(cam[None, None]))
    alpha = g ** 2 / (2 * g ** 2 + acts.sum(dim=(1, 2)) * g ** 3 + 1e-6)
    w = F.relu(g) * alpha * hw
    cam_pp = F.relu((w[:, None, None] * acts).sum(0))
    close(grad_cam_pp(net, image, target=target, layer="features.3").map,
          upsampled(cam_pp[None, None]), atol_rel=1e-5, rtol=1e-4)


def test_score_cam_batched_masks_equal_a_channel_by_channel_loop(net, image):
    x = as_input(image)
    acts = net.features[:4](x).detach()
    weights = []
    for k in range(acts.shape[1]):
        m = F.interpolate(acts[:, k:k + 1], size=(32, 32), mode="bilinear", align_corners=False)
        m = (m - m.min()) / (m.max() - m.min() + 1e-8)
        weights.append(float(net(x * m)[0, 1].detach()))
    w = torch.softmax(torch.tensor(weights), 0)
    cam = F.relu((w[:, None, None] * acts[0]).sum(0))
    for batch_size in (1, 5, 64):
        ours = score_cam(net, image, target=1, batch_size=batch_size, progress=False)
        close(ours.map, upsampled(cam[None, None]), atol_rel=1e-5, rtol=1e-4)
        assert ours.evaluations == 17 and ours.extra["backward_passes"] == 0


def test_gradient_cams_need_gradients_but_score_cam_does_not(image):
    model = NoGradForward().eval()
    for method in (grad_cam, grad_cam_pp):
        with pytest.raises(GradientError, match="no_grad"):
            method(model, image, target=0)
    with pytest.raises(GradientError, match="torch.nn.Module"):
        grad_cam(lambda x: x.sum((1, 2, 3)), image)
    expected = score_cam(SmallCNN().eval(), image, target=0, progress=False).map
    np.testing.assert_allclose(score_cam(model, image, target=0, progress=False).map, expected,
                               rtol=1e-5, atol=1e-8)


def test_layer_is_found_automatically_or_by_name_or_module(net, image):
    assert find_layer(net) == ("features.3", net.features[3])
    assert find_layer(net, "features.0") == ("features.0", net.features[0])
    assert find_layer(net, net.features[0]) == ("features.0", net.features[0])
    auto = grad_cam_pp(net, image, target=0).map
    np.testing.assert_array_equal(auto, grad_cam_pp(net, image, target=0, layer="features.3").map)


def test_layer_errors(net, image):
    with pytest.raises(LayerNotFoundError, match=r"'features\.9' not found .*features\.0"):
        grad_cam(net, image, layer="features.9")
    with pytest.raises(LayerNotFoundError, match="not a submodule"):
        grad_cam(net, image, layer=torch.nn.Conv2d(3, 3, 1))
    mlp = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 32 * 32, 4))
    with pytest.raises(LayerNotFoundError, match="no nn.Conv2d"):
        score_cam(mlp, image)
    with pytest.raises(ShapeError, match=r"'1' must output \(N, K, h, w\)"):
        grad_cam(mlp, image, layer="1")
    net_with_spare = SmallCNN()
    net_with_spare.spare = torch.nn.Conv2d(16, 16, 1)  # registered last, never called
    with pytest.raises(LayerNotFoundError, match="not called"):
        grad_cam(net_with_spare, image)


def test_wrong_target_index(net, image):
    with pytest.raises(TargetError, match="target index 7 is out of range for a model with 5"):
        grad_cam(net, image, target=7)


def test_batches_non_square_images_and_restored_mode(image):
    net = torch.nn.Sequential(SmallCNN(seed=3), torch.nn.Dropout(0.3)).train()
    wide = np.ascontiguousarray(np.concatenate([image, image[:, :16]], axis=1))
    maps = grad_cam(net, [image, wide], target=[0, 1])
    assert [m.map.shape for m in maps] == [(32, 32), (32, 48)]
    assert [m.target for m in maps] == [0, 1]
    assert net.training and net[1].training
    np.testing.assert_array_equal(maps[0].map, grad_cam(net.eval(), image, target=0).map)
