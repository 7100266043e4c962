"""minplus.viz: colour scales, heatmap overlays, Min+/Min- highlights, region maps, curves."""

import numpy as np
import pytest

from minplus.errors import DTypeError, RegionError, ShapeError
from minplus.viz import (as_rgb8, colour_bar, colour_scale, curves_figure, data_uri,
                         heatmap_figure, heatmap_overlay, heatmap_panel, highlight_regions,
                         png_bytes)
from report_example import grace_hopper


@pytest.fixture(scope="module")
def face():
    return grace_hopper()


def halves(shape):
    """Labels: left half region 0, right half region 1, a context border of 4 px."""
    lab = np.full(shape, -1, np.int32)
    lab[4:-4, 4:shape[1] // 2] = 0
    lab[4:-4, shape[1] // 2:-4] = 1
    return lab


def test_signed_scale_is_centred_and_symmetric():
    s = colour_scale(np.array([[-0.5, 2.0], [0.0, np.nan]]))
    assert s.signed and s.cmap == "RdBu_r" and (s.vmin, s.vmax) == (-2.0, 2.0)
    assert s.normalise(np.array([0.0]))[0] == pytest.approx(0.5)
    assert colour_scale(np.array([1.0, 3.0])).vmin == 0.0
    assert colour_scale(np.array([1.0, 3.0]), signed=True).vmin == -3.0


def test_overlay_leaves_irrelevant_pixels_and_colours_strong_ones(face):
    from matplotlib import colormaps

    s = np.zeros(face.shape[:2], np.float32)
    s[50, 60], s[100, 120] = 1.0, -1.0
    out = heatmap_overlay(face, s, alpha=1.0)
    keep = np.ones(s.shape, bool)
    keep[[50, 100], [60, 120]] = False
    assert out.dtype == np.uint8 and out.shape == face.shape
    assert np.array_equal(out[keep], face[keep])
    red, blue = (np.round(np.array(colormaps["RdBu_r"](v)[:3]) * 255) for v in (1.0, 0.0))
    assert np.abs(out[50, 60].astype(float) - red).max() <= 1
    assert np.abs(out[100, 120].astype(float) - blue).max() <= 1


def test_overlay_resizes_model_resolution_maps(face):
    small = np.zeros((7, 7), np.float32)
    small[3, 3] = 1.0
    out = heatmap_overlay(face, small)
    assert out.shape == face.shape
    changed = np.any(out != face, axis=2)
    ys, xs = np.nonzero(changed)
    assert abs(ys.mean() - face.shape[0] / 2) < 8 and abs(xs.mean() - face.shape[1] / 2) < 8


def test_heatmap_figure_has_a_colour_bar_with_the_maps_limits(face):
    s = np.linspace(-3, 1, face.shape[0] * face.shape[1]).reshape(face.shape[:2])
    fig = heatmap_figure(face, s, title="ig")
    assert len(fig.axes) == 2
    lo, hi = fig.axes[1].get_ylim()
    assert (lo, hi) == pytest.approx((-3.0, 3.0))
    assert fig.axes[0].get_title() == "ig"


def test_panel_is_the_overlay_beside_a_bar_from_vmax_down_to_vmin(face):
    from matplotlib import colormaps

    s = np.zeros(face.shape[:2], np.float32)
    s[:10] = -2.0
    s[-10:] = 1.0
    panel = heatmap_panel(face, s)
    h, w = face.shape[:2]
    assert panel.shape[0] == h and panel.shape[1] > w
    assert np.array_equal(panel[:, :w], heatmap_overlay(face, s))
    bar = colour_bar(colour_scale(s), h)
    assert np.array_equal(panel[:, w:], bar)
    top, bottom = (np.round(np.array(colormaps["RdBu_r"](v)[:3]) * 255) for v in (1.0, 0.0))
    pad = max(4, h // 40)
    assert np.abs(bar[pad, pad + 1].astype(float) - top).max() <= 2
    assert np.abs(bar[h - pad - 1, pad + 1].astype(float) - bottom).max() <= 2


def test_min_plus_fades_the_rest_and_min_minus_tints_the_set(face):
    lab = halves(face.shape[:2])
    plus = highlight_regions(face, lab, ["left", "right"], 0b01, "min+")
    minus = highlight_regions(face, lab, ["left", "right"], [1], "min-")
    inner_left, inner_right = (slice(20, -20), slice(20, 60)), (slice(20, -20), slice(150, 200))
    assert np.array_equal(plus[:2], face[:2])                     # context untouched
    assert np.abs(plus[inner_right].astype(int) - 110).mean() < \
        np.abs(face[inner_right].astype(int) - 110).mean()        # faded towards grey
    assert np.array_equal(minus[inner_left], face[inner_left])    # not removed: untouched
    tint = minus[inner_right].astype(int)
    assert (tint[..., 0] - tint[..., 2]).mean() > (face[inner_right][..., 0].astype(int)
                                                    - face[inner_right][..., 2]).mean() + 40


def test_only_the_sets_regions_are_named_and_inputs_are_checked(face):
    lab = halves(face.shape[:2])
    grey = np.full(face.shape, 200, np.uint8)
    for mask, kind in ((0b01, "min+"), (0b01, "min-")):
        out = highlight_regions(grey, lab, ["left", "right"], mask, kind)
        dark = out[8:-8].max(axis=2) < 40                         # the name's dark label box
        assert dark[:, 8:90].any() and not dark[:, 100:-8].any()  # "left" named, "right" not
    with pytest.raises(RegionError, match="names cover"):
        highlight_regions(face, lab, ["left"], 1)
    with pytest.raises(ShapeError, match="labels has shape"):
        highlight_regions(face, lab[:10], ["l", "r"], 1)
    with pytest.raises(ValueError, match="kind"):
        highlight_regions(face, lab, ["l", "r"], 1, "both")


def test_curves_figure_draws_one_line_per_method_with_its_area():
    x = np.linspace(0, 1, 11)
    fig = curves_figure(x, insertion={"a": x, "b": x ** 2}, deletion=1 - x)
    ins, dele = fig.axes
    assert [l.get_label() for l in ins.get_lines()] == ["a (AUC 0.500)", "b (AUC 0.335)"]
    assert len(dele.get_lines()) == 1
    with pytest.raises(ShapeError, match="'a' has shape"):
        curves_figure(x, insertion={"a": x[:5]})
    with pytest.raises(ValueError, match="needs insertion or deletion"):
        curves_figure(x)


def test_png_round_trip_and_bad_images():
    import cv2

    rgb = np.random.default_rng(0).integers(0, 256, (9, 7, 3), dtype=np.uint8)
    back = cv2.imdecode(np.frombuffer(png_bytes(rgb), np.uint8), cv2.IMREAD_COLOR)[:, :, ::-1]
    assert np.array_equal(back, rgb)
    assert data_uri(rgb).startswith("data:image/png;base64,")
    assert as_rgb8(np.ones((2, 2), np.float32))[0, 0].tolist() == [255, 255, 255]
    with pytest.raises(ShapeError, match="image must be"):
        as_rgb8(np.zeros((2, 2, 2)))
    with pytest.raises(DTypeError, match="int64"):
        as_rgb8(np.zeros((2, 2, 3), np.int64))
