"""Pictures to bytes: RGB arrays and matplotlib figures as PNG, and PNG as a ``data:`` URI.

The report embeds every picture as a data URI so that the HTML file is the whole record: no
sibling files to lose, no URL to fetch.
"""

from __future__ import annotations

import base64
import io

import numpy as np

from ..errors import DTypeError, ShapeError


def as_rgb8(image, name: str = "image") -> np.ndarray:
    """An (H, W, 3) uint8 copy of ``image``.

    Parameters
    ----------
    image : (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) ndarray
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
    a = np.asarray(image)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in (1, 3, 4) or 0 in a.shape[:2]:
        raise ShapeError(f"{name} must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), "
                         f"got shape {a.shape}")
    a = np.broadcast_to(a[:, :, :3], a.shape[:2] + (3,))
    if a.dtype == np.uint8:
        return np.ascontiguousarray(a)
    if a.dtype.kind == "f":
        return np.round(np.clip(np.nan_to_num(a), 0.0, 1.0) * 255).astype(np.uint8)
    raise DTypeError(f"{name} must be uint8 or float in [0, 1], got dtype {a.dtype}")


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
