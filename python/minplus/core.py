"""Typed wrappers over the native core: input validation with clear errors, backend dispatch.

Subsets of n <= 64 regions are ``uint64`` bitmasks (bit r set = region r kept). A level (n, k)
holds the C(n, k) masks of popcount k in colex order, which is increasing integer order.
"""

from __future__ import annotations

import numpy as np

from . import _core
from .errors import DeviceError, DTypeError, RegionError, ShapeError

MAX_REGIONS = 64


def cuda_available() -> bool:
    """Whether the CUDA kernels were compiled in and a CUDA device is visible.

    Examples
    --------
    >>> isinstance(cuda_available(), bool)
    True
    """
    return bool(_core.cuda_compiled()) and _core.cuda_device_count() > 0


def _check_n(n: int) -> int:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if not 0 <= n <= MAX_REGIONS:
        raise RegionError(f"n must be in [0, {MAX_REGIONS}], got {n}")
    return int(n)


def count(n: int, k: int) -> int:
    """Number of masks of popcount ``k`` over ``n`` regions, C(n, k).

    Examples
    --------
    >>> count(12, 3)
    220
    >>> count(64, 32)
    1832624140942590534
    """
    n = _check_n(n)
    if not isinstance(k, (int, np.integer)) or k < 0:
        raise ValueError(f"k must be an int >= 0, got {k!r}")
    return int(_core.binomial(n, int(k)))


def level(n: int, k: int, start: int = 0, count: int | None = None,
          out: np.ndarray | None = None) -> np.ndarray:
    """Masks ``[start, start + count)`` of level (n, k), in colex (= increasing) order.

    Parameters
    ----------
    n : int
        Number of regions, 0 <= n <= 64.
    k : int
        Popcount of the masks, 0 <= k <= n.
    start : int
        Colex rank of the first mask.
    count : int, optional
        How many masks; default: all from ``start`` to the end of the level.
    out : (count,) uint64 ndarray, optional
        Buffer to fill instead of allocating one.

    Returns
    -------
    (count,) uint64 ndarray

    Examples
    --------
    >>> level(4, 2).tolist()
    [3, 5, 6, 9, 10, 12]
    >>> level(4, 2, start=2, count=3).tolist()
    [6, 9, 10]
    """
    n = _check_n(n)
    if not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
        raise ValueError(f"k must be an int in [0, n={n}], got {k!r}")
    total = int(_core.binomial(n, int(k)))
    if not isinstance(start, (int, np.integer)) or not 0 <= start <= total:
        raise ValueError(f"start must be in [0, C({n}, {k})={total}], got {start!r}")
    if count is None:
        count = total - int(start) if out is None else len(out)
    if not 0 <= count <= total - start:
        raise ValueError(f"count={count} runs past the level: start={start}, C({n}, {k})={total}")
    if out is None:
        out = np.empty(int(count), dtype=np.uint64)
    else:
        _check_host_out(out, (int(count),), np.uint64)
    _core.fill_level(n, int(k), int(start), out)
    return out


def rank(masks) -> np.ndarray:
    """Colex rank of each mask within its own level, (B,) uint64.

    Examples
    --------
    >>> rank(np.array([3, 5, 6, 9], dtype=np.uint64)).tolist()
    [0, 1, 2, 3]
    """
    return _core.colex_rank(as_masks(masks, allow_empty=True))


def unrank(n: int, k: int, ranks) -> np.ndarray:
    """The masks of level (n, k) at the given colex ranks, (B,) uint64.

    Examples
    --------
    >>> unrank(4, 2, [0, 5]).tolist()
    [3, 12]
    """
    n = _check_n(n)
    total = count(n, k)
    r = np.ascontiguousarray(np.asarray(ranks, dtype=np.uint64).reshape(-1))
    if r.size and int(r.max()) >= total:
        raise ValueError(f"rank {int(r.max())} out of range for C({n}, {k})={total}")
    return _core.colex_unrank(n, int(k), r)


def as_masks(masks, n: int | None = None, allow_empty: bool = False) -> np.ndarray:
    """Validate a batch of bitmasks: a (B,) C-contiguous uint64 array, bits < n.

    Python ints, lists and non-negative signed integer arrays are converted; anything else raises
    DTypeError. An empty batch raises ShapeError unless ``allow_empty``.
    """
    if isinstance(masks, (int, np.integer)):
        masks = [int(masks)]
    arr = masks if isinstance(masks, np.ndarray) else np.asarray(masks, dtype=object)
    if arr.dtype == object:
        try:
            arr = np.array([int(m) for m in arr.reshape(-1)], dtype=np.uint64)
        except (TypeError, ValueError, OverflowError) as e:
            raise DTypeError(f"masks must be integers in [0, 2**64), got {masks!r}") from e
    elif arr.dtype.kind == "i":
        if arr.size and arr.min() < 0:
            raise DTypeError("masks must be non-negative; got a negative signed integer")
        arr = arr.astype(np.uint64)
    elif arr.dtype != np.uint64:
        raise DTypeError(f"masks must be uint64 (or non-negative ints), got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ShapeError(f"masks must be 1-D (B,), got shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise ShapeError("masks is an empty batch: pass at least one mask")
    arr = np.ascontiguousarray(arr)
    if n is not None and n < MAX_REGIONS and arr.size:
        bad = arr >> np.uint64(n)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise RegionError(
                f"masks[{i}]={int(arr[i]):#x} sets bit {int(arr[i]).bit_length() - 1}, "
                f"but the region map has only n={n} regions (bits 0..{n - 1})")
    return arr


def _check_host_out(out, shape: tuple, dtype) -> None:
    if not isinstance(out, np.ndarray):
        raise DeviceError(f"out must be a numpy array here, got {type(out).__name__}")
    if out.shape != tuple(shape):
        raise ShapeError(f"out has shape {out.shape}, expected {tuple(shape)}")
    if out.dtype != np.dtype(dtype):
        raise DTypeError(f"out has dtype {out.dtype}, expected {np.dtype(dtype)}")
    if not out.flags.c_contiguous:
        raise ShapeError("out must be C-contiguous (minplus writes into it in place; "
                         "a strided view cannot be filled without a copy)")
    if not out.flags.writeable:
        raise ValueError("out is read-only")


def device_of(arr) -> str:
    """'cpu' for numpy arrays and CPU tensors, 'cuda' for CUDA torch tensors and cupy arrays."""
    if isinstance(arr, np.ndarray):
        return "cpu"
    mod = type(arr).__module__.split(".")[0]
    if mod == "torch":
        return "cuda" if arr.is_cuda else ("cpu" if arr.device.type == "cpu" else arr.device.type)
    if hasattr(arr, "__cuda_array_interface__"):
        return "cuda"
    return "unknown"
