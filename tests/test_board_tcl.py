"""Boards as data, the Vivado block-design Tcl and the HLS build Tcl.

Each generated script runs under a real ``tclsh`` with recording stand-ins for the
Vivado / HLS commands (tests/tcl_standins/).  The stand-ins model the IP cells' pins
from their configuration (independently of the board files), check that every cell,
pin and interface the script touches exists when it is touched, and that the part
and board_part used are the board file's.  Negative tests show the checker fails.
"""
from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from hlsgen.backends.vivado_accelerator import boards as boards_mod  # noqa: E402
from hlsgen.backends.vivado_accelerator.boards import (  # noqa: E402
    Board, available_boards, boards_dir, check_part, load_board, load_board_file)
from hlsgen.backends.vivado_accelerator.tcl import (  # noqa: E402
    BlockDesignSpec, INTERFACES, design_context, hls_ip_interfaces, render_build_tcl,
    render_design_tcl)

STANDINS = Path(__file__).resolve().parent / "tcl_standins"
TCLSH = shutil.which("tclsh")
needs_tclsh = pytest.mark.skipif(TCLSH is None, reason="tclsh not installed (apt-get install tcl)")

BOARDS = ["pynq-z2", "pynq-z1", "ultra96v2", "zcu102", "zcu104", "kv260"]
WEIGHTS = ["embedded", "reprogrammable"]
EXPECTED_PARTS = {
    "pynq-z2": "xc7z020clg400-1",
    "pynq-z1": "xc7z020clg400-1",
    "ultra96v2": "xczu3eg-sbva484-1-i",
    "zcu102": "xczu9eg-ffvb1156-2-e",
    "zcu104": "xczu7ev-ffvc1156-2-e",
    "kv260": "xck26-sfvc784-2LV-c",
}


# --------------------------------------------------------------------------- harness
def _tcl_word(v) -> str:
    s = str(v)
    if re.fullmatch(r"[A-Za-z0-9_.:/+%=-]+", s):
        return s
    assert "{" not in s and "}" not in s and "\\" not in s, s
    return "{" + s + "}"


def _tcl_dict(d: dict) -> str:
    parts = []
    for k, v in d.items():
        if isinstance(v, dict):
            v = " ".join(f"{_tcl_word(a)} {_tcl_word(b)}" for a, b in v.items())
            parts.append(f"{k} {{{v}}}")
        else:
            parts.append(f"{k} {_tcl_word(v)}")
    return "[dict create " + " ".join(parts) + "]"


@dataclasses.dataclass
class Run:
    rc: int
    stdout: str
    stderr: str
    records: list

    @property
    def calls(self):
        return [r[1:] for r in self.records if r[0] == "CALL"]

    @property
    def violations(self):
        return [r[1] for r in self.records if r[0] == "VIOLATION"]

    @property
    def errors(self):
        return [r[1] for r in self.records if r[0] == "ERROR"]

    def called(self, name):
        return [c[1:] for c in self.calls if c[0] == name]

    def explain(self):
        return (f"rc={self.rc}\nviolations={self.violations}\nerrors={self.errors}\n"
                f"stderr:\n{self.stderr[-3000:]}")


def _run_tcl(workdir: Path, cfg: dict, prelude: str, script: Path, argv=(), argv0=None, env=None) -> Run:
    log = workdir / "standin.log"
    cfg = dict(cfg, log=str(log))
    lines = [f"set ::standin_cfg {_tcl_dict(cfg)}",
             f"source {{{STANDINS / 'common.tcl'}}}",
             f"source {{{STANDINS / prelude}}}",
             "set ::argv [list " + " ".join("{" + a + "}" for a in argv) + "]",
             f"set ::argc {len(argv)}"]
    if argv0:
        lines.append(f"set ::argv0 {{{argv0}}}")
    lines.append(f"::standin::run_script {{{script}}}")
    driver = workdir / f"driver_{script.stem}.tcl"
    driver.write_text("\n".join(lines) + "\n")
    full_env = {k: v for k, v in os.environ.items() if k not in ("HLSGEN_HLS_TOOL", "XILINX_HLS")}
    full_env.update(env or {})
    p = subprocess.run([TCLSH, str(driver)], cwd=workdir, capture_output=True, text=True,
                       timeout=60, env=full_env)
    records = []
    if log.exists():
        for line in log.read_text(encoding="utf-8").splitlines():
            records.append([f.replace("\x1e", "\n") for f in line.split("\x1f")])
    return Run(p.returncode, p.stdout, p.stderr, records)


def _design_cfg(spec: BlockDesignSpec, workdir: Path, **over) -> dict:
    b = spec.board
    ip_repo = workdir / spec.ip_repo
    ip_repo.mkdir(parents=True, exist_ok=True)          # as if the HLS export had run
    cfg = {
        "part": b.part,
        "board_part": b.board_part,
        "board_parts": {b.board_part: b.part},
        "hls_vlnv": spec.ip_vlnv,
        "hls_ip_repo": str(ip_repo),
        "hls_interface": spec.interface,
        "hls_reprogrammable": int(spec.reprogrammable),
        "hls_in_width": spec.in_width,
        "hls_out_width": spec.out_width,
        "pl_clock_mhz": spec.pl_clock_mhz,
        "vivado_version": max("2020.1", b.min_vivado),   # a release that has the board
        "ps_version": "3.3",
        "fail_run": "",
    }
    cfg.update(over)
    return cfg


def run_design(spec: BlockDesignSpec, workdir: Path, tcl: str = None, argv=(), **cfg_over) -> Run:
    workdir.mkdir(parents=True, exist_ok=True)
    script = workdir / "design.tcl"
    script.write_text(tcl if tcl is not None else render_design_tcl(spec))
    return _run_tcl(workdir, _design_cfg(spec, workdir, **cfg_over), "vivado.tcl", script, argv=argv)


def run_build(spec: BlockDesignSpec, workdir: Path, tool: str, argv=("tool=%s",), tcl: str = None,
              argv0=None, env=None, make_tb_data=True, **cfg_over) -> Run:
    workdir.mkdir(parents=True, exist_ok=True)
    for f in list(spec.hls_sources) + list(spec.hls_tb_sources):
        (workdir / f).parent.mkdir(parents=True, exist_ok=True)
        (workdir / f).write_text("// stand-in source\n")
    if make_tb_data:
        (workdir / "tb_data").mkdir(exist_ok=True)
    script = workdir / "build_prj.tcl"
    script.write_text(tcl if tcl is not None else render_build_tcl(spec))
    cfg = {"tool": tool, "part": spec.board.part, "top": spec.top_name,
           "period": spec.clock_period_ns, "fail_step": ""}
    cfg.update(cfg_over)
    argv = [a % tool if "%s" in a else a for a in argv]
    return _run_tcl(workdir, cfg, "hls.tcl", script, argv=argv, argv0=argv0, env=env)


def make_spec(board="pynq-z2", interface="axi_stream", weights="embedded", **kw) -> BlockDesignSpec:
    return BlockDesignSpec(project_name="myproject", board=load_board(board), interface=interface,
                           reprogrammable=(weights == "reprogrammable"), **kw)


# --------------------------------------------------------------------------- boards
def test_available_boards(monkeypatch):
    monkeypatch.delenv("HLSGEN_BOARDS_DIR", raising=False)
    assert set(available_boards()) == set(BOARDS)
    assert boards_dir() == REPO / "boards"


@pytest.mark.parametrize("name", BOARDS)
def test_board_facts(name):
    b = load_board(name)
    assert b.name == name and b.part == EXPECTED_PARTS[name]
    assert b.family in ("zynq", "zynquplus")
    assert b.board_part.count(":") == 3 and re.fullmatch(r"\d+\.\d+", b.board_part.split(":")[-1])
    if b.family == "zynq":
        assert b.ps.vlnv == "xilinx.com:ip:processing_system7" and b.ps.version == "5.5"
        assert (b.control.port, b.memory.port) == ("M_AXI_GP0", "S_AXI_HP0")
        assert "PCW_USE_S_AXI_HP0" in b.memory.enable
    else:
        assert b.ps.vlnv == "xilinx.com:ip:zynq_ultra_ps_e" and b.ps.version.startswith("3.")
        assert (b.control.port, b.memory.port) == ("M_AXI_HPM0_FPD", "S_AXI_HP0_FPD")
        assert "PSU__USE__S_AXI_GP2" in b.memory.enable
    text = b.path.read_text()
    assert "sources:" in text


def test_specific_board_parts():
    assert load_board("pynq-z2").board_part == "tul.com.tw:pynq-z2:part0:1.0"
    assert load_board("pynq-z1").board_part == "www.digilentinc.com:pynq-z1:part0:1.0"
    assert load_board("ultra96v2").board_part == "avnet.com:ultra96v2:part0:1.2"
    assert load_board("zcu104").board_part == "xilinx.com:zcu104:part0:1.1"
    kv = load_board("kv260")
    assert kv.board_part.startswith("xilinx.com:kv260_som:part0:")
    assert "kv260_carrier:som240_1_connector" in kv.board_connections
    assert "-1-e" in load_board("ultra96v2").path.read_text()   # says what Ultra96 v1 is


@pytest.mark.parametrize("alias,name", [("PYNQ-Z2", "pynq-z2"), ("pynqz2", "pynq-z2"), ("Pynq_Z1", "pynq-z1"),
                                        ("Ultra96", "ultra96v2"), ("ULTRA96-V2", "ultra96v2"),
                                        ("ZCU102", "zcu102"), ("kria-kv260", "kv260"), (" zcu104 ", "zcu104")])
def test_aliases_case_insensitive(alias, name):
    assert load_board(alias).name == name


def test_aliases_unique():
    seen = {}
    for n in available_boards():
        for a in set(load_board(n).aliases) | {n}:
            assert a not in seen or seen[a] == n, f"alias {a} in {seen[a]} and {n}"
            seen[a] = n


def test_unknown_board_lists_valid():
    with pytest.raises(ValueError) as e:
        load_board("zedboard")
    msg = str(e.value)
    assert "zedboard" in msg
    for n in BOARDS:
        assert n in msg


def test_check_part():
    b = load_board("pynq-z2")
    assert check_part(b, None) == b.part
    assert check_part(b, "XC7Z020CLG400-1") == b.part
    with pytest.raises(ValueError) as e:
        check_part(b, "xczu9eg-ffvb1156-2-e")
    assert "xczu9eg-ffvb1156-2-e" in str(e.value) and "xc7z020clg400-1" in str(e.value)
    u = load_board("ultra96v2")
    with pytest.raises(ValueError, match="xczu3eg-sbva484-1-e"):
        check_part(u, "xczu3eg-sbva484-1-e")           # an Ultra96 v1 part is refused


def _copy_boards(tmp_path) -> Path:
    d = tmp_path / "boards"
    shutil.copytree(REPO / "boards", d)
    return d


def test_schema_unknown_key(tmp_path):
    d = _copy_boards(tmp_path)
    f = d / "pynq-z2.yml"
    f.write_text(f.read_text() + "clock_mhz: 100\n")
    with pytest.raises(ValueError) as e:
        load_board("pynq-z2", directory=d)
    assert "pynq-z2.yml" in str(e.value) and "clock_mhz" in str(e.value)


def test_schema_unknown_nested_key_in_base(tmp_path):
    d = _copy_boards(tmp_path)
    f = d / "_zynquplus.yml"
    f.write_text(f.read_text().replace("  cell: zynq_ultra_ps_e_0", "  cel: zynq_ultra_ps_e_0"))
    with pytest.raises(ValueError) as e:
        load_board("zcu102", directory=d)
    assert "zcu102.yml" in str(e.value) and "ps.cel" in str(e.value)


def test_schema_missing_key(tmp_path):
    d = _copy_boards(tmp_path)
    f = d / "zcu104.yml"
    f.write_text(re.sub(r"^board_part:.*\n", "", f.read_text(), flags=re.M))
    with pytest.raises(ValueError) as e:
        load_board("zcu104", directory=d)
    assert "zcu104.yml" in str(e.value) and "board_part" in str(e.value)


def test_schema_wrong_type(tmp_path):
    d = _copy_boards(tmp_path)
    f = d / "kv260.yml"
    f.write_text(f.read_text() + "apply_board_preset: maybe\n")
    with pytest.raises(ValueError, match="apply_board_preset"):
        load_board("kv260", directory=d)


def test_boards_dir_env(tmp_path, monkeypatch):
    d = _copy_boards(tmp_path)
    (d / "zcu104.yml").unlink()
    monkeypatch.setenv("HLSGEN_BOARDS_DIR", str(d))
    assert boards_dir() == d
    assert "zcu104" not in available_boards()


def test_part_numbers_only_in_board_files():
    """The part number lives only in boards/*.yml (not in code or templates)."""
    roots = [REPO / "hlsgen" / "backends" / "vivado_accelerator", REPO / "hlsgen" / "templates" / "vivado_accelerator"]
    for root in roots:
        for f in root.rglob("*"):
            if f.is_file() and f.suffix in (".py", ".j2", ".tcl"):
                text = f.read_text().lower()
                for part in set(EXPECTED_PARTS.values()):
                    assert part.lower() not in text, f"{part} hard-coded in {f}"


def test_templates_have_no_logic_but_loops():
    for name in ("design.tcl.j2", "build_prj.tcl.j2"):
        text = (REPO / "hlsgen" / "templates" / "vivado_accelerator" / name).read_text()
        tags = re.findall(r"{%-?\s*(\w+)", text)
        assert set(tags) <= {"for", "endfor"}, (name, set(tags))


# --------------------------------------------------------------------------- spec
def test_spec_defaults_follow_contract():
    s = make_spec()
    assert s.top_name == "myproject_axi"
    assert s.ip_vlnv == "xilinx.com:hls:myproject_axi:1.0"
    assert s.ip_repo == "myproject_prj/solution1/impl/ip"
    assert s.pl_clock_mhz == 100
    assert make_spec(clock_period_ns=8).pl_clock_mhz == 125
    assert hls_ip_interfaces("axi_master", True) == {
        "s_axi_control": ("axilite", "slave"), "m_axi_gmem_in": ("aximm", "master"),
        "m_axi_gmem_out": ("aximm", "master"), "m_axi_gmem_w": ("aximm", "master")}


@pytest.mark.parametrize("kw,match", [
    ({"interface": "axi_full"}, "axi_stream, axi_master, axi_lite"),
    ({"hls_tool": "catapult"}, "vivado_hls"),
    ({"in_width": 12}, "multiple of 8"),
    ({"in_width": 24}, "DMA"),
    ({"clock_period_ns": 0}, "positive"),
    ({"dma_length_width": 30}, "8..26"),
    ({"ip_vlnv": "xilinx.com:hls:other:1.0"}, "top"),
    ({"steps": {"vsynth": True}}, "vsynth"),
])
def test_spec_rejects(kw, match):
    base = {"interface": "axi_stream"}
    base.update(kw)
    with pytest.raises(ValueError, match=match):
        BlockDesignSpec(project_name="myproject", board=load_board("pynq-z2"), **base)


def test_spec_accepts_board_name_and_24bit_master():
    s = BlockDesignSpec(project_name="p", board="ultra96", interface="axi_master", in_width=24)
    assert s.board.name == "ultra96v2"


def test_strict_undefined():
    import jinja2
    from hlsgen.backends.templating import render
    ctx = design_context(make_spec())
    del ctx["ps_props"]
    with pytest.raises(jinja2.UndefinedError):
        render("vivado_accelerator/design.tcl.j2", **ctx)


# --------------------------------------------------------------------------- design.tcl matrix
MATRIX = [(b, i, w) for b in BOARDS for i in INTERFACES for w in WEIGHTS]


@needs_tclsh
@pytest.mark.parametrize("board,interface,weights", MATRIX,
                         ids=[f"{b}-{i}-{w}" for b, i, w in MATRIX])
def test_design_tcl_runs(tmp_path, board, interface, weights):
    spec = make_spec(board, interface, weights)
    # alternate the Vivado release so both hw_handoff locations are exercised (on boards that 2020.1 has)
    old_ok = spec.board.min_vivado <= "2020.1"
    version = "2022.2" if (BOARDS.index(board) + INTERFACES.index(interface)) % 2 or not old_ok else "2020.1"
    r = run_design(spec, tmp_path, vivado_version=version, argv=("jobs=3",))
    assert r.rc == 0 and not r.violations and not r.errors, r.explain()
    b = spec.board
    # the part and board_part used are the board file's
    cp = r.called("create_project")
    assert len(cp) == 1 and cp[0][cp[0].index("-part") + 1] == b.part
    bp = [c for c in r.called("set_property") if c[0] == "board_part"]
    assert [c[1] for c in bp] == [b.board_part]
    conns = [c for c in r.called("set_property") if c[0] == "board_connections"]
    assert [c[1] for c in conns] == ([b.board_connections] if b.board_connections else [])
    # the accelerator came from the catalog under its contract VLNV
    assert ["-type", "ip", "-vlnv", spec.ip_vlnv, "myproject_axi_0"] in r.called("create_bd_cell")
    # every bus interface of the accelerator is connected
    connected = " ".join(" ".join(c) for c in r.called("connect_bd_intf_net"))
    for port in hls_ip_interfaces(interface, spec.reprogrammable):
        assert f"myproject_axi_0/{port}" in connected
    # the DMA exists exactly for axi_stream; the HP port only when something uses memory
    assert ("axi_dma_0" in connected) == (interface == "axi_stream")
    uses_mem = interface != "axi_lite" or spec.reprogrammable
    assert (b.memory.port in connected) == uses_mem
    # order: addresses, validation, wrapper, bitstream
    names = [c[0] for c in r.calls]
    wait = "wait_on_runs" if version >= "2021.2" else "wait_on_run"
    assert names.index("assign_bd_address") < names.index("validate_bd_design") \
        < names.index("make_wrapper") < names.index("launch_runs") < names.index(wait)
    lr = r.called("launch_runs")[0]
    assert lr[:3] == ["impl_1", "-to_step", "write_bitstream"] and lr[lr.index("-jobs") + 1] == "3"
    # .bit and .hwh side by side, named after the project
    for ext in ("bit", "hwh", "xsa"):
        assert (tmp_path / f"myproject.{ext}").is_file(), ext


@needs_tclsh
@pytest.mark.parametrize("version", ["2019.2", "2020.1", "2020.2", "2021.2", "2023.1"])
def test_design_hwh_location_by_version(tmp_path, version):
    r = run_design(make_spec("zcu104", "axi_master"), tmp_path, vivado_version=version)
    assert r.rc == 0, r.explain()
    sub = "gen" if version >= "2020.2" else "srcs"
    assert (tmp_path / "myproject_vivado" / f"myproject_vivado.{sub}").is_dir()
    assert (tmp_path / "myproject.hwh").is_file()


@needs_tclsh
def test_design_output_dir_and_bitfile0(tmp_path):
    spec = make_spec("pynq-z2", "axi_lite", output_dir="hw")
    r = run_design(spec, tmp_path)
    assert r.rc == 0, r.explain()
    assert (tmp_path / "hw" / "myproject.bit").is_file() and (tmp_path / "hw" / "myproject.hwh").is_file()
    r = run_design(spec, tmp_path / "again", argv=("bitfile=0",))
    assert r.rc == 0, r.explain()
    assert not r.called("launch_runs") and r.called("make_wrapper")


@needs_tclsh
def test_design_newer_ps_version_falls_back(tmp_path):
    r = run_design(make_spec("kv260"), tmp_path, ps_version="3.5")
    assert r.rc == 0, r.explain()
    assert "using xilinx.com:ip:zynq_ultra_ps_e:3.5" in r.stdout


@needs_tclsh
def test_design_older_board_version_falls_back(tmp_path):
    spec = make_spec("zcu102")
    r = run_design(spec, tmp_path, board_parts={"xilinx.com:zcu102:part0:3.3": spec.board.part},
                   board_part="xilinx.com:zcu102:part0:3.3")
    assert r.rc == 0, r.explain()
    assert "using xilinx.com:zcu102:part0:3.3" in r.stdout


@needs_tclsh
def test_design_alternate_board_name(tmp_path):
    """An alternate board_part (older name of the same board files) is tried after the current one."""
    d = _copy_boards(tmp_path)
    f = d / "zcu104.yml"
    f.write_text(f.read_text() + "board_part_alternates: [xilinx.com:zcu104_old:part0:1.0]\n")
    spec = BlockDesignSpec("myproject", load_board("zcu104", directory=d), interface="axi_lite")
    r = run_design(spec, tmp_path / "run", board_parts={"xilinx.com:zcu104_old:part0:1.0": spec.board.part},
                   board_part="xilinx.com:zcu104_old:part0:1.0")
    assert r.rc == 0, r.explain()


@needs_tclsh
def test_design_ultra96v2_does_not_take_the_em_avnet_1_0_files(tmp_path):
    """em.avnet.com:ultra96v2:part0:1.0 carries xczu3eg-sbva484-1-e: never an alternate of the V2's -1-i."""
    spec = make_spec("ultra96v2")
    assert spec.board.board_part_alternates == ()
    assert "em.avnet.com" not in render_design_tcl(spec)
    r = run_design(spec, tmp_path, board_parts={"em.avnet.com:ultra96v2:part0:1.0": "xczu3eg-sbva484-1-e"},
                   board_part="em.avnet.com:ultra96v2:part0:1.0")
    assert r.rc != 0
    assert "avnet.com:ultra96v2:part0:1.2 (ultra96v2) are not installed" in r.stderr


@needs_tclsh
@pytest.mark.parametrize("board", ["ultra96v2", "zcu104", "kv260"])
def test_design_unlocks_the_pl_clock_before_setting_it(tmp_path, board):
    """Avnet's Ultra96-V2 preset sets PSU__OVERRIDE__BASIC_CLOCK=1, which makes the PS ignore a
    requested PL0 frequency: the override goes to 0, on its own, before the frequency is set."""
    spec = make_spec(board, "axi_stream", clock_period_ns=20)
    r = run_design(spec, tmp_path)
    assert r.rc == 0 and not r.violations and not r.errors, r.explain()
    props = [(k, v) for c in r.called("set_property") if c[0] == "-dict"
             for k, v in zip(c[1].split()[::2], c[1].split()[1::2])]
    keys = [k for k, _ in props]
    assert ("CONFIG.PSU__OVERRIDE__BASIC_CLOCK", "0") in props
    assert ("CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ", "50") in props
    assert keys.index("CONFIG.PSU__OVERRIDE__BASIC_CLOCK") < keys.index("CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ")
    unlock = [c for c in r.called("set_property") if "PSU__OVERRIDE__BASIC_CLOCK" in c[1]]
    assert len(unlock) == 1 and unlock[0][1].split() == ["CONFIG.PSU__OVERRIDE__BASIC_CLOCK", "0"]


@needs_tclsh
def test_negative_locked_pl_clock_is_caught(tmp_path):
    """Without the unlock the stand-in PS keeps the preset's 100 MHz and validation fails."""
    d = _copy_boards(tmp_path)
    f = d / "_zynquplus.yml"
    f.write_text(re.sub(r"^  unlock:.*\n", "", f.read_text(), flags=re.M))
    spec = BlockDesignSpec("myproject", load_board("ultra96v2", directory=d), interface="axi_lite",
                           clock_period_ns=20)
    assert "PSU__OVERRIDE__BASIC_CLOCK" not in render_design_tcl(spec)
    r = run_design(spec, tmp_path / "run")
    assert r.rc != 0
    assert any("FREQMHZ is '100', want 50" in v and "ignored" in v for v in r.violations), r.explain()


@needs_tclsh
@pytest.mark.parametrize("version,ok", [("2021.2", False), ("2020.1", False), ("2022.1", True), ("2023.2.1", True)])
def test_design_kv260_needs_vivado_2022_1(tmp_path, version, ok):
    """The kv260_carrier 1.3 board file first ships with Vivado 2022.1: older releases stop at once."""
    r = run_design(make_spec("kv260", "axi_lite"), tmp_path, vivado_version=version)
    if ok:
        assert r.rc == 0 and not r.violations, r.explain()
        return
    assert r.rc != 0
    assert f"hlsgen: board kv260 needs Vivado 2022.1 or later (see kv260.yml); this is Vivado {version}" in r.stderr
    assert r.called("create_project") == []


@needs_tclsh
def test_design_finds_the_ip_of_the_unified_flow(tmp_path):
    """v++ -c --mode hls / vitis-run --package with hls_config.cfg put the IP in <work_dir>/hls/impl/ip."""
    spec = make_spec("zcu104", "axi_master")
    unified = tmp_path / "myproject_prj" / "hls" / "impl" / "ip"
    unified.mkdir(parents=True)
    (unified / "component.xml").write_text("<stand-in/>")
    r = run_design(spec, tmp_path, hls_ip_repo=str(unified))
    assert r.rc == 0 and not r.violations, r.explain()
    assert r.called("update_ip_catalog") and (tmp_path / "myproject.bit").is_file()


HLS_CONFIG_KEYS = {"part", "flow_target", "clock", "clock_uncertainty", "syn.top", "syn.file", "syn.cflags", "tb.file",
                   "tb.cflags", "syn.interface.m_axi_addr64", "package.output.format", "package.ip.vendor",
                   "package.ip.library", "package.ip.version"}  # UG1399 "HLS Config File Commands"


def parse_hls_config(text: str):
    """(global keys, [hls] keys) of an hls_config.cfg: {key: [values]}, comments skipped."""
    sections, cur = {"": {}}, ""
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            cur = line.strip("[]")
            sections[cur] = {}
            continue
        k, v = line.split("=", 1)
        sections[cur].setdefault(k, []).append(v)
    return sections


@pytest.mark.parametrize("board,interface,weights", [("pynq-z2", "axi_stream", "embedded"),
                                                     ("kv260", "axi_master", "reprogrammable"),
                                                     ("ultra96v2", "axi_lite", "embedded")])
def test_hls_config_describes_the_build_script(board, interface, weights):
    from hlsgen.backends.vivado_accelerator.hls_config import render_hls_config

    spec = make_spec(board, interface, weights, clock_period_ns=4, clock_uncertainty="12.5%")
    cfg = parse_hls_config(render_hls_config(spec))
    assert set(cfg) == {"", "hls"}
    assert cfg[""] == {"part": [spec.board.part]}
    hls = cfg["hls"]
    assert set(hls) <= HLS_CONFIG_KEYS, set(hls) - HLS_CONFIG_KEYS
    assert hls["flow_target"] == ["vivado"] and hls["clock"] == ["4ns"] and hls["clock_uncertainty"] == ["12.5%"]
    assert hls["syn.top"] == ["myproject_axi"]
    assert hls["syn.file"] == ["firmware/myproject.cpp", "firmware/myproject_axi.cpp"]
    assert hls["tb.file"] == ["myproject_test.cpp", "tb_data"]
    assert hls["syn.cflags"] == [spec.hls_cflags] and hls["syn.interface.m_axi_addr64"] == ["1"]
    assert (hls["package.output.format"], hls["package.ip.vendor"], hls["package.ip.library"],
            hls["package.ip.version"]) == (["ip_catalog"], ["xilinx.com"], ["hls"], ["1.0"])


# --------------------------------------------------------------------------- design.tcl failures
@needs_tclsh
def test_design_missing_board_files_is_an_error(tmp_path):
    r = run_design(make_spec("pynq-z2"), tmp_path, board_parts={"xilinx.com:zcu102:part0:3.4": "xczu9eg-ffvb1156-2-e"})
    assert r.rc != 0
    assert "tul.com.tw:pynq-z2:part0:1.0" in r.stderr and "not installed" in r.stderr


@needs_tclsh
def test_design_board_part_with_other_part_is_an_error(tmp_path):
    spec = make_spec("ultra96v2")
    r = run_design(spec, tmp_path, board_parts={spec.board.board_part: "xczu3eg-sbva484-1-e"})
    assert r.rc != 0
    assert "xczu3eg-sbva484-1-e" in r.stderr and "xczu3eg-sbva484-1-i" in r.stderr


@needs_tclsh
@pytest.mark.parametrize("run", ["synth_1", "impl_1"])
def test_design_failed_run_names_its_log(tmp_path, run):
    r = run_design(make_spec("pynq-z2"), tmp_path, fail_run=run)
    assert r.rc != 0
    assert f"run {run} failed" in r.stderr
    assert str(tmp_path / "myproject_vivado" / "myproject_vivado.runs" / run / "runme.log") in r.stderr
    assert not (tmp_path / "myproject.bit").exists()


@needs_tclsh
def test_design_hls_ip_not_exported_is_an_error(tmp_path):
    spec = make_spec("pynq-z2")
    r = run_design(spec, tmp_path, hls_ip_repo=str(tmp_path / "elsewhere"))
    assert r.rc != 0 and "build_prj.tcl export=1" in r.stderr


# negative tests: a broken spec / board / script must make the harness fail
@needs_tclsh
def test_negative_nonexistent_interface(tmp_path):
    spec = make_spec("pynq-z2", "axi_stream")
    tcl = render_design_tcl(spec).replace("myproject_axi_0/in_stream", "myproject_axi_0/in_strm")
    r = run_design(spec, tmp_path, tcl=tcl)
    assert r.rc != 0
    assert any("in_strm" in v and "no such intf pin" in v for v in r.violations), r.explain()


@needs_tclsh
def test_negative_spec_interface_differs_from_ip(tmp_path):
    spec = make_spec("zcu104", "axi_master")
    r = run_design(spec, tmp_path, hls_interface="axi_stream")     # the IP was built for streams
    assert r.rc != 0
    assert any("m_axi_gmem_in" in v for v in r.violations), r.explain()


@needs_tclsh
def test_negative_stream_width_mismatch(tmp_path):
    spec = make_spec("pynq-z2", "axi_stream", in_width=64)
    r = run_design(spec, tmp_path, hls_in_width=32)
    assert r.rc != 0
    assert any("64 bits wide" in v or "is 32" in v for v in r.violations), r.explain()


@needs_tclsh
def test_negative_board_with_misspelled_ps_property(tmp_path):
    d = _copy_boards(tmp_path)
    f = d / "_zynquplus.yml"
    f.write_text(f.read_text().replace("PSU__USE__S_AXI_GP2: 1", "PSU__USE__S_AXI_HP0: 1"))
    spec = BlockDesignSpec("myproject", load_board("zcu102", directory=d), interface="axi_master")
    r = run_design(spec, tmp_path / "run")
    assert r.rc != 0
    assert any("PSU__USE__S_AXI_HP0" in v for v in r.violations), r.explain()


@needs_tclsh
def test_negative_board_with_wrong_port_name(tmp_path):
    d = _copy_boards(tmp_path)
    f = d / "_zynq7000.yml"
    f.write_text(f.read_text().replace("clock: S_AXI_HP0_ACLK", "clock: S_AXI_HP1_ACLK"))
    spec = BlockDesignSpec("myproject", load_board("pynq-z2", directory=d), interface="axi_stream")
    r = run_design(spec, tmp_path / "run")
    assert r.rc != 0
    assert any("S_AXI_HP1_ACLK" in v for v in r.violations), r.explain()


@needs_tclsh
def test_negative_missing_ps_port_disable(tmp_path):
    """ZynqMP presets turn HPM1_FPD on; leaving it on leaves its clock undriven."""
    d = _copy_boards(tmp_path)
    f = d / "_zynquplus.yml"
    f.write_text(f.read_text().replace("ps_disable: {PSU__USE__M_AXI_GP1: 0, PSU__USE__M_AXI_GP2: 0}",
                                       "ps_disable: {}"))
    spec = BlockDesignSpec("myproject", load_board("ultra96v2", directory=d), interface="axi_lite")
    r = run_design(spec, tmp_path / "run")
    assert r.rc != 0
    assert any("maxihpm1_fpd_aclk" in v for v in r.violations), r.explain()


@needs_tclsh
def test_negative_wrong_clock(tmp_path):
    spec = make_spec("pynq-z2", clock_period_ns=5)
    r = run_design(spec, tmp_path, pl_clock_mhz=100)
    assert r.rc != 0 and any("FREQMHZ" in v for v in r.violations), r.explain()


@needs_tclsh
def test_negative_set_property_on_missing_cell(tmp_path):
    spec = make_spec("pynq-z2")
    tcl = render_design_tcl(spec).replace("[get_bd_cells axi_dma_0]", "[get_bd_cells axi_dma_1]")
    r = run_design(spec, tmp_path, tcl=tcl)
    assert r.rc != 0 and any("axi_dma_1" in v for v in r.violations), r.explain()


# --------------------------------------------------------------------------- build_prj.tcl
BUILD_MATRIX = [(b, i, w, t) for b in BOARDS for i in INTERFACES for w in WEIGHTS
                for t in ("vivado_hls", "vitis_hls")]


@needs_tclsh
@pytest.mark.parametrize("board,interface,weights,tool", BUILD_MATRIX,
                         ids=[f"{b}-{i}-{w}-{t}" for b, i, w, t in BUILD_MATRIX])
def test_build_tcl_runs(tmp_path, board, interface, weights, tool):
    spec = make_spec(board, interface, weights, clock_period_ns=5)
    r = run_build(spec, tmp_path, tool)
    if tool not in spec.board.hls_tools:  # the K26 parts are not in vivado_hls: refused before any project
        assert r.rc == 1 and f"board {board} (part {spec.board.part}) cannot be built with {tool}" in r.stderr
        assert r.called("open_project") == [] and r.called("set_part") == []
        return
    assert r.rc == 0 and not r.violations and not r.errors, r.explain()
    names = [c[0] for c in r.calls]
    assert names[:2] == ["open_project", "set_top"]
    assert r.called("set_top") == [["myproject_axi"]]
    assert r.called("set_part") == [[spec.board.part]]
    assert r.called("create_clock") == [["-period", "5", "-name", "default"]]
    sol = r.called("open_solution")[0]
    assert (("-flow_target" in sol) == (tool == "vitis_hls"))
    ce = r.called("config_export")[0]
    assert ce[ce.index("-vendor") + 1] == "xilinx.com" and ce[ce.index("-library") + 1] == "hls"
    assert names.index("csim_design") < names.index("csynth_design") < names.index("export_design")
    assert "cosim_design" not in names
    assert (tmp_path / "myproject_prj" / "solution1" / "impl" / "ip" / "component.xml").is_file()
    assert f"running under {tool}" in r.stdout


@needs_tclsh
@pytest.mark.parametrize("tool", ["vivado_hls", "vitis_hls"])
def test_build_steps_from_arguments(tmp_path, tool):
    spec = make_spec("pynq-z2")
    r = run_build(spec, tmp_path, tool, argv=(f"tool={tool} csim=0 synth=1 cosim=1 export=0",))
    assert r.rc == 0, r.explain()
    names = [c[0] for c in r.calls]
    assert "csim_design" not in names and "export_design" not in names
    assert names.index("csynth_design") < names.index("cosim_design")


@needs_tclsh
@pytest.mark.parametrize("tool,how", [("vitis_hls", "argv0"), ("vivado_hls", "argv0"),
                                      ("vitis_hls", "env"), ("vivado_hls", "env"), ("vitis_hls", "xilinx_hls")])
def test_build_detects_tool(tmp_path, tool, how):
    spec = make_spec("ultra96v2")
    kw = {}
    if how == "argv0":
        kw["argv0"] = f"/opt/Xilinx/{'Vitis_HLS/2022.2' if tool == 'vitis_hls' else 'Vivado/2020.1'}/bin/{tool}"
    elif how == "env":
        kw["env"] = {"HLSGEN_HLS_TOOL": tool}
    else:
        kw["env"] = {"XILINX_HLS": "/opt/Xilinx/Vitis_HLS/2023.1"}
    r = run_build(spec, tmp_path, tool, argv=("csim=1 synth=1",), **kw)
    assert r.rc == 0, r.explain()
    assert f"running under {tool}" in r.stdout


@needs_tclsh
def test_build_undetectable_tool_fails(tmp_path):
    r = run_build(make_spec("pynq-z2"), tmp_path, "vivado_hls", argv=("synth=1",))
    assert r.rc == 1 and "tool=vivado_hls or tool=vitis_hls" in r.stderr


@needs_tclsh
@pytest.mark.parametrize("step", ["csim_design", "csynth_design", "export_design"])
@pytest.mark.parametrize("tool", ["vivado_hls", "vitis_hls"])
def test_build_failure_exits_nonzero(tmp_path, tool, step):
    r = run_build(make_spec("zcu102", "axi_master"), tmp_path, tool, fail_step=step)
    assert r.rc == 1 and f"({step}) failed" in r.stderr, r.explain()
    assert ["exit", "1"] in r.calls


@needs_tclsh
def test_build_cosim_fails_without_synthesis(tmp_path):
    r = run_build(make_spec("pynq-z2"), tmp_path, "vitis_hls", argv=("tool=vitis_hls csim=0 synth=0 cosim=1",))
    assert r.rc == 1 and "co-simulation" in r.stderr


@needs_tclsh
def test_build_unknown_argument_fails(tmp_path):
    r = run_build(make_spec("pynq-z2"), tmp_path, "vivado_hls", argv=("tool=vivado_hls cosmi=1",))
    assert r.rc == 1 and "cosmi" in r.stderr


@needs_tclsh
def test_build_clock_uncertainty_and_optional_tb_data(tmp_path):
    spec = make_spec("kv260", clock_uncertainty="12.5%")
    r = run_build(spec, tmp_path, "vitis_hls")
    assert r.rc == 0, r.explain()
    assert r.called("set_clock_uncertainty") == [["12.5%"]]
    assert ["-tb", "tb_data"] in r.called("add_files")
    r = run_build(spec, tmp_path / "no_tb_data", "vitis_hls", make_tb_data=False)
    assert r.rc == 0, r.explain()
    assert ["-tb", "tb_data"] not in r.called("add_files")


# negative tests for the HLS stand-ins
@needs_tclsh
def test_negative_vitis_script_under_vivado_hls(tmp_path):
    """The vitis flow's -flow_target is unknown to vivado_hls: the stand-in must catch it."""
    r = run_build(make_spec("pynq-z2"), tmp_path, "vivado_hls", argv=("tool=vitis_hls",))
    assert r.rc != 0 and any("-flow_target" in v for v in r.violations), r.explain()


@needs_tclsh
def test_negative_vivado_flow_under_vitis_hls(tmp_path):
    r = run_build(make_spec("pynq-z2"), tmp_path, "vitis_hls", argv=("tool=vivado_hls",))
    assert r.rc != 0 and any("flow_target vivado" in v for v in r.violations), r.explain()


@needs_tclsh
def test_negative_wrong_part_in_build(tmp_path):
    spec = make_spec("pynq-z2")
    r = run_build(spec, tmp_path, "vitis_hls", part=load_board("zcu102").part)
    assert r.rc != 0 and any("set_part xc7z020clg400-1" in v for v in r.violations), r.explain()


@needs_tclsh
def test_negative_missing_source_file(tmp_path):
    spec = make_spec("pynq-z2")
    tcl = render_build_tcl(spec).replace("firmware/myproject_axi.cpp", "firmware/nothere.cpp")
    r = run_build(spec, tmp_path, "vivado_hls", tcl=tcl)
    assert r.rc != 0 and any("nothere.cpp" in v for v in r.violations), r.explain()
