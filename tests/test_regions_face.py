"""Face parsing on real faces shipped by scikit-image and matplotlib (dlib HOG + 68 landmarks)."""

import cv2
import matplotlib.cbook
import matplotlib.image
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from skimage import data

from minplus import FaceNotFoundError, parse_regions
from minplus.errors import DTypeError, ShapeError
from minplus.regions import detect_faces, face_labels, face_landmarks, face_outline
from minplus.regions.face68 import COARSE_OF, PRECEDENCE, face_polygons

from face_checks import check_face_map


@pytest.fixture(scope="module")
def grace():
    return matplotlib.image.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg"))


@pytest.fixture(scope="module")
def astronaut():
    return data.astronaut()


@pytest.fixture(scope="module")
def parsed(grace, astronaut):
    """Each real face parsed at both granularities (parsing once per image keeps this fast)."""
    return {(who, g): parse_regions(img, g, name=who)
            for who, img in (("grace", grace), ("astronaut", astronaut))
            for g in ("coarse", "fine")}


@pytest.mark.parametrize("who", ["grace", "astronaut"])
@pytest.mark.parametrize("granularity", ["coarse", "fine"])
def test_regions_lie_where_landmarks_say(parsed, who, granularity):
    p = parsed[who, granularity]
    assert p.image.shape == (256, 256, 3) and p.image.dtype == np.uint8
    assert p.regions.shape == (256, 256) and p.name == who
    check_face_map(p.regions, p.landmarks, granularity)


def test_coarse_is_fine_merged(parsed):
    for who in ("grace", "astronaut"):
        fine, coarse = parsed[who, "fine"].regions, parsed[who, "coarse"].regions
        merged = np.array([coarse.index(COARSE_OF[n]) for n in fine.names] + [-1])[fine.labels]
        np.testing.assert_array_equal(merged, coarse.labels)


def test_precedence_keeps_most_of_every_feature(parsed):
    """Overlaps are settled by precedence; no feature may lose more than a fifth of its polygon."""
    for who in ("grace", "astronaut"):
        p = parsed[who, "fine"]
        polys = face_polygons(p.landmarks)
        for name in PRECEDENCE[:6]:  # brows, eyes, nose, mouth
            own = np.zeros(p.regions.shape, np.uint8)
            for q in polys[name]:
                cv2.fillPoly(own, [np.round(q * 16).astype(np.int32)], 1, shift=4)
            kept = (p.regions.labels[own.astype(bool)] == p.regions.index(name)).mean()
            assert kept > 0.8, (who, name, kept)


def test_chip_keeps_context_and_levels_eyes(parsed):
    for who in ("grace", "astronaut"):
        p = parsed[who, "coarse"]
        context = (p.regions.labels == -1).mean()
        assert 0.25 < context < 0.75  # hair and background remain around the face
        eyes = p.landmarks[36:42].mean(0), p.landmarks[42:48].mean(0)
        assert abs(eyes[0][1] - eyes[1][1]) < 1e-6  # aligned: eyes level


def test_crop_transform_is_consistent(grace, parsed):
    p = parsed["grace", "fine"]
    photo_pts = face_landmarks(grace, p.box)
    np.testing.assert_allclose(p.crop.to_chip(photo_pts), p.landmarks, atol=1e-9)
    np.testing.assert_allclose(p.crop.to_photo(p.landmarks), photo_pts, atol=1e-9)
    # chip pixels are photo pixels resampled at to_photo(chip_xy)
    rng = np.random.default_rng(0)
    xy = rng.uniform(60, 196, (50, 2))
    back = np.round(p.crop.to_photo(xy)).astype(int)
    chip_vals = p.image[np.round(xy[:, 1]).astype(int), np.round(xy[:, 0]).astype(int)]
    photo_vals = grace[back[:, 1], back[:, 0]]
    assert np.median(np.abs(chip_vals.astype(int) - photo_vals)) < 12
    full = p.crop.to_photo_map(np.ones((256, 256), np.float32))
    assert full.shape == grace.shape[:2] and full.max() == 1.0 and full.min() == 0.0
    assert 0.5 * p.crop.scale ** -2 * 256 ** 2 < full.sum() <= 1.01 * p.crop.scale ** -2 * 256 ** 2


def test_uncropped_map_labels_the_photo(grace):
    p = parse_regions(grace, "fine", crop=False)
    assert p.image.shape == grace.shape and p.crop is None and p.regions.shape == grace.shape[:2]
    np.testing.assert_array_equal(p.landmarks, face_landmarks(grace, detect_faces(grace)[0]))
    check_face_map(p.regions, p.landmarks, "fine")


def test_large_photos_are_shrunk_for_detection_only(grace):
    big = cv2.resize(grace, (1024, 1200), interpolation=cv2.INTER_CUBIC)
    ref = detect_faces(grace)[0]
    box = detect_faces(big, max_side=600)[0]
    for got, want in ((box.left, ref.left), (box.top, ref.top), (box.right, ref.right),
                      (box.bottom, ref.bottom)):
        assert abs(got - 2 * want) <= 6


def test_largest_face_first_and_face_index(astronaut, parsed):
    boxes = detect_faces(astronaut)
    # astronaut.png: Eileen Collins' face and a false positive on her mission patch
    assert len(boxes) == 2 and boxes[0].area >= boxes[1].area
    assert parsed["astronaut", "coarse"].box == boxes[0]
    assert parsed["astronaut", "coarse"].n_faces == 2
    second = parse_regions(astronaut, "coarse", face_index=1)
    assert second.box == boxes[1] and second.regions.areas().min() > 0
    assert parse_regions(astronaut, "coarse", face_index=-1).box == boxes[1]
    with pytest.raises(FaceNotFoundError, match="astro.png has 2 face.*face_index=2"):
        parse_regions(astronaut, face_index=2, name="astro.png")


@pytest.mark.parametrize("image", [
    pytest.param(data.coffee(), id="coffee"),
    pytest.param(np.full((80, 80, 3), 128, np.uint8), id="flat"),
])
def test_no_face_raises_naming_the_image(image):
    with pytest.raises(FaceNotFoundError, match="no face found in cup_0042.jpg"):
        parse_regions(image, "face68", name="cup_0042.jpg")
    with pytest.raises(ValueError):  # FaceNotFoundError is also a ValueError
        parse_regions(image)


def test_input_policy_gray_rgba_float(grace, parsed):
    ref = parsed["grace", "coarse"]
    as_float = parse_regions(grace.astype(np.float32) / 255.0, "coarse")
    np.testing.assert_array_equal(as_float.image, ref.image)
    assert as_float.regions == ref.regions
    rgba = np.dstack([grace, np.full(grace.shape[:2], 255, np.uint8)])
    assert parse_regions(rgba, "coarse").regions == ref.regions
    gray = parse_regions(cv2.cvtColor(grace, cv2.COLOR_RGB2GRAY), "coarse")
    assert gray.image.shape == (256, 256, 3)
    assert (gray.image[..., 0] == gray.image[..., 2]).all()
    check_face_map(gray.regions, gray.landmarks, "coarse")


@pytest.mark.parametrize("image, err, match", [
    (np.zeros((64, 64, 3), np.int16), DTypeError, "uint8 or float"),
    (np.full((64, 64, 3), 2.0), ValueError, r"\[0, 1\]"),
    (np.full((64, 64, 3), np.nan), ValueError, "NaN"),
    (np.zeros((64, 64, 2), np.uint8), ShapeError, r"\(64, 64, 2\)"),
    (np.zeros((64,), np.uint8), ShapeError, "shape"),
    ([[0]], DTypeError, "numpy array"),
    (np.zeros((20, 64, 3), np.uint8), ShapeError, "too small"),
])
def test_bad_inputs_raise_typed_errors(image, err, match):
    with pytest.raises(err, match=match):
        parse_regions(image, "face68")


def test_lfw_faces_are_too_small_until_upscaled():
    """lfw_subset faces are 25 x 25: refused as too small; upscaled 8x, dlib finds most of them."""
    faces = data.lfw_subset()[:10]
    with pytest.raises(ShapeError, match=r"too small.*\(25, 25\)"):
        parse_regions(faces[0], name="lfw0")
    parsed_ok = 0
    for k, face in enumerate(faces):
        big = cv2.resize(face.astype(np.float32), (200, 200), interpolation=cv2.INTER_CUBIC)
        try:
            p = parse_regions(np.clip(big, 0, 1), "fine", name=f"lfw{k}")
        except FaceNotFoundError:
            continue
        check_face_map(p.regions, p.landmarks, "fine")
        # the chip square reaches past these tight crops: what lies outside the photo is black
        ys, xs = np.mgrid[0:256, 0:256]
        src = p.crop.to_photo(np.column_stack([xs.ravel(), ys.ravel()]))
        outside = ((src < -1) | (src > 200)).any(1).reshape(256, 256)
        assert outside.any() and (p.image[outside] == 0).all()
        parsed_ok += 1
    assert parsed_ok >= 7


@pytest.fixture(scope="module")
def grace_landmarks(grace):
    return face_landmarks(grace, detect_faces(grace)[0])


@settings(max_examples=25, deadline=None)
@given(angle=st.floats(-30, 30), scale=st.floats(0.5, 1.6), flip=st.booleans(),
       granularity=st.sampled_from(["coarse", "fine"]))
def test_geometry_invariants_under_similarity_transforms(grace_landmarks, angle, scale, flip,
                                                         granularity):
    """Rotated, scaled and mirrored (left/right landmarks swapped) faces keep the invariants."""
    p = grace_landmarks - grace_landmarks.mean(0)
    if flip:
        p = p * [-1, 1]
        p = p[MIRROR]
    t = np.deg2rad(angle)
    p = scale * p @ np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])
    p = p - face_outline(p).min(0) + 8
    shape = tuple(np.ceil(face_outline(p).max(0)[::-1] + 8).astype(int))
    check_face_map(face_labels(p, shape, granularity), p, granularity)


# iBUG-68 index of each landmark's mirror image (left <-> right).
MIRROR = np.array(list(range(16, -1, -1)) + list(range(26, 16, -1)) + [27, 28, 29, 30]
                  + [35, 34, 33, 32, 31] + [45, 44, 43, 42, 47, 46] + [39, 38, 37, 36, 41, 40]
                  + [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55]
                  + [64, 63, 62, 61, 60, 67, 66, 65])


def test_parsed_image_feeds_the_masker(parsed):
    p = parsed["grace", "coarse"]
    masker = p.masker(baseline="black")
    out = masker.render([p.regions.mask_of(["eyes", "mouth"])])[0]
    keep = np.isin(p.regions.labels, [p.regions.index("eyes"), p.regions.index("mouth"), -1])
    np.testing.assert_array_equal(out[keep], p.image[keep])
    assert (out[~keep] == 0).all()
    pic = p.render()
    assert pic.shape == (256, 256, 3) and pic.dtype == np.uint8
