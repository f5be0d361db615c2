"""CNN layers (convolutions, pooling, padding/cropping/upsampling, merges): C++ bit-exact
with the numpy golden in io_parallel (through convert_from_keras_model) and in the io_stream
kernels (C++ harness, tests/cnn_util.py), close to Keras, and clear errors for options
hlsgen does not implement."""
import time

import numpy as np
import pytest

import hlsgen
import hlsgen.converters.keras.conv  # noqa: F401  (the frontend imports it too; registers the handlers)

from cnn_util import run_stream_layers
from conftest import grid, needs_gxx

keras = pytest.importorskip("keras")
L = keras.layers

CNN_KINDS = {"Conv1D", "Conv2D", "DepthwiseConv1D", "DepthwiseConv2D", "Pooling1D", "Pooling2D", "GlobalPooling1D",
             "GlobalPooling2D", "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "UpSampling1D",
             "UpSampling2D", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"}


def _bn_stats(model, name, seed):
    bn = model.get_layer(name)
    n = bn.get_weights()[0].shape[0]
    rng = np.random.default_rng(seed)
    bn.set_weights([rng.uniform(0.5, 2, n), rng.normal(size=n) * 0.3, rng.normal(size=n) * 0.3,
                    rng.uniform(0.3, 2, n)])


def model_2d(seed=0):
    """Every 2-D layer kind in one branching graph with several outputs."""
    keras.utils.set_random_seed(seed)
    inp = keras.Input((11, 11, 3), name="img")
    c1 = L.Conv2D(4, 3, padding="same", activation="relu", name="c1")(inp)
    c2 = L.Conv2D(6, 4, strides=2, padding="same", use_bias=False, name="c2")(c1)  # even kernel: asymmetric pad
    c2 = L.BatchNormalization(name="bn2")(c2)
    d = L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", name="dw")(c1)
    s = L.SeparableConv2D(5, 3, padding="valid", activation="relu", name="sep")(c1)
    p1 = L.MaxPooling2D(3, strides=2, padding="same", name="maxp")(d)
    p2 = L.AveragePooling2D(3, strides=2, padding="same", name="avgp")(s)
    p3 = L.AveragePooling2D(2, name="avgp_valid")(d)
    g1 = L.GlobalAveragePooling2D(name="gap")(p1)
    g2 = L.GlobalMaxPooling2D(name="gmp")(p2)
    g3 = L.GlobalAveragePooling2D(name="gap2")(p3)
    zp = L.ZeroPadding2D(((1, 2), (0, 1)), name="zp")(c2)
    cr = L.Cropping2D(((1, 0), (2, 1)), name="crop")(zp)
    up = L.UpSampling2D((2, 1), name="up")(cr)
    e = L.Conv2D(6, 1, name="pw")(p1)
    add = L.Add(name="add")([c2, e])
    sub = L.Subtract(name="sub")([c2, e])
    mul = L.Multiply(name="mul")([c2, e])
    avg = L.Average(name="avg")([c2, e])
    mx = L.Maximum(name="max")([c2, e])
    mn = L.Minimum(name="min")([c2, e])
    add3 = L.Add(name="add3")([add, mx, mn])
    cat_c = L.Concatenate(name="cat_c")([add3, mul])
    cat_h = L.Concatenate(axis=1, name="cat_h")([sub, avg])
    cat_w = L.Concatenate(axis=2, name="cat_w")([mx, mn])
    g = L.Concatenate(name="cat_g")([g1, g2, g3])
    model = keras.Model(inp, [g, up, cat_c, cat_h, cat_w])
    _bn_stats(model, "bn2", seed)
    return model


def model_1d(seed=1):
    keras.utils.set_random_seed(seed)
    inp = keras.Input((21, 3), name="sig")
    x = L.Conv1D(4, 3, padding="same", name="c1")(inp)
    x = L.BatchNormalization(name="bn1")(x)
    x = L.ReLU(name="relu1")(x)
    y = L.Conv1D(5, 4, strides=2, padding="same", name="c2")(x)
    z = L.DepthwiseConv1D(3, depth_multiplier=2, padding="same", name="dw")(x)
    z = L.SeparableConv1D(4, 3, padding="same", name="sep")(z)
    a = L.MaxPooling1D(2, name="maxp")(z)
    b = L.AveragePooling1D(3, strides=2, padding="same", name="avgp")(z)
    b = L.ZeroPadding1D((1, 2), name="zp")(b)
    b = L.Cropping1D((1, 1), name="crop")(b)
    b = L.UpSampling1D(2, name="up")(b)
    c = L.Concatenate(axis=1, name="cat")([a, b])
    g = L.Concatenate(name="cat_g")([L.GlobalAveragePooling1D(name="gap")(c), L.GlobalMaxPooling1D(name="gmp")(y)])
    out = L.Dense(3, name="dense")(g)
    model = keras.Model(inp, [out, c])
    _bn_stats(model, "bn1", seed)
    return model


def _check(hm, model, X, tol):
    ys = hm.predict(X)
    gs = hm.predict_golden(X)
    ks = model.predict(X, verbose=0)
    ys, gs, ks = (v if isinstance(v, list) else [v] for v in (ys, gs, ks))
    assert len(ys) == len(ks)
    diffs = []
    for y, g, k in zip(ys, gs, ks):
        np.testing.assert_array_equal(y, g)
        diffs.append(float(np.abs(y - k.reshape(y.shape)).max()))
    assert max(diffs) < tol, diffs
    return diffs


@needs_gxx
def test_2d_layers_bit_exact_and_close_to_keras(tmp_path):
    model = model_2d()
    X = grid(np.random.default_rng(0), (40, 11, 11, 3), -2, 2)
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
    kinds = [lay.kind for lay in hm.graph.layers]
    assert "BatchNormalization" not in kinds and "Activation" not in kinds  # folded / fused
    assert {"Conv2D", "DepthwiseConv2D", "Pooling2D", "GlobalPooling2D", "ZeroPadding2D", "Cropping2D",
            "UpSampling2D", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"} <= set(kinds)
    diffs = _check(hm, model, X, 0.05)  # measured max |diff| about 0.01 (fixed<16,6> results)
    # the io_stream kernels of the same layers, bit-exact with the golden
    res = run_stream_layers(hm, X[:6], CNN_KINDS, tmp_path / "stream")
    assert len(res) >= 20
    for name, (y, g) in res.items():
        np.testing.assert_array_equal(y, g, err_msg=name)
    print("2-D max |diff| vs Keras per output:", diffs)


@needs_gxx
def test_1d_layers_bit_exact_and_close_to_keras(tmp_path):
    model = model_1d()
    X = grid(np.random.default_rng(2), (60, 21, 3), -3, 3)
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
    kinds = [lay.kind for lay in hm.graph.layers]
    assert "BatchNormalization" not in kinds
    diffs = _check(hm, model, X, 0.05)
    res = run_stream_layers(hm, X[:6], CNN_KINDS, tmp_path / "stream")
    assert len(res) >= 10
    for name, (y, g) in res.items():
        np.testing.assert_array_equal(y, g, err_msg=name)
    print("1-D max |diff| vs Keras per output:", diffs)


@needs_gxx
def test_narrow_and_rounding_accumulators_stay_bit_exact(tmp_path):
    """Configured accumulators take the non-exact code paths (per-step quantization)."""
    model = model_2d(seed=4)
    X = grid(np.random.default_rng(3), (20, 11, 11, 3), -2, 2)
    cfg = hlsgen.config_from_keras_model(model, granularity="name")
    cfg["LayerName"]["c1"]["Precision"].update(accum="fixed<20,8>", weight="fixed<8,2,RND,SAT>")  # drops LSBs
    cfg["LayerName"]["c2"]["Precision"].update(accum="fixed<22,7,RND,SAT>", result="fixed<12,4,RND_CONV,SAT>")
    cfg["LayerName"]["dw"]["Precision"].update(accum="fixed<18,7,TRN,SAT>")
    cfg["LayerName"]["avgp"]["Precision"].update(accum="fixed<14,6,RND,SAT>", recip="ufixed<10,1,RND,SAT>")
    cfg["LayerName"]["add"]["Precision"]["result"] = "fixed<10,4,RND,SAT>"
    cfg["LayerName"]["pw"].update(Strategy="Resource", ReuseFactor=3)  # same arithmetic, other pragmas
    hm = hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=tmp_path / "prj")
    for y, g in zip(hm.predict(X), hm.predict_golden(X)):
        np.testing.assert_array_equal(y, g)
    res = run_stream_layers(hm, X[:4], {"Conv2D", "DepthwiseConv2D", "Pooling2D"}, tmp_path / "stream")
    for name, (y, g) in res.items():
        np.testing.assert_array_equal(y, g, err_msg=name)


@needs_gxx
def test_synthesizable_code_path_is_bit_exact_too(tmp_path, monkeypatch):
    """Without the C-simulation fast paths (the code synthesis sees) results are identical."""
    monkeypatch.setenv("HLSGEN_CXXFLAGS", "-DHLSGEN_NO_FAST_CSIM")
    model = model_2d(seed=5)
    X = grid(np.random.default_rng(5), (12, 11, 11, 3), -2, 2)
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
    for y, g in zip(hm.predict(X), hm.predict_golden(X)):
        np.testing.assert_array_equal(y, g)


@needs_gxx
def test_cnn_small_benchmark(shared, tmp_path):
    from hlsgen.converters.keras import load_keras_model

    models = shared / "bench" / "models"
    model = load_keras_model(models / "cnn_small.h5")
    X = np.load(models / "img_X_test.npy")
    ref = np.load(models / "cnn_small_keras_pred.npy")
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
    hm.compile()
    hm.predict(X[:10])
    t = time.perf_counter()
    y = hm.predict(X)
    rate = len(X) / (time.perf_counter() - t)
    agree = float((y.argmax(1) == ref.argmax(1)).mean())
    print(f"cnn_small: {rate:,.0f} samples/s, argmax agreement {agree:.4f}")
    assert agree >= 0.99
    np.testing.assert_array_equal(y[:100], hm.predict_golden(X[:100]))
    assert rate > 3000  # loose: the machine is shared; the report gives the measured figure


@pytest.mark.parametrize("layer, option", [
    (lambda: L.Conv2D(2, 3, dilation_rate=2, name="bad"), "dilation_rate"),
    (lambda: L.Conv1D(2, 3, padding="causal", dilation_rate=2, name="bad"), "dilation_rate"),  # causal: supported
    (lambda: L.Conv2D(4, 3, groups=2, name="bad"), "groups=2"),
    (lambda: L.DepthwiseConv2D(3, dilation_rate=2, name="bad"), "dilation_rate"),
    (lambda: L.UpSampling2D(2, interpolation="bilinear", name="bad"), "interpolation='bilinear'"),
])
def test_unsupported_options_are_named_before_writing(layer, option, tmp_path):
    lay = layer()
    shape = (8, 4) if isinstance(lay, L.Conv1D) else (8, 8, 4)
    model = keras.Sequential([keras.Input(shape), lay])
    with pytest.raises(ValueError, match=rf"'bad'.*{option}|{option}.*'bad'"):
        hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
    assert not (tmp_path / "prj").exists()


def test_channels_first_is_rejected(tmp_path):
    model = keras.Sequential([keras.Input((8, 8, 4)), L.Conv2D(2, 3, data_format="channels_last", name="ok")])
    cfg = model.get_layer("ok").get_config()
    from hlsgen.converters.keras import KerasLayer
    from hlsgen.converters.keras.conv import conv

    cfg["data_format"] = "channels_first"
    kl = KerasLayer("Conv2D", "ok", cfg, model.get_layer("ok").get_weights(), "keras3")
    with pytest.raises(ValueError, match=r"'ok'.*data_format='channels_first'"):
        conv(kl, ["x"], None)


@needs_gxx
def test_tf_keras_residual_block(tmp_path):
    """tf_keras flavour: a residual block with batch norm after a depthwise convolution."""
    tk = pytest.importorskip("tf_keras")
    tk.utils.set_random_seed(7)
    inp = tk.Input((9, 9, 4), name="x")
    y = tk.layers.DepthwiseConv2D(3, padding="same", use_bias=False, name="dw")(inp)
    y = tk.layers.BatchNormalization(name="bn")(y)
    y = tk.layers.ReLU(name="r")(y)
    y = tk.layers.Conv2D(4, 1, name="pw")(y)
    y = tk.layers.Add(name="res")([inp, y])
    y = tk.layers.MaxPooling2D(2, padding="same", name="mp")(y)
    y = tk.layers.GlobalAveragePooling2D(keepdims=True, name="gap")(y)
    y = tk.layers.Flatten(name="fl")(y)
    out = tk.layers.Dense(3, name="out")(y)
    model = tk.Model(inp, out)
    bn = model.get_layer("bn")
    rng = np.random.default_rng(7)
    bn.set_weights([rng.uniform(0.5, 2, 4), rng.normal(size=4) * 0.3, rng.normal(size=4) * 0.3, rng.uniform(0.3, 2, 4)])
    X = grid(np.random.default_rng(8), (50, 9, 9, 4), -2, 2)
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
    kinds = [lay.kind for lay in hm.graph.layers]
    assert kinds[:3] == ["DepthwiseConv2D", "Conv2D", "Add"], kinds  # bn folded, relu fused
    y = hm.predict(X)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    assert np.abs(y - model.predict(X, verbose=0)).max() < 0.02


def test_geometry_matches_keras_and_stream_lags():
    from hlsgen.layers.conv import Conv2D, conv_geometry, stream_lag
    from hlsgen.layers.pooling import GlobalPooling2D, Pooling2D

    for n in (5, 6, 7, 11):
        for k in (1, 2, 3, 4):
            for s in (1, 2, 3):
                for pad in ("same", "valid"):
                    if pad == "valid" and k > n:
                        continue
                    ks = L.Conv2D(1, (k, 1), strides=(s, 1), padding=pad).compute_output_shape((None, n, 1, 1))
                    assert conv_geometry(n, k, s, pad)[0] == ks[1], (n, k, s, pad)
    c = Conv2D("c", "c", ["x"], ["y"], dict(padding="same"), dict(weight=np.zeros((3, 3, 2, 4))))
    assert c.output_shape([(10, 12, 2)]) == (10, 12, 4) and stream_lag(c, (10, 12, 2)) == 12 + 2
    p = Pooling2D("p", "p", ["x"], ["y"], dict(op="max", pool=(2, 2)))
    assert p.output_shape([(10, 12, 2)]) == (5, 6, 2) and stream_lag(p, (10, 12, 2)) == 12 + 2
    g = GlobalPooling2D("g", "g", ["x"], ["y"], dict(op="average"))
    assert g.output_shape([(10, 12, 2)]) == (2,) and stream_lag(g, (10, 12, 2)) == 120


@needs_gxx
def test_average_pooling_with_a_wide_accumulator_keeps_the_reciprocal_precise(tmp_path):
    """An 18x18 global average with Model.Precision fixed<32,9> needs a 41-bit exact sum: the
    reciprocal 1/324 still has 24 significant bits, the C++ matches the golden bit for bit
    and Keras within the result's resolution."""
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((18, 18, 6)), L.GlobalAveragePooling2D(keepdims=True, name="gap")])
    X = np.random.default_rng(4).random((40, 18, 18, 6))
    cfg = hlsgen.config_from_keras_model(model, granularity="name", default_precision="ap_fixed<32,9>")
    hm = hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=tmp_path / "prj")
    y, g = hm.predict(X), hm.predict_golden(X)
    np.testing.assert_array_equal(y, g)
    xq = np.floor(X * 2**23) / 2**23  # the input on fixed<32,9>'s grid (TRN)
    ref = xq.mean(axis=(1, 2), keepdims=True)
    # the reciprocal's relative error <= 2^-25, then one truncation to 23 fractional bits
    err = y - ref
    assert np.all(err <= ref * 2.0**-25) and np.all(err >= -(2.0**-23) - ref * 2.0**-25)
    assert np.max(np.abs(y - model.predict(X, verbose=0))) < 1e-6


def test_explicit_pooling_pads():
    from hlsgen.layers.conv import stream_lag
    from hlsgen.layers.pooling import Pooling1D, Pooling2D

    p = Pooling2D("p", "p", ["x"], ["y"], dict(op="max", pool=(3, 3), strides=(2, 2), pads=(1, 1, 1, 1)))
    assert p.attrs["padding"] == "explicit"
    assert p.output_shape([(7, 6, 2)]) == (4, 3, 2) and stream_lag(p, (7, 6, 2)) == 6 + 2
    q = Pooling1D("q", "q", ["x"], ["y"], dict(op="max", pool=(1, 2), pads=(0, 0, 1, 1)))
    assert q.output_shape([(121, 2)]) == (61, 2)
    with pytest.raises(ValueError, match="top = bottom = 0"):
        Pooling1D("q", "q", ["x"], ["y"], dict(pool=(1, 2), pads=(1, 0, 0, 0)))
    with pytest.raises(ValueError, match="not both"):
        Pooling2D("p", "p", ["x"], ["y"], dict(padding="same", pads=(1, 1, 1, 1)))
    with pytest.raises(ValueError, match="needs pads"):
        Pooling2D("p", "p", ["x"], ["y"], dict(padding="explicit"))
    with pytest.raises(ValueError, match="without an input value"):  # a window all padding
        Pooling2D("p", "p", ["x"], ["y"], dict(pool=(2, 2), pads=(2, 0, 0, 0))).output_shape([(4, 4, 1)])
    with pytest.raises(ValueError, match="without an input value"):
        Pooling2D("p", "p", ["x"], ["y"], dict(pool=(2, 2), pads=(0, 0, 0, 3))).output_shape([(4, 4, 1)])
