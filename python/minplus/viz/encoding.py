"""Pictures to bytes: RGB arrays and matplotlib figures as PNG, and PNG as a ``data:`` URI.

The report embeds every picture as a data URI so that the HTML file is the whole record: no
sibling files to lose, no URL to fetch.
"""

from __future__ import annotations

import base64
import io

import numpy as np

from ..regions.image_input import as_rgb_uint8


def as_rgb8(image, name: str = "image") -> np.ndarray:
    """An (H, W, 3) uint8 copy of ``image`` for drawing: the face parsers' input policy
    (:func:`minplus.regions.image_input.as_rgb_uint8`) with any size and floats clipped.

    Parameters
    ----------
    image : (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) array-like
        uint8, or float in [0, 1] (clipped). Alpha is dropped, grey is repeated.
    name : str
        The argument's name, for error messages.

    Returns
    -------
    (H, W, 3) uint8 ndarray

    Examples
    --------
    >>> as_rgb8(np.zeros((2, 3))).shape
    (2, 3, 3)
    """
    return as_rgb_uint8(np.asarray(image), name, min_size=1, clip=True)


def png_bytes(picture, dpi: int = 110) -> bytes:
    """PNG bytes of an RGB array (see :func:`as_rgb8`) or a matplotlib ``Figure``.

    Examples
    --------
    >>> png_bytes(np.zeros((4, 4, 3), np.uint8))[:4]
    b'\\x89PNG'
    """
    if hasattr(picture, "savefig"):
        buf = io.BytesIO()
        picture.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
        return buf.getvalue()
    import cv2

    ok, encoded = cv2.imencode(".png", as_rgb8(picture, "picture")[:, :, ::-1])
    if not ok:  # pragma: no cover - cv2 only fails on unsupported shapes, excluded above
        raise RuntimeError("cv2.imencode could not encode the picture as PNG")
    return encoded.tobytes()


def data_uri(picture, dpi: int = 110) -> str:
    """``data:image/png;base64,...`` for an RGB array, a Figure, or PNG bytes.

    Examples
    --------
    >>> data_uri(np.zeros((1, 1, 3), np.uint8)).startswith("data:image/png;base64,")
    True
    """
    raw = picture if isinstance(picture, (bytes, bytearray)) else png_bytes(picture, dpi)
    return "data:image/png;base64," + base64.b64encode(raw).decode("ascii")
