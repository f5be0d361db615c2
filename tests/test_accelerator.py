"""VivadoAccelerator backend: tops, bus types, reprogrammable weights, projects, builds."""
import itertools
import json
import os
import re
import stat
from pathlib import Path

import numpy as np
import pytest

import hlsgen
from hlsgen.backends.vivado_accelerator.boards import available_boards
from hlsgen.backends.vivado_accelerator.build import BuildError
from hlsgen.cli import run_testbench

from conftest import grid, needs_gxx
from test_board_tcl import STANDINS, TCLSH, _tcl_dict, needs_tclsh, run_build, run_design

keras = pytest.importorskip("keras")

INTERFACES = ["axi_stream", "axi_master", "axi_lite"]
WEIGHTS = ["embedded", "reprogrammable"]
IO_TYPES = ["io_parallel", "io_stream"]


def small_model(seed=0, names=("d1", "d2")):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((16,), name="input"),
                             keras.layers.Dense(24, activation="relu", name=names[0]),
                             keras.layers.Dense(5, activation="softmax", name=names[1])])


@pytest.fixture(scope="module")
def X():
    return grid(np.random.default_rng(4), (300, 16))


def accel(model, out, **kw):
    kw.setdefault("board", "pynq-z2")
    return hlsgen.convert_from_keras_model(model, output_dir=out, backend="VivadoAccelerator", **kw)


@needs_gxx
@pytest.mark.parametrize("interface,weights,io_type", list(itertools.product(INTERFACES, WEIGHTS, IO_TYPES)))
def test_top_is_bit_identical_to_network(interface, weights, io_type, X, tmp_path):
    hm = accel(small_model(), tmp_path / "prj", interface=interface, weights=weights, io_type=io_type)
    y_top = hm.predict(X)
    y_net = hm.predict(X, top=False)
    np.testing.assert_array_equal(y_top, y_net)
    np.testing.assert_array_equal(y_net, hm.predict_golden(X))
    assert "0 mismatches" in run_testbench(hm.output_dir, hm.project_name)


@needs_gxx
@pytest.mark.parametrize("interface", INTERFACES)
def test_bench_jet_mlp_through_every_top(interface, shared, tmp_path):
    from hlsgen.converters.keras import load_keras_model

    d = shared / "bench" / "models"
    X = np.load(d / "jet_X_test.npy")
    hm = accel(load_keras_model(d / "jet_mlp.h5"), tmp_path / "prj", interface=interface)
    np.testing.assert_array_equal(hm.predict(X), hm.predict(X, top=False))


@needs_gxx
@pytest.mark.parametrize("interface", INTERFACES)
def test_fixed_bus_types(interface, X, tmp_path):
    hm = accel(small_model(), tmp_path / "prj", interface=interface, input_type="fixed<16,6>",
               output_type="ufixed<8,0,RND,SAT>")
    bus_out = hlsgen.parse_type("ufixed<8,0,RND,SAT>")
    y = hm.predict(X)
    np.testing.assert_array_equal(y, bus_out.quantize(hm.predict(X, top=False)))
    desc = json.loads((hm.output_dir / "registers.json").read_text())
    assert desc["input_bus"]["word_bits"] == 16 and desc["output_bus"]["numpy"] == "uint8"


@needs_gxx
@pytest.mark.parametrize("interface", INTERFACES)
def test_reprogrammed_weights_equal_direct_conversion(interface, X, tmp_path):
    a, b = small_model(seed=1), small_model(seed=2)
    hm_a = accel(a, tmp_path / "a", interface=interface, weights="reprogrammable")
    hm_a.compile()
    y_a = hm_a.predict(X)
    pinned = hm_a.resolved_config()
    hm_b = accel(b, tmp_path / "b", interface=interface, weights="reprogrammable", hls_config=pinned)
    y_b = hm_b.predict(X)
    assert not np.array_equal(y_a, y_b)
    hm_a.load_weights(b)  # through the weight port, as a driver would
    np.testing.assert_array_equal(hm_a.predict(X), y_b)
    hm_a.load_weights(a)
    np.testing.assert_array_equal(hm_a.predict(X), y_a)


def test_every_board_interface_weights_writes_a_project(tmp_path):
    model = small_model()
    boards = available_boards()
    assert {"pynq-z2", "ultra96v2"} <= set(boards)
    count = 0
    for board, interface, weights, io_type in itertools.product(boards, INTERFACES, WEIGHTS, IO_TYPES):
        out = tmp_path / f"{board}_{interface}_{weights}_{io_type}"
        accel(model, out, board=board, interface=interface, weights=weights, io_type=io_type).write()
        for f in ("firmware/myproject.cpp", "firmware/myproject_axi.cpp", "firmware/myproject_axi.h",
                  "firmware/ap_types/ap_fixed.h", "firmware/nnet_utils/nnet_bus.h", "myproject_test.cpp",
                  "myproject_axi_host.h", "build_prj.tcl", "design.tcl", "registers.json", "registers.md",
                  "tb_data/tb_input_features.dat", "hlsgen_config.yml"):
            assert (out / f).is_file(), f"{out.name}: {f} missing"
        desc = json.loads((out / "registers.json").read_text())
        assert desc["board"] == board and desc["interface"] == interface
        assert ("m_axi_gmem_w" in [b["port"] for b in desc["buffers"]]) == (weights == "reprogrammable")
        count += 1
    assert count == len(boards) * 12


@needs_tclsh
@pytest.mark.parametrize("board,interface,weights", [("pynq-z2", "axi_stream", "embedded"),
                                                     ("ultra96v2", "axi_master", "reprogrammable"),
                                                     ("zcu104", "axi_lite", "reprogrammable")])
def test_generated_tcl_passes_the_standin_vivado(board, interface, weights, tmp_path):
    from hlsgen.backends import vivado_accelerator as va
    from hlsgen.backends.vivado import ProjectCode

    hm = accel(small_model(), tmp_path / "prj", board=board, interface=interface, weights=weights,
               input_type="fixed<16,6>")
    hm.write()
    spec = va.spec(ProjectCode(hm.graph, hm.project_name), hm.accelerator)
    run = run_design(spec, tmp_path / "vivado", tcl=(hm.output_dir / "design.tcl").read_text())
    assert run.rc == 0 and not run.violations, run.explain()
    run = run_build(spec, tmp_path / "hls", "vitis_hls", tcl=(hm.output_dir / "build_prj.tcl").read_text())
    assert run.rc == 0 and not run.violations, run.explain()
    assert run.called("config_interface") == [["-m_axi_addr64"]]  # the register map assumes 64-bit offsets


def _interface_pragma_owners(cpp: str) -> list:
    """(function, pragma) for every `#pragma HLS INTERFACE` line: the function defined (at column 0) before it."""
    owners, func = [], None
    for line in cpp.splitlines():
        m = re.match(r"^[A-Za-z_][\w:<>,* ]*?\b(\w+)\s*\(", line)
        if m and not line.startswith(("#", "//")):
            func = m.group(1)
        if re.match(r"\s*#pragma HLS INTERFACE", line, re.I):
            owners.append((func, line.strip()))
    return owners


@pytest.mark.parametrize("backend,io_type", [("Vivado", "io_parallel"), ("Vivado", "io_stream"),
                                             ("VivadoAccelerator", "io_parallel"),
                                             ("VivadoAccelerator", "io_stream")])
def test_interface_pragmas_only_on_the_synthesis_top(backend, io_type, tmp_path):
    """Vitis HLS 2023.2+ ignores INTERFACE pragmas on sub-functions (with a warning): under an
    accelerator top the network function is one, so it carries none; every INTERFACE is on set_top's."""
    for interface in (INTERFACES if backend == "VivadoAccelerator" else [None]):
        kw = dict(interface=interface) if interface else {}
        hm = hlsgen.convert_from_keras_model(small_model(), output_dir=tmp_path / f"p{interface}", backend=backend,
                                             board="pynq-z2", io_type=io_type, **kw)
        files = dict(hm.files())
        top = re.search(r"^\s*set_top (\w+)", files["build_prj.tcl"], re.M).group(1)
        owners = [o for f, text in files.items() if f.startswith("firmware/") and f.endswith(".cpp")
                  for o in _interface_pragma_owners(text)]
        assert {f for f, _ in owners} <= {top}, owners
        assert owners or (backend == "Vivado" and io_type == "io_stream")  # stream arguments: ap_fifo by default
        net = _interface_pragma_owners(files["firmware/myproject.cpp"])
        assert (net != []) == (backend == "Vivado" and io_type == "io_parallel"), net


def test_bad_accelerator_options_fail_before_writing(tmp_path):
    model = small_model()
    out = tmp_path / "prj"
    cases = [
        (dict(board="pynq-z9"), r"unknown board 'pynq-z9'; valid boards: .*pynq-z2"),
        (dict(board="pynq-z2", part="xczu3eg-sbva484-1-i"), r"part 'xczu3eg-sbva484-1-i' contradicts board 'pynq-z2'"),
        (dict(board="pynq-z2", interface="axi_full"), r"unknown interface 'axi_full'; valid: axi_stream, axi_master, axi_lite"),
        (dict(board="pynq-z2", weights="flash"), r"unknown weights mode 'flash'; valid: embedded, reprogrammable"),
        (dict(board="pynq-z2", input_type="fixed<12,6>"), r"input_type fixed<12,6> is narrower than input 'input' needs"),
        (dict(board="pynq-z2", input_type="ufixed<20,8>"), r"narrower .* be signed"),
        (dict(board="pynq-z2", output_type="fixd<8,2>"), r"output_type: invalid precision 'fixd<8,2>'"),
        (dict(board="pynq-z2", interface="axi_lite", hls_config={"AcceleratorConfig": {"Interface": "axi_master"}}),
         r"interface='axi_lite' contradicts AcceleratorConfig"),
        (dict(board="pynq-z2", hls_config={"AcceleratorConfig": {"Boardd": "x"}}), r"unknown key 'Boardd' in AcceleratorConfig"),
        (dict(board="pynq-z2", hls_config={"Model": {"Interface": "axi_lite"}}), r"unknown key 'Interface' in Model"),
        (dict(), r"needs a board"),
    ]
    for kw, msg in cases:
        with pytest.raises(ValueError, match=msg):
            accel(model, out, **kw) if "board" in kw else hlsgen.convert_from_keras_model(
                model, output_dir=out, backend="VivadoAccelerator", **kw)
    with pytest.raises(ValueError, match=r"interface: accelerator options need backend='VivadoAccelerator'"):
        hlsgen.convert_from_keras_model(model, output_dir=out, board="pynq-z2", interface="axi_lite")
    with pytest.raises(ValueError, match=r"part 'xc7z020clg400-1' contradicts board 'zcu104'"):
        hlsgen.convert_from_keras_model(model, output_dir=out, board="zcu104", part="xc7z020clg400-1")
    assert not out.exists()


@needs_tclsh
def test_plain_vivado_project_builds_for_the_boards_part(tmp_path):
    """backend='Vivado' writes an HLS script for the bare network, for the board's part."""
    from hlsgen.backends.vivado_accelerator.tcl import BlockDesignSpec

    hm = hlsgen.convert_from_keras_model(small_model(), output_dir=tmp_path / "prj", board="ultra96v2")
    hm.write()
    text = (hm.output_dir / "build_prj.tcl").read_text()
    assert "xczu3eg-sbva484-1-i" in text and "myproject_axi" not in text
    spec = BlockDesignSpec(project_name="myproject", board="ultra96v2", top_name="myproject",
                           ip_vlnv="xilinx.com:hls:myproject:1.0", hls_sources=["firmware/myproject.cpp"],
                           clock_period_ns=5)
    run = run_build(spec, tmp_path / "hls", "vitis_hls", tcl=text)
    assert run.rc == 0 and not run.violations, run.explain()
    assert "README.md" in {p.name for p in hm.output_dir.iterdir()}


def test_config_section_gives_the_same_project(tmp_path):
    model = small_model()
    a = accel(model, tmp_path / "a", interface="axi_master", weights="reprogrammable", input_type="fixed<18,8>")
    cfg = {"AcceleratorConfig": {"Board": "ultra96v2", "Interface": "axi_master", "Weights": "reprogrammable",
                                 "Precision": {"Input": "fixed<18,8>"}}}
    b = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "b", backend="VivadoAccelerator",
                                        hls_config=cfg)
    a.write()
    b.write()
    ra, rb = (json.loads((p / "registers.json").read_text()) for p in (a.output_dir, b.output_dir))
    assert rb["part"] == "xczu3eg-sbva484-1-i" and ra["part"] == "xc7z020clg400-1"
    for k in ("interface", "weights_mode", "input_bus", "registers", "weights"):
        assert ra[k] == rb[k]


def _standin_tool(bindir: Path, name: str, record: Path, fail: bool = False, make=()):
    script = bindir / name
    lines = ["#!/bin/sh", f'echo "{name} $*" >> "{record}"', f'echo "INFO: [HLS 200-10] {name} running"']
    for f in make:
        lines.append(f'touch "{f}"')
    if fail:
        lines += ['echo "ERROR: [SYNTH 8-1] something broke on purpose"', "exit 3"]
    script.write_text("\n".join(lines) + "\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


FITS = {"Model": {"ReuseFactor": "auto"}}  # 24x16 products at ReuseFactor 1 exceed a Pynq-Z2's DSPs


def test_build_runs_the_tools_and_surfaces_failures(tmp_path, monkeypatch):
    hm = accel(small_model(), tmp_path / "prj", hls_config=FITS)
    hm.write()
    bindir = tmp_path / "bin"
    bindir.mkdir()
    record = tmp_path / "calls.txt"
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}/usr/bin:/bin")
    with pytest.raises(BuildError, match="vitis_hls or vivado_hls not found on PATH"):
        hm.build()
    _standin_tool(bindir, "vivado_hls", record)
    _standin_tool(bindir, "vivado", record, make=("myproject.bit", "myproject.hwh"))
    out = hm.build(csim=True, synth=True, export=True, bitfile=True)
    calls = record.read_text().splitlines()
    assert calls[0] == "vivado_hls -f build_prj.tcl -tclargs reset=1 csim=1 synth=1 cosim=0 export=1 tool=vivado_hls"
    assert calls[1] == "vivado -mode batch -nojournal -source design.tcl -tclargs jobs=2 bitfile=1"
    assert out["bit"].name == "myproject.bit" and out["hwh"].name == "myproject.hwh"
    _standin_tool(bindir, "vitis_hls", record, fail=True)
    with pytest.raises(BuildError, match=r"(?s)vitis_hls failed \(exit 3\); full log: .*vitis_hls.log.*broke on purpose"):
        hm.build()


@needs_gxx
def test_weights_from_another_instance_of_the_architecture(X, tmp_path):
    """Keras names a second instance's layers differently: layers correspond by position."""
    a = small_model(seed=1)
    keras.utils.set_random_seed(9)
    b = keras.Sequential([keras.Input((16,)), keras.layers.Dense(24, activation="relu"),
                          keras.layers.Dense(5, activation="softmax")])
    hm = accel(a, tmp_path / "a", weights="reprogrammable")
    pinned = hm.resolved_config()
    hm.load_weights(b)
    direct = accel(b, tmp_path / "b", weights="reprogrammable", hls_config={
        "Model": pinned["Model"],
        "LayerName": {bl.name: pinned["LayerName"][al.name] for al, bl in zip(a.layers, b.layers)}})
    np.testing.assert_array_equal(hm.predict(X), direct.predict(X))
    with pytest.raises(ValueError, match="architecture"):
        hm.load_weights(keras.Sequential([keras.Input((16,)), keras.layers.Dense(5)]))
    big = keras.models.clone_model(a)
    big.set_weights([w * 50 for w in a.get_weights()])
    with pytest.raises(ValueError, match="would saturate"):
        hm.load_weights(big)


@pytest.mark.parametrize("backend", ["VivadoAccelerator", "Vivado"])
def test_hls_config_names_files_of_the_written_project(backend, tmp_path):
    from test_board_tcl import parse_hls_config

    hm = hlsgen.convert_from_keras_model(small_model(), output_dir=tmp_path / "prj", backend=backend,
                                         board="zcu102")
    hm.write()
    cfg = parse_hls_config((hm.output_dir / "hls_config.cfg").read_text())
    assert cfg[""]["part"] == ["xczu9eg-ffvb1156-2-e"]
    top = "myproject_axi" if backend == "VivadoAccelerator" else "myproject"
    assert cfg["hls"]["syn.top"] == [top]
    for f in cfg["hls"]["syn.file"] + cfg["hls"]["tb.file"]:
        assert (hm.output_dir / f).exists(), f
    assert f"void {top}(" in (hm.output_dir / cfg["hls"]["syn.file"][-1]).read_text()


def _tcl_standin_tool(bindir: Path, name: str, cfg: dict, record: Path):
    """An HLS executable that runs the project's build_prj.tcl under tclsh with the recording HLS
    stand-ins (tests/tcl_standins), after checking the command line of ``name``."""
    driver = bindir / f"{name}_driver.tcl"
    driver.write_text("\n".join([
        f"set ::standin_cfg {_tcl_dict(cfg)}", f"source {{{STANDINS / 'common.tcl'}}}",
        f"source {{{STANDINS / 'hls.tcl'}}}", "set ::standin_script [lindex $::argv 0]",
        "set ::argv [lrange $::argv 1 end]", "set ::argc [llength $::argv]",
        "::standin::run_script $::standin_script", ""]))
    usage = {"vitis-run": '[ "$1 $2 $3" = "--mode hls --tcl" ] && script="$4" && shift 4',
             "vitis_hls": '[ "$1" = "-f" ] && script="$2" && shift 2 && [ "$1" = "-tclargs" ] && shift',
             "vivado_hls": '[ "$1" = "-f" ] && script="$2" && shift 2 && [ "$1" = "-tclargs" ] && shift'}[name]
    tool = bindir / name
    tool.write_text("\n".join([
        "#!/bin/sh", f'echo "{name} $*" >> "{record}"', f'echo "HLSGEN_BUILD_ARGS=$HLSGEN_BUILD_ARGS" >> "{record}"',
        f'{usage} || {{ echo "{name}: bad command line: $*" >&2; exit 2; }}',
        f'exec "{TCLSH}" "{driver}" "$script" "$@"', ""]))
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)


@needs_tclsh
def test_build_prefers_vitis_run_and_its_tcl_mode_runs_the_script(tmp_path, monkeypatch):
    """Vitis 2024.2+: with only vitis-run on PATH, build() runs `vitis-run --mode hls --tcl build_prj.tcl`
    and the script takes its steps from $HLSGEN_BUILD_ARGS (stand-in HLS commands record them)."""
    hm = accel(small_model(), tmp_path / "prj", board="zcu104")
    hm.write()
    bindir = tmp_path / "bin"
    bindir.mkdir()
    record = tmp_path / "calls.txt"
    log = tmp_path / "standin.log"
    cfg = {"tool": "vitis_hls", "part": hm.accelerator.board.part, "top": "myproject_axi",
           "period": hm.accelerator.clock_period, "fail_step": "", "log": str(log)}
    _tcl_standin_tool(bindir, "vitis-run", cfg, record)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}/usr/bin:/bin")
    out = hm.build(csim=True, synth=True, export=True)
    calls = record.read_text().splitlines()
    assert calls == ["vitis-run --mode hls --tcl build_prj.tcl",
                     "HLSGEN_BUILD_ARGS=reset=1 csim=1 synth=1 cosim=0 export=1 tool=vitis_hls"]
    assert out["hls_log"] == hm.output_dir / "build" / "vitis-run.log"
    assert "hlsgen: running under vitis_hls" in out["hls_log"].read_text()
    steps = [r.split("\x1f")[1] for r in log.read_text().splitlines() if r.startswith("CALL")]
    assert [c for c in steps if c.endswith("_design")] == ["csim_design", "csynth_design", "export_design"]
    assert (hm.output_dir / "myproject_prj" / "solution1" / "impl" / "ip" / "component.xml").is_file()


@needs_tclsh
def test_build_picks_the_newest_tool_or_the_named_one(tmp_path, monkeypatch):
    hm = accel(small_model(), tmp_path / "prj", board="ultra96v2", hls_config=FITS)
    hm.write()
    bindir = tmp_path / "bin"
    bindir.mkdir()
    record = tmp_path / "calls.txt"
    cfg = {"tool": "vitis_hls", "part": hm.accelerator.board.part, "top": "myproject_axi",
           "period": hm.accelerator.clock_period, "fail_step": "", "log": str(tmp_path / "standin.log")}
    for name in ("vitis-run", "vitis_hls", "vivado_hls"):
        _tcl_standin_tool(bindir, name, dict(cfg, tool="vivado_hls" if name == "vivado_hls" else "vitis_hls"),
                          record)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}/usr/bin:/bin")
    for asked, want in ((None, "vitis-run --mode hls --tcl build_prj.tcl"),
                        ("vitis_hls", "vitis_hls -f build_prj.tcl -tclargs reset=1 csim=0 synth=1 cosim=0 export=1 "
                                      "tool=vitis_hls"),
                        ("vivado_hls", "vivado_hls -f build_prj.tcl -tclargs reset=1 csim=0 synth=1 cosim=0 export=1 "
                                       "tool=vivado_hls")):
        record.unlink(missing_ok=True)
        hm.build(hls_tool=asked)
        assert record.read_text().splitlines()[0] == want
        assert (hm.output_dir / "myproject_prj" / "solution1" / "impl" / "ip" / "component.xml").is_file()
    with pytest.raises(BuildError, match="unknown HLS tool 'vitis'; valid: vitis-run, vitis_hls, vivado_hls"):
        hm.build(hls_tool="vitis")


def test_build_refuses_vivado_hls_for_kv260_before_running_anything(tmp_path, monkeypatch):
    """The K26 parts are not in Vivado HLS 2019.2-2020.1: refused, named or found, and nothing runs."""
    hm = accel(small_model(), tmp_path / "prj", board="kv260")
    hm.write()
    bindir = tmp_path / "bin"
    bindir.mkdir()
    record = tmp_path / "calls.txt"
    _standin_tool(bindir, "vivado_hls", record)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}/usr/bin:/bin")
    msg = r"board kv260 cannot be built with vivado_hls: its part xck26-sfvc784-2LV-c is not in vivado_hls's " \
          r"part list \(see kv260.yml\); use vitis-run or vitis_hls"
    with pytest.raises(BuildError, match=msg):
        hm.build()                      # the only tool on PATH
    _standin_tool(bindir, "vitis_hls", record)
    with pytest.raises(BuildError, match=msg):
        hm.build(hls_tool="vivado_hls")  # named, although vitis_hls is there
    assert not record.exists()
    hm.build()
    assert record.read_text().splitlines()[0].startswith("vitis_hls -f build_prj.tcl")
