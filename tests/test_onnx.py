"""ONNX frontend: PyTorch exports, onnx.helper graphs, QONNX quantized models, peer models,
and bad inputs.  References come from onnxruntime (and qonnx's executor for QONNX)."""
import io
import subprocess
import sys
import warnings

import numpy as np
import pytest

import hlsgen
from hlsgen.converters.onnx import (MAX_OPSET, MIN_OPSET, OnnxConversionError, from_hls_layout, parse_onnx_model,
                                    to_hls_layout)

from conftest import grid, needs_gxx

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

QDOMAIN = "qonnx.custom_op.general"


# ---------------------------------------------------------------------- helpers
def run_ort(model, X, batch_one=False):
    s = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    name = s.get_inputs()[0].name
    X = X.astype(np.float32)
    if batch_one:
        return np.concatenate([s.run(None, {name: X[i:i + 1]})[0] for i in range(len(X))])
    return s.run(None, {name: X})[0]


def torch_export(module, shape, **kw):
    torch = pytest.importorskip("torch")
    module.eval()
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.zeros((1,) + tuple(shape)),), f, dynamo=False, input_names=["x"],
                          output_names=["y"], dynamic_axes={"x": {0: "N"}, "y": {0: "N"}}, **kw)
    return onnx.load_from_string(f.getvalue())


def make_model(nodes, inputs, outputs, inits=(), opset=13, domains=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=[numpy_helper.from_array(np.asarray(v, np.float32)
                                                                                              if np.asarray(v).dtype.kind == "f"
                                                                                              else np.asarray(v), n)
                                                                        for n, v in inits])
    imports = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, 1) for d in domains]
    return helper.make_model(graph, opset_imports=imports, ir_version=10)  # onnxruntime reads IR <= 13


def tinfo(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def agreement(y, ref):
    return float(np.mean(np.argmax(y, 1) == np.argmax(ref, 1)))


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


# ---------------------------------------------------------------------- PyTorch models
def torch_mlp(torch):
    torch.manual_seed(0)
    nn = torch.nn
    return nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 16), nn.LeakyReLU(0.1), nn.Dropout(0.2),
                         nn.Linear(16, 5), nn.Softmax(dim=1))


def torch_cnn(torch):
    torch.manual_seed(1)
    nn = torch.nn
    m = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),          # BN folded into the conv
        nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.ReLU6(),                  # pads unlike Keras 'same'
        nn.BatchNorm2d(8),                                                    # standalone BN
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32, 10))                     # NCHW flatten -> reordered rows
    with torch.no_grad():
        for bn in (m[1], m[5]):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.3, 0.3)
    return m


def skip_model(torch):
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv1d(4, 4, 3, padding=1)
            self.c2 = nn.Conv1d(4, 4, 3, padding=1)
            self.dw = nn.Conv1d(4, 8, 3, padding=1, groups=4)
            self.pool = nn.AdaptiveAvgPool1d(1)
            self.fc = nn.Linear(8, 2)

        def forward(self, x):
            h = torch.relu(self.c1(x))
            h = self.c2(h) + x                          # skip connection
            h = torch.sigmoid(self.dw(torch.relu(h)))   # depthwise (groups = channels), multiplier 2
            return self.fc(torch.flatten(self.pool(h), 1))

    torch.manual_seed(2)
    return Net()


@needs_gxx
def test_torch_mlp(torch, tmp_path):
    model = torch_mlp(torch)
    om = torch_export(model, (16,))
    X = grid(np.random.default_rng(0), (600, 16), -3, 3)
    ref = run_ort(om, X)
    hm = hlsgen.convert_from_onnx_model(om, output_dir=tmp_path / "prj")
    y = hm.predict(X)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    agree = agreement(y, ref)
    print(f"torch MLP: argmax agreement {agree:.4f}, max |diff| {np.abs(y - ref).max():.4g}")
    assert agree >= 0.99
    assert [lay.kind for lay in hm.graph.layers] == ["Dense", "Dense", "Activation", "Dense", "Softmax"]


@needs_gxx
def test_torch_cnn_with_batchnorm(torch, tmp_path):
    om = torch_export(torch_cnn(torch), (3, 8, 8), do_constant_folding=False)
    ops = [n.op_type for n in om.graph.node]
    assert ops.count("BatchNormalization") == 2 and "Flatten" in ops
    X = grid(np.random.default_rng(1), (400, 3, 8, 8), -2, 2)
    ref = run_ort(om, X)
    hm = hlsgen.convert_from_onnx_model(om, output_dir=tmp_path / "prj")
    kinds = [lay.kind for lay in hm.graph.layers]
    assert kinds.count("BatchNormalization") == 1, kinds  # the first BN folded into its conv
    assert hm.graph.onnx_io["inputs"]["x"] == (0, 2, 3, 1)  # the input is taken channels-last
    Xh = to_hls_layout(hm, X)
    y = hm.predict(Xh)
    np.testing.assert_array_equal(y, hm.predict_golden(Xh))
    agree = agreement(y, ref)
    print(f"torch CNN+BN: argmax agreement {agree:.4f}, max |diff| {np.abs(y - ref).max():.4g}")
    assert agree >= 0.99
    assert np.abs(y - ref).max() < 0.1


@needs_gxx
def test_torch_skip_connection_regression(torch, tmp_path):
    om = torch_export(skip_model(torch), (4, 16))
    X = grid(np.random.default_rng(2), (400, 4, 16), -2, 2)
    ref = run_ort(om, X)
    hm = hlsgen.convert_from_onnx_model(om, output_dir=tmp_path / "prj")
    kinds = [lay.kind for lay in hm.graph.layers]
    assert "Add" in kinds and "DepthwiseConv1D" in kinds
    Xh = to_hls_layout(hm, X)
    y = hm.predict(Xh)
    np.testing.assert_array_equal(y, hm.predict_golden(Xh))
    diff = np.abs(y - ref).max()
    print(f"torch skip-connection regression: max |diff| {diff:.4g} (outputs up to {np.abs(ref).max():.3g})")
    assert diff < 0.02


def test_torch_dynamo_exporter(torch, tmp_path):
    """The torch.export-based exporter (opset 20): Reshape instead of Flatten, Clip for ReLU6,
    Unsqueeze + ReduceMean + Squeeze for adaptive pooling.  Golden model only (no compile)."""
    for module, shape in ((torch_cnn(torch), (3, 8, 8)), (skip_model(torch), (4, 16))):
        module.eval()
        f = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, (torch.zeros((1,) + shape),), f, dynamo=True, input_names=["x"],
                              output_names=["y"], verbose=False)
        om = onnx.load_from_string(f.getvalue())
        X = grid(np.random.default_rng(5), (100,) + shape, -2, 2)
        ref = run_ort(om, X, batch_one=True)
        hm = hlsgen.convert_from_onnx_model(om, output_dir=tmp_path / "prj")
        y = hm.predict_golden(to_hls_layout(hm, X))
        print(f"dynamo export {type(module).__name__}: argmax agreement {agreement(y, ref):.4f}, "
              f"max |diff| {np.abs(y - ref).max():.4g}")
        assert np.abs(y - ref).max() < 0.02


def test_config_roundtrip_and_user_precision(tmp_path):
    model = qonnx_mlp(np.random.default_rng(0))
    cfg = hlsgen.config_from_onnx_model(model, granularity="name")
    cfg = hlsgen.from_yaml(hlsgen.to_yaml(cfg))
    names = list(cfg["LayerName"])
    assert names[0] == "x" and "MatMul_h1" in names
    cfg["LayerName"]["x"]["Precision"]["result"] = "fixed<12,6,RND_CONV,SAT>"  # an explicit choice wins
    hm = hlsgen.convert_from_onnx_model(model, hls_config=cfg, output_dir=tmp_path / "prj")
    assert str(hm.graph.tensors[hm.graph.inputs[0].tensor].type) == "fixed<12,6,RND_CONV,SAT>"
    assert not (tmp_path / "prj").exists()  # nothing written before write()/compile()/predict()


# ---------------------------------------------------------------------- peer models
PEERS = [("onnx_three_layer_keras", "three_layer_keras"), ("onnx_conv1d_small_keras", "conv1d_small_keras"),
         ("onnx_conv2d_small_mp_keras", "conv2d_small_mp_keras")]


@needs_gxx
@pytest.mark.parametrize("d,f", PEERS, ids=[p[0] for p in PEERS])
def test_peer_models(shared, d, f, tmp_path):
    base = shared / "peer-models" / d
    X, ref = np.load(base / "input.npy"), np.load(base / "ref_output.npy")
    hm = hlsgen.convert_from_onnx_model(str(base / f"{f}.onnx"), output_dir=tmp_path / "prj")
    assert all(p == tuple(range(len(p))) for p in hm.graph.onnx_io["inputs"].values())  # Transposes absorbed
    y = hm.predict(X)
    np.testing.assert_array_equal(y[:50], hm.predict_golden(X[:50]))
    agree = agreement(y, ref)
    print(f"{d}: argmax agreement {agree:.4f}, max |diff| {np.abs(y - ref).max():.4g}")
    assert agree >= 0.99


@needs_gxx
@pytest.mark.parametrize("which", ["peer_conv2d", "torch_skip"])
def test_io_stream_matches_io_parallel(which, shared, torch, tmp_path):
    if which == "peer_conv2d":  # Conv, SELU, BatchNormalization, MaxPool, Flatten -> Gemm
        base = shared / "peer-models" / "onnx_conv2d_small_mp_keras"
        model, X = str(base / "conv2d_small_mp_keras.onnx"), np.load(base / "input.npy")[:100]
    else:  # skip connection (Add), depthwise conv, global pooling
        model = torch_export(skip_model(torch), (4, 16))
        X = grid(np.random.default_rng(2), (100, 4, 16), -2, 2)
    ys = []
    for io_type in ("io_parallel", "io_stream"):
        hm = hlsgen.convert_from_onnx_model(model, io_type=io_type, output_dir=tmp_path / io_type)
        ys.append(hm.predict(to_hls_layout(hm, X)))
    np.testing.assert_array_equal(ys[0], ys[1])


# ---------------------------------------------------------------------- QONNX
def quant(name, x, scale, bits, signed=1, narrow=0, rounding="ROUND"):
    return helper.make_node("Quant", [x, f"{name}_s", f"{name}_z", f"{name}_b"], [name], domain=QDOMAIN,
                            signed=signed, narrow=narrow, rounding_mode=rounding), \
        [(f"{name}_s", np.asarray(scale, np.float32)), (f"{name}_z", np.float32(0)),
         (f"{name}_b", np.float32(bits))]


def qonnx_mlp(rng):
    nodes, inits = [], []

    def q(*a, **k):
        n, i = quant(*a, **k)
        nodes.append(n)
        inits.extend(i)

    q("xq", "x", 2.0**-4, 8)
    inits += [("w1", rng.normal(0, 0.5, (16, 32))), ("b1", rng.normal(0, 0.5, 32)),
              ("w2", rng.normal(0, 0.5, (32, 5))), ("b2", rng.normal(0, 0.5, 5))]
    w1_scale = np.where(np.arange(32) % 2, 2.0**-3, 2.0**-4).reshape(1, 32)  # per output channel
    q("w1q", "w1", w1_scale, 4, narrow=1)
    q("b1q", "b1", 2.0**-8, 12)
    nodes += [helper.make_node("MatMul", ["xq", "w1q"], ["h1"]), helper.make_node("Add", ["h1", "b1q"], ["h2"]),
              helper.make_node("Relu", ["h2"], ["h3"])]
    q("h3q", "h3", 2.0**-2, 4, signed=0)
    q("w2q", "w2", 2.0**-3, 4, narrow=1)
    q("b2q", "b2", 2.0**-6, 10)
    nodes += [helper.make_node("MatMul", ["h3q", "w2q"], ["h4"]), helper.make_node("Add", ["h4", "b2q"], ["h5"])]
    q("y", "h5", 2.0**-5, 16, rounding="FLOOR")
    return make_model(nodes, [tinfo("x", ["N", 16])], [tinfo("y", ["N", 5])], inits, opset=13, domains=[QDOMAIN])


def qonnx_cnn(rng):
    nodes, inits = [], []

    def q(*a, **k):
        n, i = quant(*a, **k)
        nodes.append(n)
        inits.extend(i)

    q("xq", "x", 2.0**-4, 8)
    inits += [("cw", rng.normal(0, 0.4, (4, 2, 3, 3))), ("cb", rng.normal(0, 0.3, 4)),
              ("fw", rng.normal(0, 0.3, (5, 64))), ("fb", rng.normal(0, 0.3, 5)),
              ("flat_shape", np.array([-1, 64], np.int64))]
    q("cwq", "cw", (2.0 ** -np.array([3, 4, 3, 5])).reshape(4, 1, 1, 1), 5, narrow=1)
    q("cbq", "cb", 2.0**-10, 16)
    nodes.append(helper.make_node("Conv", ["xq", "cwq", "cbq"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("Relu", ["c"], ["r"]))
    q("rq", "r", 2.0**-3, 6, signed=0, rounding="HALF_UP")
    nodes.append(helper.make_node("MaxPool", ["rq"], ["p"], kernel_shape=[2, 2], strides=[2, 2]))
    nodes.append(helper.make_node("Reshape", ["p", "flat_shape"], ["f"]))
    q("fwq", "fw", 2.0**-4, 6)
    q("fbq", "fb", 2.0**-9, 14)
    nodes.append(helper.make_node("Gemm", ["f", "fwq", "fbq"], ["g"], transB=1))
    q("y", "g", 2.0**-6, 16)
    return make_model(nodes, [tinfo("x", ["N", 2, 8, 8])], [tinfo("y", ["N", 5])], inits, opset=13,
                      domains=[QDOMAIN])


def qonnx_reference(model, X, monkeypatch):
    pytest.importorskip("qonnx")
    import qonnx.core.onnx_exec as qexec
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.transformation.infer_shapes import InferShapes

    # qonnx 1.0 runs each standard node through onnxruntime in a model made by
    # onnx.helper.make_model, whose IR version (14 with onnx 1.23) onnxruntime 1.31 rejects
    make = qexec.qonnx_make_model

    def make_ir10(graph, **kw):
        m = make(graph, **kw)
        m.ir_version = min(m.ir_version, 10)
        return m

    monkeypatch.setattr(qexec, "qonnx_make_model", make_ir10)

    fixed = onnx.ModelProto()
    fixed.CopyFrom(model)  # qonnx's executor needs a fixed batch size
    for vi in list(fixed.graph.input) + list(fixed.graph.output):
        vi.type.tensor_type.shape.dim[0].dim_value = len(X)
    mw = ModelWrapper(fixed).transform(InferShapes())
    return execute_onnx(mw, {"x": X.astype(np.float32)})["y"].astype(np.float64)


@needs_gxx
@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_qonnx_bit_exact(kind, tmp_path, monkeypatch):
    rng = np.random.default_rng(7)
    model = qonnx_mlp(rng) if kind == "mlp" else qonnx_cnn(rng)
    shape = (16,) if kind == "mlp" else (2, 8, 8)
    X = rng.normal(0, 2, (300,) + shape)  # off-grid: the input Quant must round exactly like QONNX
    ref = qonnx_reference(model, X, monkeypatch)
    hm = hlsgen.convert_from_onnx_model(model, output_dir=tmp_path / "prj")
    assert "Activation" not in [lay.kind for lay in hm.graph.layers]  # every Quant became a type
    Xh = to_hls_layout(hm, X)
    y = hm.predict(Xh)
    np.testing.assert_array_equal(y, hm.predict_golden(Xh))
    print(f"QONNX {kind}: {np.sum(y == ref)}/{y.size} logits bit-exact, max |diff| {np.abs(y - ref).max()}")
    np.testing.assert_array_equal(y, ref)


def test_qonnx_types_from_quant_nodes():
    g = parse_onnx_model(qonnx_mlp(np.random.default_rng(0)))
    assert str(g.onnx_io["input_types"]["x"]) == "fixed<8,4,RND_CONV,SAT>"
    dense = [lay for lay in g.layers if lay.kind == "Dense"]
    assert dense[0].attrs["types"]["weight"].startswith("fixed<5,1")  # 4-bit at 2^-3 / 2^-4 per channel
    relu = next(lay for lay in g.layers if lay.kind == "Activation")
    assert relu.attrs["types"]["result"] == "ufixed<4,2,RND_CONV,SAT>"  # QuantReLU: the Quant is the ReLU's type
    assert dense[1].attrs["types"]["result"] == "fixed<16,11,TRN,SAT>"
    cfg = hlsgen.config_from_onnx_model(qonnx_mlp(np.random.default_rng(0)), granularity="name")
    assert cfg["LayerName"]["x"]["Precision"]["result"] == "fixed<8,4,RND_CONV,SAT>"


@pytest.mark.parametrize("version", [1, 2])
def test_qonnx_trunc_exact(version, monkeypatch):
    """Trunc v1 (5 inputs: a scaling by 2^-(in_bw - out_bw) then a floor onto the scale grid) and
    v2 (6 inputs: a Quant to out_scale) against qonnx's executor (golden model)."""
    nodes, inits = [], []
    n, i = quant("xq", "x", 2.0**-6, 10)
    nodes.append(n)
    inits += i + [("ts", np.float32(2.0**-6)), ("tz", np.float32(0)), ("tib", np.float32(10))]
    if version == 1:
        ins, kw = ["xq", "ts", "tz", "tib", "tob"], {}
        inits.append(("tob", np.float32(6)))
    else:
        ins, kw = ["xq", "ts", "tz", "tib", "tos", "tob"], dict(signed=1, narrow=0)
        inits += [("tos", np.float32(2.0**-3)), ("tob", np.float32(6))]
    nodes += [helper.make_node("Trunc", ins, ["tr"], domain=QDOMAIN, rounding_mode="FLOOR", **kw),
              helper.make_node("Relu", ["tr"], ["y"])]
    model = make_model(nodes, [tinfo("x", ["N", 8])], [tinfo("y", ["N", 8])], inits, domains=[QDOMAIN])
    model.opset_import[1].version = version
    X = np.random.default_rng(0).normal(0, 3, (200, 8))
    ref = qonnx_reference(model, X, monkeypatch)
    hm = hlsgen.convert_from_onnx_model(model)
    np.testing.assert_array_equal(hm.predict_golden(X), ref)


def test_quant_non_power_of_two_scale_rejected(tmp_path):
    n, i = quant("xq", "x", 0.3, 8)
    model = make_model([n, helper.make_node("Relu", ["xq"], ["y"])], [tinfo("x", ["N", 4])], [tinfo("y", ["N", 4])],
                       i, domains=[QDOMAIN])
    with pytest.raises(OnnxConversionError, match="power of two"):
        hlsgen.convert_from_onnx_model(model, output_dir=tmp_path / "prj")
    assert not (tmp_path / "prj").exists()


# ---------------------------------------------------------------------- layout and operators (no compile)
def test_transposes_are_absorbed_and_flatten_reorders_weights():
    rng = np.random.default_rng(3)
    w = rng.normal(size=(5, 24)).astype(np.float32)
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=[0, 3, 1, 2]),       # NHWC -> NCHW
             helper.make_node("Relu", ["t"], ["r"]),
             helper.make_node("Transpose", ["r"], ["t2"], perm=[0, 2, 3, 1]),     # back: cancels
             helper.make_node("Transpose", ["t2"], ["t3"], perm=[0, 3, 1, 2]),
             helper.make_node("Flatten", ["t3"], ["f"]),                           # NCHW order
             helper.make_node("Gemm", ["f", "w"], ["y"], transB=1)]
    model = make_model(nodes, [tinfo("x", ["N", 2, 3, 4])], [tinfo("y", ["N", 5])], [("w", w)])
    g = parse_onnx_model(model)
    assert [lay.kind for lay in g.layers] == ["Activation", "Flatten", "Dense"]
    X = grid(rng, (20, 2, 3, 4), -2, 2)
    ref = run_ort(model, X)
    dense = g.layers[-1]
    y = np.maximum(X, 0).reshape(20, -1) @ dense.weights["weight"] + dense.weights["bias"]
    np.testing.assert_allclose(y, ref, atol=1e-5)


def test_operator_coverage_graph(tmp_path):
    """Pad, AveragePool, GlobalMaxPool, Concat, Mul/Sub/Div by constants, Clip, HardSigmoid,
    Squeeze/Unsqueeze, Shape-based Reshape folding, Elu, Tanh: golden model vs onnxruntime."""
    rng = np.random.default_rng(4)
    f32 = np.float32
    inits = [("cw", rng.normal(0, 0.4, (3, 2, 3, 3))), ("cw2", rng.normal(0, 0.4, (3, 2, 1, 1))),
             ("pads", np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64)), ("k", rng.uniform(0.5, 1.5, (1, 3, 1, 1))),
             ("two", f32(2.0)), ("half", f32(0.5)), ("lo", f32(0.0)), ("hi", f32(6.0)),
             ("ax", np.array([2, 3], np.int64)), ("ax1", np.array([2], np.int64)), ("ax0", np.array([0], np.int64)), ("ind", np.array(0, np.int64)),
             ("minus1", np.array([-1], np.int64)), ("fw", rng.normal(0, 0.3, (30, 4))), ("fb", rng.normal(0, .1, 4))]
    nodes = [
        helper.make_node("Pad", ["x", "pads"], ["xp"]),
        helper.make_node("Conv", ["xp", "cw"], ["c1"], kernel_shape=[3, 3]),
        helper.make_node("Conv", ["x", "cw2"], ["c2"], kernel_shape=[1, 1]),
        helper.make_node("Mul", ["c1", "k"], ["m"]),
        helper.make_node("Sub", ["m", "half"], ["s"]),
        helper.make_node("Clip", ["s", "lo", "hi"], ["cl"]),
        helper.make_node("Elu", ["c2"], ["e"], alpha=1.0),
        helper.make_node("Concat", ["cl", "e"], ["cc"], axis=1),
        helper.make_node("AveragePool", ["cc"], ["ap"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Div", ["ap", "two"], ["d"]),
        helper.make_node("HardSigmoid", ["d"], ["hs"]),
        helper.make_node("GlobalMaxPool", ["d"], ["gm"]),
        helper.make_node("Squeeze", ["gm", "ax"], ["sq"]),
        helper.make_node("Unsqueeze", ["sq", "ax1"], ["us"]),
        helper.make_node("Shape", ["hs"], ["shp"]),                   # x.view(x.size(0), -1), folded
        helper.make_node("Gather", ["shp", "ind"], ["b0"]),
        helper.make_node("Unsqueeze", ["b0", "ax0"], ["b1"]),
        helper.make_node("Concat", ["b1", "minus1"], ["newshape"], axis=0),
        helper.make_node("Reshape", ["hs", "newshape"], ["hsf"]),
        helper.make_node("Tanh", ["hsf"], ["th"]),
        helper.make_node("Reshape", ["us", "flat"], ["usf"]),
        helper.make_node("Concat", ["th", "usf"], ["all"], axis=1),
        helper.make_node("Gemm", ["all", "fw", "fb"], ["y"]),
    ]
    inits.append(("flat", np.array([0, -1], np.int64)))
    model = make_model(nodes, [tinfo("x", ["N", 2, 4, 4])], [tinfo("y", ["N", 4])], inits)
    X = grid(rng, (64, 2, 4, 4), -2, 2)
    ref = run_ort(model, X)
    hm = hlsgen.convert_from_onnx_model(model, output_dir=tmp_path / "prj")
    y = hm.predict_golden(to_hls_layout(hm, X))
    print(f"operator coverage graph: max |diff| {np.abs(y - ref).max():.4g}")
    assert np.abs(y - ref).max() < 0.05


@needs_gxx
@pytest.mark.parametrize("form", ["where_le", "where_gt", "thresholded_relu"])
def test_threshold_operators(form, tmp_path):
    """Where(LessOrEqual(x, t), v, x), Where(Greater(x, t), x, v) (fused into one threshold
    activation) and ThresholdedRelu: bit-exact against onnxruntime on exact inputs."""
    t, v = np.float32(0.3), np.float32(-1.5)
    if form == "where_le":
        nodes = [helper.make_node("LessOrEqual", ["x", "t"], ["c"]), helper.make_node("Where", ["c", "v", "x"], ["y"])]
    elif form == "where_gt":
        nodes = [helper.make_node("Greater", ["x", "t"], ["c"]), helper.make_node("Where", ["c", "x", "v"], ["y"])]
    else:
        nodes, v = [helper.make_node("ThresholdedRelu", ["x"], ["y"], alpha=float(t))], np.float32(0.0)
    model = make_model(nodes, [tinfo("x", ["N", 6])], [tinfo("y", ["N", 6])], [("t", t), ("v", v)])
    X = grid(np.random.default_rng(9), (64, 6), -2, 2)
    ref = run_ort(model, X)
    hm = hlsgen.convert_from_onnx_model(model, output_dir=tmp_path / "prj")
    assert [(lay.kind, lay.attrs["activation"]) for lay in hm.graph.layers] == [("Activation", "threshold")]
    y = hm.predict(X)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    np.testing.assert_array_equal(y, ref)


def test_where_that_is_not_a_threshold_is_refused(tmp_path):
    """The comparison used twice, or Where picking the other way round: not fused, refused."""
    nodes = [helper.make_node("LessOrEqual", ["x", "t"], ["c"]), helper.make_node("Where", ["c", "x", "v"], ["y"])]
    model = make_model(nodes, [tinfo("x", ["N", 6])], [tinfo("y", ["N", 6])], [("t", np.float32(0.3)),
                                                                              ("v", np.float32(0.0))])
    with pytest.raises(OnnxConversionError, match=r"\(LessOrEqual\).*\(Where\)"):
        hlsgen.convert_from_onnx_model(model, output_dir=tmp_path / "prj")


@needs_gxx
@pytest.mark.parametrize("op, pads, extra", [
    ("MaxPool", [1, 0, 0, 1], {}),                             # asymmetric, not the 'same' geometry
    ("MaxPool", [1, 1, 1, 1], {"strides": [2, 2]}),
    ("AveragePool", [1, 1, 1, 1], {"strides": [2, 2]}),        # count_include_pad=0: over the valid values
    ("AveragePool", [0, 1, 1, 0], {"count_include_pad": 1}),   # the zeros count
])
def test_pooling_explicit_pads(op, pads, extra, tmp_path):
    """Pads that are not Keras' 'same' geometry: MaxPool ignores the padding (-inf), AveragePool
    averages over the valid values unless count_include_pad; against onnxruntime."""
    nodes = [helper.make_node(op, ["x"], ["y"], kernel_shape=[2, 2], pads=pads, **extra)]
    st = extra.get("strides", [1, 1])
    out = [(n + pads[i] + pads[i + 2] - 2) // st[i] + 1 for i, n in enumerate((5, 6))]  # pads: begins, then ends
    model = make_model(nodes, [tinfo("x", ["N", 3, 5, 6])], [tinfo("y", ["N", 3] + out)])
    X = grid(np.random.default_rng(10), (32, 3, 5, 6), -3, -0.25, frac=4)  # negative: a zero pad would win a max
    ref = run_ort(model, X)
    hm = hlsgen.convert_from_onnx_model(model, output_dir=tmp_path / "prj")
    pool = [lay for lay in hm.graph.layers if lay.kind == "Pooling2D"]
    assert len(pool) == 1 and (pool[0].attrs["padding"] == "explicit") == (not extra.get("count_include_pad"))
    Xh = to_hls_layout(hm, X)
    yh = hm.predict(Xh)
    np.testing.assert_array_equal(yh, hm.predict_golden(Xh))
    y = from_hls_layout(hm, yh)
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, atol=0 if op == "MaxPool" else 2**-9)


# ---------------------------------------------------------------------- bad inputs
def _relu_model(shape=("N", 4), opset=13):
    return make_model([helper.make_node("Relu", ["x"], ["y"])], [tinfo("x", list(shape))],
                      [tinfo("y", list(shape))], opset=opset)


def test_unsupported_operator_names_node_and_type(tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="first_relu"),
             helper.make_node("Erf", ["r"], ["e"], name="my_erf"),
             helper.make_node("Foo", ["e"], ["y"], name="custom_node", domain="com.example")]
    model = make_model(nodes, [tinfo("x", ["N", 4])], [tinfo("y", ["N", 4])], domains=["com.example"])
    with pytest.raises(OnnxConversionError) as e:
        hlsgen.convert_from_onnx_model(model, output_dir=tmp_path / "prj")
    msg = str(e.value)
    assert "'my_erf' (Erf)" in msg and "'custom_node' (Foo)" in msg and "com.example" in msg
    assert not (tmp_path / "prj").exists()


@pytest.mark.parametrize("shape,match", [
    (("N", "C", 4), "dimension 1 is symbolic"),
    ((8, 4), "fixed batch dimension of 8"),
    ((4,), "rank 1"),
])
def test_dynamic_or_bad_shapes(shape, match, tmp_path):
    with pytest.raises(OnnxConversionError, match=match):
        hlsgen.convert_from_onnx_model(_relu_model(shape), output_dir=tmp_path / "prj")
    assert not (tmp_path / "prj").exists()


@pytest.mark.parametrize("opset", [MIN_OPSET - 1, MAX_OPSET + 1])
def test_opset_out_of_range(opset, tmp_path):
    with pytest.raises(OnnxConversionError, match=f"opset {opset}; hlsgen supports opsets {MIN_OPSET} to {MAX_OPSET}"):
        hlsgen.convert_from_onnx_model(_relu_model(opset=opset), output_dir=tmp_path / "prj")
    assert not (tmp_path / "prj").exists()


def test_handled_operators_revised_after_opset_22_only_gained_element_types():
    """MAX_OPSET goes past 22 because every revision of a handled operator in opsets 23..MAX_OPSET
    keeps its inputs, outputs and attributes (Cast-24's round_mode is for float8e8m0 only) and
    only adds element types: hlsgen reads float tensors, so its handlers' semantics hold."""
    from onnx import defs

    from hlsgen.converters.onnx import HANDLERS

    ops = sorted(k for k in HANDLERS if ":" not in k)
    top = min(MAX_OPSET, defs.onnx_opset_version())
    checked = 0
    for op in ops:
        prev = defs.get_schema(op, 22, "")
        revisions = sorted({s.since_version for s in defs.get_all_schemas_with_history()
                            if s.name == op and s.domain == "" and 22 < s.since_version <= top})
        for v in revisions:
            s = defs.get_schema(op, v, "")
            assert [(i.name, i.option) for i in s.inputs] == [(i.name, i.option) for i in prev.inputs], (op, v)
            assert [(o.name, o.option) for o in s.outputs] == [(o.name, o.option) for o in prev.outputs], (op, v)
            new_attrs = set(s.attributes) - set(prev.attributes)
            assert set(prev.attributes) <= set(s.attributes) and new_attrs <= ({"round_mode"} if op == "Cast" else set()), \
                (op, v, new_attrs)
            old_types = {t.type_param_str: set(t.allowed_type_strs) for t in prev.type_constraints}
            for t in s.type_constraints:
                assert old_types[t.type_param_str] <= set(t.allowed_type_strs), (op, v, t.type_param_str)
            prev, checked = s, checked + 1
    assert checked >= (1 if top > 22 else 0)


@needs_gxx
def test_an_opset_28_model_converts(tmp_path):
    if onnx.defs.onnx_opset_version() < 28:
        pytest.skip("the installed onnx does not know opset 28")
    nodes = [helper.make_node("Pad", ["x", "pads", "value"], ["p"], mode="constant"),
             helper.make_node("Relu", ["p"], ["y"])]
    inits = [("pads", np.array([0, 0, 2, 0, 0, 3], np.int64)), ("value", np.array(0.0, np.float32))]
    model = make_model(nodes, [tinfo("x", ["N", 2, 4])], [tinfo("y", ["N", 2, 9])], inits, opset=28)
    hm = hlsgen.convert_from_onnx_model(model, output_dir=tmp_path / "prj")
    hm.compile()
    X = grid(np.random.default_rng(0), (6, 2, 4), frac=4)
    y = from_hls_layout(hm, hm.predict(to_hls_layout(hm, X)))
    np.testing.assert_array_equal(y, np.maximum(np.pad(X, ((0, 0), (0, 0), (2, 3))), 0))


def test_malformed_files(tmp_path):
    good = _relu_model().SerializeToString()
    cases = {"garbage.onnx": b"this is not a protobuf \x00\xff\x12", "truncated.onnx": good[: len(good) // 2],
             "empty.onnx": b""}
    for name, data in cases.items():
        p = tmp_path / name
        p.write_bytes(data)
        with pytest.raises(OnnxConversionError, match="not a valid ONNX model|is empty|malformed"):
            hlsgen.convert_from_onnx_model(str(p), output_dir=tmp_path / "prj")
    broken = make_model([helper.make_node("Relu", ["nowhere"], ["y"])], [tinfo("x", ["N", 4])],
                        [tinfo("y", ["N", 4])])
    with pytest.raises(OnnxConversionError, match="malformed"):
        hlsgen.convert_from_onnx_model(broken, output_dir=tmp_path / "prj")
    with pytest.raises(FileNotFoundError):
        hlsgen.convert_from_onnx_model(str(tmp_path / "missing.onnx"), output_dir=tmp_path / "prj")
    assert not (tmp_path / "prj").exists()


def test_cli_converts_onnx(shared, tmp_path):
    model = shared / "peer-models" / "onnx_three_layer_keras" / "three_layer_keras.onnx"
    r = subprocess.run([sys.executable, "-m", "hlsgen", "convert", str(model), "-o", str(tmp_path / "prj")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "prj" / "firmware" / "myproject.cpp").exists()
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"junk")
    r = subprocess.run([sys.executable, "-m", "hlsgen", "convert", str(bad), "-o", str(tmp_path / "prj2")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "not a valid ONNX model" in r.stderr
    assert not (tmp_path / "prj2").exists()
