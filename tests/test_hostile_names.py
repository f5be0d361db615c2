"""Hostile names: a model file from anywhere must not be able to run anything.

Input, layer, output and ONNX tensor/initializer names are drawn from payloads aimed at
every language hlsgen writes (C/C++, Tcl, Python, Markdown, Makefile, JSON, YAML):
newlines, comment delimiters, quotes, backslashes, trigraphs, Tcl substitution, Make
functions, HTML, control characters, unicode, very long names and keywords.  Each payload
that would run code creates a marker file when it runs.  Through every backend,
interface, io type and weights mode, with both drivers: every C/C++ file compiles (the C
simulation, the testbench, the C driver on the host simulation), every Tcl file parses
and runs under the stand-ins, every Python file compiles and the PYNQ driver runs on the
simulated pynq, the Makefile is read by make, no marker appears, and predict equals the
same model with plain names bit for bit.
"""
from __future__ import annotations

import json
import py_compile
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

import hlsgen
from conftest import grid, needs_gxx

MARK = "HLSGEN_PWNED"


def payloads(slash: bool):
    """Hostile names; Keras refuses '/' in names, ONNX takes anything."""
    p = [
        # ran system() at compile()/predict() before names were escaped (issue 11)
        f'x\n__attribute__((constructor)) static void pwn() {{ system("touch {MARK}_c"); }}\n#define HLSGEN_Z ',
        'tri??/',
        "ends with a backslash \\",
        "q\"uo'te",
        f"[exec touch {MARK}_tcl1]",
        "$::env(HOME) ${x}",
        f"}}\nexec touch {MARK}_tcl2\n{{",
        f'"; exec touch {MARK}_tcl3; "',
        f'"""\nimport os; os.system("touch {MARK}_py1")\n"""',
        f"'''\nimport os; os.system('touch {MARK}_py2') #",
        f"$(shell touch {MARK}_make) $$x",
        "#hash ;semi",
        f"`touch {MARK}_sh`",
        "<script>alert(1)</script>",
        "[link](javascript:alert(1)) ![img](http://x)",
        "| cell | break |",
        "名前 é \u2028 sep\u0085",
        "\x01ctl\x1b[31mred\x7f",
        "\r\ncrlf",
        "long" * 80,
        "class", "proc", "import", "input", "None", "myproject",
    ]
    p += [f"a*/ int pwn = system(\"touch {MARK}_c2\"); /*", "// line", "..\\..\\x/../y"]
    return [n for n in p if slash or "/" not in n]


def assert_no_marker(*dirs):
    for d in dirs:
        found = [str(p) for p in Path(d).rglob(f"{MARK}*")]
        assert not found, found


# ----------------------------------------------------------------------------- models
def keras_models():
    keras = pytest.importorskip("keras")
    names = payloads(slash=False)

    def build(names):
        keras.utils.set_random_seed(3)
        i = keras.Input((6,), name=names[0])
        x = i
        for k, n in enumerate(names[1:-1]):
            x = keras.layers.Dense(6, name=n)(x) if k % 2 == 0 else keras.layers.Activation("relu", name=n)(x)
        x = keras.layers.Dense(3, name=names[-1])(x)
        return keras.Model(i, x)

    plain = [f"n{k}" for k in range(len(names))]
    return build(names), build(plain)


def onnx_models():
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    names = payloads(slash=True)
    rng = np.random.default_rng(4)
    depth = 6
    ws = [np.round(rng.uniform(-1, 1, (6, 6)) * 64).astype(np.float32) / 64 for _ in range(depth)]

    def build(nm):
        it = iter(nm)
        x = next(it)
        nodes, inits = [], []
        for k in range(depth):
            wn, y, node, r, rnode = next(it), next(it), next(it), next(it), next(it)
            inits.append(numpy_helper.from_array(ws[k], name=wn))
            nodes.append(helper.make_node("MatMul", [x, wn], [y], name=node))
            nodes.append(helper.make_node("Relu", [y], [r], name=rnode))
            x = r
        g = helper.make_graph(nodes, next(it), [helper.make_tensor_value_info(nm[0], TensorProto.FLOAT, [None, 6])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, [None, 6])], inits)
        return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])

    needed = 2 + 5 * depth
    hostile = (names * 2)[:needed]
    # tensor names must be unique in ONNX
    hostile = [n if hostile.index(n) == k else f"{n}#{k}" for k, n in enumerate(hostile)]
    return build(hostile), build([f"t{k}" for k in range(needed)])


CONFIGS = [("Vivado", None, io, "embedded") for io in ("io_parallel", "io_stream")] + [
    ("VivadoAccelerator", itf, io, w) for itf in ("axi_stream", "axi_master", "axi_lite")
    for io in ("io_parallel", "io_stream") for w in ("embedded", "reprogrammable")]


def _convert(frontend, model, out, backend, itf, io, w, **kw):
    kw.update(output_dir=out, backend=backend, io_type=io)
    if itf:
        kw.update(board="ultra96v2" if w == "reprogrammable" else "pynq-z2", interface=itf, weights=w, driver="both")
    fn = hlsgen.convert_from_keras_model if frontend == "keras" else hlsgen.convert_from_onnx_model
    return fn(model, **kw)


# ----------------------------------------------------------------------------- checks
def _check_text_files(prj: Path):
    """Every file parses in its language."""
    tclsh = shutil.which("tclsh")
    for f in sorted(prj.rglob("*")):
        if not f.is_file():
            continue
        if f.suffix == ".py":
            py_compile.compile(str(f), doraise=True)
        elif f.suffix == ".json":
            json.loads(f.read_text())
        elif f.suffix in (".yml", ".yaml"):
            yaml.safe_load(f.read_text())
        elif f.suffix == ".tcl" and tclsh:
            r = subprocess.run([tclsh], input=f"set f [open {{{f}}}]; set s [read $f]; close $f\n"
                               "if {![info complete $s]} { puts INCOMPLETE; exit 1 }\n",
                               capture_output=True, text=True)
            assert r.returncode == 0, f"{f}: not a complete Tcl script {r.stdout}{r.stderr}"
        elif f.suffix == ".md":
            text = f.read_text()
            assert not re.search(r"(?<!\\)<(script|img|a)\b", text), f
            assert "](javascript" not in text.replace("\\]", ""), f
            for line in text.splitlines():  # table rows keep their cells
                if line.startswith("|"):
                    cells = len(re.findall(r"(?<!\\)\|", line))
                    assert cells in _table_widths(text), (f, line)
        if f.suffix in (".h", ".c", ".cpp", ".tcl", ".py", ".md", "") and f.stat().st_size < 2_000_000:
            assert "\x1b" not in f.read_text(errors="replace"), f


def _table_widths(text):
    return {len(re.findall(r"(?<!\\)\|", ln)) for ln in text.splitlines() if re.match(r"^\|[ -|]+\|$", ln)}


def _run_tcl(prj: Path, hm, tmp: Path):
    from test_board_tcl import TCLSH, make_spec, run_build, run_design

    if TCLSH is None:
        return
    acc = hm.accelerator
    if acc is not None:
        spec = make_spec(acc.board.name, acc.interface, "reprogrammable" if acc.reprogrammable else "embedded")
        r = run_design(spec, tmp / "vivado", tcl=(prj / "design.tcl").read_text(),  # the IP's beats (packing)
                       hls_in_width=acc.in_packing.bus_bits, hls_out_width=acc.out_packing.bus_bits)
        assert r.rc == 0 and not r.violations, r.explain()
        assert_no_marker(tmp / "vivado")
    else:
        from hlsgen.backends.vivado_accelerator.tcl import BlockDesignSpec
        from hlsgen.backends.vivado_accelerator.boards import load_board

        spec = BlockDesignSpec(project_name="myproject", board=load_board("pynq-z2"), top_name="myproject",
                               hls_sources=["firmware/myproject.cpp"], clock_period_ns=5.0)
    r = run_build(spec, tmp / "hls", "vitis_hls", tcl=(prj / "build_prj.tcl").read_text(),
                  part=hm.part)  # the plain backends' part (hls4ml's default, no board) or the board's
    assert r.rc == 0 and not r.violations, r.explain()
    assert_no_marker(tmp / "hls")


FRONTENDS = {"keras": keras_models, "onnx": onnx_models}


@pytest.fixture(scope="module", params=sorted(FRONTENDS))
def frontend(request):
    hostile, plain = FRONTENDS[request.param]()
    return request.param, hostile, plain


@needs_gxx
def test_hostile_names_through_every_output(frontend, tmp_path, monkeypatch):
    """All CONFIGS for one frontend: write, parse, compile, run, compare."""
    from hlsgen.cli import run_testbench

    name, hostile, plain = frontend
    monkeypatch.chdir(tmp_path)  # a payload that ran would touch its marker here
    X = grid(np.random.default_rng(5), (64, 6))
    tried = 0
    for backend, itf, io, w in CONFIGS:
        tag = f"{backend}-{itf}-{io}-{w}"
        hm = _convert(name, hostile, tmp_path / tag / "prj", backend, itf, io, w)
        ref = _convert(name, plain, tmp_path / tag / "ref", backend, itf, io, w)
        prj = hm.write()
        _check_text_files(prj)
        _run_tcl(prj, hm, tmp_path / tag)
        np.testing.assert_array_equal(hm.predict(X), ref.predict(X), err_msg=tag)
        assert " 0 mismatches" in run_testbench(prj, "myproject")
        if itf:
            r = subprocess.run(["make", "-n", "-C", str(prj / "drivers" / "c")], capture_output=True, text=True)
            assert r.returncode in (0, 2), r.stderr  # dry run: only reads the Makefile
        assert_no_marker(tmp_path, prj)
        tried += 1
    assert tried == len(CONFIGS)
    print(f"\n{name}: {len(payloads(name == 'onnx'))} hostile names x {tried} projects, 0 failures")


@needs_gxx
@pytest.mark.parametrize("itf", ["axi_stream", "axi_master", "axi_lite"])
def test_hostile_names_through_both_drivers(frontend, itf, tmp_path, monkeypatch):
    """The C driver (host simulation) and the PYNQ driver (simulated pynq) of a hostile model."""
    import importlib

    from hlsgen.simulation import build_c_host, install_pynq, pynq_model, run_c_host

    name, hostile, plain = frontend
    monkeypatch.chdir(tmp_path)
    X = grid(np.random.default_rng(6), (40, 6))
    hm = _convert(name, hostile, tmp_path / "prj", "VivadoAccelerator", itf, "io_parallel", "reprogrammable",
                  input_data_tb=X)
    hm.compile()
    r = run_c_host(build_c_host(hm.output_dir))
    assert r.returncode == 0 and "RESULT: PASS" in r.stdout, r.stdout + r.stderr
    install_pynq()
    pynq_model.attach(hm.output_dir)
    path = str(hm.output_dir / "drivers" / "python")
    sys.path.insert(0, path)
    try:
        sys.modules.pop("myproject_driver", None)
        drv = importlib.import_module("myproject_driver")
        acc = drv.MyprojectAccelerator(str(hm.output_dir / "myproject.bit"))
        np.testing.assert_array_equal(acc.predict(X), hm.predict(X))
        acc.close()
    finally:
        sys.path.remove(path)
        sys.modules.pop("myproject_driver", None)
    assert_no_marker(tmp_path)
