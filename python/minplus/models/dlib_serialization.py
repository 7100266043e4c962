"""Read a network that dlib's DNN tools serialised (``serialize(net)`` / ``net_type`` ``.dat``).

dlib's format is type-driven: the stream carries no layer graph, only what each C++ type writes
in turn, so the reader is told the network's layer stack (outermost first, as the C++ template
nests). What each piece looks like, as dlib writes it:

- integers: a control byte (bit 0x80 negative, low 4 bits the byte count n, bits 0x70 zero)
  then n little-endian magnitude bytes; bools: the ASCII byte '1' or '0'; strings: a length
  integer then the bytes;
- float / double: two integers, a signed mantissa m then an exponent e, value ``m * 2**e``
  (e = 32000, 32001, 32002 stand for +inf, -inf and NaN);
- tensors: version 2, then (num_samples, k, nr, nc) integers, then the values as 4-byte
  little-endian IEEE floats; alias tensors (views into a layer's ``params``): version 1 and
  the four sizes, no data;
- ``add_loss_layer``: version 1, the loss's details, the subnetwork; ``add_layer``: version
  (2, or 3 for the one over the input layer), the subnetwork, then its layer's details and its
  bookkeeping (flags and cached tensors); ``add_tag_layer`` / ``add_skip_layer``: version 1,
  the subnetwork. Hence all the versions come first, outermost to innermost, then the input
  layer, then the layers' details from the input upwards.

Layer details begin with a name and version string (``con_6``, ``affine_2``, ``bn_con2``, ...);
the reader accepts the versions dlib itself still reads.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from ..errors import ArgumentError, ModelFileError

_INF, _NINF, _NAN = 32000, 32001, 32002  # dlib's float_details exponents for special values


@dataclass(frozen=True)
class InputRGB:
    """``input_rgb_image_sized``: x = (pixel - mean) / 256 per channel, on size (rows, cols)."""

    mean: tuple
    size: tuple


@dataclass(frozen=True)
class Conv:
    """``con_``: cross-correlation; ``weight`` (O, I, kh, kw) float32, ``bias`` (O,) or None."""

    weight: np.ndarray
    bias: np.ndarray | None
    stride: tuple
    padding: tuple
    relu: bool = False  # con_6 can fuse a ReLU after the convolution


@dataclass(frozen=True)
class Affine:
    """``affine_`` (or a ``bn_`` frozen to one): y = gamma * x + beta, per channel (C,)."""

    gamma: np.ndarray
    beta: np.ndarray


@dataclass(frozen=True)
class Linear:
    """``fc_``: y = x @ weight.T + bias; ``weight`` (out, in) float32, ``bias`` (out,) or None."""

    weight: np.ndarray
    bias: np.ndarray | None


@dataclass(frozen=True)
class ReLU:
    """``relu_``."""


@dataclass(frozen=True)
class Identity:
    """A layer dlib serialised as disabled (``relu_``/``affine_`` with ``disabled`` set)."""


@dataclass(frozen=True)
class Pool:
    """``max_pool_`` / ``avg_pool_``; ``kernel`` (0, 0) is ``avg_pool_everything``."""

    kind: str  # "max" or "avg"
    kernel: tuple
    stride: tuple
    padding: tuple


@dataclass(frozen=True)
class AddPrev:
    """``add_prev<tag>``: the input plus the output of the nearest ``tag`` below, zero-padded to
    the larger of the two in every dimension (dlib's ``tt::add``)."""

    tag: int


@dataclass(frozen=True)
class Tag:
    """``tag<id>``: marks its input for a later ``add_prev`` or ``skip``."""

    id: int


@dataclass(frozen=True)
class Skip:
    """``skip<id>``: outputs the output of the nearest ``tag<id>`` below."""

    id: int


@dataclass(frozen=True)
class LossMetric:
    """``loss_metric_``: the network's output is the embedding itself."""

    margin: float
    distance_threshold: float


class DlibReader:
    """A cursor over a dlib-serialised byte string; every read names the offset when it fails.

    Parameters
    ----------
    data : bytes
        The whole file.
    name : str
        Used in error messages (usually the path).

    Examples
    --------
    >>> r = DlibReader(bytes([0x01, 0x05, 0x81, 0x03]) + b"1")
    >>> r.int(), r.int(), r.bool()
    (5, -3, True)
    """

    def __init__(self, data: bytes, name: str = "<bytes>"):
        self.data = memoryview(data)
        self.pos = 0
        self.name = name

    def fail(self, what: str) -> ModelFileError:
        """A :class:`ModelFileError` naming the file and the byte offset."""
        return ModelFileError(f"{self.name}: {what} at byte {self.pos} (of {len(self.data)}); "
                              "the file is not a dlib network of the expected type, or corrupt")

    def _take(self, n: int, what: str) -> memoryview:
        if self.pos + n > len(self.data):
            raise self.fail(f"unexpected end of file reading {what}")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def int(self) -> int:
        """One integer (any of dlib's signed or unsigned integral types)."""
        control = self._take(1, "an integer")[0]
        size = control & 0x0F
        if control & 0x70 or not 1 <= size <= 8:
            self.pos -= 1
            raise self.fail(f"bad integer control byte 0x{control:02x}")
        value = int.from_bytes(self._take(size, "an integer"), "little")
        return -value if control & 0x80 else value

    def bool(self) -> bool:
        """One bool, written by dlib as the character '1' or '0'."""
        ch = self._take(1, "a bool")[0]
        if ch not in (0x30, 0x31):
            self.pos -= 1
            raise self.fail(f"bad bool byte 0x{ch:02x}")
        return ch == 0x31

    def float(self) -> float:
        """One float or double: mantissa and exponent integers (the compact binary format)."""
        if self.pos < len(self.data) and self.data[self.pos] & 0x70:
            raise self.fail("a float in dlib's old ASCII format (not supported)")
        mantissa, exponent = self.int(), self.int()
        if exponent == _INF:
            return math.inf
        if exponent == _NINF:
            return -math.inf
        if exponent == _NAN:
            return math.nan
        return math.ldexp(mantissa, exponent)

    def string(self) -> str:
        """One std::string: its length, then its bytes (read as latin-1)."""
        n = self.int()
        if n < 0:
            raise self.fail(f"negative string length {n}")
        return bytes(self._take(n, "a string")).decode("latin-1")

    def version(self, what: str, allowed) -> int:
        """An integer version, checked against ``allowed``."""
        v = self.int()
        if v not in allowed:
            raise self.fail(f"{what} version {v} (expected one of {sorted(allowed)})")
        return v

    def tensor(self) -> np.ndarray:
        """A ``resizable_tensor``: (num_samples, k, nr, nc) float32 (a copy)."""
        self.version("tensor", {2})
        shape = tuple(self.int() for _ in range(4))
        if min(shape) < 0:
            raise self.fail(f"negative tensor shape {shape}")
        n = int(np.prod(shape, dtype=np.int64))
        raw = self._take(4 * n, f"a tensor of shape {shape}")
        return np.frombuffer(raw, "<f4").astype(np.float32).reshape(shape)

    def alias_tensor(self) -> tuple:
        """An ``alias_tensor``: just its (num_samples, k, nr, nc) shape."""
        self.version("alias_tensor", {1})
        return tuple(self.int() for _ in range(4))


def _size(shape) -> int:
    return int(np.prod(shape, dtype=np.int64))


def _split(r: DlibReader, params: np.ndarray, *shapes) -> list:
    """Views of ``params`` laid out back to back as ``shapes``, as dlib's alias tensors are."""
    flat = params.reshape(-1)
    if sum(_size(s) for s in shapes) != flat.size:
        raise r.fail(f"layer params hold {flat.size} values, not the {shapes} they alias")
    out, at = [], 0
    for s in shapes:
        out.append(flat[at:at + _size(s)].reshape(s))
        at += _size(s)
    return out


def _read_input(r: DlibReader) -> InputRGB:
    name = r.string()
    if name != "input_rgb_image_sized":
        raise r.fail(f"input layer {name!r} (only input_rgb_image_sized is supported)")
    mean = (r.float(), r.float(), r.float())
    rows, cols = r.int(), r.int()
    return InputRGB(mean, (rows, cols))


def _read_con(r: DlibReader, version: str) -> Conv:
    params = r.tensor()
    r.int()  # num_filters, also in the filters' alias shape
    kh, kw = r.int(), r.int()
    stride = (r.int(), r.int())
    padding = (r.int(), r.int())
    filters, biases = r.alias_tensor(), r.alias_tensor()
    for _ in range(4):  # learning-rate and weight-decay multipliers: training only
        r.float()
    use_bias = r.bool() if version in ("con_5", "con_6") else True
    relu = r.bool() if version == "con_6" else False
    if filters[2:] != (kh, kw):
        raise r.fail(f"con_ filters {filters} do not match its {kh}x{kw} kernel")
    # params hold the biases only while use_bias is set (con_::disable_bias drops them)
    parts = _split(r, params, *([filters, biases] if use_bias else [filters]))
    bias = parts[1].reshape(-1).copy() if len(parts) > 1 else None
    return Conv(parts[0].copy(), bias, stride, padding, relu)


def _read_fc(r: DlibReader, version: str) -> Linear:
    n_out, n_in = r.int(), r.int()
    params = r.tensor()
    weights, biases = r.alias_tensor(), r.alias_tensor()
    bias_mode = r.int()  # 0 FC_HAS_BIAS, 1 FC_NO_BIAS
    for _ in range(4):
        r.float()
    use_bias = r.bool() if version == "fc_3" else True
    has_bias = bias_mode == 0 and use_bias  # params hold the biases only then (fc_::setup)
    parts = _split(r, params, *([weights, biases] if has_bias else [weights]))
    if parts[0].size != n_in * n_out:
        raise r.fail(f"fc_ weights {weights} do not hold {n_in} x {n_out} values")
    # dlib computes output = input (B, in) x W (in, out); torch's Linear holds W transposed.
    weight = np.ascontiguousarray(parts[0].reshape(n_in, n_out).T)
    return Linear(weight, parts[1].reshape(-1).copy() if has_bias else None)


def _read_affine(r: DlibReader, version: str):
    params = r.tensor()
    gamma, beta = r.alias_tensor(), r.alias_tensor()
    if version.startswith("bn_"):
        r.tensor(), r.tensor()  # the last batch's means and inverse stds: training only
        running_mean, running_var = r.tensor().reshape(-1), r.tensor().reshape(-1)
        r.int(), r.int()  # num_updates, running_stats_window_size
        for _ in range(4):
            r.float()
        eps = r.float()
        g, b = _split(r, params, gamma, beta)
        # dlib's affine_(const bn_&): the running statistics folded into one scale and shift.
        scale = g.reshape(-1) / np.sqrt(running_var + np.float32(eps))
        return Affine(scale.astype(np.float32), (b.reshape(-1) - scale * running_mean)
                      .astype(np.float32))
    r.int()  # layer mode (CONV_MODE per channel, FC_MODE per element): inferred from the shape
    disabled = r.bool() if version == "affine_2" else False
    if disabled:
        return Identity()
    g, b = _split(r, params, gamma, beta)
    return Affine(g.reshape(-1).copy(), b.reshape(-1).copy())


def _read_pool(r: DlibReader, kind: str) -> Pool:
    kernel = (r.int(), r.int())
    stride = (r.int(), r.int())
    padding = (r.int(), r.int())
    return Pool(kind, kernel, stride, padding)


def _read_relu(r: DlibReader, version: str):
    return Identity() if version == "relu_2" and r.bool() else ReLU()


_LAYER_VERSIONS = {
    "con": ("con_4", "con_5", "con_6"), "fc": ("fc_2", "fc_3"),
    "affine": ("affine_", "affine_2", "bn_con2", "bn_fc2"), "relu": ("relu_", "relu_2"),
    "max_pool": ("max_pool_2",), "avg_pool": ("avg_pool_2",), "add_prev": ("add_prev_",),
}


def _read_layer(r: DlibReader, kind: str):
    """The details of one computational layer of the expected ``kind`` (checked by its name)."""
    base = re.sub(r"\d+$", "", kind) if kind.startswith("add_prev") else kind
    at = r.pos
    name = r.string()
    if name not in _LAYER_VERSIONS.get(base, ()):
        r.pos = at
        raise r.fail(f"layer {name!r} where the network has {kind}")
    if base == "con":
        return _read_con(r, name)
    if base == "fc":
        return _read_fc(r, name)
    if base == "affine":
        return _read_affine(r, name)
    if base == "relu":
        return _read_relu(r, name)
    if base in ("max_pool", "avg_pool"):
        return _read_pool(r, base[:3])
    return AddPrev(int(kind[len("add_prev"):]))


def _read_loss(r: DlibReader) -> LossMetric:
    name = r.string()
    if name == "loss_metric_":
        return LossMetric(0.1, 0.75)  # dlib's hard-coded values for that version
    if name == "loss_metric_2":
        return LossMetric(r.float(), r.float())
    raise r.fail(f"loss layer {name!r} (only loss_metric is supported)")


def _structural(kind: str):
    m = re.fullmatch(r"(tag|skip)(\d+)", kind)
    return (Tag if m.group(1) == "tag" else Skip)(int(m.group(2))) if m else None


def read_network(data: bytes, layers, name: str = "<bytes>"):
    """Parse a serialised ``loss_metric`` network whose layer stack is ``layers``.

    Parameters
    ----------
    data : bytes
        The file's contents.
    layers : sequence of str
        The network's layers outermost first, as its C++ type nests, without the loss and the
        input layer: ``"fc"``, ``"avg_pool"``, ``"max_pool"``, ``"relu"``, ``"affine"``,
        ``"con"``, ``"add_prev<N>"``, ``"tag<N>"``, ``"skip<N>"``.
    name : str
        The file's name, for error messages.

    Returns
    -------
    loss : LossMetric
    input : InputRGB
    stack : list
        One object per entry of ``layers``, in forward order (input side first): :class:`Conv`,
        :class:`Affine`, :class:`Linear`, :class:`ReLU`, :class:`Identity`, :class:`Pool`,
        :class:`AddPrev`, :class:`Tag`, :class:`Skip`.

    Raises
    ------
    ModelFileError
        The bytes do not follow the format for this stack (the message names the offset).
    """
    layers = list(layers)
    if not layers or _structural(layers[-1]) is not None:
        raise ArgumentError("layers must end with the computational layer over the input")
    r = DlibReader(data, name)
    r.version("add_loss_layer", {1})
    loss = _read_loss(r)
    # The nested versions, outermost first; add_layer is 1 or 2, and 2 or 3 over the input.
    versions = []
    for i, kind in enumerate(layers):
        if _structural(kind) is not None:
            versions.append(r.version(f"{kind} layer", {1}))
        else:
            innermost = i == len(layers) - 1
            versions.append(r.version(f"add_layer ({kind})", {2, 3} if innermost else {1, 2}))
    inp = _read_input(r)
    stack = []
    for i in range(len(layers) - 1, -1, -1):
        kind, version = layers[i], versions[i]
        structural = _structural(kind)
        if structural is not None:
            stack.append(structural)
            continue
        stack.append(_read_layer(r, kind))
        for _ in range(3):  # this_layer_setup_called, gradient_input_is_stale, output disabled
            r.bool()
        r.tensor(), r.tensor()  # x_grad and cached_output: training state
        if i == len(layers) - 1:
            r.tensor()  # grad_final
            if version >= 3:
                r.int()  # _sample_expansion_factor
        elif version == 2:
            r.tensor()  # params_grad
    if r.pos != len(r.data):
        raise r.fail(f"{len(r.data) - r.pos} trailing bytes after the network")
    return loss, inp, stack


def read_network_file(path, layers):
    """:func:`read_network` on the file at ``path`` (str or path-like)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ModelFileError(f"cannot read the dlib network {path}: {e}") from e
    return read_network(data, layers, str(path))
