"""Image parametrisations for optimisation: what the optimiser moves, and how it becomes a
picture in [0, 1].

* :class:`PixelImage`: one free value per pixel and channel, squashed by a sigmoid.
* :class:`FourierImage`: the decorrelated parametrisation of Olah et al. (Distill 2017): a
  spectrum scaled by 1 / frequency (so that every frequency band moves at the same rate under
  gradient descent instead of high frequencies dominating), an inverse real FFT, and a fixed
  colour decorrelation (the square root of ImageNet's RGB covariance, as lucid publishes it),
  then a sigmoid.

Both are ``nn.Module``s whose ``forward()`` returns the (B, 3, H, W) float32 batch, seeded by a
``torch.Generator`` and created on the given device.
"""

from __future__ import annotations

import torch

# sqrt of ImageNet's RGB colour covariance (columns: the decorrelated axes), normalised by its
# largest column norm as lucid does, so a unit step moves a colour by at most one unit.
_COLOUR = torch.tensor([[0.26, 0.09, 0.02],
                        [0.27, 0.00, -0.05],
                        [0.27, -0.09, 0.03]])
_COLOUR = _COLOUR / _COLOUR.norm(dim=0).max()


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed))


class PixelImage(torch.nn.Module):
    """Free pixels: ``sigmoid(p)``, p (B, C, H, W) initialised from N(0, init_std).

    ``init`` (B, C, H, W) in (0, 1) starts from given images instead (logits of them).
    """

    def __init__(self, batch: int, size, channels: int = 3, seed: int = 0, device="cpu",
                 init_std: float = 0.01, init: torch.Tensor | None = None):
        super().__init__()
        h, w = size
        if init is not None:
            p = torch.logit(init.detach().float().clamp(1e-3, 1 - 1e-3)).cpu()
        else:
            p = torch.randn(batch, channels, h, w, generator=_generator(seed)) * init_std
        self.logits = torch.nn.Parameter(p.to(device))

    def forward(self) -> torch.Tensor:
        return torch.sigmoid(self.logits)


class FourierImage(torch.nn.Module):
    """Decorrelated Fourier parametrisation (see the module docstring).

    Parameters
    ----------
    batch : int
    size : (H, W)
    channels : int
        3 for RGB (decorrelated colour); other counts skip the colour step.
    decay : float
        Spectrum scale 1 / f**decay; 1 is the natural-image power law.
    """

    def __init__(self, batch: int, size, channels: int = 3, seed: int = 0, device="cpu",
                 init_std: float = 0.01, decay: float = 1.0):
        super().__init__()
        h, w = size
        self.size = (h, w)
        fy = torch.fft.fftfreq(h)[:, None]
        fx = torch.fft.rfftfreq(w)[None, :]
        freq = torch.sqrt(fx * fx + fy * fy)
        # The DC term gets the scale of the lowest non-zero frequency, not infinity.
        scale = 1.0 / torch.clamp(freq, min=1.0 / max(h, w)) ** decay
        self.register_buffer("scale", (scale / scale.max()).to(device))
        spectrum = torch.randn(batch, channels, h, w // 2 + 1, 2,
                               generator=_generator(seed)) * init_std
        self.spectrum = torch.nn.Parameter(spectrum.to(device))
        self.register_buffer("colour", _COLOUR.to(device))
        self.channels = channels

    def forward(self) -> torch.Tensor:
        spec = torch.view_as_complex(self.spectrum) * self.scale
        h, w = self.size
        # norm="ortho" keeps the pixel values' scale independent of the image size.
        x = torch.fft.irfftn(spec, s=(h, w), dim=(2, 3), norm="ortho")
        if self.channels == 3:
            x = torch.einsum("ij,bjhw->bihw", self.colour, x)
        return torch.sigmoid(x * 4.0)


PARAMETRISATIONS = {"pixel": PixelImage, "fourier": FourierImage}
