"""TorchModel: a ``torch.nn.Module`` as a black box, fed by the fused nchw masking kernel.

``score_masks`` renders each chunk of masks straight into the model's input tensor (a CPU
tensor through its numpy view, or the CUDA tensor itself), normalisation fused in: no copy
between the masker and the network.
"""

from __future__ import annotations

import numpy as np

from ..errors import DeviceError, ModelError
from .tensor_model import TensorModel, as_preprocess


class TorchModel(TensorModel):
    """Wraps a torch module mapping (B, C, H, W) float tensors to (B, ...) scores.

    Parameters
    ----------
    module : torch.nn.Module
        Put in eval mode; run under ``torch.inference_mode()``. A float16 module gets float16
        inputs.
    preprocess : (scale, mean, std) or None
        Input normalisation ``(x * scale - mean) / std`` per channel, applied to the raw pixel
        values (e.g. ``(1 / 255, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))`` for ImageNet).
        None feeds the raw values as float.
    device : str or torch.device
        Where the module runs; on "cuda" masked images are rendered on the GPU, into the input.
    batch_size : int
        Most images per forward pass.

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(48, 2))
    >>> m = TorchModel(net, preprocess=(1 / 255, 0.5, 0.5))
    >>> m(np.zeros((3, 4, 4, 3), np.uint8)).shape
    (3, 2)
    """

    def __init__(self, module, preprocess=None, device="cpu", batch_size: int = 64):
        super().__init__(batch_size)
        import torch

        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
        self.device = torch.device(device)
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise DeviceError(f"device {device!r} requested but torch sees no CUDA device")
        self.module = module.to(self.device).eval()
        self.preprocess = as_preprocess(preprocess)
        param = next(iter(module.parameters()), None)
        self.dtype = np.float16 if param is not None and param.dtype == torch.float16 \
            else np.float32

    def _input_buffer(self, shape):
        import torch

        dtype = torch.float16 if self.dtype == np.float16 else torch.float32
        return torch.empty(shape, dtype=dtype, device=self.device)

    def _as_input(self, x):
        import torch

        return torch.from_numpy(x).to(self.device)

    def _run(self, x) -> np.ndarray:
        import torch

        try:
            with torch.inference_mode():
                y = self.module(x)
        except Exception as e:  # surface any failure inside the network as a typed error
            raise ModelError(f"the torch module raised {type(e).__name__}: {e}") from e
        if not isinstance(y, torch.Tensor):
            raise ModelError(f"the torch module returned {type(y).__name__}, expected a Tensor")
        return y.detach().float().reshape(len(y), -1).cpu().numpy()

    def __repr__(self):
        return f"TorchModel({type(self.module).__name__}, device={self.device})"
