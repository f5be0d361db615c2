"""part=: with backend 'Vivado' any Xilinx part, no board implied; the estimator's family and
capacity of a part, from the parts table or (outside it) from the part name."""
import json
import re
import subprocess
import warnings

import numpy as np
import pytest

import hlsgen
from hlsgen.boards import load_board
from hlsgen.estimate import parts
from hlsgen.estimate.fit import FitWarning

from conftest import grid, needs_gxx
from test_board_tcl import TCLSH, make_spec, needs_tclsh, parse_hls_config, run_build

keras = pytest.importorskip("keras")

ALVEO = "xcu250-figd2104-2L-e"


def mlp(width=8, seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((16,), name="x"), keras.layers.Dense(width, activation="relu", name="d1"),
                             keras.layers.Dense(3, name="d2")])


@needs_gxx
def test_any_part_converts_writes_and_compiles(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", FitWarning)
        hm = hlsgen.convert_from_keras_model(mlp(), output_dir=tmp_path / "prj", backend="Vivado", part=ALVEO)
    assert hm.part == ALVEO and hm.board is None
    assert hm.options.part == ALVEO and hm.options.board is None and hm.options.clock_period == 5.0
    hm.write()
    out = hm.output_dir
    tcl = (out / "build_prj.tcl").read_text()
    assert f"set_part {ALVEO}" in tcl and "board" not in tcl.split("\n")[0]
    assert "tool check" not in tcl  # no board file says which HLS tools have the part
    cfg = parse_hls_config((out / "hls_config.cfg").read_text())
    assert cfg[""] == {"part": [ALVEO]}
    assert json.loads((out / "hlsgen_meta.json").read_text())["board"] is None
    est = json.loads((out / "estimate.json").read_text())
    assert est["part"] == ALVEO.lower() and est["family"] == "ultrascale_plus" and est["capacity"]["dsp"] == 12288
    assert est["fits"] is True
    assert f"part `{ALVEO}`" in (out / "README.md").read_text()
    X = grid(np.random.default_rng(1), (20, 16), -2, 2)
    np.testing.assert_array_equal(hm.predict(X), hm.predict_golden(X))


@needs_tclsh
def test_build_script_of_a_part_without_board_runs(tmp_path):
    hm = hlsgen.convert_from_keras_model(mlp(), output_dir=tmp_path / "prj", part=ALVEO)
    text = dict(hm.files())["build_prj.tcl"]
    spec = make_spec("pynq-z2", top_name="myproject", ip_vlnv="xilinx.com:hls:myproject:1.0",
                     hls_sources=["firmware/myproject.cpp"], clock_period_ns=5)
    for tool in ("vitis_hls", "vivado_hls"):  # no board: no tool is refused
        run = run_build(spec, tmp_path / tool, tool, tcl=text, part=ALVEO)
        assert run.rc == 0 and not run.violations, run.explain()


def test_part_outside_the_table_is_estimated_by_its_family(tmp_path):
    """A large design on a part hlsgen has no capacity for: converted, no FitWarning, a note."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", FitWarning)
        hm = hlsgen.convert_from_keras_model(mlp(width=256), output_dir=tmp_path / "prj", part="xcvu57p-fsvk2892-2-e")
    est = hm.estimate()
    assert est.part.family == "ultrascale_plus" and est.part.dsp_slice == "DSP48E2" and est.part.capacity is None
    assert est.fits is None and est.utilization == {}
    assert any("not in hlsgen's parts table" in n and "fit not checked" in n for n in est.notes)
    assert est.total["dsp"] > 0
    # the same design on the Pynq-Z2 does not fit: the warning is there, so its absence above means something
    with pytest.warns(FitWarning):
        hlsgen.convert_from_keras_model(mlp(width=256), output_dir=tmp_path / "b", board="pynq-z2")


@pytest.mark.parametrize("part,family,slice_,known", [
    ("xc7z020clg400-1", "7series", "DSP48E1", True),
    ("xc7a100tcsg324-1", "7series", "DSP48E1", True),
    ("xc7k325tffg900-2", "7series", "DSP48E1", True),
    ("xc7vx690tffg1761-2", "7series", "DSP48E1", True),
    ("xc7s50csga324-1", "7series", "DSP48E1", False),
    ("xczu3eg-sbva484-1-i", "ultrascale_plus", "DSP48E2", True),
    ("xczu29dr-ffvf1760-2-e", "ultrascale_plus", "DSP48E2", False),  # not the ZU2's capacity
    ("xck26-sfvc784-2LV-c", "ultrascale_plus", "DSP48E2", True),
    ("xcu50-fsvh2104-2-e", "ultrascale_plus", "DSP48E2", True),
    ("xcu55c-fsvh2892-2L-e", "ultrascale_plus", "DSP48E2", True),
    ("xcu280-fsvh2892-2L-e", "ultrascale_plus", "DSP48E2", True),
    ("xcku5p-ffvb676-2-e", "ultrascale_plus", "DSP48E2", True),
    ("xcku19p-ffvj1760-2-e", "ultrascale_plus", "DSP48E2", False),
    ("xcvu9p-flga2104-2L-e", "ultrascale_plus", "DSP48E2", True),
    ("xcvu19p-fsva3824-2-e", "ultrascale_plus", "DSP48E2", False),
    ("xcku040-ffva1156-2-e", "ultrascale", "DSP48E2", True),
    ("xcku025-ffva1156-1-c", "ultrascale", "DSP48E2", False),
    ("xcvu095-ffva2104-2-e", "ultrascale", "DSP48E2", True),
    ("xcvu190-flgc2104-2-e", "ultrascale", "DSP48E2", False),
    ("XCVU440-FLGA2892-2-E", "ultrascale", "DSP48E2", True),
])
def test_family_from_the_part_name(part, family, slice_, known):
    p = parts.part_info(part)
    assert (p.family, p.dsp_slice, p.capacity is not None) == (family, slice_, known)


def test_zu2_capacity_is_not_given_to_zu29():
    assert parts.part_info("xczu2cg-sbva484-1-e").capacity["dsp"] == 240
    assert parts.part_info("xczu29dr-ffvf1760-2-e").device is None


@pytest.mark.parametrize("part,msg", [
    ("xcu250\n-e", r"part 'xcu250\\n-e' is not a part name: it must be one line of text without '#'"),
    ("xcu250-e # x", r"is not a part name"),
    ("  ", r"is not a part name"),
    (250, r"part 250 is not a part name"),
])
def test_unwritable_part_is_refused_before_writing(part, msg, tmp_path):
    out = tmp_path / "prj"
    with pytest.raises(ValueError, match=msg):
        hlsgen.convert_from_keras_model(mlp(), output_dir=out, part=part)
    assert not out.exists()


HOSTILE = 'xc7 [exec touch pwned] $env(HOME) {a} "q" ;\\'


@pytest.mark.parametrize("part,what", [
    ("some_part", "not a Xilinx part name"),
    ("ep4ce22f17c6", "not a Xilinx part name"),
    ("xcvc1902-vsva2197-2MP-e", "not a Xilinx part of a family hlsgen knows"),  # Versal: no family here yet
    (HOSTILE, "not a Xilinx part name"),
])
def test_unknown_part_is_kept_with_a_warning(part, what, tmp_path):
    """Any one-line part: written as given, estimated with the assumed family, fit not checked."""
    with pytest.warns(parts_warning(), match=f"part {re.escape(repr(part))} is {what}.*assumes ultrascale_plus and "
                                                "cannot check the fit"):
        hm = hlsgen.convert_from_keras_model(mlp(), output_dir=tmp_path / "prj", backend="Vitis", part=part)
    assert hm.part == part and hm.board is None and hm.config.get_config_value("Part") == part
    est = hm.estimate()
    assert est.part.family == "ultrascale_plus" and est.part.family_assumed and est.part.capacity is None
    assert est.fits is None and est.total["dsp"] > 0
    assert est.notes == [f"part {part!r} is not in hlsgen's parts table: estimated as ultrascale_plus "
                         "(assumed: its name names no family hlsgen knows), fit not checked"]
    assert dict(hm.files())["hls_config.cfg"].count(f"part={part}\n") == 1


@needs_tclsh
def test_hostile_part_reaches_tcl_as_one_literal_word(tmp_path):
    with pytest.warns(parts_warning()):
        hm = hlsgen.convert_from_keras_model(mlp(), output_dir=tmp_path / "prj", part=HOSTILE)
    hm.write()
    out = hm.output_dir
    r = subprocess.run([TCLSH], input="source project.tcl; puts -nonewline $part", capture_output=True, text=True,
                       cwd=out)
    assert r.returncode == 0 and r.stdout == HOSTILE, r.stderr
    assert not (out / "pwned").exists()
    line, = [ln for ln in (out / "build_prj.tcl").read_text().splitlines() if "set_part" in ln]
    r = subprocess.run([TCLSH], input="proc set_part {p} {puts -nonewline $p}\n" + line, capture_output=True,
                       text=True, cwd=out)  # the line as build_prj.tcl runs it: set_part gets the part literally
    assert r.returncode == 0 and r.stdout == HOSTILE, r.stderr
    assert not (out / "pwned").exists()


def parts_warning():
    from hlsgen.boards import PartWarning

    return PartWarning


@pytest.mark.parametrize("backend,unc", [("Vivado", "12.5%"), ("Vitis", "27%")])
def test_default_target_is_hls4mls_part(backend, unc, tmp_path):
    """No board, no part: the plain backends target hls4ml's default part, xcvu13p-flga2577-2-e
    (until 2026-12 hlsgen's default was the Pynq-Z2's xc7z020clg400-1); with a board, its part."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hm = hlsgen.convert_from_keras_model(mlp(), output_dir=tmp_path / "prj", backend=backend)
    assert hm.board is None and hm.part == "xcvu13p-flga2577-2-e"
    assert hm.config.get_config_value("Part") == "xcvu13p-flga2577-2-e"
    assert hm.estimate().part.capacity["dsp"] == 12288 and hm.estimate().notes == []
    files = dict(hm.files())
    assert "    set_part xcvu13p-flga2577-2-e\n" in files["build_prj.tcl"]
    lines = files["project.tcl"].splitlines()
    assert {"set part xcvu13p-flga2577-2-e", "set clock_period 5", f"set clock_uncertainty {unc}",
            f"set backend {backend.lower()}"} <= set(lines)
    hm = hlsgen.convert_from_keras_model(mlp(), output_dir=tmp_path / "prj", backend=backend, clock_period=8,
                                         clock_uncertainty="15%")
    assert {"set clock_period 8", "set clock_uncertainty 15%"} <= set(dict(hm.files())["project.tcl"].splitlines())
    hm = hlsgen.convert_from_keras_model(mlp(), output_dir=tmp_path / "prj", board="zcu104", part="XCZU7EV-ffvc1156-2-e")
    assert hm.board.name == "zcu104" and hm.part == load_board("zcu104").part


def test_accelerator_still_needs_a_board(tmp_path):
    with pytest.raises(ValueError, match="needs a board"):
        hlsgen.convert_from_keras_model(mlp(), output_dir=tmp_path / "prj", backend="VivadoAccelerator", part=ALVEO)
    hm = hlsgen.convert_from_keras_model(mlp(), output_dir=tmp_path / "a", backend="VivadoAccelerator",
                                         board="ultra96v2")
    assert hm.part == "xczu3eg-sbva484-1-i" and hm.board.name == "ultra96v2" and hm.clock_period == 10.0


def test_options_are_frozen_and_reject_stray_keys(tmp_path):
    from hlsgen.options import ProjectOptions

    hm = hlsgen.convert_from_keras_model(mlp(), output_dir=tmp_path / "prj", part=ALVEO)
    with pytest.raises(AttributeError):
        hm.options.part = "xc7z020clg400-1"
    with pytest.raises(ValueError, match=r"unknown option\(s\) interfce; valid: output_dir, project_name"):
        hm.options.replace(interfce="axi_lite")
    assert hm.options.replace(clock_period=4.0).clock_period == 4.0
    with pytest.raises(ValueError, match="unknown option"):
        ProjectOptions.make(output_dir=".", project_name="p", backend="Vivado", part=ALVEO, boardd="x")


def test_unknown_backend_lists_the_registered_ones(tmp_path):
    from hlsgen.backends import backend_names, get_backend

    assert {"Vivado", "VivadoAccelerator"} <= set(backend_names())
    assert get_backend("vivadoaccelerator").name == "VivadoAccelerator"
    with pytest.raises(ValueError, match=r"unknown backend 'Quartus'; valid backends: Vivado, Vitis, VivadoAccelerator, VitisAccelerator"):
        hlsgen.convert_from_keras_model(mlp(), output_dir=tmp_path / "prj", backend="Quartus")


def test_cli_part_targets_the_plain_backend(tmp_path, capsys):
    from hlsgen.cli import main

    f = tmp_path / "m.keras"
    mlp().save(f)
    assert main(["estimate", str(f), "--part", ALVEO, "--json"]) == 0
    est = json.loads(capsys.readouterr().out)
    assert est["part"] == ALVEO.lower() and est["fits"] is True
    assert main(["convert", str(f), "--part", ALVEO, "-o", str(tmp_path / "prj")]) == 0
    assert f"set_part {ALVEO}" in (tmp_path / "prj" / "build_prj.tcl").read_text()
