"""QKeras (issue 5): quantizers -> exact types; QKeras models bit-exact with QKeras.

Bit-exact means: hlsgen's C simulation output == QKeras' float32 output, compared with
``assert_array_equal`` after float64 conversion, on every sample.
"""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from conftest import REPO, needs_gxx

# QKeras 0.9 runs on tf_keras only: the flag must be set before TensorFlow is imported.  When
# another test module imported TensorFlow first (a full-suite run), the QKeras tests here skip
# and ``test_fresh_process`` runs this module again in a fresh process instead.
_TF_BOUND_WITHOUT_FLAG = "tensorflow" in sys.modules and not os.environ.get("TF_USE_LEGACY_KERAS")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from hlsgen.fixed import parse_type  # noqa: E402
from hlsgen.quantizers import (activation_plan, declared_type, exact_type, parse_quantizer,  # noqa: E402
                               quantize_weights)


def _qkeras():
    """(qkeras, tf_keras) or skip: QKeras must import and sit on tf_keras."""
    try:
        import qkeras
        import tf_keras
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"qkeras cannot be imported: {e}")
    if not issubclass(qkeras.QDense, tf_keras.layers.Dense):
        pytest.skip("qkeras is bound to Keras 3 (TensorFlow was imported before TF_USE_LEGACY_KERAS=1)")
    return qkeras, tf_keras


# ---------------------------------------------------------------------------- types (no TF needed)
TYPE_TABLE = [
    ("quantized_bits(6,0,alpha=1)", "fixed<6,1,RND_CONV,SAT>"),
    ("quantized_bits(8,3)", "fixed<8,4,RND_CONV,SAT>"),
    ("quantized_bits(8,3,1)", "fixed<8,4,RND_CONV,SAT_SYM>"),
    ("quantized_bits(4,2,keep_negative=False)", "ufixed<4,2,RND_CONV,SAT>"),
    ("quantized_relu(6)", "ufixed<6,0,RND_CONV,SAT>"),
    ("quantized_relu(4,2)", "ufixed<4,2,RND_CONV,SAT>"),
    ("quantized_tanh(6)", "fixed<6,1,RND_CONV,SAT>"),
    ("quantized_tanh(5,symmetric=True)", "fixed<5,1,RND_CONV,SAT_SYM>"),
    ("quantized_sigmoid(7)", "ufixed<7,0,RND_CONV,SAT>"),
]


@pytest.mark.parametrize("text,want", TYPE_TABLE)
def test_activation_quantizer_types(text, want):
    steps = activation_plan(parse_quantizer(text, where="test"))
    assert steps[-1].attrs["types"]["result"] == parse_type(want)


def test_parse_forms_agree():
    a = parse_quantizer("quantized_bits(6, 0, alpha=1)")
    b = parse_quantizer({"class_name": "quantized_bits", "config": {"bits": 6, "integer": 0, "alpha": 1}})
    assert a.params == b.params
    assert declared_type(a) == parse_type("fixed<6,1,RND_CONV,SAT>")


def test_exact_type():
    assert exact_type([0.5, -0.25, 0.125]) == parse_type("fixed<4,1,RND_CONV,SAT>")
    v = np.float32([0.3, -1.7]).astype(np.float64)
    t = exact_type(v)
    np.testing.assert_array_equal(t.quantize(v), v)


@pytest.mark.parametrize("text,why", [
    ("quantized_bits(4,0,use_stochastic_rounding=True)", "stochastic"),
    ("stochastic_ternary()", "stochastic"),
    ("quantized_relu(4,0,use_sigmoid=1)", "use_sigmoid"),
    ("quantized_bits(4,0,qnoise_factor=0.5)", "qnoise_factor"),
    ("quantized_tanh(4,use_real_tanh=True)", "use_real_tanh"),
    ("quantized_bits(4,0,alpha='auto')", "data-dependent"),
    ("quantized_ulaw(8)", "mu-law"),
])
def test_rejected_with_reason(text, why):
    with pytest.raises(ValueError, match=why) as e:
        activation_plan(parse_quantizer(text, where="layer 'act1'"))
    assert "act1" in str(e.value)


def test_non_po2_auto_scale_rejected():
    w = np.random.default_rng(1).normal(size=(16, 4)).astype(np.float32)
    qz = parse_quantizer("quantized_bits(4,0,alpha='auto')", where="QDense layer 'fc'")
    with pytest.raises(ValueError, match="fc.*not powers of two"):
        quantize_weights(qz, w)


# ---------------------------------------------------------------------------- weights vs QKeras
WEIGHT_QUANTIZERS = [
    "quantized_bits(6,0,alpha=1)", "quantized_bits(4,1)", "quantized_bits(5,0,symmetric=1)",
    "quantized_bits(4,0,keep_negative=False)", "quantized_bits(4,0,alpha='auto_po2')",
    "quantized_bits(6,2,alpha='auto_po2')", "quantized_bits(1,0)", "binary(alpha=1)", "binary(use_01=True, alpha=1)",
    "ternary(alpha=1, threshold=0.3)", "quantized_po2(4)", "quantized_po2(5, max_value=2)",
    "quantized_relu_po2(4, max_value=1)",
]


@pytest.mark.parametrize("text", WEIGHT_QUANTIZERS)
def test_weight_quantization_matches_qkeras(text):
    qkeras, _ = _qkeras()
    from qkeras.quantizers import get_quantizer

    w = (np.random.default_rng(7).normal(size=(3, 3, 4, 8)) * 0.7).astype(np.float32)
    ref = np.asarray(get_quantizer(text)(w), dtype=np.float64)
    qz = parse_quantizer(text, where="test")
    mine = quantize_weights(qz, w)
    np.testing.assert_array_equal(mine, ref)
    from hlsgen.quantizers import weight_type

    t = weight_type(qz, mine)
    np.testing.assert_array_equal(t.quantize(mine), mine)  # the type holds every value


# ---------------------------------------------------------------------------- models
def _submodel_out(model, name, X):
    import tf_keras

    sub = tf_keras.Model(model.inputs, model.get_layer(name).output)
    return sub.predict(X, batch_size=512, verbose=0).astype(np.float64)


def _traced_config(model):
    import hlsgen

    cfg = hlsgen.config_from_keras_model(model, granularity="name")
    for entry in cfg["LayerName"].values():
        entry["Trace"] = True
    return cfg


def _exact_fraction(a, b):
    a = np.asarray(a, dtype=np.float64).reshape(len(b), -1)
    return float(np.mean(np.all(a == np.asarray(b, dtype=np.float64).reshape(len(b), -1), axis=1)))


@needs_gxx
def test_jet_qmlp_bit_exact(shared, tmp_path):
    """Default configuration: 100 % of the logits bit-exact; softmax within its bound;
    every traced layer bit-exact with the QKeras layer output."""
    _qkeras()
    import hlsgen
    from hlsgen.converters.keras import load_keras_model

    d = shared / "bench" / "models"
    model = load_keras_model(d / "jet_qmlp.h5")  # through the loader (env helper + custom objects)
    X = np.load(d / "jet_X_test.npy")
    logits = _submodel_out(model, "output", X)
    hm = hlsgen.convert_from_keras_model(model, hls_config=_traced_config(model), output_dir=str(tmp_path / "p"))
    y, tr = hm.trace(X)
    assert _exact_fraction(tr["output"], logits) == 1.0
    np.testing.assert_array_equal(tr["output"].astype(np.float64), logits)
    for name in ("fc1", "relu1", "fc2", "relu2", "fc3", "relu3"):
        np.testing.assert_array_equal(tr[name], _submodel_out(model, name, X), err_msg=name)
    # softmax: relative error <= 8.5e-4 plus one output LSB (2^-16) (see layers/activations.py)
    p = np.load(d / "jet_qmlp_keras_pred.npy").astype(np.float64)
    err = np.abs(y - p)
    assert np.all(err <= 8.5e-4 * p + 2.0**-16 + 1e-7), err.max()
    assert err.max() < 1e-3
    # the default config is what was used: no precision set by hand
    y2 = hlsgen.convert_from_keras_model(model, output_dir=str(tmp_path / "q")).predict(X)
    np.testing.assert_array_equal(y2, y)


def _peer(shared, name):
    _, tf_keras = _qkeras()
    from qkeras.utils import _add_supported_quantized_objects

    d = shared / "peer-models" / name
    co = {}
    _add_supported_quantized_objects(co)
    model = tf_keras.models.model_from_json((d / f"{name}.json").read_text(), custom_objects=co)
    model.load_weights(str(d / f"{name}_weights.h5"))
    return model, np.load(d / "input.npy")


@needs_gxx
@pytest.mark.parametrize("name,last,n,io_types", [
    ("qkeras_3layer", "output", 1000, ("io_parallel", "io_stream")),
    ("qkeras_mnist_cnn", "q_dense", 200, ("io_parallel", "io_stream")),
])
def test_peer_models_bit_exact(shared, tmp_path, name, last, n, io_types):
    import hlsgen

    model, X = _peer(shared, name)
    X = X[:n]
    logits = _submodel_out(model, last, X)
    for io in io_types:
        hm = hlsgen.convert_from_keras_model(model, hls_config=_traced_config(model), io_type=io,
                                             output_dir=str(tmp_path / io))
        y, tr = hm.trace(X)
        np.testing.assert_array_equal(tr[last].reshape(logits.shape), logits, err_msg=io)
        for lay in model.layers:
            if lay.name in tr and lay.name != "softmax":
                ref = _submodel_out(model, lay.name, X)
                np.testing.assert_array_equal(tr[lay.name].reshape(ref.shape), ref, err_msg=f"{io} {lay.name}")


def _grid(rng, shape, lo=-4.0, hi=4.0, frac=8):
    return (np.round(rng.uniform(lo, hi, size=shape) * 2**frac) / 2**frac).astype(np.float32)


def small_qcnn():
    """QConv2D + QBatchNormalization + quantized_relu, a depthwise conv, average pooling, QDense."""
    qkeras, tf_keras = _qkeras()
    from qkeras import (QActivation, QAveragePooling2D, QBatchNormalization, QConv2D, QDense,
                        QDepthwiseConv2D)

    L = tf_keras.layers
    q6 = "quantized_bits(6,0,alpha=1)"
    inp = L.Input((10, 10, 2), name="x")
    h = QConv2D(4, 3, kernel_quantizer=q6, bias_quantizer=q6, name="conv1")(inp)
    h = QBatchNormalization(gamma_quantizer=None, beta_quantizer=None, mean_quantizer=None,
                            variance_quantizer=None, name="bn1")(h)
    h = QActivation("quantized_relu(6,2)", name="relu1")(h)
    h = QDepthwiseConv2D(3, depthwise_quantizer="quantized_bits(5,0,alpha='auto_po2')",
                         bias_quantizer="quantized_bits(8,2)", name="dw1")(h)
    h = QActivation("quantized_bits(8,3)", name="act2")(h)
    h = QAveragePooling2D(2, name="avg")(h)
    h = L.Flatten(name="flat")(h)
    out = QDense(5, kernel_quantizer="quantized_bits(6,0,alpha='auto_po2')", bias_quantizer="quantized_bits(8,3)",
                 name="logits")(h)
    out = L.Activation("softmax", name="softmax")(out)
    model = tf_keras.Model(inp, out)
    rng = np.random.default_rng(3)
    for lay in model.layers:
        if lay.name == "bn1":  # parameters on short grids so QKeras' float32 BN is exact
            eps = np.float32(lay.epsilon)
            var = np.float32(4.0) - eps
            while np.float32(var + eps) != np.float32(4.0):
                var = np.nextafter(var, np.float32(0))
            gamma = np.float32([0.75, 1.25, 1.5, -0.625])
            beta = np.float32([0.25, -0.5, 0.125, 1.0])
            mean = np.float32([0.5, -0.25, 1.0, 0.0])
            lay.set_weights([gamma, beta, mean, np.full(4, var, np.float32)])
        elif lay.weights:
            lay.set_weights([(rng.normal(size=w.shape) * 0.5).astype(np.float32) for w in lay.get_weights()])
    return model


def tanh_bits_mlp():
    """An MLP with quantized_tanh, quantized_bits, quantized_sigmoid activations and
    several weight quantizers (incl. auto_po2, po2, binary), and a QDense activation."""
    qkeras, tf_keras = _qkeras()
    from qkeras import QActivation, QDense

    L = tf_keras.layers
    inp = L.Input((16,), name="x")
    h = QDense(32, kernel_quantizer="quantized_bits(6,0,alpha=1)", bias_quantizer="quantized_bits(6,0,alpha=1)",
               name="fc1")(inp)
    h = QActivation("quantized_tanh(6)", name="tanh1")(h)
    h = QDense(16, kernel_quantizer="quantized_bits(8,1,alpha='auto_po2')", bias_quantizer="quantized_bits(8,3)",
               name="fc2")(h)
    h = QActivation("quantized_bits(8,2)", name="bits2")(h)
    h = QDense(16, kernel_quantizer="quantized_po2(4)", bias_quantizer="quantized_bits(8,3)",
               activation="quantized_relu(5,1)", name="fc3")(h)
    h = QDense(8, kernel_quantizer="binary(alpha=1)", bias_quantizer="quantized_bits(8,3)", name="fc4")(h)
    h = QActivation("quantized_sigmoid(6)", name="sig4")(h)
    out = QDense(5, kernel_quantizer="quantized_bits(6,0,alpha=1)", bias_quantizer="quantized_bits(6,0,alpha=1)",
                 name="logits")(h)
    model = tf_keras.Model(inp, L.Activation("softmax", name="softmax")(out))
    rng = np.random.default_rng(5)
    for lay in model.layers:
        if lay.weights:
            lay.set_weights([(rng.normal(size=w.shape) * 0.5).astype(np.float32) for w in lay.get_weights()])
    return model


def separable_conv1d_model():
    """QSeparableConv2D + QGlobalAveragePooling2D (8x8 = 64 pixels) and a QConv1D branch."""
    qkeras, tf_keras = _qkeras()
    from qkeras import QActivation, QConv1D, QDense, QGlobalAveragePooling2D, QSeparableConv2D

    L = tf_keras.layers
    q6 = "quantized_bits(6,0,alpha=1)"
    inp = L.Input((10, 10, 3), name="x")
    h = QSeparableConv2D(4, 3, depthwise_quantizer=q6, pointwise_quantizer=q6, bias_quantizer=q6, name="sep")(inp)
    h = QActivation("quantized_relu(6,2)", name="relu1")(h)
    h = QGlobalAveragePooling2D(name="gap")(h)
    h = L.Reshape((4, 1), name="rs")(h)
    h = QConv1D(3, 2, kernel_quantizer=q6, bias_quantizer=q6, activation="quantized_tanh(6)", name="c1d")(h)
    h = L.Flatten(name="flat")(h)
    out = QDense(5, kernel_quantizer=q6, bias_quantizer=q6, name="logits")(h)
    model = tf_keras.Model(inp, out)
    rng = np.random.default_rng(9)
    for lay in model.layers:
        if lay.weights:
            lay.set_weights([(rng.normal(size=w.shape) * 0.5).astype(np.float32) for w in lay.get_weights()])
    return model


def _io_stream_or_xfail(fn):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001
        if type(e).__name__ == "UndefinedError":  # io_stream CNN templates not wired yet (lead's work)
            pytest.xfail(f"io_stream conv templates incomplete: {e}")
        raise


@needs_gxx
@pytest.mark.parametrize("io", ["io_parallel", "io_stream"])
@pytest.mark.parametrize("build,shape,tol_layers", [
    (small_qcnn, (10, 10, 2), ("conv1", "bn1", "relu1", "dw1", "act2", "avg", "logits")),
    (tanh_bits_mlp, (16,), ("fc1", "tanh1", "fc2", "bits2", "fc3", "fc4", "sig4", "logits")),
    (separable_conv1d_model, (10, 10, 3), ("sep", "relu1", "gap", "c1d", "logits")),
])
def test_built_models_bit_exact(tmp_path, io, build, shape, tol_layers):
    import hlsgen

    model = build()
    X = _grid(np.random.default_rng(11), (300,) + shape)
    logits = _submodel_out(model, "logits", X)

    def run():
        hm = hlsgen.convert_from_keras_model(model, hls_config=_traced_config(model), io_type=io,
                                             output_dir=str(tmp_path / io))
        return hm.trace(X)

    y, tr = _io_stream_or_xfail(run) if io == "io_stream" else run()
    np.testing.assert_array_equal(tr["logits"].reshape(logits.shape), logits)
    # every layer hlsgen keeps visible is bit-exact with the QKeras layer of that name
    # (a QBatchNormalization after a conv is folded into it: the conv then carries the BN output)
    # (a Q layer with an activation is two IR layers, ``name`` and ``name_<quantizer>``: the last
    # one is the QKeras layer's output)
    checked = 0
    for name in tol_layers:
        mine = [k for k in tr if k == name or k.startswith(name + "_")]
        if mine:
            # conv1 absorbed bn1 (folded): it gives bn1's output, under both names
            ref_name = "bn1" if name == "conv1" else name
            if name == "conv1":
                np.testing.assert_array_equal(tr["conv1"], tr["bn1"])
            ref = _submodel_out(model, ref_name, X)
            np.testing.assert_array_equal(tr[mine[-1]].reshape(ref.shape), ref, err_msg=name)
            checked += 1
    assert checked >= 4
    if io == "io_parallel":  # the numpy golden models agree too
        np.testing.assert_array_equal(hm_golden(model, tmp_path, X[:50]), y[:50])


def hm_golden(model, tmp_path, X):
    import hlsgen

    return hlsgen.convert_from_keras_model(model, output_dir=str(tmp_path / "g")).predict_golden(X)


def test_qactivation_unsupported_names_layer():
    qkeras, tf_keras = _qkeras()
    from qkeras import QActivation

    import hlsgen

    inp = tf_keras.layers.Input((4,))
    model = tf_keras.Model(inp, QActivation("quantized_relu(4,0,use_sigmoid=1)", name="weird")(inp))
    with pytest.raises(ValueError, match="weird.*use_sigmoid"):
        hlsgen.convert_from_keras_model(model, output_dir="unused")


def test_loader_env_error_when_tf_imported_first(shared, tmp_path):
    """Loading a QKeras file after TensorFlow was imported without TF_USE_LEGACY_KERAS
    gives a clear error (in a fresh process)."""
    _qkeras()
    code = textwrap.dedent(f"""
        import os
        os.environ.pop("TF_USE_LEGACY_KERAS", None)
        import tensorflow
        from hlsgen.converters.keras import load_keras_model
        try:
            load_keras_model({str(shared / 'bench' / 'models' / 'jet_qmlp.h5')!r})
        except RuntimeError as e:
            print("ERR", e)
    """)
    env = dict(os.environ)
    env.pop("TF_USE_LEGACY_KERAS", None)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=180,
                         cwd=str(REPO))
    assert "ERR" in out.stdout and "TF_USE_LEGACY_KERAS=1" in out.stdout, out.stdout + out.stderr


def test_fresh_process():
    """Full-suite runs: TensorFlow was imported (by another test module) before the flag was
    set, so QKeras is bound to Keras 3 here: run this module in a fresh process."""
    if not _TF_BOUND_WITHOUT_FLAG:
        pytest.skip("QKeras tests ran in this process")
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1")
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", __file__,
                          "-k", "not test_fresh_process"], capture_output=True, text=True, env=env, timeout=600,
                         cwd=str(REPO))
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_json_plus_weights_through_the_loader(shared):
    """A QKeras .json + weights .h5 loads through hlsgen's loader (custom objects, env)."""
    _qkeras()
    import hlsgen

    d = shared / "peer-models" / "qkeras_3layer"
    cfg = hlsgen.config_from_keras_model(str(d / "qkeras_3layer.json"), granularity="name")
    assert "fc1" in cfg["LayerName"] and "relu1" in cfg["LayerName"]
    from hlsgen.converters.keras import load_keras_model

    m = load_keras_model(d / "qkeras_3layer.json", d / "qkeras_3layer_weights.h5")
    assert type(m.get_layer("fc1")).__name__ == "QDense"


@needs_gxx
@pytest.mark.parametrize("first", ["bits", "relu"])
def test_quantizer_on_a_float_input_rounds_once(tmp_path, first):
    """QKeras rounds a float input once, onto the first quantizer's grid; hlsgen's input type
    (left 'auto') then takes that quantizer's grid, so it rounds once too (before, the input
    was rounded to Model.Precision first and then again: off by one LSB on a few % of outputs)."""
    qkeras, tf_keras = _qkeras()
    import hlsgen

    q = qkeras.quantized_bits(4, 0, alpha=1) if first == "bits" else qkeras.quantized_relu(4, 0)
    inp = tf_keras.Input((16,), name="x")
    x = qkeras.QActivation(q, name="inp_quant")(inp)
    x = qkeras.QDense(16, kernel_quantizer=qkeras.quantized_bits(4, 0, alpha=1),
                      bias_quantizer=qkeras.quantized_bits(4, 0, alpha=1), name="fc1")(x)
    model = tf_keras.Model(inp, qkeras.QActivation(qkeras.quantized_relu(4, 0), name="relu1")(x))
    X = np.random.default_rng(3).uniform(-1.5, 1.5, (3000, 16)).astype(np.float32).astype(np.float64)
    cfg = hlsgen.utils.config_from_keras_model(model, granularity="name")
    hm = hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=str(tmp_path / "p"))
    np.testing.assert_array_equal(hm.predict(X), model.predict(X, verbose=0))
    t = hm.graph.tensors[hm.graph.inputs[0].tensor].type
    assert t.fractional == (3 if first == "bits" else 4) and t.rounding == "RND_CONV"
    # a precision the configuration names still wins
    cfg["LayerName"]["x"]["Precision"]["result"] = "fixed<16,6>"
    hm = hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=str(tmp_path / "q"))
    assert str(hm.graph.tensors[hm.graph.inputs[0].tensor].type) == "fixed<16,6>"


@needs_gxx
@pytest.mark.parametrize("act", ["binary()", "binary(use_01=True)", "binary(alpha=0.5)", "ternary()",
                                 "ternary(alpha=2.0, threshold=0.25)", "binary_tanh"])
def test_step_activations(tmp_path, act):
    """binary / ternary / binary_tanh activations: exact levels at QKeras' float32 thresholds."""
    qkeras, tf_keras = _qkeras()
    import hlsgen

    inp = tf_keras.Input((8,), name="x")
    x = qkeras.QDense(12, kernel_quantizer=qkeras.quantized_bits(6, 0, alpha=1),
                      bias_quantizer=qkeras.quantized_bits(6, 0, alpha=1), name="fc")(inp)
    q = qkeras.quantizers.binary_tanh if act == "binary_tanh" else eval("qkeras." + act)  # noqa: S307
    model = tf_keras.Model(inp, qkeras.QActivation(q, name="act")(x))
    X = np.round(np.random.default_rng(5).uniform(-2, 2, (2000, 8)) * 32) / 32
    hm = hlsgen.convert_from_keras_model(model, output_dir=str(tmp_path / "p"))
    assert hm.graph.layers[-1].kind == "Step"
    y = hm.predict(X)
    ref = model.predict(X, verbose=0).astype(np.float64)
    # QKeras gives the level through x + (-x + q) in float32: at most one float32 ulp of x away
    fc = tf_keras.Model(inp, model.get_layer("fc").output).predict(X, verbose=0)
    np.testing.assert_array_less(np.abs(y - ref), np.spacing(np.abs(fc).astype(np.float32)) * 2 + 1e-12)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    levels = set(np.unique(y))
    assert len(levels) >= 2 and levels <= set(np.unique(np.round(ref, 5)))


def test_qconv2d_batchnorm_and_real_sigmoid_refused_with_the_reason(tmp_path):
    qkeras, tf_keras = _qkeras()
    import hlsgen

    inp = tf_keras.Input((6, 6, 2), name="x")
    out = qkeras.QConv2DBatchnorm(3, 3, kernel_quantizer=qkeras.quantized_bits(6, 0, alpha=1),
                                  bias_quantizer=qkeras.quantized_bits(6, 0, alpha=1), name="cbn")(inp)
    with pytest.raises(ValueError, match="QConv2DBatchnorm layer 'cbn' is not supported: it folds the batch "
                                         "normalization into the kernel in float32"):
        hlsgen.convert_from_keras_model(tf_keras.Model(inp, out), output_dir=str(tmp_path / "a"))
    inp = tf_keras.Input((4,), name="x")
    out = qkeras.QActivation(qkeras.quantized_sigmoid(6, use_real_sigmoid=True), name="s")(inp)
    with pytest.raises(ValueError, match="use_real_sigmoid=True needs float32 sigmoid"):
        hlsgen.convert_from_keras_model(tf_keras.Model(inp, out), output_dir=str(tmp_path / "b"))
    out = qkeras.QActivation(qkeras.quantized_relu(4, 0, negative_slope=2.0**-4), name="r")(inp)
    with pytest.raises(ValueError, match=r"layer 'r'.*negative_slope=0.0625 is below one step of the 4-bit output"):
        hlsgen.convert_from_keras_model(tf_keras.Model(inp, out), output_dir=str(tmp_path / "c"))
    assert not any((tmp_path / d).exists() for d in "abc")


@pytest.mark.parametrize("quantizer", ["quantized_relu(4, 0, negative_slope=0.5)", "quantized_relu(8, 4, negative_slope=1.0)",
                                       "quantized_relu(10, 2, negative_slope=0.25)", "quantized_relu(6, 1, negative_slope=0.125)",
                                       "quantized_relu(6, 1, negative_slope=2.0)"])
def test_quantized_relu_negative_slope_bit_exact(tmp_path, quantizer):
    """A power-of-two negative slope: QKeras' grid on both sides (ties to even) and its floor
    at -2^integer * slope, bit for bit, after a QDense and on a float input."""
    qkeras, tf_keras = _qkeras()
    import hlsgen

    q = eval("qkeras." + quantizer)  # noqa: S307
    inp = tf_keras.Input((6,), name="x")
    x = qkeras.QDense(8, kernel_quantizer=qkeras.quantized_bits(6, 2, alpha=1),
                      bias_quantizer=qkeras.quantized_bits(6, 2, alpha=1), name="fc")(inp)
    model = tf_keras.Model(inp, qkeras.QActivation(q, name="act")(x))
    rng = np.random.default_rng(9)
    X = np.round(rng.uniform(-6, 6, (3000, 6)) * 64) / 64
    hm = hlsgen.convert_from_keras_model(model, output_dir=str(tmp_path / "p"))
    y = hm.predict(X)
    ref = model.predict(X, verbose=0).astype(np.float64)
    np.testing.assert_array_equal(y, ref)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    assert (y < 0).any() and (y > 0).any() and (y == y.min()).sum() > 1  # both sides and the floor reached
    direct = tf_keras.Sequential([tf_keras.Input((1,)), qkeras.QActivation(q, name="q")])
    xs = np.round(np.linspace(-40, 40, 5121)).reshape(-1, 1) / 64  # ties of every output grid included
    hd = hlsgen.convert_from_keras_model(direct, output_dir=str(tmp_path / "d"))
    np.testing.assert_array_equal(hd.predict(xs), direct.predict(xs, verbose=0).astype(np.float64))


@needs_gxx
@pytest.mark.parametrize("alpha", ["auto", "auto_po2"])
def test_ternary_auto_weights_are_qkeras_own(tmp_path, alpha):
    """ternary(alpha='auto'): QKeras' per-channel scales (arbitrary float32 numbers with 'auto')
    and levels are the weights, held exactly: hlsgen's outputs equal the exact sums over them, and
    QKeras' own outputs bit for bit where its float32 arithmetic is exact (one nonzero input)."""
    qkeras, tf_keras = _qkeras()
    import hlsgen

    tf_keras.utils.set_random_seed(3)
    quantizer = qkeras.ternary
    inp = tf_keras.Input((10,), name="x")
    out = qkeras.QDense(6, kernel_quantizer=quantizer(alpha=alpha), use_bias=False, name="fc")(inp)
    model = tf_keras.Model(inp, out)
    w = model.get_layer("fc").kernel.numpy()
    wq = quantizer(alpha=alpha)(w).numpy().astype(np.float64)  # what QKeras multiplies by
    scales = {abs(v) for v in np.unique(wq) if v != 0}
    assert len(scales) >= (2 if alpha == "auto" else 1) and set(np.unique(np.sign(wq))) == {-1.0, 0.0, 1.0}
    hm = hlsgen.convert_from_keras_model(model, output_dir=str(tmp_path / "p"))
    rng = np.random.default_rng(4)
    X = rng.integers(-1, 2, (500, 10)).astype(np.float64)  # products exact; sums exact in float64
    np.testing.assert_array_equal(hm.predict(X), X @ wq)
    one_hot = np.eye(10)[rng.integers(0, 10, 200)] * rng.choice([-1.0, 1.0], (200, 1))
    np.testing.assert_array_equal(hm.predict(one_hot), model.predict(one_hot, verbose=0).astype(np.float64))
    np.testing.assert_allclose(hm.predict(X), model.predict(X, verbose=0), rtol=1e-6, atol=1e-6)
    if alpha == "auto":
        assert not all(np.log2(s).is_integer() for s in scales)  # the case that was refused before


def test_ternary_auto_weight_rounded_by_the_straight_through_sum_is_refused(tmp_path):
    """A weight far beyond 2s: QKeras' x + (-x + s*q) misses the level s by an ulp (eager and
    traced runs of QKeras then differ); refused naming the layer and the channel."""
    qkeras, tf_keras = _qkeras()
    import hlsgen

    rng = np.random.default_rng(0)
    w = np.full((10, 2), 0.4, np.float32)
    w[0, 0] = 1.0
    w[:, 1] = rng.uniform(-1, 1, 10)
    w[1:, 0] += rng.uniform(-0.05, 0.05, 9).astype(np.float32)
    assert len(np.unique(np.abs(qkeras.ternary(alpha="auto")(w).numpy()[:, 0]))) == 2  # the case
    inp = tf_keras.Input((10,), name="x")
    layer = qkeras.QDense(2, kernel_quantizer=qkeras.ternary(alpha="auto"), use_bias=False, name="fc")
    model = tf_keras.Model(inp, layer(inp))
    layer.set_weights([w])
    out = tmp_path / "p"
    with pytest.raises(ValueError, match=r"QDense layer 'fc' kernel_quantizer.*output channel 0 QKeras' "
                                         r"straight-through sum .* rounds some weights off the level"):
        hlsgen.convert_from_keras_model(model, output_dir=str(out))
    assert not out.exists()


def test_ternary_auto_as_text_is_refused_with_the_reason():
    qz = parse_quantizer("ternary(alpha='auto')", where="QDense layer 'fc'")
    w = np.random.default_rng(1).normal(size=(16, 4)).astype(np.float32)
    with pytest.raises(ValueError, match="fc.*pass the QKeras layer object.*summation order TensorFlow chooses"):
        quantize_weights(qz, w)
