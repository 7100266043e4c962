"""Invariants every face RegionMap must satisfy, shared by the dlib and mediapipe parser tests."""

import cv2
import numpy as np
from skimage import draw

from minplus.regions.face68 import COARSE_NAMES, COARSE_OF, FINE_NAMES, face_frame, face_outline


def labels_at(rm, points):
    xy = np.clip(np.round(points).astype(int), 0, np.array(rm.shape[::-1]) - 1)
    return rm.labels[xy[:, 1], xy[:, 0]]


def expected_points(p):
    """Fine region -> points that must lie in it: its landmarks, or probes inside skin regions."""
    r, up, s = face_frame(p)
    return {
        "right_eye": p[36:42], "left_eye": p[42:48],
        "right_eyebrow": p[17:22], "left_eyebrow": p[22:27],
        "nose": p[28:36], "mouth": p[48:68],
        "forehead": [0.5 * (p[19] + p[24]) + 0.4 * s * up],
        "chin": [0.5 * (p[8] + p[57])],
        "right_cheek": [0.5 * (p[2] + p[31])], "left_cheek": [0.5 * (p[14] + p[35])],
        "jaw": [p[[48, 4, 5, 6]].mean(0), p[[54, 12, 11, 10]].mean(0)],
    }


def check_face_map(rm, landmarks, granularity):
    """The invariants every face map must satisfy (raises AssertionError naming the failure)."""
    names = FINE_NAMES if granularity == "fine" else COARSE_NAMES
    assert rm.names == list(names)
    to_name = (lambda n: n) if granularity == "fine" else COARSE_OF.get
    for fine_name, pts in expected_points(landmarks).items():
        got = labels_at(rm, np.asarray(pts))
        want = rm.index(to_name(fine_name))
        assert (got == want).all(), (fine_name, [rm.names[g] if g >= 0 else "context"
                                                 for g in got])
    # Every pixel inside the face outline belongs to a region, and none outside it does
    # (1 px of slack: rasterisers disagree on pixels the outline passes through).
    outline = face_outline(landmarks)
    hull = draw.polygon2mask(rm.shape, outline[:, ::-1]).astype(np.uint8)
    square = np.ones((3, 3), np.uint8)
    assert (rm.labels[cv2.erode(hull, square).astype(bool)] >= 0).all()
    assert not ((rm.labels >= 0) & ~cv2.dilate(hull, square).astype(bool)).any()
    assert rm.areas().min() > 0
