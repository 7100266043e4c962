"""The mediapipe face-mesh parser (optional "mediapipe" extra): same regions as face68."""

import matplotlib.cbook
import matplotlib.image
import numpy as np
import pytest

from minplus import FaceNotFoundError, parse_regions
from minplus.regions.mediapipe_parser import MESH_TO_68

from face_checks import check_face_map

mp = pytest.importorskip("mediapipe")


def test_mesh_table_is_68_distinct_points():
    assert MESH_TO_68.shape == (68,) and len(set(MESH_TO_68.tolist())) == 68
    assert MESH_TO_68.min() >= 0 and MESH_TO_68.max() < 468


@pytest.mark.parametrize("granularity", ["coarse", "fine"])
def test_mediapipe_regions_on_a_real_face(granularity):
    grace = matplotlib.image.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg"))
    p = parse_regions(grace, f"mediapipe:{granularity}", name="grace")
    assert p.image.shape == (256, 256, 3) and p.n_faces == 1
    check_face_map(p.regions, p.landmarks, granularity)
    dlib = parse_regions(grace, granularity)
    # both landmarkers put the eyes within a few chip pixels of each other
    for eye in (slice(36, 42), slice(42, 48)):
        gap = np.linalg.norm(p.crop.to_photo(p.landmarks[eye]).mean(0)
                             - dlib.crop.to_photo(dlib.landmarks[eye]).mean(0))
        assert gap < 8


def test_mediapipe_no_face():
    with pytest.raises(FaceNotFoundError, match="flat.png"):
        parse_regions(np.full((96, 96, 3), 128, np.uint8), "mediapipe", name="flat.png")
