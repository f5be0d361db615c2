"""The accelerator top's throughput (issue 18): the pipelined (DATAFLOW) top, values packed
several per bus beat, the cycle counter; the serial top kept as an option."""
import importlib
import itertools
import json
import re
import sys

import numpy as np
import pytest

import hlsgen
from hlsgen.cli import run_testbench

from conftest import grid, needs_gxx
from cpp_harness import xilinx_ap_types

keras = pytest.importorskip("keras")

STREAMING = ["axi_stream", "axi_master"]
IO_TYPES = ["io_parallel", "io_stream"]
WEIGHTS = ["embedded", "reprogrammable"]
# packing off: one 32-bit float per beat; on: the board's 64-bit port (2 floats a beat)
PACKING = {"off": dict(bus_width=32), "on": {}}
WIDE = dict(bus_width=128, input_type="fixed<16,6>", output_type="ufixed<8,0,RND,SAT>")  # 8 and 16 a beat


def model13(seed=0):
    """13 inputs and 5 outputs: a sample never fills its last beat (zero lanes on both sides)."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((13,), name="input"),
                             keras.layers.Dense(24, activation="relu", name="d1"),
                             keras.layers.Dense(5, activation="softmax", name="d2")])


@pytest.fixture(scope="module")
def X():
    return grid(np.random.default_rng(5), (120, 13))


def accel(out, model=None, **kw):
    kw.setdefault("board", "pynq-z2")
    return hlsgen.convert_from_keras_model(model or model13(), output_dir=out, backend="VivadoAccelerator", **kw)


def top_cpp(hm):
    return (hm.output_dir / "firmware" / f"{hm.project_name}_axi.cpp").read_text()


# ----------------------------------------------------------------------------- bit-exact through the top
@needs_gxx
@pytest.mark.parametrize("interface,io_type,weights,packing",
                         list(itertools.product(STREAMING, IO_TYPES, WEIGHTS, PACKING)))
def test_pipelined_top_is_bit_identical(interface, io_type, weights, packing, X, tmp_path):
    hm = accel(tmp_path / "prj", interface=interface, io_type=io_type, weights=weights, input_data_tb=X[:30],
               **PACKING[packing])
    y = hm.predict(X)
    np.testing.assert_array_equal(y, hm.predict(X, top=False))
    assert "#pragma HLS DATAFLOW" in top_cpp(hm)
    d = hm.description
    per = 1 if packing == "off" else 2
    assert d["packing"]["input"] == dict(bus_bits=32 * per, word_bits=32, values_per_beat=per, values_per_sample=13,
                                         beats_per_sample=-(-13 // per), words_per_sample=-(-13 // per) * per)
    assert d["words_per_sample_out"] == -(-5 // per) * per and d["values_per_sample_out"] == 5
    assert run_testbench(hm.output_dir, hm.project_name) == "30 samples, 0 mismatches against tb_expected_csim.dat"


@needs_gxx
@pytest.mark.parametrize("interface,io_type,pipeline", list(itertools.product(STREAMING, IO_TYPES,
                                                                                ["serial", "pipelined"])))
def test_wide_packing_fixed_bus_both_shapes(interface, io_type, pipeline, X, tmp_path):
    hm = accel(tmp_path / "prj", interface=interface, io_type=io_type, pipeline=pipeline, input_data_tb=X[:20],
               **WIDE)
    out_t = hlsgen.parse_type("ufixed<8,0,RND,SAT>")
    np.testing.assert_array_equal(hm.predict(X), out_t.quantize(hm.predict(X, top=False)))
    assert ("run_network(" in top_cpp(hm)) == (pipeline == "pipelined")
    assert ("run_serial(" in top_cpp(hm)) == (pipeline == "serial")
    p = hm.description["packing"]
    assert (p["input"]["values_per_beat"], p["input"]["beats_per_sample"]) == (8, 2)
    assert (p["output"]["values_per_beat"], p["output"]["beats_per_sample"]) == (16, 1)
    assert run_testbench(hm.output_dir, hm.project_name) == "20 samples, 0 mismatches against tb_expected_csim.dat"


XILINX = xilinx_ap_types()


@needs_gxx
@pytest.mark.skipif(XILINX is None, reason="Xilinx ap_types not found (pip install --no-deps hls4ml)")
@pytest.mark.parametrize("interface,io_type,opts", [
    ("axi_stream", "io_parallel", WIDE), ("axi_master", "io_stream", {}),
    ("axi_master", "io_parallel", dict(WIDE, pipeline="serial", weights="reprogrammable"))])
def test_packed_tops_against_xilinx_headers(interface, io_type, opts, X, tmp_path):
    from conftest import REPO

    hm = accel(tmp_path / "prj", interface=interface, io_type=io_type, board="ultra96v2", input_data_tb=X[:25],
               **opts)
    hm.write()
    ap = [REPO / "tests" / "xilinx_standins", XILINX]
    report = run_testbench(hm.output_dir, hm.project_name, ap_types=ap, exe_name="tb_xilinx")
    assert report == "25 samples, 0 mismatches against tb_expected_csim.dat", report
    xil = hlsgen.Simulation(hm.output_dir, ap_types=ap, verbose=False)
    np.testing.assert_array_equal(xil.predict(X), hm.predict(X))


# ----------------------------------------------------------------------------- the dataflow region, statically
def _function(text, name):
    """(parameter names, body) of the C++ function ``name`` in ``text``."""
    m = re.search(r"static void " + name + r"\(([^)]*)\)\s*\{", text)
    assert m, name
    params = [re.search(r"(\w+)\s*(\[[^\]]*\])?$", p.strip()).group(1) for p in m.group(1).split(",")]
    depth, k = 1, m.end()
    while depth:
        depth += {"{": 1, "}": -1}.get(text[k], 0)
        k += 1
    return params, text[m.end():k - 1]


@pytest.mark.parametrize("interface,io_type", list(itertools.product(STREAMING, IO_TYPES)))
def test_dataflow_region_is_canonical(interface, io_type, tmp_path):
    hm = accel(tmp_path / "prj", interface=interface, io_type=io_type, weights="reprogrammable")
    hm.write()
    cpp = top_cpp(hm)
    _, region = _function(cpp, "myproject_dataflow")
    lines = [ln.strip() for ln in region.splitlines() if ln.strip()]
    assert lines[0] == "#pragma HLS DATAFLOW"
    streams, calls = [], []
    for ln in lines[1:]:
        if m := re.fullmatch(r"hls::stream<\w+> (\w+)\(\"\1\"\);", ln):
            streams.append(m.group(1))
        elif re.fullmatch(r"#pragma HLS STREAM variable=\w+ depth=\d+", ln):
            pass
        elif m := re.fullmatch(r"(\w+)\(([\w, ]*)\);", ln):
            calls.append((m.group(1), [a.strip() for a in m.group(2).split(",")]))
        else:  # no conditions, loops or statements besides process calls in the region
            pytest.fail(f"not a declaration or a process call in the DATAFLOW region: {ln!r}")
    assert [c[0] for c in calls] == ["read_input", "run_network", "write_output", "count_cycles"]
    assert streams == ["x_s", "y_s", "done"]
    # every channel: exactly one process writes it and one (later) process reads it
    role = {}
    for pos, (fn, args) in enumerate(calls):
        params, body = _function(cpp, fn)
        assert len(params) == len(args), fn
        for a, p in zip(args, params):
            if a in streams:
                w = re.search(rf"\b{p}\.write\(", body) is not None
                r = re.search(rf"\b{p}\.read(_nb)?\(", body) is not None
                assert w != r, (fn, a)
                role.setdefault(a, []).append(("w" if w else "r", pos))
    for s in streams:
        assert [x[0] for x in role[s]] == ["w", "r"] and role[s][0][1] < role[s][1][1], (s, role[s])
    # the top's data ports are used by one process each; the weight port stays outside the region
    data = [a for a in ("in_stream", "out_stream", "in_r", "out_r") if a in region]
    assert len(data) == 2 and all(sum(a in args for _, args in calls) == 1 for a in data)
    assert "weights" not in region and "if (load_weights) load_weights_from(weights);" in cpp
    # loops inside the processes: fixed bounds per call (n_samples x a constant), or a counter
    # loop with a trip count
    for fn, _ in calls:
        _, body = _function(cpp, fn)
        for loop in re.findall(r"for \(unsigned \w+ = \w+; \w+ < ([^;]+);", body):
            assert re.fullmatch(r"n_samples( \* N_\w+)?|N_\w+|\d+", loop), (fn, loop)
        assert ("while (" in body) == (fn == "count_cycles")
    assert re.search(r"while \(!done\.read_nb\(token\)\) \{\s*#pragma HLS PIPELINE II=1\s*#pragma HLS "
                     r"LOOP_TRIPCOUNT", cpp)


def test_serial_top_keeps_one_sample_at_a_time(tmp_path):
    hm = accel(tmp_path / "prj", interface="axi_stream", pipeline="serial")
    hm.write()
    cpp = top_cpp(hm)
    _, region = _function(cpp, "myproject_dataflow")
    assert re.findall(r"^\s*(\w+)\(", region, re.M) == ["run_serial", "count_cycles"]
    _, body = _function(cpp, "run_serial")
    assert body.index("ReadBeats:") < body.index("myproject_words(p, q);") < body.index("WriteBeats:")


# ----------------------------------------------------------------------------- options and description
def test_options_and_bad_values(tmp_path):
    cfg = {"AcceleratorConfig": {"Board": "ultra96v2", "Pipeline": "serial", "BusWidth": 256}}
    hm = hlsgen.convert_from_keras_model(model13(), hls_config=cfg, output_dir=tmp_path / "a",
                                         backend="VivadoAccelerator")
    assert hm.accelerator.pipeline == "serial" and hm.accelerator.bus_width == 256
    defaults = {"pynq-z2": 64, "ultra96v2": 128, "zcu104": 128}
    for board, bits in defaults.items():
        assert accel(tmp_path / board, board=board).accelerator.bus_width == bits
    bad = [(dict(bus_width=48), r"BusWidth=48: must be a power of two from 8 to 1024 bits for interface='axi_stream'"),
           (dict(bus_width=16), r"BusWidth=16 is narrower than a 32-bit bus word \(input_type float"),
           (dict(bus_width="wide"), r"BusWidth must be a number of bits, got 'wide'"),
           (dict(pipeline="overlapped"), r"unknown AcceleratorConfig.Pipeline 'overlapped'; valid: pipelined, serial"),
           (dict(interface="axi_lite", bus_width=64), r"interface='axi_lite' has no data bus"),
           (dict(interface="axi_lite", pipeline="pipelined"), r"Pipeline: pipelined needs a batched interface"),
           (dict(pipeline="serial", bus_width=64, hls_config={"AcceleratorConfig": {"BusWidth": 128}}),
            r"bus_width=64 contradicts AcceleratorConfig \(128\)")]
    for kw, msg in bad:
        out = tmp_path / "bad"
        with pytest.raises(ValueError, match=msg):
            accel(out, **kw).write()
        assert not out.exists()
    lite = accel(tmp_path / "lite", interface="axi_lite")
    assert lite.accelerator.pipeline == "serial" and lite.description["packing"]["input"]["values_per_beat"] == 1


def test_description_registers_and_dma_follow_the_packing(tmp_path):
    hm = accel(tmp_path / "prj", interface="axi_stream", board="ultra96v2", **WIDE)
    hm.write()
    d = json.loads((hm.output_dir / "registers.json").read_text())
    assert d == hm.description
    regs = {r["name"]: r["offset"] for r in d["registers"]}
    assert regs == {"n_samples": 0x10, "cycles": 0x18}
    assert d["words_per_sample_in"] == 16 and d["words_per_sample_out"] == 16 and d["pipeline"] == "pipelined"
    assert d["cycle_model"] == hm.top_timing()
    tcl = (hm.output_dir / "design.tcl").read_text()
    assert "c_m_axis_mm2s_tdata_width 128" in tcl and "c_s_axis_s2mm_tdata_width 128" in tcl
    h = (hm.output_dir / "firmware" / "myproject_axi.h").read_text()
    assert "typedef ap_axiu<IN_BUS_BITS, 1, 1, 1> in_beat_t;" in h and "#define N_IN_BEATS 2" in h
    md = (hm.output_dir / "registers.md").read_text()
    assert "8 input / 16 output words per 128-bit beat" in md and "| cycles | 1 |" in md
    master = accel(tmp_path / "m", interface="axi_master")
    master.write()
    assert "max_read_burst_length=64 max_write_burst_length=64" in top_cpp(master)
    assert "const in_data_t* in_r" in top_cpp(master)


# ----------------------------------------------------------------------------- the estimate
@pytest.mark.parametrize("interface,io_type", list(itertools.product(STREAMING, IO_TYPES)))
def test_estimate_reports_both_shapes(interface, io_type, tmp_path):
    from hlsgen.estimate.model import costs

    rows = {}
    for pipeline in ("serial", "pipelined"):
        hm = accel(tmp_path / pipeline, interface=interface, io_type=io_type, pipeline=pipeline, **WIDE)
        est = hm.estimate()
        net = [r for r in est.layers if r["kind"] != "AcceleratorTop"]
        top = [r for r in est.layers if r["kind"] == "AcceleratorTop"][0]
        rows[pipeline] = (est, net, top)
    est_p, net, top = rows["pipelined"]
    net_ii = max(r["ii"] for r in net)
    net_lat = rows["serial"][2]["latency_max"] - 2 - 1 - costs()["top_overhead_cycles"]
    assert top["ii"] == est_p.total["ii"] == max(2, net_ii, 1)  # 2 input beats, 1 output beat
    assert rows["serial"][2]["ii"] == rows["serial"][2]["latency_max"] == 2 + net_lat + 1 + costs()["top_overhead_cycles"]
    assert top["latency_max"] == rows["serial"][2]["latency_max"]  # one sample takes as long
    assert any("pipelined (DATAFLOW)" in n for n in est_p.notes)
    assert any("top is serial" in n for n in rows["serial"][0].notes)


# ----------------------------------------------------------------------------- drivers, cycle counter
@pytest.fixture(scope="module")
def pynq():
    from hlsgen.simulation import install_pynq

    return install_pynq()


def _python_driver(hm):
    from hlsgen.simulation import pynq_model

    pynq_model.attach(hm.output_dir)
    path = str(hm.output_dir / "drivers" / "python")
    sys.path.insert(0, path)
    try:
        sys.modules.pop("myproject_driver", None)
        return importlib.import_module("myproject_driver")
    finally:
        sys.path.remove(path)


@needs_gxx
@pytest.mark.parametrize("interface,opts", [("axi_stream", WIDE), ("axi_master", dict(io_type="io_stream")),
                                            ("axi_stream", dict(pipeline="serial"))])
def test_drivers_with_packing_report_the_cycle_counter(interface, opts, pynq, X, tmp_path):
    from hlsgen.simulation import build_c_host, run_c_host

    hm = accel(tmp_path / "prj", interface=interface, driver="both", input_data_tb=X[:40], **opts)
    hm.compile()
    t = hm.top_timing()
    drv = _python_driver(hm)
    acc = drv.MyprojectAccelerator(str(hm.output_dir / "myproject.bit"), batch_size=50)
    y = acc.predict(X)  # 120 samples: runs of 50, 50, 20
    np.testing.assert_array_equal(y, hm.predict(X))
    want = sum(t["latency"] + (m - 1) * t["ii"] for m in (50, 50, 20))  # the model count of C simulation
    prof = acc.profile
    assert (prof["runs"], prof["cycles"], prof["cycles_per_call"]) == (3, want, want / 3)
    assert prof["cycles_per_sample"] == want / 120
    assert prof["samples_per_s_at_clock"] == pytest.approx(1e9 / (want / 120 * 10.0))
    assert acc.ip.cycles == t["latency"] + 19 * t["ii"]  # the register after the last run
    words = acc.encode_inputs(X[:2])
    assert words.shape == (2, hm.description["words_per_sample_in"])
    assert not words[:, 13:].any()  # zero lanes after the values
    acc.close()

    exe = build_c_host(hm.output_dir)
    r = run_c_host(exe)
    assert r.returncode == 0 and "RESULT: PASS" in r.stdout, r.stdout + r.stderr
    c = t["latency"] + 39 * t["ii"]  # one run of the 40 samples of data.h
    rate = 40 * 10 ** 12 // (c * 10000)
    assert (f"cycles (top's counter)       {c:10d} in 1 runs, {c} per call, {c * 100 // 40 // 100}."
            f"{c * 100 // 40 % 100:02d} per sample, {rate} samples/s at 100 MHz") in r.stdout, r.stdout
