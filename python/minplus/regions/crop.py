"""FaceCrop: the square face chip the face parsers work on, and the map back to the photo.

The chip is the square around the face outline (see :mod:`minplus.regions.face68`), enlarged by
``margin`` of its side on every side so hair and some background stay as context, optionally
rotated so the eyes are level, resampled (bilinear) to ``size`` x ``size`` pixels. Parts of the
square outside the photo are black (as in dlib's and insightface's face chips): replicating or
mirroring the border would invent hair or facial features the model could respond to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ArgumentError, ShapeError


@dataclass(frozen=True)
class FaceCrop:
    """A similarity transform from photo pixels to chip pixels.

    Attributes
    ----------
    matrix : (2, 3) float64 ndarray
        ``chip_xy = matrix[:, :2] @ photo_xy + matrix[:, 2]``.
    size : int
        The chip is (size, size).
    source_shape : (H, W)
        Shape of the photo.
    """

    matrix: np.ndarray
    size: int
    source_shape: tuple

    @classmethod
    def around(cls, outline, source_shape, size: int = 256, margin: float = 0.25,
               axis=None) -> "FaceCrop":
        """The chip around ``outline`` ((k, 2) points); ``axis`` (unit x direction) rotates it.

        Parameters
        ----------
        outline : (k, 2) array-like
            Points the chip must contain (x, y).
        source_shape : (H, W)
        size : int
            Chip side in pixels (>= 32).
        margin : float
            Extra room on each side, as a fraction of the outline's larger extent (>= 0).
        axis : (2,) array-like, optional
            Direction in the photo that becomes the chip's +x axis (eyes level); default +x.
        """
        if int(size) < 32:
            raise ShapeError(f"size must be >= 32 pixels, got {size}")
        if not margin >= 0:
            raise ArgumentError(f"margin must be >= 0, got {margin}")
        pts = np.asarray(outline, np.float64).reshape(-1, 2)
        ax = np.array([1.0, 0.0]) if axis is None else np.asarray(axis, np.float64)
        ax = ax / np.hypot(*ax)
        rot = np.array([[ax[0], ax[1]], [-ax[1], ax[0]]])  # photo -> chip orientation
        q = pts @ rot.T
        lo, hi = q.min(0), q.max(0)
        side = (1.0 + 2.0 * margin) * max(float((hi - lo).max()), 1.0)
        k = int(size) / side
        centre = 0.5 * (lo + hi)
        lin = k * rot
        offset = 0.5 * int(size) - k * centre
        matrix = np.hstack([lin, offset[:, None]])
        return cls(matrix, int(size), tuple(int(v) for v in source_shape[:2]))

    @property
    def scale(self) -> float:
        """Chip pixels per photo pixel."""
        return float(np.sqrt(abs(np.linalg.det(self.matrix[:, :2]))))

    def inverse(self) -> np.ndarray:
        """(2, 3) float64 matrix from chip pixels to photo pixels."""
        lin = np.linalg.inv(self.matrix[:, :2])
        return np.hstack([lin, (-lin @ self.matrix[:, 2])[:, None]])

    def to_chip(self, points) -> np.ndarray:
        """(k, 2) photo (x, y) points -> chip coordinates."""
        pts = np.asarray(points, np.float64).reshape(-1, 2)
        return pts @ self.matrix[:, :2].T + self.matrix[:, 2]

    def to_photo(self, points) -> np.ndarray:
        """(k, 2) chip (x, y) points -> photo coordinates."""
        inv = self.inverse()
        pts = np.asarray(points, np.float64).reshape(-1, 2)
        return pts @ inv[:, :2].T + inv[:, 2]

    def apply(self, photo) -> np.ndarray:
        """Cut the chip out of ``photo`` ((H, W[, C]) with the source shape): (size, size[, C])."""
        import cv2

        if tuple(photo.shape[:2]) != self.source_shape:
            raise ShapeError(f"photo has shape {photo.shape}, the crop was made for "
                             f"{self.source_shape}")
        return cv2.warpAffine(photo, self.matrix, (self.size, self.size), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)

    def to_photo_map(self, chip_map, fill: float = 0.0) -> np.ndarray:
        """Carry a per-pixel chip map (e.g. a saliency map, (size, size) float) back to the photo.

        Returns (H, W) float32; photo pixels outside the chip get ``fill``.
        """
        import cv2

        chip_map = np.asarray(chip_map, np.float32)
        if chip_map.shape != (self.size, self.size):
            raise ShapeError(f"chip_map has shape {chip_map.shape}, expected "
                             f"{(self.size, self.size)}")
        h, w = self.source_shape
        return cv2.warpAffine(chip_map, self.inverse(), (w, h), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=float(fill))
