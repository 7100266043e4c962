"""Black-box saliency vs Captum 0.9 in one run: time, model time and overhead at equal model
evaluations; exact region Shapley vs Captum's ShapleyValueSampling at equal accuracy; the MinPlus
map against a batch-1 implementation of the same algorithm.

Every method explains class 3 of the same fixed-weight 3-conv CNN (tests/blackbox_reference.py)
on a real photo at 112 x 112 on the CPU. Captum runs at its best perturbations_per_eval in
{1, 8, 64}; ours scores through a numpy callable at its best batch_size in {8, 64}. "model" is the
network alone on the same number of inputs at its best batch in {8, 64}; overhead = time - model.
MinPlus runs at batch 8 (at 256 x 256 this CNN is 3x slower per image in batches of 64: cache).

Run: OMP_NUM_THREADS=1 PYTHONPATH=python:. python -m benchmarks.compare_saliency_blackbox [--quick]
(one thread for torch and the core alike: on a 2-core machine shared with other jobs, OpenMP
barriers under oversubscription make multi-threaded timings swing by up to 10x)
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import torch
from captum.attr import FeatureAblation, KernelShap, Lime, Occlusion, ShapleyValueSampling

from benchmarks.blackbox_workloads import (MODEL, NET, TARGET, ClosedFormRegression,
                                           astronaut_image, feature_mask, grid_labels,
                                           model_alone, nchw)
from benchmarks.workloads import interleaved
from minplus.models.base import as_model
from minplus.saliency import (kernel_shap, lime, occlusion, region_occlusion, rise,
                              shapley_values)
from minplus.saliency.rise import rise_masks


BATCHES = (8, 64)  # our adapter's batch_size, as Captum's perturbations_per_eval in {1, 8, 64}


def numpy_rise(image, n_masks, s, p, seed):
    """RISE as the paper's code does it: masks from the same core generator, then numpy
    blending of the whole batch and the model called on it (no fused rendering)."""
    H, W = image.shape[:2]
    total = np.zeros((H, W))
    for first in range(0, n_masks, 256):
        m = rise_masks(min(256, n_masks - first), (H, W), s, p, seed, first)
        scores = np.concatenate([MODEL(image[None] * m[i:i + 64, :, :, None])[:, TARGET]
                                 for i in range(0, len(m), 64)])
        total += np.tensordot(scores, m, axes=1)
    return total / (n_masks * p)


def method_rows(size: int, repeat: int, quick: bool) -> list[tuple]:
    img = astronaut_image(size)
    x = nchw(img)
    labels = grid_labels(size, 7)  # 49 regions
    mask = feature_mask(labels)
    n_samples = 200 if quick else 500
    models = {b: as_model(MODEL, batch_size=b) for b in BATCHES}
    rows = []

    def add(name, ours_fn, captum_fn, evaluations, check):
        """ours_fn(model) at each batch size, captum_fn(ppe) at each ppe, the model alone at each
        batch size; every group keeps its best."""
        fns = {("ours", b): (lambda b=b: ours_fn(models[b])) for b in BATCHES}
        fns.update({("model", b): model_alone(img, evaluations, b) for b in BATCHES})
        if captum_fn is not None:
            fns.update({("captum", p): (lambda p=p: captum_fn(p)) for p in (1, 8, 64)})
        t, out = interleaved(fns, repeat)
        best = {g: min((k for k in t if k[0] == g), key=t.get, default=None)
                for g in ("ours", "model", "captum")}
        ref = best["captum"]
        rows.append((name, evaluations, t[best["ours"]], t[ref] if ref else None,
                     ref[1] if ref else None, t[best["model"]],
                     check(out[best["ours"]], out[ref] if ref else None), best["ours"][1]))

    add("occlusion 16/8",
        lambda m: occlusion(m, img, TARGET, window=16, stride=8, progress=False),
        lambda ppe: Occlusion(NET).attribute(x, sliding_window_shapes=(3, 16, 16),
                                             strides=(3, 8, 8), baselines=0.0, target=TARGET,
                                             perturbations_per_eval=ppe),
        1 + len(np.arange(0, size - 16 + 1, 8)) ** 2,
        lambda o, r: f"max |diff| {np.abs(o.map - r[0, 0].numpy()).max():.1e}")
    add("region occlusion (49)",
        lambda m: region_occlusion(m, img, regions=labels, target=TARGET, progress=False),
        lambda ppe: FeatureAblation(NET).attribute(x, baselines=0.0, target=TARGET,
                                                   feature_mask=mask, perturbations_per_eval=ppe),
        50, lambda o, r: f"max |diff| {np.abs(o.map - r[0, 0].numpy()).max():.1e}")
    add(f"LIME (49 regions, {n_samples})",
        lambda m: lime(m, img, regions=labels, target=TARGET, n_samples=n_samples, progress=False),
        lambda ppe: Lime(NET, interpretable_model=ClosedFormRegression()).attribute(
            x, baselines=0.0, target=TARGET, feature_mask=mask, n_samples=n_samples,
            perturbations_per_eval=ppe),
        n_samples, lambda o, r: "different kernels: not compared")
    add(f"KernelSHAP (49 regions, {n_samples})",
        lambda m: kernel_shap(m, img, regions=labels, target=TARGET, n_samples=n_samples - 2, progress=False),
        lambda ppe: _captum_kernel_shap(x, mask, n_samples, ppe), n_samples,
        lambda o, r: f"map corr {np.corrcoef(o.map.ravel(), r[0, 0].numpy().ravel())[0, 1]:.2f}")
    n_masks = 500 if quick else 2000
    add(f"RISE ({n_masks} masks, s=8)",
        lambda m: rise(m, img, TARGET, n_masks=n_masks, s=8, progress=False),
        None, n_masks, lambda o, r: o)
    t, out = interleaved({"numpy": lambda: numpy_rise(img, n_masks, 8, 0.5, 0)}, repeat)
    diff = np.abs(rows[-1][6].map - out["numpy"]).max()
    rows[-1] = rows[-1][:3] + (t["numpy"], "numpy RISE") + rows[-1][5:6] + (
        f"vs numpy RISE (batches of 64): max |diff| {diff:.1e}",) + rows[-1][7:]
    return rows


def null_overhead_rows(size: int, repeat: int, quick: bool) -> list[tuple]:
    """Each tool's overhead measured directly: the same calls with a model that costs nothing
    (zeros of the right shape), so no model time has to be subtracted out of a noisy total."""
    img = astronaut_image(size)
    x = nchw(img)
    labels = grid_labels(size, 7)
    mask = feature_mask(labels)
    n_samples = 200 if quick else 500
    ours = as_model(lambda a: np.zeros((len(a), 10)), batch_size=64)
    null = lambda t: t.new_zeros(len(t), 10)
    cases = [
        ("occlusion 16/8",
         lambda: occlusion(ours, img, 0, window=16, stride=8, progress=False),
         lambda p: Occlusion(null).attribute(x, sliding_window_shapes=(3, 16, 16),
                                             strides=(3, 8, 8), baselines=0.0, target=0,
                                             perturbations_per_eval=p)),
        ("region occlusion (49)",
         lambda: region_occlusion(ours, img, regions=labels, target=0, progress=False),
         lambda p: FeatureAblation(null).attribute(x, baselines=0.0, target=0, feature_mask=mask,
                                                   perturbations_per_eval=p)),
        (f"LIME (49 regions, {n_samples})",
         lambda: lime(ours, img, regions=labels, target=0, n_samples=n_samples, progress=False),
         lambda p: Lime(null, interpretable_model=ClosedFormRegression()).attribute(
             x, baselines=0.0, target=0, feature_mask=mask, n_samples=n_samples,
             perturbations_per_eval=p)),
        (f"KernelSHAP (49 regions, {n_samples})",
         lambda: kernel_shap(ours, img, regions=labels, target=0, n_samples=n_samples - 2, progress=False),
         lambda p: _captum_kernel_shap(x, mask, n_samples, p, null)),
    ]
    rows = []
    for name, ours_fn, captum_fn in cases:
        fns = {"ours": ours_fn, **{p: (lambda p=p: captum_fn(p)) for p in (8, 64)}}
        t, _ = interleaved(fns, max(repeat, 3))
        ppe = min((8, 64), key=t.get)
        rows.append((name, t["ours"], t[ppe], ppe))
    return rows


def _captum_kernel_shap(x, mask, n_samples, ppe, net=NET):
    ks = KernelShap(net)
    ks.interpretable_model = ClosedFormRegression()
    return ks.attribute(x, baselines=0.0, target=TARGET, feature_mask=mask, n_samples=n_samples,
                        perturbations_per_eval=ppe)


def shapley_rows(size: int, quick: bool) -> list[tuple]:
    """Exact lattice Shapley (n = 10 regions) vs ShapleyValueSampling until it is as accurate."""
    img = astronaut_image(size)
    x = nchw(img)
    labels = np.repeat((np.arange(size) * 10 // size)[None], size, axis=0)  # 10 vertical bands
    mask = feature_mask(labels)
    t, out = interleaved({"ours": lambda: shapley_values(as_model(MODEL, batch_size=64), img,
                                                         TARGET, regions=labels,
                                                         progress=False)}, 2)
    t_ours, ours = t["ours"], out["ours"]
    exact = np.array(list(ours.regions.values()))
    tol = 0.01 * np.abs(exact).max()
    rows = [("exact lattice Shapley (ours)", ours.evaluations, t_ours, 0.0)]
    for perms in (5, 20, 80):
        torch.manual_seed(0)
        t0 = time.perf_counter()
        ref = ShapleyValueSampling(NET).attribute(x, baselines=0.0, target=TARGET,
                                                  feature_mask=mask, n_samples=perms,
                                                  perturbations_per_eval=64)
        t = time.perf_counter() - t0
        vals = np.array([ref[0, 0][torch.from_numpy(labels) == r][0].item() for r in range(10)])
        rows.append((f"Captum ShapleyValueSampling, {perms} permutations", perms * 10 + 1, t,
                     np.abs(vals - exact).max()))
    return rows, tol


def machine() -> str:
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared), "
            f"torch {torch.__version__} ({torch.get_num_threads()} threads), Python "
            f"{platform.python_version()}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer samples and repeats")
    args = ap.parse_args(argv)
    repeat = 1 if args.quick else 4
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    print("\n| method (112x112) | evals | ours s | Captum s (ppe) | model s | ours overhead | "
          "Captum overhead | time ratio | overhead ratio | agreement |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, ev, t, t_ref, ppe, t_model, check, batch in method_rows(112, repeat, args.quick):
        name = f"{name}, ours at batch {batch}"
        o = t - t_model
        if t_ref is None:
            print(f"| {name} | {ev} | {t:.3f} | - | {t_model:.3f} | {o:.3f} | - | - | - | "
                  f"{check} |")
            continue
        o_ref = t_ref - t_model
        print(f"| {name} | {ev} | {t:.3f} | {t_ref:.3f} ({ppe}) | {t_model:.3f} | {o:.3f} | "
              f"{o_ref:.3f} | {t / t_ref:.2f}x | {o / o_ref:.2f}x | {check} |")
    print("\n| overhead with a zero-cost model (112x112) | ours s | Captum s (ppe) | ratio |")
    print("|---|---|---|---|")
    for name, t, t_ref, ppe in null_overhead_rows(112, repeat, args.quick):
        print(f"| {name} | {t:.4f} | {t_ref:.4f} ({ppe}) | {t / t_ref:.2f}x |")
    rows, tol = shapley_rows(112, args.quick)
    print(f"\n| Shapley, 10 regions (112x112) | evals | seconds | max abs error vs exact "
          f"(target {tol:.1e} = 1% of max |phi|) |")
    print("|---|---|---|---|")
    for name, ev, t, err in rows:
        print(f"| {name} | {ev} | {t:.3f} | {err:.1e} |")
    # The MinPlus heatmap has its own one-run comparison: benchmarks/compare_minplus_map.py.
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
