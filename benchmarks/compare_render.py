"""Render in the model's frame vs mask-then-warp, in one run: speed and decision agreement.

For each real face model of the demo (dlib's verifier on the torch backend, 150 px chips; the
gender network, 32 px; the age network, 64 px), scores all 2^7 kept-masks of Grace Hopper's
coarse face regions through :class:`minplus.evaluate.Evaluation` with ``render="image"`` and
``render="frame"``, and prints the seconds (best of ``--repeats``), the ratio, and how many of the
128 decisions agree.

    python -m benchmarks.compare_render [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def cases():
    from minplus.demo import sample_faces
    from minplus.models import (AgeEstimator, Classification, DlibFaceRecognizer,
                                GenderClassifier, Verification)
    from minplus.models.age_gender import ExpectedAge

    faces = sample_faces()
    return faces, [
        ("dlib verifier (torch), 150 px", DlibFaceRecognizer(backend="torch"),
         Verification(faces["hopper_shifted"], threshold=0.6)),
        ("gender network, 32 px", GenderClassifier(), Classification()),
        ("age network, 64 px", AgeEstimator(), ExpectedAge(5.0)),
    ]


def main(argv=None) -> int:
    import minplus
    from minplus.evaluate import Evaluation

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    faces, rows = cases()
    masker = minplus.parse_regions(faces["hopper"], "face68").masker("blur")
    masks = np.arange(2 ** masker.n, dtype=np.uint64)
    print(f"{'model':32s} {'image s':>8s} {'frame s':>8s} {'speed-up':>8s} {'agree':>8s}")
    for name, model, decision in rows:
        decision.prepare(model)
        out = {}
        for render in ("image", "frame"):
            ev = Evaluation(model, masker, render=render)
            best = np.inf
            for _ in range(args.repeats):
                t = time.perf_counter()
                scores = ev.scores(masks)
                best = min(best, time.perf_counter() - t)
            out[render] = (best, scores, ev.original)
        d = decision.bind(out["image"][2])
        agree = int((d(out["image"][1]) == d(out["frame"][1])).sum())
        print(f"{name:32s} {out['image'][0]:8.3f} {out['frame'][0]:8.3f} "
              f"{out['image'][0] / out['frame'][0]:7.2f}x {agree:4d}/{len(masks)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
