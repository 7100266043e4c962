"""Random transformations applied to the image at every optimisation step (lucid's
"transformation robustness"): an image that activates a unit under small shifts, scalings and
rotations is a pattern the unit detects, not an adversarial texture of pixel-exact noise.

Every transform takes a (B, C, H, W) batch and a ``torch.Generator`` (seeded once per run, so a
visualisation is reproducible) and returns a batch of the same shape.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _uniform(g: torch.Generator, n: int, lo: float, hi: float) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=g)


def jitter(x: torch.Tensor, pixels: int, g: torch.Generator) -> torch.Tensor:
    """Shift the whole batch by up to ``pixels`` in each direction (circularly)."""
    if pixels <= 0:
        return x
    dy, dx = (int(v) for v in torch.randint(-pixels, pixels + 1, (2,), generator=g))
    return torch.roll(x, shifts=(dy, dx), dims=(2, 3))


def affine(x: torch.Tensor, scale: tuple, degrees: float, g: torch.Generator) -> torch.Tensor:
    """Per-image random scaling in [scale[0], scale[1]] and rotation in +/- ``degrees``,
    about the centre, by bilinear resampling (reflection at the borders)."""
    if scale == (1.0, 1.0) and degrees == 0:
        return x
    b = len(x)
    s = _uniform(g, b, *scale)
    a = _uniform(g, b, -degrees, degrees) * (math.pi / 180)
    cos, sin = torch.cos(a) / s, torch.sin(a) / s
    theta = torch.stack([torch.stack([cos, -sin, torch.zeros(b)], 1),
                         torch.stack([sin, cos, torch.zeros(b)], 1)], 1).to(x)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


class RandomTransforms:
    """Jitter, then scale and rotate, then jitter again (lucid's standard order).

    Parameters
    ----------
    jitter : int
        Largest shift in pixels, applied before and (halved) after the affine step.
    scale : (float, float)
        Range of the scale factor.
    degrees : float
        Largest rotation.
    seed : int
    """

    def __init__(self, jitter: int = 0, scale=(1.0, 1.0), degrees: float = 0.0, seed: int = 0):
        self.jitter = int(jitter)
        self.scale = (float(scale[0]), float(scale[1]))
        self.degrees = float(degrees)
        self.generator = torch.Generator().manual_seed(int(seed))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        x = jitter(x, self.jitter, self.generator)
        x = affine(x, self.scale, self.degrees, self.generator)
        return jitter(x, self.jitter // 2, self.generator)
