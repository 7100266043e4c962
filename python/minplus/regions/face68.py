"""Facial regions from the 68 iBUG landmarks (dlib's shape predictor, or mediapipe mapped to them).

Geometry
--------
All sizes scale with the face: ``s`` is the distance between the two eye centres (means of the
six points of each eye), ``r`` the unit vector from the right eye centre to the left one (image
right for an upright face) and ``up`` the perpendicular pointing to the forehead. Landmark indices
are 0-based (jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, lips 48-67); "right"/"left" are the
subject's sides, so ``right_eye`` (36-41) is on the image's left in a frontal photo.

* **eyebrows**: a band around each brow polyline (17-21, 22-26; lengthened by ``0.06 s`` at both
  ends), from ``0.08 s`` above it to ``clip(0.45 g, 0.02 s, 0.10 s)`` below it, where ``g`` is
  each brow point's distance to the nearest point of its eye.
* **eyes**: the eye socket: from the brow band's lower edge down to the lower lid pushed down by
  ``0.6`` eye-opening ``+ 0.05 s``, the corners pushed out by 15% (outer) / 10% (inner) of the
  eye width. So each eye region holds the eye, its lids and the skin up to the brow.
* **nose**: convex hull of 27-35, widened at the bridge top (27) and mid-bridge (29) to 35% /
  55% of the nostril half-width on each side, then grown: scaled by 1.1 about its vertices' mean
  and each vertex pushed ``0.03 s`` further out.
* **mouth**: outer lip polygon (48-59) grown likewise by 1.15 and ``0.04 s``.
* **forehead**: above the brow line (0, 17-26, 16) up to the brows lifted by ``0.75 s``, tapered
  to ``0.65 x`` that height at the outer ends (a rounded top).
* **cheeks**: from the brow line down each side of the nose (27-30, 33) and the philtrum (51) to
  the upper lip and the jaw line 0-3.
* **jaw** (fine only; part of the cheeks in "coarse"): the triangles mouth corner - jaw 3-6 and
  mouth corner - jaw 10-13.
* **chin**: between the lower lip (48, 59-54) and the jaw line 6-10.

The **face** is the convex hull of every vertex above (jaw line, forehead top, the widened
features). Polygons are painted in precedence order, highest winning where they overlap:
eyebrows > eyes > nose > mouth > forehead > chin > jaw > cheeks. Face pixels no polygon
reaches (slivers between the hull and the jaw line, the glabella) take the nearest skin region
(forehead, cheeks, jaw or chin). Hence: no pixel belongs to two regions, every pixel of the face
belongs to one, and every pixel outside it is context (-1: hair, ears, neck, background).

Scale: every offset is relative to ``s``, but pixels are whole, so landmark-tight edges need
room: the maps are checked for eye distances of 40 px and more (the default 256 px chip gives
about 62 px). Label tiny faces on the chip, not on the photo.

Granularities: "fine" (11 regions) and "coarse" (7: both eyes are "eyes", both brows
"eyebrows", both cheeks and the jaw "cheeks").
"""

from __future__ import annotations

import numpy as np

from ..arguments import choice
from ..errors import ArgumentError, ShapeError
from .region_map import RegionMap

FINE_NAMES = ("forehead", "right_eyebrow", "left_eyebrow", "right_eye", "left_eye", "nose",
              "right_cheek", "left_cheek", "mouth", "jaw", "chin")
COARSE_OF = {"forehead": "forehead", "right_eyebrow": "eyebrows", "left_eyebrow": "eyebrows",
             "right_eye": "eyes", "left_eye": "eyes", "nose": "nose", "right_cheek": "cheeks",
             "left_cheek": "cheeks", "mouth": "mouth", "jaw": "cheeks", "chin": "chin"}
COARSE_NAMES = ("forehead", "eyebrows", "eyes", "nose", "cheeks", "mouth", "chin")
# Highest precedence first: small, landmark-tight features win over the skin around them.
PRECEDENCE = ("right_eyebrow", "left_eyebrow", "right_eye", "left_eye", "nose", "mouth",
              "forehead", "chin", "jaw", "right_cheek", "left_cheek")
SKIN = ("forehead", "chin", "jaw", "right_cheek", "left_cheek")
GRANULARITIES = ("coarse", "fine")

# Landmark groups (0-based iBUG indices).
JAW = np.arange(0, 17)
RIGHT_BROW, LEFT_BROW = np.arange(17, 22), np.arange(22, 27)
RIGHT_EYE, LEFT_EYE = np.arange(36, 42), np.arange(42, 48)
NOSE = np.arange(27, 36)
OUTER_LIPS = np.arange(48, 60)


def check_landmarks(landmarks) -> np.ndarray:
    """(68, 2) float64 copy of ``landmarks``; ShapeError otherwise, ValueError if not finite."""
    pts = np.asarray(landmarks, dtype=np.float64)
    if pts.shape != (68, 2):
        raise ShapeError(f"landmarks must be (68, 2) (x, y) points, got shape {pts.shape}")
    if not np.isfinite(pts).all():
        raise ArgumentError("landmarks contain NaN or inf")
    return pts


def face_frame(landmarks) -> tuple[np.ndarray, np.ndarray, float]:
    """(r, up, s): unit vector right eye -> left eye, unit vector to the forehead, eye distance."""
    p = check_landmarks(landmarks)
    d = p[LEFT_EYE].mean(0) - p[RIGHT_EYE].mean(0)
    s = float(np.hypot(*d))
    if s < 1e-6:
        raise ArgumentError("landmarks are degenerate: both eye centres coincide")
    r = d / s
    return r, np.array([r[1], -r[0]]), s


def _brow_band(p, brow, eye, up, s):
    b = p[brow].copy()
    for end, nxt in ((0, 1), (-1, -2)):  # lengthen both ends so the end landmarks lie inside
        d = b[end] - b[nxt]
        b[end] = b[end] + d / max(float(np.hypot(*d)), 1e-9) * 0.06 * s
    # Going down by at most 0.45 of a point's distance to the eye never reaches the eye.
    gap = np.linalg.norm(b[:, None, :] - p[eye][None, :, :], axis=2).min(1)
    below = np.clip(0.45 * gap, 0.02 * s, 0.10 * s)
    return b + up * 0.08 * s, b - up[None, :] * below[:, None]


def _eye_socket(p, eye, brow_lower, up, s):
    e = p[eye]
    outer, inner = (0, 3) if eye[0] == 36 else (3, 0)
    axis = e[3] - e[0]
    width = float(np.hypot(*axis))
    axis = axis / max(width, 1e-9)
    opening = 2.0 * float(np.abs((e - e[[0, 3]].mean(0)) @ up).max())
    q = e.copy()
    q[[4, 5]] -= up * (0.6 * opening + 0.05 * s)
    sign = {0: -1.0, 3: 1.0}  # point 0 lies towards -axis, point 3 towards +axis
    q[outer] += sign[outer] * axis * 0.15 * width
    q[inner] += sign[inner] * axis * 0.10 * width
    return np.vstack([q[[0, 5, 4, 3]], brow_lower[::-1]])


def _nose(p, r):
    half = 0.5 * float(np.hypot(*(p[35] - p[31])))
    extra = [p[27] + k * r * 0.35 * half for k in (-1, 1)] + \
            [p[29] + k * r * 0.55 * half for k in (-1, 1)]
    return _convex_hull(np.vstack([p[NOSE], extra]))


def _grow(poly, factor, pad):
    """Scale ``poly`` about its vertices' mean by ``factor``, then push each vertex ``pad`` further.

    Landmarks on a polygon's edge would fall on either side of it once rasterised; growing it
    puts them strictly inside.
    """
    centre = poly.mean(0)
    d = poly - centre
    norm = np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9)
    return centre + d * factor + d / norm * pad


def _forehead_top(p, r, up, s):
    b = p[17:27]
    x = (b - 0.5 * (p[17] + p[26])) @ r
    t = x / max(float(np.abs(x).max()), 1e-9)
    return b + up[None, :] * (0.75 * s * (1.0 - 0.35 * t ** 2))[:, None]


def _convex_hull(points):
    import cv2

    return cv2.convexHull(np.asarray(points, np.float32)).reshape(-1, 2).astype(np.float64)


def face_polygons(landmarks) -> dict[str, list[np.ndarray]]:
    """The fine regions' polygons, as (k, 2) float64 (x, y) arrays, before precedence.

    See the module docstring for the geometry; "jaw" has two polygons (one per side).
    """
    p = check_landmarks(landmarks)
    r, up, s = face_frame(p)
    rb_up, rb_low = _brow_band(p, RIGHT_BROW, RIGHT_EYE, up, s)
    lb_up, lb_low = _brow_band(p, LEFT_BROW, LEFT_EYE, up, s)
    top = _forehead_top(p, r, up, s)
    return {
        "right_eyebrow": [np.vstack([rb_up, rb_low[::-1]])],
        "left_eyebrow": [np.vstack([lb_up, lb_low[::-1]])],
        "right_eye": [_eye_socket(p, RIGHT_EYE, rb_low, up, s)],
        "left_eye": [_eye_socket(p, LEFT_EYE, lb_low, up, s)],
        "nose": [_grow(_nose(p, r), 1.1, 0.03 * s)],
        "mouth": [_grow(p[OUTER_LIPS], 1.15, 0.04 * s)],
        "forehead": [np.vstack([p[[0]], p[17:27], p[[16]], top[::-1]])],
        "chin": [p[[48, 59, 58, 57, 56, 55, 54, 10, 9, 8, 7, 6]]],
        "jaw": [p[[48, 3, 4, 5, 6]], p[[54, 10, 11, 12, 13]]],
        "right_cheek": [p[[0, 17, 18, 19, 20, 21, 27, 28, 29, 30, 33, 51, 50, 49, 48, 3, 2, 1]]],
        "left_cheek": [p[[22, 23, 24, 25, 26, 16, 15, 14, 13, 54, 53, 52, 51, 33, 30, 29, 28, 27]]],
    }


def face_outline(landmarks) -> np.ndarray:
    """(k, 2) float64 convex polygon of the face: the hull of every region polygon's vertices."""
    polys = face_polygons(landmarks)
    return _convex_hull(np.vstack([q for qs in polys.values() for q in qs]))


def face_labels(landmarks, shape, granularity: str = "coarse", context: str = "keep") -> RegionMap:
    """Rasterise the facial regions of one face into a RegionMap of ``shape``.

    Parameters
    ----------
    landmarks : (68, 2) array-like
        (x, y) pixel coordinates in the image the map is for.
    shape : (H, W)
        Size of that image.
    granularity : {"coarse", "fine"}
        7 regions (forehead, eyebrows, eyes, nose, cheeks, mouth, chin) or 11 (left/right
        eyebrow, eye, cheek, plus the jaw).
    context : {"keep", "mask"}
        The map's policy for pixels outside the face (-1).

    Returns
    -------
    RegionMap; pixels outside the face are -1.
    """
    import cv2
    from scipy import ndimage

    choice("granularity", granularity, GRANULARITIES)
    h, w = (int(v) for v in shape)
    polys = face_polygons(landmarks)
    fine = np.full((h, w), -1, np.int32)

    def fill(canvas, polygons, value):
        # 4 fractional bits: sub-pixel vertex positions, so small faces keep their shapes.
        pts = [np.round(q * 16).astype(np.int32).reshape(-1, 1, 2) for q in polygons]
        cv2.fillPoly(canvas, pts, int(value), lineType=cv2.LINE_8, shift=4)

    for name in PRECEDENCE[::-1]:
        fill(fine, polys[name], FINE_NAMES.index(name))
    face = np.zeros((h, w), np.uint8)
    fill(face, [face_outline(landmarks)], 1)
    face = face.astype(bool) | (fine >= 0)
    skin = np.isin(fine, [FINE_NAMES.index(n) for n in SKIN])
    gaps = face & (fine < 0)
    if gaps.any() and skin.any():
        _, (iy, ix) = ndimage.distance_transform_edt(~skin, return_indices=True)
        fine[gaps] = fine[iy[gaps], ix[gaps]]
    if granularity == "fine":
        return RegionMap(fine, list(FINE_NAMES), context=context)
    to_coarse = np.array([COARSE_NAMES.index(COARSE_OF[n]) for n in FINE_NAMES] + [-1], np.int32)
    return RegionMap(to_coarse[fine], list(COARSE_NAMES), context=context)
