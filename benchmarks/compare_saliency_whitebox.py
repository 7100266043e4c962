"""White-box saliency vs Captum, measured in one run: same model, same input, same model
evaluations, each tool at its best batch setting in {1, 8, 64}; plus the model alone.

The model is a small CNN (4 conv layers, 8-16-32-32 channels, GAP, 10 classes) with seeded
weights; the input is a 112x112 real face (scikit-image's astronaut) as the same (1, 3, 112, 112)
tensor for both tools; CPU only. Captum's attributions are reduced to the same (H, W) map as ours
(sum over channels; Grad-CAM upsampled bilinearly). "model alone" runs the same evaluations as
bare torch (forward + backward to the input, or to the CAM layer for the CAMs, batched the same
way, best batch), so overhead = tool - model alone.

Timing: by default torch runs on 1 thread and the clock is the process's CPU time, because the
development machine is shared with other jobs (load average several times its 2 cores): wall
time there measures the other jobs more than the tools. ``--threads 2 --wall`` times wall clock
on 2 threads instead.

Run: python -m benchmarks.compare_saliency_whitebox [--quick] [--threads N] [--wall]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import cv2
import numpy as np
import torch
from skimage import data

from minplus import saliency as S

SIZE = 112
BATCHES = (1, 8, 64)
IG_STEPS = 50
SG_SAMPLES = 16
TARGET = 3
CLOCK = time.perf_counter


class BenchCNN(torch.nn.Module):
    """conv3x3-relu-maxpool x3, conv3x3-relu, global average pool, linear: ~16k parameters."""

    def __init__(self, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        layers, c = [], 3
        for i, k in enumerate((8, 16, 32, 32)):
            layers += [torch.nn.Conv2d(c, k, 3, padding=1), torch.nn.ReLU()]
            layers += [torch.nn.MaxPool2d(2)] if i < 3 else []
            c = k
        self.features = torch.nn.Sequential(*layers)
        self.head = torch.nn.Linear(c, 10)

    def forward(self, x):
        return self.head(self.features(x).mean(dim=(2, 3)))


def face_image(size=SIZE) -> np.ndarray:
    face = data.astronaut()[30:230, 140:340]
    return np.ascontiguousarray(cv2.resize(face, (size, size), interpolation=cv2.INTER_AREA))


def best_seconds(fns: dict, repeat: int, min_time: float = 0.1) -> dict:
    """Best single-call time of each callable. Each round calls every callable in turn for at
    least ``min_time``, so that the other jobs on the shared machine slow them alike; the best
    call over ``repeat`` rounds is the least disturbed one."""
    for fn in fns.values():
        fn()
    best = {k: float("inf") for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            start = CLOCK()
            while CLOCK() - start < min_time:
                t0 = CLOCK()
                fn()
                best[k] = min(best[k], CLOCK() - t0)
    return best


def layout(x) -> torch.memory_format:
    """The memory format of an (N, C, H, W) tensor: channels-last or contiguous (NCHW)."""
    return torch.contiguous_format if x.is_contiguous() else torch.channels_last


def split(inputs, batch: int, fmt) -> list:
    """(N, C, H, W) -> batches of ``batch`` (the last one shorter) in memory format ``fmt``."""
    return [inputs[a:a + batch].contiguous(memory_format=fmt)
            for a in range(0, len(inputs), batch)]


def model_alone(model, grad_batches=(), forward_batches=()):
    """Bare torch on the batches the method evaluates: forward passes over ``forward_batches``
    and forward+backward passes (gradients to the input) over ``grad_batches``. The batches are
    built beforehand with the method's contents and sizes: the model's speed depends on both
    (max-pooling a batch of identical images runs faster than a batch of path points, and a
    batch of 33 runs slower than batches of 1 and 32 here)."""
    def run():
        with torch.no_grad():
            for xb in forward_batches:
                model(xb)
        for xb in grad_batches:
            xb = xb.detach().requires_grad_(True)
            torch.autograd.grad(model(xb)[:, TARGET].sum(), xb)
    return run


def path_points(x, n_steps):
    """IG's points from the zero baseline to ``x``, Gauss-Legendre alphas: (n_steps, C, H, W)."""
    alphas = 0.5 * (1 + np.polynomial.legendre.leggauss(n_steps)[0])
    return torch.as_tensor(alphas, dtype=x.dtype).view(-1, 1, 1, 1) * x


def score_cam_inputs(model, x, layer):
    """The Score-CAM masked inputs, (K, C, H, W): x times each min-max scaled upsampled channel."""
    seen = []
    hook = layer.register_forward_hook(lambda m, i, o: seen.append(o))
    with torch.no_grad():
        model(x)
    hook.remove()
    up = torch.nn.functional.interpolate(seen[0], size=x.shape[2:], mode="bilinear")[0]
    lo, hi = up.amin(dim=(1, 2), keepdim=True), up.amax(dim=(1, 2), keepdim=True)
    return x * ((up - lo) / (hi - lo + 1e-8))[:, None]


def model_alone_to_layer(model, x, layer):
    """Bare torch doing one forward pass and the backward pass down to ``layer``'s output."""
    def run():
        seen = []
        hook = layer.register_forward_hook(lambda m, i, o: seen.append(o))
        out = model(x)
        hook.remove()
        torch.autograd.grad(out[0, TARGET], seen[0])
    return run


def cases(model, x):
    """Each row: (our method, Captum's equivalent, our {batch: fn}, Captum's {batch: fn},
    model-alone {batch: fn}, evaluations)."""
    from captum.attr import (InputXGradient, IntegratedGradients, LayerAttribution, LayerGradCam,
                             NoiseTunnel, Saliency)

    layer = model.features[9]

    def captum_grad_cam():
        attr = LayerGradCam(model, layer).attribute(x, target=TARGET, relu_attributions=True)
        return LayerAttribution.interpolate(attr, (SIZE, SIZE), "bilinear")[0, 0]

    one = {1: model_alone(model, [x])}
    to_layer = {1: model_alone_to_layer(model, x, layer)}
    K = layer.out_channels
    fmt = layout(x)
    ig_ends = torch.cat([x, torch.zeros_like(x)]).contiguous(memory_format=fmt)
    noisy = x + 0.15 * torch.randn((SG_SAMPLES,) + tuple(x.shape[1:]),
                                   generator=torch.Generator().manual_seed(0))
    masked = score_cam_inputs(model, x, layer)
    return [
        ("saliency", "Saliency", {1: lambda: S.saliency(model, x, target=TARGET)},
         {1: lambda: Saliency(model).attribute(x, target=TARGET).sum(1)}, one, "1"),
        ("input_x_gradient", "InputXGradient",
         {1: lambda: S.input_x_gradient(model, x, target=TARGET)},
         {1: lambda: InputXGradient(model).attribute(x, target=TARGET).sum(1)}, one, "1"),
        (f"integrated_gradients ({IG_STEPS} steps, + gap)", "IntegratedGradients (+ delta)",
         {b: (lambda b=b: S.integrated_gradients(model, x, target=TARGET, n_steps=IG_STEPS,
                                                 internal_batch_size=b, progress=False))
          for b in BATCHES},
         {b: (lambda b=b: IntegratedGradients(model).attribute(
             x, target=TARGET, n_steps=IG_STEPS, internal_batch_size=b,
             return_convergence_delta=True)[0].sum(1)) for b in BATCHES},
         {b: model_alone(model, split(path_points(x, IG_STEPS), b, fmt), [ig_ends])
          for b in BATCHES}, f"{IG_STEPS} + 2 fwd"),
        (f"smoothgrad ({SG_SAMPLES} samples)", "NoiseTunnel(Saliency)",
         {b: (lambda b=b: S.smoothgrad(model, x, target=TARGET, stdev=0.15,
                                       n_samples=SG_SAMPLES, batch_size=b, progress=False))
          for b in BATCHES},
         {b: (lambda b=b: NoiseTunnel(Saliency(model)).attribute(
             x, nt_samples=SG_SAMPLES, nt_samples_batch_size=b, stdevs=0.15,
             target=TARGET).sum(1))
          for b in BATCHES},
         {b: model_alone(model, split(noisy, b, fmt), [x]) for b in BATCHES},
         f"{SG_SAMPLES} + 1 fwd"),
        ("grad_cam", "LayerGradCam + interpolate",
         {1: lambda: S.grad_cam(model, x, target=TARGET)}, {1: captum_grad_cam}, to_layer, "1"),
        ("grad_cam_pp", "(none; LayerGradCam)",
         {1: lambda: S.grad_cam_pp(model, x, target=TARGET)}, {1: captum_grad_cam}, to_layer, "1"),
        (f"score_cam ({K} masks)", "(none)",
         {b: (lambda b=b: S.score_cam(model, x, target=TARGET, batch_size=b, progress=False))
          for b in BATCHES}, {},
         {b: model_alone(model, (), [x] + split(masked, b, fmt)) for b in BATCHES}, f"1 + {K} fwd"),
    ]


def best_per_tool(tools: dict, repeat: int) -> dict:
    """{tool: (seconds, batch)} of each tool's fastest batch setting, all timed interleaved."""
    t = best_seconds({(tool, b): fn for tool, fns in tools.items() for b, fn in fns.items()},
                     repeat)
    out = {}
    for tool, fns in tools.items():
        b = min(fns, key=lambda b: t[tool, b]) if fns else None
        out[tool] = (t[tool, b], b) if fns else (float("nan"), None)
    return out


def machine() -> str:
    cpu = platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__} "
            f"({torch.get_num_threads()} threads), Python {platform.python_version()}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--wall", action="store_true", help="wall clock instead of CPU time")
    args = ap.parse_args(argv)
    repeat = 3 if args.quick else 9
    torch.set_num_threads(args.threads)
    global CLOCK
    CLOCK = time.perf_counter if args.wall else time.process_time
    warnings.filterwarnings("ignore", message="Input Tensor 0 did not already require gradients")
    model = BenchCNN().eval()
    hwc = torch.from_numpy(face_image().astype(np.float32) / np.float32(255))
    # Every tool gets the same image in both memory layouts and is reported at its best.
    inputs = {"NCHW": hwc.permute(2, 0, 1)[None].contiguous(),
              "NHWC": hwc[None].permute(0, 3, 1, 2)}
    rows = {name: cases(model, x) for name, x in inputs.items()}
    clock = "wall clock" if args.wall else "process CPU time"
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}; {clock}")
    print("| method | Captum equivalent | evaluations | model alone ms | Captum ms (best setting) "
          "| ours ms (best setting) | ours / Captum | overhead Captum ms | overhead ours ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for i, (name, ref_name, *_, evals) in enumerate(rows["NCHW"]):
        tools = {tool: {f"{b}, {lay}": fn for lay in inputs for b, fn in rows[lay][i][k].items()}
                 for tool, k in (("ours", 2), ("captum", 3), ("model", 4))}
        res = best_per_tool(tools, repeat)
        (t_model, _), (t_ref, b_ref), (t_ours, b_ours) = res["model"], res["captum"], res["ours"]
        has_ref = bool(tools["captum"])
        ref_cell = f"{1e3 * t_ref:.1f} ({b_ref})" if has_ref else "—"
        ratio = f"{t_ours / t_ref:.2f}x" if has_ref else "—"
        over_ref = f"{1e3 * (t_ref - t_model):.1f}" if has_ref else "—"
        print(f"| {name} | {ref_name} | {evals} | {1e3 * t_model:.1f} | {ref_cell} | "
              f"{1e3 * t_ours:.1f} ({b_ours}) | {ratio} | {over_ref} | "
              f"{1e3 * (t_ours - t_model):.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
