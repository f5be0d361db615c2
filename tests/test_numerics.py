"""Numerics a user can trust: 'auto' inputs fitted by calibration data, saturation and
overflow accounting (predict's warning, hm.saturation, weights at conversion), trace keys of
fused layers, hm.summary, hm.plot_model and hlsgen.profiling."""
import re
import shutil
import sys
import warnings

import numpy as np
import pytest

import hlsgen
from hlsgen.saturation import SaturationWarning

from conftest import grid, needs_gxx

keras = pytest.importorskip("keras")


def _no_saturation_warning():
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("error", SaturationWarning)
    return ctx


def raw_scale_mlp():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((10,), name="features"), keras.layers.Dense(16, activation="relu", name="hidden"),
                             keras.layers.Dense(5, activation="softmax", name="out")])


def raw_scale_data(n=3000):
    return np.random.default_rng(0).uniform(-600, 600, (n, 10)).astype(np.float32)


@needs_gxx
def test_raw_scale_mlp_calibration_fits_the_input(tmp_path):
    model = raw_scale_mlp()
    X = raw_scale_data()
    Xc, Xt = X[:1000], X[1000:]
    yk = model.predict(Xt, verbose=0)
    plain = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "plain")
    # the input saturates first: |x| up to 600 in fixed<16,6> (largest value 32 - 2^-10; RND: the input follows Model.Precision)
    over = int(np.count_nonzero((Xt > 32 - 2.0**-11) | (Xt < -32 - 2.0**-11)))
    pct = f"{100 * over / Xt.size:.3g}"
    with pytest.warns(SaturationWarning, match=re.escape(f"'features' (input, fixed<16,6,RND,SAT>) {pct}% of its "
                                                         "values (largest |value| 600)")) as rec:
        y_plain = plain.predict(Xt)
    assert len([w for w in rec if w.category is SaturationWarning]) == 1  # one warning per predict
    text = str(rec[0].message)
    assert text.index("'features'") < text.index("'hidden'")  # the first saturating layer first
    assert "calibration_data=" in text and "'features': fixed<16,12,RND,SAT>" in text
    assert plain.last_saturation["features"].overflow == over
    assert np.mean(np.argmax(y_plain, 1) == np.argmax(yk, 1)) < 0.9

    calib = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "calib", calibration_data=Xc)
    t_in = calib.graph.tensors[calib.graph.inputs[0].tensor].type
    assert str(t_in) == "fixed<16,12,RND,SAT>"  # 600 needs 11 integer bits (sign included), + 1 of headroom
    assert calib.resolved_config()["LayerName"]["features"]["Precision"]["result"] == str(t_in)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SaturationWarning)
        y = calib.predict(Xt)
    assert np.mean(np.argmax(y, 1) == np.argmax(yk, 1)) >= 0.99
    np.testing.assert_array_equal(y[:300], calib.predict_golden(Xt[:300]))
    assert calib.last_saturation["features"].overflow == 0

    # an input precision set by hand is kept; 'auto' (now the default in generated configs) is fitted
    cfg = hlsgen.config_from_keras_model(model, granularity="name")
    assert cfg["LayerName"]["features"]["Precision"]["result"] == "auto"
    cfg["LayerName"]["features"]["Precision"]["result"] = "fixed<18,11,RND,SAT>"
    hand = hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=tmp_path / "hand", calibration_data=Xc)
    assert str(hand.graph.tensors[hand.graph.inputs[0].tensor].type) == "fixed<18,11,RND,SAT>"
    # without data the documented default stays
    assert str(plain.graph.tensors[plain.graph.inputs[0].tensor].type) == "fixed<16,6,RND,SAT>"


def _dense_model(result=None, weight_scale=None, seed=1):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((12,), name="x"), keras.layers.Dense(8, name="d")])
    if weight_scale is not None:
        w, b = model.get_layer("d").get_weights()
        model.get_layer("d").set_weights([w * weight_scale, b])
    cfg = hlsgen.config_from_keras_model(model, granularity="name")
    if result:
        cfg["LayerName"]["d"]["Precision"]["result"] = result
    return model, cfg


def _pre_activation(hm, X):
    """The Dense layer's exact value before its result type: quantized inputs, weights, bias."""
    lay = hm.graph.layers[0]
    x = hm.graph.tensors[hm.graph.inputs[0].tensor].type.quantize(X)
    w = lay.types["weight"].quantize(lay.weights["weight"])
    b = lay.types["bias"].quantize(lay.weights["bias"])
    return x @ w + b  # exact in float64: few, short terms


@needs_gxx
def test_a_layer_forced_to_wrap_warns_with_its_fraction(tmp_path):
    model, cfg = _dense_model("fixed<8,3,TRN,WRAP>", weight_scale=4.0)
    X = grid(np.random.default_rng(2), (400, 12))
    hm = hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=tmp_path / "prj")
    v = _pre_activation(hm, X)
    q = np.floor(v * 32)  # TRN onto the 2^-5 grid
    bad = (q > 127) | (q < -128)
    expected = int(bad.sum())
    assert 0.01 < expected / v.size < 0.9
    pct = f"{100 * expected / v.size:.3g}"
    with pytest.warns(SaturationWarning, match=re.escape(f"'d' (Dense, fixed<8,3>) {pct}% of its values")):
        y = hm.predict(X)
    row = hm.last_saturation["d"]
    assert (row.overflow, row.values) == (expected, v.size)  # a wrapping type is checked at each conversion
    assert row.peak == np.abs(v[bad]).max()
    text = hm.last_saturation.warning_text()
    assert "Remedy: set the precision (LayerName -> Precision -> result) to e.g. 'd': fixed<8,8>" in text
    assert "calibration_data" not in text  # configured by hand: calibration would keep it
    exact = hm.saturation(X)["d"]
    assert (exact.overflow, exact.peak) == (expected, row.peak)
    assert exact.underflow == int(np.count_nonzero((v != 0) & (q == 0)))
    # the accounting changes no output: bit-identical without it, in the exact build, and with the golden model
    hm.count_saturation = False
    np.testing.assert_array_equal(hm.predict(X), y)
    from hlsgen.saturation import exact_simulation

    np.testing.assert_array_equal(exact_simulation(hm).predict(X), y)
    np.testing.assert_array_equal(hm.predict_golden(X), y)
    assert "0 samples" not in str(hm.saturation(X[:5]))


@needs_gxx
def test_saturating_types_counted_exactly_and_at_the_ends_of_their_range(tmp_path):
    model, cfg = _dense_model(weight_scale=12.0, seed=3)
    X = np.random.default_rng(4).normal(0, 1.5, (500, 12))
    hm = hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=tmp_path / "prj")
    t = hm.graph.layers[0].types["result"]
    assert str(t) == "fixed<16,6,RND,SAT>"
    v = _pre_activation(hm, X)
    q = np.floor(v * 2**t.fractional + 0.5)  # RND: ties up
    expected = int(np.count_nonzero((q > t.max_raw) | (q < t.min_raw)))
    assert expected / v.size > 0.01
    with pytest.warns(SaturationWarning, match=r"'d' \(Dense, fixed<16,6,RND,SAT>\)"):
        y = hm.predict(X)
    assert hm.last_saturation["d"].overflow == expected  # values at the ends of the range
    assert hm.last_saturation["d"].underflow is None  # not measured by predict for a saturating type
    exact = hm.saturation(X)["d"]
    assert exact.overflow == expected
    assert exact.underflow == int(np.count_nonzero((v != 0) & (q == 0)))
    assert exact.peak == np.abs(v[(q > t.max_raw) | (q < t.min_raw)]).max()
    np.testing.assert_array_equal(y, hm.predict_golden(X))


@needs_gxx
def test_huge_weights_warn_at_predict_and_narrow_configured_weights_at_conversion(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,), name="x"), keras.layers.Dense(2, name="big")])
    model.get_layer("big").set_weights([np.full((4, 2), 1e9), np.zeros(2)])
    X = grid(np.random.default_rng(0), (50, 4), lo=0.5, hi=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SaturationWarning)  # 'auto' weight types hold 1e9: no weight warning
        hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "big")
    with pytest.warns(SaturationWarning, match=r"'big' \(Dense, fixed<16,6,RND,SAT>\) 100% of its values"):
        y = hm.predict(X)
    assert np.all(y == hm.graph.layers[0].types["result"].max_value)  # Keras: about 2e9 to 4e9

    model2, cfg = _dense_model()
    cfg["LayerName"]["d"]["Precision"]["weight"] = "fixed<4,0,RND_CONV,SAT>"
    w = model2.get_layer("d").get_weights()[0]
    q = np.rint(w.astype(np.float64) * 16)  # RND_CONV (ties to even) onto the 2^-4 grid; range -8 .. 7
    n_bad = int(np.count_nonzero((q > 7) | (q < -8)))
    assert n_bad > 0
    with pytest.warns(SaturationWarning, match=re.escape(f"weights do not fit their configured type (they saturate or "
                                                         f"wrap): d.weight (fixed<4,0,RND_CONV,SAT>): {n_bad} of {w.size} "
                                                         "values")):
        hlsgen.convert_from_keras_model(model2, hls_config=cfg, output_dir=tmp_path / "narrow")


@needs_gxx
def test_trace_keys_of_fused_layers_pair_with_keras(tmp_path):
    keras.utils.set_random_seed(5)
    inp = keras.Input((8, 8, 2), name="img")
    x = keras.layers.Conv2D(4, 3, name="conv")(inp)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.Activation("relu", name="relu")(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = keras.layers.Dense(6, activation="relu", name="fc")(x)
    model = keras.Model(inp, keras.layers.Dense(3, name="logits")(x))
    rng = np.random.default_rng(0)
    bn = model.get_layer("bn")
    bn.set_weights([rng.uniform(0.5, 2, 4), rng.normal(size=4), rng.normal(size=4), rng.uniform(0.3, 2, 4)])
    X = grid(rng, (60, 8, 8, 2), lo=-2, hi=2)
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
    assert hm.fused == {"relu": ["conv", "bn", "relu"], "fc": ["fc", "fc_relu"]}
    _, tr = hm.trace(X)
    assert set(tr) == {"relu", "flat", "fc", "logits"}  # never 'conv' or 'bn' for the fused output
    for name, values in tr.items():
        ref = keras.Model(model.input, model.get_layer(name).output).predict(X, verbose=0)
        assert np.abs(values.reshape(ref.shape) - ref).max() < 0.02, name
    text = hm.summary()
    for name in ("img", "relu", "fc", "logits"):
        assert name in text
    assert "absorbed: conv, bn" in text and "result=" in text and "overflow" not in text
    hm.predict(X)
    assert re.search(r"logits\s+\(3,\).*result=fixed<16,6,RND,SAT>.*\s0\.000%", hm.summary())


@needs_gxx
def test_no_false_alarm_on_the_shared_models(shared, tmp_path):
    """Bench models and the reference tool's zoo at their defaults: no saturation warning,
    except onnx_conv2d_small_mp_keras, whose first convolution truly exceeds fixed<16,6>."""
    pytest.importorskip("tf_keras")
    from hlsgen.converters.keras import load_keras_model

    bench, peer = shared / "bench" / "models", shared / "peer-models"
    cases = [(n, bench / f"{n}.h5", None, bench / ("img_X_test.npy" if n == "cnn_small" else "jet_X_test.npy"))
             for n in ("jet_mlp", "jet_qmlp", "cnn_small")]
    for d in sorted(p for p in peer.iterdir() if p.is_dir()):
        js, ox = sorted(d.glob("*.json")), sorted(d.glob("*.onnx"))
        cases.append((d.name, js[0] if js else ox[0], d / f"{js[0].stem}_weights.h5" if js else None, d / "input.npy"))
    saturating = {}
    for name, path, weights, xpath in cases:
        X = np.load(xpath)
        onnx = path.suffix == ".onnx"
        conv = hlsgen.convert_from_onnx_model if onnx else hlsgen.convert_from_keras_model
        hm = conv(str(path) if onnx else load_keras_model(path, weights), output_dir=tmp_path / name)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always", SaturationWarning)
            hm.predict(X)
        sat = [str(w.message) for w in rec if w.category is SaturationWarning]
        if sat:
            saturating[name] = (sat[0], hm.saturation(X))
    assert set(saturating) == {"onnx_conv2d_small_mp_keras"}, {k: v[0] for k, v in saturating.items()}
    text, exact = saturating["onnx_conv2d_small_mp_keras"]
    assert "'Conv2D_1' (Conv2D, fixed<16,6,RND,SAT>)" in text
    row = exact["Conv2D_1"]
    assert row.overflow_fraction > 1e-3 and row.peak > 32  # truly beyond the type, measured exactly


@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_jettagger_conv2d_small_with_calibration_data(shared, tmp_path, io_type, report):
    pytest.importorskip("tf_keras")
    from hlsgen.converters.keras import load_keras_model

    d = shared / "peer-models" / "keras_jetTagger_Conv2D_Small"
    model = load_keras_model(d / "jetTagger_Conv2D_Small.json", d / "jetTagger_Conv2D_Small_weights.h5")
    X, ref = np.load(d / "input.npy"), np.load(d / "ref_output.npy")
    agree = {}
    for label, calib in (("default", None), ("calibrated", X[:250])):
        hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / label, io_type=io_type,
                                             calibration_data=calib)
        y = hm.predict(X)
        agree[label] = float(np.mean(np.argmax(y, 1) == np.argmax(ref, 1)))
    report(f"jetTagger_Conv2D_Small {io_type}: argmax agreement {agree}")
    assert agree["calibrated"] >= 0.99  # default configuration: 0.986
    assert np.mean(np.argmax(y[250:], 1) == np.argmax(ref[250:], 1)) >= 0.99  # also on the samples not calibrated on
    hm.count_saturation = False
    np.testing.assert_array_equal(hm.predict(X), y)  # counting changes nothing
    if io_type == "io_parallel":
        np.testing.assert_array_equal(y[:40], hm.predict_golden(X[:40]))


# ---------------------------------------------------------------------- pictures
HOSTILE = 'dense "x\\N<b>&'


def _small_hm(tmp_path, name="hidden"):
    keras.utils.set_random_seed(0)
    inp = keras.Input((6,), name="inp")
    x = keras.layers.Dense(5, name=name)(inp)
    x = keras.layers.Activation("relu", name="act")(x)
    model = keras.Model(inp, keras.layers.Dense(3, activation="softmax", name="out")(x))
    return model, hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")


def _svg_texts(path):
    import xml.etree.ElementTree as ET

    root = ET.parse(path).getroot()
    return ["".join(e.itertext()) for e in root.iter() if e.tag.endswith("text")]


@needs_gxx
def test_plot_model_draws_every_layer_with_its_types(tmp_path):
    pytest.importorskip("graphviz")
    if shutil.which("dot") is None:
        pytest.skip("the Graphviz program dot is not installed (apt install graphviz)")
    model, hm = _small_hm(tmp_path, HOSTILE)
    hm.predict(np.random.default_rng(0).normal(0, 1, (20, 6)))
    svg = hm.plot_model(tmp_path / "model.svg")
    texts = _svg_texts(svg)
    assert {"inp", "act", "out", "out_softmax"} <= set(texts)
    assert "absorbed dense 'x/N<b>&" in texts  # the hostile name is label text, escaped for DOT
    assert "result ufixed<16,5,RND,SAT>" in texts and "Dense [5]" in texts
    assert any(t.startswith("overflow 0%") for t in texts)
    dot = hm.plot_model(tmp_path / "model.dot").read_text()
    assert '\\N' not in dot.replace("\\l", "") and 'dense "x' not in dot
    png = hm.plot_model(tmp_path / "model.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match=r"unknown picture format '\.jpg'"):
        hm.plot_model(tmp_path / "model.jpg")


def test_plot_model_names_what_is_missing(tmp_path, monkeypatch):
    from hlsgen.plot import PlotError, _render_graphviz

    monkeypatch.setitem(sys.modules, "graphviz", None)
    monkeypatch.setitem(sys.modules, "pydot", None)
    with pytest.raises(PlotError, match=r"'graphviz' \(or 'pydot'\) Python package: pip install hlsgen\[profiling\]"):
        _render_graphviz("digraph { a }", "svg")
    monkeypatch.delitem(sys.modules, "graphviz")
    pytest.importorskip("graphviz")
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot
    with pytest.raises(PlotError, match=r"Graphviz program 'dot': install the graphviz system package \(apt install "):
        _render_graphviz("digraph { a }", "svg")


@needs_gxx
def test_profiling_figures_have_a_row_per_layer(tmp_path):
    pytest.importorskip("matplotlib")
    from hlsgen import profiling

    model, hm = _small_hm(tmp_path)
    X = np.random.default_rng(1).normal(0, 1, (200, 6))
    figs = profiling.layer_figures(model, hm, X)
    assert set(figs) == {"weights", "activations", "compare"}
    rows = lambda fig: [t.get_text().split("\n")[0] for t in fig.axes[0].get_yticklabels()]  # noqa: E731
    assert rows(figs["weights"]) == ["act.weight", "act.bias", "out.weight", "out.bias"]
    assert rows(figs["activations"]) == ["inp", "act", "out", "out_softmax"]
    # compare: only outputs with a framework counterpart ('out' is the value before the softmax)
    assert [r.split("  max")[0] for r in rows(figs["compare"])] == ["inp", "act", "out_softmax"]
    paths = profiling.write_figures(figs, tmp_path / "figs")
    assert sorted(p.name for p in paths) == sorted(f"{n}.{e}" for n in figs for e in ("png", "svg"))
    assert all(p.stat().st_size > 1000 for p in paths)
    texts = _svg_texts(tmp_path / "figs" / "activations.svg")
    assert {"inp", "act", "out", "out_softmax", "fixed<16,6,RND,SAT>"} <= set(texts)
    # the maximum differences printed in the comparison are the real ones
    _, tr = hm.trace(X)
    act_ref = keras.Model(model.input, model.get_layer("act").output).predict(X, verbose=0)
    assert f"act  max {np.abs(tr['act'] - act_ref).max():.3g}" in rows(figs["compare"])


@needs_gxx
def test_hlsgen_profile_command(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from hlsgen.cli import main

    model, hm = _small_hm(tmp_path)
    hm.write()
    X = np.random.default_rng(2).normal(0, 1, (100, 6))
    np.save(tmp_path / "X.npy", X)
    model.save(tmp_path / "m.keras")
    assert main(["profile", str(hm.output_dir), "--data", str(tmp_path / "X.npy"), "-o", str(tmp_path / "a"),
                 "--model", str(tmp_path / "m.keras")]) == 0
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(
        f"{n}.{e}" for n in ("weights", "activations", "compare") for e in ("png", "svg"))
    assert [t.split("  max")[0] for t in _svg_texts(tmp_path / "a" / "compare.svg") if "  max " in t] == [
        "inp", "act", "out_softmax"]
    assert main(["profile", str(tmp_path / "m.keras"), "--data", str(tmp_path / "X.npy"), "-o", str(tmp_path / "b")]) == 0
    assert {"act.weight", "act.bias", "out.weight", "out.bias"} <= set(_svg_texts(tmp_path / "b" / "weights.svg"))
    assert main(["profile", str(tmp_path / "nothing"), "--data", str(tmp_path / "X.npy"), "-o", str(tmp_path / "c")]) == 2
    assert "is neither a project folder nor a model file" in capsys.readouterr().err


def test_profiling_names_matplotlib_when_missing(monkeypatch):
    from hlsgen import profiling

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"needs matplotlib: pip install hlsgen\[profiling\]"):
        profiling.numerical(None, object(), None)


def test_dot_text_escapes_label_text():
    from hlsgen.escape import dot_text, language_of

    assert dot_text('a"b\\N\nc\u00fc') == "a'b/N?c<U+00FC>"
    assert language_of("plot/model_graph.dot.j2") == "dot"


@needs_gxx
def test_confident_softmax_and_sigmoid_are_no_false_alarm(tmp_path):
    """Outputs near 1.0 in a [0, 1) type (ufixed<16,0>) stay below the type's largest value
    (the tables clamp there), so counting them at the range's end finds nothing."""
    keras.utils.set_random_seed(0)
    inp = keras.Input((4,), name="x")
    logits = keras.layers.Dense(3, name="p")(inp)
    model = keras.Model(inp, [keras.layers.Softmax(name="soft")(logits),
                              keras.layers.Activation("sigmoid", name="sig")(logits)])
    model.get_layer("p").set_weights([np.array([[3.0, -3.0, 0.0]] * 4), np.zeros(3)])
    X = grid(np.random.default_rng(0), (100, 4), lo=1, hi=2)
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
    with warnings.catch_warnings():
        warnings.simplefilter("error", SaturationWarning)
        soft, sig = hm.predict(X)
    assert soft[:, 0].min() > 0.999 and sig[:, 0].min() > 0.999
    for name in ("soft", "sig"):
        row = hm.last_saturation[name]
        assert str(row.type).startswith("ufixed<16,0") and row.overflow == 0, name
        assert hm.saturation(X)[name].overflow == 0, name  # the exact build agrees


def test_predict_counts_on_its_first_samples(tmp_path, monkeypatch):
    """predict counts on the first PREDICT_SAMPLES samples the model simulates (later ones run with
    the counters off): the same outputs, the counts of those samples exactly; hm.saturation counts all."""
    from hlsgen import saturation

    model, cfg = _dense_model("fixed<8,3,TRN,WRAP>", weight_scale=4.0)
    X = grid(np.random.default_rng(5), (300, 12))
    hm = hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=tmp_path / "prj")
    v = _pre_activation(hm, X)
    q = np.floor(v * 32)
    bad = (q > 127) | (q < -128)
    monkeypatch.setattr(saturation, "PREDICT_SAMPLES", 200)
    with pytest.warns(SaturationWarning):
        y = hm.predict(X[:120])
    assert hm.last_saturation.samples == 120
    with pytest.warns(SaturationWarning):
        y2 = hm.predict(X[120:])  # 80 more are counted, then the counters are off
    row = hm.last_saturation["d"]
    assert hm.last_saturation.samples == 80
    assert (row.overflow, row.values) == (int(bad[120:200].sum()), v[120:200].size)
    table = hm.last_saturation
    y3 = hm.predict(X)  # the budget is spent: no counting, no new table
    assert hm.last_saturation is table
    np.testing.assert_array_equal(y3, np.concatenate([y, y2]))
    hm.count_saturation = False
    np.testing.assert_array_equal(hm.predict(X), y3)
    assert hm.saturation(X)["d"].overflow == int(bad.sum())
