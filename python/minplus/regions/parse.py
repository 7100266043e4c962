"""parse_regions: one entry point from an image and a region spec to (image, RegionMap).

Face parsers crop. With ``crop=True`` (the default) "face68"/"mediapipe" return a square face
*chip*, not the photo: the face outline (see :mod:`minplus.regions.face68`) plus ``margin`` of
room on each side (hair and some background remain, as context), rotated so the eyes are level
(``align=True``) and resampled to ``size`` x ``size`` (256) pixels. The model, the Masker and the
search then all work on the chip; :class:`~minplus.regions.crop.FaceCrop` maps points and maps
(e.g. a saliency map) back to the photo. ``crop=False`` labels the photo itself.

Other parsers ("grid", "slic", a RegionMap, (labels, names)) return the image unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..errors import ArgumentError, DTypeError, ShapeError
from .crop import FaceCrop
from .face68 import face_frame, face_labels, face_outline
from .faces import FaceBox, face_landmarks, locate_face, pick_face
from .from_labels import labels_regions
from .grid import grid_regions
from .image_input import as_rgb_uint8
from .region_map import RegionMap
from .superpixels import superpixel_regions

SPECS = ("face68", "face68:coarse", "face68:fine", "coarse", "fine", "mediapipe",
         "mediapipe:coarse", "mediapipe:fine", "grid:RxC", "grid:N", "slic", "slic:N")


@dataclass(eq=False)
class ParsedImage:
    """An image and its regions, as :func:`parse_regions` returns them.

    Attributes
    ----------
    image : (H, W, C) or (H, W) ndarray
        The image the regions label: the face chip ((size, size, 3) uint8) for face parsers with
        ``crop=True``, else the input (converted to RGB uint8 for face parsers).
    regions : RegionMap
        Of shape (H, W).
    name : str
        The image's name, as used in messages.
    landmarks : (68, 2) float64 ndarray or None
        iBUG-68 (x, y) landmarks in ``image`` coordinates (face parsers only).
    crop : FaceCrop or None
        Photo -> chip transform (face parsers with ``crop=True``).
    box : FaceBox or None
        The parsed face's detection box, in photo coordinates.
    n_faces : int
        How many faces the detector found (0 for non-face parsers, and when the whole image
        was taken as the face box, ``face_box="full"``).
    """

    image: np.ndarray
    regions: RegionMap
    name: str = "image"
    landmarks: np.ndarray | None = None
    crop: FaceCrop | None = None
    box: FaceBox | None = None
    n_faces: int = 0

    def masker(self, baseline="mean", **kwargs):
        """``self.regions.masker(self.image, baseline, **kwargs)``: a Masker over this image."""
        return self.regions.masker(self.image, baseline=baseline, **kwargs)

    def render(self, **kwargs) -> np.ndarray:
        """``self.regions.render(self.image, **kwargs)``: (H, W, 3) uint8 picture of the regions."""
        return self.regions.render(self.image, **kwargs)


def parse_regions(image, regions="face68", *, face_index: int | None = None,
                  name: str = "image", crop: bool = True, size: int = 256, margin: float = 0.25,
                  align: bool = True, upsample: int = 1, context: str = "keep",
                  face_box: str = "detect") -> ParsedImage:
    """Split ``image`` into named regions.

    Parameters
    ----------
    image : ndarray
        Face parsers: (H, W), (H, W, 3) or (H, W, 4), uint8 or float in [0, 1], at least 32 px
        a side (see :mod:`minplus.regions.image_input`). Others: (H, W) or (H, W, C) ndarray.
    regions : str, RegionMap or (labels, names)
        * "face68" (= "face68:coarse" = "coarse"): dlib HOG detector + 68 landmarks, 7 regions
          forehead, eyebrows, eyes, nose, cheeks, mouth, chin. "face68:fine" (= "fine"): 11
          regions, left/right eyebrows, eyes and cheeks, plus the jaw.
        * "mediapipe", "mediapipe:fine": the same regions from mediapipe's face mesh (extra).
        * "grid:RxC" or "grid:N" (N x N): rectangular cells "r{i}c{j}".
        * "slic" or "slic:N": about N (default 32, at most 64) SLIC superpixels "s{k}".
        * a RegionMap of the image's (H, W), used as is.
        * (labels, names): the user's own labels, validated by
          :func:`~minplus.regions.from_labels.labels_regions`.
    face_index : int, optional
        Which face to parse when there are several; faces are ordered largest first (default
        0, the largest).
    name : str
        Names the image in error messages (e.g. FaceNotFoundError).
    crop, size, margin, align :
        Face chip: crop to a square (``size`` px) around the face with ``margin`` room each
        side, eyes levelled when ``align`` (see the module docstring).
    upsample : int
        dlib detector upsampling (1 finds faces down to about 40 px across).
    context : {"keep", "mask"}
        Context policy of the RegionMap built by a parser (ignored for a given RegionMap).
    face_box : {"detect", "full", "auto"}
        Where "face68" fits the landmarks: the detected face ("detect"), the whole image
        ("full": for images that are already face crops, such as LFW's, in which the detector
        finds nothing), or the detected face with the whole image as the fallback ("auto").
        See :func:`~minplus.regions.faces.locate_face`. The mediapipe parsers detect only.

    Returns
    -------
    ParsedImage

    Raises
    ------
    FaceNotFoundError
        A face parser found no face in ``image`` (or no face ``face_index``).
    ShapeError, DTypeError, ValueError, RegionError
        Bad image, spec or labels.

    Examples
    --------
    >>> parsed = parse_regions(np.zeros((60, 80, 3), np.uint8), "grid:2x4")
    >>> parsed.regions.n, parsed.regions.names[:3]
    (8, ['r0c0', 'r0c1', 'r0c2'])
    """
    if isinstance(regions, RegionMap):
        _check_plain_image(image, name)
        if regions.shape != tuple(image.shape[:2]):
            raise ShapeError(f"RegionMap has shape {regions.shape}, {name} is {image.shape[:2]}")
        return ParsedImage(image, regions, name)
    if isinstance(regions, tuple) and len(regions) == 2:
        _check_plain_image(image, name)
        labels, names = regions
        return ParsedImage(image, labels_regions(labels, names, image.shape, context), name)
    if not isinstance(regions, str):
        raise DTypeError(f"regions must be a spec string, a RegionMap or (labels, names), got "
                         f"{type(regions).__name__}")
    spec = regions.strip().lower()
    face = {"face68": ("dlib", "coarse"), "coarse": ("dlib", "coarse"), "fine": ("dlib", "fine"),
            "face68:coarse": ("dlib", "coarse"), "face68:fine": ("dlib", "fine"),
            "mediapipe": ("mediapipe", "coarse"), "mediapipe:coarse": ("mediapipe", "coarse"),
            "mediapipe:fine": ("mediapipe", "fine")}
    if spec in face:
        backend, granularity = face[spec]
        return _parse_face(image, backend, granularity, face_index=face_index, name=name,
                           crop=crop, size=size, margin=margin, align=align, upsample=upsample,
                           context=context, face_box=face_box)
    grid = re.fullmatch(r"grid:(\d+)(?:x(\d+))?", spec)
    if grid:
        _check_plain_image(image, name)
        rows = int(grid.group(1))
        rm = grid_regions(image.shape, rows, int(grid.group(2) or rows))
        return ParsedImage(image, _with_context(rm, context), name)
    slic = re.fullmatch(r"slic(?::(\d+))?", spec)
    if slic:
        _check_plain_image(image, name)
        rm = superpixel_regions(image, int(slic.group(1) or 32))
        return ParsedImage(image, _with_context(rm, context), name)
    raise ArgumentError(f"unknown regions spec {regions!r}; expected one of {SPECS}, a "
                        "RegionMap or (labels, names)")


def _check_plain_image(image, name):
    if not isinstance(image, np.ndarray):
        raise DTypeError(f"{name} must be a numpy array, got {type(image).__name__}")
    if image.ndim not in (2, 3) or image.size == 0:
        raise ShapeError(f"{name} must be (H, W) or (H, W, C), got shape {image.shape}")


def _with_context(rm: RegionMap, context: str) -> RegionMap:
    return rm if rm.context == context else RegionMap(rm.labels, rm.names, context,
                                                      rm.soft_weights)


def _parse_face(image, backend, granularity, *, face_index, name, crop, size, margin, align,
                upsample, context, face_box="detect") -> ParsedImage:
    rgb = as_rgb_uint8(image, name)
    if backend == "dlib":
        box, n_faces = locate_face(rgb, face_box, face_index, upsample, name)
        pts = face_landmarks(rgb, box)
    else:
        if face_box != "detect":
            raise ArgumentError(f"face_box={face_box!r} needs the dlib parser ('face68'); the "
                                "mediapipe parsers detect the face themselves")
        from .mediapipe_parser import mediapipe_faces

        found = mediapipe_faces(rgb)
        boxes = [b for b, _ in found]
        box = pick_face(boxes, face_index, name)
        pts = found[boxes.index(box)][1]
        n_faces = len(boxes)
    chip, fc = rgb, None
    if crop:
        axis = face_frame(pts)[0] if align else None
        fc = FaceCrop.around(face_outline(pts), rgb.shape, size=size, margin=margin, axis=axis)
        chip, pts = fc.apply(rgb), fc.to_chip(pts)
    rm = face_labels(pts, chip.shape[:2], granularity, context=context)
    return ParsedImage(chip, rm, name, landmarks=pts, crop=fc, box=box, n_faces=n_faces)
