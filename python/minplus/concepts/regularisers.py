"""Image priors for feature visualisation and inversion: penalties that are small on natural
images and large on the high-frequency patterns an unregularised optimiser produces.

Each takes a (B, C, H, W) batch and returns (B,) penalties, so one image's weight never depends
on the others in its batch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def total_variation(x: torch.Tensor, beta: float = 2.0) -> torch.Tensor:
    """Mahendran & Vedaldi's TV^beta: sum over pixels of (dx^2 + dy^2)^(beta / 2), divided by
    the pixel count; beta = 1 is the isotropic TV, beta = 2 its smooth variant."""
    dx = x[:, :, :-1, 1:] - x[:, :, :-1, :-1]
    dy = x[:, :, 1:, :-1] - x[:, :, :-1, :-1]
    # The epsilon keeps the gradient finite where the image is flat, for beta < 2.
    return ((dx * dx + dy * dy + 1e-8) ** (beta / 2)).flatten(1).mean(1)


def alpha_norm(x: torch.Tensor, alpha: float = 6.0, centre: float = 0.5) -> torch.Tensor:
    """Mean of |x - centre|^alpha: bounds the image's range (a large alpha lets values move
    freely inside it and stops them leaving it)."""
    return ((x - centre).abs() ** alpha).flatten(1).mean(1)


def _gaussian(sigma: float, device, dtype) -> torch.Tensor:
    radius = max(1, int(3 * sigma + 0.5))
    t = torch.arange(-radius, radius + 1, device=device, dtype=dtype)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    return k / k.sum()


def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """A separable Gaussian blur of each channel (replicated borders), (B, C, H, W)."""
    k = _gaussian(sigma, x.device, x.dtype)
    c, r = x.shape[1], len(k) // 2
    x = F.pad(x, (r, r, r, r), mode="replicate")
    x = F.conv2d(x, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(x, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def blur_penalty(x: torch.Tensor, sigma: float = 1.0) -> torch.Tensor:
    """Mean squared difference between the image and its blur: the energy above the blur's
    cut-off frequency (a differentiable form of lucid's blur-every-step)."""
    return ((x - blur(x, sigma)) ** 2).flatten(1).mean(1)
