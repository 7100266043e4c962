"""Small CNNs with fixed seeded weights and real images for the white-box saliency tests."""

import cv2
import numpy as np
import torch
from skimage import data


class SmallCNN(torch.nn.Module):
    """conv-act-pool-conv-act-GAP(4x4)-linear: `features.3` is the last Conv2d."""

    def __init__(self, outputs=5, act=torch.nn.ReLU, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(3, 8, 3, padding=1), act(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(8, 16, 3, padding=1), act())
        self.pool = torch.nn.AdaptiveAvgPool2d(4)
        self.head = torch.nn.Linear(16 * 16, outputs)

    def forward(self, x):
        return self.head(self.pool(self.features(x)).flatten(1))


class NoGradForward(torch.nn.Module):
    """A SmallCNN whose forward runs under no_grad: white-box methods must refuse it."""

    def __init__(self):
        super().__init__()
        self.net = SmallCNN()

    def forward(self, x):
        with torch.no_grad():
            return self.net(x)


def astronaut(size=32):
    """The scikit-image astronaut's face, resized to (size, size, 3) uint8."""
    face = data.astronaut()[30:230, 140:340]
    return np.ascontiguousarray(cv2.resize(face, (size, size), interpolation=cv2.INTER_AREA))


def coffee(size=32):
    """scikit-image's coffee cup, (size, size, 3) uint8."""
    return np.ascontiguousarray(cv2.resize(data.coffee(), (size, size),
                                           interpolation=cv2.INTER_AREA))


def as_input(image):
    """(H, W, C) uint8 -> (1, C, H, W) float32 in [0, 1], the default preprocess.

    Laid out channels-last as minplus lays out its inputs, so that Captum's convolutions sum in
    the same order as ours (NCHW and NHWC kernels round differently, which can flip a max-pool's
    choice between near-tied values)."""
    return channels_last(torch.from_numpy(image.astype(np.float32) * np.float32(1 / 255)))


def channels_last(hwc):
    """(H, W, C) tensor -> (1, C, H, W) view with channels-last strides."""
    return hwc[None].permute(0, 3, 1, 2)
