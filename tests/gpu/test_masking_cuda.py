"""CUDA masking: the same contract as the CPU path, checked bit for bit against it on a device."""

import numpy as np
import pytest

import minplus
from minplus import Masker
from minplus.errors import DTypeError, ShapeError

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not minplus.cuda_available(), reason="needs minplus built with CUDA and a GPU"),
]
torch = pytest.importorskip("torch")


def make_case(seed, soft, C=3, H=37, W=53, n=12, dtype=np.uint8):
    rng = np.random.default_rng(seed)
    if dtype == np.uint8:
        img = rng.integers(0, 256, (H, W, C), dtype=np.uint8)
    else:
        img = rng.normal(size=(H, W, C)).astype(np.float32)
    lab = rng.integers(-1, n, (H, W)).astype(np.int32)
    weights = rng.uniform(0, 0.6, (n, H, W)).astype(np.float32) if soft else None
    m = Masker(img, lab, baseline="noise", soft_weights=weights)
    masks = rng.integers(0, 2**n, 64).astype(np.uint64)
    return m, masks


@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("C", [1, 3, 4])
def test_cuda_hwc_equals_cpu(soft, dtype, C):
    m, masks = make_case(0, soft, C=C, dtype=dtype)
    want = m.render(masks)
    out = torch.empty(want.shape, dtype=getattr(torch, np.dtype(dtype).name), device="cuda")
    got = m.render(masks, out=out)
    assert got is out
    np.testing.assert_array_equal(out.cpu().numpy(), want)


@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("half", [False, True])
def test_cuda_nchw_normalised_equals_cpu(soft, half):
    m, masks = make_case(1, soft)
    kw = dict(layout="nchw", dtype=np.float16 if half else np.float32, scale=1 / 255,
              mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    want = m.render(masks, **kw)
    got = m.render(masks, device="cuda", **kw)
    assert got.is_cuda
    np.testing.assert_array_equal(got.cpu().numpy().view(np.uint8), want.view(np.uint8))


def test_cuda_writes_on_the_callers_stream():
    m, masks = make_case(2, False)
    want = m.render(masks)
    s = torch.cuda.Stream()
    with torch.cuda.stream(s):
        out = torch.empty(want.shape, dtype=torch.uint8, device="cuda")
        m.render(masks, out=out)
    s.synchronize()
    np.testing.assert_array_equal(out.cpu().numpy(), want)


def test_cupy_out():
    cupy = pytest.importorskip("cupy")
    m, masks = make_case(3, False)
    out = cupy.empty(m.output_shape(len(masks)), dtype=np.uint8)
    m.render(masks, out=out)
    np.testing.assert_array_equal(cupy.asnumpy(out), m.render(masks))


def test_cuda_out_checks():
    m, masks = make_case(4, False)
    with pytest.raises(ShapeError):
        m.render(masks, out=torch.empty((1, 2, 3, 4), dtype=torch.uint8, device="cuda"))
    with pytest.raises(DTypeError):
        m.render(masks, out=torch.empty(m.output_shape(len(masks)), dtype=torch.float32,
                                        device="cuda"))
