"""Fused region masking: bit-for-bit equal to the numpy statement of the contract; bad inputs."""

import numpy as np
import pytest
from needs import need
from hypothesis import given, settings
from hypothesis import strategies as st
from masking_reference import reference_render

import minplus
from minplus import Masker
from minplus.errors import DeviceError, DTypeError, RegionError, ShapeError


@st.composite
def masking_case(draw):
    H, W = draw(st.integers(1, 24)), draw(st.integers(1, 24))
    C = draw(st.sampled_from([1, 2, 3, 4]))
    n = draw(st.integers(0, 64))
    dtype = draw(st.sampled_from([np.uint8, np.float32]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if dtype == np.uint8:
        image = rng.integers(0, 256, (H, W, C), dtype=np.uint8)
        baseline = rng.integers(0, 256, (H, W, C), dtype=np.uint8)
    else:
        image = rng.normal(0, 2, (H, W, C)).astype(np.float32)
        baseline = rng.normal(0, 2, (H, W, C)).astype(np.float32)
    # long runs as in real region maps, plus random speckle
    runs = draw(st.booleans())
    if runs and n:
        labels = np.repeat(rng.integers(-1, n, (H, max(1, W // 4) + 1)), 4, axis=1)[:, :W]
    else:
        labels = rng.integers(-1, n, (H, W)) if n else np.full((H, W), -1)
    labels = labels.astype(np.int32)
    B = draw(st.integers(1, 6))
    hi = np.uint64(2**n - 1) if n < 64 else np.uint64(2**64 - 1)
    masks = (rng.integers(0, 2**63, B, dtype=np.uint64) * np.uint64(2)
             + rng.integers(0, 2, B, dtype=np.uint64)) & hi
    layout = draw(st.sampled_from(["hwc", "nchw"]))
    out_dtype = draw(st.sampled_from([np.float32, np.float16])) if layout == "nchw" else None
    context = draw(st.sampled_from(["keep", "mask"]))
    weights = None
    if draw(st.booleans()):
        weights = rng.uniform(0, 0.7, (n, H, W)).astype(np.float32)
        weights[rng.random((n, H, W)) < 0.6] = 0
    norm = {}
    if layout == "nchw" and draw(st.booleans()):
        norm = dict(scale=float(rng.uniform(0.001, 2)), mean=rng.uniform(-1, 1, C).tolist(),
                    std=rng.uniform(0.1, 2, C).tolist())
    return image, baseline, labels, n, masks, layout, out_dtype, context, weights, norm


@settings(max_examples=300, deadline=None)
@given(masking_case())
def test_render_equals_numpy_reference(case):
    image, baseline, labels, n, masks, layout, out_dtype, context, weights, norm = case
    m = Masker(image, labels, baseline=baseline, context=context, n_regions=n,
               soft_weights=weights)
    got = m.render(masks, layout=layout, dtype=out_dtype, **norm)
    want = reference_render(image, baseline, labels, masks, context == "keep", layout, out_dtype,
                            weights=weights, **norm)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got.view(np.uint8), np.ascontiguousarray(want).view(np.uint8))


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 40), st.integers(1, 9), st.integers(0, 2**32 - 1),
       st.sampled_from(["keep", "mask"]), st.sampled_from(["hwc", "nchw"]))
def test_whole_row_runs_equal_numpy_reference(H, n, seed, context, layout):
    """Horizontal bands (rows wholly in one region or context) take the row-run fast path."""
    rng = np.random.default_rng(seed)
    bands = rng.integers(-1, n, H)
    labels = np.repeat(bands[:, None], 11, axis=1).astype(np.int32)
    labels[rng.random(H) < 0.3, 5:] = rng.integers(-1, n)  # some mixed rows among them
    image = rng.integers(0, 256, (H, 11, 3), dtype=np.uint8)
    m = Masker(image, labels, baseline="noise", context=context, n_regions=n, seed=seed)
    masks = rng.integers(0, 2**n, 8).astype(np.uint64)
    got = m.render(masks, layout=layout, dtype=np.float32 if layout == "nchw" else None)
    want = reference_render(image, m.baseline, labels, masks, context == "keep", layout)
    np.testing.assert_array_equal(got, want)


def test_render_into_caller_buffer_and_threads_agree():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    lab = (np.arange(50)[None, :] // 7 + np.arange(40)[:, None] // 9).astype(np.int32) % 12
    m = Masker(img, lab, baseline="blur")
    masks = minplus.core.level(12, 5)
    out = np.empty(m.output_shape(len(masks)), np.uint8)
    assert m.render(masks, out=out) is out
    np.testing.assert_array_equal(out, m.render(masks, num_threads=1))
    np.testing.assert_array_equal(out, reference_render(img, m.baseline, lab, masks, True))


def test_full_mask_is_the_image_and_empty_mask_the_baseline():
    rng = np.random.default_rng(2)
    img = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    lab = rng.integers(0, 5, (16, 16)).astype(np.int32)
    m = Masker(img, lab, baseline="gray", context="mask")
    out = m.render([0b11111, 0])
    np.testing.assert_array_equal(out[0], img)
    np.testing.assert_array_equal(out[1], np.full_like(img, 128))


def test_torch_cpu_tensor_out_is_written_in_place():
    torch = need("torch")
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (8, 9, 3), dtype=np.uint8)
    lab = rng.integers(0, 3, (8, 9)).astype(np.int32)
    m = Masker(img, lab)
    t = torch.empty((2, 3, 8, 9), dtype=torch.float32)
    m.render([1, 6], out=t, layout="nchw", scale=1 / 255, mean=[0.5] * 3, std=[0.25] * 3)
    want = reference_render(img, m.baseline, lab, [1, 6], True, "nchw", np.float32,
                            scale=1 / 255, mean=0.5, std=0.25)
    np.testing.assert_array_equal(t.numpy(), want)


@pytest.mark.parametrize("name", ["mean", "black", "gray", "blur", "noise"])
def test_named_baselines(name):
    img = np.random.default_rng(4).integers(0, 256, (20, 24, 3), dtype=np.uint8)
    lab = np.zeros((20, 24), np.int32)
    b = Masker(img, lab, baseline=name, sigma=2.0, seed=7).baseline
    assert b.shape == img.shape and b.dtype == np.uint8
    again = Masker(img, lab, baseline=name, sigma=2.0, seed=7).baseline
    np.testing.assert_array_equal(b, again)  # seeded
    if name == "mean":
        np.testing.assert_allclose(b[0, 0], img.reshape(-1, 3).mean(0), atol=0.5)
    if name == "blur":
        assert b.std() < img.std()


def test_non_contiguous_and_negative_stride_inputs_are_copied():
    rng = np.random.default_rng(5)
    big = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    lab = rng.integers(-1, 4, (30, 40)).astype(np.int32)
    flipped, lab_flipped = big[::-1, ::-2], lab[::-1, ::-2]
    m = Masker(flipped, lab_flipped, baseline="black")
    want = reference_render(np.ascontiguousarray(flipped), m.baseline,
                            np.ascontiguousarray(lab_flipped), [5], True)
    np.testing.assert_array_equal(m.render([5]), want)


def test_grayscale_2d_image_is_one_channel():
    img = np.arange(12, dtype=np.uint8).reshape(3, 4)
    m = Masker(img, np.zeros((3, 4), np.int32), baseline="black")
    assert m.render([1]).shape == (1, 3, 4, 1)


# ---- bad input: every case raises the documented typed error --------------------------------

IMG = np.zeros((6, 7, 3), np.uint8)
LAB = np.zeros((6, 7), np.int32)


@pytest.mark.parametrize("image, err, msg", [
    (np.zeros((6, 7, 3), np.float64), DTypeError, "uint8 or float32"),
    (np.zeros((6, 7, 3), np.int16), DTypeError, "uint8 or float32"),
    (np.zeros((2, 6, 7, 3), np.uint8), ShapeError, r"\(2, 6, 7, 3\)"),
    (np.zeros((0, 7, 3), np.uint8), ShapeError, "empty"),
    ([[1, 2]], DTypeError, "numpy array"),
    (np.full((6, 7, 3), np.nan, np.float32), ValueError, "NaN"),
])
def test_bad_image(image, err, msg):
    with pytest.raises(err, match=msg):
        Masker(image, LAB)


@pytest.mark.parametrize("labels, kw, err, msg", [
    (np.zeros((6, 8), np.int32), {}, ShapeError, r"\(6, 8\)"),
    (np.zeros((6, 7), np.float32), {}, DTypeError, "integer"),
    (np.full((6, 7), 64, np.int32), {}, RegionError, "at most 64"),
    (np.full((6, 7), -2, np.int32), {}, RegionError, ">= -1"),
    (np.full((6, 7), 5, np.int32), {"n_regions": 3}, RegionError, "n_regions=3"),
    (LAB, {"n_regions": 65}, RegionError, "n_regions"),
    (LAB, {"context": "drop"}, ValueError, "context"),
    (LAB, {"baseline": "purple"}, ValueError, "baseline"),
    (LAB, {"baseline": np.zeros((6, 7, 3), np.float32)}, DTypeError, "dtype"),
    (LAB, {"baseline": np.zeros((6, 6, 3), np.uint8)}, ShapeError, "shape"),
    (LAB, {"soft_weights": np.zeros((2, 6, 7), np.float32)}, ShapeError, "soft_weights"),
    (LAB, {"soft_weights": np.full((1, 6, 7), -1, np.float32)}, ValueError, ">= 0"),
    (LAB, {"soft_weights": np.zeros((1, 6, 7)), }, DTypeError, "float32"),
])
def test_bad_labels_and_options(labels, kw, err, msg):
    with pytest.raises(err, match=msg):
        Masker(IMG, labels, **kw)


@pytest.mark.parametrize("masks, err, msg", [
    ([], ShapeError, "empty"),
    (np.array([], np.uint64), ShapeError, "empty"),
    ([0b100], RegionError, "bit 2"),
    (np.array([-1]), DTypeError, "non-negative"),
    (np.array([1.0]), DTypeError, "uint64"),
    (np.zeros((2, 2), np.uint64), ShapeError, "1-D"),
    (["a"], DTypeError, "integers"),
])
def test_bad_masks(masks, err, msg):
    m = Masker(IMG, (LAB + np.arange(7)[None] % 2).astype(np.int32))
    with pytest.raises(err, match=msg):
        m.render(masks)


@pytest.mark.parametrize("out, kw, err, msg", [
    (np.empty((2, 6, 7, 3), np.uint8), {}, ShapeError, "shape"),
    (np.empty((1, 6, 7, 3), np.float32), {}, DTypeError, "dtype"),
    (np.empty((1, 3, 6, 7), np.float64), {"layout": "nchw", "dtype": np.float64}, DTypeError,
     "float32 or float16"),
    (np.empty((1, 7, 6, 3), np.uint8).transpose(0, 2, 1, 3), {}, ShapeError, "C-contiguous"),
    (np.empty((1, 6, 7, 3), np.uint8), {"layout": "chw"}, ValueError, "layout"),
    (np.empty((1, 6, 7, 3), np.uint8), {"dtype": np.float32}, DTypeError, "nchw"),
    (np.empty((1, 6, 7, 3), np.uint8), {"mean": [0.5]}, ValueError, "apply to layout='nchw'"),
    (np.empty((1, 3, 6, 7), np.float32), {"layout": "nchw", "std": [1, 0, 1]}, ValueError, "std"),
    ("buffer", {}, DeviceError, "device"),
])
def test_bad_out(out, kw, err, msg):
    m = Masker(IMG, LAB)
    with pytest.raises(err, match=msg):
        m.render([1], out=out, **kw)


def test_read_only_out():
    out = np.empty((1, 6, 7, 3), np.uint8)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        Masker(IMG, LAB).render([1], out=out)


def test_cuda_path_without_a_device_raises_device_error():
    if minplus.cuda_available():
        pytest.skip("a CUDA device is present: tests/gpu covers this path")
    with pytest.raises(DeviceError, match="CUDA"):
        Masker(IMG, LAB).render([1], device="cuda")
