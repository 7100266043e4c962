"""Model adapters: torch and onnxruntime fed by the fused kernel, dlib's face recogniser."""

import io

import numpy as np
import pytest
import torch

from minplus.evaluate import score_masks
from minplus import Masker
from minplus.errors import DeviceError, FaceNotFoundError, ModelError, ShapeError
from minplus.models import CallableModel, DlibFaceRecognizer, OnnxModel, TorchModel

PRE = (1 / 255, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


def small_cnn(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 8, 3, padding=1), torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(2), torch.nn.Flatten(), torch.nn.Linear(32, 5)).eval()


def onnx_bytes(net, batch_dim=True, nhwc=False):
    f = io.BytesIO()
    wrapped = torch.nn.Sequential(Nhwc(), net) if nhwc else net
    x = torch.zeros((2, 16, 20, 3) if nhwc else (2, 3, 16, 20)) if batch_dim else \
        torch.zeros((1, 16, 20, 3) if nhwc else (1, 3, 16, 20))
    axes = {"x": {0: "b"}, "y": {0: "b"}} if batch_dim else None
    torch.onnx.export(wrapped, x, f, input_names=["x"], output_names=["y"], dynamic_axes=axes,
                      dynamo=False)
    return f.getvalue()


class Nhwc(torch.nn.Module):
    def forward(self, x):
        return x.permute(0, 3, 1, 2)


@pytest.fixture(scope="module")
def masker():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (16, 20, 3), dtype=np.uint8)
    labels = (np.arange(16)[:, None] // 4 * 5 + np.arange(20)[None, :] // 4).astype(np.int32) % 6
    return Masker(image, labels, baseline="blur")


ALL_MASKS = np.arange(64, dtype=np.uint64)


def rendered(masker, masks=ALL_MASKS):
    return masker.render(masks)


# ---- TorchModel -------------------------------------------------------------------------------

def test_torch_fused_render_equals_predict_on_rendered_images(masker):
    model = TorchModel(small_cnn(), preprocess=PRE, batch_size=7)
    fused = score_masks(model, masker, ALL_MASKS)
    plain = model(rendered(masker))
    assert fused.shape == (64, 5) and fused.dtype == np.float64
    np.testing.assert_allclose(fused, plain, rtol=1e-5, atol=1e-5)


def test_torch_batch_size_does_not_change_scores(masker):
    a = score_masks(TorchModel(small_cnn(), preprocess=PRE, batch_size=64), masker, ALL_MASKS)
    b = score_masks(TorchModel(small_cnn(), preprocess=PRE, batch_size=5), masker, ALL_MASKS)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_torch_matches_module_on_hand_normalised_input(masker):
    net = small_cnn()
    x = rendered(masker, ALL_MASKS[:3]).astype(np.float32) / 255
    x = (x - np.array(PRE[1], np.float32)) / np.array(PRE[2], np.float32)
    with torch.no_grad():
        want = net(torch.from_numpy(x.transpose(0, 3, 1, 2).copy())).numpy()
    got = score_masks(TorchModel(net, preprocess=PRE), masker, ALL_MASKS[:3])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_torch_half_module_gets_half_inputs(masker):
    class Probe(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(1, dtype=torch.float16))

        def forward(self, x):
            assert x.dtype == torch.float16
            return (x.float().mean(dim=(1, 2, 3)) * self.w.float())[:, None]

    got = score_masks(TorchModel(Probe(), preprocess=(1 / 255, 0.0, 1.0)), masker, ALL_MASKS[:4])
    want = rendered(masker, ALL_MASKS[:4]).astype(np.float64).mean(axis=(1, 2, 3)) / 255
    np.testing.assert_allclose(got[:, 0], want, atol=2e-3)


@pytest.mark.parametrize("output, match", [
    (lambda x: x.mean(dim=(2, 3)) * float("nan"), "NaN"),
    (lambda x: x.mean(dim=(1, 2, 3))[:1], "shape"),
    (lambda x: {"logits": x}, "expected a Tensor"),
])
def test_torch_bad_outputs_raise_model_error(masker, output, match):
    class Bad(torch.nn.Module):
        def forward(self, x):
            return output(x)

    with pytest.raises(ModelError, match=match):
        score_masks(TorchModel(Bad()), masker, ALL_MASKS[:3])


def test_torch_module_raising_is_model_error(masker):
    net = torch.nn.Linear(7, 2)  # wrong input size for these images
    with pytest.raises(ModelError, match="torch module raised"):
        score_masks(TorchModel(net), masker, ALL_MASKS[:2])


def test_torch_refuses_non_modules_and_missing_cuda():
    with pytest.raises(TypeError, match="torch.nn.Module"):
        TorchModel(lambda x: x)
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="CUDA"):
            TorchModel(small_cnn(), device="cuda")


# ---- OnnxModel --------------------------------------------------------------------------------

def test_onnx_equals_torch(masker):
    net = small_cnn(1)
    want = score_masks(TorchModel(net, preprocess=PRE), masker, ALL_MASKS)
    got = score_masks(OnnxModel(onnx_bytes(net), preprocess=PRE, batch_size=9), masker, ALL_MASKS)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(OnnxModel(onnx_bytes(net), preprocess=PRE)(rendered(masker)),
                               want, rtol=1e-4, atol=1e-5)


def test_onnx_nhwc_layout(masker):
    net = small_cnn(2)
    want = score_masks(TorchModel(net, preprocess=PRE), masker, ALL_MASKS)
    got = score_masks(OnnxModel(onnx_bytes(net, nhwc=True), preprocess=PRE, layout="nhwc"),
                      masker, ALL_MASKS)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_onnx_fixed_batch_dimension_runs_one_at_a_time(masker, tmp_path):
    net = small_cnn(3)
    path = tmp_path / "fixed.onnx"
    path.write_bytes(onnx_bytes(net, batch_dim=False))
    model = OnnxModel(path, preprocess=PRE, batch_size=32)
    assert model.batch_size == 1
    want = score_masks(TorchModel(net, preprocess=PRE), masker, ALL_MASKS[:5])
    np.testing.assert_allclose(score_masks(model, masker, ALL_MASKS[:5]), want, rtol=1e-4,
                               atol=1e-5)


def test_onnx_bad_inputs(tmp_path):
    with pytest.raises(FileNotFoundError, match="no ONNX file"):
        OnnxModel(tmp_path / "missing.onnx")
    with pytest.raises(TypeError, match="InferenceSession"):
        OnnxModel(42)
    with pytest.raises(ValueError, match="layout"):
        OnnxModel(onnx_bytes(small_cnn()), layout="chw")
    with pytest.raises(ValueError, match="preprocess"):
        OnnxModel(onnx_bytes(small_cnn()), preprocess=(1.0, 0.0))
    with pytest.raises(ValueError, match="std"):
        TorchModel(small_cnn(), preprocess=(1.0, 0.0, 0.0))


def test_onnx_runtime_failure_is_model_error():
    model = OnnxModel(onnx_bytes(small_cnn()))
    with pytest.raises(ModelError, match="onnxruntime"):
        model(np.zeros((2, 9, 9, 3), np.uint8))  # the export fixed H, W = 16, 20


# ---- CallableModel ----------------------------------------------------------------------------

def test_callable_wrong_shape_and_nan_are_model_errors(masker):
    with pytest.raises(ModelError, match="shape"):
        score_masks(CallableModel(lambda x: np.zeros((len(x) + 1, 2))), masker, ALL_MASKS[:3])
    with pytest.raises(ModelError, match="NaN"):
        score_masks(CallableModel(lambda x: np.full((len(x), 2), np.nan)), masker,
                    ALL_MASKS[:3])


# ---- DlibFaceRecognizer -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def recognizer():
    return DlibFaceRecognizer()


@pytest.fixture(scope="module")
def hopper():
    from matplotlib import cbook
    import matplotlib.pyplot as plt

    return np.ascontiguousarray(plt.imread(cbook.get_sample_data("grace_hopper.jpg")))


def test_dlib_descriptor_equals_dlibs_own_pipeline(recognizer, hopper):
    import dlib
    from minplus.regions.faces import model_file

    det = dlib.get_frontal_face_detector()(hopper, 1)[0]
    shape = dlib.shape_predictor(model_file("shape_predictor_5_face_landmarks.dat"))(hopper, det)
    net = dlib.face_recognition_model_v1(model_file("dlib_face_recognition_resnet_model_v1.dat"))
    want = np.asarray(net.compute_face_descriptor(hopper, shape))
    got = recognizer(hopper)
    assert got.shape == (128,)
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_dlib_masks_are_aligned_with_the_unmasked_face(recognizer, hopper):
    labels = np.zeros(hopper.shape[:2], np.int32)
    labels[: hopper.shape[0] // 2] = 1  # top half (eyes) = region 1
    masker = Masker(hopper, labels, baseline="black")
    scores = score_masks(recognizer, masker, np.array([3, 1], np.uint64))
    np.testing.assert_allclose(scores[0], recognizer(hopper), atol=1e-6)
    # Only the bottom half is kept: the detector finds no face there, yet the anchored
    # geometry still gives a descriptor, equal to the chip cut with the unmasked landmarks.
    masked = masker.render([1])[0]
    with pytest.raises(FaceNotFoundError):
        recognizer(masked)
    face = recognizer.face(hopper)
    want = recognizer._describe(recognizer.chips([masked], face))[0]
    np.testing.assert_allclose(scores[1], want, atol=1e-6)
    assert np.linalg.norm(scores[1] - scores[0]) > 0.1


@pytest.mark.parametrize("convert", [
    lambda im: im.mean(axis=2).astype(np.uint8)[:, :, None],           # grayscale (H, W, 1)
    lambda im: np.dstack([im, np.full(im.shape[:2], 255, np.uint8)]),  # RGBA
    lambda im: im.astype(np.float32) / 255,                            # float in [0, 1]
])
def test_dlib_converts_documented_image_kinds(recognizer, hopper, convert):
    d = np.linalg.norm(recognizer(convert(hopper)) - recognizer(hopper))
    assert d < 0.25  # the same face (gray loses colour, so not identical)


def test_dlib_refuses_bad_images(recognizer, hopper):
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        recognizer(hopper.astype(np.float32)[None])
    with pytest.raises(TypeError, match="dtype int32"):
        recognizer(hopper.astype(np.int32)[None])
    with pytest.raises(ShapeError, match="shape"):
        recognizer(np.zeros((1, 8, 8, 2), np.uint8))


def test_dlib_no_face_raises(recognizer):
    with pytest.raises(FaceNotFoundError, match="no face"):
        recognizer(np.zeros((200, 200, 3), np.uint8))
    with pytest.raises(ShapeError, match="too small"):
        recognizer(np.full((5, 4, 3), 128, np.uint8))
