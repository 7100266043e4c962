"""Device arrays from torch or cupy, seen through raw pointers: what the CUDA kernels need.

A torch CUDA tensor or a cupy array (anything with ``__cuda_array_interface__``) is accepted;
nothing is copied to the host.
"""

from __future__ import annotations

import numpy as np

from .errors import DeviceError, DTypeError, ShapeError

_TORCH_DTYPES = {"uint8": "uint8", "float16": "float16", "float32": "float32", "int64": "int64",
                 "int32": "int32"}


def library(arr) -> str:
    """'torch' or 'cupy'."""
    if type(arr).__module__.split(".")[0] == "torch":
        return "torch"
    if hasattr(arr, "__cuda_array_interface__"):
        return "cupy"
    raise DeviceError(f"not a CUDA array: {type(arr).__name__}")


def pointer(arr) -> int:
    if library(arr) == "torch":
        return int(arr.data_ptr())
    return int(arr.__cuda_array_interface__["data"][0])


def device_index(arr) -> int:
    if library(arr) == "torch":
        return int(arr.device.index or 0)
    return int(arr.device.id)


def stream_of(arr) -> int:
    """The caller's current stream on the array's device, as an integer handle."""
    if library(arr) == "torch":
        import torch

        return int(torch.cuda.current_stream(arr.device).cuda_stream)
    import cupy

    return int(cupy.cuda.get_current_stream().ptr)


def _dtype_name(arr) -> str:
    return str(arr.dtype).replace("torch.", "")


def check_out(out, shape: tuple, dtype) -> None:
    """Refuse an output of the wrong shape, dtype or layout (never copy into it)."""
    if tuple(out.shape) != tuple(shape):
        raise ShapeError(f"out has shape {tuple(out.shape)}, expected {tuple(shape)}")
    if _dtype_name(out) != np.dtype(dtype).name:
        raise DTypeError(f"out has dtype {_dtype_name(out)}, expected {np.dtype(dtype).name}")
    contiguous = out.is_contiguous() if library(out) == "torch" else out.flags.c_contiguous
    if not contiguous:
        raise ShapeError("out must be C-contiguous")


def empty(shape: tuple, dtype):
    """A new CUDA array on the current device: torch when importable, else cupy."""
    name = np.dtype(dtype).name
    try:
        import torch

        return torch.empty(shape, dtype=getattr(torch, _TORCH_DTYPES[name]), device="cuda")
    except ImportError:
        import cupy

        return cupy.empty(shape, dtype=name)


def upload(a: np.ndarray, like):
    """Copy a host array to the device and library of ``like``."""
    a = np.ascontiguousarray(a)
    if library(like) == "torch":
        import torch

        t = torch.from_numpy(a.view(np.int16) if a.dtype == np.float16 else a)
        t = t.view(torch.float16) if a.dtype == np.float16 else t
        return t.to(like.device, non_blocking=False)
    import cupy

    with cupy.cuda.Device(device_index(like)):
        return cupy.asarray(a)
