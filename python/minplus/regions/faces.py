"""Face detection and 68-point landmarks with dlib (the "face" extra).

The HOG detector (``dlib.get_frontal_face_detector()``) and the 68-landmark shape predictor
(``shape_predictor_68_face_landmarks.dat`` from the face-recognition-models package, located with
``importlib.util.find_spec`` and never imported) are loaded once, on first use, and cached.

Faces are returned largest first (by detection-box area; ties broken by detector score), so
``face_index=0`` is the largest face.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from dataclasses import dataclass

import numpy as np

from ..arguments import choice
from ..errors import FaceNotFoundError
from .image_input import as_rgb_uint8

PREDICTOR_FILE = "shape_predictor_68_face_landmarks.dat"


def model_file(filename: str) -> str:
    """Path of one of face-recognition-models' files (without importing that package).

    Raises ImportError naming the extra to install when the package is missing.
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the dlib face models are missing: pip install minplus[face] "
                          "(face-recognition-models)")
    path = os.path.join(list(spec.submodule_search_locations)[0], "models", filename)
    if not os.path.isfile(path):
        raise ImportError(f"face-recognition-models has no {filename} at {path}")
    return path


def _dlib():
    try:
        import dlib
    except ImportError as exc:
        raise ImportError("face parsing needs dlib: pip install minplus[face] (dlib-bin)") from exc
    return dlib


@functools.lru_cache(maxsize=None)
def face_detector():
    """The cached dlib HOG frontal face detector."""
    return _dlib().get_frontal_face_detector()


@functools.lru_cache(maxsize=None)
def landmark_predictor(path: str | None = None):
    """The cached dlib 68-point shape predictor (``path`` defaults to face-recognition-models')."""
    return _dlib().shape_predictor(path or model_file(PREDICTOR_FILE))


@dataclass(frozen=True)
class FaceBox:
    """One detected face: box corners in pixels (right/bottom exclusive) and detector score."""

    left: int
    top: int
    right: int
    bottom: int
    score: float

    @property
    def area(self) -> int:
        return max(0, self.right - self.left) * max(0, self.bottom - self.top)


def detect_faces(image, upsample: int = 1, name: str = "image",
                 max_side: int = 1024) -> list[FaceBox]:
    """All frontal faces in ``image``, largest first.

    Parameters
    ----------
    image : (H, W[, C]) ndarray
        Converted by :func:`minplus.regions.image_input.as_rgb_uint8`.
    upsample : int
        Times dlib doubles the image before detecting (finds faces down to ~80 / 2**upsample px).
    name : str
        How error messages refer to the image.
    max_side : int
        Photos larger than this are shrunk to it for detection only (HOG time grows with the
        pixel count); boxes are scaled back to the photo.

    Returns
    -------
    list of FaceBox, possibly empty.
    """
    rgb = as_rgb_uint8(image, name)
    shrink = min(1.0, int(max_side) / max(rgb.shape[:2]))
    if shrink < 1.0:
        import cv2

        size = (max(1, round(rgb.shape[1] * shrink)), max(1, round(rgb.shape[0] * shrink)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    rects, scores, _ = face_detector().run(rgb, int(upsample), 0.0)
    boxes = [FaceBox(round(r.left() / shrink), round(r.top() / shrink),
                     round((r.right() + 1) / shrink), round((r.bottom() + 1) / shrink), float(s))
             for r, s in zip(rects, scores)]
    return sorted(boxes, key=lambda b: (-b.area, -b.score))


def face_landmarks(image, box: FaceBox, predictor_path: str | None = None) -> np.ndarray:
    """The 68 iBUG landmarks of the face in ``box``: (68, 2) float64 (x, y) pixel coordinates.

    Index convention (0-based): jaw 0-16, right brow 17-21, left brow 22-26, nose bridge 27-30,
    lower nose 31-35, right eye 36-41, left eye 42-47, outer lips 48-59, inner lips 60-67;
    "right" is the subject's right, on the image's left in a frontal photo.
    """
    dlib = _dlib()
    rect = dlib.rectangle(int(box.left), int(box.top), int(box.right) - 1, int(box.bottom) - 1)
    shape = landmark_predictor(predictor_path)(as_rgb_uint8(image), rect)
    return np.array([(p.x, p.y) for p in shape.parts()], np.float64)


def pick_face(boxes: list[FaceBox], face_index: int | None, name: str) -> FaceBox:
    """The face to parse: ``boxes[face_index]`` (default 0, the largest).

    Raises FaceNotFoundError naming the image when there is no face or no such index.
    """
    if not boxes:
        raise FaceNotFoundError(f"no face found in {name} (faces smaller than ~40 px need "
                                "upsample=2; profile faces are not detected; an image that is "
                                "already a face crop takes face_box='full')")
    index = 0 if face_index is None else int(face_index)
    if not -len(boxes) <= index < len(boxes):
        raise FaceNotFoundError(f"{name} has {len(boxes)} face(s); face_index={face_index} "
                                "is out of range")
    return boxes[index]


FACE_BOXES = ("detect", "full", "auto")


def image_box(shape) -> FaceBox:
    """The whole image of ``shape`` (H, W[, C]) as a face box (score 0: nothing was detected)."""
    return FaceBox(0, 0, int(shape[1]), int(shape[0]), 0.0)


def locate_face(image, face_box: str = "detect", face_index: int | None = None,
                upsample: int = 1, name: str = "image") -> tuple[FaceBox, int]:
    """The box to fit the landmarks in, and how many faces the detector found.

    Datasets such as LFW ship face crops in which the detector finds nothing; the landmark
    predictors still fit such a face when given the whole image as its box.

    Parameters
    ----------
    image : (H, W[, C]) ndarray
        As :func:`detect_faces` takes it.
    face_box : {"detect", "full", "auto"}
        "detect": the detected face ``face_index`` (FaceNotFoundError when there is none);
        "full": the whole image, without detecting (for images that are already face crops);
        "auto": the detected face, or the whole image when the detector finds none.
    face_index, upsample, name :
        As :func:`pick_face` and :func:`detect_faces`.

    Returns
    -------
    (FaceBox, int)
        The box, and the number of detected faces (0 when the whole image is the box).

    Examples
    --------
    >>> locate_face(np.zeros((40, 50, 3), np.uint8), "full")
    (FaceBox(left=0, top=0, right=50, bottom=40, score=0.0), 0)
    """
    choice("face_box", face_box, FACE_BOXES)
    if face_box == "full":
        return image_box(np.shape(image)), 0
    boxes = detect_faces(image, upsample, name)
    if not boxes and face_box == "auto":
        return image_box(np.shape(image)), 0
    return pick_face(boxes, face_index, name), len(boxes)
