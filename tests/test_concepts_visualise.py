"""Feature visualisation: the activation reached against random and natural images, on a small
CNN and on the real face networks in torch (gender, age, dlib's ResNet); seeding, batching,
regularisers and parametrisations."""

import numpy as np
import pytest
import torch

from minplus.concepts import objective, objective_values, visualise
from minplus.concepts.parametrisation import FourierImage, PixelImage
from minplus.concepts.regularisers import blur, blur_penalty, total_variation
from minplus.concepts.transforms import RandomTransforms
from minplus.errors import GradientError, TargetError
from face_nets import age_gender_net, dlib_net, lfw_faces
from whitebox_nets import SmallCNN

torch.set_num_threads(1)


def random_pictures(n, size, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, size, size, 3)).astype(np.uint8)


def gains(net, obj, vis, natural, preprocess):
    """(reached / best natural, reached - best random) for a visualisation."""
    nat = objective_values(net, obj, natural, preprocess)
    ran = objective_values(net, obj, random_pictures(len(natural), natural.shape[1]),
                           preprocess)
    return vis.values.min(), nat.max(), ran.max()


@pytest.mark.parametrize("parametrisation", ["fourier", "pixel"])
def test_small_cnn_channel_beats_natural_and_random_images(parametrisation):
    net = SmallCNN().eval()
    vis = visualise(net, layer="features.3", channel=5, size=(32, 32), steps=60, lr=0.1,
                    parametrisation=parametrisation, batch=2, seed=1)
    reached, natural, rand = gains(net, objective(layer="features.3", channel=5), vis,
                                   lfw_faces(32, 40), None)
    assert reached > natural and reached > rand
    assert vis.history[-1] > vis.history[0]
    assert vis.images.shape == (2, 32, 32, 3) and vis.images.dtype == np.uint8


def test_seeded_and_batched():
    net = SmallCNN().eval()
    a = visualise(net, 2, size=(16, 16), steps=10, batch=3, seed=5)
    b = visualise(net, 2, size=(16, 16), steps=10, batch=3, seed=5)
    c = visualise(net, 2, size=(16, 16), steps=10, batch=3, seed=6)
    assert np.array_equal(a.images, b.images) and not np.array_equal(a.images, c.images)
    assert len({im.tobytes() for im in a.images}) == 3  # each image from its own start


def test_unit_objective_and_regularisers_smooth_the_image():
    net = SmallCNN().eval()
    kwargs = dict(layer="features.3", unit=(1, 8, 8), size=(32, 32), steps=40, lr=0.1,
                  parametrisation="pixel", jitter=0, scale=(1, 1), degrees=0, seed=2)
    rough = visualise(net, **kwargs)
    smooth = visualise(net, tv=2.0, blur=2.0, **kwargs)
    pic = lambda v: torch.from_numpy(v.images / 255.0).permute(0, 3, 1, 2).float()  # noqa: E731
    assert total_variation(pic(smooth)) < total_variation(pic(rough))
    assert rough.values[0] > objective_values(net, objective(layer="features.3",
                                                             unit=(1, 8, 8)),
                                              lfw_faces(32, 40), None).max()


def test_regularisers_and_parametrisations():
    x = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    flat = torch.full((1, 3, 16, 16), 0.4)
    assert total_variation(flat)[0] < 1e-6 < total_variation(x).min()
    assert blur(x, 1.0).shape == x.shape and blur_penalty(flat)[0] < 1e-10
    assert blur_penalty(x).min() > blur_penalty(blur(x, 2.0)).max()
    for p in (PixelImage(2, (9, 12)), FourierImage(2, (9, 12))):
        with torch.no_grad():
            im = p()
        assert im.shape == (2, 3, 9, 12) and 0 < float(im.min()) and float(im.max()) < 1
    t = RandomTransforms(jitter=2, scale=(0.9, 1.1), degrees=10, seed=0)
    assert t(x).shape == x.shape


def test_objective_errors():
    net = SmallCNN().eval()
    with pytest.raises(TargetError):
        objective(1, channel=2)
    with pytest.raises(TargetError):
        visualise(net, layer="features.3", channel=99, size=(16, 16), steps=1)
    with pytest.raises(GradientError):
        visualise(lambda x: x, 0)


@pytest.mark.parametrize("task,layer,channel,size", [("gender", "layers.9_Conv", 3, 32),
                                                     ("age", "layers.9_Conv", 7, 64)])
def test_age_gender_channels(task, layer, channel, size):
    net, pre = age_gender_net(task)
    vis = visualise(net, layer=layer, channel=channel, size=(size, size), steps=40, lr=0.1,
                    preprocess=pre, jitter=2, tv=0.05, seed=0)
    reached, natural, rand = gains(net, objective(layer=layer, channel=channel), vis,
                                   lfw_faces(size, 60), pre)
    assert reached > natural and reached > rand


def test_gender_class_probability_beats_the_least_confident_faces():
    net, pre = age_gender_net("gender")
    faces = lfw_faces(32, 60)
    for cls in (0, 1):
        vis = visualise(net, cls, size=(32, 32), steps=30, lr=0.1, preprocess=pre, seed=cls)
        natural = objective_values(net, objective(cls), faces, pre)
        assert vis.values[0] > 0.99 and vis.values[0] > np.median(natural)


def test_dlib_resnet_channel():
    net, pre = dlib_net()
    layer = "layers.4"  # an early conv: the forward pass stops there
    vis = visualise(net, layer=layer, channel=10, size=(150, 150), steps=25, lr=0.1,
                    preprocess=pre, jitter=3, seed=0)
    reached, natural, rand = gains(net, objective(layer=layer, channel=10), vis,
                                   lfw_faces(150, 20), pre)
    assert reached > natural and reached > rand
