"""Face landmarks from mediapipe's face mesh (the optional "mediapipe" extra), mapped to iBUG-68.

mediapipe is imported only when this parser runs. Its 468-point mesh is reduced to the 68 iBUG
points with the usual correspondence table below, so the regions are exactly those of
:mod:`minplus.regions.face68` (same geometry, names and precedence). The mesh model ships inside
the mediapipe wheel (legacy ``solutions.face_mesh``), so nothing is downloaded.
"""

from __future__ import annotations

import numpy as np

from .faces import FaceBox

# mediapipe face-mesh index of each iBUG-68 landmark (0-based), in iBUG order.
MESH_TO_68 = np.array([
    127, 234, 93, 132, 58, 136, 150, 176, 152, 400, 379, 365, 288, 361, 323, 454, 356,  # jaw
    70, 63, 105, 66, 107, 336, 296, 334, 293, 300,  # brows
    168, 197, 5, 4, 75, 97, 2, 326, 305,  # nose
    33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,  # eyes
    61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181,  # outer lips
    78, 82, 13, 312, 308, 317, 14, 87])  # inner lips


def _mediapipe():
    try:
        import mediapipe
    except ImportError as exc:
        raise ImportError("the 'mediapipe' region parser needs mediapipe: "
                          "pip install minplus[mediapipe]") from exc
    return mediapipe


def mediapipe_faces(rgb: np.ndarray, max_faces: int = 8) -> list[tuple[FaceBox, np.ndarray]]:
    """Faces found by mediapipe's face mesh in an (H, W, 3) uint8 RGB image, largest first.

    Returns
    -------
    list of (FaceBox, (68, 2) float64 landmarks in pixels); the box is the landmarks' bounding
    box and its score is 1.0 (the mesh reports no per-face confidence).
    """
    mp = _mediapipe()
    h, w = rgb.shape[:2]
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=int(max_faces),
                                         refine_landmarks=False) as mesh:
        found = mesh.process(np.ascontiguousarray(rgb)).multi_face_landmarks or []
    faces = []
    for face in found:
        mesh_xy = np.array([(p.x * w, p.y * h) for p in face.landmark], np.float64)
        pts = mesh_xy[MESH_TO_68]
        lo, hi = np.floor(mesh_xy.min(0)).astype(int), np.ceil(mesh_xy.max(0)).astype(int)
        faces.append((FaceBox(int(lo[0]), int(lo[1]), int(hi[0]), int(hi[1]), 1.0), pts))
    return sorted(faces, key=lambda f: -f[0].area)
