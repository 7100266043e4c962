"""Class activation maps: Grad-CAM, Grad-CAM++ and Score-CAM on one base.

:class:`CAM` hooks the target layer, runs the model, takes the gradients of the target score
with respect to the layer's activations A (N, K, h, w) when the variant needs them, and turns
the variant's channel weights w (N, K) into ReLU(sum_k w_k A_k), upsampled bilinearly
(align_corners=False, as Captum's ``LayerAttribution.interpolate``) to the image's H, W. The
variants override :meth:`CAM.channel_weights` only.

The target layer is the model's last ``nn.Conv2d`` (in ``named_modules`` order) unless named
with ``layer=`` (a dotted name such as ``"features.3"``, or the module itself).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..errors import LayerNotFoundError, ShapeError
from .targets import as_target
from .whitebox import channels_last, chunks, explain_images, no_gradient_error, outputs_of


def find_layer(model: torch.nn.Module, layer=None):
    """The CAM's target layer: ``(dotted name, module)``.

    Parameters
    ----------
    layer : None, str or nn.Module
        None: the last ``nn.Conv2d``; a dotted name (``model.get_submodule``); or a submodule.

    Raises
    ------
    LayerNotFoundError
        The name is not a submodule, the module is not part of the model, or (``layer=None``)
        the model has no Conv2d.

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(),
    ...                           torch.nn.Conv2d(4, 4, 3))
    >>> find_layer(net)[0], find_layer(net, "0")[0]
    ('2', '0')
    """
    named = list(model.named_modules())
    convs = [name for name, m in named if isinstance(m, torch.nn.Conv2d)]
    if layer is None:
        if not convs:
            raise LayerNotFoundError(f"{type(model).__name__} has no nn.Conv2d layer to take as "
                                     "the CAM target layer; name one with layer='dotted.name'")
        return convs[-1], model.get_submodule(convs[-1])
    if isinstance(layer, torch.nn.Module):
        for name, m in named:
            if m is layer:
                return name, m
        raise LayerNotFoundError(f"layer {type(layer).__name__} is not a submodule of "
                                 f"{type(model).__name__}")
    try:
        return str(layer), model.get_submodule(str(layer))
    except AttributeError:
        raise LayerNotFoundError(f"layer {layer!r} not found in {type(model).__name__}; its "
                                 f"Conv2d layers are {convs}") from None


class CAM:
    """Base of the CAM variants; subclasses set ``method`` and override :meth:`channel_weights`.

    Parameters
    ----------
    layer : None, str or nn.Module
        Target layer (see :func:`find_layer`).
    batch_size : int
        Masked inputs per forward pass (Score-CAM).
    progress : bool
        tqdm bar over the batches (Score-CAM).
    """

    method = "cam"
    needs_gradients = True

    def __init__(self, layer=None, batch_size: int = 64, progress: bool = True):
        self.layer = layer
        self.batch_size = batch_size
        self.progress = progress

    def channel_weights(self, activations, gradients, score_masked, input_size):
        """(N, K) channel weights and the model evaluations spent on them.

        ``activations``, ``gradients``: (N, K, h, w) (gradients None when not
        ``needs_gradients``); ``score_masked(masks (K, 1, H, W) in [0, 1]) -> (K,)`` scores the
        input multiplied by each mask; ``input_size`` is the input's (H, W).
        """
        raise NotImplementedError

    def __call__(self, model, image, target=None, *, preprocess=None):
        """Explain ``image`` (see :func:`grad_cam` for the arguments) -> SaliencyMap(s)."""
        return explain_images(self.method, model, image, target, preprocess,
                              lambda x, raw, t: self._explain_one(model, x, t))

    def _explain_one(self, model, x, target):
        name, module = find_layer(model, self.layer)
        seen = []
        hook = module.register_forward_hook(lambda m, i, o: seen.append(o))
        try:
            with torch.set_grad_enabled(self.needs_gradients):
                out = outputs_of(model, x)
        finally:
            hook.remove()
        if not seen:
            raise LayerNotFoundError(f"layer {name!r} was not called in the model's forward pass")
        acts = seen[-1]  # a layer called more than once: its last use, as pytorch-grad-cam
        if not isinstance(acts, torch.Tensor) or acts.ndim != 4:
            got = tuple(acts.shape) if isinstance(acts, torch.Tensor) else type(acts).__name__
            raise ShapeError(f"layer {name!r} must output (N, K, h, w) feature maps, got {got}")
        target = as_target(target, out)
        score = target.score(out)
        grads = None
        if self.needs_gradients:
            if score.grad_fn is None or not acts.requires_grad:
                raise no_gradient_error(f"the target score (through layer {name!r})")
            (grads,) = torch.autograd.grad(score, acts, torch.ones_like(score))

        def score_masked(masks):
            parts = []
            with torch.no_grad():
                for a, b in chunks(len(masks), self.batch_size, self.progress, self.method):
                    parts.append(target.score(outputs_of(model, channels_last(x * masks[a:b]))))
            return torch.cat(parts)

        weights, evaluations = self.channel_weights(acts.detach(), grads, score_masked,
                                                    tuple(x.shape[2:]))
        cam = F.relu((weights[:, :, None, None] * acts.detach()).sum(1))[0]
        extra = {"layer": name, "layer_shape": tuple(acts.shape[1:]),
                 "backward_passes": int(self.needs_gradients)}
        return cam, target, score[0].detach(), 1 + evaluations, extra


class GradCAM(CAM):
    """Grad-CAM (Selvaraju et al. 2017): w_k = mean over (h, w) of dS/dA_k."""

    method = "grad_cam"

    def channel_weights(self, activations, gradients, score_masked, input_size):
        return gradients.mean(dim=(2, 3)), 0


class GradCAMPlusPlus(CAM):
    """Grad-CAM++ (Chattopadhay et al. 2018), with the exp-score closed form of its alphas.

    w_k = sum_ij relu(g_ij) a_ij, a_ij = g^2 / (2 g^2 + sum_ab A_ab g^3), g = dS/dA_k.
    """

    method = "grad_cam_pp"

    def channel_weights(self, activations, gradients, score_masked, input_size):
        g2 = gradients * gradients
        denom = 2 * g2 + activations.sum(dim=(2, 3), keepdim=True) * g2 * gradients
        alpha = torch.where(gradients != 0, g2 / (denom + 1e-6), torch.zeros_like(g2))
        return (F.relu(gradients) * alpha).sum(dim=(2, 3)), 0


class ScoreCAM(CAM):
    """Score-CAM (Wang et al. 2020): w = softmax over channels of S(x * norm(upsample(A_k))).

    Each channel's map, upsampled to the input size and min-max scaled to [0, 1], masks the
    input; the K masked inputs are scored in batches of ``batch_size`` (no gradients needed).
    """

    method = "score_cam"
    needs_gradients = False

    def channel_weights(self, activations, gradients, score_masked, input_size):
        up = F.interpolate(activations, size=input_size, mode="bilinear",
                           align_corners=False)[0]
        lo = up.amin(dim=(1, 2), keepdim=True)
        hi = up.amax(dim=(1, 2), keepdim=True)
        masks = ((up - lo) / (hi - lo + 1e-8))[:, None]
        scores = score_masked(masks)
        return torch.softmax(scores, dim=0)[None], len(masks)


def grad_cam(model, image, target=None, *, layer=None, preprocess=None):
    """Grad-CAM map of ``image`` for ``target``, from the activations of ``layer``.

    Parameters
    ----------
    model : torch.nn.Module
        Takes (B, C, h, w) float tensors, returns (B, D) scores or embeddings.
    image : (H, W, C) uint8/float32 ndarray, (C, h, w)/(1, C, h, w) tensor, or a batch
    target : int, None, VerificationTarget, or a list (one per image of a batch)
    layer : None, str or nn.Module
        Target layer; default the last Conv2d.
    preprocess : callable or (scale, mean, std), optional

    Returns
    -------
    SaliencyMap or list of SaliencyMap
        ``map`` (H, W) float32 >= 0; ``extra["layer"]`` the layer used; ``evaluations`` = 1.

    Examples
    --------
    >>> import numpy as np
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(),
    ...                           torch.nn.Flatten(), torch.nn.LazyLinear(2))
    >>> m = grad_cam(net, np.zeros((8, 8, 3), np.uint8), target=1)
    >>> m.map.shape, m.extra["layer"]
    ((8, 8), '0')
    """
    return GradCAM(layer)(model, image, target, preprocess=preprocess)


def grad_cam_pp(model, image, target=None, *, layer=None, preprocess=None):
    """Grad-CAM++ map; arguments and returns as :func:`grad_cam`."""
    return GradCAMPlusPlus(layer)(model, image, target, preprocess=preprocess)


def score_cam(model, image, target=None, *, layer=None, batch_size=64, preprocess=None,
              progress=True):
    """Score-CAM map; arguments as :func:`grad_cam`, plus ``batch_size`` masked inputs per pass.

    ``evaluations`` = 1 + K forward passes (K = the layer's channels); no gradients are used,
    so it also works on models whose forward runs without autograd.
    """
    return ScoreCAM(layer, batch_size, progress)(model, image, target, preprocess=preprocess)
