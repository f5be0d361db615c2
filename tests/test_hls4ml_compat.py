"""hls4ml users change one import: module paths, arguments, backends and configuration keys
as hls4ml documents them, each implemented or refused with the reason."""
import subprocess
import sys
import tarfile

import numpy as np
import pytest

import hlsgen
from hlsgen.fixed import parse_type

from conftest import REPO, needs_gxx

keras = pytest.importorskip("keras")


def dense_softmax(seed=0, n_in=6, n_out=5):
    keras.utils.set_random_seed(seed)
    inp = keras.Input((n_in,), name="x")
    d = keras.layers.Dense(n_out, name="dense")(inp)
    out = keras.layers.Activation("softmax", name="softmax")(d)
    return keras.Model(inp, out)


def on_grid(rng, shape, frac=6, lo=-4, hi=4):
    return np.round(rng.uniform(lo, hi, size=shape) * 2**frac) / 2**frac


# ---------------------------------------------------------------------- module paths
def test_hls4ml_module_paths_after_a_plain_import():
    code = ("import hlsgen, hlsgen.convert as c, hlsgen.profiling as p\n"
            "import hlsgen.model.profiling as mp\n"
            "from hlsgen.utils.config import config_from_keras_model as k\n"
            "assert hlsgen.utils.config_from_keras_model is c.config_from_keras_model is k\n"
            "assert hlsgen.utils.config_from_onnx_model is c.config_from_onnx_model\n"
            "assert hlsgen.utils.config_from_pytorch_model is c.config_from_pytorch_model\n"
            "for f in ('keras', 'onnx', 'pytorch'):\n"
            "    n = f'convert_from_{f}_model'\n"
            "    assert getattr(hlsgen.converters, n) is getattr(c, n)\n"
            "assert callable(hlsgen.converters.onnx.to_hls_layout)\n"
            "assert mp is p and hlsgen.model.profiling is p\n"
            "assert callable(hlsgen.report.read_vivado_report)\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": ""})


def test_config_from_keras_model_takes_hls4mls_arguments():
    m = dense_softmax()
    cfg = hlsgen.utils.config_from_keras_model(m, granularity="name", backend="Vitis",
                                               default_precision="fixed<18,8>", default_reuse_factor=4)
    assert cfg["Model"]["Precision"] == "fixed<18,8>" and cfg["Model"]["ReuseFactor"] == 4
    with pytest.raises(ValueError, match="unknown backend 'Quartus'; valid backends: Vivado, Vitis"):
        hlsgen.utils.config_from_keras_model(m, backend="Quartus")
    with pytest.raises(hlsgen.ConfigError, match="max_precision.*not supported"):
        hlsgen.utils.config_from_keras_model(m, max_precision="fixed<32,16>")


# ---------------------------------------------------------------------- writer options
@needs_gxx
def test_clock_uncertainty_and_write_tar(tmp_path):
    out = tmp_path / "prj"
    hm = hlsgen.converters.convert_from_keras_model(dense_softmax(), output_dir=str(out), backend="Vitis",
                                                    clock_uncertainty="15%", write_tar=True)
    hm.write()
    tcl = (out / "build_prj.tcl").read_text()
    assert "15%" in tcl and "tool vitis_hls" in tcl
    assert "clock_uncertainty=15%" in (out / "hls_config.cfg").read_text()
    with tarfile.open(str(out) + ".tar.gz") as tf:
        names = tf.getnames()
    assert "prj/firmware/myproject.cpp" in names and "prj/build_prj.tcl" in names
    hm = hlsgen.convert_from_keras_model(dense_softmax(), output_dir=str(tmp_path / "p2"), clock_uncertainty=1.25)
    assert hm.options.clock_uncertainty == "1.25" and hm.options.hls_tool == "auto" and not hm.options.write_tar


@pytest.mark.parametrize("kwargs, msg", [
    (dict(clock_uncertainty="lots"), r"clock_uncertainty 'lots': expected a percentage"),
    (dict(clock_uncertainty="120%"), r"percentage must be in \[0, 100\)"),
    (dict(write_weights_txt="no"), r"write_weights_txt must be True or False"),
    (dict(namespace="2ns"), r"namespace '2ns' must be a C\+\+ identifier"),
    (dict(namespace="nnet"), r"namespace 'nnet' is a C\+\+ keyword or a name the generated code uses"),
    (dict(namespace="class"), r"namespace 'class' is a C\+\+ keyword"),
    (dict(tb_output_stream="file"), r"tb_output_stream='file' is not supported"),
    (dict(write_emulation_constants=1), r"write_emulation_constants must be True or False"),
    (dict(write_tar="yes"), r"write_tar must be True or False"),
])
def test_writer_options_refused_with_the_reason(tmp_path, kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        hlsgen.convert_from_keras_model(dense_softmax(), output_dir=str(tmp_path / "prj"), **kwargs)
    assert not (tmp_path / "prj").exists()


EMULATOR_MAIN = r"""
#include <cstdio>
#include "firmware/myproject.h"
int main() {
    double x[N_INPUT0];
    for (int k = 0; k < N_INPUT0; k++) if (std::scanf("%lf", &x[k]) != 1) return 1;
    test_namespace::inputs_t in;
    test_namespace::outputs_t out;
#ifdef STREAM
    test_namespace::input0_arr_t px;
    for (int k = 0; k < N_INPUT0; k++) px[k] = x[k];
    std::get<0>(in).write(px);
    test_namespace::myproject_emulator(in, out);
    auto py = std::get<0>(out).read();
    for (int k = 0; k < N_OUTPUT0; k++) std::printf("%.17g\n", py[k].to_double());
#else
    for (int k = 0; k < N_INPUT0; k++) std::get<0>(in)[k] = x[k];
    test_namespace::myproject_emulator(in, out);
    for (int k = 0; k < N_OUTPUT0; k++) std::printf("%.17g\n", std::get<0>(out)[k].to_double());
#endif
    return 0;
}
"""


@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_namespace_weights_in_headers_and_emulator(io_type, tmp_path):
    """namespace, write_weights_txt=False and write_emulation_constants=True: the same numbers from
    the C simulation, the testbench (weights from the headers) and the emulator entry point."""
    from hlsgen.cli import run_testbench
    from hlsgen.csim import compiler, include_dirs

    m = dense_softmax(n_in=15, n_out=10)
    X = on_grid(np.random.default_rng(1), (20, 15))
    ref = hlsgen.convert_from_keras_model(m, output_dir=str(tmp_path / "ref"), io_type=io_type, backend="Vitis")
    ref.compile()
    out = tmp_path / "ns"
    hm = hlsgen.convert_from_keras_model(m, output_dir=str(out), io_type=io_type, backend="Vitis",
                                         namespace="test_namespace", write_weights_txt=False,
                                         write_emulation_constants=True, input_data_tb=X)
    hm.compile()
    y = hm.predict(X)
    np.testing.assert_array_equal(y, ref.predict(X))
    names = sorted(p.name for p in (out / "firmware" / "weights").iterdir())
    assert {"w2.h", "b2.h"} <= set(names) and not [n for n in names if n.endswith(".txt")]
    assert {"w2.txt", "b2.txt"} <= {p.name for p in (tmp_path / "ref" / "firmware" / "weights").iterdir()}
    assert "namespace test_namespace {" in (out / "firmware" / "parameters.h").read_text()
    assert "set_top test_namespace::myproject" in (out / "build_prj.tcl").read_text()
    assert "syn.top=test_namespace::myproject" in (out / "hls_config.cfg").read_text()
    assert "0 mismatches" in run_testbench(out, "myproject")
    (out / "emulate.cpp").write_text(EMULATOR_MAIN)
    exe = out / "emulate"
    subprocess.run([compiler(), "-O1", "-std=c++14", *(["-DSTREAM"] if io_type == "io_stream" else []),
                    *[f"-I{d}" for d in include_dirs(out)], "emulate.cpp", "firmware/myproject.cpp", "-o", str(exe)],
                   cwd=out, check=True, capture_output=True)
    run = subprocess.run([str(exe)], input=" ".join(repr(float(v)) for v in X[3]), capture_output=True, text=True,
                         check=True)
    np.testing.assert_array_equal(np.array(run.stdout.split(), dtype=np.float64), y[3])


@needs_gxx
def test_namespace_and_weights_in_headers_on_the_accelerator(tmp_path):
    """The accelerator top reaches a namespaced network; its device simulation reads the weights
    from the headers (a size mismatch or a missing line fails to load)."""
    from hlsgen.simulation.device import Device

    m = dense_softmax(n_in=8, n_out=3)
    X = on_grid(np.random.default_rng(2), (10, 8))
    ys = []
    for k, kw in enumerate([{}, dict(namespace="nsx", write_weights_txt=False)]):
        hm = hlsgen.convert_from_keras_model(m, output_dir=str(tmp_path / f"a{k}"), backend="VivadoAccelerator",
                                             board="pynq-z2", interface="axi_stream", weights="reprogrammable", **kw)
        hm.compile()
        ys.append(hm.predict(X))
        assert Device(hm.output_dir).n_weights == 8 * 3 + 3
    np.testing.assert_array_equal(ys[0], ys[1])
    assert "using namespace nsx;" in (tmp_path / "a1" / "firmware" / "myproject_axi.h").read_text()


def test_unknown_option_lists_the_valid_ones(tmp_path):
    with pytest.raises(TypeError, match=r"unknown option\(s\) clock_skew for convert_from_keras_model; valid: "
                                        r".*clock_uncertainty.*write_tar"):
        hlsgen.convert_from_keras_model(dense_softmax(), output_dir=str(tmp_path / "p"), clock_skew=1)
    hm = hlsgen.convert_from_keras_model(dense_softmax(), output_dir=str(tmp_path / "p"), write_weights_txt=True,
                                         namespace=None)
    assert hm.options.backend == "Vivado"


def test_keras_input_shape_is_checked_against_the_model(tmp_path):
    """hls4ml's Keras converter takes input_shape; the model's own shape is what counts."""
    model = dense_softmax(n_in=6)
    for shape in ((None, 6), (6,), [(None, 6)]):
        hm = hlsgen.convert_from_keras_model(model, output_dir=str(tmp_path / "p"), input_shape=shape)
        assert hm.graph.tensors[hm.graph.inputs[0].tensor].shape == (6,)
    with pytest.raises(ValueError, match=r"input_shape \(None, 7\) does not match the Keras model's input shape \(6,\)"):
        hlsgen.convert_from_keras_model(model, output_dir=str(tmp_path / "p"), input_shape=(None, 7))
    with pytest.raises(ValueError, match=r"input_shape gives 2 shape\(s\); the model has 1 input"):
        hlsgen.convert_from_keras_model(model, output_dir=str(tmp_path / "p"), input_shape=[(6,), (6,)])


def test_model_config_reads_as_hls4mls(tmp_path):
    """model.config stays the configuration dict and answers hls4ml's accessors."""
    import copy

    model = dense_softmax()
    cfg = hlsgen.config_from_keras_model(model)
    hm = hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=str(tmp_path / "v"), backend="Vivado",
                                         clock_period=8)
    c = hm.config
    assert c["Model"]["ReuseFactor"] == 1 and isinstance(c, dict)
    assert c.get_config_value("Part") == hm.options.part
    assert c.get_config_value("ClockPeriod") == 8
    assert c.get_config_value("ClockUncertainty") == "12.5%"  # Vivado HLS's own default
    assert c.get_config_value("IOType") == "io_parallel"
    assert c.get_config_value("NoSuchKey", "d") == "d"
    assert c.get_output_dir() == str(tmp_path / "v") and c.get_project_name() == "myproject"
    assert c.pipeline_style == "pipeline"
    assert copy.deepcopy(c).get_config_value("ClockPeriod") == 8
    assert "ReuseFactor" in hlsgen.config.to_yaml(c)
    import yaml

    assert type(hm.resolved_config()) is dict and "LayerName" in yaml.safe_load(yaml.safe_dump(hm.resolved_config()))
    hv = hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=str(tmp_path / "t"), backend="Vitis",
                                         io_type="io_stream", clock_uncertainty="1.5")
    assert hv.config.get_config_value("ClockUncertainty") == "1.5"
    assert hv.config.pipeline_style == "dataflow"
    hv2 = hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=str(tmp_path / "u"), backend="Vitis")
    assert hv2.config.get_config_value("ClockUncertainty") == "27%"  # Vitis HLS's default


# ---------------------------------------------------------------------- backends
def test_backend_names(tmp_path):
    names = hlsgen.backends.backend_names()
    assert {"Vivado", "Vitis", "VivadoAccelerator", "VitisAccelerator"} <= set(names)
    hm = hlsgen.convert_from_keras_model(dense_softmax(), output_dir=str(tmp_path / "a"), backend="vitisaccelerator",
                                         board="pynq-z2", interface="axi_stream")
    assert hm.options.backend == "VitisAccelerator" and hm.options.hls_tool == "vitis_hls"
    assert hm.options.board.name == "pynq-z2"
    files = dict(hm.files())
    assert "tool vitis_hls" in files["build_prj.tcl"] and "design.tcl" in files
    with pytest.raises(ValueError, match="unknown backend 'Catapult'; valid backends: Vivado, Vitis, "
                                         "VivadoAccelerator, VitisAccelerator"):
        hlsgen.convert_from_keras_model(dense_softmax(), output_dir=str(tmp_path / "b"), backend="Catapult")
    with pytest.raises(ValueError, match="interface: accelerator options need backend='VivadoAccelerator'"):
        hlsgen.convert_from_keras_model(dense_softmax(), output_dir=str(tmp_path / "b"), backend="Vitis",
                                        interface="axi_stream")


# ---------------------------------------------------------------------- configuration keys
@needs_gxx
def test_softmax_strategies(tmp_path):
    m = dense_softmax()
    X = on_grid(np.random.default_rng(1), (300, 6))
    base = hlsgen.utils.config_from_keras_model(m, granularity="name")
    runs = {}
    for strategy in ("stable", "latency", "argmax", "skip", None):
        cfg = hlsgen.from_yaml(hlsgen.to_yaml(base))
        if strategy:
            cfg["LayerName"]["softmax"]["Strategy"] = strategy
        hm = hlsgen.convert_from_keras_model(m, hls_config=cfg, output_dir=str(tmp_path / str(strategy)))
        runs[strategy] = (hm, hm.predict(X))
    # stable and latency are hlsgen's one range-robust softmax
    np.testing.assert_array_equal(runs["stable"][1], runs[None][1])
    np.testing.assert_array_equal(runs["latency"][1], runs[None][1])
    # argmax: exactly one-hot at the first maximum of the Dense outputs, through the result type
    logits = runs["skip"][1]
    hm, y = runs["argmax"]
    one = float(hm.graph.layers[-1].types["result"].quantize(1.0))
    expect = np.zeros_like(logits)
    expect[np.arange(len(X)), np.argmax(logits, axis=1)] = one
    np.testing.assert_array_equal(y, expect)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    # skip: the softmax is removed; the outputs are the Dense layer's, close to Keras' logits
    assert [lay.kind for lay in runs["skip"][0].graph.layers] == ["Dense"]
    dense_only = keras.Model(m.input, m.get_layer("dense").output)
    np.testing.assert_allclose(logits, dense_only.predict(X, verbose=0), atol=2**-8)
    cfg = hlsgen.from_yaml(hlsgen.to_yaml(base))
    cfg["LayerName"]["softmax"]["skip"] = True
    hm = hlsgen.convert_from_keras_model(m, hls_config=cfg, output_dir=str(tmp_path / "skip2"))
    assert [lay.kind for lay in hm.graph.layers] == ["Dense"]


def test_softmax_table_keys_and_t_spellings(tmp_path):
    m = dense_softmax()
    cfg = hlsgen.utils.config_from_keras_model(m, granularity="name")
    sm = cfg["LayerName"]["softmax"]
    sm.update(exp_table_t="ufixed<18,1,RND,SAT>", inv_table_t="ufixed<16,0,RND,SAT>", inv_inp_t="fixed<18,8>",
              accum_t="ufixed<24,4>", table_size=256)
    before = hlsgen.to_yaml(cfg)
    hm = hlsgen.convert_from_keras_model(m, hls_config=cfg, output_dir=str(tmp_path / "p"))
    assert hlsgen.to_yaml(cfg) == before  # the user's dict is not changed
    lay = hm.graph.layers[-1]
    assert str(lay.types["inv_table"]) == "ufixed<16,0,RND,SAT>" and str(lay.types["accum"]) == "ufixed<24,4>"
    assert lay.attrs["exp_table_size"] == lay.attrs["inv_table_size"] == 256
    assert {k: len(v[1]) for k, v in lay.tables().items()} == {"exp_table": 256, "inv_table": 256}
    sm2 = hlsgen.utils.config_from_keras_model(m, granularity="name")
    sm2["LayerName"]["softmax"].update(accum_t="ufixed<24,4>", Precision={"accum": "ufixed<20,4>"})
    with pytest.raises(hlsgen.ConfigError, match="accum_t='ufixed<24,4>' and Precision.accum='ufixed<20,4>' "
                                                 "disagree"):
        hlsgen.convert_from_keras_model(m, hls_config=sm2, output_dir=str(tmp_path / "q"))


@pytest.mark.parametrize("where, entry, msg", [
    ("softmax", {"Strategy": "fastest"}, r"LayerName.softmax.Strategy is 'fastest'; valid: Latency, Resource, "
                                         r"ResourceUnrolled, stable, latency, legacy, argmax, skip"),
    ("dense", {"Strategy": "argmax"}, r"LayerName.dense.Strategy is 'argmax'; valid: Latency, Resource, "
                                      r"ResourceUnrolled$"),
    ("softmax", {"table_size": 1000}, r"Softmax layer 'softmax': exp_table_size must be a power of two"),
    ("softmax", {"skip": "yes"}, r"skip must be true or false"),
    ("dense", {"table_size": 64}, r"unknown key 'table_size' in LayerName.dense"),
    ("dense", {"foo_t": "fixed<8,3>"}, r"unknown key 'foo_t' in LayerName.dense"),
    ("dense", {"ConvImplementation": "im2col"}, r"ConvImplementation is 'im2col'; valid: LineBuffer, Encoded"),
    ("dense", {"Implementation": "im2col"}, r"Implementation is 'im2col': this layer kind has one implementation"),
])
def test_layer_keys_refused_with_the_reason(tmp_path, where, entry, msg):
    m = dense_softmax()
    cfg = hlsgen.utils.config_from_keras_model(m, granularity="name")
    cfg["LayerName"][where].update(entry)
    with pytest.raises(ValueError, match=msg):
        hlsgen.convert_from_keras_model(m, hls_config=cfg, output_dir=str(tmp_path / "p"))
    assert not (tmp_path / "p").exists()


def test_model_keys(tmp_path):
    m = dense_softmax()
    cfg = hlsgen.utils.config_from_keras_model(m)
    cfg["Model"].update(Strategy="resource_unrolled", ReuseFactor=2, ConvImplementation="LineBuffer",
                        BramFactor=1_000_000_000)
    hm = hlsgen.convert_from_keras_model(m, hls_config=cfg, output_dir=str(tmp_path / "p"))
    assert [(lay.cfg.strategy, lay.cfg.reuse_factor) for lay in hm.graph.layers] == [("Resource", 2)] * 2
    for model_keys, msg in [
        (dict(BramFactor=0), r"Model.BramFactor 0: weight 'weight' of layer 'dense' has 30 values; moving weights"),
        (dict(BramFactor=-1), r"Model.BramFactor must be a non-negative integer"),
        (dict(PipelineStyle="wrong"), r"Model.PipelineStyle is 'wrong'; valid: auto, pipeline, dataflow"),
        (dict(PipelineInterval=0), r"Model.PipelineInterval must be a positive integer"),
        (dict(PipelineInterval=4, PipelineStyle="dataflow"), r"Model.PipelineInterval=4 sets the II of a pipelined "
                                                             r"top, but PipelineStyle 'dataflow' makes this top a "
                                                             r"DATAFLOW region"),
        (dict(Strategy="distributed_arithmetic"), r"Model.Strategy is 'distributed_arithmetic'"),
    ]:
        cfg = hlsgen.utils.config_from_keras_model(m)
        cfg["Model"].update(model_keys)
        with pytest.raises(hlsgen.ConfigError, match=msg):
            hlsgen.convert_from_keras_model(m, hls_config=cfg, output_dir=str(tmp_path / "q"))


def test_top_level_strategy_is_ignored_with_a_warning(tmp_path):
    """hls4ml reads Strategy only under Model/LayerType/LayerName; a top-level one changes nothing."""
    m = dense_softmax()
    cfg = {"Model": {"Precision": "fixed<16,6>", "ReuseFactor": 1, "Strategy": "Resource"}, "Strategy": "latency"}
    with pytest.warns(hlsgen.config.ConfigWarning, match="key.s. 'Strategy' at the top level are Model keys and are "
                                                         "ignored there"):
        hm = hlsgen.convert_from_keras_model(m, hls_config=cfg, output_dir=str(tmp_path / "p"))
    assert [lay.cfg.strategy for lay in hm.graph.layers] == ["Resource"] * 2
    with pytest.raises(hlsgen.ConfigError, match=r"unknown key 'Stratgy' in the configuration"):
        hlsgen.convert_from_keras_model(m, hls_config={"Stratgy": "latency"}, output_dir=str(tmp_path / "q"))


def test_pipeline_style(tmp_path):
    m = dense_softmax()

    def top(style, io_type="io_parallel", rf=1, strategy="Latency"):
        cfg = hlsgen.utils.config_from_keras_model(m)
        cfg["Model"].update(ReuseFactor=rf, Strategy=strategy)
        if style:
            cfg["Model"]["PipelineStyle"] = style
        hm = hlsgen.convert_from_keras_model(m, hls_config=cfg, io_type=io_type, output_dir=str(tmp_path / "p"))
        cpp = dict(hm.files())["firmware/myproject.cpp"]
        return ("DATAFLOW" if "#pragma HLS DATAFLOW" in cpp else "") + ("PIPELINE" if "#pragma HLS PIPELINE\n" in cpp
                                                                       else "")

    assert top(None) == "PIPELINE" and top("auto") == "PIPELINE"
    assert top("auto", rf=2, strategy="Resource") == "DATAFLOW"
    assert top("dataflow") == "DATAFLOW"
    assert top("pipeline", rf=2, strategy="Resource") == "PIPELINE"
    assert top("auto", io_type="io_stream") == "DATAFLOW"
    with pytest.raises(hlsgen.ConfigError, match="PipelineStyle 'pipeline' with io_stream"):
        top("pipeline", io_type="io_stream")


def test_resource_unrolled_pipelines_the_top_at_the_reuse_factor(tmp_path):
    """hls4ml's resource_unrolled: 'auto' pipelines an io_parallel top at II = the reuse factor
    (Resource would make it a DATAFLOW region); the estimate reads the same II."""
    m = dense_softmax()

    def convert(strategy, name, **model):
        cfg = hlsgen.utils.config_from_keras_model(m)
        cfg["Model"].update(ReuseFactor=3, Strategy=strategy, **model)
        return hlsgen.convert_from_keras_model(m, hls_config=cfg, output_dir=str(tmp_path / name))

    hm = convert("resource_unrolled", "u")
    cpp = dict(hm.files())["firmware/myproject.cpp"]
    assert "#pragma HLS PIPELINE II=3\n" in cpp and "#pragma HLS DATAFLOW" not in cpp
    assert hm.pipeline_ii == 3 and hm.estimate().total["ii"] >= 3
    assert not convert("Resource", "r").pipeline_ii and convert("Resource", "r").dataflow
    given = convert("ResourceUnrolled", "g", PipelineStyle="pipeline", PipelineInterval=7)
    assert given.pipeline_ii == 7  # an interval given is kept
    assert convert("resource_unrolled", "d", PipelineStyle="dataflow").dataflow
    hm.compile()
    x = on_grid(np.random.default_rng(2), (20, 6))
    ref = convert("Resource", "r2")
    assert np.array_equal(hm.predict(x), ref.predict(x))  # the schedule changes, not the values


def test_pipeline_interval_sets_the_pipelined_tops_ii(tmp_path):
    m = dense_softmax()
    cfg = hlsgen.utils.config_from_keras_model(m)
    hm0 = hlsgen.convert_from_keras_model(m, hls_config=cfg, output_dir=str(tmp_path / "a"))
    base_ii = hm0.estimate().total["ii"]
    cfg["Model"].update(PipelineStyle="pipeline", PipelineInterval=base_ii + 6)
    hm = hlsgen.convert_from_keras_model(m, hls_config=cfg, output_dir=str(tmp_path / "p"))
    cpp = dict(hm.files())["firmware/myproject.cpp"]
    assert f"#pragma HLS PIPELINE II={base_ii + 6}\n" in cpp
    assert hm.estimate().total["ii"] == base_ii + 6  # the estimate reads the same setting
    hm.compile()
    x = on_grid(np.random.default_rng(1), (20, 6))
    assert np.array_equal(hm.predict(x), hm0.predict(x))  # the II changes the schedule, not the values
    cfg["Model"]["PipelineStyle"] = "auto"
    with pytest.raises(hlsgen.ConfigError, match=f"PipelineInterval={base_ii + 6} sets the II of a pipelined top, but io_stream"):
        hlsgen.convert_from_keras_model(m, hls_config=cfg, io_type="io_stream", output_dir=str(tmp_path / "s"))
    assert not (tmp_path / "s").exists()


def test_name_granularity_leaves_model_settings_in_force(tmp_path):
    m = dense_softmax()
    cfg = hlsgen.utils.config_from_keras_model(m, granularity="name")
    assert cfg["LayerName"]["dense"] == {"Precision": {"result": "auto", "weight": "auto", "bias": "auto",
                                                       "accum": "auto"}}
    assert cfg["LayerName"]["x"] == {"Precision": {"result": "auto"}}
    cfg["Model"]["ReuseFactor"] = 3
    cfg["Model"]["Strategy"] = "Resource"
    cfg["LayerName"]["softmax"]["ReuseFactor"] = 1
    hm = hlsgen.convert_from_keras_model(m, hls_config=cfg, output_dir=str(tmp_path / "p"))
    assert [(lay.source_name, lay.cfg.strategy, lay.cfg.reuse_factor) for lay in hm.graph.layers] == [
        ("dense", "Resource", 3), ("softmax", "Resource", 1)]


# ---------------------------------------------------------------------- input precision
@needs_gxx
def test_inputs_follow_model_precision(tmp_path):
    keras.utils.set_random_seed(0)
    inp = keras.Input((4,), name="x")
    m = keras.Model(inp, keras.layers.Dense(2, name="d", kernel_initializer="ones")(inp))
    X = np.arange(0, 256, dtype=np.float64).reshape(64, 4)  # 0..255: needs 9 integer bits signed
    cfg = hlsgen.utils.config_from_keras_model(m, granularity="name", default_precision="fixed<32,16>")
    hm = hlsgen.convert_from_keras_model(m, hls_config=cfg, output_dir=str(tmp_path / "a"))
    assert str(hm.graph.tensors[hm.graph.inputs[0].tensor].type) == "fixed<32,16>"
    np.testing.assert_array_equal(hm.predict(X), X @ np.ones((4, 2)))
    # a named input precision wins
    cfg["LayerName"]["x"]["Precision"]["result"] = "ufixed<8,8>"
    hm = hlsgen.convert_from_keras_model(m, hls_config=cfg, output_dir=str(tmp_path / "b"))
    assert str(hm.graph.tensors[hm.graph.inputs[0].tensor].type) == "ufixed<8,8>"
    np.testing.assert_array_equal(hm.predict(X), X @ np.ones((4, 2)))
    # 'auto' with calibration data is still fitted to the data
    cfg = hlsgen.utils.config_from_keras_model(m, granularity="name")
    hm = hlsgen.convert_from_keras_model(m, hls_config=cfg, output_dir=str(tmp_path / "c"), calibration_data=X)
    t = hm.graph.tensors[hm.graph.inputs[0].tensor].type
    assert t.max_value >= 255 and str(t) != str(parse_type(cfg["Model"]["Precision"]))


# ---------------------------------------------------------------------- numerics
def test_63_bit_signed_wrap_types():
    """hlsgen may choose such an accumulator itself: quantize must not overflow (TRN, WRAP)."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-2.0 ** 25, 2.0 ** 25, 300), [2.0 ** 19, -2.0 ** 19, 2.0 ** 20 + 1.5]])
    for spec in ("fixed<63,20>", "fixed<63,63>", "ufixed<63,20>", "fixed<62,10>", "fixed<64,20>"):
        t = parse_type(spec)
        got = t.quantize(x)
        for xi, gi in zip(x, got):  # reference in Python integers: floor onto the grid, modulo 2**W
            r = int(np.floor(np.ldexp(xi, t.fractional))) % (1 << t.width)
            if t.signed and r >= 1 << (t.width - 1):
                r -= 1 << t.width
            assert gi == np.ldexp(float(r), -t.fractional), (spec, xi)


# ---------------------------------------------------------------------- ONNX
def _onnx_conv(ir_version, channels=1):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    w = np.random.default_rng(0).normal(size=(2, channels, 3, 3)).astype(np.float32)
    g = helper.make_graph([helper.make_node("Conv", ["x", "W"], ["y"], kernel_shape=[3, 3])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", channels, 5, 5])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2, 3, 3])],
                          [numpy_helper.from_array(w, "W")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = ir_version
    return onnx, m


@needs_gxx
def test_onnx_ir3_without_initializer_inputs_and_one_channel_layout(tmp_path):
    onnx, m = _onnx_conv(3)
    with pytest.raises(Exception, match="in initializer but not in graph input"):
        onnx.checker.check_model(m)  # what IR 3 requires; hlsgen reads such a model as IR 4
    hm = hlsgen.convert_from_onnx_model(m, output_dir=str(tmp_path / "p"))
    assert m.ir_version == 3  # the caller's model is not changed
    X = np.round(np.random.default_rng(1).normal(size=(7, 1, 5, 5)) * 64) / 64
    Xh = hlsgen.converters.onnx.to_hls_layout(hm, X)
    assert Xh.shape == (7, 5, 5, 1)  # one channel: still transposed to channels-last
    y = hlsgen.converters.onnx.from_hls_layout(hm, hm.predict(Xh))
    ort = pytest.importorskip("onnxruntime")
    m.ir_version = 4
    ref = ort.InferenceSession(m.SerializeToString()).run(None, {"x": X.astype(np.float32)})[0]
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, atol=2 ** -8)
    np.testing.assert_array_equal(hm.predict(Xh), hm.predict_golden(Xh))


def test_onnx_qonnx_model_wrapper_is_accepted(tmp_path):
    """A qonnx ModelWrapper (what qonnx's cleanup returns) converts as its ModelProto."""
    wrapper_mod = pytest.importorskip("qonnx.core.modelwrapper")
    _, m = _onnx_conv(4)
    w = wrapper_mod.ModelWrapper(m)
    X = np.round(np.random.default_rng(2).normal(size=(3, 5, 5, 1)) * 64) / 64
    a = hlsgen.convert_from_onnx_model(w, output_dir=str(tmp_path / "w")).predict_golden(X)
    b = hlsgen.convert_from_onnx_model(m, output_dir=str(tmp_path / "m")).predict_golden(X)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match="expected an onnx.ModelProto, a qonnx ModelWrapper or a path"):
        hlsgen.convert_from_onnx_model(object(), output_dir=str(tmp_path / "o"))


def test_ac_type_spellings_are_read_as_the_same_arithmetic():
    """hls4ml's configurations may carry Algorithmic C spellings; they mean the ap_ types."""
    assert parse_type("ac_fixed<32, 16>") == parse_type("ap_fixed<32,16>")
    assert parse_type("ac_fixed<32, 16, true>") == parse_type("ap_fixed<32,16>")
    assert parse_type("ac_fixed<12,6,false,AC_RND,AC_SAT>") == parse_type("ap_ufixed<12,6,AP_RND,AP_SAT>")
    assert parse_type("ac_fixed<8,3,1,AC_RND_CONV,AC_SAT_SYM>") == parse_type("ap_fixed<8,3,AP_RND_CONV,AP_SAT_SYM>")
    assert parse_type("ac_int<8,false>") == parse_type("ap_uint<8>")
    assert parse_type("ac_int<8>") == parse_type("ap_int<8>")
    for bad, msg in (("ac_fixed<8>", "takes 2 to 5 parameters"), ("ac_fixed<8,3,maybe>", "signedness is 'maybe'"),
                     ("ac_fixed<8,3,true,AC_FOO>", "rounding mode 'FOO'")):
        with pytest.raises(ValueError, match=msg):
            parse_type(bad)
    cfg = hlsgen.config_from_keras_model(dense_softmax(), default_precision="ac_fixed<32, 16>")
    assert cfg["Model"]["Precision"] == "ac_fixed<32, 16>"


def test_get_ymodel_keras_splits_layer_activations_as_trace_does(tmp_path):
    keras.utils.set_random_seed(3)
    inp = keras.Input((4,), name="x")
    d = keras.layers.Dense(3, activation="relu", name="d1")(inp)
    out = keras.layers.Activation("tanh", name="act")(keras.layers.Dense(2, name="d2")(d))
    m = keras.Model(inp, out)
    x = on_grid(np.random.default_rng(2), (50, 4), lo=-2, hi=2)
    ys = hlsgen.model.profiling.get_ymodel_keras(m, x)
    assert set(ys) == {"d1", "d1_relu", "d2", "act"}
    w, b = m.get_layer("d1").get_weights()
    pre = x @ w.astype(np.float64) + b
    assert (pre < 0).any()  # the value before the ReLU is not the layer's output
    np.testing.assert_allclose(ys["d1"], pre, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ys["d1_relu"], np.maximum(pre, 0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ys["act"], m.predict(x, verbose=0), rtol=1e-6)
    assert m.get_layer("d1").activation.__name__ == "relu"  # the model is left as it was
    cfg = hlsgen.utils.config_from_keras_model(m, granularity="name")
    for name in cfg["LayerName"]:
        cfg["LayerName"][name]["Trace"] = True
    hm = hlsgen.convert_from_keras_model(m, hls_config=cfg, output_dir=str(tmp_path / "p"))
    hm.compile()
    _, trace = hm.trace(x)
    assert set(trace) == set(ys)


def test_model_keys_at_the_top_level_are_ignored_with_a_warning(tmp_path):
    m = dense_softmax()
    cfg = {"Model": {"Precision": "fixed<16,6>", "ReuseFactor": 1}, "Strategy": "Resource", "ReuseFactor": 4}
    with pytest.warns(hlsgen.config.ConfigWarning, match=r"'Strategy', 'ReuseFactor' at the top level are Model keys"):
        hm = hlsgen.convert_from_keras_model(m, hls_config=cfg, output_dir=str(tmp_path / "p"))
    assert [(lay.cfg.strategy, lay.cfg.reuse_factor) for lay in hm.graph.layers] == [("Latency", 1)] * 2
    assert "Strategy" not in hm.config and cfg["Strategy"] == "Resource"  # the user's dict is left as it was
    with pytest.raises(hlsgen.ConfigError, match=r"unknown key 'Stratgy' in the configuration; valid keys: Model"):
        hlsgen.convert_from_keras_model(m, hls_config={"Stratgy": "Resource"}, output_dir=str(tmp_path / "q"))


def test_conversion_configuration_dict_and_yaml(tmp_path):
    m = dense_softmax()
    x = on_grid(np.random.default_rng(4), (30, 6))
    ref = hlsgen.convert_from_keras_model(m, output_dir=str(tmp_path / "ref"), clock_period=8)
    config = hlsgen.utils.config.create_config(output_dir=str(tmp_path / "a"), project_name="net", clock_period=8)
    assert config["Part"] == "xcvu13p-flga2577-2-e" and config["Backend"] == "Vivado"
    config["KerasModel"] = m
    config["HLSConfig"] = hlsgen.utils.config_from_keras_model(m)
    hm = hlsgen.converters.keras_v2_to_hls(config)
    assert (hm.options.project_name, hm.options.output_dir, hm.clock_period) == ("net", str(tmp_path / "a"), 8.0)
    assert np.array_equal(hm.predict(x), ref.predict(x))
    # the YAML form: the model as a file
    m.save(tmp_path / "m.keras")
    (tmp_path / "c.yml").write_text(hlsgen.to_yaml({
        "KerasH5": str(tmp_path / "m.keras"), "OutputDir": str(tmp_path / "b"), "ProjectName": "net2",
        "Backend": "Vitis", "IOType": "io_stream", "ClockPeriod": 8, "WriterConfig": {"WriteTar": True}}))
    hm2 = hlsgen.converters.convert_from_config(str(tmp_path / "c.yml"))
    assert hm2.options.io_type == "io_stream" and hm2.backend.name == "Vitis"
    assert np.array_equal(hm2.predict(x), ref.predict(x))
    assert (tmp_path / "b.tar.gz").exists()
    for bad, msg in [({**config, "Stamp": 1, "KerasModle": m}, r"unknown key 'KerasModle' in the conversion "
                                                                r"configuration; valid keys: KerasModel"),
                     ({"OutputDir": "x"}, r"needs one of KerasModel, KerasH5, KerasJson"),
                     ({**config, "WriterConfig": {"Namspace": None}}, r"unknown key 'Namspace' in WriterConfig"),
                     ({**config, "Version": "2.0"}, r"Version '2.0' is not supported")]:
        with pytest.raises(hlsgen.ConfigError, match=msg):
            hlsgen.converters.keras_v2_to_hls(bad)
    with pytest.raises(ValueError, match="Unknwn"):
        hlsgen.utils.config.create_config(backend="Unknwn")


@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_link_existing_project_runs_the_folder_as_written(io_type, tmp_path):
    m = dense_softmax()
    hm = hlsgen.convert_from_keras_model(m, output_dir=str(tmp_path / "p"), io_type=io_type)
    hm.write()
    x = on_grid(np.random.default_rng(4), (25, 6))
    linked = hlsgen.converters.link_existing_project(tmp_path / "p")
    assert linked.project_name == "myproject"
    linked.compile()
    np.testing.assert_array_equal(linked.predict(x), hm.predict(x))
    np.testing.assert_array_equal(linked.predict(x[0]), hm.predict(x)[0])  # one sample, no batch axis
    ys, layers = linked.trace(x)
    np.testing.assert_array_equal(ys, hm.predict(x))
    assert set(layers) == set(hm.trace(x)[1])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"'.*empty' is not a project written by hlsgen \(no hlsgen_meta.json\)"):
        hlsgen.link_existing_project(tmp_path / "empty")


def test_compute_padding_matches_the_frameworks_output_shapes():
    from hlsgen.converters.utils import compute_padding_1d, compute_padding_2d

    # TensorFlow's 'same': out = ceil(n / s), the odd pad goes after
    assert compute_padding_2d("same", 4, 5, 1, 2, 4, 3) == (4, 3, 1, 2, 1, 1)
    assert compute_padding_2d("valid", 4, 6, 1, 2, 3, 3) == (2, 2, 0, 0, 0, 0)
    assert compute_padding_1d("same", 7, 3, 2) == (3, 0, 1)
    assert compute_padding_1d("valid", 2, 1, 3) == (0, 0, 0)
    with pytest.raises(ValueError, match="padding 'full' is not one of valid, same"):
        compute_padding_2d("full", 4, 4, 1, 1, 3, 3)
    with pytest.raises(ValueError, match="stride must be a positive integer, got 0"):
        compute_padding_1d("same", 4, 0, 3)


@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_conv_implementation_encoded_builds_the_line_buffer(io_type, tmp_path):
    """hls4ml's ConvImplementation 'Encoded' is accepted and writes the same firmware as LineBuffer."""
    import filecmp

    keras.utils.set_random_seed(3)
    m = keras.Sequential([keras.Input((11, 3)), keras.layers.Conv1D(5, 9, name="conv")])
    dirs = {}
    for impl in ("LineBuffer", "Encoded"):
        cfg = hlsgen.utils.config_from_keras_model(m, granularity="name")
        cfg["Model"]["ConvImplementation"] = impl
        dirs[impl] = tmp_path / impl
        hlsgen.convert_from_keras_model(m, hls_config=cfg, io_type=io_type, output_dir=str(dirs[impl])).write()
    fw = {k: d / "firmware" for k, d in dirs.items()}
    files = sorted(str(f.relative_to(fw["Encoded"])) for f in fw["Encoded"].rglob("*") if f.is_file())
    assert len(files) > 5 and files == sorted(str(f.relative_to(fw["LineBuffer"]))
                                              for f in fw["LineBuffer"].rglob("*") if f.is_file())
    match, mismatch, errors = filecmp.cmpfiles(fw["LineBuffer"], fw["Encoded"], files, shallow=False)
    assert (mismatch, errors) == ([], [])


@needs_gxx
def test_separable_conv_precision_keys_set_its_two_layers(tmp_path):
    """hls4ml's keys of one separable-convolution entry (depthwise, dw_output/depthwise_result,
    depthwise_accum, pointwise, pointwise_accum) reach the depthwise and pointwise layers hlsgen
    builds; the result equals setting those layers' own entries."""
    keras.utils.set_random_seed(5)
    m = keras.Sequential([keras.Input((13, 4)), keras.layers.SeparableConv1D(3, 3, name="sep")])
    X = on_grid(np.random.default_rng(5), (8, 13, 4))
    cfg = hlsgen.utils.config_from_keras_model(m, granularity="name")
    assert set(cfg["LayerName"]) >= {"sep_depthwise", "sep"}
    cfg["LayerName"]["sep"]["Precision"].update(depthwise="fixed<10,2>", dw_output="fixed<12,4>",
                                                pointwise="fixed<9,1>", pointwise_accum="fixed<24,8>")
    cfg["LayerName"]["sep"]["depthwise_accum_t"] = "fixed<20,6>"
    a = hlsgen.convert_from_keras_model(m, hls_config=cfg, output_dir=str(tmp_path / "a"))
    types = {lay.name: {k: str(t) for k, t in lay.types.items()} for lay in a.graph.layers}
    assert (types["sep_depthwise"]["weight"], types["sep_depthwise"]["result"], types["sep_depthwise"]["accum"]) == \
        ("fixed<10,2>", "fixed<12,4>", "fixed<20,6>")
    assert (types["sep"]["weight"], types["sep"]["accum"]) == ("fixed<9,1>", "fixed<24,8>")
    direct = hlsgen.utils.config_from_keras_model(m, granularity="name")
    direct["LayerName"]["sep_depthwise"]["Precision"] = dict(direct["LayerName"]["sep_depthwise"]["Precision"],
                                                             weight="fixed<10,2>", result="fixed<12,4>",
                                                             accum="fixed<20,6>")
    direct["LayerName"]["sep"]["Precision"].update(weight="fixed<9,1>", accum="fixed<24,8>")
    b = hlsgen.convert_from_keras_model(m, hls_config=direct, output_dir=str(tmp_path / "b"))
    a.compile()
    b.compile()
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    # the part's own explicit entry wins over the separable entry's key
    cfg["LayerName"]["sep_depthwise"]["Precision"]["result"] = "fixed<14,5>"
    c = hlsgen.convert_from_keras_model(m, hls_config=cfg, output_dir=str(tmp_path / "c"))
    assert str(next(lay for lay in c.graph.layers if lay.name == "sep_depthwise").types["result"]) == \
        "fixed<14,5>"
