"""Feature visualisation by activation maximisation (Erhan et al. 2009; Olah et al., Distill
2017): the image that most activates a class, a channel or a unit.

Gradient ascent on an image parametrisation (free pixels or the decorrelated Fourier basis),
through random jitter, scaling and rotation at every step, with total-variation and blur
penalties. A batch of B images optimises at once from B seeded starts, on the model's device.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from ..arguments import integer, real
from ..errors import ArgumentError
from ..saliency.whitebox import eval_mode, model_device, require_module
from .objectives import Objective, objective as make_objective
from .parametrisation import PARAMETRISATIONS
from .pixels import ModelInput, to_uint8
from .regularisers import blur_penalty, total_variation
from .transforms import RandomTransforms


@dataclass
class Visualisation:
    """Images that maximise an objective.

    Attributes
    ----------
    images : (B, H, W, C) uint8 ndarray
    values : (B,) float64 ndarray
        The objective on the final images as saved (uint8, untransformed).
    history : (steps,) float64 ndarray
        Mean objective over the batch at each step (on the transformed images).
    objective : str
    seconds : float
    """

    images: np.ndarray
    values: np.ndarray
    history: np.ndarray
    objective: str
    seconds: float
    options: dict = field(default_factory=dict)


def objective_values(model, obj: Objective, pictures, preprocess=None,
                     batch_size: int = 64) -> np.ndarray:
    """The objective (B,) on pictures: (B, H, W, C) uint8 arrays (or a list), e.g. natural or
    random images to compare a visualisation with."""
    model = require_module(model, "objective_values")
    device = model_device(model)
    arr = np.stack([np.asarray(p) for p in pictures])
    if arr.ndim == 3:
        arr = arr[..., None]
    x = torch.from_numpy(arr.astype(np.float32) / 255.0).permute(0, 3, 1, 2).to(device)
    to_input = ModelInput(preprocess, x.shape[1], device)
    out = []
    with eval_mode(model), torch.no_grad():
        for i in range(0, len(x), batch_size):
            out.append(obj(model, to_input(x[i:i + batch_size])).double().cpu())
    return torch.cat(out).numpy()


def visualise(model, target=None, *, layer=None, channel=None, unit=None, size=(64, 64),
              batch: int = 1, steps: int = 256, lr: float = 0.05, parametrisation="fourier",
              jitter: int = 4, scale=(0.9, 1.1), degrees: float = 5.0, tv: float = 0.0,
              blur: float = 0.0, blur_sigma: float = 1.0, preprocess=None, channels: int = 3,
              seed: int = 0) -> Visualisation:
    """Activation maximisation for a class (``target``), a ``channel`` or a ``unit``.

    Parameters
    ----------
    model : torch.nn.Module
        (B, C, H, W) inputs -> (B, D) scores; runs in eval mode, on its own device.
    target, layer, channel, unit :
        The objective (see :func:`minplus.concepts.objective`): exactly one of ``target``,
        ``channel`` (with ``layer``), ``unit`` (with ``layer``).
    size : (H, W)
        The images' size: the model's input size (a CNN with global pooling takes others).
    batch : int
        Images optimised together, each from its own random start.
    steps, lr : int, float
        Adam steps and learning rate.
    parametrisation : {"fourier", "pixel"}
    jitter, scale, degrees :
        Random transforms each step: shift (pixels), scale range, rotation (+/- degrees);
        ``jitter=0, scale=(1, 1), degrees=0`` turns them off.
    tv, blur : float
        Weights of the total-variation (beta = 2) and blur penalties on the picture in [0, 1].
    blur_sigma : float
        The blur penalty's Gaussian width, in pixels.
    preprocess : (scale, mean, std) or None
        The model's preprocess of uint8 pictures (None: x / 255).
    channels : int
        The model's input channels.
    seed : int
        Seeds the starts and the transforms: one seed, one result (on one device).

    Returns
    -------
    Visualisation

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(),
    ...                           torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
    >>> v = visualise(net, layer="0", channel=1, size=(16, 16), steps=20)
    >>> v.images.shape, v.values.shape
    ((1, 16, 16, 3), (1,))
    """
    model = require_module(model, "visualise")
    obj = make_objective(target, layer=layer, channel=channel, unit=unit)
    if parametrisation not in PARAMETRISATIONS:
        raise ArgumentError(f"parametrisation must be one of {sorted(PARAMETRISATIONS)}, got "
                            f"{parametrisation!r}")
    batch = integer("batch", batch, lo=1)
    steps = integer("steps", steps, lo=1)
    lr = real("lr", lr, lo=0.0, lo_open=True)
    tv, blur = real("tv", tv, lo=0.0), real("blur", blur, lo=0.0)
    seed = integer("seed", seed)
    size = (integer("size[0]", size[0], lo=2), integer("size[1]", size[1], lo=2))
    device = model_device(model)
    start = time.perf_counter()
    image = PARAMETRISATIONS[parametrisation](batch, size, channels, seed=seed, device=device)
    transform = RandomTransforms(jitter, scale, degrees, seed=seed + 1)
    to_input = ModelInput(preprocess, channels, device)
    opt = torch.optim.Adam(image.parameters(), lr=lr)
    history = np.empty(steps)
    with eval_mode(model):
        # Only the image is optimised: the model's parameters need no gradients.
        frozen = [p for p in model.parameters() if p.requires_grad]
        for p in frozen:
            p.requires_grad_(False)
        try:
            for step in range(steps):
                opt.zero_grad()
                pictures = image()
                values = obj(model, to_input(transform(pictures)))
                loss = -values
                if tv:
                    loss = loss + tv * total_variation(pictures)
                if blur:
                    loss = loss + blur * blur_penalty(pictures, blur_sigma)
                loss.sum().backward()
                opt.step()
                history[step] = float(values.detach().mean())
        finally:
            for p in frozen:
                p.requires_grad_(True)
        images = to_uint8(image().detach())
    final = objective_values(model, obj, images, preprocess)
    return Visualisation(images=images, values=final, history=history,
                         objective=obj.describe(), seconds=time.perf_counter() - start,
                         options={"parametrisation": parametrisation, "steps": steps, "lr": lr,
                                  "jitter": jitter, "scale": tuple(scale), "degrees": degrees,
                                  "tv": tv, "blur": blur, "seed": seed})
