"""RegionMap, grid, superpixel and user-label parsers, and parse_regions' non-face specs."""

import json

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from minplus import Masker, ParsedImage, RegionMap, parse_regions
from minplus.errors import DTypeError, RegionError, ShapeError
from minplus.regions import grid_regions, labels_regions, superpixel_regions
from minplus.regions.drawing import region_colors


def small_map(context="keep", weights=False):
    labels = np.array([[0, 0, 1, 1], [2, 2, 1, -1], [2, 2, -1, -1]], np.int64)
    w = np.random.default_rng(0).random((3, 3, 4)).astype(np.float32) if weights else None
    return RegionMap(labels, ["eyes", "nose", "mouth"], context=context, soft_weights=w)


def test_basic_attributes_and_dtype():
    rm = small_map()
    assert rm.n == 3 and rm.shape == (3, 4) and rm.labels.dtype == np.int32
    assert rm.labels.flags.c_contiguous
    assert rm.areas().tolist() == [2, 3, 4]
    assert int(rm.full_mask) == 0b111 and rm.full_mask.dtype == np.uint64


def test_mask_of_and_names_of_are_inverse():
    rm = small_map()
    for mask in range(8):
        assert int(rm.mask_of(rm.names_of(mask))) == mask
        assert rm.names_of(np.uint64(mask)) == rm.names_of(mask)
    assert int(rm.mask_of("nose")) == 2
    assert rm.mask_of([]).dtype == np.uint64 and int(rm.mask_of([])) == 0


def test_bad_names_and_masks_raise_typed_errors():
    rm = small_map()
    with pytest.raises(RegionError, match="no region named 'ear'.*eyes"):
        rm.mask_of(["eyes", "ear"])
    with pytest.raises(RegionError, match="bits outside the 3 regions"):
        rm.names_of(0b1000)
    with pytest.raises(RegionError):
        rm.names_of(-1)
    with pytest.raises(DTypeError):
        rm.names_of(1.0)
    with pytest.raises(DTypeError):
        rm.names_of(True)


@pytest.mark.parametrize("labels, names, err, match", [
    ([[0, 1]], ["a", "b"], DTypeError, "numpy array"),
    (np.array([[0.0, 1.0]]), ["a", "b"], DTypeError, "integer"),
    (np.array([0, 1]), ["a", "b"], ShapeError, r"\(H, W\)"),
    (np.array([[0, 2]]), ["a", "b"], RegionError, r"\[-1, 2\)"),
    (np.array([[-2, 0]]), ["a"], RegionError, r"\[-2, 0\]"),
    (np.array([[0, 1]]), ["a", "a"], RegionError, "unique"),
    (np.array([[0, 1]]), ["a", ""], DTypeError, "non-empty"),
    (np.array([[0, 1]]), "ab", DTypeError, "sequence of str"),
    (np.zeros((2, 2), int), [f"r{i}" for i in range(65)], RegionError, "at most 64"),
])
def test_constructor_validation(labels, names, err, match):
    with pytest.raises(err, match=match):
        RegionMap(labels, names)


def test_constructor_validates_context_and_weights():
    labels = np.zeros((2, 2), np.int32)
    with pytest.raises(ValueError, match="context"):
        RegionMap(labels, ["a"], context="drop")
    with pytest.raises(ShapeError, match=r"\(1, 2, 2\)"):
        RegionMap(labels, ["a"], soft_weights=np.ones((2, 2, 2), np.float32))
    with pytest.raises(DTypeError):
        RegionMap(labels, ["a"], soft_weights=np.ones((1, 2, 2)))
    with pytest.raises(ValueError, match=">= 0"):
        RegionMap(labels, ["a"], soft_weights=-np.ones((1, 2, 2), np.float32))


@pytest.mark.parametrize("context", ["keep", "mask"])
@pytest.mark.parametrize("weights", [False, True])
def test_json_round_trip(context, weights):
    rm = small_map(context, weights)
    back = RegionMap.from_dict(json.loads(json.dumps(rm.to_dict())))
    assert back == rm
    assert back.labels.dtype == np.int32 and back.context == context
    assert back != small_map("mask" if context == "keep" else "keep", weights)


def test_from_dict_rejects_inconsistent_data():
    d = small_map().to_dict()
    with pytest.raises(ShapeError, match="covers 12 pixels"):
        RegionMap.from_dict({**d, "shape": [4, 4]})
    with pytest.raises(ValueError, match="not a RegionMap"):
        RegionMap.from_dict({"names": ["a"]})


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 5), st.data())
def test_json_round_trip_random_maps(h, w, n, data):
    cells = data.draw(st.lists(st.integers(-1, n - 1), min_size=h * w, max_size=h * w))
    rm = RegionMap(np.array(cells).reshape(h, w), [f"x{i}" for i in range(n)])
    assert RegionMap.from_dict(json.loads(json.dumps(rm.to_dict()))) == rm


def test_masker_uses_labels_context_and_n():
    image = np.full((3, 4, 3), 200, np.uint8)
    for context, ctx_value in (("keep", 200), ("mask", 0)):
        rm = small_map(context)
        masker = rm.masker(image, baseline="black")
        assert isinstance(masker, Masker) and masker.n == 3 and masker.context == context
        out = masker.render([rm.mask_of("nose")])[0, :, :, 0]
        expect = np.where(rm.labels == 1, 200, np.where(rm.labels == -1, ctx_value, 0))
        np.testing.assert_array_equal(out, expect)
    with pytest.raises(ShapeError, match=r"\(3, 4\)"):
        small_map().masker(np.zeros((4, 4, 3), np.uint8))


def test_masker_passes_soft_weights_or_feathering():
    image = np.full((3, 4, 3), 200, np.uint8)
    rm = small_map(weights=True)
    np.testing.assert_array_equal(rm.masker(image).soft_weights, rm.soft_weights)
    feathered = small_map().masker(image, baseline="black", feather=1.0)
    assert feathered.soft_weights.shape == (3, 3, 4)


def test_render_colours_each_region_and_leaves_context():
    rm = grid_regions((120, 160), 2, 2)
    labels = rm.labels.copy()
    labels[:10, :10] = -1
    rm = RegionMap(labels, rm.names)
    image = np.full((120, 160, 3), 128, np.uint8)
    pic = rm.render(image, labels=False)
    assert pic.shape == (120, 160, 3) and pic.dtype == np.uint8
    assert (pic[2, 2] == 128).all()  # context untinted
    centres = [pic[30, 40], pic[30, 120], pic[90, 40], pic[90, 120]]
    assert len({tuple(c) for c in centres}) == 4  # four distinct colours
    named = rm.render(image)
    assert (named != pic).any()  # names were written
    assert rm.render().shape == (120, 160, 3)  # blank canvas
    gray = rm.render(np.full((120, 160), 0.5))
    assert gray.dtype == np.uint8
    with pytest.raises(ShapeError):
        rm.render(np.zeros((10, 10, 3), np.uint8))


def test_region_colors_distinct():
    c = region_colors(64)
    assert len({tuple(v) for v in c}) == 64


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 50), st.integers(1, 50), st.integers(1, 8), st.integers(1, 8))
def test_grid_partitions_the_image(h, w, rows, cols):
    if rows > h or cols > w:
        with pytest.raises(ShapeError):
            grid_regions((h, w), rows, cols)
        return
    rm = grid_regions((h, w, 3), rows, cols)
    assert rm.n == rows * cols and (rm.labels >= 0).all()
    assert rm.areas().sum() == h * w
    for i in range(rows):
        for j in range(cols):
            ys, xs = np.nonzero(rm.labels == rm.index(f"r{i}c{j}"))
            height, width = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
            assert len(ys) == height * width  # a full rectangle
            assert height in (h // rows, -(-h // rows)) and width in (w // cols, -(-w // cols))


def test_grid_rejects_too_many_cells():
    with pytest.raises(RegionError, match="65 cells"):
        grid_regions((100, 100), 5, 13)
    with pytest.raises(RegionError):
        grid_regions((100, 100), 0, 3)


def test_superpixels_deterministic_bounded_and_covering():
    from skimage import data

    image = data.coffee()[::2, ::2]
    a = superpixel_regions(image, 32)
    b = superpixel_regions(image.copy(), 32)
    assert a == b
    assert 2 <= a.n <= 64 and (a.labels >= 0).all() and a.areas().min() > 0
    assert a.names[:2] == ["s0", "s1"]
    big = superpixel_regions(image, 64)
    assert big.n <= 64
    gray = superpixel_regions(data.camera()[::4, ::4].astype(np.float32) / 255, 16)
    assert gray.n <= 64 and gray.areas().min() > 0
    with pytest.raises(RegionError):
        superpixel_regions(image, 65)
    with pytest.raises(DTypeError):
        superpixel_regions(image.astype(np.int16), 8)


def test_labels_regions_validates():
    labels = np.array([[0, 1], [1, -1]])
    rm = labels_regions(labels, ["a", "b"], shape=(2, 2, 3), context="mask")
    assert rm.context == "mask"
    with pytest.raises(RegionError, match=r"\['c'\] have no pixels"):
        labels_regions(labels, ["a", "b", "c"])
    with pytest.raises(ShapeError):
        labels_regions(labels, ["a", "b"], shape=(3, 3))


def test_parse_regions_non_face_specs():
    image = np.random.default_rng(1).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    p = parse_regions(image, "grid:3x4")
    assert isinstance(p, ParsedImage) and p.image is image and p.regions == grid_regions(
        image.shape, 3, 4)
    assert parse_regions(image, "GRID:3").regions.n == 9
    assert parse_regions(image, "grid:2", context="mask").regions.context == "mask"
    assert parse_regions(image, "slic:16").regions == superpixel_regions(image, 16)
    assert parse_regions(image, "slic").regions.n <= 64
    rm = grid_regions(image.shape, 2, 2)
    assert parse_regions(image, rm).regions is rm
    labels = rm.labels.copy()
    own = parse_regions(image, (labels, ["a", "b", "c", "d"]))
    assert own.regions.names == ["a", "b", "c", "d"] and own.crop is None and own.n_faces == 0
    masker = own.masker(baseline="black")
    assert masker.render([0])[0].max() == 0


@pytest.mark.parametrize("regions, err", [
    ("grid:0x2", RegionError), ("grid:9x9", RegionError), ("voronoi", ValueError),
    ("slic:0", RegionError), (42, DTypeError),
])
def test_parse_regions_bad_specs(regions, err):
    with pytest.raises(err):
        parse_regions(np.zeros((40, 40, 3), np.uint8), regions)


def test_parse_regions_shape_mismatches():
    rm = grid_regions((10, 10), 2, 2)
    with pytest.raises(ShapeError, match="RegionMap has shape"):
        parse_regions(np.zeros((12, 10), np.uint8), rm)
    with pytest.raises(DTypeError, match="photo"):
        parse_regions([[0]], "grid:2", name="photo")
