"""Bad input: every case is refused with the right exception and a message that names the
culprit (the layer, the weight, the argument, the file), before any file is written; an
existing project in the output folder is left exactly as it was.

This module grows with every bug of this kind.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import hlsgen
from conftest import needs_gxx

keras = pytest.importorskip("keras")


def mlp(seed=0, name="in_x"):
    keras.utils.set_random_seed(seed)
    i = keras.Input((4,), name=name)
    x = keras.layers.Dense(5, activation="relu", name="d1")(i)
    x = keras.layers.BatchNormalization(name="bn")(x)
    return keras.Model(i, keras.layers.Dense(3, name="d2")(x))


def snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def existing(tmp_path):
    """A written project; tests try to overwrite it with something bad."""
    out = tmp_path / "prj"
    hlsgen.convert_from_keras_model(mlp(), output_dir=out).write()
    return out, snapshot(out), sorted(os.listdir(tmp_path))


def refused(existing, exc, match, fn, *args, **kwargs):
    """``fn(*args, output_dir=<existing project>, **kwargs)``, then write(): must raise
    ``exc`` matching ``match``, and leave the folder and its project untouched."""
    out, before, listing = existing
    with pytest.raises(exc, match=match):
        hm = fn(*args, output_dir=out, **kwargs)
        hm.write()
    assert snapshot(out) == before
    assert sorted(os.listdir(out.parent)) == listing  # nothing beside it either


# ----------------------------------------------------------------------------- weights
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_kernel_names_layer_and_weight(existing, bad):
    m = mlp()
    k, b = m.get_layer("d1").get_weights()
    k[1, 2] = bad
    m.get_layer("d1").set_weights([k, b])
    refused(existing, ValueError, r"layer 'd1': weight 'kernel' has [01] NaN and [01] infinite values",
            hlsgen.convert_from_keras_model, m)


def test_non_finite_batchnorm_statistics(existing):
    m = mlp()
    g, b, mean, var = m.get_layer("bn").get_weights()
    var[0] = np.inf
    m.get_layer("bn").set_weights([g, b, mean, var])
    refused(existing, ValueError, r"layer 'bn': weight '\w+' has 0 NaN and 1 infinite", hlsgen.convert_from_keras_model, m)


def test_non_finite_onnx_initializer(existing):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    w = np.ones((4, 3), np.float32)
    w[0, 0] = np.nan
    g = helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 3])],
                          [numpy_helper.from_array(w, "W")])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    refused(existing, ValueError, r"ONNX initializer 'W' has 1 NaN", hlsgen.convert_from_onnx_model, model)


@needs_gxx
def test_load_weights_refuses_nan(tmp_path):
    hm = hlsgen.convert_from_keras_model(mlp(), output_dir=tmp_path / "p", backend="VivadoAccelerator",
                                         board="pynq-z2", weights="reprogrammable")
    other = mlp(seed=1)
    k, b = other.get_layer("d2").get_weights()
    k[0, 0] = np.nan
    other.get_layer("d2").set_weights([k, b])
    with pytest.raises(ValueError, match=r"layer 'd2': weight 'kernel' has 1 NaN"):
        hm.load_weights(other)
    arrays = [lay.weights[key] for lay in hm.graph.layers for key in lay.weight_vars]
    arrays[1] = np.full_like(arrays[1], np.inf)
    with pytest.raises(ValueError, match=r"load_weights: weight 'bias' of layer 'd1' has 0 NaN and \d+ infinite"):
        hm.load_weights(arrays)


# ----------------------------------------------------------------------------- configuration
def test_hls_config_of_the_wrong_type(existing):
    refused(existing, TypeError, r"hls_config must be a dict .* got list", hlsgen.convert_from_keras_model, mlp(),
            hls_config=[{"Model": {}}])


def test_yaml_config_with_a_syntax_error_names_file_and_line(existing, tmp_path):
    f = tmp_path.parent / f"{tmp_path.name}-cfg.yml"
    f.write_text("Model:\n  Precision: fixed<16,6>\n  ReuseFactor: [1\n")
    refused(existing, hlsgen.config.ConfigError, r"cfg\.yml', line \d+ column \d+: not valid YAML",
            hlsgen.convert_from_keras_model, mlp(), hls_config=str(f))


def test_json_model_with_a_syntax_error_names_the_file(existing, tmp_path):
    f = tmp_path.parent / f"{tmp_path.name}-model.json"
    f.write_text('{"class_name": "Sequential", "config": {')
    refused(existing, ValueError, r"model file '.*model\.json' is not valid JSON: .* line 1 column \d+",
            hlsgen.convert_from_keras_model, str(f))


@pytest.mark.parametrize("period", [0, -5, "fast", float("nan"), float("inf")])
@pytest.mark.parametrize("backend", ["Vivado", "VivadoAccelerator"])
def test_bad_clock_period(existing, period, backend):
    kw = dict(board="pynq-z2") if backend == "VivadoAccelerator" else {}
    refused(existing, ValueError, r"clock_period must be a (positive )?number of nanoseconds .* got",
            hlsgen.convert_from_keras_model, mlp(), backend=backend, clock_period=period, **kw)


# ----------------------------------------------------------------------------- data arguments
@pytest.mark.parametrize("arg,value,match", [
    ("input_data_tb", np.zeros((5, 7)), r"input_data_tb: expected shape \(N, 4\) for input 'in_x', got \(5, 7\)"),
    ("input_data_tb", np.zeros(35), r"input_data_tb: expected shape \(N, 4\) for input 'in_x', got \(35,\)"),
    ("input_data_tb", np.full((3, 4), np.nan), r"input_data_tb has 12 NaN"),
    ("input_data_tb", np.zeros((3, 4)) + 1j, r"input_data_tb is complex"),
    ("input_data_tb", "missing.npy", r"input_data_tb: file 'missing.npy' does not exist"),
    ("output_data_tb", np.zeros((5, 2)), r"output_data_tb: expected shape \(N, 3\) for output '0', got \(5, 2\)"),
    ("calibration_data", np.zeros((9, 5)), r"calibration_data: expected shape \(N, 4\) for input 'in_x', got \(9, 5\)"),
    ("calibration_data", np.array([[1, 2, np.nan, 4]]), r"calibration_data has 1 NaN"),
])
def test_bad_data_arguments(existing, arg, value, match):
    kw = {arg: value}
    if arg == "output_data_tb":
        kw["input_data_tb"] = np.zeros((5, 4))
    refused(existing, (ValueError, TypeError, FileNotFoundError), match, hlsgen.convert_from_keras_model, mlp(), **kw)


@needs_gxx
def test_complex_input_to_predict(tmp_path):
    hm = hlsgen.convert_from_keras_model(mlp(), output_dir=tmp_path / "p")
    with pytest.raises(TypeError, match=r"input 'in_x' is complex"):
        hm.predict(np.zeros((2, 4)) + 1j)


# ----------------------------------------------------------------------------- models
def test_input_with_a_zero_dimension(existing):
    i = keras.Input((0, 3), name="empty")
    m = keras.Model(i, keras.layers.Flatten()(i))
    refused(existing, ValueError, r"input 'empty' has shape \(0, 3\): every dimension must be at least 1",
            hlsgen.convert_from_keras_model, m)


def test_model_with_an_input_and_no_layers(existing):
    i = keras.Input((4,), name="alone")
    refused(existing, ValueError, r"the model has no layers after its inputs", hlsgen.convert_from_keras_model,
            keras.Model(i, i))


def test_subclassed_model(existing):
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = keras.layers.Dense(3)

        def call(self, x):
            return self.d(x)

    m = Net()
    m(np.zeros((1, 4)))
    refused(existing, TypeError, r"Net is a subclassed Keras model, which is not supported.*keras\.Model\(x, y\)",
            hlsgen.convert_from_keras_model, m)


# ----------------------------------------------------------------------------- interrupted work
def test_interrupt_between_the_renames_restores_the_old_project(existing, monkeypatch):
    out, before, listing = existing
    from hlsgen import writer

    real = os.rename
    calls = []

    def rename(a, b):
        calls.append((a, b))
        real(a, b)
        if len(calls) == 1:  # the old project has just moved aside
            raise KeyboardInterrupt

    monkeypatch.setattr(writer.os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        hlsgen.convert_from_keras_model(mlp(seed=2), output_dir=out).write()
    monkeypatch.undo()
    assert snapshot(out) == before
    assert sorted(os.listdir(out.parent)) == listing


@needs_gxx
def test_interrupted_compile_leaves_no_partial_library(tmp_path, monkeypatch):
    from hlsgen import csim

    hm = hlsgen.convert_from_keras_model(mlp(seed=3), output_dir=tmp_path / "p")
    hm.write()

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(csim.subprocess, "run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        hm.compile()
    monkeypatch.undo()
    assert not list(csim.cache_dir().glob("*.tmp"))


def test_concurrent_write_gets_a_clear_error(existing):
    """Another process holds the project's write lock: this write is refused at once."""
    out, before, listing = existing
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from hlsgen.writer import _write_lock
        with _write_lock(Path({str(out)!r})):
            print("locked", flush=True)
            sys.stdin.readline()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(hlsgen.writer.ProjectWriteError, match=r"another write of '.*prj' is in progress"):
            hlsgen.convert_from_keras_model(mlp(seed=4), output_dir=out).write()
        assert snapshot(out) == before
    finally:
        holder.communicate("\n", timeout=30)
    assert sorted(os.listdir(out.parent)) == listing  # the lock file went with its holder
    hlsgen.convert_from_keras_model(mlp(seed=4), output_dir=out).write()  # and the folder is free again
