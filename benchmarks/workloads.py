"""Shared benchmark inputs (a face-like region map and random kept-masks, seeded) and the
interleaved timing the comparison scripts use."""

import time

import numpy as np


def face_like_labels(H: int, W: int, n: int = 12) -> np.ndarray:
    """(H, W) int32: an elliptical face split into a rows x cols grid of n regions, context (-1)
    outside, so each row holds a few long runs as a real face parse does."""
    y, x = np.mgrid[0:H, 0:W]
    inside = ((y - H / 2) / (0.45 * H)) ** 2 + ((x - W / 2) / (0.38 * W)) ** 2 <= 1
    rows, cols = (4, 3) if n == 12 else (int(np.ceil(n / 4)), 4)
    cell = (y * rows // H) * cols + (x * cols // W)
    return np.where(inside, cell % n, -1).astype(np.int32)


def workload(H: int, W: int, B: int = 256, n: int = 12, seed: int = 0):
    """image (H, W, 3) uint8, labels, masks (B,) uint64."""
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    masks = rng.integers(0, 2**n, B).astype(np.uint64)
    return image, face_like_labels(H, W, n), masks


def numpy_reference(image, baseline, labels, masks, n):
    """The straightforward numpy renderer: np.where over a gathered bit table."""
    bits = ((masks[:, None] >> np.arange(n, dtype=np.uint64)) & np.uint64(1)).astype(bool)
    bits = np.concatenate([bits, np.ones((len(masks), 1), bool)], axis=1)  # column -1: context
    keep = bits[:, labels]
    return np.where(keep[..., None], image[None], baseline[None])


def interleaved(fns: dict, rounds: int) -> tuple[dict, dict]:
    """Best wall time of each named call over ``rounds`` rounds that run every call in turn, so a
    burst of load from other jobs hits all of them alike; and each call's last result."""
    best, out = {k: float("inf") for k in fns}, {}
    for _ in range(rounds):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            out[k] = fn()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best, out
