"""Whole generated projects against Xilinx's own ap_types headers (not only layer by layer).

Xilinx's headers come from the hls4ml wheel (``hls4ml/templates/vivado/ap_types/``, found with
importlib.util.find_spec, never imported or copied) or ``$XILINX_HLS/include``. They have no
``ap_axi_sdata.h``: ``tests/xilinx_standins/ap_axi_sdata.h`` is a minimal one written from UG1399's
description of ``ap_axiu``.  For each project of a representative matrix (every interface, both io
types, reprogrammable weights, CNNs, the bare network top), with nothing but those headers:

* the generated C testbench compiles and passes (every output bit-exact against tb_data), and
* the C simulation compiles and predicts exactly what it predicts with hlsgen's own headers
  (after loading other weights too, for reprogrammable projects).

So the generated code uses no API that only hlsgen's ap_types have.
"""
import numpy as np
import pytest

import hlsgen
from hlsgen.cli import run_testbench

from conftest import REPO, grid, needs_gxx
from cpp_harness import xilinx_ap_types

keras = pytest.importorskip("keras")

XILINX = xilinx_ap_types()
STANDIN = REPO / "tests" / "xilinx_standins"
pytestmark = [needs_gxx, pytest.mark.skipif(XILINX is None, reason="Xilinx ap_types not found (pip install "
                                            "--no-deps hls4ml==1.3.0, or set XILINX_HLS)")]


def mlp(seed):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((16,), name="input"),
                             keras.layers.Dense(24, activation="relu", name="d1"),
                             keras.layers.Dense(5, activation="softmax", name="d2")])


def cnn(seed):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((8, 8, 2), name="image"),
                             keras.layers.Conv2D(4, 3, activation="relu", name="c1"),
                             keras.layers.MaxPooling2D(2, name="p1"),
                             keras.layers.Flatten(name="f"),
                             keras.layers.Dense(3, activation="softmax", name="d")])


# (id, model, samples, convert options)
MATRIX = [
    ("stream-parallel-fixedbus", mlp, 300, dict(interface="axi_stream", input_type="fixed<16,6>",
                                                output_type="ufixed<8,0,RND,SAT>")),
    ("stream-stream-reprog", mlp, 300, dict(interface="axi_stream", io_type="io_stream", weights="reprogrammable")),
    ("master-parallel-reprog", mlp, 300, dict(interface="axi_master", weights="reprogrammable",
                                              output_type="fixed<18,2,RND_CONV,SAT>")),
    ("master-stream", mlp, 300, dict(interface="axi_master", io_type="io_stream", input_type="fixed<16,6>")),
    ("lite-parallel-fixedbus", mlp, 300, dict(interface="axi_lite", input_type="fixed<16,6>")),
    ("lite-stream-reprog", mlp, 300, dict(interface="axi_lite", io_type="io_stream", weights="reprogrammable",
                                          output_type="ufixed<8,0,RND,SAT>")),
    ("cnn-stream-stream", cnn, 100, dict(interface="axi_stream", io_type="io_stream")),
    ("cnn-master-parallel-reprog", cnn, 100, dict(interface="axi_master", weights="reprogrammable")),
    ("network-top", mlp, 300, dict(backend="Vivado")),
]


def inputs(model, n):
    return grid(np.random.default_rng(11), (n, *model.input_shape[1:]), -2.0, 2.0, 6)


@pytest.mark.parametrize("name,build,n,opts", MATRIX, ids=[m[0] for m in MATRIX])
def test_project_against_xilinx_headers(name, build, n, opts, tmp_path):
    model = build(1)
    X = inputs(model, n)
    opts = dict(opts)
    backend = opts.pop("backend", "VivadoAccelerator")
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj", backend=backend, board="zcu104",
                                         input_data_tb=X, **opts)
    hm.write()
    ap = [STANDIN, XILINX]
    report = run_testbench(hm.output_dir, hm.project_name, ap_types=ap, exe_name="tb_xilinx")
    assert report == f"{n} samples, 0 mismatches against tb_expected_csim.dat", report

    ours = hm.predict(X)
    xil = hlsgen.Simulation(hm.output_dir, ap_types=ap, verbose=False)
    assert xil.lib_path != hm._simulation().lib_path  # a separate build, on the other headers
    np.testing.assert_array_equal(xil.predict(X), ours)
    if opts.get("weights") == "reprogrammable":  # other weights through the weight port, in both builds
        from hlsgen.weights import weight_words

        words = weight_words(hm, build(2))
        hm.load_weights(build(2))
        xil.load_weights(words)
        other = hm.predict(X)
        assert not np.array_equal(other, ours)
        np.testing.assert_array_equal(xil.predict(X), other)
