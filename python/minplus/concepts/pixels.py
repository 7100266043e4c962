"""Between pictures in [0, 1] and the model's input space, with the one preprocess policy.

Optimised images live as (B, C, H, W) floats in [0, 1]; the model sees them as the uint8
pictures they stand for would be preprocessed (``resolve_preprocess(preprocess, uint8)``: None
scales to [0, 1]), so a visualisation or an inversion feeds the model exactly what a saved PNG
of it would.
"""

from __future__ import annotations

import numpy as np
import torch

from ..models.input_spec import resolve_preprocess


class ModelInput:
    """``(picture * 255 * scale - mean) / std`` per channel, differentiably, on a device.

    Parameters
    ----------
    preprocess : (scale, mean, std) or None
        As for uint8 images (see :func:`minplus.models.input_spec.resolve_preprocess`).
    channels : int
    device : torch.device or str
    """

    def __init__(self, preprocess, channels: int, device):
        p = resolve_preprocess(preprocess, np.uint8)
        self.scale = 255.0 * p.scale
        shape = (1, channels, 1, 1)
        self.mean = torch.as_tensor(np.broadcast_to(np.asarray(p.mean, np.float32), (channels,))
                                    .copy()).view(shape).to(device)
        self.std = torch.as_tensor(np.broadcast_to(np.asarray(p.std, np.float32), (channels,))
                                   .copy()).view(shape).to(device)

    def __call__(self, pictures: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) in [0, 1] -> (B, C, H, W) model input."""
        return (pictures * self.scale - self.mean) / self.std

    def picture(self, x: torch.Tensor) -> torch.Tensor:
        """The inverse: a model input (B, C, H, W) -> pictures in [0, 1] (unclipped)."""
        return (x * self.std + self.mean) / self.scale


def to_uint8(pictures: torch.Tensor) -> np.ndarray:
    """(B, C, H, W) pictures in [0, 1] -> (B, H, W, C) uint8, rounded."""
    x = pictures.detach().clamp(0, 1).permute(0, 2, 3, 1).cpu().numpy()
    return np.ascontiguousarray(np.round(x * 255).astype(np.uint8))
