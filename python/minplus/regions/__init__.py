"""Regions: named, non-overlapping parts of an image (face parts, grid cells, superpixels).

``parse_regions(image, "face68")`` is the entry point; :class:`RegionMap` is what every parser
returns and what the Masker and the search consume.
"""

from .crop import FaceCrop
from .face68 import COARSE_NAMES, FINE_NAMES, face_labels, face_outline, face_polygons
from .faces import FaceBox, detect_faces, face_landmarks
from .from_labels import labels_regions
from .grid import grid_regions
from .image_input import as_rgb_uint8
from .parse import ParsedImage, parse_regions
from .region_map import RegionMap
from .superpixels import superpixel_regions

__all__ = [
    "RegionMap", "ParsedImage", "parse_regions", "FaceCrop", "FaceBox", "detect_faces",
    "face_landmarks", "face_labels", "face_polygons", "face_outline", "grid_regions",
    "superpixel_regions", "labels_regions", "as_rgb_uint8", "COARSE_NAMES", "FINE_NAMES",
]
