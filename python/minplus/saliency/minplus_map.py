"""The MinPlus saliency map (Mery & Morris, "On black-box explanation for face verification",
WACV 2022): Gaussian windows greedily removed from the face ("minus") and added back onto the
baseline ("plus").

* minus: starting from the image, every step scores the image with each remaining window removed
  (alpha <- alpha (1 - g)) and removes the window that lowers the target score most;
* plus: starting from the baseline, every step adds back (alpha <- 1 - (1 - alpha)(1 - g)) the
  window that raises the score most.

A phase stops after ``steps`` steps or when its best window changes the score by less than
``threshold`` (target units). Each phase gives two maps: its first step (every window's score
change, spread over the window and normalised by the windows' coverage) and its greedy path
(chosen windows weighted by their score change). The MinPlus map is the mean of the four maps,
each scaled to max |value| = 1, smoothed by a Gaussian of ``smooth`` pixels.

Every step's candidates are rendered by the native core
(:class:`~minplus.saliency.indexed_maskers.WindowMasker`) and scored as one batch.

Presets, for a 256 x 256 face (window and stride scale with min(H, W) / 256):

* "normal": window 161, stride 16 (16 x 16 = 256 windows), up to 20 steps, threshold 0.01;
* "fast": window 161, stride 32 (8 x 8 = 64 windows), up to 10 steps, threshold 0.01 --
  about 1/8 of the evaluations, coarser first-step maps, the same large windows.
"""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from ..baselines import gaussian_blur, make_baseline
from .indexed_maskers import WindowMasker
from .perturbation import run, score

PRESETS = {
    "normal": {"window": 161, "stride": 16, "steps": 20, "threshold": 0.01},
    "fast": {"window": 161, "stride": 32, "steps": 10, "threshold": 0.01},
}
_FAR = -(1 << 30)  # a window centre this far off the image leaves the current keep map as is


def window_grid(shape, window: int, stride: int):
    """Window centres (N, 2) int32 on a stride grid, and Gaussian taps (window,) with sigma =
    window / 6 and peak 1 (``window`` made odd)."""
    H, W = shape
    R = max(1, int(window) // 2)
    ys = np.arange(stride // 2, H, stride)
    xs = np.arange(stride // 2, W, stride)
    centres = np.stack(np.meshgrid(ys, xs, indexing="ij"), -1).reshape(-1, 2).astype(np.int32)
    x = np.arange(-R, R + 1, dtype=np.float64)
    taps = np.exp(-0.5 * (x / ((2 * R + 1) / 6.0)) ** 2).astype(np.float32)
    return centres, taps


def _phase(model, masker, target, add, steps, threshold, bar):
    """One greedy phase: (first-step changes (N,), chosen [(window, change)], score path,
    evaluations)."""
    N = len(masker.centres) - 1  # the last centre is _FAR: the current image itself
    masker.add = add
    masker.keep = np.full((masker.H, masker.W), 0.0 if add else 1.0, np.float32)
    current = target.score if not add else score(model, masker, np.array([N]), target)[0]
    evaluations = int(add)
    sign = 1.0 if add else -1.0  # plus wants the score up, minus wants it down
    remaining = np.arange(N)
    first, chosen, path = None, [], [current]
    for _ in range(steps):
        s = score(model, masker, remaining, target)
        evaluations += len(remaining)
        bar.update(len(remaining))
        change = sign * (s - current)
        if first is None:
            first = change
        best = int(np.argmax(change))
        if change[best] < threshold:
            break
        i = int(remaining[best])
        g = masker.window(i)
        masker.keep = np.ascontiguousarray(1 - (1 - masker.keep) * (1 - g) if add
                                           else masker.keep * (1 - g), dtype=np.float32)
        chosen.append((i, float(change[best])))
        current = float(s[best])
        path.append(current)
        remaining = np.delete(remaining, best)
    return first, chosen, path, evaluations


def _normalised(m: np.ndarray) -> np.ndarray:
    peak = np.abs(m).max()
    return m / peak if peak > 0 else m


def _minplus_one(model, image, target, window, stride, steps, threshold, smooth, baseline,
                 progress):
    H, W = image.shape[:2]
    centres, taps = window_grid((H, W), window, stride)
    masker = WindowMasker(image, np.vstack([centres, [[_FAR, _FAR]]]), taps,
                          make_baseline(image, baseline))
    windows = np.stack([masker.window(i) for i in range(len(centres))])
    coverage = np.maximum(windows.sum(0), 1e-12)
    maps, extra, evaluations = [], {}, 0
    with tqdm(desc="minplus", unit="eval", leave=False, disable=not progress) as bar:
        for name, add in (("minus", False), ("plus", True)):
            first, chosen, path, n_eval = _phase(model, masker, target, add, steps, threshold,
                                                 bar)
            greedy = sum((c * windows[i] for i, c in chosen), np.zeros((H, W)))
            # float32 product: a float64 tensordot would copy all N windows to float64 each time
            spread = (first.astype(np.float32) @ windows.reshape(len(windows), -1)).reshape(H, W)
            maps += [spread / coverage, greedy]
            extra[name] = {"first": maps[-2], "greedy": greedy, "windows": [i for i, _ in chosen],
                           "scores": path}
            evaluations += n_eval
    sal = gaussian_blur(np.mean([_normalised(m) for m in maps], axis=0).astype(np.float32),
                        smooth)
    return sal, evaluations, None, extra


def minplus_map(model, image, target=None, preset="normal", window=None, stride=None,
                steps=None, threshold=None, smooth=None, baseline="black", progress=True):
    """MinPlus saliency map of a face (or any image) for a black-box score.

    Parameters
    ----------
    model, image, target : as :func:`minplus.saliency.occlusion`; for verification, ``target``
        is typically a callable giving the similarity to the reference face.
    preset : {"normal", "fast"}
        Defaults for window, stride, steps and threshold (see the module docstring).
    window, stride : int, optional
        Gaussian window size and grid step in pixels (default: the preset's, scaled by
        min(H, W) / 256).
    steps : int, optional
        Most greedy steps per phase.
    threshold : float, optional
        A phase stops when its best window changes the score by less than this.
    smooth : float, optional
        Sigma of the final Gaussian smoothing, pixels (default: the stride).
    baseline : str or ndarray
        What removed windows fade to.

    Returns
    -------
    SaliencyMap: map (H, W) float32, larger = more important; ``extra["minus"]`` and
    ``extra["plus"]`` hold each phase's first-step and greedy maps, chosen windows and score path.

    Examples
    --------
    >>> img = np.zeros((32, 32, 1), np.float32); img[4:12, 4:12] = 1
    >>> m = minplus_map(lambda x: x[:, 4:12, 4:12].mean(axis=(1, 2, 3)), img, preset="fast",
    ...                 progress=False)
    >>> bool(m.map[4:12, 4:12].mean() > 2 * m.map[16:, 16:].mean())
    True
    """
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {preset!r}")
    p = PRESETS[preset]
    arr = np.asarray(image)
    scale = min(arr.shape[:2] if arr.ndim <= 3 else arr.shape[1:3]) / 256.0
    window = int(window or max(3, round(p["window"] * scale)))
    stride = int(stride or max(1, round(p["stride"] * scale)))
    steps = int(p["steps"] if steps is None else steps)
    threshold = float(p["threshold"] if threshold is None else threshold)
    smooth = float(stride if smooth is None else smooth)
    if window < 1 or stride < 1 or steps < 1:
        raise ValueError(f"need window, stride, steps >= 1; got {window}, {stride}, {steps}")
    return run("minplus", model, image, target, _minplus_one, window=window, stride=stride,
               steps=steps, threshold=threshold, smooth=smooth, baseline=baseline,
               progress=progress)
