"""Where a concept's example images come from: a folder of pictures, or the crops of named
face regions ("the mouth region of smiling faces") through a :class:`~minplus.RegionMap`.

Both return one (N, size, size, 3) uint8 array, the input TCAV and the white-box plumbing take.
"""

from __future__ import annotations

import os

import cv2
import numpy as np

from ..arguments import integer
from ..errors import ArgumentError, FaceNotFoundError, RegionError

_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def _resized(image: np.ndarray, size) -> np.ndarray:
    h, w = size
    if image.shape[:2] == (h, w):
        return np.ascontiguousarray(image)
    interp = cv2.INTER_AREA if image.shape[0] > h else cv2.INTER_LINEAR
    return np.ascontiguousarray(cv2.resize(image, (w, h), interpolation=interp))


def _size(size):
    if isinstance(size, (int, np.integer)):
        size = (size, size)
    return tuple(integer(f"size[{i}]", v, lo=1) for i, v in enumerate(size))


def images_from_folder(path: str, size=64, limit: int | None = None) -> np.ndarray:
    """The pictures in folder ``path`` (sorted by name, not recursive), resized.

    Parameters
    ----------
    path : str
    size : int or (H, W)
        Every image is resized to it (area interpolation when shrinking).
    limit : int, optional
        Read at most this many.

    Returns
    -------
    (N, H, W, 3) uint8 ndarray, RGB.

    Raises
    ------
    ArgumentError
        ``path`` is not a folder, or holds no picture.
    """
    from ..regions.image_file import read_image

    if not os.path.isdir(path):
        raise ArgumentError(f"concept folder {path!r} is not a directory")
    names = sorted(n for n in os.listdir(path) if n.lower().endswith(_EXTENSIONS))
    if limit is not None:
        names = names[:integer("limit", limit, lo=1)]
    if not names:
        raise ArgumentError(f"concept folder {path!r} holds no picture ({', '.join(_EXTENSIONS)})")
    hw = _size(size)
    return np.stack([_resized(read_image(os.path.join(path, n)), hw) for n in names])


def region_crops(images, region, *, regions="face68", size=64, margin: float = 0.15,
                 face_box: str = "detect", skip_missing: bool = True) -> np.ndarray:
    """Crops of the named face region(s) of each image: the box around their pixels.

    Parameters
    ----------
    images : sequence of (H, W, 3) uint8 ndarrays, or a (N, H, W, 3) array
        Faces (photos or face crops; see ``face_box``).
    region : str or list of str
        Region name(s) of the parser's map, e.g. "mouth" or ["eyes", "eyebrows"].
    regions : str
        The parser, as :func:`minplus.parse_regions` takes it ("face68", "face68:fine", ...).
    size : int or (H, W)
        Every crop is resized to it.
    margin : float
        Room added around the region's box on each side, as a share of its side.
    face_box : {"detect", "full", "auto"}
        As :func:`minplus.parse_regions`; "full" for images that are already face crops.
    skip_missing : bool
        Skip images where no face is found (else FaceNotFoundError).

    Returns
    -------
    (N', H, W, 3) uint8 ndarray, N' <= N crops from the aligned face chips.
    """
    from ..regions import parse_regions

    hw = _size(size)
    names = [region] if isinstance(region, str) else list(region)
    crops = []
    for i, image in enumerate(images):
        try:
            parsed = parse_regions(np.asarray(image), regions, name=f"image {i}",
                                   face_box=face_box)
        except FaceNotFoundError:
            if skip_missing:
                continue
            raise
        ids = [parsed.regions.index(n) for n in names]
        ys, xs = np.nonzero(np.isin(parsed.regions.labels, ids))
        if len(ys) == 0:
            raise RegionError(f"region(s) {names} cover no pixel of image {i}")
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        dy, dx = int(margin * (y1 - y0)), int(margin * (x1 - x0))
        H, W = parsed.image.shape[:2]
        crop = parsed.image[max(0, y0 - dy):min(H, y1 + dy), max(0, x0 - dx):min(W, x1 + dx)]
        crops.append(_resized(crop, hw))
    if not crops:
        raise FaceNotFoundError(f"no face found in any of the {len(images)} images")
    return np.stack(crops)
