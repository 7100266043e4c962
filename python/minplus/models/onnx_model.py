"""OnnxModel: an ONNX network run by onnxruntime, fed by the fused masking kernel."""

from __future__ import annotations

import os

import numpy as np

from ..arguments import choice
from ..errors import ArgumentError, ArgumentTypeError, ModelError, ShapeError
from .tensor_model import TensorModel, as_input_size, as_preprocess

_LAYOUTS = ("nchw", "nhwc")


class OnnxModel(TensorModel):
    """Wraps an ONNX model with one image input (B, C, H, W) or (B, H, W, C) and scores output.

    Parameters
    ----------
    model : str, os.PathLike, bytes or onnxruntime.InferenceSession
        A path to (or the bytes of) an .onnx file, or a ready session.
    preprocess : (scale, mean, std) or None
        Input normalisation ``(x * scale - mean) / std`` per channel (see :class:`TorchModel`).
    layout : {"nchw", "nhwc"}
        The input's layout. "nchw" is rendered by the fused kernel straight into the input
        buffer; "nhwc" is rendered as images and normalised in numpy.
    batch_size : int
        Most images per run. A model exported with a fixed batch dimension N runs N at a time,
        the last run padded.
    output : int or str
        Which output holds the scores (default: the first).
    input_size : int, (h, w) or "graph", optional
        The spatial size the network takes ("graph": the fixed size its input declares):
        images of another size are resized to it (a declared frame, so masks can be rendered
        straight at this size: ``render="frame"``).
    providers : list of str, optional
        onnxruntime execution providers (default: CPU).

    Examples
    --------
    >>> import io, torch
    >>> f = io.BytesIO()
    >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(48, 2))
    >>> torch.onnx.export(net, torch.zeros(1, 3, 4, 4), f, dynamo=False,
    ...                   dynamic_axes={"input": {0: "b"}}, input_names=["input"])
    >>> OnnxModel(f.getvalue())(np.zeros((5, 4, 4, 3), np.uint8)).shape
    (5, 2)
    """

    def __init__(self, model, preprocess=None, layout: str = "nchw", batch_size: int = 64,
                 output=0, providers=None, input_size=None):
        import onnxruntime as ort

        choice("layout", layout, _LAYOUTS)
        self._source = model  # what the weights came from, for fingerprint()
        if isinstance(model, ort.InferenceSession):
            self.session = model
        elif isinstance(model, (str, os.PathLike, bytes)):
            if not isinstance(model, bytes) and not os.path.isfile(model):
                raise FileNotFoundError(f"no ONNX file at {os.fspath(model)!r}")
            # minplus renders on the same cores between runs: spinning intra-op threads would
            # take them from the OpenMP kernels (a ready session keeps its own options)
            options = ort.SessionOptions()
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self.session = ort.InferenceSession(
                model if isinstance(model, bytes) else os.fspath(model), sess_options=options,
                providers=providers or ["CPUExecutionProvider"])
        else:
            raise ArgumentTypeError("model must be a path, the bytes of an .onnx file or an "
                                    f"onnxruntime.InferenceSession, got {type(model).__name__}")
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise ArgumentError(f"the ONNX model has {len(inputs)} inputs; OnnxModel needs "
                                "exactly 1 image input")
        self.input = inputs[0]
        names = [o.name for o in self.session.get_outputs()]
        self.output = names[output] if isinstance(output, int) else output
        if self.output not in names:
            raise ArgumentError(f"output {output!r} is not one of the model's outputs {names}")
        self.dtype = np.float16 if self.input.type == "tensor(float16)" else np.float32
        fixed = self.input.shape[0] if isinstance(self.input.shape[0], int) else None
        # A fixed batch dimension decides how many images go in each run.
        self.fixed_batch = fixed
        super().__init__(fixed or batch_size)
        self.layout = layout
        self.preprocess = None if preprocess is None else as_preprocess(preprocess)
        if isinstance(input_size, str):
            if input_size != "graph":
                raise ShapeError(f"input_size must be an int, (h, w), 'graph' or None, got "
                                 f"{input_size!r}")
            dims = self.input.shape[2:4] if layout == "nchw" else self.input.shape[1:3]
            if not all(isinstance(d, int) for d in dims):
                raise ShapeError(f"input_size='graph' needs fixed spatial dimensions; the graph "
                                 f"declares {self.input.shape}")
            input_size = tuple(dims)
        self.input_size = as_input_size(input_size)

    def _run(self, x: np.ndarray) -> np.ndarray:
        n = len(x)
        if self.fixed_batch is not None and n != self.fixed_batch:
            x = np.concatenate([x, np.zeros((self.fixed_batch - n,) + x.shape[1:], x.dtype)])
        try:
            y = self.session.run([self.output], {self.input.name: x})[0]
        except Exception as e:  # onnxruntime raises its own exception types
            raise ModelError(f"onnxruntime raised {type(e).__name__}: {e}") from e
        return np.asarray(y)[:n].reshape(n, -1)

    def _input_buffer(self, shape):
        return np.empty(shape, self.dtype)

    def __repr__(self):
        return f"OnnxModel(input={self.input.name!r} {self.input.shape}, layout={self.layout!r})"

    def fingerprint(self) -> str:
        """The repr, the output, preprocess and input size, and the SHA-256 of the graph's
        bytes (the file's, or a session's own model file or bytes where it kept them)."""
        return (f"{self!r} output={self.output!r} preprocess={self.preprocess!r} "
                f"input_size={self.input_size!r} sha256={self._digest()}")

    def _digest(self) -> str:
        import hashlib

        src = self._source
        if not isinstance(src, (str, os.PathLike, bytes)):  # a session: what it was made from
            src = getattr(src, "_model_bytes", None) or getattr(src, "_model_path", None)
        if src is None:
            return "unknown"
        h = hashlib.sha256()
        if isinstance(src, bytes):
            h.update(src)
        else:
            with open(src, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
        return h.hexdigest()[:16]
