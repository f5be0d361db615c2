"""The core flow on fully connected Keras models: convert, write, compile, predict, trace."""
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

import hlsgen
from hlsgen.cli import run_testbench
from hlsgen.converters.keras import keras_flavour, parse_keras_model

from conftest import grid, needs_gxx

keras = pytest.importorskip("keras")


def mlp(K, names=("input", "dense_1", "dense_2", "out"), act="relu", bn=False, seed=0):
    K.utils.set_random_seed(seed)
    inp = K.Input((16,), name=names[0])
    x = K.layers.Dense(32, activation=None if bn else act, name=names[1])(inp)
    if bn:  # Dense -> BatchNormalization -> activation: the foldable order
        x = K.layers.BatchNormalization(name="bn")(x)
        x = K.layers.Activation(act, name=names[1] + "_relu")(x)
    x = K.layers.Dense(16, name=names[2])(x)
    x = K.layers.Activation(act, name=names[2] + "_act")(x)
    out = K.layers.Dense(5, name=names[3])(x)
    model = K.Model(inp, out)
    if bn:  # non-trivial statistics
        w = model.get_layer("bn").get_weights()
        rng = np.random.default_rng(seed)
        model.get_layer("bn").set_weights([rng.uniform(0.5, 2, 32), rng.normal(size=32),
                                           rng.normal(size=32), rng.uniform(0.2, 3, 32)][: len(w)])
    return model


@pytest.fixture(scope="module")
def X():
    return grid(np.random.default_rng(1), (500, 16))


@needs_gxx
@pytest.mark.parametrize("flavour", ["keras3", "tf_keras"])
def test_mlp_bit_exact_with_golden_and_close_to_keras(flavour, X, tmp_path):
    K = keras if flavour == "keras3" else pytest.importorskip("tf_keras")
    model = mlp(K)
    assert keras_flavour(model) == flavour
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
    y = hm.predict(X)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    yk = model.predict(X, verbose=0)
    assert np.abs(y - yk).max() < 0.02
    kinds = [lay.kind for lay in hm.graph.layers]
    assert kinds == ["Dense", "Dense", "Dense"], "relu activations are fused into the Dense layers"


@needs_gxx
def test_sequential_and_files(X, tmp_path):
    model = keras.Sequential([keras.Input((16,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dropout(0.5), keras.layers.Dense(3)])
    ref = None
    for ext in (".keras", ".h5"):
        path = str(tmp_path / f"m{ext}")
        model.save(path)
        hm = hlsgen.convert_from_keras_model(path, output_dir=tmp_path / f"prj{ext[1:]}")
        y = hm.predict(X)
        np.testing.assert_array_equal(y, hm.predict_golden(X))
        assert np.abs(y - model.predict(X, verbose=0)).max() < 0.02
        ref = y if ref is None else ref
        np.testing.assert_array_equal(y, ref)  # same model from either file format


@needs_gxx
def test_batchnorm_folded_without_loss(X, tmp_path):
    model = mlp(keras, bn=True)
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
    assert "BatchNormalization" not in [lay.kind for lay in hm.graph.layers]
    y = hm.predict(X)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    assert np.abs(y - model.predict(X, verbose=0)).max() < 0.05


@needs_gxx
def test_fusion_and_strategies_change_no_result(X, tmp_path):
    model = mlp(keras, seed=3)
    base = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "a").predict(X)
    cfg = hlsgen.config_from_keras_model(model, granularity="name")
    cfg["LayerName"]["dense_1"]["Trace"] = True  # keeps dense_1 and its relu apart
    cfg["LayerName"]["dense_2"].update(Strategy="Resource", ReuseFactor=4)
    cfg["LayerName"]["out"].update(Strategy="Resource", ReuseFactor=3)
    hm = hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=tmp_path / "b")
    assert [lay.kind for lay in hm.graph.layers].count("Activation") == 1
    np.testing.assert_array_equal(hm.predict(X), base)


@needs_gxx
def test_io_stream_equals_io_parallel(X, tmp_path):
    model = mlp(keras, bn=True)
    yp, tp = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "p").trace(X[:50])
    hs = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "s", io_type="io_stream")
    ys, ts = hs.trace(X[:50])
    np.testing.assert_array_equal(ys, yp)
    assert set(ts) == set(tp)
    for name in tp:
        np.testing.assert_array_equal(ts[name], tp[name])
    assert "#pragma HLS DATAFLOW" in (tmp_path / "s" / "firmware" / "myproject.cpp").read_text()
    assert "0 mismatches" in run_testbench(hs.output_dir, hs.project_name)


@needs_gxx
def test_trace_gives_every_layer(X, tmp_path):
    model = mlp(keras)
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
    y, layers = hm.trace(X[:20])
    # dense_1's split-off relu and dense_2's ReLU layer were fused: a fused output answers only to
    # the model layer whose output it is (Keras' dense_1 includes its relu; Keras' dense_2 is the
    # value before dense_2_act, which no hlsgen layer gives any more)
    assert set(layers) == {"dense_1", "dense_2_act", "out"}
    assert hm.fused == {"dense_1": ["dense_1", "dense_1_relu"], "dense_2_act": ["dense_2", "dense_2_act"]}
    np.testing.assert_array_equal(layers["out"], y)
    for name in layers:  # every key pairs with the Keras layer of that name
        ref = keras.Model(model.input, model.get_layer(name).output).predict(X[:20], verbose=0)
        assert np.abs(layers[name] - ref).max() < 0.01, name


@needs_gxx
def test_custom_precision_is_used_exactly(X, tmp_path):
    model = mlp(keras, act="linear")
    cfg = hlsgen.config_from_keras_model(model, granularity="name")
    cfg["LayerName"]["input"]["Precision"]["result"] = "fixed<10,4,RND,SAT>"
    cfg["LayerName"]["dense_1"]["Precision"] = {"weight": "fixed<6,1,RND_CONV,SAT>", "accum": "fixed<14,6>",
                                                "result": "fixed<9,5,TRN,WRAP>"}
    hm = hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=tmp_path / "prj")
    d1 = hm.graph.layers[0]
    assert str(d1.types["weight"]) == "fixed<6,1,RND_CONV,SAT>" and str(d1.types["accum"]) == "fixed<14,6>"
    y = hm.predict(X)
    np.testing.assert_array_equal(y, hm.predict_golden(X))  # narrow, rounding accumulator
    with open(tmp_path / "prj" / "firmware" / "defines.h") as f:
        assert "ap_fixed<14,6> accum2_t;" in f.read()  # layer 2: the input is number 1


@needs_gxx
def test_hostile_names_become_safe_identifiers(X, tmp_path):
    names = ("input", "..\\..\\evil out", 'class"', "dense-ü")
    model = mlp(keras, names=names)
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
    y, layers = hm.trace(X[:10])
    assert set(layers) == {names[1], names[2] + "_act", names[3]}  # names[2] fused into its activation
    assert hm.fused[names[2] + "_act"] == [names[2], names[2] + "_act"]
    np.testing.assert_array_equal(y, hm.predict_golden(X[:10]))
    for lay in hm.graph.layers:
        assert lay.name.isidentifier() and lay.name.isascii()
    written = {p.resolve() for p in (tmp_path).rglob("*")}
    assert all(str(p).startswith(str(tmp_path / "prj")) for p in written if p != tmp_path / "prj")


@needs_gxx
def test_testbench_compiles_with_gxx_alone_and_passes(X, tmp_path):
    model = mlp(keras)
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj", input_data_tb=X[:50],
                                         output_data_tb=model.predict(X[:50], verbose=0))
    hm.write()
    report = run_testbench(hm.output_dir, hm.project_name)
    assert "50 samples, 0 mismatches" in report
    # the testbench really compares: corrupt one expected value and it must fail
    exp = hm.output_dir / "tb_data" / "tb_expected_csim.dat"
    rows = exp.read_text().splitlines()
    rows[3] = " ".join(["12.5"] + rows[3].split()[1:])
    exp.write_text("\n".join(rows) + "\n")
    with pytest.raises(RuntimeError, match="1 mismatches"):
        run_testbench(hm.output_dir, hm.project_name)


@needs_gxx
def test_compile_cache_and_runtime_weights(X, tmp_path, monkeypatch):
    model = mlp(keras, seed=5)
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "a")
    lib = hm.compile()
    y1 = hm.predict(X)
    # same network shape, other weights: same sources, so no g++ needed (CXX fails if called)
    other = mlp(keras, seed=6)
    cfg = hlsgen.config_from_keras_model(other)
    hm2 = hlsgen.convert_from_keras_model(other, hls_config=cfg, output_dir=tmp_path / "b")
    hm2.write()
    for a, b in zip(hm.graph.layers, hm2.graph.layers):
        b.types = dict(a.types)  # force identical types so only the weight values differ
    hm2.write()
    assert hm2.compile() == lib  # a cache hit: g++ did not run for this project
    assert not (hm2.output_dir / "build" / "csim_compile.log").exists()
    y2 = hm2.predict(X)
    assert not np.array_equal(y1, y2)
    np.testing.assert_array_equal(y2, hm2.predict_golden(X))
    # both simulations stay alive with their own weights, though they share one cached library
    np.testing.assert_array_equal(hm.predict(X), y1)


def test_unsupported_layer_is_named_before_writing(tmp_path):
    # (LSTM is supported; the generic RNN wrapper of a cell is not)
    model = keras.Sequential([keras.Input((4, 3)), keras.layers.RNN(keras.layers.LSTMCell(2), name="myrnn")])
    with pytest.raises(ValueError, match=r"layer 'myrnn' of type RNN is not supported; supported layer types: .*Dense"):
        hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
    assert not (tmp_path / "prj").exists()


def test_config_errors_name_the_problem(tmp_path):
    model = mlp(keras)
    bad = [
        ({"Model": {"Precison": "fixed<8,3>"}}, r"unknown key 'Precison' in Model; valid keys: Precision"),
        ({"LayerName": {"dense_9": {}}}, r"unknown layer name 'dense_9' in LayerName; the model's layers: input, dense_1"),
        ({"LayerName": {"dense_1": {"Precision": {"wieght": "auto"}}}}, r"unknown precision key 'wieght'.*valid keys: result, weight, bias, accum"),
        ({"LayerName": {"dense_1": {"Precision": "fixd<8,3>"}}}, r"LayerName.dense_1.Precision: invalid precision 'fixd<8,3>'"),
        ({"LayerType": {"Conv9D": {}}}, r"unknown layer type 'Conv9D' in LayerType; valid types: .*Dense"),
        ({"Model": {"Strategy": "Fast"}}, r"Strategy is 'Fast'; valid: Latency, Resource"),
        ({"Model": {"ReuseFactor": 0}}, r"ReuseFactor must be a positive integer"),
        ({"Bogus": {}}, r"unknown key 'Bogus' in the configuration"),
    ]
    for cfg, msg in bad:
        with pytest.raises(hlsgen.ConfigError, match=msg):
            hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=tmp_path / "prj")
    with pytest.raises(ValueError, match="project_name"):
        hlsgen.convert_from_keras_model(model, project_name="my project", output_dir=tmp_path / "prj")
    with pytest.raises(ValueError, match="io_type 'io_magic'"):
        hlsgen.convert_from_keras_model(model, io_type="io_magic", output_dir=tmp_path / "prj")
    assert not (tmp_path / "prj").exists()


def test_config_granularity_and_yaml_round_trip():
    model = mlp(keras, bn=True)
    for gran in ("model", "type", "name"):
        cfg = hlsgen.config_from_keras_model(model, granularity=gran, default_precision="fixed<18,8>")
        assert cfg["Model"]["Precision"] == "fixed<18,8>"
        assert hlsgen.from_yaml(hlsgen.to_yaml(cfg)) == cfg
    cfg = hlsgen.config_from_keras_model(model, granularity="name")
    assert set(cfg["LayerName"]) == {"input", "dense_1", "bn", "dense_2", "dense_2_act", "out", "dense_1_relu"}
    assert cfg["LayerName"]["dense_1"]["Precision"] == {"result": "auto", "weight": "auto", "bias": "auto",
                                                        "accum": "auto"}
    with pytest.raises(hlsgen.ConfigError, match="granularity 'layer'"):
        hlsgen.config_from_keras_model(model, granularity="layer")


@needs_gxx
def test_failed_write_keeps_old_project_and_leaves_nothing(tmp_path, monkeypatch):
    model = mlp(keras)
    out = tmp_path / "prj"
    hm = hlsgen.convert_from_keras_model(model, output_dir=out)
    hm.write()
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    from hlsgen import writer

    real = writer.shutil.copyfile

    def failing(src, dst):
        if "nnet_dense" in str(src):
            raise OSError("disk full")
        return real(src, dst)

    monkeypatch.setattr(writer.shutil, "copyfile", failing)
    with pytest.raises(OSError, match="disk full"):
        hm.write()
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert [p.name for p in tmp_path.iterdir()] == ["prj"]


def test_unwritable_output_dir(tmp_path):
    if os.geteuid() == 0:
        target = "/proc/hlsgen_prj"  # not writable even for root
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        target = ro / "prj"
    hm = hlsgen.convert_from_keras_model(mlp(keras), output_dir=target)
    with pytest.raises(OSError, match="not writable|cannot write"):
        hm.write()


@needs_gxx
def test_compiler_errors_are_surfaced(tmp_path, monkeypatch):
    hm = hlsgen.convert_from_keras_model(mlp(keras, seed=9), output_dir=tmp_path / "prj",
                                         hls_config={"Model": {"Precision": "fixed<17,7,RND,SAT>"}})
    hm.write()
    monkeypatch.setenv("CXX", "hlsgen-no-such-compiler")
    with pytest.raises(hlsgen.CompileError, match="not found on PATH"):
        hm.compile()
    (tmp_path / "prj" / "firmware" / "nnet_utils" / "nnet_dense.h").write_text("#error broken on purpose\n")
    monkeypatch.setenv("CXX", "g++")
    hm._written = True
    with pytest.raises(hlsgen.CompileError, match=r"(?s)g\+\+ failed.*full log: .*csim_compile.log.*broken on purpose"):
        hm.compile()


def test_parse_keeps_tensor_topology():
    inp = keras.Input((8,), name="x")
    a = keras.layers.Dense(4, name="a")(inp)
    b = keras.layers.Dense(3, name="b")(a)
    g = parse_keras_model(keras.Model(inp, b))
    assert [lay.source_name for lay in g.layers] == ["a", "b"]
    assert g.layers[1].inputs == g.layers[0].outputs
    assert g.outputs == g.layers[1].outputs


@needs_gxx
def test_cli_convert_and_predict(tmp_path, X):
    model = mlp(keras)
    path = tmp_path / "m.keras"
    model.save(path)
    np.save(tmp_path / "X.npy", X[:30])
    env = dict(os.environ)
    r = subprocess.run(["python", "-m", "hlsgen", "convert", str(path), "-o", str(tmp_path / "prj"),
                        "--precision", "fixed<18,8,RND,SAT>"], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(["python", "-m", "hlsgen", "predict", str(tmp_path / "prj"), str(tmp_path / "X.npy"),
                        "-o", str(tmp_path / "y.npy")], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "p2",
                                         hls_config={"Model": {"Precision": "fixed<18,8,RND,SAT>"}})
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), hm.predict(X[:30]))
    r = subprocess.run(["python", "-m", "hlsgen", "convert", str(tmp_path / "nope.h5")], capture_output=True,
                       text=True, env=env)
    assert r.returncode == 2 and "does not exist" in r.stderr
    r = subprocess.run(["python", "-m", "hlsgen", "convert", str(path), "-o", str(tmp_path / "acc"), "--board",
                        "ultra96v2", "--interface", "axi_master", "--io-type", "io_stream"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    import json

    desc = json.loads((tmp_path / "acc" / "registers.json").read_text())
    assert (desc["board"], desc["interface"]) == ("ultra96v2", "axi_master")
    r = subprocess.run(["python", "-m", "hlsgen", "convert", str(path), "-o", str(tmp_path / "bad"), "--board",
                        "pynq-z9"], capture_output=True, text=True, env=env)
    assert r.returncode == 2 and "unknown board 'pynq-z9'" in r.stderr and not (tmp_path / "bad").exists()


@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_outputs_that_are_also_read_or_are_inputs(io_type, tmp_path):
    """A model output that another layer also reads, and an input that is itself an output."""
    X = grid(np.random.default_rng(3), (30, 4))
    inp = keras.Input((4,))
    a = keras.layers.Dense(3)(inp)
    b = keras.layers.Dense(2)(a)
    for name, model in (("branch", keras.Model(inp, [a, b])), ("passthrough", keras.Model(inp, [b, inp]))):
        hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / name, io_type=io_type)
        ys = hm.predict(X)
        for y, g, k in zip(ys, hm.predict_golden(X), model.predict(X, verbose=0)):
            np.testing.assert_array_equal(y, g)
            assert np.abs(y - k).max() < 0.01


def test_write_keeps_the_files_of_a_folder_that_is_not_a_project(tmp_path, monkeypatch):
    user = tmp_path / "mywork"
    user.mkdir()
    (user / "notes.txt").write_text("precious")
    (user / "data").mkdir()
    (user / "data" / "X.npy").write_bytes(b"123")
    hm = hlsgen.convert_from_keras_model(mlp(keras), output_dir=user)
    hm.write()
    assert (user / "notes.txt").read_text() == "precious" and (user / "data" / "X.npy").read_bytes() == b"123"
    assert (user / "hlsgen_meta.json").is_file()
    assert json.loads((user / "hlsgen_kept.json").read_text()) == ["data", "notes.txt"]
    (user / "firmware" / "stale.txt").write_text("the project's own: replaced")
    hm.write()  # a project now: its own entries are replaced, the kept ones kept again
    assert not (user / "firmware" / "stale.txt").exists() and (user / "notes.txt").read_text() == "precious"
    # a failure as the new project is swapped in puts every entry back where it was
    real = os.rename

    def failing(a, b):
        if Path(b) == user and ".tmp-" in Path(a).name:
            raise OSError("disk full")
        return real(a, b)

    monkeypatch.setattr(os, "rename", failing)
    with pytest.raises(OSError, match="disk full"):
        hm.write()
    monkeypatch.undo()
    assert (user / "notes.txt").read_text() == "precious" and (user / "data" / "X.npy").read_bytes() == b"123"
    assert (user / "hlsgen_meta.json").is_file() and (user / "firmware").is_dir()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    # an entry whose name the project needs is refused before anything is written
    other = tmp_path / "other"
    other.mkdir()
    (other / "firmware").write_text("mine")
    with pytest.raises(OSError, match=r"holds 'firmware', which the project would overwrite"):
        hlsgen.convert_from_keras_model(mlp(keras), output_dir=other).write()
    assert [p.name for p in other.iterdir()] == ["firmware"] and (other / "firmware").read_text() == "mine"
    out = hlsgen.convert_from_keras_model(mlp(keras), output_dir=tmp_path / "prj").write()
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask  # like any new folder, not mkdtemp's private 0700


@needs_gxx
@pytest.mark.parametrize("precision", ["fixed<16,6,RND,SAT>", "fixed<16,6>"])
def test_calibration_covers_values_beyond_the_default_range(precision, tmp_path):
    keras.utils.set_random_seed(0)
    big = keras.initializers.RandomUniform(5, 12)  # hidden values near 100: beyond fixed<16,6>
    model = keras.Sequential([keras.Input((8,), name="x"), keras.layers.Dense(16, activation="relu", kernel_initializer=big),
                              keras.layers.Dense(3)])
    X = grid(np.random.default_rng(0), (200, 8), lo=0, hi=1)
    yk = model.predict(X, verbose=0)
    cfg = {"Model": {"Precision": precision}}
    plain = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "a", hls_config=cfg)
    calib = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "b", hls_config=cfg, calibration_data=X)
    rel = lambda y: np.abs(y - yk).max() / np.abs(yk).max()  # noqa: E731
    assert rel(plain.predict(X)) > 0.1  # saturated or wrapped
    y = calib.predict(X)
    assert rel(y) < 1e-3
    np.testing.assert_array_equal(y, calib.predict_golden(X))


@needs_gxx
def test_no_bias_keeps_the_accumulator_narrow(tmp_path):
    X = grid(np.random.default_rng(1), (40, 16))
    model = keras.Sequential([keras.Input((16,), name="x"), keras.layers.Dense(4, use_bias=False, name="d")])
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
    t = hm.graph.layers[0].types
    assert t["accum"].fractional == t["weight"].fractional + 10 and t["accum"].width <= 40
    np.testing.assert_array_equal(hm.predict(X), hm.predict_golden(X))


@needs_gxx
def test_inputs_are_checked_and_configs_load_from_yaml(tmp_path, X):
    model = mlp(keras)
    cfg = hlsgen.config_from_keras_model(model, granularity="name")
    cfg["LayerName"]["dense_1"]["Precision"]["result"] = "fixed<18,8,RND,SAT>"
    path = tmp_path / "cfg.yml"
    path.write_text(hlsgen.to_yaml(cfg))
    hm = hlsgen.convert_from_keras_model(model, hls_config=str(path), output_dir=tmp_path / "prj")
    assert str(hm.graph.layers[0].types["result"]) == "fixed<18,8,RND,SAT>"
    with pytest.raises(ValueError, match=r"expects shape \(N, 16\), got \(5, 4, 4\)"):
        hm.predict(X[:5].reshape(5, 4, 4))
    with pytest.raises(ValueError, match="no samples"):
        hm.predict(X[:0])
    # one sample without the batch axis: its output without it (as hls4ml's predict)
    np.testing.assert_array_equal(hm.predict(X[0]), hm.predict(X[:1])[0])
    assert hm.predict(X[0]).shape == hm.predict(X[:1]).shape[1:]
    np.testing.assert_array_equal(hm.predict_golden(X[0]), hm.predict_golden(X[:1])[0])
    for bad in ("w1", "layer3_out", "defines", "class", "accum2_t"):
        with pytest.raises(ValueError, match=f"project_name '{bad}' is a C\\+\\+ keyword or a name the generated"):
            hlsgen.convert_from_keras_model(model, project_name=bad, output_dir=tmp_path / "x")
    with pytest.raises(ValueError, match="WRAP_SM is not supported"):
        hlsgen.parse_type("fixed<8,3,RND,WRAP_SM>")


@needs_gxx
def test_testbench_with_several_outputs_and_references(tmp_path):
    X = grid(np.random.default_rng(3), (30, 4))
    inp = keras.Input((4,))
    a = keras.layers.Dense(3)(inp)
    model = keras.Model(inp, [a, keras.layers.Dense(2)(a)])
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj", input_data_tb=X,
                                         output_data_tb=model.predict(X, verbose=0))
    hm.write()
    report = run_testbench(hm.output_dir, hm.project_name)
    assert "30 samples, 0 mismatches" in report and "largest difference" in report
