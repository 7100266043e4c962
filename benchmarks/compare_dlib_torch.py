"""dlib's face ResNet run by dlib vs by torch (DlibFaceRecognizer backends), in one run.

1. The network alone: descriptors per second on aligned 150 px chips of real faces at several
   batch sizes, each backend at its best batch, and the largest |torch - dlib| difference.
2. Through ``explain``: Grace Hopper verified against a shifted copy of herself (face68 coarse,
   exact), queries per second of the search and the search's own overhead as a fraction of the
   model's time.

Run: python -m benchmarks.compare_dlib_torch [--quick] [--threads N [N ...]]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import torch

from benchmarks.compare import best_seconds
from minplus import explain
from minplus.demo import sample_faces
from minplus.models import DlibFaceRecognizer, Verification

DLIB_BATCHES = (1, 8, 32)
TORCH_BATCHES = (1, 8, 16, 32, 64)


def real_chips(recognizer, faces, count: int) -> np.ndarray:
    """(count, 150, 150, 3) uint8: dlib's chips of the sample faces, repeated to ``count``."""
    chips = [recognizer.bind(im).warp(im) for im in faces.values()]
    return np.stack([chips[i % len(chips)] for i in range(count)])


def network_rows(chips, reference, recognizer, threads, quick: bool) -> list[dict]:
    """Descriptors/s of each backend's ``run`` on prepared chips, per batch (and torch threads)."""
    rows = []
    repeat = 2 if quick else 3
    for b in DLIB_BATCHES[:2] if quick else DLIB_BATCHES:
        batch = reference.prepare(chips[:b])
        t = best_seconds(lambda: reference.run(batch), repeat, min_time=0.0)
        rows.append(dict(backend="dlib", threads="-", batch=b, per_s=b / t))
    for n in threads:
        torch.set_num_threads(n)
        for b in TORCH_BATCHES[:3] if quick else TORCH_BATCHES:
            batch = recognizer.prepare(chips[:b])
            recognizer.run(batch)  # oneDNN builds its kernels for each new input shape
            t = best_seconds(lambda: recognizer.run(batch), repeat + 2, min_time=0.0)
            rows.append(dict(backend="torch", threads=n, batch=b, per_s=b / t))
    return rows


def explain_rows(faces, models: list) -> list[dict]:
    """One exact explanation per (name, torch threads, model): queries/s and search overhead."""
    rows = []
    for name, threads, model in models:
        if threads != "-":
            torch.set_num_threads(threads)
        t = time.perf_counter()
        e = explain(faces["hopper"], model, Verification(faces["hopper_shifted"]),
                    regions="face68:coarse", mode="exact", progress=False)
        total = time.perf_counter() - t
        search, model_s = e.seconds["search"], e.search["model_seconds"]
        rows.append(dict(backend=name, threads=threads, batch=model.batch_size,
                         queries=e.queries, search_s=search, model_s=model_s, total_s=total,
                         q_per_s=e.queries / search, overhead=(search - model_s) / model_s,
                         sets=(e.min_plus, e.min_minus)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer batches and repeats")
    parser.add_argument("--threads", type=int, nargs="+", default=sorted({1, os.cpu_count()}),
                        help="torch intra-op thread counts to try (default: 1 and all cores)")
    args = parser.parse_args()

    faces = sample_faces()
    reference = DlibFaceRecognizer()
    recognizer = DlibFaceRecognizer(backend="torch")
    chips = real_chips(reference, faces, max(TORCH_BATCHES))
    got = recognizer.run(recognizer.prepare(chips[:3]))
    parity = float(np.abs(got - reference.run(reference.prepare(chips[:3]))).max())

    rows = network_rows(chips, reference, recognizer, args.threads, args.quick)
    best = {k: max((r for r in rows if r["backend"] == k), key=lambda r: r["per_s"])
            for k in ("dlib", "torch")}
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch "
          f"{torch.__version__}, cuda: {torch.cuda.is_available()}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"max |torch - dlib| over {len(got)} real-face descriptors: {parity:.1e}\n")
    print("| backend | torch threads | batch | descriptors/s |")
    print("|---|---|---|---|")
    for r in rows:
        mark = " (best)" if r is best[r["backend"]] else ""
        print(f"| {r['backend']} | {r['threads']} | {r['batch']} | {r['per_s']:.1f}{mark} |")
    ratio = best["torch"]["per_s"] / best["dlib"]["per_s"]
    verdict = "met" if ratio >= 3 else "NOT met"
    print(f"\ntorch at its best batch ({best['torch']['batch']}, {best['torch']['threads']} "
          f"threads) / dlib at its best batch ({best['dlib']['batch']}): {ratio:.1f}x "
          f"(target >= 3x: {verdict})\n")

    torch_model = DlibFaceRecognizer(backend="torch", batch_size=best["torch"]["batch"])
    models = [("dlib", "-", DlibFaceRecognizer(batch_size=best["dlib"]["batch"]))]
    models += [("torch", n, torch_model) for n in args.threads]
    ex = explain_rows(faces, models)
    print("| explain (face68:coarse, exact, match) | torch threads | model batch | queries | "
          "search s | model s | queries/s | search overhead / model time | total s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in ex:
        print(f"| {r['backend']} | {r['threads']} | {r['batch']} | {r['queries']} | "
              f"{r['search_s']:.2f} | {r['model_s']:.2f} | {r['q_per_s']:.1f} | "
              f"{r['overhead']:.3f} | {r['total_s']:.2f} |")
    same = all(r["sets"] == ex[0]["sets"] for r in ex)
    print(f"\nsame Min+/Min- sets from both backends: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
