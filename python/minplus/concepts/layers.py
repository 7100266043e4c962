"""A layer's activations and the gradients of a target score with respect to them.

TCAV, feature visualisation and inversion all read one hidden layer of a torch module: they hook
the layer (found by :func:`minplus.saliency.find_layer`, a dotted name or the module itself),
run the model and take what the layer output. One forward hook serves all three.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch

from ..errors import LayerNotFoundError, ShapeError
from ..saliency.cam import find_layer
from ..saliency.targets import as_target
from ..saliency.whitebox import no_gradient_error, outputs_of


class _Reached(Exception):
    """Raised by the hook to end a forward pass once the layer has run."""


@contextmanager
def recording(model: torch.nn.Module, layer, stop: bool = False):
    """Hook ``layer`` of ``model``; yields ``(name, seen)``, ``seen`` a list that each forward
    pass appends the layer's output tensor to (the hook is removed on exit). With ``stop``, the
    forward pass ends at the layer's first call (:class:`_Reached`)."""
    name, module = find_layer(model, layer)
    seen: list = []

    def keep(_module, _inputs, output):
        if not isinstance(output, torch.Tensor):
            raise ShapeError(f"layer {name!r} outputs {type(output).__name__}, not a tensor")
        seen.append(output)
        if stop:
            raise _Reached

    hook = module.register_forward_hook(keep)
    try:
        yield name, seen
    finally:
        hook.remove()


def run_to_layer(model: torch.nn.Module, layer, x: torch.Tensor):
    """The model's outputs (N, D) and ``layer``'s activations (N, ...) for inputs ``x``.

    Parameters
    ----------
    x : (N, C, H, W) float tensor, the model's input

    Returns
    -------
    outputs : (N, D) tensor
    activations : (N, ...) tensor, the layer's output (its first use in the forward pass, as
        :func:`layer_output` takes it)
    """
    with recording(model, layer) as (name, seen):
        out = outputs_of(model, x)
    if not seen:
        raise LayerNotFoundError(f"layer {name!r} was not called in the model's forward pass")
    acts = seen[0]
    if acts.shape[0] != x.shape[0]:
        raise ShapeError(f"layer {name!r} output has batch size {acts.shape[0]} for an input "
                         f"batch of {x.shape[0]}")
    return out, acts


def layer_output(model: torch.nn.Module, layer, x: torch.Tensor) -> torch.Tensor:
    """``layer``'s output (N, ...) for inputs ``x`` (N, C, H, W), the forward pass stopped there:
    a channel of an early layer of a deep network costs only the layers before it.

    A layer called more than once gives its first call's output, as :func:`run_to_layer`.
    """
    with recording(model, layer, stop=True) as (name, seen):
        try:
            outputs_of(model, x)
        except _Reached:
            pass
    if not seen:
        raise LayerNotFoundError(f"layer {name!r} was not called in the model's forward pass")
    return seen[0]


def activations(model: torch.nn.Module, layer, x: torch.Tensor, batch_size: int = 64):
    """``layer``'s activations for inputs ``x``, flattened, without gradients.

    Parameters
    ----------
    x : (N, C, H, W) float tensor
    batch_size : int
        Inputs per forward pass.

    Returns
    -------
    (N, F) float32 tensor on the CPU, F the layer's units per input.

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(3, 2, 3), torch.nn.Flatten(),
    ...                           torch.nn.LazyLinear(2))
    >>> activations(net, "0", torch.zeros(5, 3, 6, 6)).shape
    torch.Size([5, 32])
    """
    parts = []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            acts = layer_output(model, layer, x[i:i + batch_size])
            parts.append(acts.reshape(len(acts), -1).float().cpu())
    return torch.cat(parts)


def layer_gradients(model: torch.nn.Module, layer, x: torch.Tensor, target,
                    batch_size: int = 64):
    """Gradients of the target score with respect to ``layer``'s activations, flattened.

    Parameters
    ----------
    x : (N, C, H, W) float tensor
    target : int, ClassTarget, VerificationTarget or None
        None resolves to the class the model predicts for ``x[0]``.

    Returns
    -------
    grads : (N, F) float32 tensor on the CPU
    target : the resolved target
    """
    parts = []
    resolved = target
    for i in range(0, len(x), batch_size):
        with torch.enable_grad():
            out, acts = run_to_layer(model, layer, x[i:i + batch_size])
            resolved = as_target(resolved, out)
            score = resolved.score(out)
            if score.grad_fn is None or not acts.requires_grad:
                raise no_gradient_error(f"the target score (through layer {layer!r})")
            (g,) = torch.autograd.grad(score, acts, torch.ones_like(score))
        parts.append(g.reshape(len(g), -1).float().cpu())
    return torch.cat(parts), resolved
