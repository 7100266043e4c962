"""The MinPlus saliency map (Mery & Morris, "On black-box explanation for face verification",
WACV 2022), as the published code computes it (``saliency_minus`` / ``saliency_plus`` /
``heatmap`` of Mery's MinPlus code, reproduced in NaimaBousnina/Vision-Transformer-Explainability,
``minplus_utils.py`` and ``test_GViT.py``).

A window is the peak-1 Gaussian ``g`` of ``window`` x ``window`` pixels and sigma
``window / 8.5`` (the published ``gaussian_kernel(nh, nh / 8.5, 'Max')``), centred on the grid
``d, 2d, ... < H`` by ``d, 2d, ... < W`` (``d = stride``), raster order.

* **minus**: from the image, each step scores the current image with every window removed
  (``state * (1 - g)``: the window's hole, exactly black at its centre) and keeps the lowest
  score. Centres whose current pixel is already the baseline (black) are skipped, as the
  published ``ROI=At`` does, so a removed window is not removed again. The phase runs while the
  score is above ``threshold`` and for at most ``steps`` steps, taking the best window even when
  it raises the score.
* **plus**: from a near-black random start (each value 0 or 1 of 255), each step scores every
  window of the *original* screen-blended onto the current image (``255 - (255 - state) *
  (255 - image * g) / 255``, truncated to uint8) and keeps the highest score; a window may be
  added again. It runs while ``score(image) - score > threshold``, at most ``steps`` steps.
* **map**: impulses at the window centres, in score units: H0- = score before - score after
  removal and H0+ = score after - score before addition, for the first step's candidates; H1-,
  H1+ the chosen steps' drops and gains (H0+ is -score(start) off the centres, as published: a
  constant the min shift removes). ``(H0- + H0+ + H1- + H1+) / 4`` is smoothed once by
  the peak-1 Gaussian of the window's size (``cv2.filter2D``'s reflect-101 border), shifted to
  min 0 and scaled to max 1.

Presets (the published modes): "normal" window 161, d = 16, up to 20 steps, threshold 0.01;
"fast" window 221, d = 48, one step. On a 256 x 256 face that is 15 x 15 and 5 x 5 centres.

Decisions the published code leaves open, and what this implementation does:

* **Canvas.** The published mask is hard-coded to a 112 x 112 canvas (``DefineGaussianMask(...,
  N=112, M=112)``) while its constants are for 256 px faces. Windows here are built on the
  image's own canvas; window and stride are taken as pixels of a 256 px image and scaled by
  min(H, W) / 256 (exactly the published values at 256). Window sizes whose published placement
  is one pixel off centre (even sizes, and odd ones such as 163) keep that offset.
* **Float images** (in [0, 1]) use white = 1 in the screen blend and are not quantised; the
  published code knows uint8-valued images only.
* **FAST's threshold.** The published FAST branch defines no ``dsc``; it uses 0.01 here.
* **Running min/max.** The published search starts its running min/max at +10 / -10, which
  breaks for any score outside (-10, 10) (an age in years); here they start at -inf / +inf. Ties
  go to the first centre in raster order, as the published strict comparison does.
* **Random start.** The published plus start is unseeded; here it is drawn from
  ``numpy.random.default_rng(seed)`` (``integers(0, 2)`` per value), so maps are reproducible.
* **Edge cases.** A phase whose first check fails (score <= threshold; for plus, gain <=
  threshold), or whose minus step has no centre left, contributes zero maps (the published code
  either returns zeros or fails on an undefined H0). A map with no spread is all zeros (the
  published normalisation divides by zero).
* **Dtypes.** The minus images are float32, as published (unrounded products), and the plus
  state of a uint8 image stays uint8-valued. A model whose frame has its own resampler (dlib's
  face chip, which takes uint8) gets the renders in the image's dtype, rounded half to even; the
  states stay float32.
* **Queries.** ``score(image)`` is computed once (the published plus phase recomputes it); the
  minus and plus phases run in lockstep, one model call per step with both phases' candidates.
  The plus phase's first candidates are scored in the same call as its random start, before
  the start's score decides whether the phase runs: when it does not (``score(image) -
  score(start) <= threshold``), those queries are spent and ignored.
* **Baseline** other than "black": the minus step fades windows to it and the plus start is
  the baseline plus the noise; "black" is the published behaviour.
* **regions**: when given, only centres inside a region (label >= 0) are candidates, in both
  phases (the published ``ROI`` argument).

Variants of our own are options, never the defaults: ``start="baseline"`` starts the plus phase
from the exact baseline instead of the noise; ``render="image"`` hands a raw-image model uint8
renders (the minus images rounded).

Every step's candidates are rendered by the native core
(:class:`~minplus.saliency.indexed_maskers.WindowMasker`: only the window's box is recomputed on
top of a copy of the current image) and scored as one batch through the evaluation loop. For a
network that resizes the image by whole factors (``OnnxModel(input_size=32)`` on a 256 px face)
the kernel renders each query straight at the network's size, every pixel the mean of its block
of the full-size render: the same input as resizing the 256 px render (cv2's INTER_AREA), to
float32 rounding, without writing the 256 px images.
"""

from __future__ import annotations

import functools

import numpy as np
from tqdm.auto import tqdm

from ..arguments import choice, integer, real
from ..errors import ShapeError
from ..evaluate import Evaluation
from .indexed_maskers import WindowMasker
from .perturbation import region_labels, run

PRESETS = {
    "normal": {"window": 161, "stride": 16, "steps": 20, "threshold": 0.01},
    "fast": {"window": 221, "stride": 48, "steps": 1, "threshold": 0.01},
}
STARTS = ("noise", "baseline")
RENDERS = ("auto", "float32", "image")
_FAR = -(1 << 30)  # a window centre this far off the image renders the current image itself


def _gaussian_taps(window: int, shift: int) -> np.ndarray:
    """The 1-D factor of ``gaussian_kernel(window, window / 8.5, 'Max')``, ``exp(-x^2 / (2
    sigma^2))`` at x = (-window) // 2 + 1 ... window // 2, placed at pixel offsets x + shift and
    zero-padded to a centred (2R+1,) float32 array."""
    window = int(window)
    sigma = window / 8.5
    x = np.arange((-window) // 2 + 1, window // 2 + 1, dtype=np.float64)
    offsets = x + shift
    R = int(np.abs(offsets).max())
    taps = np.zeros(2 * R + 1)
    taps[(offsets + R).astype(int)] = np.exp(-x ** 2 / (2 * sigma ** 2))
    return taps.astype(np.float32)


def window_taps(window: int) -> np.ndarray:
    """The published window's 1-D taps as an odd, centred (2R+1,) float32 array.

    ``gaussian_kernel(window, window / 8.5, 'Max')`` is separable, and ``DefineGaussianMask``
    puts its x at pixel ``centre + x - round(window / 2) - (-window) // 2 - 1`` (Python's round:
    half to even). For 161 and 221 that is centre + x; sizes such as 20 or 163 sit one pixel
    off, which is kept by zero-padding the taps to a symmetric support.

    Examples
    --------
    >>> t = window_taps(161); len(t), float(t[80])
    (161, 1.0)
    >>> t = window_taps(4); len(t), float(t[4]), float(t[1])  # x = -1..2 at offsets -2..1
    (5, 0.0, 1.0)
    """
    window = int(window)
    return _gaussian_taps(window, -round(window / 2) - (-window) // 2 - 1)


def smoothing_taps(window: int) -> np.ndarray:
    """The published ``heatmap``'s kernel as centred (2R+1,) float32 taps: ``cv2.filter2D``
    anchors it at index window // 2, so even sizes sit one pixel off (odd ones never do)."""
    window = int(window)
    return _gaussian_taps(window, -1 if window % 2 == 0 else 0)


def window_grid(shape, window: int, stride: int):
    """Window centres (N, 2) int32 at (d, 2d, ... < H) x (d, 2d, ... < W), raster order, and
    the window's taps (:func:`window_taps`).

    Examples
    --------
    >>> c, t = window_grid((256, 256), 161, 16)
    >>> len(c), c[0].tolist(), c[-1].tolist()
    (225, [16, 16], [240, 240])
    """
    ys, xs = grid_axes(shape, stride)
    centres = np.stack(np.meshgrid(ys, xs, indexing="ij"), -1).reshape(-1, 2).astype(np.int32)
    return centres, window_taps(window)


def grid_axes(shape, stride: int):
    """The grid's rows (d, 2d, ... < H) and columns (d, 2d, ... < W): :func:`window_grid`'s
    centres are their product, in raster order."""
    H, W = shape
    return np.arange(stride, H, stride), np.arange(stride, W, stride)


@functools.lru_cache(maxsize=8)
def smoothing_operator(n: int, window: int) -> np.ndarray:
    """(n, n) float64 matrix of the 1-D correlation with :func:`smoothing_taps` and a reflect-101
    border (``cv2.filter2D``'s default), so the separable 2-D filter is ``A_y @ X @ A_x.T``.
    Cached (read-only): every map of one size and window shares it.

    Examples
    --------
    >>> smoothing_operator(3, 3).round(3).tolist()
    [[1.0, 0.036, 0.0], [0.018, 1.0, 0.018], [0.0, 0.036, 1.0]]
    """
    taps = smoothing_taps(window).astype(np.float64)
    R = len(taps) // 2
    rows = np.repeat(np.arange(n), len(taps))
    cols = (np.arange(n)[:, None] + np.arange(-R, R + 1)[None, :]).reshape(-1)
    period = 2 * (n - 1) if n > 1 else 1
    cols = np.abs(np.mod(cols, period)) if n > 1 else np.zeros_like(cols)
    cols = np.where(cols >= n, period - cols, cols)
    A = np.bincount(rows * n + cols, np.tile(taps, n), minlength=n * n).reshape(n, n)
    A.flags.writeable = False
    return A


def heatmap(H: np.ndarray, window: int) -> np.ndarray:
    """The published ``heatmap``: ``H`` (h, w) smoothed by the peak-1 Gaussian of ``window``
    pixels (``cv2.filter2D``), shifted to min 0 and scaled to max 1 (all zeros when flat):
    (h, w) float32.

    The MinPlus maps are a constant plus impulses at the window centres, so the filter runs on
    the rows and columns that hold impulses only (exact for any H).

    Examples
    --------
    >>> H = np.zeros((5, 5)); H[2, 2] = 1
    >>> m = heatmap(H, 3); float(m.max()), float(m[2, 2]), float(m[0, 0])
    (1.0, 1.0, 0.0)
    """
    H = np.asarray(H, np.float64)
    c = float(H.flat[0])  # the background of a MinPlus map (no centre at (0, 0))
    S = H - c
    rows, cols = np.flatnonzero(S.any(axis=1)), np.flatnonzero(S.any(axis=0))
    return _impulse_heatmap(H.shape, int(window), c, rows, cols, H[np.ix_(rows, cols)])


@functools.lru_cache(maxsize=8)
def _operator_sums(n: int, window: int) -> np.ndarray:
    """Row sums of :func:`smoothing_operator` (what a constant map smooths to), read-only."""
    s = smoothing_operator(n, window).sum(axis=1)
    s.flags.writeable = False
    return s


def _impulse_heatmap(shape, window: int, c: float, rows, cols, V) -> np.ndarray:
    """:func:`heatmap` of the map that is ``c`` everywhere but at ``rows`` x ``cols``, where it
    is ``V`` (len(rows), len(cols)): the separable filter of the constant and the impulses as
    one product ``[1 | A_y[:, rows]] @ [[c, 0], [0, V - c]] @ [1 | A_x[:, cols]].T`` (the 1
    columns being the operators' row sums), written once; then shifted and scaled in place."""
    h, w = shape
    Ay, Ax = smoothing_operator(h, window), smoothing_operator(w, window)
    k, m = len(rows), len(cols)
    L = np.empty((h, k + 1))
    L[:, 0], L[:, 1:] = _operator_sums(h, window), Ay[:, rows]
    R = np.empty((w, m + 1))
    R[:, 0], R[:, 1:] = _operator_sums(w, window), Ax[:, cols]
    M = np.zeros((k + 1, m + 1))
    M[0, 0], M[1:, 1:] = c, np.asarray(V, np.float64) - c
    X = (L @ M) @ R.T
    lo, hi = X.min(), X.max()
    peak = hi - lo
    # a spread at the rounding level of the values (a constant map) is flat, not noise to stretch
    if peak <= 1e-9 * max(abs(lo), abs(hi)):
        return np.zeros(shape, np.float32)
    X -= lo
    X /= peak
    return X.astype(np.float32)


class _Phase:
    """One greedy chain: its masker phase, score path, impulse values and stopping rule.

    The impulse maps are held at the window centres only: ``first`` (n,) and ``greedy`` (n,)
    values, with ``background`` the first-step map's value off the centres (the published H0,
    H1 are these placed on an (H, W) canvas, zero elsewhere but for H0+'s constant)."""

    def __init__(self, name, phase, n, allowed):
        self.name, self.phase, self.n, self.allowed = name, phase, n, allowed
        self.background = 0.0
        self.first = np.zeros(n)
        self.greedy = np.zeros(n)
        self.windows, self.scores = [], []
        self.active = False

    def candidates(self, masker) -> np.ndarray:
        """Window indices of this step's candidates."""
        if self.name == "plus":
            return np.flatnonzero(self.allowed)
        # published ROI=At: a centre whose current pixel is the baseline is not removed again
        state, base = masker.states[self.phase], masker.baseline32
        c = masker.centres[:self.n]
        alive = (state[c[:, 0], c[:, 1]] != base[c[:, 0], c[:, 1]]).any(axis=1)
        return np.flatnonzero(alive & self.allowed)

    def step(self, masker, windows, s, original, threshold, steps):
        """Take the best of this step's scores ``s`` for ``windows``; the window is applied to
        the phase's current image only when the phase goes on (nothing reads it after)."""
        current = self.scores[-1]
        best = int(np.argmin(s) if self.name == "minus" else np.argmax(s))
        w = int(windows[best])
        gain = current - s if self.name == "minus" else s - current
        if not self.windows:  # the first step's map: every candidate's change
            if self.name == "plus":
                self.background = -current  # the published Hsc is 0 off the centres
                self.first[:] = -current
            self.first[windows] = gain
        self.greedy[w] = gain[best]
        self.windows.append(w)
        self.scores.append(float(s[best]))
        self.active = len(self.windows) < steps and self.going_on(original, threshold)
        if self.active:
            masker.apply(self.phase * len(masker.centres) + w)

    def going_on(self, original, threshold) -> bool:
        current = self.scores[-1]
        return current > threshold if self.name == "minus" else original - current > threshold

    def maps(self, centres, shape) -> dict:
        """The first-step and greedy impulse maps on the (H, W) canvas, float32."""
        first = np.full(shape, self.background, np.float32)
        first[centres[:, 0], centres[:, 1]] = self.first
        greedy = np.zeros(shape, np.float32)
        greedy[centres[:, 0], centres[:, 1]] = self.greedy
        return {"first": first, "greedy": greedy, "windows": self.windows,
                "scores": self.scores}


@functools.lru_cache(maxsize=4)
def _start_noise(seed: int, shape: tuple) -> np.ndarray:
    """The plus phase's 0/1 noise for ``seed`` (``default_rng(seed).integers(0, 2, shape)``),
    read-only and shared: every map of one image size and seed starts from the same noise."""
    noise = np.random.default_rng(seed).integers(0, 2, shape).astype(np.uint8)
    noise.flags.writeable = False
    return noise


@functools.lru_cache(maxsize=8)
def _grid(shape: tuple, window: int, stride: int):
    """(centres and the far centre (N + 1, 2), taps, grid rows, grid columns) for one image
    size, read-only and shared: every map of one size, window and stride uses the same."""
    centres, taps = window_grid(shape, window, stride)
    out = (np.vstack([centres, [[_FAR, _FAR]]]).astype(np.int32), taps,
           *grid_axes(shape, stride))
    for a in out:
        a.flags.writeable = False
    return out


def _minplus_one(model, image, target, window, stride, steps, threshold, regions, baseline,
                 seed, start, render, progress):
    H, W = image.shape[:2]
    grid, taps, ys, xs = _grid((H, W), window, stride)
    centres = grid[:-1]
    n = len(centres)
    allowed = np.ones(n, bool)
    if regions is not None:
        labels = region_labels(regions, None, (H, W))[0]
        allowed = labels[centres[:, 0], centres[:, 1]] >= 0
    far = n  # the index of the far centre: a phase's current image as it is
    # a frame with its own resampler (dlib's face chip) takes images in the image's dtype
    frame = getattr(model, "frame", None)
    if render == "auto":  # a plain resize frame resamples float32 renders (cv2)
        own = getattr(frame, "warp_image", None) is not None and \
            not getattr(frame, "resizes", False)
        render = "image" if own else "float32"
    own_dtype = render == "image"
    masker = WindowMasker(image, grid, taps, baseline, ops=("remove", "screen"),
                          dtype="image" if own_dtype else None)
    N = len(masker.centres)
    if start == "noise":
        noise = _start_noise(seed, masker.baseline32.shape)
        step = masker.white / np.float32(255)  # float32 arithmetic throughout
        if not masker.baseline32.any():  # black: the noise's 0 / 1 of 255 alone (same values)
            plus_start = np.multiply(noise, step, dtype=np.float32)
        else:
            plus_start = np.minimum(masker.baseline32 + noise * step, masker.white)
    else:
        plus_start = masker.baseline32.copy()
    masker.states[1] = plus_start
    ev = Evaluation(model, masker)
    original = target.score
    minus = _Phase("minus", 0, n, allowed)
    plus = _Phase("plus", 1, n, allowed)
    minus.scores.append(original)
    minus.active = steps > 0 and minus.going_on(original, threshold)
    bar = tqdm(desc="minplus", unit="eval", leave=False) if progress else None
    try:
        while True:
            parts = []  # (phase, window indices); phase None: the plus start, scored once
            if not plus.scores:
                # The plus start's first candidates go in the same call, before its score says
                # whether the phase runs at all: wasted only when it does not (gain <= th).
                parts.append((None, np.array([far])))
                if steps > 0:
                    parts.append((plus, plus.candidates(masker)))
            elif plus.active:
                parts.append((plus, plus.candidates(masker)))
            if minus.active:
                parts.append((minus, minus.candidates(masker)))
            for ph, w in parts:
                if ph is not None and not len(w):
                    ph.active = False  # no centre left: the published code has no step to take
            parts = [(ph, w) for ph, w in parts if len(w)]
            if not parts:
                break
            index = np.concatenate([(1 if ph is None else ph.phase) * N + w for ph, w in parts])
            s = target(ev.scores(index.astype(np.uint64)))
            if bar is not None:
                bar.update(len(index))
            at = 0
            for ph, w in parts:
                part, at = s[at:at + len(w)], at + len(w)
                if ph is None:
                    plus.scores.append(float(part[0]))
                    plus.active = steps > 0 and plus.going_on(original, threshold)
                elif ph.active:  # (a plus phase that did not start ignores its candidates)
                    ph.step(masker, w, part, original, threshold, steps)
    finally:
        if bar is not None:
            bar.close()
    # the four impulse maps summed at the centres, in the published order: (H0- + H0+ + H1- +
    # H1+) / 4, the same products as on the dense canvas
    values = (minus.first + plus.first + minus.greedy + plus.greedy) / 4
    background = (minus.background + plus.background) / 4  # (the H1 maps are 0 off the centres)
    sal = _impulse_heatmap((H, W), window, background, ys, xs,
                           values.reshape(len(ys), len(xs)))
    extra = {"centres": np.array(centres)}
    for ph in (minus, plus):
        extra[ph.name] = ph.maps(centres, (H, W))
    return sal, ev.images, None, extra


def minplus_map(model, image, target=None, *, regions=None, baseline="black", progress=True,
                preset="normal", window=None, stride=None, steps=None, threshold=None,
                seed=0, start="noise", render="auto"):
    """MinPlus saliency map of a face (or any image) for a black-box score, as published.

    Parameters
    ----------
    model, image, target : as :func:`minplus.saliency.occlusion`; for verification, ``target``
        is typically a callable giving the similarity to the reference face. ``image`` is (H, W,
        C) uint8 (the published setting: a uint8 plus state) or float32 in [0, 1], or a batch.
    regions : RegionMap or (H, W) int labels, optional
        Only window centres inside a region are candidates (the published ``ROI``).
    baseline : str or ndarray
        What removed windows fade to ("black": published).
    progress : bool
        Show a progress bar of model evaluations.
    preset : {"normal", "fast"}
        The published modes' window, stride, steps and threshold (module docstring).
    window, stride : int, optional
        Window size and grid step in pixels (default: the preset's, scaled by min(H, W) / 256).
        The final smoothing uses the window's size, as published.
    steps : int, optional
        Most greedy steps per phase (published ``tmax``).
    threshold : float, optional
        The stopping threshold ``th`` of both phases, in target units.
    seed : int
        Seed of the plus phase's random start.
    start : {"noise", "baseline"}
        The plus phase's start: the published near-black noise, or (own variant) the baseline.
    render : {"auto", "float32", "image"}
        The dtype of the images a model taking raw images gets: float32 (the published minus
        images are unrounded float32), or the image's dtype ("image": uint8 rounded half to
        even); "auto" is float32 unless the model's frame has its own resampler (dlib's face
        chip, uint8 only; a plain resize to the network's size takes float32). Models fed
        normalised tensors always get unrounded values; a network that shrinks the image by
        whole factors (``OnnxModel(input_size=32)`` on a 256 px face) gets its input rendered
        straight at its own size, each pixel the mean of its block (the 256 px renders are
        never written).

    Returns
    -------
    SaliencyMap: map (H, W) float32 in [0, 1], larger = more important; ``extra["minus"]`` and
    ``extra["plus"]`` hold each phase's first-step and greedy impulse maps (H, W) float32, the
    chosen windows (indices into ``extra["centres"]`` (N, 2) int32) and the score path.

    Examples
    --------
    >>> img = np.zeros((64, 64, 1), np.float32); img[8:24, 8:24] = 1
    >>> m = minplus_map(lambda x: x[:, 8:24, 8:24].mean(axis=(1, 2, 3)), img, preset="fast",
    ...                 progress=False)
    >>> bool(m.map[8:24, 8:24].mean() > 2 * m.map[40:, 40:].mean())
    True
    """
    p = PRESETS[choice("preset", preset, tuple(PRESETS))]
    start = choice("start", start, STARTS)
    render = choice("render", render, RENDERS)
    arr = np.asarray(image)
    if arr.ndim not in (3, 4):
        raise ShapeError(f"image must be (H, W, C) or a batch (B, H, W, C), got shape "
                         f"{arr.shape}")
    scale = min(arr.shape[:2] if arr.ndim == 3 else arr.shape[1:3]) / 256.0
    window = integer("window", max(3, round(p["window"] * scale)) if window is None else window,
                     lo=1)
    stride = integer("stride", max(1, round(p["stride"] * scale)) if stride is None else stride,
                     lo=1)
    steps = integer("steps", p["steps"] if steps is None else steps, lo=0)
    threshold = real("threshold", p["threshold"] if threshold is None else threshold)
    seed = integer("seed", seed)
    return run("minplus", model, image, target, _minplus_one, window=window, stride=stride,
               steps=steps, threshold=threshold, regions=regions, baseline=baseline,
               seed=seed, start=start, render=render, progress=progress)
