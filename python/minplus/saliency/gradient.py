"""Gradient saliency: vanilla gradient, gradient x input, Integrated Gradients, SmoothGrad.

Every method attributes to the model's input tensor (C, h, w) exactly as Captum does, then the
map is the **sum over channels** of those attributions (resized bilinearly to the image's H, W
when a callable ``preprocess`` changed the size). With ``abs=True`` (the default of
:func:`saliency`, as in Captum's ``Saliency``) the map is sum_c |dS/dx_c|; with ``abs=False`` it
is the signed sum_c dS/dx_c.

``evaluations`` counts model passes on single images: forward+backward passes on the gradient
path plus forward-only passes (the clean score, IG's endpoints); ``extra["backward_passes"]``
counts the former.
"""

from __future__ import annotations

import numpy as np
import torch

from ..baselines import gaussian_blur
from .whitebox import (channel_sum, channels_last, chunks, explain_images, input_gradients,
                       outputs_of, prepare_like)
from .targets import as_target
from ..arguments import choice
from ..errors import ArgumentError

IG_METHODS = ("riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid",
              "gausslegendre")
NOISE_TYPES = ("smoothgrad", "smoothgrad_sq", "vargrad")


# Tensor-level attributions: (N, C, h, w) inputs and a resolved target -> (N, C, h, w)
# attributions and the number of forward+backward passes. SmoothGrad wraps these.

def _gradient_attributions(model, inputs, target, batch_size=None, abs=True, progress=False,
                           multiply_by_inputs=False):
    out = torch.empty_like(inputs)
    for a, b in chunks(len(inputs), batch_size, progress, "gradients"):
        grads, _, _ = input_gradients(model, inputs[a:b], target)
        if multiply_by_inputs:
            grads = grads * inputs[a:b]
        out[a:b] = grads.abs() if abs else grads
    return out, len(inputs)


def _input_x_gradient_attributions(model, inputs, target, batch_size=None, progress=False):
    return _gradient_attributions(model, inputs, target, batch_size, abs=False,
                                  progress=progress, multiply_by_inputs=True)


def path_coefficients(method: str, n_steps: int):
    """Captum's quadrature for IG: (alphas, step sizes), each (n_steps,) float64.

    Examples
    --------
    >>> a, w = path_coefficients("riemann_trapezoid", 3)
    >>> a.tolist(), w.tolist()
    ([0.0, 0.5, 1.0], [0.16666666666666666, 0.3333333333333333, 0.16666666666666666])
    """
    choice("method", method, IG_METHODS)
    n = int(n_steps)
    if n < (1 if method == "gausslegendre" else 2):
        raise ArgumentError(f"n_steps must be >= 2 (>= 1 for gausslegendre), got {n_steps}")
    if method == "gausslegendre":
        x, w = np.polynomial.legendre.leggauss(n)
        return 0.5 * (1.0 + x), 0.5 * w
    steps = np.full(n, 1.0 / n)
    if method == "riemann_trapezoid":
        steps[[0, -1]] /= 2
        return np.linspace(0.0, 1.0, n), steps
    lo, hi = {"riemann_left": (0.0, 1.0 - 1.0 / n), "riemann_middle": (0.5 / n, 1.0 - 0.5 / n),
              "riemann_right": (1.0 / n, 1.0)}[method]
    return np.linspace(lo, hi, n), steps


def _ig_attributions(model, inputs, target, baselines=None, n_steps=50,
                     method="gausslegendre", internal_batch_size=None, progress=False):
    alphas, steps = (torch.as_tensor(v, dtype=inputs.dtype, device=inputs.device)
                     for v in path_coefficients(method, n_steps))
    if baselines is None:
        baselines = torch.zeros_like(inputs)
    n, (c, h, w) = len(inputs), inputs.shape[1:]
    diff = inputs - baselines
    # Rows [baselines; diffs], flattened channels-last: the path points of a chunk are one
    # matrix product with coefficients (1 on a point's baseline, alpha on its diff) written into
    # one reused buffer, and its weighted gradients are added back to their inputs by another
    # product, so no n_steps x N copy of the path is ever materialised.
    ends = torch.cat([baselines, diff]).permute(0, 2, 3, 1).reshape(2 * n, -1)
    total = n * len(alphas)
    point, image = torch.arange(total), torch.arange(total) // len(alphas)
    step = point % len(alphas)
    coef = torch.zeros(total, 2 * n, dtype=inputs.dtype)
    coef[point, image] = 1.0
    coef[point, n + image] = alphas.cpu()[step]
    coef = coef.to(inputs.device)
    weights = coef[:, :n].t() * steps[step.to(inputs.device)]
    acc = torch.zeros_like(ends[:n])
    size = total if internal_batch_size is None else min(total, int(internal_batch_size))
    buffer = torch.empty(size, ends.shape[1], dtype=inputs.dtype, device=inputs.device)
    for a, b in chunks(total, internal_batch_size, progress, "integrated gradients"):
        # The buffer is safe to overwrite: the previous chunk's graph is gone after its backward.
        flat = torch.mm(coef[a:b], ends, out=buffer[:b - a])
        grads, _, _ = input_gradients(model, flat.view(b - a, h, w, c).permute(0, 3, 1, 2),
                                      target)
        acc.addmm_(weights[:, a:b], grads.permute(0, 2, 3, 1).reshape(b - a, -1))
    return acc.view(n, h, w, c).permute(0, 3, 1, 2) * diff, total


def _input_baseline(baseline, x, raw, preprocess, sigma):
    """IG's baseline in the model's input space, shaped like ``x`` (1, C, h, w)."""
    if isinstance(baseline, str):
        if baseline == "zeros" or (baseline == "black" and raw is None):
            return torch.zeros_like(x)
        if baseline == "black":
            return prepare_like(np.zeros_like(raw), raw, preprocess, x, "baseline")
        if baseline == "blur":
            s = float(sigma) if sigma is not None else max(x.shape[2:]) / 16.0
            hwc = gaussian_blur(x[0].permute(1, 2, 0).cpu().numpy(), s)
            return torch.from_numpy(hwc)[None].permute(0, 3, 1, 2).to(x.device)
        raise ArgumentError(f"baseline must be 'zeros', 'black', 'blur' or an array, got "
                            f"{baseline!r}")
    return prepare_like(baseline, raw, preprocess, x, "baseline")


def saliency(model, image, target=None, *, abs=True, preprocess=None):
    """Vanilla gradient saliency: the map is sum over channels of |dS/dx| (``abs=True``).

    Parameters
    ----------
    model : torch.nn.Module
        Takes (B, C, h, w) float tensors, returns (B, D) scores or embeddings.
    image : (H, W, C) uint8/float32 ndarray, (C, h, w)/(1, C, h, w) tensor, or a batch
        A (B, H, W, C) array, a (B, C, h, w) tensor or a list gives a list of maps.
    target : int, None, VerificationTarget, or a list (one per image of a batch)
        Class index, predicted class (None), or cosine similarity to a reference embedding.
    abs : bool
        Absolute gradients (Captum's default) or signed ones.
    preprocess : callable or (scale, mean, std), optional
        Turns an (H, W, C) array into the model's input (see ``prepare_images``).

    Returns
    -------
    SaliencyMap or list of SaliencyMap
        ``map`` (H, W) float32; ``evaluations`` = 1 forward+backward pass.

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten(),
    ...                           torch.nn.LazyLinear(2))
    >>> m = saliency(net, np.zeros((8, 8, 3), np.uint8), target=1)
    >>> m.map.shape, m.map.dtype, m.evaluations
    ((8, 8), dtype('float32'), 1)
    """
    def explain_one(x, raw, t):
        grads, scores, t = input_gradients(model, x, t)
        attr = grads.abs() if abs else grads
        return channel_sum(attr[0]), t, scores[0], 1, {"backward_passes": 1}

    return explain_images("saliency", model, image, target, preprocess, explain_one)


def input_x_gradient(model, image, target=None, *, preprocess=None):
    """Gradient x input: the map is sum over channels of x * dS/dx (x in model-input space).

    Parameters and returns as :func:`saliency`.

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten(),
    ...                           torch.nn.LazyLinear(2))
    >>> input_x_gradient(net, np.zeros((8, 8, 3), np.uint8), target=0).map.shape
    (8, 8)
    """
    def explain_one(x, raw, t):
        grads, scores, t = input_gradients(model, x, t)
        return channel_sum((grads * x)[0]), t, scores[0], 1, {"backward_passes": 1}

    return explain_images("input_x_gradient", model, image, target, preprocess, explain_one)


def _clean_scores(model, x, target):
    """Resolve ``target`` on the image ``x[0]`` and return the scores of all rows of ``x``."""
    with torch.no_grad():
        out = outputs_of(model, x)
    t = as_target(target, out[:1])
    return t.score(out), t


def integrated_gradients(model, image, target=None, *, baseline="zeros", n_steps=50,
                         method="gausslegendre", internal_batch_size=None, baseline_sigma=None,
                         preprocess=None, progress=True):
    """Integrated Gradients, batched along the path, with its completeness gap.

    attr = (x - x') * sum_k w_k dS/dx(x' + a_k (x - x')), with Captum's quadrature (a_k, w_k);
    the map is the sum over channels of attr.

    Parameters
    ----------
    model, image, target, preprocess
        As :func:`saliency`.
    baseline : "zeros", "black", "blur", or an array/tensor
        x': zeros in the model's input space (Captum's default); the black image through
        ``preprocess``; a Gaussian blur of the input (``baseline_sigma`` pixels, default
        max(h, w) / 16); or an (H, W, C) array (through ``preprocess``) or a model-input tensor.
    n_steps : int
        Points on the path.
    method : str
        Quadrature, as Captum's: "gausslegendre", "riemann_left", "riemann_right",
        "riemann_middle" or "riemann_trapezoid".
    internal_batch_size : int, optional
        Path points per forward+backward pass (all at once if None).
    progress : bool
        tqdm bar over the path's batches.

    Returns
    -------
    SaliencyMap or list of SaliencyMap
        ``extra``: ``completeness_gap`` = sum(attr) - (S(x) - S(x')), ``relative_gap`` = the
        gap / |S(x) - S(x')|, ``baseline_score`` S(x'). ``evaluations`` = n_steps + 2 (the two
        endpoints' forward passes).

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Softplus(),
    ...                           torch.nn.Flatten(), torch.nn.LazyLinear(2))
    >>> m = integrated_gradients(net, np.full((8, 8, 3), 200, np.uint8), target=0, n_steps=64)
    >>> abs(m.extra["relative_gap"]) < 0.01
    True
    """
    def explain_one(x, raw, t):
        x0 = _input_baseline(baseline, x, raw, preprocess, baseline_sigma)
        ends, t = _clean_scores(model, torch.cat([x, x0]), t)
        attr, passes = _ig_attributions(model, x, t, x0, n_steps, method, internal_batch_size,
                                        progress)
        delta = float(ends[0] - ends[1])
        gap = float(attr.sum(dtype=torch.float64)) - delta
        extra = {"completeness_gap": gap,
                 "relative_gap": gap / abs(delta) if delta != 0 else float("inf"),
                 "baseline_score": float(ends[1]), "n_steps": n_steps, "quadrature": method,
                 "backward_passes": passes}
        return channel_sum(attr[0]), t, ends[0], passes + 2, extra

    return explain_images("integrated_gradients", model, image, target, preprocess, explain_one)


_WRAPPED = {"saliency": _gradient_attributions, "input_x_gradient": _input_x_gradient_attributions,
            "integrated_gradients": _ig_attributions}
_PUBLIC = {saliency: "saliency", input_x_gradient: "input_x_gradient",
           integrated_gradients: "integrated_gradients"}


def smoothgrad(model, image, target=None, *, method="saliency", stdev=0.15, n_samples=25,
               nt_type="smoothgrad", seed=0, batch_size=None, preprocess=None, progress=True,
               **method_options):
    """SmoothGrad around any gradient method: attributions averaged over noisy copies of x.

    Noise N(0, stdev^2) is added in the model's input space, as Captum's ``NoiseTunnel`` does;
    with ``batch_size`` equal to Captum's ``nt_samples_batch_size`` and the same seed
    (``torch.manual_seed(seed)`` before Captum) the noise is identical.

    Parameters
    ----------
    model, image, target, preprocess
        As :func:`saliency`.
    method : "saliency", "input_x_gradient", "integrated_gradients", or one of those functions
        The wrapped method; ``method_options`` go to it (``abs`` for saliency; ``baseline``
        (zeros, or a model-input tensor), ``n_steps``, ``method`` as ``quadrature``,
        ``internal_batch_size`` for IG).
    stdev : float
        Noise standard deviation in model-input units (0.15 is the SmoothGrad paper's 15% level
        for inputs scaled to [0, 1]).
    n_samples : int
        Noisy copies.
    nt_type : {"smoothgrad", "smoothgrad_sq", "vargrad"}
        Mean of the attributions, mean of their squares, or their variance (before the sum
        over channels).
    seed : int
        Seeds a private torch generator: the same seed gives the same map.
    batch_size : int, optional
        Noisy copies per call of the wrapped method (all at once if None).

    Returns
    -------
    SaliencyMap or list of SaliencyMap
        ``evaluations`` = n_samples x the wrapped method's passes + 1 (the clean score).

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten(),
    ...                           torch.nn.LazyLinear(2))
    >>> img = np.zeros((8, 8, 3), np.uint8)
    >>> a = smoothgrad(net, img, target=0, n_samples=4, seed=1)
    >>> bool((a.map == smoothgrad(net, img, target=0, n_samples=4, seed=1).map).all())
    True
    """
    name = _PUBLIC.get(method, method)
    if name not in _WRAPPED:
        raise ArgumentError(f"method must be one of {sorted(_WRAPPED)} (or the function), got "
                            f"{method!r}")
    choice("nt_type", nt_type, NOISE_TYPES)
    if int(n_samples) < 1 or not stdev >= 0:
        raise ArgumentError(f"need n_samples >= 1 and stdev >= 0, got {n_samples}, {stdev}")
    options = dict(method_options)
    if "method" in options:
        raise ArgumentError("pass IG's quadrature as quadrature=..., not method=")
    if "quadrature" in options:
        options["method"] = options.pop("quadrature")

    def explain_one(x, raw, t):
        clean, t = _clean_scores(model, x, t)
        inner = dict(options)
        if name == "integrated_gradients" and "baseline" in inner:
            inner["baselines"] = _input_baseline(inner.pop("baseline"), x, raw, preprocess,
                                                 inner.pop("baseline_sigma", None))
        gen = torch.Generator(device=x.device).manual_seed(int(seed))
        total = sq = None
        passes = 0
        for a, b in chunks(int(n_samples), batch_size, progress, "smoothgrad"):
            noise = torch.randn((b - a,) + tuple(x.shape[1:]), generator=gen, device=x.device)
            noisy = channels_last(x + noise * stdev)
            if "baselines" in inner:
                inner_b = dict(inner, baselines=inner["baselines"].expand_as(noisy))
            else:
                inner_b = inner
            attr, n = _WRAPPED[name](model, noisy, t, **inner_b)
            passes += n
            s, s2 = attr.sum(0), (attr * attr).sum(0)
            total, sq = (s, s2) if total is None else (total + s, sq + s2)
        mean, mean_sq = total / n_samples, sq / n_samples
        attr = {"smoothgrad": mean, "smoothgrad_sq": mean_sq,
                "vargrad": mean_sq - mean * mean}[nt_type]
        extra = {"wrapped": name, "nt_type": nt_type, "stdev": stdev, "n_samples": n_samples,
                 "seed": seed, "backward_passes": passes}
        return channel_sum(attr), t, clean[0], passes + 1, extra

    return explain_images("smoothgrad", model, image, target, preprocess, explain_one)
