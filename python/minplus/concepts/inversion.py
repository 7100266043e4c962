"""Feature inversion (Mahendran & Vedaldi, CVPR 2015): the picture whose representation at a
layer matches a given one, under natural-image priors.

Minimises ||phi(x) - phi0||^2 / ||phi0||^2 + lambda_alpha ||x||_alpha^alpha + lambda_TV TV^beta(x)
over pictures x in [0, 1] (free pixels through a sigmoid, or the Fourier basis), phi the
layer's activations. What the reconstruction keeps is what the layer keeps of the image; what
differs between several reconstructions from different starts is what it throws away.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from ..arguments import integer, real
from ..errors import ArgumentError, ShapeError
from ..saliency.cam import find_layer
from ..saliency.whitebox import eval_mode, model_device, require_module
from .layers import layer_output
from .parametrisation import PARAMETRISATIONS
from .pixels import ModelInput, to_uint8
from .regularisers import alpha_norm, total_variation
from .transforms import RandomTransforms


@dataclass
class Inversion:
    """A reconstruction of images from a layer's representation.

    Attributes
    ----------
    images : (B, H, W, C) uint8 ndarray
    distances : (B,) float64 ndarray
        ||phi(x) - phi0|| / ||phi0|| of the final (uint8) reconstructions.
    start_distances : (B,) float64 ndarray
        The same for the starting images, to read the distance against.
    history : (steps,) float64 ndarray
        Mean relative squared distance at each step.
    layer : str
    seconds : float
    originals : (B, H, W, C) uint8 ndarray or None
        The inverted pictures, for showing beside their reconstructions.
    """

    images: np.ndarray
    distances: np.ndarray
    start_distances: np.ndarray
    history: np.ndarray
    layer: str
    seconds: float
    options: dict = field(default_factory=dict)
    originals: np.ndarray | None = None


def _as_pictures(image, device) -> torch.Tensor:
    arr = np.asarray(image)
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4:
        raise ShapeError(f"image must be (H, W, C) or (B, H, W, C), got shape {arr.shape}")
    if arr.dtype == np.uint8:
        arr = arr.astype(np.float32) / 255.0
    elif arr.dtype != np.float32 or arr.min() < 0 or arr.max() > 1:
        raise ShapeError("image must be uint8, or float32 in [0, 1]")
    return torch.from_numpy(np.ascontiguousarray(arr)).permute(0, 3, 1, 2).to(device)


def representation_distance(model, layer, pictures: torch.Tensor, target: torch.Tensor,
                            to_input) -> torch.Tensor:
    """(B,) relative distances ||phi(x) - phi0|| / ||phi0|| for pictures (B, C, H, W)."""
    acts = layer_output(model, layer, to_input(pictures))
    diff = (acts.reshape(len(acts), -1) - target).norm(dim=1)
    return diff / target.norm(dim=1).clamp_min(1e-12)


def invert(model, layer, image, *, steps: int = 300, lr: float = 0.05,
           parametrisation="pixel", tv: float = 0.0, tv_beta: float = 2.0,
           alpha: float = 0.0, alpha_power: float = 6.0, jitter: int = 0, preprocess=None,
           seed: int = 0) -> Inversion:
    """Reconstruct ``image`` from ``layer``'s representation of it.

    Parameters
    ----------
    model : torch.nn.Module
    layer : str or nn.Module
        The layer whose activations are matched.
    image : (H, W, C) or (B, H, W, C) uint8 (or float32 in [0, 1]) ndarray
        The pictures whose representations phi0 are inverted (one reconstruction each).
    steps, lr : int, float
        Adam steps and learning rate.
    parametrisation : {"pixel", "fourier"}
    tv, tv_beta : float
        Weight and exponent of the TV^beta prior (Mahendran & Vedaldi use beta = 2).
    alpha, alpha_power : float
        Weight and exponent of the alpha-norm prior on the picture centred at 0.5.
    jitter : int
        Random shift of up to this many pixels at each step (0: none).
    preprocess : (scale, mean, std) or None
        The model's preprocess of uint8 pictures (None: x / 255).
    seed : int
        Seeds the start (random pictures near mid-grey) and the jitter.

    Returns
    -------
    Inversion
    """
    model = require_module(model, "invert")
    if parametrisation not in PARAMETRISATIONS:
        raise ArgumentError(f"parametrisation must be one of {sorted(PARAMETRISATIONS)}, got "
                            f"{parametrisation!r}")
    steps = integer("steps", steps, lo=1)
    lr = real("lr", lr, lo=0.0, lo_open=True)
    tv, alpha = real("tv", tv, lo=0.0), real("alpha", alpha, lo=0.0)
    seed = integer("seed", seed)
    device = model_device(model)
    start = time.perf_counter()
    goal = _as_pictures(image, device)
    b, c, h, w = goal.shape
    to_input = ModelInput(preprocess, c, device)
    transform = RandomTransforms(jitter, seed=seed + 1)
    with eval_mode(model):
        frozen = [p for p in model.parameters() if p.requires_grad]
        for p in frozen:
            p.requires_grad_(False)
        try:
            with torch.no_grad():
                acts = layer_output(model, layer, to_input(goal))
                target = acts.reshape(b, -1).detach()
            picture = PARAMETRISATIONS[parametrisation](b, (h, w), c, seed=seed, device=device)
            with torch.no_grad():
                start_d = representation_distance(model, layer, picture(), target, to_input)
            opt = torch.optim.Adam(picture.parameters(), lr=lr)
            history = np.empty(steps)
            for step in range(steps):
                opt.zero_grad()
                x = picture()
                # The jitter moves image and representation together only for shift-equivariant
                # layers; it is off by default and meant for deep, pooled layers.
                d = representation_distance(model, layer, transform(x), target, to_input) ** 2
                loss = d
                if tv:
                    loss = loss + tv * total_variation(x, tv_beta)
                if alpha:
                    loss = loss + alpha * alpha_norm(x, alpha_power)
                loss.sum().backward()
                opt.step()
                history[step] = float(d.detach().mean())
            images = to_uint8(picture().detach())
            with torch.no_grad():
                final = representation_distance(
                    model, layer, _as_pictures(images, device), target, to_input)
        finally:
            for p in frozen:
                p.requires_grad_(True)
    return Inversion(images=images, distances=final.double().cpu().numpy(),
                     start_distances=start_d.double().cpu().numpy(), history=history,
                     layer=find_layer(model, layer)[0], seconds=time.perf_counter() - start,
                     options={"parametrisation": parametrisation, "steps": steps, "lr": lr,
                              "tv": tv, "tv_beta": tv_beta, "alpha": alpha, "seed": seed},
                     originals=to_uint8(goal.detach().cpu()))
