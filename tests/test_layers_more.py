"""The rest of the layer set (issue 16): Dense on N-D inputs, EinsumDense projections,
Conv1D(padding='causal'), Embedding, LayerNormalization, log_softmax, ThresholdedReLU.

Each: the C++ equals the numpy golden bit for bit in both io types and through the
accelerator top, and follows the framework within the bound its module documents."""
import numpy as np
import pytest

import hlsgen
from hlsgen.fixed import parse_type
from hlsgen.layers import LAYER_KINDS

from conftest import grid, needs_gxx

X_T = parse_type("fixed<16,6,RND_CONV,SAT>")


def _typed(kind, attrs, weights, in_shape, x_t=X_T, default="fixed<16,6,RND,SAT>"):
    from hlsgen.layers import TypeContext

    lay = LAYER_KINDS[kind]("l", "l", ["x"], ["y"], attrs, weights)
    lay.output_shape([in_shape])
    lay.in_types = [x_t]
    lay.infer_types([x_t], TypeContext(parse_type(default)))
    return lay


# ---------------------------------------------------------------------- goldens against float
def test_log_softmax_golden_error_bound(report):
    rng = np.random.default_rng(0)
    x = grid(rng, (4000, 10), -8, 8, frac=10)
    x[:50] = x[:50, :1]  # all equal: ln N
    x[50:100, 0] = 20.0  # one dominant value: s = 1
    lay = _typed("LogSoftmax", {"axis": -1}, {}, (10,))
    y = lay.golden([x])
    ref = x - x.max(axis=1, keepdims=True) - np.log(np.exp(x - x.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True))
    err = np.abs(y - ref).max()
    lsb = lay.types["result"].lsb
    report(f"log_softmax |err| max {err:.3g} (result LSB {lsb:.3g})")
    assert err <= 1.2e-3 + lsb  # the bound in layers/log_softmax.py
    assert err > 0  # a table approximation: not exact (the comparison can fail)


def test_layernorm_golden_error_bound(report):
    rng = np.random.default_rng(1)
    n = 24
    x = grid(rng, (3000, n), -4, 4, frac=10)
    x[:20] = 1.5  # constant rows: y = beta
    x[20:40] *= 1e-2
    x = np.round(x * 1024) / 1024
    gamma, beta = rng.uniform(0.5, 1.5, n), rng.uniform(-0.5, 0.5, n)
    lay = _typed("LayerNormalization", {"epsilon": 1e-3}, {"scale": gamma * np.sqrt(n), "bias": beta}, (n,))
    y = lay.golden([x])
    mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    ref = (x - mu) / np.sqrt(var + 1e-3) * gamma + beta
    err = np.abs(y - ref)
    lsb = lay.types["result"].lsb
    # relative table error 2.4e-4 of |y - beta|, plus the weights' and result's rounding
    bound = 2.5e-4 * np.abs(ref - beta) + 2e-4 + lsb
    report(f"layernorm |err| max {err.max():.3g}, worst ratio to the bound {(err / bound).max():.2f}")
    assert (err <= bound).all()
    np.testing.assert_array_equal(y[:20], lay.types["result"].quantize(
        np.broadcast_to(lay.types["bias"].quantize(beta), (20, n))))


def test_embedding_golden_clamps_and_the_auto_input_is_integer():
    table = np.arange(12.0).reshape(6, 2) / 8
    lay = _typed("Embedding", {}, {"embeddings": table}, (3,))
    assert lay.output_shape([(3,)]) == (3, 2)
    assert str(lay.auto_input_type(0)) == "ufixed<3,3,TRN,SAT>"
    y = lay.golden([np.array([[0.0, 5.0, 9.0], [-2.0, 2.75, 1.0]])])
    np.testing.assert_array_equal(y, table[[[0, 5, 5], [0, 2, 1]]])


# ---------------------------------------------------------------------- refusals, before writing
def test_bad_layers_are_refused_naming_them(tmp_path):
    keras = pytest.importorskip("keras")
    from hlsgen.converters.keras.einsum import parse_projection

    assert parse_projection("abc,cde->abde", "p") == ("c", "de", (0, 1, 2))
    assert parse_projection("...b,bc->...c", "p") == ("b", "c", (0, 1))
    assert parse_projection("abc,dce->abde", "p") == ("c", "de", (1, 0, 2))  # the kernel transposed
    assert parse_projection("bi,j->bij", "p") is None  # no contraction: the general path
    assert parse_projection("...abcd,bcde->...aeb", "p") is None  # b in input, kernel and output
    with pytest.raises(ValueError, match="EinsumDense layer 'att': an ellipsis in the kernel of '...b,...c->c'"):
        parse_projection("...b,...c->c", "att")
    cases = [
        (keras.layers.Embedding(10, 4, mask_zero=True, name="emb"), (5,), "Embedding layer 'emb': mask_zero"),
        (keras.layers.LayerNormalization(axis=1, name="ln"), (5, 6), "LayerNormalization layer 'ln': axis=1"),
    ]
    for layer, shape, match in cases:
        model = keras.Sequential([keras.Input(shape), layer])
        out = tmp_path / layer.name
        with pytest.raises(ValueError, match=match):
            hlsgen.convert_from_keras_model(model, output_dir=out)
        assert not out.exists()
    lay = LAYER_KINDS["LogSoftmax"]("ls", "ls", ["x"], ["y"], {"axis": -1})
    lay.output_shape([(4,)])
    with pytest.raises(ValueError, match="LogSoftmax layer 'ls': input type .* wider than 32 bits"):
        lay.infer_types([parse_type("fixed<40,10>")], None)
    lay = LAYER_KINDS["LayerNormalization"]("ln", "ln", ["x"], ["y"], {})
    lay.output_shape([(512,)])
    from hlsgen.layers import TypeContext

    with pytest.raises(ValueError, match="LayerNormalization layer 'ln': input type .* variance"):
        lay.infer_types([parse_type("fixed<24,8>")], TypeContext(parse_type("fixed<16,6>")))


# ---------------------------------------------------------------------- through the C++
def _projection_model(keras):
    """Causal Conv1D, Dense on rank 2, 3 and 4 inputs, EinsumDense, LayerNormalization, log_softmax."""
    keras.utils.set_random_seed(5)
    x = keras.Input((8, 4), name="seq")
    h = keras.layers.Conv1D(3, 3, padding="causal", activation="relu", name="causal")(x)
    h = keras.layers.Dense(6, name="d2")(h)                                       # (8, 6)
    h = keras.layers.LayerNormalization(name="ln")(h)
    h = keras.layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 3), bias_axes="de", name="heads")(h)
    h = keras.layers.EinsumDense("abcd,cde->abe", output_shape=(None, 4), bias_axes="e", name="merge")(h)
    h = keras.layers.Reshape((2, 4, 4))(h)
    h = keras.layers.Dense(3, name="d3")(h)                                       # (2, 4, 3)
    h = keras.layers.Reshape((2, 2, 2, 3))(h)
    h = keras.layers.Dense(5, name="d4")(h)                                       # (2, 2, 2, 5)
    h = keras.layers.Flatten()(h)
    y = keras.layers.Dense(6, activation="log_softmax", name="out")(h)
    model = keras.Model(x, y)
    ln = model.get_layer("ln")
    rng = np.random.default_rng(6)
    ln.set_weights([rng.uniform(0.5, 1.5, 6), rng.uniform(-0.3, 0.3, 6)])
    return model


@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_keras_projections_causal_layernorm_log_softmax(io_type, tmp_path, report):
    keras = pytest.importorskip("keras")
    model = _projection_model(keras)
    X = grid(np.random.default_rng(7), (200, 8, 4), -2, 2)
    ref = model.predict(X, verbose=0)
    hm = hlsgen.convert_from_keras_model(model, io_type=io_type, output_dir=tmp_path / "prj")
    kinds = [lay.kind for lay in hm.graph.layers]
    assert {"LayerNormalization", "LogSoftmax", "Conv2D"} <= set(kinds)
    causal = hm.graph.layer("causal")
    assert causal.attrs["padding"] == "causal" and causal.geometry((8, 4))["pad_left"] == 2
    y = hm.predict(X)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    err = np.abs(y - ref).max()
    report(f"{io_type}: projections + layernorm + log_softmax, max |diff| vs Keras {err:.3g}")
    # a chain of 16-bit layers (the LSB of fixed<16,6> is 1e-3): the bound is loose on purpose
    assert err < 0.03
    assert (y.argmax(axis=1) == ref.argmax(axis=1)).mean() >= 0.98


@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_keras_embedding(io_type, tmp_path):
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(2)
    x = keras.Input((6,), dtype="int32", name="tokens")
    h = keras.layers.Embedding(40, 5, name="emb")(x)
    h = keras.layers.Dense(3, name="d")(h)
    model = keras.Model(x, keras.layers.Flatten()(h))
    X = np.random.default_rng(3).integers(0, 40, (100, 6))
    ref = model.predict(X, verbose=0)
    hm = hlsgen.convert_from_keras_model(model, io_type=io_type, output_dir=tmp_path / "prj")
    assert str(hm.graph.tensors[hm.graph.inputs[0].tensor].type) == "ufixed<6,6,TRN,SAT>"
    emb = hm.graph.layer("emb")
    # the lookup copies table values: exactly Keras' table on the embeddings type's grid
    gathered = emb.types["embeddings"].quantize(model.get_layer("emb").get_weights()[0])[X]
    np.testing.assert_array_equal(hm.trace(X.astype(float))[1]["emb"], gathered)
    y = hm.predict(X.astype(float))
    np.testing.assert_array_equal(y, hm.predict_golden(X.astype(float)))
    assert np.abs(y - ref).max() < 4e-3


@needs_gxx
def test_tf_keras_thresholded_relu(tmp_path):
    tf_keras = pytest.importorskip("tf_keras")
    tf_keras.utils.set_random_seed(1)
    model = tf_keras.Sequential([tf_keras.layers.InputLayer((12,)), tf_keras.layers.Dense(8, name="d"),
                                 tf_keras.layers.ThresholdedReLU(theta=0.25, name="thr")])
    X = grid(np.random.default_rng(2), (200, 12), -2, 2)
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
    y = hm.predict(X)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    d = hm.trace(X)[1]["d"]
    np.testing.assert_array_equal(y, np.where(d > 0.25, d, 0.0))  # exact: a comparison and a copy
    assert np.abs(y - model.predict(X, verbose=0)).max() < 4e-3


@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_through_the_accelerator_top(io_type, tmp_path):
    """Embedding, LayerNormalization and log_softmax through the accelerator top, with their
    weights on the reprogrammable weight port."""
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(4)
    x = keras.Input((5,), dtype="int32", name="tokens")
    h = keras.layers.Embedding(16, 6, name="emb")(x)
    h = keras.layers.LayerNormalization(name="ln")(h)
    h = keras.layers.Dense(4, name="proj")(h)
    y = keras.layers.Activation("log_softmax", name="lsm")(keras.layers.Flatten()(h))
    model = keras.Model(x, y)
    X = np.random.default_rng(5).integers(0, 16, (64, 5)).astype(float)
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj", backend="VivadoAccelerator",
                                         board="pynq-z2", io_type=io_type, weights="reprogrammable")
    y_top = hm.predict(X)
    np.testing.assert_array_equal(y_top, hm.predict(X, top=False))
    np.testing.assert_array_equal(y_top, hm.predict_golden(X))
    assert np.abs(y_top - model.predict(X, verbose=0)).max() < 0.03


@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_pytorch_layernorm_softsign_log_softmax(io_type, tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential()
    model.add_module("fc", torch.nn.Linear(10, 12))
    model.add_module("ln", torch.nn.LayerNorm(12))
    model.add_module("act", torch.nn.Softsign())  # exported as x / (|x| + 1): fused back (onnx/patterns.py)
    model.add_module("fc2", torch.nn.Linear(12, 5))
    model.add_module("lsm", torch.nn.LogSoftmax(dim=-1))
    with torch.no_grad():
        model.ln.weight.uniform_(0.5, 1.5)
        model.ln.bias.uniform_(-0.5, 0.5)
    model.eval()
    X = grid(np.random.default_rng(0), (200, 10), -2, 2)
    ref = model(torch.tensor(X, dtype=torch.float32)).detach().numpy()
    hm = hlsgen.convert_from_pytorch_model(model, (10,), io_type=io_type, output_dir=tmp_path / "prj")
    assert [lay.kind for lay in hm.graph.layers if lay.source_name in ("ln", "act", "lsm")] == \
        ["LayerNormalization", "Activation", "LogSoftmax"]
    assert hm.graph.layer("act").attrs["activation"] == "softsign"
    y = hm.predict(X)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    assert np.abs(y - ref).max() < 0.01


@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_keras_dot(io_type, tmp_path):
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(1)
    a, c, v = keras.Input((4, 3), name="a"), keras.Input((5, 3), name="c"), keras.Input((6,), name="v")
    m1 = keras.layers.Dot(axes=(2, 2), name="ab")([a, c])                                        # (4, 5)
    m2 = keras.layers.Dot(axes=(1, 1), name="atb")([m1, keras.layers.Dense(2, name="dd")(m1)])   # (5, 2)
    m3 = keras.layers.Dot(axes=1, name="vv")([v, keras.layers.Dense(6, name="dv")(v)])          # (1,)
    model = keras.Model([a, c, v], [keras.layers.Flatten()(m2), m3])
    rng = np.random.default_rng(0)
    X = [grid(rng, (60,) + s, -1, 1) for s in ((4, 3), (5, 3), (6,))]
    ref = model.predict(X, verbose=0)
    hm = hlsgen.convert_from_keras_model(model, io_type=io_type, output_dir=tmp_path / "prj", calibration_data=X)
    assert [lay.kind for lay in hm.graph.layers].count("Dot") == 3
    assert [lay.kind for lay in hm.graph.layers].count("Permute") == 2  # axes=(1, 1): both moved last
    for y, g, r in zip(hm.predict(X), hm.predict_golden(X), ref):
        np.testing.assert_array_equal(y, g)
        assert np.abs(y - r).max() < 0.02
    with pytest.raises(ValueError, match="Dot layer 'cos': normalize=True"):
        bad = keras.Model(v, keras.layers.Dot(axes=1, normalize=True, name="cos")([v, v]))
        hlsgen.convert_from_keras_model(bad, output_dir=tmp_path / "bad")


def _nested_shared(K):
    """A shared Dense, a Sequential called twice and a functional model, nested."""
    K.utils.set_random_seed(3)
    inner = K.Sequential([K.layers.InputLayer((4,)), K.layers.Dense(3, activation="relu", name="i1"),
                          K.layers.Dense(2, name="i2")], name="inner")
    fx = K.Input((2,))
    func = K.Model(fx, K.layers.Add(name="fadd")([fx, K.layers.Dense(2, name="f1")(fx)]), name="func")
    x, z = K.Input((4,), name="x"), K.Input((4,), name="z")
    shared = K.layers.Dense(4, name="shared")
    y = K.layers.Add(name="add")([func(inner(shared(x))), inner(shared(z))])
    return K.Model([x, z], y)


@needs_gxx
@pytest.mark.parametrize("flavour", ["keras", "tf_keras"])
def test_nested_models_and_shared_layers(flavour, tmp_path):
    K = pytest.importorskip(flavour)
    model = _nested_shared(K)
    X = [grid(np.random.default_rng(k), (80, 4), -2, 2) for k in range(2)]
    cfg = hlsgen.config_from_keras_model(model, granularity="name")
    # one entry per layer of the user's model: a repeated call is configured by its first call's name
    assert list(cfg["LayerName"]) == ["x", "z", "shared", "i1", "i1_relu", "i2", "f1", "fadd", "add"]
    cfg["LayerName"]["shared"]["Precision"]["result"] = "fixed<20,8>"
    hm = hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=tmp_path / "prj")
    lay = {lay.source_name: lay for lay in hm.graph.layers}
    assert {"shared", "shared_1", "i1", "i1_1", "i2", "i2_1", "f1"} <= set(lay)
    assert str(lay["shared_1"].types["result"]) == "fixed<20,8>" == str(lay["shared"].types["result"])
    np.testing.assert_array_equal(lay["shared"].weights["weight"], lay["shared_1"].weights["weight"])
    y = hm.predict(X)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    assert np.abs(y - model.predict(X, verbose=0)).max() < 0.01
    _, traced = hm.trace(X)
    np.testing.assert_array_equal(traced["i2_1"], hm.predict_golden(X, top=False) - traced["fadd"])  # add = fadd + i2_1


@needs_gxx
def test_onnx_softsign_pattern_leaves_the_users_model_alone(tmp_path):
    pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    nodes = [helper.make_node("Abs", ["x"], ["a"], name="abs"),
             helper.make_node("Add", ["a", "one"], ["s"], name="add"),
             helper.make_node("Div", ["x", "s"], ["y"], name="softsign")]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 8])],
                          [helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    before = model.SerializeToString()
    hm = hlsgen.convert_from_onnx_model(model, output_dir=tmp_path / "prj")
    assert model.SerializeToString() == before
    assert [(lay.kind, lay.attrs.get("activation")) for lay in hm.graph.layers] == [("Activation", "softsign")]
    X = grid(np.random.default_rng(0), (100, 8), -6, 6)
    y = hm.predict(X)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    assert np.abs(y - X / (1 + np.abs(X))).max() < 5e-4 + 2.0 ** -15  # activation.py: 4.9e-4 + result LSB


@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_pytorch_embedding_layernorm_on_sequences(io_type, tmp_path):
    """nn.Embedding (exported as Gather on integer inputs), nn.LayerNorm and nn.Linear on (T, D)."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)

    class Tokens(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb, self.ln, self.fc = torch.nn.Embedding(30, 8), torch.nn.LayerNorm(8), torch.nn.Linear(8, 3)

        def forward(self, x):
            return torch.flatten(self.fc(self.ln(self.emb(x))), 1)

    model = Tokens().eval()
    X = np.random.default_rng(0).integers(0, 30, (100, 5))
    ref = model(torch.tensor(X)).detach().numpy()
    hm = hlsgen.convert_from_pytorch_model(model, (5,), io_type=io_type, output_dir=tmp_path / "prj")
    assert [lay.kind for lay in hm.graph.layers][:2] == ["Embedding", "LayerNormalization"]
    assert str(hm.graph.tensors[hm.graph.inputs[0].tensor].type) == "ufixed<5,5,TRN,SAT>"
    y = hm.predict(X.astype(float))
    np.testing.assert_array_equal(y, hm.predict_golden(X.astype(float)))
    assert np.abs(y - ref).max() < 0.01


@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_keras_conv_transpose(io_type, tmp_path):
    """Conv1DTranspose / Conv2DTranspose ('same' and 'valid', kernels smaller, equal to and
    larger than the stride): a zero-inserting ZeroPadding and a stride-1 convolution."""
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(1)
    x2 = keras.Input((4, 3, 2), name="img")
    h = keras.layers.Conv2DTranspose(3, 3, strides=2, padding="same", activation="relu", name="up1")(x2)  # (8, 6)
    h = keras.layers.Conv2DTranspose(2, (2, 4), strides=(3, 2), padding="valid", name="up2")(h)          # (24, 14)
    x1 = keras.Input((6, 2), name="seq")
    g = keras.layers.Conv1DTranspose(2, 5, strides=3, padding="valid", name="up3")(x1)                    # (20,)
    g = keras.layers.Conv1DTranspose(2, 2, strides=3, padding="same", name="up4")(g)                      # (60,)
    model = keras.Model([x2, x1], [h, g])
    rng = np.random.default_rng(2)
    X = [grid(rng, (40, 4, 3, 2), -2, 2), grid(rng, (40, 6, 2), -2, 2)]
    ref = model.predict(X, verbose=0)
    hm = hlsgen.convert_from_keras_model(model, io_type=io_type, output_dir=tmp_path / "prj")
    assert hm.graph.layer("up1_zeros").attrs["stride"] == (2, 2)
    for y, g_, r in zip(hm.predict(X), hm.predict_golden(X), ref):
        assert y.shape == r.shape
        np.testing.assert_array_equal(y, g_)
        assert np.abs(y - r).max() < 0.01
    bad = keras.Sequential([keras.Input((4, 4, 1)),
                            keras.layers.Conv2DTranspose(1, 3, strides=2, output_padding=1, name="op")])
    with pytest.raises(ValueError, match="Conv2DTranspose layer 'op': output_padding"):
        hlsgen.convert_from_keras_model(bad, output_dir=tmp_path / "bad")


@needs_gxx
def test_qdense_on_sequences_is_bit_exact(tmp_path):
    """QKeras QDense on a (steps, features) input: the last axis, exact like on vectors."""
    tf_keras = pytest.importorskip("tf_keras")
    qkeras = pytest.importorskip("qkeras")
    q = "quantized_bits(6,0,alpha=1)"
    inp = tf_keras.Input((6, 5), name="x")
    h = qkeras.QDense(4, kernel_quantizer=q, bias_quantizer=q, name="qd")(inp)
    model = tf_keras.Model(inp, tf_keras.layers.Flatten(name="flat")(h))
    rng = np.random.default_rng(3)
    model.get_layer("qd").set_weights([rng.normal(size=(5, 4)).astype(np.float32) * 0.5,
                                       rng.normal(size=4).astype(np.float32) * 0.5])
    X = grid(rng, (200, 6, 5), -2, 2, frac=6)
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
    assert hm.graph.layer("qd").kind == "Conv1D"
    y = hm.predict(X)
    np.testing.assert_array_equal(y, model.predict(X, verbose=0))
    np.testing.assert_array_equal(y, hm.predict_golden(X))


# ---------------------------------------------------------------------- EinsumDense, any equation
EINSUM_CASES = [  # equation, input shape, output shape, bias axes
    ("bi,j->bij", (8,), (8, 7), None),
    ("bi,j->bij", (8,), (8, 7), "i"),
    ("bi,j->bij", (8,), (8, 7), "j"),
    ("bi,io->bo", (8,), 7, None),
    ("...i,oi->...o", (4, 3), (5,), None),
    ("...abcd,bcde->...aeb", (5, 4, 3, 2), (5, 6, 4), None),
    ("...abcd,bcde->...aeb", (5, 4, 3, 2), (5, 6, 4), "aeb"),
    ("...abcd,bcde->...aeb", (5, 4, 3, 2), (5, 6, 4), "ab"),
    ("...abcd,bcde->...aeb", (5, 4, 3, 2), (5, 6, 4), "a"),
    ("abc,cd->adb", (3, 4), (2, 3), "d"),  # the output permuted
]


@needs_gxx
@pytest.mark.parametrize("eq,in_shape,out_shape,bias_axes", EINSUM_CASES)
def test_einsum_dense_equations_bit_exact(eq, in_shape, out_shape, bias_axes, tmp_path):
    """Outer products, transposed kernels, shared axes, permuted outputs, biases over any output
    axes: on a grid where Keras' float32 arithmetic is exact, the C++ equals Keras and the
    golden bit for bit."""
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(EINSUM_CASES.index((eq, in_shape, out_shape, bias_axes)))
    model = keras.Sequential([keras.Input(in_shape),
                              keras.layers.EinsumDense(eq, output_shape=out_shape, bias_axes=bias_axes, name="e")])
    lay = model.get_layer("e")
    lay.set_weights([np.round(rng.uniform(-2, 2, w.shape) * 8) / 8 for w in lay.get_weights()])
    X = grid(rng, (300,) + in_shape, -4, 4)
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "p",
                                         hls_config={"Model": {"Precision": "fixed<32,12>"}})
    ref = model.predict(X, verbose=0).astype(np.float64)
    y = hm.predict(X).reshape(ref.shape)
    np.testing.assert_array_equal(y, ref)
    np.testing.assert_array_equal(hm.predict_golden(X).reshape(ref.shape), ref)
    assert {lay.kind for lay in hm.graph.layers} <= {"Dense", "Reshape", "Conv1D", "Conv2D"}


def test_einsum_dense_moving_the_batch_axis_is_refused(tmp_path):
    from types import SimpleNamespace

    from hlsgen.converters.keras.einsum import _general

    kl = SimpleNamespace(name="mix", config={})
    b = SimpleNamespace(shape=lambda x: (3, 4))
    with pytest.raises(ValueError, match="EinsumDense layer 'mix': equation 'abc,cd->bad' is not supported: the "
                                         "batch axis must stay the first output axis"):
        _general(kl, "x", b, "abc,cd->bad", np.ones((4, 2)))
