"""The HLS project of one top function, for any backend: build_prj.tcl (Vivado HLS, Vitis HLS,
vitis-run --tcl) and hls_config.cfg (the Vitis unified flow, v++ -c --mode hls).

``HlsScript`` holds what both files need.  It targets a Xilinx ``part``; a ``board`` is
optional (the plain backend may target any part): with one, build_prj.tcl also refuses the
HLS tools whose part list lacks the board's part (``hls_tools`` of its board file).

hls_config.cfg: from Vitis 2024.2, ``vitis_hls -f`` is deprecated; the unified flow runs C
synthesis with ``v++ -c --mode hls --config hls_config.cfg`` and C simulation, co-simulation
and packaging with ``vitis-run --mode hls --csim|--cosim|--package --config hls_config.cfg``.
The keys are those of UG1399 ("HLS Config File Commands", "Tcl to Config File Command Map"):
``part`` before the ``[hls]`` section, then ``flow_target``, ``clock``, ``syn.*``, ``tb.*``,
``package.*``.  Paths are relative to the project folder, which holds the file: run the tools
from there.  Only a real Vitis run confirms how a given release reads the file.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Sequence

from ..boards import Board
from ..templating import render

HLS_TOOLS = ("auto", "vivado_hls", "vitis_hls")
STEPS = ("reset", "csim", "synth", "cosim", "export")


@dataclass
class HlsScript:
    """Everything build_prj.tcl.j2 and hls_config.cfg need (paths relative to the project)."""
    project_name: str
    part: str
    top_name: str
    ip_vlnv: str
    sources: Sequence[str]
    board: Optional[Board] = None      # the board the part is on, if any
    clock_period_ns: float = 10.0
    hls_tool: str = "auto"             # "auto" detects vivado_hls / vitis_hls at run time
    hls_prj_name: Optional[str] = None  # default f"{project_name}_prj"
    tb_sources: Optional[Sequence[str]] = None  # default {project}_test.cpp
    tb_files: Sequence[str] = ("tb_data",)     # extra testbench files/dirs (csim/cosim)
    cflags: str = "-std=c++0x"
    tb_cflags: str = "-std=c++0x"
    clock_uncertainty: Optional[str] = None    # e.g. "12.5%"; None keeps the tool default
    top_function: Optional[str] = None  # the C++ name set_top gets (default top_name; ns::top in a namespace)
    steps: Dict[str, bool] = field(default_factory=lambda: {
        "reset": True, "csim": True, "synth": True, "cosim": False, "export": True})

    def __post_init__(self):
        if self.hls_tool not in HLS_TOOLS:
            raise ValueError(f"unknown hls_tool {self.hls_tool!r}; valid: {', '.join(HLS_TOOLS)}")
        if not (isinstance(self.clock_period_ns, (int, float)) and self.clock_period_ns > 0
                and math.isfinite(self.clock_period_ns)):
            raise ValueError(f"clock_period_ns must be a positive number, got {self.clock_period_ns!r}")
        unknown = set(self.steps) - set(STEPS)
        if unknown:
            raise ValueError(f"unknown HLS steps {sorted(unknown)}; valid: {', '.join(STEPS)}")
        self.hls_prj_name = self.hls_prj_name or f"{self.project_name}_prj"
        self.top_function = self.top_function or self.top_name
        if self.tb_sources is None:
            self.tb_sources = [f"{self.project_name}_test.cpp"]

    @property
    def target(self) -> str:
        """What the project is for, in words: the board and its part, or the part."""
        return f"board {self.board.name}, part {self.part}" if self.board else f"part {self.part}"


def fmt_number(v: Any) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def fmt_period(p: float) -> str:
    return fmt_number(round(float(p), 6))


# --------------------------------------------------------------------------- build_prj.tcl
def build_context(s: HlsScript) -> Dict[str, Any]:
    vendor, library, name, version = s.ip_vlnv.split(":")
    b = s.board
    return {
        "project_name": s.project_name,
        "target": s.target,
        "top_name": s.top_name,
        "top_function": s.top_function,
        "hls_prj_name": s.hls_prj_name,
        "part": s.part,
        # with a board: only the HLS tools whose part list has its part
        "board_check": [dict(name=b.name, file=b.path.name, tools=list(b.hls_tools))] if b else [],
        "clock_period": fmt_period(s.clock_period_ns),
        "clock_uncertainty": [s.clock_uncertainty] if s.clock_uncertainty else [],
        "hls_tool": s.hls_tool,
        "sources": list(s.sources),
        "tb_sources": list(s.tb_sources),
        "tb_files": list(s.tb_files),
        "cflags": s.cflags,
        "tb_cflags": s.tb_cflags,
        "ip_vendor": vendor, "ip_library": library, "ip_name": name, "ip_version": version,
        "steps": [(k, "1" if s.steps.get(k, False) else "0") for k in STEPS],
    }


def render_build_tcl(s: HlsScript) -> str:
    """build_prj.tcl: the HLS project (vivado_hls 2019.2-2020.1 or vitis_hls 2021.1+)."""
    return render("vivado_accelerator/build_prj.tcl.j2", **build_context(s))


def render_project_tcl(s: HlsScript, backend: str, tool_uncertainty: str) -> str:
    """project.tcl: the settings as Tcl variables (hls4ml's names: part, clock_period,
    clock_uncertainty, ...); ``tool_uncertainty``: what the HLS tool applies when the project
    sets no clock uncertainty."""
    return render("vivado_accelerator/project.tcl.j2", project_name=s.project_name, backend=backend.lower(),
                  part=s.part, clock_period=fmt_period(s.clock_period_ns),
                  clock_uncertainty=s.clock_uncertainty or tool_uncertainty,
                  uncertainty_given=bool(s.clock_uncertainty))


# --------------------------------------------------------------------------- hls_config.cfg
_SAFE = re.compile(r"^[^\n\r#]*$")


def _value(v) -> str:
    s = str(v)
    if not _SAFE.match(s) or s != s.strip():
        raise ValueError(f"cannot write {s!r} as an hls_config.cfg value")
    return s


def unified_work_dir(s: HlsScript) -> str:
    """--work_dir of the v++/vitis-run commands: the packaged IP lands in <work_dir>/hls/impl/ip."""
    return s.hls_prj_name


def render_hls_config(s: HlsScript) -> str:
    vendor, library, _name, version = s.ip_vlnv.split(":")
    w = unified_work_dir(s)
    lines = [
        f"# Generated by hlsgen: the HLS project of build_prj.tcl ({s.project_name}, "
        f"{f'board {s.board.name}' if s.board else f'part {_value(s.part)}'})",
        "# for the Vitis unified flow (2023.2 and later; from 2024.2 the replacement of vitis_hls -f).",
        "# Run from this folder (paths below are relative to it):",
        f"#   v++ -c --mode hls --config hls_config.cfg --work_dir {w}                  # C synthesis",
        f"#   vitis-run --mode hls --csim --config hls_config.cfg --work_dir {w}        # C simulation",
        f"#   vitis-run --mode hls --cosim --config hls_config.cfg --work_dir {w}       # C/RTL co-simulation",
        f"#   vitis-run --mode hls --package --config hls_config.cfg --work_dir {w}     # IP for Vivado",
        f"# The packaged IP is then in {w}/hls/impl/ip, where design.tcl also looks for it.",
        f"part={_value(s.part)}",
        "",
        "[hls]",
        "flow_target=vivado",
        f"clock={fmt_period(s.clock_period_ns)}ns",
    ]
    if s.clock_uncertainty:
        lines.append(f"clock_uncertainty={_value(s.clock_uncertainty)}")
    lines.append(f"syn.top={_value(s.top_function)}")
    lines += [f"syn.file={_value(f)}" for f in s.sources]
    lines.append(f"syn.cflags={_value(s.cflags)}")
    lines += [f"tb.file={_value(f)}" for f in list(s.tb_sources) + list(s.tb_files)]
    lines.append(f"tb.cflags={_value(s.tb_cflags)}")
    lines += [
        "# 64-bit m_axi offsets, as build_prj.tcl sets: the register map of registers.json assumes them",
        "syn.interface.m_axi_addr64=1",
        "package.output.format=ip_catalog",
        f"package.ip.vendor={_value(vendor)}",
        f"package.ip.library={_value(library)}",
        f"package.ip.version={_value(version)}",
    ]
    return "\n".join(lines) + "\n"
