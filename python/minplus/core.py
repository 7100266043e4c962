"""Typed wrappers over the native core: input validation with clear errors, backend dispatch.

Subsets of n <= 64 regions are ``uint64`` bitmasks (bit r set = region r kept). A level (n, k)
holds the C(n, k) masks of popcount k in colex order, which is increasing integer order.
"""

from __future__ import annotations

import numpy as np

from . import _core
from .arguments import allocation, integer
from .errors import ArgumentError, DeviceError, DTypeError, RegionError, ShapeError

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
    n = integer("n", n)
    if not 0 <= n <= MAX_REGIONS:
        raise RegionError(f"n must be in [0, {MAX_REGIONS}], got {n}")
    return n


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
    k = integer("k", k, lo=0)
    return 0 if k > n else int(_core.binomial(n, k))


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
        How many masks; default: all from ``start`` to the end of the level. A slice larger than
        ``minplus.arguments.MAX_ALLOC_BYTES`` (4 GiB) without ``out`` raises ArgumentError.
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
    k = integer("k", k, lo=0, hi=n)
    total = int(_core.binomial(n, k))
    start = integer("start", start, lo=0, hi=total)
    if count is None:
        count = total - start if out is None else _out_length(out)
    count = integer("count", count, lo=0)
    if count > total - start:
        raise ArgumentError(f"count={count} runs past the level: start={start}, "
                            f"C({n}, {k})={total}")
    if out is None:
        out = np.empty(allocation("level(n, k) slice", (count,), np.uint64), dtype=np.uint64)
    else:
        _check_host_out(out, (count,), np.uint64)
    _core.fill_level(n, k, start, out)
    return out


def _out_length(out) -> int:
    if not isinstance(out, np.ndarray):
        raise DeviceError(f"out must be a numpy array here, got {type(out).__name__}")
    if out.ndim != 1:
        raise ShapeError(f"out must be 1-D (count,), got shape {out.shape}")
    return len(out)


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
    k = integer("k", k, lo=0, hi=n)
    total = count(n, k)
    r = as_masks(ranks, allow_empty=True, name="ranks")
    if r.size and int(r.max()) >= total:
        raise ArgumentError(f"ranks: rank {int(r.max())} out of range for C({n}, {k})={total}")
    return _core.colex_unrank(n, k, r)


def as_masks(masks, n: int | None = None, allow_empty: bool = False,
             name: str = "masks") -> np.ndarray:
    """Validate a batch of bitmasks: a (B,) C-contiguous uint64 array, bits < n.

    Accepted: a uint64 or non-negative signed integer array, a Python or numpy int, or a flat
    list/tuple of ints. Floats (even 1.0), bools and strings raise DTypeError rather than being
    truncated or parsed; a nested list raises ShapeError like a 2-D array. An empty batch raises
    ShapeError unless ``allow_empty``.

    Examples
    --------
    >>> as_masks([3, 5]).tolist()
    [3, 5]
    >>> as_masks([1.5])
    Traceback (most recent call last):
    ...
    minplus.errors.DTypeError: masks[0]=1.5 is a float; masks must be integers in [0, 2**64)
    """
    if isinstance(masks, (int, np.integer)) and not isinstance(masks, (bool, np.bool_)):
        masks = [masks]
    if isinstance(masks, (list, tuple, range)):
        arr = _from_sequence(masks, name)
    elif isinstance(masks, np.ndarray):
        arr = _from_sequence(masks.reshape(-1), name).reshape(masks.shape) \
            if masks.dtype == object else masks
    else:
        raise DTypeError(f"{name} must be a uint64 array, an int or a list of ints, got "
                         f"{type(masks).__name__} {masks!r:.80}")
    if arr.dtype.kind == "i":
        if arr.size and arr.min() < 0:
            raise DTypeError(f"{name} must be non-negative; got {int(arr.min())}")
        arr = arr.astype(np.uint64)
    elif arr.dtype != np.uint64:
        raise DTypeError(f"{name} must be uint64 (or non-negative ints), got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ShapeError(f"{name} must be 1-D (B,), got shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise ShapeError(f"{name} is an empty batch: pass at least one mask")
    arr = np.ascontiguousarray(arr)
    if n is not None and n < MAX_REGIONS and arr.size:
        bad = arr >> np.uint64(n)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise RegionError(
                f"{name}[{i}]={int(arr[i]):#x} sets bit {int(arr[i]).bit_length() - 1}, "
                f"but the region map has only n={n} regions (bits 0..{n - 1})")
    return arr


def _from_sequence(items, name: str) -> np.ndarray:
    """uint64 (B,) from a flat sequence of ints; anything else is refused, never coerced."""
    values = []
    for i, m in enumerate(items):
        if isinstance(m, (list, tuple, np.ndarray)):
            raise ShapeError(f"{name} must be 1-D (B,); {name}[{i}] is a "
                             f"{type(m).__name__}, so the batch is nested")
        if isinstance(m, (bool, np.bool_)) or not isinstance(m, (int, np.integer)):
            raise DTypeError(f"{name}[{i}]={m!r:.40} is a {type(m).__name__}; {name} must be "
                             "integers in [0, 2**64)")
        if not 0 <= int(m) < 2**64:
            raise DTypeError(f"{name}[{i}]={int(m)} is outside [0, 2**64)")
        values.append(int(m))
    return np.array(values, dtype=np.uint64)


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
        raise ArgumentError("out is read-only")


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
