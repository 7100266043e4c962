"""dlib's face ResNet read from its .dat into torch: the format reader, parity with dlib's own
descriptors on real faces, the chip frame, the evaluation loop and the white-box methods."""

import math

import numpy as np
import pytest
import torch

from minplus import Masker
from minplus.errors import DeviceError, GradientError, ModelFileError
from minplus.evaluate import Evaluation
from minplus.models import DlibFaceRecognizer
from minplus.models import dlib_serialization as ds
from minplus.models.dlib_resnet import RESNET_FILE, DlibResNet, face_resnet_layers
from minplus.regions.faces import model_file
from minplus.saliency.cam import grad_cam
from minplus.saliency.gradient import integrated_gradients
from minplus.saliency.targets import VerificationTarget

PARITY = 1e-4  # the bound on |torch - dlib| per descriptor entry (~3e-7 is measured)


# ---- encoding, as dlib's serialize.h writes it (to test the reader on known bytes) -----------

def enc_int(v: int) -> bytes:
    mag = abs(v).to_bytes(max(1, (abs(v).bit_length() + 7) // 8), "little")
    return bytes([len(mag) | (0x80 if v < 0 else 0)]) + mag


def enc_float(mantissa: int, exponent: int) -> bytes:
    return enc_int(mantissa) + enc_int(exponent)


def enc_str(s: str) -> bytes:
    return enc_int(len(s)) + s.encode()


def test_reader_decodes_dlibs_primitives():
    data = (enc_int(0x1234) + enc_int(-7) + b"0" + enc_float(3, -1) + enc_float(-5, 2)
            + enc_float(0, 32000) + enc_float(0, 32002) + enc_str("con_6")
            + enc_int(2) + b"".join(enc_int(n) for n in (1, 2, 1, 1))
            + np.array([1.5, -2.0], "<f4").tobytes())
    r = ds.DlibReader(data)
    assert (r.int(), r.int(), r.bool()) == (0x1234, -7, False)
    assert (r.float(), r.float(), r.float()) == (1.5, -20.0, math.inf)
    assert math.isnan(r.float())
    assert r.string() == "con_6"
    np.testing.assert_array_equal(r.tensor(), np.array([1.5, -2.0]).reshape(1, 2, 1, 1))
    assert r.pos == len(data)


@pytest.mark.parametrize("data, match, offset", [
    (b"\x01", "end of file", 1),              # an integer cut short after its control byte
    (b"\x31\x00", "control byte 0x31", 0),    # bits 0x70 set: not an integer
    (b"x", "bool", 0),
])
def test_reader_names_the_offset_of_bad_bytes(data, match, offset):
    r = ds.DlibReader(data, "f.dat")
    read = r.bool if match == "bool" else r.int
    with pytest.raises(ModelFileError, match=f"f.dat: .*{match}.* at byte {offset} "):
        read()


@pytest.fixture(scope="module")
def dat_bytes():
    with open(model_file(RESNET_FILE), "rb") as f:
        return f.read()


def test_the_shipped_network_parses_to_dlibs_architecture(dat_bytes):
    loss, inp, stack = ds.read_network(dat_bytes, face_resnet_layers())
    assert inp.size == (150, 150)
    np.testing.assert_allclose(inp.mean, (122.782, 117.001, 104.298), atol=1e-3)  # input.h
    assert (round(loss.margin, 6), round(loss.distance_threshold, 6)) == (0.04, 0.6)
    convs = [layer for layer in stack if isinstance(layer, ds.Conv)]
    assert len(convs) == 29 and convs[0].weight.shape == (32, 3, 7, 7)
    assert convs[0].stride == (2, 2) and convs[-1].weight.shape == (256, 256, 3, 3)
    fc = stack[-1]
    assert isinstance(fc, ds.Linear) and fc.weight.shape == (128, 256) and fc.bias is None
    assert sum(isinstance(layer, ds.AddPrev) for layer in stack) == 14
    assert all(np.isfinite(c.weight).all() for c in convs)


def test_corrupt_or_foreign_files_raise_model_file_errors(dat_bytes, tmp_path):
    layers = face_resnet_layers()
    with pytest.raises(ModelFileError, match="end of file"):
        ds.read_network(dat_bytes[:len(dat_bytes) // 2], layers)
    with pytest.raises(ModelFileError, match="trailing bytes"):
        ds.read_network(dat_bytes + b"\x00", layers)
    renamed = dat_bytes.replace(b"input_rgb_image_sized", b"input_rgb_image_sizex", 1)
    with pytest.raises(ModelFileError, match="input layer 'input_rgb_image_sizex'"):
        ds.read_network(renamed, layers)
    with pytest.raises(ModelFileError, match="version 2 .expected one of .1.."):
        ds.read_network(dat_bytes, ["tag1"] + layers)  # a tag where the file has a layer
    swapped = [layers[1], layers[0]] + layers[2:]  # avg_pool under fc: another architecture
    with pytest.raises(ModelFileError, match="layer 'avg_pool_2' where the network has fc"):
        ds.read_network(dat_bytes, swapped)
    with pytest.raises(ModelFileError, match="cannot read"):
        ds.read_network_file(tmp_path / "missing.dat", layers)
    with pytest.raises(ModelFileError):  # the 5-point shape predictor is no network
        ds.read_network_file(model_file("shape_predictor_5_face_landmarks.dat"), layers)


# ---- parity with dlib on real faces ----------------------------------------------------------

@pytest.fixture(scope="module")
def faces():
    """Real photos: Grace Hopper, the astronaut, and lfw_subset crops upscaled 8x."""
    import cv2
    import matplotlib.pyplot as plt
    from matplotlib import cbook
    from skimage import data

    photos = [np.ascontiguousarray(plt.imread(cbook.get_sample_data("grace_hopper.jpg"))),
              data.astronaut()]
    for face in data.lfw_subset()[:6]:
        gray = (face * 255).round().astype(np.uint8)
        photos.append(np.dstack([cv2.resize(gray, (200, 200), interpolation=cv2.INTER_CUBIC)] * 3))
    return photos


@pytest.fixture(scope="module")
def reference():
    return DlibFaceRecognizer()


@pytest.fixture(scope="module")
def recognizer():
    return DlibFaceRecognizer(backend="torch")


@pytest.fixture(scope="module")
def chips(faces, reference):
    """dlib's own aligned 150 px chips of every face the detector finds (at least 5 of 8)."""
    out = []
    for im in faces:
        try:
            out.append(reference.bind(im).warp(im))
        except ValueError:  # FaceNotFoundError: some 25 px LFW crops stay undetected
            continue
    assert len(out) >= 5
    return np.stack(out)


@pytest.mark.parametrize("fuse", [False, True])
def test_torch_descriptors_equal_dlibs_on_real_face_chips(chips, fuse):
    import dlib

    net = dlib.face_recognition_model_v1(model_file(RESNET_FILE))
    want = np.asarray(net.compute_face_descriptor(list(chips)))
    module = DlibResNet.from_file(fuse=fuse)
    with torch.inference_mode():
        got = module(module.normalise(chips)).numpy()
    assert got.shape == (len(chips), 128) and got.dtype == np.float32
    assert np.abs(got - want).max() < PARITY
    # the faces differ: parity is not a constant output
    assert np.linalg.norm(want[0] - want[1]) > 0.6


def test_torch_backend_equals_dlib_backend_end_to_end(faces, reference, recognizer):
    photos = faces[:2]
    for im in photos:
        assert np.abs(recognizer(im) - reference(im)).max() < PARITY
    assert recognizer.input_spec.layout == "nchw" and recognizer.input_spec.dtype == np.float32
    assert reference.input_spec.raw


def test_batches_equal_single_runs(chips, recognizer):
    batch = recognizer.prepare(chips)
    together = recognizer.run(batch)
    alone = np.concatenate([recognizer.run(recognizer.prepare(c[None])) for c in chips])
    assert together.shape == (len(chips), 128)
    assert np.abs(together - alone).max() < 1e-5


# ---- the chip frame --------------------------------------------------------------------------

def test_frame_matrix_is_dlibs_chip_geometry(faces, reference):
    import cv2

    for im in faces[:2]:  # an upright face and a tilted one (the astronaut's angle is not 0)
        frame = reference.bind(im)
        assert frame.size == (150, 150) and frame.matrix.shape == (2, 3)
        chip = frame.warp(im).astype(np.float64)
        ours = cv2.warpAffine(im, frame.matrix, (150, 150),
                              flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
        diff = np.abs(chip - ours)
        # only rounding apart (dlib truncates, cv2 rounds); a 1 px shift would give > 2
        assert diff.mean() < 0.75 and np.percentile(diff, 99) <= 2
        shifted = frame.matrix + [[0, 0, 1], [0, 0, 0]]
        moved = cv2.warpAffine(im, shifted, (150, 150),
                               flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
        assert np.abs(chip - moved).mean() > 2 * diff.mean()


# ---- the evaluation loop ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def hopper_masker(faces):
    hopper = faces[0]
    labels = (np.arange(hopper.shape[0])[:, None] * 3 // hopper.shape[0]).repeat(
        hopper.shape[1], 1).astype(np.int32)  # three horizontal bands
    return Masker(hopper, labels, baseline="blur")


@pytest.mark.parametrize("render", ["image", "frame"])
def test_masked_scores_equal_the_dlib_backend(hopper_masker, reference, recognizer, render):
    masks = np.arange(8, dtype=np.uint64)
    want = Evaluation(reference, hopper_masker, render).scores(masks)
    ev = Evaluation(recognizer, hopper_masker, render)
    got = ev.scores(masks)
    assert np.abs(got - want).max() < PARITY
    assert np.abs(ev.original - recognizer(hopper_masker.image)).max() < 1e-5
    assert np.linalg.norm(got[0] - got[7]) > 0.1  # masking moves the descriptor


# ---- white-box methods through a verification target -----------------------------------------

def test_grad_cam_and_ig_explain_verification(faces, recognizer):
    hopper, astronaut = faces[0], faces[1]
    chip = recognizer.bind(hopper).warp(hopper)
    preprocess = tuple(recognizer.input_spec.preprocess)
    same = VerificationTarget(recognizer(hopper))
    layer = [name for name, (c, h, w) in recognizer.module.block_outputs().items() if h >= 8][-1]
    cam = grad_cam(recognizer.module, chip, target=same, layer=layer, preprocess=preprocess)
    assert cam.map.shape == (150, 150) and np.isfinite(cam.map).all()
    assert cam.map.std() > 0 and cam.extra["layer_shape"] == (128, 8, 8)
    other = VerificationTarget(recognizer(astronaut))
    ig = integrated_gradients(recognizer.module, chip, target=other, n_steps=8,
                              internal_batch_size=8, preprocess=preprocess, progress=False)
    assert ig.map.shape == (150, 150) and np.isfinite(ig.map).all() and ig.map.std() > 0
    # the explained score is the cosine similarity of the two faces' descriptors
    d = recognizer(hopper), recognizer(astronaut)
    cos = d[0] @ d[1] / np.linalg.norm(d[0]) / np.linalg.norm(d[1])
    assert abs(float(ig.score) - cos) < 1e-4


# ---- options and devices ---------------------------------------------------------------------

def test_backend_options_are_checked(reference):
    with pytest.raises(ValueError, match="backend must be one of"):
        DlibFaceRecognizer(backend="onnx")
    with pytest.raises(ValueError, match="CPU only"):
        DlibFaceRecognizer(device="cuda")
    with pytest.raises(GradientError, match="black box"):
        reference.module


def test_cuda_device_runs_or_is_refused(chips, recognizer):
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="no CUDA device"):
            DlibFaceRecognizer(backend="torch", device="cuda")
        return
    gpu = DlibFaceRecognizer(backend="torch", device="cuda")
    assert gpu.input_spec.device == "cuda"
    got = gpu.run(gpu.prepare(chips))
    assert np.abs(got - recognizer.run(recognizer.prepare(chips))).max() < PARITY
