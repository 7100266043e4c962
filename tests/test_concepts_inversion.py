"""Feature inversion: the representation distance reached, and a planted input recovered
through an invertible layer."""

import numpy as np
import pytest
import torch

from minplus.concepts import invert
from minplus.errors import ShapeError
from face_nets import age_gender_net, lfw_faces

torch.set_num_threads(1)


class Invertible(torch.nn.Module):
    """Space-to-depth (2 x 2 blocks to 12 channels) then a random invertible 1x1 mix: "mix" is
    a bijection of the input, so the only picture with its representation is the input."""

    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.unshuffle = torch.nn.PixelUnshuffle(2)
        self.mix = torch.nn.Conv2d(12, 12, 1, bias=False)
        with torch.no_grad():
            q, _ = torch.linalg.qr(torch.randn(12, 12, generator=g))
            self.mix.weight.copy_((q * torch.linspace(0.5, 2.0, 12))[:, :, None, None])
        self.head = torch.nn.Linear(12, 2)

    def forward(self, x):
        return self.head(self.mix(self.unshuffle(x)).mean(dim=(2, 3)))


def test_planted_input_is_recovered_through_an_invertible_layer():
    net = Invertible().eval()
    planted = lfw_faces(16, 2)
    inv = invert(net, "mix", planted, steps=300, lr=0.1, seed=0)
    error = np.abs(inv.images.astype(float) - planted).mean(axis=(1, 2, 3))
    assert (error < 2.0).all()  # under 2 grey levels of 255 on average
    assert (inv.distances < 0.01).all() and (inv.start_distances > 0.3).all()
    assert inv.history[-1] < inv.history[0] / 100


def test_gender_conv_representation_distance():
    net, pre = age_gender_net("gender")
    faces = lfw_faces(32, 2)
    inv = invert(net, "layers.4_Conv", faces, preprocess=pre, steps=150, lr=0.05, tv=0.01)
    assert (inv.distances < 0.1).all()
    assert (inv.distances < inv.start_distances / 5).all()
    # A deeper layer keeps less of the image: its reconstruction is further from the face.
    deep = invert(net, "layers.13_Conv", faces, preprocess=pre, steps=150, lr=0.05, tv=0.01)
    err = lambda r: np.abs(r.images.astype(float) - faces).mean()  # noqa: E731
    assert err(deep) > err(inv)


def test_tv_prior_smooths_the_reconstruction():
    net, pre = age_gender_net("gender")
    face = lfw_faces(32, 1)[0]
    plain = invert(net, "layers.13_Conv", face, preprocess=pre, steps=80, seed=1)
    smooth = invert(net, "layers.13_Conv", face, preprocess=pre, steps=80, seed=1, tv=5.0)
    tv = lambda im: np.abs(np.diff(im.astype(float), axis=1)).mean()  # noqa: E731
    assert tv(smooth.images[0]) < tv(plain.images[0])


def test_invert_refuses_bad_images():
    with pytest.raises(ShapeError):
        invert(Invertible(), "mix", np.zeros((4, 4), np.uint8))
