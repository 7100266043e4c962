"""Faces that are already crops: ``face_box="full"`` fits the landmarks in the whole image, on
scikit-image's LFW crops (25 x 25 grayscale, upscaled), where the detector finds nothing."""

import numpy as np
import pytest
from needs import need

need("dlib")
cv2 = need("cv2")
from skimage import data  # noqa: E402

from minplus import parse_regions  # noqa: E402
from minplus.errors import FaceNotFoundError  # noqa: E402
from minplus.regions.face68 import (COARSE_NAMES, FINE_NAMES, LEFT_EYE, OUTER_LIPS,  # noqa: E402
                                     RIGHT_EYE)
from minplus.regions.faces import locate_face  # noqa: E402

SIZE = 128  # the crops are 25 px; the 68-point fit and the region geometry want ~40 px eyes
MISSED = (4, 9, 13)  # LFW crops in which dlib's HOG detector finds no face at 128 px


@pytest.fixture(scope="module")
def crops():
    faces = data.lfw_subset()[:100]  # the first 100 of the 200 are faces
    return [np.clip(cv2.resize(f, (SIZE, SIZE), interpolation=cv2.INTER_CUBIC), 0.0, 1.0)
            for f in faces]


@pytest.mark.parametrize("index", MISSED)
def test_detection_fails_on_crops_without_face_box(crops, index):
    with pytest.raises(FaceNotFoundError, match="face_box='full'"):
        parse_regions(crops[index], "face68", name=f"lfw {index}")


@pytest.mark.parametrize("index", MISSED)
@pytest.mark.parametrize("spec,names", [("face68", COARSE_NAMES), ("face68:fine", FINE_NAMES)])
def test_full_box_yields_the_named_regions(crops, index, spec, names):
    p = parse_regions(crops[index], spec, face_box="full")
    assert p.regions.names == list(names)
    counts = np.bincount(p.regions.labels[p.regions.labels >= 0], minlength=len(names))
    assert (counts > 0).all(), dict(zip(names, counts))
    assert p.box.left == 0 and p.box.right == SIZE and p.n_faces == 0
    pts = p.landmarks  # an upright face: eyes level, above the mouth
    eyes = np.vstack([pts[RIGHT_EYE].mean(0), pts[LEFT_EYE].mean(0)])
    assert eyes[0, 0] < eyes[1, 0] and abs(eyes[0, 1] - eyes[1, 1]) < 0.1 * p.image.shape[0]
    assert pts[OUTER_LIPS][:, 1].mean() > eyes[:, 1].max()


def test_full_box_on_every_lfw_face(crops):
    for i, im in enumerate(crops[:50]):
        p = parse_regions(im, "face68", face_box="full", name=f"lfw {i}")
        counts = np.bincount(p.regions.labels[p.regions.labels >= 0], minlength=7)
        assert (counts > 0).all(), (i, dict(zip(COARSE_NAMES, counts)))


def test_auto_falls_back_only_when_nothing_is_found(crops):
    missed = parse_regions(crops[MISSED[0]], "face68", face_box="auto")
    full = parse_regions(crops[MISSED[0]], "face68", face_box="full")
    assert np.array_equal(missed.landmarks, full.landmarks)
    found = parse_regions(crops[0], "face68", face_box="auto")
    detected = parse_regions(crops[0], "face68")
    assert found.n_faces >= 1 and np.array_equal(found.landmarks, detected.landmarks)


def test_locate_face_and_bad_values(crops):
    box, n = locate_face(crops[0], "full")
    assert (box.left, box.top, box.right, box.bottom, n) == (0, 0, SIZE, SIZE, 0)
    with pytest.raises(ValueError, match="face_box"):
        parse_regions(crops[0], "face68", face_box="whole")
    with pytest.raises(ValueError, match="dlib parser"):
        parse_regions(crops[0], "mediapipe", face_box="full")


def test_face_adapters_bind_on_crops(crops):
    from minplus.models import GenderClassifier

    rgb = (np.repeat(crops[MISSED[0]][:, :, None], 3, axis=2) * 255).round().astype(np.uint8)
    with pytest.raises(FaceNotFoundError):
        GenderClassifier()(rgb)
    model = GenderClassifier(face_box="full")
    frame = model.bind(rgb)
    assert frame.size == (32, 32)
    p = model(rgb)
    assert p.shape == (2,) and abs(p.sum() - 1) < 1e-5


def test_dlib_recognizer_fits_crops_with_the_full_box(crops):
    from minplus.models import DlibFaceRecognizer

    rgb = (np.repeat(crops[MISSED[0]][:, :, None], 3, axis=2) * 255).round().astype(np.uint8)
    with pytest.raises(FaceNotFoundError):
        DlibFaceRecognizer()(rgb)
    full = DlibFaceRecognizer(face_box="full")
    d = full(rgb)
    assert d.shape == (128,) and np.isfinite(d).all()
    # the same face shifted by two pixels stays the same person for dlib (distance < 0.6)
    assert np.linalg.norm(full(np.roll(rgb, 2, axis=1)) - d) < 0.6
    with pytest.raises(ValueError, match="face_box"):
        DlibFaceRecognizer(face_box="box")
