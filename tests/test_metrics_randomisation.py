"""Randomisation sanity checks (Adebayo et al.): a model-independent edge detector keeps its
similarity when the model is randomised, gradients lose it; the random-logit test."""

import numpy as np
import pytest
import torch
from scipy import ndimage

from minplus import metrics
from minplus.errors import ArgumentError, GradientError, TargetError
from minplus.models import TorchModel
from minplus.saliency import saliency


def edges(model, image, target):
    """A 'saliency method' that never looks at the model: the Sobel magnitude of the image."""
    gray = np.asarray(image, np.float64).mean(axis=2)
    return np.hypot(ndimage.sobel(gray, 0), ndimage.sobel(gray, 1))


def gradients(model, image, target):
    return saliency(model, image, target=target)


@pytest.mark.parametrize("order", ["cascading", "independent"])
def test_edge_detector_keeps_its_similarity_gradients_lose_it(net, image, order):
    edge = metrics.model_parameter_randomisation(net, image, edges, target=2, order=order)
    grad = metrics.model_parameter_randomisation(net, image, gradients, target=2, order=order)
    # the layers with parameters, top first: head, then the two convolutions
    assert edge.layers == grad.layers == ["head", "features.3", "features.0"]
    for kind in ("spearman", "ssim", "hog"):
        np.testing.assert_allclose(edge.similarities[kind], 1.0, atol=1e-9)
    # the check flags the edge detector: it is as similar as it can be after randomisation
    assert edge.value == pytest.approx(1.0)
    if order == "cascading":
        # fully randomised network: the gradient map has lost its structure
        assert grad.value < 0.5
        assert max(grad.similarities["ssim"][-1], grad.similarities["hog"][-1]) < 0.6
    assert max(np.mean(v) for v in grad.similarities.values()) < 0.8
    assert grad.evaluations == 4 and not grad.higher_is_better


def test_randomisation_leaves_the_model_alone_and_is_seeded(net, image):
    before = {k: v.clone() for k, v in net.state_dict().items()}
    a = metrics.model_parameter_randomisation(net, image, gradients, target=1,
                                              similarities="spearman", seed=3)
    b = metrics.model_parameter_randomisation(net, image, gradients, target=1,
                                              similarities="spearman", seed=3)
    c = metrics.model_parameter_randomisation(net, image, gradients, target=1,
                                              similarities="spearman", seed=4)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert a.similarities == b.similarities != c.similarities


def test_torch_model_adapter_is_rewrapped_for_black_box_explainers(net, image):
    from minplus.saliency import occlusion

    model = TorchModel(net)

    def occl(m, x, t):
        assert isinstance(m, TorchModel)
        return occlusion(m, x, t, window=8, stride=8, progress=False)

    r = metrics.model_parameter_randomisation(model, image, occl, target=0,
                                              similarities=("spearman",))
    assert len(r.similarities["spearman"]) == 3 and r.value < 0.9


def test_figure_and_json(net, image):
    import json

    import matplotlib

    matplotlib.use("Agg")
    r = metrics.model_parameter_randomisation(net, image, edges, target=0)
    fig = r.figure()
    assert len(fig.axes[0].lines) == 3
    d = json.loads(json.dumps(r.to_dict()))
    assert d["layers"] == r.layers and set(d["similarities"]) == {"spearman", "ssim", "hog"}


def test_random_logit(net, image):
    edge = metrics.random_logit(net, image, edges, target=2, num_classes=5)
    grad = metrics.random_logit(net, image, gradients, target=2, num_classes=5)
    assert edge.value == pytest.approx(1.0) and grad.value < edge.value
    assert edge.extra["other_class"] == grad.extra["other_class"] != 2
    # a minplus Model counts its own classes; None explains the class the explainer picks
    model = TorchModel(net)
    r = metrics.random_logit(model, image, lambda m, x, t: saliency(net, x, target=t))
    assert r.extra["target"] == int(np.argmax(model(image)))


def test_typed_errors(net, image):
    with pytest.raises(GradientError):
        metrics.model_parameter_randomisation(lambda x: x, image, edges)
    with pytest.raises(ArgumentError):
        metrics.model_parameter_randomisation(net, image, edges, order="bottom_up")
    with pytest.raises(ArgumentError):
        metrics.model_parameter_randomisation(net, image, edges, similarities=("pearson",))
    with pytest.raises(TargetError):
        metrics.random_logit(net, image, edges, target=7, num_classes=5)
    with pytest.raises(ArgumentError):
        metrics.random_logit(net, image, edges, target=1)
