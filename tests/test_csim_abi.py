"""The C-simulation ABI (hlsgen.csim.abi) is the one description of both sides of the ctypes
boundary: the generated bridges print its names, version and device-info layout, the
Python side binds and reads them, and no other file spells them."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

import hlsgen
from hlsgen.backends.templating import TEMPLATES
from hlsgen.csim import abi

from conftest import REPO, grid, needs_gxx

keras = pytest.importorskip("keras")

ENTRY_POINTS = (abi.ABI_VERSION, abi.SET_WEIGHT, abi.PREDICT, abi.ACCEL_PREDICT, abi.ACCEL_LOAD_WEIGHTS,
                abi.DEVICE_INFO, abi.DEVICE_RUN, abi.DEVICE_LOAD_WEIGHT_FILES, abi.SAT_ENABLE, abi.SAT_READ)


def model():
    keras.utils.set_random_seed(1)
    return keras.Sequential([keras.Input((6,), name="x"), keras.layers.Dense(3, activation="relu", name="d")])


@pytest.fixture(scope="module")
def accel_project(tmp_path_factory):
    out = tmp_path_factory.mktemp("abi") / "prj"
    hm = hlsgen.convert_from_keras_model(model(), output_dir=out, backend="VivadoAccelerator", board="pynq-z2",
                                         interface="axi_stream", weights="reprogrammable")
    hm.write()
    return hm, out


def exported(cpp: str) -> list:
    """Names of the extern "C" functions a bridge defines, in order."""
    return re.findall(r"^int (hlsgen_\w+)\(", cpp, re.M)


def test_the_bridge_exports_the_abi_entry_points_and_version(accel_project):
    hm, out = accel_project
    cpp = (out / "myproject_bridge.cpp").read_text()
    assert sorted(exported(cpp)) == sorted(ENTRY_POINTS)
    assert f"int {abi.ABI_VERSION}() {{ return {abi.VERSION}; }}" in cpp
    assert f"#define {abi.DEFINE_WEIGHTS}\n" in cpp
    assert json.loads((out / "hlsgen_meta.json").read_text())["abi"] == abi.VERSION


def test_the_device_info_layout_is_the_abis(accel_project):
    _, out = accel_project
    cpp = (out / "myproject_bridge.cpp").read_text()
    body = cpp[cpp.index(f"int {abi.DEVICE_INFO}(long* info)"):]
    body = body[:body.index("return 0;")]
    assert [int(i) for i in re.findall(r"info\[(\d+)\] =", body)] == list(range(len(abi.DEVICE_INFO_FIELDS)))
    values = re.findall(r"info\[\d+\] = (\w+);", body)
    assert values[:2] == ["N_IN_SLOTS", "N_OUT_SLOTS"]  # in DEVICE_INFO_FIELDS order (words in memory, lanes included)


def test_the_csim_build_defines_the_macros_the_firmware_tests(accel_project):
    _, out = accel_project
    flags = hlsgen.csim.CXXFLAGS
    assert f"-D{abi.RUNTIME_WEIGHTS}" in flags and f"-D{abi.TRACE_ENABLED}" in flags
    weight_h = next((out / "firmware" / "weights").glob("*.h")).read_text()
    assert f"#if defined({abi.RUNTIME_WEIGHTS})" in weight_h and f"#if defined({abi.DEFINE_WEIGHTS})" in weight_h
    assert f"#if defined({abi.TRACE_ENABLED})" in (out / "firmware" / "hlsgen_trace.h").read_text()


def test_no_other_file_spells_an_entry_point():
    """Templates, Python and the host device get the names from hlsgen.csim.abi."""
    files = list(TEMPLATES.rglob("*.j2")) + [p for p in (REPO / "hlsgen").rglob("*.py") if p.name != "abi.py"]
    files.append(REPO / "hlsgen" / "simulation" / "c" / "host_device.c")
    for f in files:
        text = f.read_text()
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(("//", "*", "/*", "#")))
        for name in ENTRY_POINTS:
            assert not re.search(rf"\b{name}\b", code), f"{f.relative_to(REPO)} spells {name}"


def test_the_host_device_map_names_the_device_entry_points(tmp_path):
    from hlsgen.simulation import device_map_h

    desc = {"interface": "axi_lite", "registers": [], "words_per_sample_in": 1, "words_per_sample_out": 1,
            "weights": [], **{k: {"word_bits": 32} for k in ("input_bus", "output_bus", "weights_bus")}}
    h = device_map_h(desc, tmp_path, tmp_path / "lib.so")
    assert f'#define HLSGEN_DEV_RUN_FN "{abi.DEVICE_RUN}"' in h
    assert f'#define HLSGEN_DEV_LOAD_FN "{abi.DEVICE_LOAD_WEIGHT_FILES}"' in h


@needs_gxx
def test_python_binds_and_reads_the_compiled_library(accel_project, tmp_path):
    from hlsgen.csim import Simulation
    from hlsgen.simulation import Device

    hm, out = accel_project
    sim = Simulation(out, verbose=False)
    assert abi.version(sim.lib) == abi.VERSION
    X = grid(np.random.default_rng(0), (8, 6))
    np.testing.assert_array_equal(sim.predict(X), hm.predict_golden(X))
    regs = json.loads((out / "registers.json").read_text())
    dev = Device(out)
    try:
        info = abi.device_info(dev.lib)
        assert (info["n_in_words"], info["n_out_words"]) == (regs["words_per_sample_in"], regs["words_per_sample_out"])
        assert info["in_word_bits"] == regs["input_bus"]["word_bits"]
        assert info["n_weight_words"] == sum(w["size"] for w in regs["weights"])
    finally:
        dev.close()
    # a project whose bridge claims another ABI version is refused before anything runs
    meta = json.loads((out / "hlsgen_meta.json").read_text())
    (out / "hlsgen_meta.json").write_text(json.dumps(dict(meta, abi=abi.VERSION + 1)))
    try:
        with pytest.raises(RuntimeError, match="does not match the project's bridge version"):
            Simulation(out, verbose=False)
    finally:
        (out / "hlsgen_meta.json").write_text(json.dumps(meta))
