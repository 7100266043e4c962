"""Reading image files with bounded memory: the pixel count is checked from the header first.

``read_image(path)`` opens the file with Pillow, which parses only the header, and refuses one
that declares more than ``MAX_PIXELS`` pixels (``ImageTooLargeError``) before decoding anything:
a few hundred bytes of PNG can declare 50000 x 50000 pixels (7.5 GB decoded). A file that does
not decode completely (a truncated JPEG or PNG, not an image at all) raises ``ImageReadError``
instead of giving a partly grey picture. EXIF orientation is applied, as cameras mean it.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..arguments import MAX_PIXELS, integer
from ..errors import ImageReadError, ImageTooLargeError, MissingDependencyError

__all__ = ["MAX_PIXELS", "image_size", "read_image"]


def image_size(path: str) -> tuple[int, int]:
    """(width, height) declared by the file's header; nothing is decoded.

    Raises
    ------
    ImageReadError
        No file at ``path``, or not an image format Pillow reads.
    ImageTooLargeError
        A header so large that Pillow itself refuses it (a decompression bomb).
    """
    Image = _pillow()
    try:
        with warnings.catch_warnings():  # Pillow's bomb warning: our own limit decides
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                return int(im.size[0]), int(im.size[1])
    except FileNotFoundError:
        raise ImageReadError(f"no image file at {path!r}") from None
    except Image.DecompressionBombError as e:  # Pillow's own header check, far above MAX_PIXELS
        raise ImageTooLargeError(f"image {path!r} is too large: {e}") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise ImageReadError(f"cannot read an image from {path!r}: {e}") from None


def read_image(path: str, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """The image at ``path`` as (H, W, 3) uint8 RGB, refusing one over ``max_pixels``.

    Parameters
    ----------
    path : str
        Any format Pillow reads (PNG, JPEG, BMP, TIFF, WebP, ...).
    max_pixels : int
        Largest width * height accepted, checked from the header before decoding.

    Raises
    ------
    ImageTooLargeError
        The header declares more than ``max_pixels`` pixels.
    ImageReadError
        Missing file, unknown format, or a file that does not decode completely (truncated).
    MissingDependencyError
        Pillow is not installed.

    Examples
    --------
    >>> import os, tempfile, PIL.Image
    >>> path = os.path.join(tempfile.mkdtemp(), "red.png")
    >>> PIL.Image.new("RGB", (4, 2), (255, 0, 0)).save(path)
    >>> read_image(path).shape, read_image(path)[0, 0].tolist()
    ((2, 4, 3), [255, 0, 0])
    >>> read_image(path, max_pixels=7)
    Traceback (most recent call last):
    ...
    minplus.errors.ImageTooLargeError: ... declares 4 x 2 = 8 pixels, more than max_pixels=7 ...
    """
    max_pixels = integer("max_pixels", max_pixels, lo=1)
    Image = _pillow()
    from PIL import ImageOps

    width, height = image_size(path)
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"image {path!r} declares {width} x {height} = {width * height} pixels, more than "
            f"max_pixels={max_pixels} (minplus.regions.image_file.MAX_PIXELS): downscale it "
            "first")
    try:
        with Image.open(path) as im:
            im.load()  # decodes everything; raises on a truncated file instead of padding it
            rgb = ImageOps.exif_transpose(im).convert("RGB")
            return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise ImageReadError(f"cannot decode the image in {path!r} (truncated or corrupt?): "
                             f"{e}") from None


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise MissingDependencyError("reading image files needs Pillow: pip install "
                                     "'minplus[viz]'") from None
    return Image
