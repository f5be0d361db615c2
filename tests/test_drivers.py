"""Drivers (issue 7): the generated C and PYNQ drivers, run on the host against the
simulated accelerator (hlsgen.simulation), for every interface x weights mode."""
import importlib
import itertools
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import hlsgen
from hlsgen.simulation import STANDIN_INCLUDE, build_c_host, install_pynq, run_c_host, xparameters_h

from conftest import grid, needs_gxx

keras = pytest.importorskip("keras")

INTERFACES = ["axi_stream", "axi_master", "axi_lite"]
WEIGHTS = ["embedded", "reprogrammable"]
COMBOS = list(itertools.product(INTERFACES, WEIGHTS))
# bus types vary across the combinations so every codec path runs (packed 8/16-bit lite words too)
# bus types (and io types: the reprogrammable projects use io_stream) vary across the combos
BUS = {("axi_stream", "embedded"): {},
       ("axi_stream", "reprogrammable"): dict(input_type="fixed<16,6>", io_type="io_stream"),
       ("axi_master", "embedded"): dict(input_type="fixed<16,6>", output_type="ufixed<8,0,RND,SAT>"),
       ("axi_master", "reprogrammable"): dict(output_type="fixed<18,2,RND_CONV,SAT>", io_type="io_stream"),
       ("axi_lite", "embedded"): dict(input_type="fixed<16,6>"),
       ("axi_lite", "reprogrammable"): dict(output_type="ufixed<8,0,RND,SAT>", io_type="io_stream")}


def small_model(seed):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((16,), name="input"),
                             keras.layers.Dense(24, activation="relu", name="d1"),
                             keras.layers.Dense(5, activation="softmax", name="d2")])


@pytest.fixture(scope="module")
def models():
    return small_model(1), small_model(2)


@pytest.fixture(scope="module")
def X():
    return grid(np.random.default_rng(7), (300, 16))


@pytest.fixture(scope="module")
def projects(tmp_path_factory, models, X):
    """One written and compiled project per interface x weights mode (driver='both')."""
    a, b = models
    y_keras = a.predict(X[:60], verbose=0)
    out = {}
    for itf, w in COMBOS:
        d = tmp_path_factory.mktemp(f"{itf}_{w}") / "prj"
        hm = hlsgen.convert_from_keras_model(a, output_dir=d, backend="VivadoAccelerator", board="pynq-z2",
                                             interface=itf, weights=w, driver="both", input_data_tb=X[:40],
                                             output_data_tb=y_keras[:40], **BUS[(itf, w)])
        hm.compile()
        if w == "reprogrammable":  # data.h from C simulation, with other weights for reprogramming
            hlsgen.write_header_file(hm, X[:60], y_keras, n_samples=50, weights=b)
        out[(itf, w)] = hm
    return out


def _ids(c):
    return f"{c[0]}-{c[1]}"


# ----------------------------------------------------------------------------- C driver
@needs_gxx
@pytest.mark.parametrize("combo", COMBOS, ids=_ids)
def test_c_driver_main_on_simulated_accelerator(combo, projects, models):
    hm = projects[combo]
    exe = build_c_host(hm.output_dir)
    r = run_c_host(exe)
    out = r.stdout
    assert r.returncode == 0, out + r.stderr
    assert "RESULT: PASS" in out
    assert "accelerator: 0 mismatches" in out and "software reference: 0 mismatches" in out
    assert "value API: 0 mismatches" in out
    assert " 0 violations" in out, out  # cache flush/invalidate and register-map checks
    assert "accuracy: argmax agrees" in out
    data = (hm.output_dir / "drivers/c/data.h").read_text()
    if combo[1] == "reprogrammable":
        # the other weights change the outputs, and the driver reproduces hm.predict after hm.load_weights
        assert "accelerator, other weights: 0 mismatches" in out
        assert "accelerator, own weights again: 0 mismatches" in out
        assert "#define DATA_N_SAMPLES 50u" in data
        alt = data.split("data_y_alt_words")[1].split("};")[0]
        own = data.split("data_y_csim_words")[1].split("};")[0]
        assert alt.split("=", 1)[1] != own.split("=", 1)[1]
    else:
        assert "#define DATA_N_SAMPLES 40u" in data  # written by write() from input_data_tb


@needs_gxx
def test_c_driver_reports_timeouts_instead_of_hanging(projects):
    hm = projects[("axi_stream", "embedded")]
    exe = build_c_host(hm.output_dir, build_dir=hm.output_dir / "build" / "c_timeout", sw_reference=False,
                       cflags=["-DMYPROJECT_TIMEOUT_US=2000", "-DMYPROJECT_TIMEOUT_US_PER_SAMPLE=1"])
    r = run_c_host(exe, env={"HLSGEN_HOST_FAULT": "hang"}, timeout=20)
    assert r.returncode == 1
    assert "predict failed: timeout waiting for the accelerator (-5)" in r.stdout


@needs_gxx
@pytest.mark.parametrize("style,itf", [("sdt", "axi_stream"), ("sdt", "axi_master"), ("sdt", "axi_lite"),
                                       ("sdt-canonical", "axi_stream")])
def test_c_driver_with_system_device_tree_xparameters(style, itf, projects, tmp_path):
    """Vitis 2023.2+ (SDT flow): xparameters.h has only XPAR_<INSTANCE>_BASEADDR (or the canonical
    XPAR_X<IP>_<n>_BASEADDR) names and SDT is defined; the driver finds both devices and runs."""
    hm = projects[(itf, "embedded")]
    exe = build_c_host(hm.output_dir, build_dir=tmp_path / "b", sw_reference=False, xparameters=style)
    xp = (tmp_path / "b" / "xparameters.h").read_text()
    want = "XPAR_MYPROJECT_AXI_0_BASEADDR" if style == "sdt" else "XPAR_XMYPROJECT_AXI_0_BASEADDR"
    assert want in xp and "S_AXI_CONTROL" not in xp and "DEVICE_ID" not in xp
    assert ("XPAR_AXI_DMA_0_BASEADDR" in xp or "XPAR_XAXIDMA_0_BASEADDR" in xp) == (itf == "axi_stream")
    r = run_c_host(exe)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "RESULT: PASS" in r.stdout and "accelerator: 0 mismatches" in r.stdout


def _cross_compile(cc, drv, include, extra=()):
    for src in ("main.c", "myproject_driver.c"):
        cmd = [cc, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", f"-I{include}", f"-I{drv}",
               f"-I{STANDIN_INCLUDE}", *extra, "-c", str(drv / src), "-o", os.devnull]
        r = subprocess.run(cmd, capture_output=True, text=True)
        assert r.returncode == 0, f"{' '.join(cmd)}\n{r.stderr}"


@pytest.mark.parametrize("cc", ["aarch64-linux-gnu-gcc", "arm-linux-gnueabihf-gcc"])
def test_c_driver_cross_compiles_without_warnings(cc, projects, tmp_path):
    if shutil.which(cc) is None:
        pytest.skip(f"{cc} not installed (apt-get install gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf)")
    for combo in COMBOS:
        hm = projects[combo]
        desc = json.loads((hm.output_dir / "registers.json").read_text())
        inc = tmp_path / f"{combo[0]}_{combo[1]}"
        inc.mkdir()
        (inc / "xparameters.h").write_text(xparameters_h(desc))
        _cross_compile(cc, hm.output_dir / "drivers" / "c", inc)
        # with the HLS-generated x<top>_hw.h on the include path its macros take over
        hw = [f"#define XMYPROJECT_AXI_CONTROL_ADDR_{r['name'].upper()}_{'BASE' if r.get('array') else 'DATA'} "
              f"0x{r['offset']:x}" for r in desc["registers"]]
        (inc / "xmyproject_axi_hw.h").write_text("\n".join(hw) + "\n")
        _cross_compile(cc, hm.output_dir / "drivers" / "c", inc, ["-DSDT"])


# ----------------------------------------------------------------------------- Python driver
@pytest.fixture(scope="module")
def pynq():
    return install_pynq()


def _driver(hm, pynq, **layout):
    from hlsgen.simulation import pynq_model

    pynq_model.attach(hm.output_dir, **layout)
    path = str(hm.output_dir / "drivers" / "python")
    sys.path.insert(0, path)
    try:
        sys.modules.pop("myproject_driver", None)
        return importlib.import_module("myproject_driver")
    finally:
        sys.path.remove(path)


@needs_gxx
@pytest.mark.parametrize("combo", COMBOS, ids=_ids)
def test_python_driver_equals_predict(combo, projects, models, pynq, X):
    hm = projects[combo]
    drv = _driver(hm, pynq)
    acc = drv.MyprojectAccelerator(str(hm.output_dir / "myproject.bit"), batch_size=64)
    y = acc.predict(X)  # 300 samples > 64-sample buffers: 5 runs
    np.testing.assert_array_equal(y, hm.predict(X))
    assert acc.profile["samples"] == 300
    assert acc.profile["runs"] == (300 if combo[0] == "axi_lite" else 5)
    np.testing.assert_array_equal(acc.predict(X[3]), hm.predict(X[3:4]))  # one sample, no batch axis
    if combo[1] == "reprogrammable":
        a, b = models
        from hlsgen.weights import weight_words

        acc.load_weights(weight_words(hm, b))  # flat values in registers.json order
        hm.load_weights(b)
        try:
            y_b = hm.predict(X)
            assert not np.array_equal(y_b, y)
            np.testing.assert_array_equal(acc.predict(X), y_b)
        finally:
            hm.load_weights(a)
        specs = json.loads((hm.output_dir / "registers.json").read_text())["weights"]
        arrays = [lay.weights[s["key"]] for s in specs for lay in hm.graph.layers if lay.name == s["layer"]]
        acc.load_weights(arrays)  # a list of arrays: back to the model's own weights
        np.testing.assert_array_equal(acc.predict(X), y)
    acc.close()
    assert pynq.live_buffers() == 0


@needs_gxx
def test_python_driver_errors_and_constructor(projects, pynq, X):
    hm = projects[("axi_stream", "reprogrammable")]
    # the IP and the DMA are found by VLNV/type wherever the block design puts them
    drv = _driver(hm, pynq, ip_name="nn/accel_core", dma_name="nn/dma_in")
    acc = drv.MyprojectAccelerator(str(hm.output_dir / "x.bit"), download=False, batch_size=8, timeout=0.05,
                                   ignore_version=True)
    assert acc.ip_name == "nn/accel_core" and acc.dma_name == "nn/dma_in"
    assert pynq.board.overlays[-1]["download"] is False and pynq.board.overlays[-1]["ignore_version"] is True
    assert not acc.overlay.is_loaded()
    np.testing.assert_array_equal(acc.predict(X[:20]), hm.predict(X[:20]))
    with pytest.raises(ValueError, match=r"input 'input' expects shape \(N, 16\) or \(16,\), got \(20, 15\)"):
        acc.predict(X[:20, :15])
    with pytest.raises(TypeError, match="expected a real numeric array, got dtype <U"):
        acc.predict(np.array([["a"] * 16]))
    with pytest.raises(TypeError, match="complex"):
        acc.predict(X[:2] + 1j)
    with pytest.raises(ValueError, match="NaN or infinity"):
        acc.predict(np.full((2, 16), np.nan))
    with pytest.raises(TypeError, match=r"input words must be int16 \(the fixed<16,6> bus\), got float64"):
        acc.predict_words(X[:2])
    with pytest.raises(ValueError, match=r"the weight port takes 533 values, got 3"):
        acc.load_weights(np.zeros(3))
    with pytest.raises(ValueError, match=r"weights w2 \(d1.weight\) take 384 values, got 2"):
        acc.load_weights([np.zeros(2), np.zeros(24), np.zeros(120), np.zeros(5)])
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        drv.MyprojectAccelerator("x.bit", overlay=acc.overlay, batch_size=0)
    pynq.board.accelerator.hang_next = True  # a run that never completes: TimeoutError, not a hang
    with pytest.raises(TimeoutError, match="did not complete within 0.05 s"):
        acc.predict(X[:4])
    acc.close()
    assert pynq.live_buffers() == 0


@needs_gxx
def test_python_driver_splits_runs_to_fit_the_dma_length_register(pynq, tmp_path):
    """PYNQ refuses DMA transfers above 2^26 - 1 bytes (the simulated DMA too): 20,000 float inputs are
    80,000 bytes a sample, so the default batch of 1024 (81.9 MB) must shrink to 838 samples."""
    keras.utils.set_random_seed(5)
    model = keras.Sequential([keras.Input((20000,), name="input"), keras.layers.Dense(3, name="d")])
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj", backend="VivadoAccelerator",
                                         board="pynq-z2", interface="axi_stream", driver="python",
                                         io_type="io_stream", input_data_tb=np.zeros((2, 20000)))
    hm.compile()
    desc = json.loads((hm.output_dir / "registers.json").read_text())
    assert desc["dma"] == dict(length_width=26, max_transfer_bytes=(1 << 26) - 1, max_samples_per_transfer=838)
    X = grid(np.random.default_rng(2), (1100, 20000), -1, 1, 6)
    drv = _driver(hm, pynq)
    acc = drv.MyprojectAccelerator(str(hm.output_dir / "myproject.bit"))
    assert acc.batch_size == 838
    y = acc.predict(X)
    np.testing.assert_array_equal(y, hm.predict(X))
    assert acc.profile["runs"] == 2
    dma = acc.dma
    assert dma.sendchannel.transfers == 2 and dma.sendchannel.largest == 838 * 80000 <= (1 << 26) - 1
    acc.close()
    # a user's larger batch is clamped with a warning; a narrower length register (from the .hwh) is obeyed
    drv = _driver(hm, pynq, dma_length_width=20)
    with pytest.warns(UserWarning, match="batch_size=4096: one DMA transfer moves at most 13 samples here; using 13"):
        acc = drv.MyprojectAccelerator(str(hm.output_dir / "myproject.bit"), batch_size=4096)
    np.testing.assert_array_equal(acc.predict(X[:40]), y[:40])
    assert acc.profile["runs"] == 4 and acc.dma.recvchannel.largest <= (1 << 20) - 1
    acc.close()
    assert pynq.live_buffers() == 0


def test_c_driver_runs_fit_one_dma_transfer(projects):
    """MAX_RUN_SAMPLES: within 2^26 - 1 bytes a direction for any sample size (the old 64-sample minimum
    overflowed above ~1 MiB a sample), whole 64-byte blocks of both buffers where possible."""
    from hlsgen.drivers import driver_files, max_run_samples

    def desc(n_in, n_out, in_bits=32, out_bits=32):
        return dict(words_per_sample_in=n_in, words_per_sample_out=n_out, input_bus=dict(word_bits=in_bits),
                    output_bus=dict(word_bits=out_bits))

    for n_in, n_out, bits, want in ((16, 5, 32, 1048560), (20000, 3, 32, 832), (262144, 5, 32, 48),
                                    (300000, 5, 32, 48), (4194304, 5, 32, 3), (16777215, 1, 32, 1), (15, 5, 8, 4473920)):
        m = max_run_samples(desc(n_in, n_out, bits, bits))
        assert m == want, (n_in, m)
        assert m * max(n_in, n_out) * bits // 8 <= (1 << 26) - 1
        if m >= 64:
            assert (m * n_in * bits // 8) % 64 == 0 and (m * n_out * bits // 8) % 64 == 0
    # in a generated driver: a project's description with 300,000 float inputs (1.2 MB a sample) and its
    # 5 ufixed<8> output words: 55 samples (no whole 64-byte blocks of 5-byte outputs below 64 samples)
    d = json.loads((projects[("axi_master", "embedded")].output_dir / "registers.json").read_text())
    assert d["input_bus"]["word_bits"] == 16 and d["output_bus"]["word_bits"] == 8
    d.update(words_per_sample_in=150000, words_per_sample_out=5,  # one word per beat (unpacked)
             input_bus=dict(d["input_bus"], word_bits=64, numpy="int64"))
    h = dict(driver_files(d, "myproject", "c"))["drivers/c/myproject_driver.h"]
    assert "#define MYPROJECT_MAX_RUN_SAMPLES 55u" in h and 55 * 150000 * 8 <= (1 << 26) - 1 < 56 * 150000 * 8


def test_axi_stream_refuses_a_sample_larger_than_one_dma_transfer(tmp_path):
    model = keras.Sequential([keras.Input((16777216,), name="input"), keras.layers.Dense(1, name="d")])
    with pytest.raises(ValueError, match=r"one sample is 67108864 bytes on the bus, more than an AXI DMA transfer "
                                         r"can move \(67108863 bytes, a 26-bit length register\); use interface='axi_master'"):
        hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "p", backend="VivadoAccelerator",
                                        board="pynq-z2", interface="axi_stream").write()
    assert not (tmp_path / "p").exists()


def test_python_driver_bus_encoding_matches_hlsgen(projects, pynq):
    """The driver's own quantizer (numpy only, no hlsgen on the board) against hlsgen's."""
    drv = _driver(projects[("axi_stream", "embedded")], pynq)
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-40, 40, 4000), np.round(rng.uniform(-40, 40, 2000) * 64) / 64 + 1 / 128])
    for q in ("TRN", "TRN_ZERO", "RND", "RND_ZERO", "RND_MIN_INF", "RND_INF", "RND_CONV"):
        for o in ("WRAP", "SAT", "SAT_ZERO", "SAT_SYM"):
            for sign in ("", "u"):
                t = f"{sign}fixed<10,4,{q},{o}>"
                ref = hlsgen.parse_type(t).quantize_raw(x)
                got = drv.BusType(t, f"{'u' if sign else ''}int16").quantize_raw(x)
                np.testing.assert_array_equal(got, ref, err_msg=t)
    np.testing.assert_array_equal(drv.BusType("int<8>", "int8").quantize_raw(x), hlsgen.parse_type("int<8>").quantize_raw(x))


def test_driver_option_selects_files(models, tmp_path):
    a, _ = models
    for driver, want, absent in (("python", "drivers/python/myproject_driver.py", "drivers/c/main.c"),
                                 ("c", "drivers/c/data.h", "drivers/python/myproject_driver.py")):
        hm = hlsgen.convert_from_keras_model(a, output_dir=tmp_path / driver, backend="VivadoAccelerator",
                                             board="ultra96v2", interface="axi_master", driver=driver)
        names = [f for f, _ in hm.files()]
        assert want in names and absent not in names
    readme = dict(hm.files())["drivers/c/README.md"]
    assert "psu_cortexa53_0" in readme and "XPAR_MYPROJECT_AXI_0_S_AXI_CONTROL_BASEADDR" in readme


def test_docs_match_what_the_scripts_write(models, tmp_path):
    """design.tcl writes an .xsa (write_hw_platform, Vivado 2019.2+): the C README builds from it, with no
    SDK/.hdf flow; build_prj.tcl does not claim Vitis HLS defaults to the kernel flow (UG1399: Vivado IP)."""
    a, _ = models
    hm = hlsgen.convert_from_keras_model(a, output_dir=tmp_path / "p", backend="VivadoAccelerator",
                                         board="pynq-z2", interface="axi_stream", driver="c")
    files = dict(hm.files())
    readme, design, build = files["drivers/c/README.md"], files["design.tcl"], files["build_prj.tcl"]
    assert "write_hw_platform" in design and "myproject.xsa" in design
    assert "myproject.xsa" in readme and "platform create -name hw -hw myproject.xsa" in readme
    assert ".hdf" not in readme.replace("`.hdf` ended", "") and "createhw" not in readme and "hwspec" not in readme
    assert "SDK" not in files["drivers/c/Makefile"] and "SDK" not in files["drivers/c/myproject_driver.h"]
    assert "XPAR_MYPROJECT_AXI_0_BASEADDR" in readme and "XPAR_XMYPROJECT_AXI_0_BASEADDR" in readme
    assert "default flow makes a Vitis kernel" not in build and "Vitis HLS's default (UG1399)" in build


@needs_gxx
def test_c_bus_encoder_matches_hlsgen_in_every_mode(tmp_path):
    """The C driver's encoder (codec.c.j2, no libm) against hlsgen's quantization, all modes."""
    from hlsgen.backends.templating import render_string
    from hlsgen.backends.vivado_accelerator.interface import BusType
    from hlsgen.drivers import _c_bus, c_word_type

    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(-40, 40, 3000), np.round(rng.uniform(-40, 40, 1000) * 64) / 64 + 1 / 128,
                        [0.0, -0.0, 1e30, -1e30]])
    types = [f"{s}fixed<10,4,{q},{o}>" for s in ("", "u")
             for q in ("TRN", "TRN_ZERO", "RND", "RND_ZERO", "RND_MIN_INF", "RND_INF", "RND_CONV")
             for o in ("WRAP", "SAT", "SAT_ZERO", "SAT_SYM")] + ["int<8>", "fixed<32,16,RND,SAT>", "ufixed<20,3>"]
    src = ['#include <stdint.h>', '#include <stdio.h>']
    calls = []
    for k, t in enumerate(types):
        bus = _c_bus(BusType.parse(t, "t").to_json(), "t")
        wt = c_word_type(bus)
        src.append(f"typedef {wt} w{k}_t;")
        src.append(render_string('{% include "drivers/c/codec.c.j2" %}', prefix=f"c{k}", wt=f"w{k}_t", b=bus,
                                 enc=True, dec=False))
        calls.append(f'printf("%lld\\n", (long long)c{k}_encode(v));')
    src.append("int main(void) { double v; while (scanf(\"%lf\", &v) == 1) { " + " ".join(calls) + " } return 0; }")
    (tmp_path / "enc.c").write_text("\n".join(src))
    exe = tmp_path / "enc"
    r = subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", str(tmp_path / "enc.c"), "-o", str(exe)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([str(exe)], input="\n".join(repr(float(v)) for v in x), capture_output=True, text=True)
    got = np.array(r.stdout.split(), dtype=np.int64).reshape(len(x), len(types))
    for k, t in enumerate(types):
        np.testing.assert_array_equal(got[:, k], hlsgen.parse_type(t).quantize_raw(x), err_msg=t)


@needs_gxx
def test_c_driver_prefers_the_hls_generated_hw_h(projects, tmp_path):
    hm = projects[("axi_lite", "reprogrammable")]
    desc = json.loads((hm.output_dir / "registers.json").read_text())
    # Vivado HLS spelling (_V) of the ap_uint arguments, at the offsets the device uses
    hw = [f"#define XMYPROJECT_AXI_CONTROL_ADDR_{r['name'].upper()}_V_{'BASE' if r.get('array') else 'DATA'} "
          f"0x{r['offset']:x}" for r in desc["registers"]]
    (tmp_path / "xmyproject_axi_hw.h").write_text("\n".join(hw) + "\n")
    exe = build_c_host(hm.output_dir, build_dir=tmp_path / "b", sw_reference=False, cflags=[f"-I{tmp_path}"])
    r = run_c_host(exe)
    assert r.returncode == 0 and "RESULT: PASS" in r.stdout, r.stdout + r.stderr
    assert "register offsets from xmyproject_axi_hw.h" in r.stdout
