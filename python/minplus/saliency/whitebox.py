"""Plumbing shared by the white-box methods (gradients and CAMs).

Turns the user's image(s) into model inputs, checks that the model is a differentiable torch
module, runs it in eval mode (restoring its modes after), computes target scores and their input
gradients chunk by chunk, and wraps each image's attribution into a :class:`SaliencyMap`.

Models with 2-D convolutions get their inputs laid out channels-last (NHWC strides,
``torch.channels_last``): shapes and values are unchanged, but torch's CPU convolutions run on
them about twice as fast as on NCHW here, and an (H, W, C) image becomes one without a copy. The
methods build their inputs in that layout (IG's path points, SmoothGrad's noisy copies, Score-CAM's
masked inputs). Other models get contiguous NCHW inputs, which a model that ``view``s its raw
input needs.
"""

from __future__ import annotations

import time
import weakref
from contextlib import contextmanager

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ..errors import DTypeError, GradientError, ModelError, ShapeError
from ..models.input_spec import normalise, resolve_preprocess
from .saliency_map import SaliencyMap
from .targets import as_target
from ..errors import ArgumentError, ArgumentTypeError


def require_module(model, method: str) -> torch.nn.Module:
    """``model`` if it is a torch ``nn.Module``, else :class:`GradientError`."""
    if not isinstance(model, torch.nn.Module):
        raise GradientError(f"{method} is a white-box method and needs a torch.nn.Module with "
                            f"gradients; got {type(model).__name__}. Use a black-box method "
                            "(occlusion, RISE, LIME, ...) for other models")
    return model


@contextmanager
def eval_mode(model: torch.nn.Module):
    """Run ``model`` in eval mode (dropout off, batch-norm statistics frozen); restore after.

    Each submodule's own flag is restored, so a model that was partly in train mode stays so.
    """
    # A model already in eval mode (the usual case) costs one walk over its modules; otherwise
    # model.eval() (honouring any override of train()) and the train-mode modules are restored.
    training = [m for m in model.modules() if m.training]
    if training:
        model.eval()
    try:
        with torch.enable_grad():
            yield model
    finally:
        for m in training:
            m.training = True


def model_device(model: torch.nn.Module) -> torch.device:
    """The device of the model's first parameter or buffer (CPU for a parameter-free model)."""
    for t in model.parameters():
        return t.device
    for t in model.buffers():
        return t.device
    return torch.device("cpu")


def _preprocessed(image: np.ndarray, preprocess) -> torch.Tensor:
    """One (H, W, C) uint8/float32 array -> a (1, C, h, w) float32 model input."""
    if callable(preprocess):
        x = preprocess(image)
        x = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x)
        if x.ndim == 3:
            x = x[None]
        if x.ndim != 4 or x.shape[0] != 1:
            raise ShapeError(f"preprocess must return a (C, H, W) or (1, C, H, W) input, got shape "
                             f"{tuple(x.shape)}")
        return x.float()
    # The one preprocess policy of minplus, shared with the model adapters.
    x = normalise(image[None], resolve_preprocess(preprocess, image.dtype), layout="nhwc")
    return torch.from_numpy(x).permute(0, 3, 1, 2)


def _check_array(image: np.ndarray, name: str) -> None:
    if image.dtype not in (np.uint8, np.float32):
        raise DTypeError(f"{name} must be uint8 or float32, got {image.dtype}")
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4) or 0 in image.shape:
        raise ShapeError(f"{name} must be an (H, W, C) array with C in (1, 3, 4), got shape "
                         f"{image.shape}")


def prepare_images(image, preprocess=None):
    """The user's image(s) as model inputs.

    Parameters
    ----------
    image : ndarray or tensor or list
        (H, W, C) uint8/float32 array; (B, H, W, C) array or a list of images (a batch); or a
        float tensor already in the model's input space: (C, H, W), (1, C, H, W), or (B, C, H, W).
    preprocess : callable, (scale, mean, std) or None
        For arrays only: ``callable(hwc) -> (C, H, W)`` tensor/array, or ``(x * scale - mean) /
        std`` per channel. None: scale 1/255 for uint8, 1 for float32.

    Returns
    -------
    inputs : list of (1, C, h, w) float32 tensors
    raws : list of the (H, W, C) arrays, or None for tensor inputs
    sizes : list of (H, W), the map size for each image
    batch : bool
        Whether the caller gave a batch (and gets a list of maps back).
    """
    if isinstance(image, (list, tuple)):
        parts = [prepare_images(im, preprocess) for im in image]
        if any(p[3] for p in parts):
            raise ShapeError("a list of images must hold single images, not batches")
        return ([p[0][0] for p in parts], [p[1][0] for p in parts], [p[2][0] for p in parts], True)
    if isinstance(image, torch.Tensor):
        if preprocess is not None:
            raise ArgumentError("preprocess applies to (H, W, C) arrays; a tensor image is taken "
                                "as the model's input as it is")
        if not image.is_floating_point():
            raise DTypeError(f"a tensor image must be floating point, got {image.dtype}")
        if image.ndim == 3:
            image = image[None]
        if image.ndim != 4 or 0 in image.shape:
            raise ShapeError(f"a tensor image must be (C, H, W) or (B, C, H, W), got shape "
                             f"{tuple(image.shape)}")
        image = image.detach().float()
        xs = [image] if len(image) == 1 else list(image[:, None])
        return xs, [None] * len(xs), [tuple(image.shape[2:])] * len(xs), len(xs) > 1
    if not isinstance(image, np.ndarray):
        raise ArgumentTypeError(f"image must be a numpy array, a torch tensor or a list of them, "
                                f"got {type(image).__name__}")
    if image.ndim == 4:
        parts = prepare_images(list(image), preprocess)
        return parts[0], parts[1], parts[2], True
    _check_array(image, "image")
    return [_preprocessed(image, preprocess)], [image], [image.shape[:2]], False


def prepare_like(array, raw, preprocess, like: torch.Tensor, name: str) -> torch.Tensor:
    """An array/tensor given with the image (e.g. a baseline) as a model input like ``like``."""
    if isinstance(array, torch.Tensor):
        x = array.detach().float()
        x = x[None] if x.ndim == 3 else x
    else:
        array = np.asarray(array)
        if raw is not None and array.shape != raw.shape:
            raise ShapeError(f"{name} must have the image's shape {raw.shape}, got {array.shape}")
        _check_array(array, name)
        x = _preprocessed(array, preprocess)
    if tuple(x.shape) != tuple(like.shape):
        raise ShapeError(f"{name} must match the model input's shape {tuple(like.shape)}, got "
                         f"{tuple(x.shape)}")
    return x.to(like.device)


def channels_last(x: torch.Tensor, device=None) -> torch.Tensor:
    """``x`` (N, C, H, W) on ``device`` with channels-last strides (a no-op when it has them)."""
    return x.to(device=device, memory_format=torch.channels_last)


_INPUT_FORMATS = weakref.WeakKeyDictionary()


def input_format(model: torch.nn.Module) -> torch.memory_format:
    """``torch.channels_last`` for a model with an ``nn.Conv2d``, else contiguous NCHW."""
    fmt = _INPUT_FORMATS.get(model)
    if fmt is None:
        convolutional = any(isinstance(m, torch.nn.Conv2d) for m in model.modules())
        fmt = torch.channels_last if convolutional else torch.contiguous_format
        _INPUT_FORMATS[model] = fmt
    return fmt


def outputs_of(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The model's outputs for a (N, C, H, W) batch as an (N, D) tensor (ModelError otherwise)."""
    out = model(x.contiguous(memory_format=input_format(model)))
    if not isinstance(out, torch.Tensor):
        raise ModelError(f"the model returned {type(out).__name__}; white-box methods need a "
                         "tensor of scores or embeddings")
    if out.ndim == 1:
        out = out[:, None]
    if out.ndim != 2 or out.shape[0] != x.shape[0]:
        raise ModelError(f"the model returned outputs of shape {tuple(out.shape)} for a batch of "
                         f"{x.shape[0]}; expected (batch, D)")
    return out


def no_gradient_error(what: str) -> GradientError:
    return GradientError(f"{what} does not depend differentiably on the input (no grad_fn): is "
                         "the model's forward wrapped in torch.no_grad()/inference_mode(), or does "
                         "it detach or leave torch? White-box methods need gradients; use a "
                         "black-box method instead")


def input_gradients(model: torch.nn.Module, x: torch.Tensor, target):
    """Gradients of the target scores with respect to the inputs, one forward+backward pass.

    Parameters
    ----------
    x : (N, C, H, W) float32 tensor
    target : int, None, ClassTarget or VerificationTarget
        Resolved on the outputs; ``None`` picks ``argmax`` of the first row, so pass ``None``
        only when ``x[0]`` is the image itself.

    Returns
    -------
    grads : (N, C, H, W) tensor
    scores : (N,) tensor, detached
    target : the resolved target
    """
    x = x.contiguous(memory_format=input_format(model)).detach().requires_grad_(True)
    out = outputs_of(model, x)
    if out.grad_fn is None:
        raise no_gradient_error("the model's output")
    target = as_target(target, out)
    scores = target.score(out)
    # Images are independent, so d(sum of scores)/dx is each score's gradient by its image;
    # seeding the backward with ones skips a sum node.
    (grads,) = torch.autograd.grad(scores, x, torch.ones_like(scores), allow_unused=True)
    if grads is None:
        raise no_gradient_error("the target score")
    return grads, scores.detach(), target


def chunks(total: int, size: int | None, progress: bool, desc: str):
    """(start, stop) pairs covering range(total) in steps of ``size`` (all at once if None)."""
    size = total if size is None else int(size)
    if size < 1:
        raise ArgumentError(f"batch size must be >= 1, got {size}")
    starts = range(0, total, size)
    if progress and len(starts) > 1:
        starts = tqdm(starts, desc=desc, leave=False)
    return [(s, min(total, s + size)) for s in starts]


def channel_sum(attr: torch.Tensor) -> torch.Tensor:
    """(C, H, W) attributions -> (H, W) sum over channels.

    Strided adds of the C planes, not ``attr.sum(0)``: on a channels-last tensor that reduces
    over the innermost memory axis of size C, which torch runs about 5x slower at 112x112.
    """
    if len(attr) == 1:
        return attr[0].clone()
    out = torch.add(attr[0], attr[1])  # a fresh contiguous plane; clone() of a strided one is slow
    for plane in attr[2:]:
        out += plane
    return out


def to_map(attr: torch.Tensor, size) -> np.ndarray:
    """An (h, w) attribution tensor as an (H, W) float32 map, bilinearly resized when it differs."""
    attr = attr.detach().float()
    if tuple(attr.shape) != tuple(size):
        attr = F.interpolate(attr[None, None], size=tuple(size), mode="bilinear",
                             align_corners=False)[0, 0]
    return np.ascontiguousarray(attr.cpu().numpy(), dtype=np.float32)


def explain_images(method: str, model, image, target, preprocess, explain_one):
    """Run ``explain_one`` on each image in eval mode and wrap the results as SaliencyMaps.

    ``explain_one(x (1, C, h, w), raw (H, W, C) or None, target)`` returns ``(attr (h, w) tensor,
    resolved target, score, evaluations, extra dict)``. ``target`` may be a list with one
    target per image of a batch.
    """
    model = require_module(model, method)
    inputs, raws, sizes, batch = prepare_images(image, preprocess)
    if isinstance(target, (list, tuple, np.ndarray)):
        if not batch or len(target) != len(inputs):
            raise ArgumentError(f"a list of targets needs a batch of as many images; got "
                                f"{len(target)} targets for {len(inputs)} image(s)")
        targets = list(target)
    else:
        targets = [target] * len(inputs)
    device = model_device(model)
    maps = []
    with eval_mode(model):
        for x, raw, size, t in zip(inputs, raws, sizes, targets):
            start = time.perf_counter()
            x = channels_last(x, device)
            attr, resolved, score, evaluations, extra = explain_one(x, raw, t)
            maps.append(SaliencyMap(map=to_map(attr, size), method=method,
                                    target=resolved.describe(), score=float(score),
                                    evaluations=int(evaluations),
                                    seconds=time.perf_counter() - start, extra=extra))
    return maps if batch else maps[0]
