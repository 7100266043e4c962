"""DlibFaceRecognizer: dlib's ResNet face descriptor (128-D) as a black-box model.

Face geometry is fixed per explained image: the landmarks are found once on the unmasked image
(``masker.image``) and every masked image is aligned with them. Re-detecting on masked images
would let the aligner move the chip as regions vanish, and the explanation would then measure
the aligner rather than the recogniser. Images given to ``predict`` (e.g. a reference face) are
each detected and aligned on their own.

Faces are found as the region parsers find them (:mod:`minplus.regions.faces`: dlib's HOG
detector, largest face first), so the recogniser and the regions describe the same face. The
weights come from the ``face_recognition_models`` distribution, located without importing it.
Images are converted by :func:`minplus.regions.as_rgb_uint8` (grayscale and RGBA to RGB, float
in [0, 1] to uint8, at least 32 px a side).
"""

from __future__ import annotations

import numpy as np

from ..regions.faces import detect_faces, model_file, pick_face
from ..regions.image_input import as_rgb_uint8
from .base import Model

_CHIP_SIZE = 150  # the input size dlib's recognition ResNet was trained on


class DlibFaceRecognizer(Model):
    """128-D face descriptors from ``dlib.face_recognition_model_v1``; scores are (B, 128).

    Two descriptors of the same person lie within Euclidean distance 0.6 (dlib's threshold,
    99.38% on LFW); pair it with :class:`minplus.models.Verification`.

    Parameters
    ----------
    landmarks : {5, 68}
        Which dlib shape predictor aligns the face chip (5 points is dlib's recommended aligner
        for this network and is faster).
    upsample : int
        Times the face detector upsamples the image (finds faces down to ~40 / 2**upsample px).
    padding : float
        Chip padding around the landmarks, as dlib's ``compute_face_descriptor`` (0.25).
    batch_size : int
        Chips per call of dlib's batched descriptor.

    Examples
    --------
    >>> from matplotlib import cbook
    >>> import matplotlib.pyplot as plt
    >>> face = plt.imread(cbook.get_sample_data("grace_hopper.jpg"))
    >>> DlibFaceRecognizer()(face).shape
    (128,)
    """

    def __init__(self, landmarks: int = 5, upsample: int = 1, padding: float = 0.25,
                 batch_size: int = 16):
        super().__init__(batch_size)
        import dlib

        if landmarks not in (5, 68):
            raise ValueError(f"landmarks must be 5 or 68, got {landmarks!r}")
        self.landmarks = landmarks
        self.upsample = int(upsample)
        self.padding = float(padding)
        self._dlib = dlib
        self._predictor = dlib.shape_predictor(
            model_file(f"shape_predictor_{landmarks}_face_landmarks.dat"))
        self._net = dlib.face_recognition_model_v1(
            model_file("dlib_face_recognition_resnet_model_v1.dat"))
        self._anchor = None  # (unmasked image, its face shape): reused for all its masks

    def face(self, image, name: str = "image"):
        """The largest face's landmarks (a ``dlib.full_object_detection``) in ``image``.

        Raises :class:`~minplus.errors.FaceNotFoundError` when the detector finds no face.
        """
        rgb = as_rgb_uint8(image, name)
        box = pick_face(detect_faces(rgb, self.upsample, name), None, name)
        rect = self._dlib.rectangle(box.left, box.top, box.right - 1, box.bottom - 1)
        return self._predictor(rgb, rect)

    def chips(self, images, face) -> list:
        """Aligned 150x150 RGB chips of ``images`` (B, H, W, C), all cut with the one ``face``."""
        return [self._dlib.get_face_chip(as_rgb_uint8(im), face, size=_CHIP_SIZE,
                                         padding=self.padding) for im in images]

    def _describe(self, chips: list) -> np.ndarray:
        return np.asarray(self._net.compute_face_descriptor(chips), np.float64).reshape(-1, 128)

    def predict(self, images):
        faces = [self.face(im, f"image {i} of the batch") for i, im in enumerate(images)]
        return self._describe([self.chips([im], f)[0] for im, f in zip(images, faces)])

    def anchored_face(self, image):
        """The face of an unmasked ``image``, detected once and cached for its masked copies."""
        if self._anchor is None or self._anchor[0] is not image:
            self._anchor = (image, self.face(image, "the explained image"))
        return self._anchor[1]

    def predict_masked(self, masker, images):
        return self._describe(self.chips(images, self.anchored_face(masker.image)))

    def __repr__(self):
        return f"DlibFaceRecognizer(landmarks={self.landmarks})"
