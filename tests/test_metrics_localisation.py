"""Pointing game, energy pointing game, relevance mass accuracy and region masks: a planted
region model on a real face, and closed forms."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib import cbook

import minplus
from minplus import metrics
from minplus.errors import ArgumentError, RegionError, ShapeError
from minplus.saliency import region_occlusion


@pytest.fixture(scope="module")
def face():
    photo = np.ascontiguousarray(plt.imread(cbook.get_sample_data("grace_hopper.jpg")))
    return minplus.parse_regions(photo, "face68")


def _mouth_model(mask):
    """A planted model: its score is the mean brightness of the mouth, nothing else."""
    def f(x):
        return x.astype(np.float64).mean(axis=3)[:, mask].mean(axis=1)
    return f


def test_region_mask_names_the_face_regions(face):
    mouth = metrics.region_mask(face, "mouth")
    both = metrics.region_mask(face.regions, ["mouth", "eyes"])
    assert mouth.shape == face.image.shape[:2] and mouth.any()
    assert np.array_equal(mouth, face.regions.labels == face.regions.index("mouth"))
    assert (both & ~mouth).any() and not (mouth & ~both).any()
    with pytest.raises(RegionError):
        metrics.region_mask(face, "ears")
    with pytest.raises(RegionError):
        metrics.region_mask(face.image, "mouth")


def test_pointing_game_on_a_planted_region_model(face):
    mouth = metrics.region_mask(face, "mouth")
    sal = region_occlusion(_mouth_model(mouth), face.image, regions=face.regions,
                           baseline="black", progress=False)
    # only the mouth's occlusion changes the score: the map is zero elsewhere
    assert sal.regions["mouth"] > 100 and all(abs(v) < 1e-9 for k, v in sal.regions.items()
                                              if k != "mouth")
    assert metrics.pointing_game(sal, mouth).value == 1.0
    assert metrics.pointing_game(sal, metrics.region_mask(face, "eyes")).value == 0.0
    assert metrics.energy_pointing_game(sal, mouth).value == pytest.approx(1.0)
    assert metrics.relevance_mass_accuracy(sal, mouth).value == pytest.approx(1.0)
    eyes = metrics.region_mask(face, "eyes")
    assert metrics.energy_pointing_game(sal, eyes).value < 1e-12


def test_closed_forms_and_ties():
    sal = np.zeros((6, 6))
    sal[0, 0] = sal[5, 5] = 2.0  # two maxima: a hit when either falls on the mask
    sal[2, 2], sal[3, 3] = 1.0, -1.0
    mask = np.zeros((6, 6), bool)
    mask[4:, 4:] = True
    assert metrics.pointing_game(sal, mask).value == 1.0
    far = np.zeros((6, 6), bool)
    far[2:4, 0] = True  # 2 px below the maximum at (0, 0)
    assert metrics.pointing_game(sal, far).value == 0.0
    assert metrics.pointing_game(sal, far, tolerance=2).value == 1.0
    assert metrics.energy_pointing_game(sal, mask).value == pytest.approx(2 / 5)
    assert metrics.relevance_mass_accuracy(sal, mask).value == pytest.approx(2 / 4)
    assert np.isnan(metrics.energy_pointing_game(-np.abs(sal), mask).value)


def test_typed_errors():
    with pytest.raises(ArgumentError):
        metrics.pointing_game(np.ones((3, 3)), np.zeros((3, 3), bool))
    with pytest.raises(ShapeError):
        metrics.pointing_game(np.ones((3, 3)), np.ones((4, 4), bool))
    with pytest.raises(ArgumentError):
        metrics.pointing_game(np.ones((3, 3)), np.ones((3, 3), bool), tolerance=-1)
