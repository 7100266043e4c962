"""onnx_to_torch: an ONNX graph of common CNN operators as a differentiable ``torch.nn.Module``.

White-box methods (gradients, CAMs) need a torch module; many real models (the age and gender
networks among them) ship as ONNX. The converter builds one submodule per graph node, in the
graph's (topological) order, and the module's ``forward`` runs them over a table of named values:

* layers with weights become torch's own layers, so hooks and layer look-ups work on them:
  ``Conv`` -> ``nn.Conv1d/2d/3d`` (wrapped with an explicit pad when the ONNX padding is
  asymmetric), ``Gemm`` with constant weights -> ``nn.Linear``; their weights are parameters;
* every other node is a :class:`OnnxNode`: a module-level function with the node's attributes
  bound, so the module deep-copies, pickles and converts (``.double()``) like any other;
* initializers and ``Constant`` outputs the nodes read at run time are buffers; those that fix
  a node's configuration (a ``Pad``'s pads, a ``Reshape``'s shape) are read once, here. Nodes
  whose inputs are all constant are evaluated once, here (exporters compute pads and shapes
  with such chains), and never run again.

Supported operators: see :data:`SUPPORTED`. Any other raises
:class:`~minplus.errors.UnsupportedOperatorError` naming it, before anything is built.
"""

from __future__ import annotations

import functools
import os
from collections import Counter

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ArgumentTypeError, UnsupportedOperatorError


# ---- the node functions: ONNX semantics on torch tensors --------------------------------------

def _ints(v) -> list:
    """A shape-like operand (list, tuple, array or int64 tensor) as a list of Python ints."""
    if isinstance(v, torch.Tensor):
        return [int(i) for i in v.reshape(-1).tolist()]
    return [int(i) for i in np.asarray(v).reshape(-1)]


def _div(a, b):
    if not a.is_floating_point() and not b.is_floating_point():
        return torch.div(a, b, rounding_mode="trunc")  # ONNX integer Div truncates
    return a / b


def _gemm(a, b, c=None, alpha=1.0, beta=1.0, trans_a=0, trans_b=0):
    y = alpha * ((a.T if trans_a else a) @ (b.T if trans_b else b))
    return y if c is None else y + beta * c


def _prelu(x, slope):
    return torch.where(x >= 0, x, x * slope)


def _flatten(x, axis=1):
    axis = axis % x.ndim if x.ndim else 0
    return x.reshape(int(np.prod(x.shape[:axis], dtype=np.int64)), -1)


def _reshape(x, shape, allowzero=0):
    dims = _ints(shape)
    if not allowzero:  # 0 copies the input's size in that position
        dims = [x.shape[i] if d == 0 else d for i, d in enumerate(dims)]
    return x.reshape(dims)


def _transpose(x, perm=None):
    return x.permute(*(perm if perm is not None else range(x.ndim - 1, -1, -1)))


def _concat(*xs, axis=0):
    return torch.cat(xs, dim=axis)


def _softmax(x, axis=-1, log=False, coerce_2d=False):
    fn = torch.log_softmax if log else torch.softmax
    if not coerce_2d:
        return fn(x, dim=axis)
    # Before opset 13 the input is flattened to 2-D at ``axis`` and normalised over the rest.
    shape = x.shape
    return fn(_flatten(x, axis), dim=1).reshape(shape)


def _global_pool(x, reduce="mean"):
    dims = tuple(range(2, x.ndim))
    return x.mean(dim=dims, keepdim=True) if reduce == "mean" else x.amax(dim=dims, keepdim=True)


def _torch_pads(pads, ndim, axes=None):
    """ONNX pads [b_0.., e_0..] over ``axes`` -> torch's (b_last, e_last, b_prev, e_prev, ...)."""
    p = _ints(pads)
    axes = list(range(ndim)) if axes is None else [a % ndim for a in _ints(axes)]
    k = len(axes)
    begin, end = dict(zip(axes, p[:k])), dict(zip(axes, p[k:]))
    first = min([a for a in axes if begin[a] or end[a]], default=ndim)
    out = []
    for a in range(ndim - 1, first - 1, -1):
        out += [begin.get(a, 0), end.get(a, 0)]
    return out


_PAD_MODES = {"constant": "constant", "reflect": "reflect", "edge": "replicate",
              "wrap": "circular"}


def _pad(x, pads=None, value=None, axes=None, mode="constant"):
    tp = _torch_pads(pads, x.ndim, axes)
    if not tp:
        return x
    if mode != "constant" and len(tp) > 2 * (x.ndim - 2):
        raise UnsupportedOperatorError(f"Pad mode {mode!r} on the batch or channel axis")
    fill = 0.0 if value is None else float(value.reshape(-1)[0]) \
        if isinstance(value, torch.Tensor) else float(value)
    if mode == "constant":
        return F.pad(x, tp, mode="constant", value=fill)
    return F.pad(x, tp, mode=_PAD_MODES[mode])


def _same_pads(x, kernel, strides, dilations, auto_pad):
    """Explicit ONNX pads [b.., e..] for auto_pad SAME_UPPER / SAME_LOWER on ``x``."""
    begin, end = [], []
    for size, k, s, d in zip(x.shape[2:], kernel, strides, dilations):
        out = -(-size // s)
        total = max(0, (out - 1) * s + (k - 1) * d + 1 - size)
        small = total // 2
        b = small if auto_pad == "SAME_UPPER" else total - small
        begin.append(b)
        end.append(total - b)
    return begin + end


def _spatial_pads(x, pads, kernel, strides, dilations, auto_pad):
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        return _same_pads(x, kernel, strides, dilations, auto_pad)
    n = len(kernel)
    return [0] * (2 * n) if auto_pad == "VALID" or pads is None else list(pads)


def _pool_fn(kind: str, n: int):
    return {("max", 1): F.max_pool1d, ("max", 2): F.max_pool2d, ("max", 3): F.max_pool3d,
            ("avg", 1): F.avg_pool1d, ("avg", 2): F.avg_pool2d, ("avg", 3): F.avg_pool3d}[kind, n]


def _max_pool(x, kernel, strides, pads=None, dilations=None, ceil_mode=0, auto_pad="NOTSET"):
    n = len(kernel)
    dilations = dilations or [1] * n
    p = _spatial_pads(x, pads, kernel, strides, dilations, auto_pad)
    if p[:n] == p[n:] and all(2 * b <= k for b, k in zip(p[:n], kernel)):
        return _pool_fn("max", n)(x, kernel, strides, p[:n], dilations, ceil_mode=bool(ceil_mode))
    xp = F.pad(x, _torch_pads([0, 0] + p[:n] + [0, 0] + p[n:], x.ndim), value=-float("inf"))
    return _pool_fn("max", n)(xp, kernel, strides, 0, dilations, ceil_mode=bool(ceil_mode))


def _avg_pool(x, kernel, strides, pads=None, ceil_mode=0, count_include_pad=0,
              auto_pad="NOTSET"):
    n = len(kernel)
    p = _spatial_pads(x, pads, kernel, strides, [1] * n, auto_pad)
    pool = _pool_fn("avg", n)
    if p[:n] == p[n:] and all(2 * b <= k for b, k in zip(p[:n], kernel)):
        return pool(x, kernel, strides, p[:n], ceil_mode=bool(ceil_mode),
                    count_include_pad=bool(count_include_pad))
    tp = _torch_pads([0, 0] + p[:n] + [0, 0] + p[n:], x.ndim)
    mean = pool(F.pad(x, tp), kernel, strides, 0, ceil_mode=bool(ceil_mode))
    if count_include_pad:
        return mean
    # Without the padding in the count: divide by the share of each window inside the input.
    inside = pool(F.pad(torch.ones_like(x[:1, :1]), tp), kernel, strides, 0,
                  ceil_mode=bool(ceil_mode))
    return mean / inside


def _shape(x, start=0, end=None):
    return torch.tensor(list(x.shape)[start:end], dtype=torch.int64, device=x.device)


def _gather(x, indices, axis=0):
    axis = axis % x.ndim
    idx = indices.long() % x.shape[axis]
    out = x.index_select(axis, idx.reshape(-1))
    return out.reshape(x.shape[:axis] + idx.shape + x.shape[axis + 1:])


def _unsqueeze(x, axes=None):
    axes = _ints(axes)
    rank = x.ndim + len(axes)
    for a in sorted(a % rank for a in axes):
        x = x.unsqueeze(a)
    return x


def _squeeze(x, axes=None):
    if axes is None:
        return x.squeeze()
    return x.squeeze(tuple(a % x.ndim for a in _ints(axes)))


def _clip(x, low=None, high=None):
    low = float(low) if low is not None else None
    high = float(high) if high is not None else None
    return torch.clamp(x, low, high)


def _reduce_mean(x, axes=None, keepdims=1, noop_with_empty_axes=0):
    dims = [] if axes is None else _ints(axes)
    if not dims and noop_with_empty_axes:
        return x
    return x.mean(dim=tuple(dims or range(x.ndim)), keepdim=bool(keepdims))


def _cast(x, dtype=None):
    return x.to(dtype)


def _identity(x, *_):
    return x


def _slice(x, starts, ends, axes=None, steps=None):
    starts, ends = _ints(starts), _ints(ends)
    axes = list(range(len(starts))) if axes is None else _ints(axes)
    steps = [1] * len(starts) if steps is None else _ints(steps)
    for s, e, a, st in zip(starts, ends, axes, steps):
        a %= x.ndim
        # Python's slice clamps starts and ends as ONNX does (including INT64_MAX ends).
        if st > 0:
            x = x[(slice(None),) * a + (slice(s, e, st),)]
        else:  # torch slices take no negative steps: gather the indices instead
            idx = torch.arange(*slice(s, e, st).indices(x.shape[a]), device=x.device)
            x = x.index_select(a, idx)
    return x


def _constant_of_shape(shape, value=0.0, dtype=torch.float32):
    device = shape.device if isinstance(shape, torch.Tensor) else None
    return torch.full(_ints(shape), value, dtype=dtype, device=device)


class OnnxNode(torch.nn.Module):
    """One graph node: ``fn(*inputs, **attributes)`` with the attributes fixed at conversion."""

    def __init__(self, op_type: str, fn, **attributes):
        super().__init__()
        self.op_type, self.fn, self.attributes = op_type, fn, attributes

    def forward(self, *inputs):
        return self.fn(*inputs, **self.attributes)

    def extra_repr(self):
        return self.op_type


class _BatchNorm(torch.nn.Module):
    """Inference-time BatchNormalization with the graph's statistics (never updated)."""

    def __init__(self, scale, bias, mean, var, eps):
        super().__init__()
        for k, v in (("weight", scale), ("bias", bias), ("running_mean", mean),
                     ("running_var", var)):
            self.register_buffer(k, torch.tensor(np.array(v)))
        self.eps = float(eps)

    def forward(self, x):
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            False, 0.0, self.eps)


class _Padded(torch.nn.Module):
    """A layer after an explicit pad (ONNX allows asymmetric and SAME padding; torch does not)."""

    def __init__(self, layer, pads, kernel, strides, dilations, auto_pad):
        super().__init__()
        self.layer = layer
        self.pads, self.kernel, self.strides = pads, kernel, strides
        self.dilations, self.auto_pad = dilations, auto_pad

    def forward(self, x):
        p = _spatial_pads(x, self.pads, self.kernel, self.strides, self.dilations, self.auto_pad)
        n = len(self.kernel)
        return self.layer(F.pad(x, _torch_pads([0, 0] + p[:n] + [0, 0] + p[n:], x.ndim)))


# ---- building modules from nodes --------------------------------------------------------------

class _Node:
    """A node being converted: attributes, and its inputs as constants where they are known."""

    def __init__(self, node, consts, opset):
        import onnx

        self.node, self.opset, self._consts = node, opset, consts
        self.attrs = {}
        for a in node.attribute:
            v = onnx.helper.get_attribute_value(a)
            if isinstance(v, bytes):
                v = v.decode()
            elif isinstance(v, onnx.TensorProto):
                v = onnx.numpy_helper.to_array(v)
            self.attrs[a.name] = v

    @property
    def inputs(self) -> list:
        return list(self.node.input)

    def input(self, i: int):
        return self.inputs[i] if i < len(self.inputs) and self.inputs[i] else None

    def const(self, i: int):
        """Input ``i`` as a numpy array when it is an initializer or a Constant, else None."""
        name = self.input(i)
        return None if name is None else self._consts.get(name)

    def static(self, i: int, attr: str | None = None, default=None):
        """A configuration operand: from input ``i`` if given (it must be constant), else the
        attribute ``attr`` (older opsets), else ``default``. Returns (value, is_static)."""
        if self.input(i) is not None:
            c = self.const(i)
            return (c, True) if c is not None else (None, False)
        if attr is not None and attr in self.attrs:
            return self.attrs[attr], True
        return default, True


def _conv(n: _Node):
    w = n.const(1)
    if w is None:
        raise UnsupportedOperatorError(f"Conv node {n.node.name!r} has a weight computed in the "
                                       "graph; onnx_to_torch needs constant Conv weights")
    b = n.const(2)
    if n.input(2) is not None and b is None:
        raise UnsupportedOperatorError(f"Conv node {n.node.name!r} has a bias computed in the "
                                       "graph")
    k = list(w.shape[2:])
    dims = len(k)
    a = n.attrs
    strides = list(a.get("strides", [1] * dims))
    dilations = list(a.get("dilations", [1] * dims))
    pads = list(a.get("pads", [0] * (2 * dims)))
    auto_pad = a.get("auto_pad", "NOTSET")
    group = int(a.get("group", 1))
    cls = {1: torch.nn.Conv1d, 2: torch.nn.Conv2d, 3: torch.nn.Conv3d}.get(dims)
    if cls is None:
        raise UnsupportedOperatorError(f"Conv with {dims} spatial dimensions")
    symmetric = auto_pad in ("NOTSET", "VALID") and pads[:dims] == pads[dims:]
    conv = cls(w.shape[1] * group, w.shape[0], k, stride=strides,
               padding=pads[:dims] if symmetric and auto_pad == "NOTSET" else 0,
               dilation=dilations, groups=group, bias=b is not None)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(np.array(w)))
        if b is not None:
            conv.bias.copy_(torch.tensor(np.array(b)))
    module = conv if symmetric else _Padded(conv, pads, k, strides, dilations, auto_pad)
    return module, [n.input(0)]


def _gemm_node(n: _Node):
    a = n.attrs
    alpha, beta = float(a.get("alpha", 1.0)), float(a.get("beta", 1.0))
    ta, tb = int(a.get("transA", 0)), int(a.get("transB", 0))
    b, c = n.const(1), n.const(2)
    if b is not None and not ta and (n.input(2) is None or c is not None) and \
            (c is None or c.size in (1, b.shape[0 if tb else 1])):
        weight = (b if tb else b.T) * alpha
        linear = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=c is not None)
        with torch.no_grad():
            linear.weight.copy_(torch.as_tensor(np.ascontiguousarray(weight)))
            if c is not None:
                linear.bias.copy_(torch.as_tensor(
                    np.broadcast_to(c.reshape(-1) * beta, (weight.shape[0],)).copy()))
        return linear, [n.input(0)]
    return OnnxNode("Gemm", _gemm, alpha=alpha, beta=beta, trans_a=ta, trans_b=tb), \
        [i for i in n.inputs if i]


def _batchnorm(n: _Node):
    parts = [n.const(i) for i in range(1, 5)]
    if any(p is None for p in parts):
        raise UnsupportedOperatorError(f"BatchNormalization node {n.node.name!r} with statistics "
                                       "computed in the graph")
    return _BatchNorm(*parts, n.attrs.get("epsilon", 1e-5)), [n.input(0)]


def _pad_node(n: _Node):
    mode = n.attrs.get("mode", "constant")
    if mode not in _PAD_MODES:
        raise UnsupportedOperatorError(f"Pad mode {mode!r}")
    operands = [n.static(1, "pads"), n.static(2, "value", 0.0), n.static(3)]
    if not all(is_static for _, is_static in operands):
        # Pads computed in the graph: pass every operand at run time, in _pad's order.
        return OnnxNode("Pad", _pad, mode=mode), [n.input(i) or "" for i in range(4)]
    (pads, _), (value, _), (axes, _) = operands
    return OnnxNode("Pad", _pad, pads=_ints(pads), axes=None if axes is None else _ints(axes),
                    value=float(np.asarray(value).reshape(-1)[0]), mode=mode), [n.input(0)]


def _pool_attrs(n: _Node):
    a = n.attrs
    k = list(a["kernel_shape"])
    return k, dict(strides=list(a.get("strides", [1] * len(k))),
                   pads=list(a.get("pads", [0] * (2 * len(k)))),
                   ceil_mode=int(a.get("ceil_mode", 0)), auto_pad=a.get("auto_pad", "NOTSET"))


def _max_pool_node(n: _Node):
    if len(n.node.output) > 1 and n.node.output[1]:
        raise UnsupportedOperatorError("MaxPool with an Indices output")
    k, kw = _pool_attrs(n)
    kw["dilations"] = list(n.attrs.get("dilations", [1] * len(k)))
    return OnnxNode("MaxPool", _max_pool, kernel=k, **kw), [n.input(0)]


def _avg_pool_node(n: _Node):
    k, kw = _pool_attrs(n)
    if any(d != 1 for d in n.attrs.get("dilations", [1] * len(k))):
        raise UnsupportedOperatorError("AveragePool with dilations")
    return OnnxNode("AveragePool", _avg_pool, kernel=k,
                    count_include_pad=int(n.attrs.get("count_include_pad", 0)), **kw), \
        [n.input(0)]


def _softmax_node(n: _Node, log: bool = False):
    new = n.opset >= 13
    axis = int(n.attrs.get("axis", -1 if new else 1))
    return OnnxNode(n.node.op_type, _softmax, axis=axis, log=log, coerce_2d=not new), \
        [n.input(0)]


def _with_operand(op, fn, i, name, n: _Node, attr=None, **fixed):
    """A node whose input ``i`` (or attribute ``attr``) configures it: bound when constant."""
    val, is_static = n.static(i, attr)
    if is_static:
        return OnnxNode(op, fn, **{name: None if val is None else _ints(val)}, **fixed), \
            [n.input(0)]
    return OnnxNode(op, fn, **fixed), [n.input(0), n.input(i)]


def _simple(op_type, fn, attrs=(), **fixed):
    """A converter for a node taking its inputs as they are; ``attrs`` holds (keyword, ONNX
    attribute, default) triples, ``fixed`` keywords bound as given."""
    def build(n: _Node):
        kwargs = {k: n.attrs.get(a, d) for k, a, d in attrs}
        return OnnxNode(op_type, fn, **kwargs, **fixed), [i for i in n.inputs if i]
    return build


def _clip_node(n: _Node):
    if n.opset < 11:
        return OnnxNode("Clip", _clip, low=n.attrs.get("min"), high=n.attrs.get("max")), \
            [n.input(0)]
    low, high = n.const(1), n.const(2)
    if (n.input(1) and low is None) or (n.input(2) and high is None):
        return OnnxNode("Clip", _clip), [n.input(0), n.input(1) or "", n.input(2) or ""]
    return OnnxNode("Clip", _clip, low=None if low is None else float(low),
                    high=None if high is None else float(high)), [n.input(0)]


def _cast_node(n: _Node):
    import onnx

    np_dtype = onnx.helper.tensor_dtype_to_np_dtype(n.attrs["to"])
    dtype = torch.bool if np_dtype == np.bool_ else torch.from_numpy(np.zeros(0, np_dtype)).dtype
    return OnnxNode("Cast", _cast, dtype=dtype), [n.input(0)]


def _reduce_mean_node(n: _Node):
    keep = int(n.attrs.get("keepdims", 1))
    if n.opset < 18:
        return OnnxNode("ReduceMean", _reduce_mean, axes=n.attrs.get("axes"), keepdims=keep), \
            [n.input(0)]
    return _with_operand("ReduceMean", _reduce_mean, 1, "axes", n, keepdims=keep,
                         noop_with_empty_axes=int(n.attrs.get("noop_with_empty_axes", 0)))


def _slice_node(n: _Node):
    if n.opset < 10:
        return OnnxNode("Slice", _slice, starts=n.attrs["starts"], ends=n.attrs["ends"],
                        axes=n.attrs.get("axes")), [n.input(0)]
    return OnnxNode("Slice", _slice), [n.input(i) or "" for i in range(len(n.inputs))]


def _constant_of_shape_node(n: _Node):
    value = np.asarray(n.attrs.get("value", np.zeros(1, np.float32)))
    dtype = torch.from_numpy(np.zeros(0, value.dtype)).dtype
    return OnnxNode("ConstantOfShape", _constant_of_shape, value=value.reshape(-1)[0].item(),
                    dtype=dtype), [n.input(0)]


def _leaky(n: _Node):
    return torch.nn.LeakyReLU(float(n.attrs.get("alpha", 0.01))), [n.input(0)]


_CONVERTERS = {
    "Conv": _conv,
    "Gemm": _gemm_node,
    "MatMul": _simple("MatMul", torch.matmul),
    "Add": _simple("Add", torch.add),
    "Sub": _simple("Sub", torch.sub),
    "Mul": _simple("Mul", torch.mul),
    "Div": _simple("Div", _div),
    "Relu": lambda n: (torch.nn.ReLU(), [n.input(0)]),
    "PRelu": _simple("PRelu", _prelu),
    "LeakyRelu": _leaky,
    "Sigmoid": lambda n: (torch.nn.Sigmoid(), [n.input(0)]),
    "Tanh": lambda n: (torch.nn.Tanh(), [n.input(0)]),
    "Clip": _clip_node,
    "BatchNormalization": _batchnorm,
    "Pad": _pad_node,
    "MaxPool": _max_pool_node,
    "AveragePool": _avg_pool_node,
    "GlobalAveragePool": _simple("GlobalAveragePool", _global_pool, reduce="mean"),
    "GlobalMaxPool": _simple("GlobalMaxPool", _global_pool, reduce="max"),
    "Flatten": _simple("Flatten", _flatten, [("axis", "axis", 1)]),
    "Reshape": lambda n: _with_operand("Reshape", _reshape, 1, "shape", n,
                                       allowzero=int(n.attrs.get("allowzero", 0))),
    "Transpose": _simple("Transpose", _transpose, [("perm", "perm", None)]),
    "Concat": _simple("Concat", _concat, [("axis", "axis", 0)]),
    "Softmax": _softmax_node,
    "LogSoftmax": functools.partial(_softmax_node, log=True),
    "Identity": _simple("Identity", _identity),
    "Dropout": lambda n: (OnnxNode("Dropout", _identity), [n.input(0)]),
    "Shape": _simple("Shape", _shape, [("start", "start", 0), ("end", "end", None)]),
    "Gather": _simple("Gather", _gather, [("axis", "axis", 0)]),
    "Unsqueeze": lambda n: _with_operand("Unsqueeze", _unsqueeze, 1, "axes", n, "axes"),
    "Squeeze": lambda n: _with_operand("Squeeze", _squeeze, 1, "axes", n, "axes"),
    "Cast": _cast_node,
    "ReduceMean": _reduce_mean_node,
    "Slice": _slice_node,
    "ConstantOfShape": _constant_of_shape_node,
}

SUPPORTED = tuple(sorted(_CONVERTERS) + ["Constant"])


def _constant_value(attrs: dict) -> np.ndarray:
    for key in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        if key in attrs:
            v = attrs[key]
            if key.startswith("value_int"):
                return np.asarray(v, np.int64)
            return np.asarray(v, np.float32) if key != "value" else np.asarray(v)
    raise UnsupportedOperatorError(f"Constant with attributes {sorted(attrs)}")


class OnnxGraph(torch.nn.Module):
    """An ONNX graph as a torch module: ``forward(*inputs)`` in the graph's input order returns
    its output (or a tuple of outputs). Built by :func:`onnx_to_torch`.

    Attributes
    ----------
    input_names, output_names : list of str
        The graph's inputs (initializers excluded) and outputs.
    layers : nn.ModuleDict
        One module per node, named ``"{index}_{op_type}"`` in graph order.
    """

    def __init__(self, model):
        super().__init__()
        import onnx

        graph = model.graph
        opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)
        unknown = Counter(n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}::{n.op_type}"
                          for n in graph.node
                          if n.domain not in ("", "ai.onnx") or n.op_type not in SUPPORTED)
        if unknown:
            first = next(n for n in graph.node if n.domain not in ("", "ai.onnx")
                         or n.op_type not in SUPPORTED)
            names = ", ".join(f"{op} (x{c})" for op, c in unknown.items())
            raise UnsupportedOperatorError(
                f"onnx_to_torch does not support the ONNX operator(s) {names}; first at node "
                f"{first.name or first.output[0]!r}. Supported: {', '.join(SUPPORTED)}")
        consts = {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}
        self.input_names = [i.name for i in graph.input if i.name not in consts]
        self.output_names = [o.name for o in graph.output]
        self.layers = torch.nn.ModuleDict()
        self._plan: list[tuple[str, list, list]] = []
        for index, node in enumerate(graph.node):
            n = _Node(node, consts, opset)
            if node.op_type == "Constant":
                consts[node.output[0]] = _constant_value(n.attrs)
                continue
            module, inputs = _CONVERTERS[node.op_type](n)
            if all(i in consts for i in inputs if i):
                # Constant folding: exporters compute pads and shapes with chains of such nodes
                # (ConstantOfShape, Concat, Slice, Cast ...); their results configure later ones.
                with torch.no_grad():
                    y = module(*[torch.from_numpy(np.array(consts[i])) if i else None
                                 for i in inputs])
                consts[node.output[0]] = y.numpy()
                continue
            key = f"{index}_{node.op_type}"
            self.layers[key] = module
            outputs = [o for o in node.output if o][:1]
            self._plan.append((key, list(inputs), outputs))
        # Constants still read at run time become buffers (so .to() / .double() carry them).
        needed = {i for _, ins, _ in self._plan for i in ins if i} | set(self.output_names)
        self._buffers_of: dict[str, str] = {}
        for j, name in enumerate(sorted(n for n in needed if n in consts)):
            arr = np.array(consts[name])
            t = torch.from_numpy(arr.astype(np.int64) if arr.dtype.kind in "iub" and
                                 arr.dtype != np.bool_ else arr)
            self.register_buffer(f"const_{j}", t)
            self._buffers_of[name] = f"const_{j}"

    def forward(self, *inputs):
        if len(inputs) != len(self.input_names):
            raise ArgumentTypeError(f"the graph takes {len(self.input_names)} input(s) "
                                    f"{self.input_names}, got {len(inputs)}")
        values = dict(zip(self.input_names, inputs))
        for name, attr in self._buffers_of.items():
            values[name] = getattr(self, attr)
        for key, ins, outs in self._plan:
            y = self.layers[key](*[values[i] if i else None for i in ins])
            values[outs[0]] = y
        out = [values[o] for o in self.output_names]
        return out[0] if len(out) == 1 else tuple(out)


def onnx_to_torch(path_or_model) -> OnnxGraph:
    """An ONNX model as a differentiable torch module (eval mode, float32 parameters).

    Parameters
    ----------
    path_or_model : str, os.PathLike, bytes or onnx.ModelProto
        An .onnx file, its bytes, or a loaded model.

    Returns
    -------
    OnnxGraph
        ``forward(*inputs)`` takes the graph's inputs as tensors, e.g. (B, C, H, W) float32,
        and returns its output (a tuple when it has several).

    Raises
    ------
    UnsupportedOperatorError
        The graph holds an operator outside :data:`SUPPORTED` (the message names it).

    Examples
    --------
    >>> import io
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Flatten())
    >>> f = io.BytesIO()
    >>> torch.onnx.export(net, torch.zeros(1, 3, 5, 5), f, dynamo=False)
    >>> module = onnx_to_torch(f.getvalue())
    >>> x = torch.rand(1, 3, 5, 5)
    >>> bool(torch.allclose(module(x), net(x), atol=1e-6))
    True
    """
    import onnx

    if isinstance(path_or_model, onnx.ModelProto):
        model = path_or_model
    elif isinstance(path_or_model, bytes):
        model = onnx.load_from_string(path_or_model)
    elif isinstance(path_or_model, (str, os.PathLike)):
        if not os.path.isfile(path_or_model):
            raise FileNotFoundError(f"no ONNX file at {os.fspath(path_or_model)!r}")
        model = onnx.load(os.fspath(path_or_model))
    else:
        raise ArgumentTypeError("path_or_model must be a path, the bytes of an .onnx file or an "
                                f"onnx.ModelProto, got {type(path_or_model).__name__}")
    return OnnxGraph(model).eval()
