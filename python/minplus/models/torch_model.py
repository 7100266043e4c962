"""TorchModel: a ``torch.nn.Module`` as a black box, fed by the fused nchw masking kernel.

It declares an nchw float input with its preprocess on its device; the evaluation loop renders
each chunk of masks straight into its input tensor (a CPU tensor through its numpy view, or the
CUDA tensor itself), normalisation fused in: no copy between the masker and the network.
"""

from __future__ import annotations

import numpy as np

from ..errors import ArgumentTypeError, DeviceError, ModelError
from .tensor_model import TensorModel, as_input_size, as_preprocess


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
        None is minplus's one preprocess policy
        (:func:`~minplus.models.input_spec.resolve_preprocess`, shared with the white-box
        methods): uint8 images scaled to [0, 1], float images as they are.
    device : str or torch.device
        Where the module runs; on "cuda" masked images are rendered on the GPU, into the input.
    batch_size : int
        Most images per forward pass.
    input_size : int or (h, w), optional
        The spatial size the network takes: images of another size are resized to it (a
        declared frame, so masks can be rendered straight at this size: ``render="frame"``).

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(48, 2))
    >>> m = TorchModel(net, preprocess=(1 / 255, 0.5, 0.5))
    >>> m(np.zeros((3, 4, 4, 3), np.uint8)).shape
    (3, 2)
    """

    def __init__(self, module, preprocess=None, device="cpu", batch_size: int = 64,
                 input_size=None):
        super().__init__(batch_size)
        import torch

        if not isinstance(module, torch.nn.Module):
            raise ArgumentTypeError(f"module must be a torch.nn.Module, got "
                                    f"{type(module).__name__}")
        self.device = torch.device(device)
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise DeviceError(f"device {device!r} requested but torch sees no CUDA device")
        self.module = module.to(self.device).eval()
        self.preprocess = None if preprocess is None else as_preprocess(preprocess)
        self.input_size = as_input_size(input_size)
        param = next(iter(module.parameters()), None)
        self.dtype = np.float16 if param is not None and param.dtype == torch.float16 \
            else np.float32

    @classmethod
    def from_onnx(cls, path, preprocess=None, **options):
        """A TorchModel of an ONNX file converted by :func:`minplus.models.onnx_to_torch`, so
        the white-box methods run on it (its ``module``); ``preprocess`` and the other options
        (``device``, ``batch_size``, ...) as the constructor's.

        Examples
        --------
        >>> from minplus.models.age_gender import model_path, preprocess_of
        >>> m = TorchModel.from_onnx(model_path("gender"), preprocess=preprocess_of("gender"))
        >>> m(np.zeros((2, 32, 32, 3), np.uint8)).shape
        (2, 2)
        """
        from .onnx_torch import onnx_to_torch

        return cls(onnx_to_torch(path), preprocess=preprocess, **options)

    def _device_type(self) -> str:
        return self.device.type

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

    def fingerprint(self) -> str:
        """The repr, output, preprocess and input size, and a SHA-256 of the module's state
        (every parameter and buffer, by name)."""
        import hashlib

        import torch

        h = hashlib.sha256()
        for name, t in self.module.state_dict().items():
            h.update(name.encode())
            h.update(str(tuple(t.shape)).encode() + str(t.dtype).encode())
            h.update(t.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
        return (f"{self!r} {type(self.module).__module__}.{type(self.module).__qualname__} "
                f"output={getattr(self, 'output', None)!r} preprocess={self.preprocess!r} "
                f"input_size={getattr(self, 'input_size', None)!r} sha256={h.hexdigest()[:16]}")
