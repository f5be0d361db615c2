"""HLSModel.save / hlsgen.converters.load_saved_model (hls4ml's names): the loaded model writes
and predicts as the saved one, and a crafted file cannot make the loader run anything."""
import json
import zipfile

import numpy as np
import pytest

import hlsgen

from conftest import grid, needs_gxx

keras = pytest.importorskip("keras")


def small(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((6, 6, 2)), keras.layers.Conv2D(3, 3, activation="relu", name="conv"),
                             keras.layers.Flatten(), keras.layers.Dense(4, activation="softmax", name="dense")])


def firmware(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in (folder / "firmware").rglob("*") if p.is_file()}


@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_a_saved_model_converts_again_to_the_same_project(io_type, tmp_path):
    m = small()
    X = grid(np.random.default_rng(0), (12, 6, 6, 2), frac=5)
    cfg = hlsgen.utils.config_from_keras_model(m, granularity="name", default_precision="fixed<16,6>")
    cfg["LayerName"]["conv"]["ReuseFactor"] = 2
    hm = hlsgen.converters.convert_from_keras_model(m, hls_config=cfg, io_type=io_type, backend="Vitis",
                                                    output_dir=str(tmp_path / "orig"), namespace="ns1")
    hm.compile()
    saved = hm.save(tmp_path / "model.fml")
    clone = hlsgen.converters.load_saved_model(saved)
    assert clone.output_dir == hm.output_dir
    clone.config.config["OutputDir"] = str(tmp_path / "clone")
    assert clone.output_dir == (tmp_path / "clone").resolve() and clone.config.get_output_dir() == str(tmp_path / "clone")
    clone.compile()
    np.testing.assert_array_equal(clone.predict(X), hm.predict(X))
    a, b = firmware(hm.output_dir), firmware(clone.output_dir)
    assert a.keys() == b.keys() and all(a[k] == b[k] for k in a)
    assert clone.options.backend == "Vitis" and clone.options.namespace == "ns1"
    with pytest.raises(KeyError, match=r"config.config\['Part'\] is read-only"):
        clone.config.config["Part"] = "xc7z020clg400-1"


@needs_gxx
def test_saved_pytorch_and_accelerator_models(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Conv1d(2, 3, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(12, 2))
    hm = hlsgen.convert_from_pytorch_model(tm, input_shape=(None, 2, 6), output_dir=str(tmp_path / "t"))
    X = grid(np.random.default_rng(1), (5, 2, 6), frac=5)
    clone = hlsgen.converters.load_saved_model(hm.save(tmp_path / "t.fml"), output_dir=tmp_path / "t2")
    assert type(clone).__name__ == "PyTorchHLSModel"
    np.testing.assert_array_equal(clone.predict(X), hm.predict(X))  # the PyTorch layout in and out
    acc = hlsgen.convert_from_keras_model(small(1), backend="VivadoAccelerator", board="pynq-z2",
                                          interface="axi_stream", output_dir=str(tmp_path / "a"))
    clone = hlsgen.converters.load_saved_model(acc.save(tmp_path / "a.fml"), output_dir=tmp_path / "a2")
    assert clone.options.board.name == acc.options.board.name and clone.options.accelerator.interface == "axi_stream"
    X = grid(np.random.default_rng(2), (4, 6, 6, 2), frac=5)
    np.testing.assert_array_equal(clone.predict(X), acc.predict(X))


def _rewrite(path, out, edit):
    with zipfile.ZipFile(path) as z:
        doc, arrays = json.loads(z.read("model.json")), z.read("arrays.npz")
    edit(doc)
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("model.json", json.dumps(doc))
        z.writestr("arrays.npz", arrays)
    return out


def test_a_crafted_file_is_refused(tmp_path):
    hm = hlsgen.convert_from_keras_model(small(), output_dir=str(tmp_path / "p"))
    saved = hm.save(tmp_path / "m.fml")

    def layer0(doc):
        layers = dict(doc["graph"]["v"]["v"])["layers"]
        return layers[0]["v"]["v"]

    def template(doc):  # a layer state naming its C++ template (a Jinja2 template: code)
        layer0(doc).append(["cpp_config_tpl", "{{ cycler.__init__.__globals__ }}"])

    def foreign(doc):  # an object of a class outside hlsgen's IR
        dict(doc["graph"]["v"]["v"])["layers"][0]["cls"] = "os._wrap_close"

    for edit, msg in [(template, r"a layer:.* cannot set cpp_config_tpl"),
                      (foreign, r"'os._wrap_close' is not one of hlsgen's classes")]:
        with pytest.raises(ValueError, match=msg):
            hlsgen.converters.load_saved_model(_rewrite(saved, tmp_path / "bad.fml", edit))
    # arrays of Python objects would need pickle: refused by np.load(allow_pickle=False)
    with zipfile.ZipFile(saved) as z:
        doc = z.read("model.json")
    import io

    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(tmp_path / "pickle.fml", "w") as z:
        z.writestr("model.json", doc)
        with z.open("arrays.npz", "w") as f:
            with zipfile.ZipFile(f, "w") as inner:
                inner.writestr("a0.npy", buf.getvalue())
    with pytest.raises(ValueError, match="pickle"):
        hlsgen.converters.load_saved_model(tmp_path / "pickle.fml")
    (tmp_path / "junk.fml").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a model saved by hlsgen"):
        hlsgen.converters.load_saved_model(tmp_path / "junk.fml")


def test_models_that_cannot_be_saved(tmp_path):
    m = small()
    X = grid(np.random.default_rng(3), (20, 6, 6, 2), frac=5)
    cal = hlsgen.convert_from_keras_model(m, output_dir=str(tmp_path / "c"), calibration_data=X)
    with pytest.raises(ValueError, match="converted with calibration_data, which are not kept"):
        cal.save(tmp_path / "c.fml")
    assert not (tmp_path / "c.fml").exists()
