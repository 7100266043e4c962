"""Core throughput as ratios measured in one run: fused masking vs numpy and vs memcpy bandwidth,
enumeration vs itertools (and the CUDA path vs device-to-device copies when a GPU is present).

Run: python -m benchmarks.compare [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import time

import numpy as np

import minplus
from benchmarks.workloads import numpy_reference, workload
from minplus import Masker, core

NORM = dict(layout="nchw", scale=1 / 255, mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])


def best_seconds(fn, repeat: int = 7, min_time: float = 0.05) -> float:
    """Best wall time of one call, each sample looping until it lasts at least min_time."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        loops, t0 = 0, time.perf_counter()
        while True:
            fn()
            loops += 1
            dt = time.perf_counter() - t0
            if dt >= min_time:
                break
        best = min(best, dt / loops)
    return best


def masking_rows(size: int, B: int, repeat: int) -> list[tuple]:
    image, labels, masks = workload(size, size, B)
    m = Masker(image, labels, baseline="blur")
    hwc = np.empty(m.output_shape(B), np.uint8)
    nchw = np.empty(m.output_shape(B, "nchw"), np.float32)
    src8, dst8 = np.ones_like(hwc), np.empty_like(hwc)
    src32, dst32 = np.ones_like(nchw), np.empty_like(nchw)
    t_copy8 = best_seconds(lambda: np.copyto(dst8, src8), repeat)
    t_copy32 = best_seconds(lambda: np.copyto(dst32, src32), repeat)
    t_one = best_seconds(lambda: m.render(masks, out=hwc, num_threads=1), repeat)
    t_all = best_seconds(lambda: m.render(masks, out=hwc), repeat)
    t_nchw = best_seconds(lambda: m.render(masks, out=nchw, **NORM), repeat)
    t_np = best_seconds(lambda: numpy_reference(m.image, m.baseline, m.labels, masks, m.n),
                        max(2, repeat // 3), min_time=0.0)
    gb8, gb32 = hwc.nbytes / 1e9, nchw.nbytes / 1e9
    tag = f"{size}x{size}x3 B={B}"
    memcpy8 = gb8 / t_copy8
    return [
        (tag, "memcpy (np.copyto) uint8", gb8 / t_copy8, 1.0, ""),
        (tag, "numpy reference (np.where)", gb8 / t_np, (gb8 / t_np) / memcpy8, ""),
        (tag, "minplus hwc uint8, 1 thread", gb8 / t_one, (gb8 / t_one) / memcpy8,
         f"{t_np / t_one:.0f}x numpy"),
        (tag, "minplus hwc uint8, all threads", gb8 / t_all, (gb8 / t_all) / memcpy8,
         f"{t_np / t_all:.0f}x numpy"),
        (tag, "memcpy (np.copyto) float32", gb32 / t_copy32, 1.0, ""),
        (tag, "minplus nchw float32 normalised", gb32 / t_nchw, (gb32 / t_nchw) / (gb32 / t_copy32),
         "vs float32 memcpy"),
    ]


def enumeration_rows(repeat: int) -> list[tuple]:
    n, k = 40, 8
    cnt = 20_000_000
    out = np.empty(cnt, np.uint64)
    t_ours = best_seconds(lambda: core.level(n, k, start=1000, count=cnt, out=out), repeat)
    m_it = 200_000
    t_it = best_seconds(lambda: [sum(1 << i for i in c) for c in
                                 itertools.islice(itertools.combinations(range(n), k), m_it)],
                        max(2, repeat // 3), min_time=0.0)
    ours, it = cnt / t_ours / 1e6, m_it / t_it / 1e6
    return [
        ("level(40, 8)", "minplus level fill, 1 thread", ours, None, f"{ours / it:.0f}x itertools"),
        ("level(40, 8)", "itertools.combinations -> bitmask", it, None, ""),
    ]


def cuda_rows(size: int, B: int, repeat: int) -> list[tuple]:
    import torch

    image, labels, masks = workload(size, size, B)
    m = Masker(image, labels, baseline="blur")
    out = torch.empty(m.output_shape(B), dtype=torch.uint8, device="cuda")
    src = torch.ones_like(out)

    def timed(fn):
        def run():
            fn()
            torch.cuda.synchronize()
        return best_seconds(run, repeat)

    t_copy = timed(lambda: out.copy_(src))
    t_ours = timed(lambda: m.render(masks, out=out))
    gb = out.numel() / 1e9
    tag = f"{size}x{size}x3 B={B} (GPU)"
    return [(tag, "device-to-device copy", gb / t_copy, 1.0, ""),
            (tag, "minplus CUDA hwc uint8", gb / t_ours, t_copy / t_ours, "")]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--batch", type=int, default=256)
    args = ap.parse_args(argv)
    repeat = 3 if args.quick else 7
    rows = []
    for size in (112, 224):
        rows += masking_rows(size, args.batch, repeat)
        if minplus.cuda_available():
            rows += cuda_rows(size, args.batch, repeat)
    rows += enumeration_rows(repeat)
    print(f"machine: {machine()}; CUDA available: {minplus.cuda_available()}")
    print("| workload | what | GB/s or M masks/s | fraction of memcpy | note |")
    print("|---|---|---|---|---|")
    for tag, what, rate, frac, note in rows:
        fr = "" if frac is None else f"{frac:.2f}"
        print(f"| {tag} | {what} | {rate:.2f} | {fr} | {note} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
