"""CUDA window steps (MinPlus): the same contract as the CPU kernel, checked against it on a
device, and the MinPlus map of a model fed on the GPU equal to the host one."""

import numpy as np
import pytest

import minplus
from minplus.saliency.indexed_maskers import WindowMasker
from minplus.saliency.minplus_map import window_grid

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not minplus.cuda_available(), reason="needs minplus built with CUDA and a GPU"),
]
torch = pytest.importorskip("torch")


def make_case(dtype, C=3, H=37, W=53):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (H, W, C)).astype(dtype)
    if dtype == np.float32:
        img /= 255
    centres, taps = window_grid((H, W), 15, 7)
    centres = np.vstack([centres, [[-4, 50], [-(1 << 30), -(1 << 30)]]])
    m = WindowMasker(img, centres, taps, baseline="noise", ops=("remove", "screen"))
    m.states = [(m.white * rng.random((H, W, C))).astype(np.float32) for _ in range(2)]
    m.states[1] = np.floor(m.states[1]) if m.quantise else m.states[1]
    N = len(centres)
    return m, np.r_[np.arange(N), N + np.arange(N)][rng.permutation(2 * N)]


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("C", [1, 3])
def test_cuda_hwc_equals_cpu(dtype, C):
    m, idx = make_case(dtype, C=C)
    want = m.render(idx)
    out = torch.empty(want.shape, dtype=torch.float32, device="cuda")
    assert m.render(idx, out=out) is out
    np.testing.assert_array_equal(out.cpu().numpy(), want)


@pytest.mark.parametrize("out_dtype", [np.float32, np.float16])
def test_cuda_nchw_normalised_equals_cpu(out_dtype):
    m, idx = make_case(np.uint8)
    kw = dict(layout="nchw", dtype=out_dtype, scale=1 / 256, mean=(0.48, 0.46, 0.41), std=1.0)
    want = m.render(idx, **kw)
    out = torch.empty(want.shape, dtype=getattr(torch, np.dtype(out_dtype).name), device="cuda")
    m.render(idx, out=out, **kw)
    np.testing.assert_array_equal(out.cpu().numpy(), want)


class PatchMean(torch.nn.Module):
    """Scores (B, 2): the mean of one patch and its negation (no float reduction-order traps)."""

    def forward(self, x):
        m = x[:, :, 8:24, 40:56].mean(dim=(1, 2, 3))
        return torch.stack([m, -m], dim=1)


def test_minplus_map_with_a_cuda_model_equals_the_host_one():
    from minplus.models.torch_model import TorchModel
    from minplus.saliency import minplus_map

    img = np.zeros((64, 64, 3), np.uint8)
    img[8:24, 40:56] = 200
    kw = dict(window=21, stride=8, steps=3, progress=False)
    host = minplus_map(TorchModel(PatchMean(), preprocess=(1 / 255, 0.5, 0.25)), img, 0, **kw)
    dev = minplus_map(TorchModel(PatchMean().cuda(), preprocess=(1 / 255, 0.5, 0.25),
                                 device="cuda"), img, 0, **kw)
    assert host.extra["minus"]["windows"] == dev.extra["minus"]["windows"]
    assert host.extra["plus"]["windows"] == dev.extra["plus"]["windows"]
    np.testing.assert_allclose(dev.map, host.map, atol=1e-5)
