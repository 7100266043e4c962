"""What feature visualisation maximises: a class score, a channel's mean activation, or one
unit, each read from a layer through a forward hook.

An :class:`Objective` maps a model input batch (B, C, H, W) to (B,) values; the same object
scores optimised, random and natural images, so their activations compare directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..errors import ShapeError, TargetError
from ..saliency.targets import as_target
from ..saliency.whitebox import outputs_of
from .layers import layer_output


@dataclass(frozen=True)
class Objective:
    """A scalar per image to maximise.

    Attributes
    ----------
    kind : {"class", "channel", "unit"}
    layer : str, nn.Module or None
        The hooked layer (None for "class": the model's output).
    index : int
        The class, channel, or (for "unit" without a position) flat unit index.
    position : (y, x) or None
        For "unit" on (N, K, h, w) maps: the unit's spatial position (default the centre).
    """

    kind: str
    layer: object = None
    index: int = 0
    position: tuple | None = None

    def __call__(self, model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        """(B,) objective values for inputs x (B, C, H, W)."""
        if self.kind == "class":
            out = outputs_of(model, x)
            return as_target(int(self.index), out).score(out)
        acts = layer_output(model, self.layer, x)
        if self.kind == "channel":
            if acts.ndim < 2 or not 0 <= self.index < acts.shape[1]:
                raise TargetError(f"channel {self.index} is out of range for layer "
                                  f"{self.layer!r} of output shape {tuple(acts.shape[1:])}")
            return acts[:, self.index].reshape(len(acts), -1).mean(1)
        if acts.ndim == 4:
            if not 0 <= self.index < acts.shape[1]:
                raise TargetError(f"channel {self.index} is out of range for layer "
                                  f"{self.layer!r} of output shape {tuple(acts.shape[1:])}")
            y, x_ = self.position or (acts.shape[2] // 2, acts.shape[3] // 2)
            if not (0 <= y < acts.shape[2] and 0 <= x_ < acts.shape[3]):
                raise ShapeError(f"unit position {(y, x_)} is outside layer {self.layer!r}'s "
                                 f"{tuple(acts.shape[2:])} maps")
            return acts[:, self.index, y, x_]
        flat = acts.reshape(len(acts), -1)
        if not 0 <= self.index < flat.shape[1]:
            raise TargetError(f"unit {self.index} is out of range for layer {self.layer!r} "
                              f"with {flat.shape[1]} units")
        return flat[:, self.index]

    def describe(self) -> str:
        where = "output" if self.layer is None else str(self.layer)
        pos = "" if self.position is None else f"@{tuple(self.position)}"
        return f"{self.kind} {self.index}{pos} of {where}"


def objective(target=None, *, layer=None, channel=None, unit=None) -> Objective:
    """The objective named by exactly one of ``target`` (a class), ``channel`` or ``unit``.

    Parameters
    ----------
    target : int, optional
        A class index: its output column (logit or probability, as the model returns).
    layer : str or nn.Module
        Needed with ``channel`` or ``unit``.
    channel : int, optional
        The mean activation of this channel of ``layer``.
    unit : int or (k, y, x), optional
        One unit: a flat index, or a channel and a spatial position of (N, K, h, w) maps
        (an int on such maps means the channel's centre unit).

    Examples
    --------
    >>> objective(3).describe(), objective(layer="conv", channel=2).describe()
    ('class 3 of output', 'channel 2 of conv')
    """
    given = [v is not None for v in (target, channel, unit)]
    if sum(given) != 1:
        raise TargetError("give exactly one of target (a class), channel or unit")
    if target is not None:
        return Objective("class", None, int(target))
    if layer is None:
        raise TargetError("a channel or unit objective needs layer=")
    if channel is not None:
        return Objective("channel", layer, int(channel))
    if isinstance(unit, (tuple, list)):
        if len(unit) != 3:
            raise ShapeError(f"unit must be an int or (k, y, x), got {unit!r}")
        return Objective("unit", layer, int(unit[0]), (int(unit[1]), int(unit[2])))
    return Objective("unit", layer, int(unit))
