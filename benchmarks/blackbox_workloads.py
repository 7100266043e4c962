"""Shared inputs of the black-box saliency benchmarks: the small 3-conv CNN of the tests at
112 x 112 (and 256 x 256 for MinPlus), a real photo, region grids, and the model timed alone."""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from blackbox_reference import (ClosedFormRegression, SmallCNN, astronaut_image,  # noqa: E402
                                grid_labels, numpy_model)

NET = SmallCNN()
MODEL = numpy_model(NET)
TARGET = 3
BATCH = 64

__all__ = ["NET", "MODEL", "TARGET", "BATCH", "ClosedFormRegression", "astronaut_image",
           "grid_labels", "nchw", "feature_mask", "model_alone", "model_seconds"]


def nchw(image: np.ndarray) -> torch.Tensor:
    """(1, 3, H, W) float32 tensor of an (H, W, 3) float32 image, as Captum takes it."""
    return torch.from_numpy(image).permute(2, 0, 1)[None].contiguous()


def feature_mask(labels: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(labels).long()[None, None].expand(1, 3, *labels.shape).contiguous()


def model_alone(image: np.ndarray, evaluations: int, batch: int = BATCH):
    """A call running the network alone on ``evaluations`` inputs of the image's size, in
    batches of ``batch``, inputs already in a tensor: the floor any tool pays."""
    x = nchw(image).expand(batch, -1, -1, -1).contiguous()

    @torch.no_grad()
    def run():
        for i in range(0, evaluations, batch):
            NET(x[:min(batch, evaluations - i)])

    return run


def model_seconds(image: np.ndarray, evaluations: int, batch: int = BATCH) -> float:
    """Wall time of one :func:`model_alone` call."""
    run = model_alone(image, evaluations, batch)
    t0 = time.perf_counter()
    run()
    return time.perf_counter() - t0
