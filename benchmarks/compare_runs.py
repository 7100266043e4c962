"""Dataset runs: images per second of ``minplus.run`` with the local engine, a 2-process pool
and Ray Data (2 actors on a local Ray), for real face models on real faces.

Faces: the first ``--faces`` of scikit-image's ``lfw_subset()`` (100 LFW faces, 25 x 25
grayscale, upscaled to 100 x 100 RGB), face68 regions fitted in the whole crop
(``face_box="full"``). Models: the gender and age networks (``GenderClassifier``,
``AgeEstimator``, ``face_box="full"``) and dlib's face verifier (each face against the first).
Every engine writes the same rows (checked here, timings aside); the figure is rows over the
wall time of the ``minplus.run`` call, start-up (spawning workers, starting actors, loading the
model in each) included.

The default search is ``greedy`` (about n + 1 queries per face): the exact search of a dlib
non-match visits all 2^7 subsets (about 30 s a face on 2 cores), which would make the default
run long; ``--mode exact`` measures that instead.

Run: python -m benchmarks.compare_runs [--faces N] [--models gender,age[,dlib]]
     [--engines local,pool,ray] [--mode greedy|exact] [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time

import numpy as np

import minplus


def lfw_faces(count: int) -> list:
    """``(id, (100, 100, 3) uint8 face, metadata)`` for the first ``count`` LFW faces."""
    from skimage import data, transform

    faces = data.lfw_subset()[:100]  # the first 100 are faces, the rest are not
    if count > len(faces):
        raise SystemExit(f"lfw_subset has {len(faces)} faces, asked for {count}")
    out = []
    for i, face in enumerate(faces[:count]):
        big = (transform.resize(face, (100, 100)) * 255).astype(np.uint8)
        out.append((f"lfw-{i:03d}", np.repeat(big[..., None], 3, axis=2), {"n": i}))
    return out


def gender():
    from minplus.models import GenderClassifier

    return GenderClassifier(face_box="full")


def age():
    from minplus.models import AgeEstimator

    return AgeEstimator(face_box="full")


def verifier():
    from minplus.models import DlibFaceRecognizer

    return DlibFaceRecognizer(face_box="full")


def model_cases(faces) -> dict:
    """name -> (factory, decision) of each model measured."""
    from minplus.models import AgeBracket, Classification, Verification

    return {"gender": (gender, Classification()), "age": (age, AgeBracket()),
            "dlib": (verifier, Verification(faces[0][1], threshold=0.6))}


def comparable(table):
    return table.drop_columns(list(minplus.run.TIMING_COLUMNS)).to_pylist()


def measure(faces, name, factory, decision, engine, mode, root) -> dict:
    out = os.path.join(root, f"{name}-{engine}")
    shutil.rmtree(out, ignore_errors=True)
    options = {"local": {}, "pool": {"workers": 2}, "ray": {"engine": "ray", "workers": 2}}
    started = time.perf_counter()
    done = minplus.run(faces, factory, decision, out=out, regions="face68", face_box="full",
                       mode=mode, progress=False, part_rows=16, **options[engine])
    seconds = time.perf_counter() - started
    table = done.read()
    queries = [q for q in table.column("queries").to_pylist() if q is not None]
    return dict(model=name, engine=engine if engine != "pool" else "pool (workers=2)",
                images=done.rows, errors=done.errors, seconds=seconds,
                per_s=done.rows / seconds, queries=float(np.mean(queries)) if queries else 0.0,
                rows=comparable(table))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--faces", type=int, default=100)
    p.add_argument("--models", default="gender,age",
                   help="gender,age,dlib (dlib: about 10 min more on a shared 2-core machine)")
    p.add_argument("--engines", default="local,pool,ray")
    p.add_argument("--mode", default="greedy", choices=("greedy", "exact"))
    p.add_argument("--quick", action="store_true", help="20 faces")
    args = p.parse_args(argv)
    faces = lfw_faces(20 if args.quick else args.faces)
    engines = args.engines.split(",")
    if "ray" in engines:
        import ray

        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        # The actors import this module (the factories) and minplus from this checkout.
        ray.init(num_cpus=2, log_to_driver=False, include_dashboard=False,
                 runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(
                     [os.path.dirname(os.path.dirname(os.path.abspath(minplus.__file__))),
                      here])}})
    cases = model_cases(faces)
    rows = []
    with tempfile.TemporaryDirectory() as root:
        for name in args.models.split(","):
            factory, decision = cases[name]
            results = [measure(faces, name, factory, decision, e, args.mode, root)
                       for e in engines]
            same = all(r["rows"] == results[0]["rows"] for r in results)
            for r in results:
                r["same"] = same
                rows.append(r)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}; {len(faces)} LFW faces, face68 (7 regions), "
          f"mode {args.mode}")
    print("| model | engine | images | errors | mean queries | seconds | images/s | "
          "rows equal local |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['engine']} | {r['images']} | {r['errors']} | "
              f"{r['queries']:.1f} | {r['seconds']:.1f} | {r['per_s']:.2f} | "
              f"{'yes' if r['same'] else 'NO'} |")


if __name__ == "__main__":
    main()
