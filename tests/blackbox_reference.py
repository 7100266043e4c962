"""Test-only references for the black-box saliency tests and benchmarks: a small fixed-weight CNN
seen as a numpy callable, and a closed-form weighted linear regression Captum's LIME/KernelSHAP
can fit (scikit-learn, Captum's default, is not installed)."""

from __future__ import annotations

import numpy as np
import torch
from captum._utils.models.model import Model as CaptumModel


class SmallCNN(torch.nn.Module):
    """Three 3x3 convolutions (stride 2) + global average pooling + linear, fixed seeded weights."""

    def __init__(self, classes: int = 10, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.convs = torch.nn.ModuleList([torch.nn.Conv2d(3, 16, 3, 2, 1),
                                          torch.nn.Conv2d(16, 32, 3, 2, 1),
                                          torch.nn.Conv2d(32, 32, 3, 2, 1)])
        self.fc = torch.nn.Linear(32, classes)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * (1.0 / np.sqrt(p[0].numel())))
        self.eval()

    def forward(self, x):  # x (B, 3, H, W) float in [0, 1]
        for conv in self.convs:
            x = torch.relu(conv(x))
        return self.fc(x.mean(dim=(2, 3)))


def numpy_model(net: torch.nn.Module):
    """(B, H, W, C) uint8 or [0, 1] float32 images -> (B, D) float64 scores through ``net``."""

    @torch.no_grad()
    def scores(images: np.ndarray) -> np.ndarray:
        # contiguous NCHW, as Captum feeds the network: the model costs the same in both tools
        x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float().contiguous()
        if images.dtype == np.uint8:
            x = x / 255.0
        return net(x).double().numpy()

    scores.__name__ = "small_cnn"
    return scores


def astronaut_image(size: int = 32, seed: int = 0) -> np.ndarray:
    """A real photo (scikit-image's astronaut) resized to (size, size, 3) float32 in [0, 1]."""
    from skimage import data
    from skimage.transform import resize

    img = data.astronaut()[30:330, 100:400]
    return resize(img, (size, size), anti_aliasing=True).astype(np.float32)


def grid_labels(size: int, cells: int) -> np.ndarray:
    """(size, size) int32 labels of a cells x cells grid."""
    edges = (np.arange(size) * cells) // size
    return (edges[:, None] * cells + edges[None, :]).astype(np.int32)


class ClosedFormRegression(CaptumModel):
    """Weighted least squares with an intercept, solved exactly (for Captum's LimeBase)."""

    def fit(self, train_data, **kwargs):
        xs, ys, ws = [], [], []
        for batch in train_data:
            x, y, w = batch if len(batch) == 3 else (*batch, torch.ones(len(batch[0])))
            xs.append(x.double()); ys.append(y.double().reshape(-1)); ws.append(w.double())
        x, y, w = torch.cat(xs), torch.cat(ys), torch.cat(ws).reshape(-1)
        a = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], 1) * w.sqrt()[:, None]
        sol = torch.linalg.lstsq(a, y * w.sqrt(), driver="gelsd").solution
        self.coef, self.intercept = sol[:-1], sol[-1]
        return {}

    def __call__(self, x):
        return x.double() @ self.coef + self.intercept

    def representation(self):
        return self.coef[None].float()
