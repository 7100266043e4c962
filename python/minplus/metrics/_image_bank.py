"""ImageBank: an index masker whose item i is a whole perturbed image.

Some perturbations are no blend of the image with one baseline: ROAD's imputed pixels, additive
noise. They are computed once as images and rendered, like every other masker, into the model's
declared input (layout, dtype, normalisation), so the evaluation loop batches them as any other.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..saliency.indexed_maskers import IndexedMasker


class ImageBank(IndexedMasker):
    """Index i renders ``images[i]``, a perturbed version of ``image``.

    Parameters
    ----------
    image : (H, W, C) uint8 or float32 ndarray
        The explained image (the one the model is bound to).
    images : (N, H, W, C) ndarray
        The perturbed images, in any real dtype; rendered in "hwc" as the image's dtype
        (rounded and clipped to [0, 255] for uint8).

    Examples
    --------
    >>> img = np.zeros((1, 2, 1), np.float32)
    >>> bank = ImageBank(img, np.array([[[[1.0], [2.0]]]]))
    >>> bank.render([0], layout="nchw", scale=2.0, mean=1.0)[0, 0].tolist()
    [[1.0, 3.0]]
    """

    def __init__(self, image, images):
        super().__init__(image, "black", len(images))
        images = np.asarray(images)
        if images.ndim != 4 or images.shape[1:] != self.image.shape:
            raise ShapeError(f"images must be (N,) + the image's shape {self.image.shape}, got "
                             f"{images.shape}")
        if self.image.dtype == np.uint8:
            images = np.clip(np.rint(images), 0, 255)
        self.images = np.ascontiguousarray(images, dtype=self.image.dtype)

    def _render_host(self, index, out, spec, num_threads):
        layout, dtype, scale, mean, std = spec
        picked = self.images[index]
        if layout == "hwc":
            out[...] = picked
            return
        x = picked.astype(np.float32) * np.float32(scale)
        x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
        out[...] = x.transpose(0, 3, 1, 2)
