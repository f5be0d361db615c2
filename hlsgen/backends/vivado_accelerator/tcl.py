"""Vivado block-design Tcl and HLS build Tcl for the VivadoAccelerator backend.

``BlockDesignSpec`` holds everything the two templates need.  Python decides the
block design (cells, properties, connections) from the spec and the board file;
the templates only print it (text and loops).

The accelerator IP contract (the HLS top written by the accelerator backend):
top ``{project}_axi`` exported as ``xilinx.com:hls:{project}_axi:1.0`` from
``{project}_prj/solution1/impl/ip``, with clock ``ap_clk``, reset ``ap_rst_n``,
``interrupt`` and AXI-Lite ``s_axi_control``; plus by interface:

* ``axi_stream``: AXI4-Stream slave ``in_stream`` and master ``out_stream``, fed
  by an AXI DMA in simple mode;
* ``axi_master``: AXI4 masters ``m_axi_gmem_in`` and ``m_axi_gmem_out``;
* ``axi_lite``: nothing more;
* ``reprogrammable`` weights add AXI4 master ``m_axi_gmem_w``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ... import escape
from ...boards import Board, load_board
from .. import hls_script
from ..hls_script import HLS_TOOLS, STEPS
from .interfaces import interface_for, interface_names
from .interfaces.axi_stream import AXI_DMA_VLNV, DMA_LENGTH_WIDTH, DMA_STREAM_WIDTHS
from ...templating import render

__all__ = [
    "BlockDesignSpec", "render_design_tcl", "render_build_tcl",
    "design_context", "hls_ip_interfaces",
    "INTERFACES", "HLS_TOOLS", "DMA_STREAM_WIDTHS", "DMA_LENGTH_WIDTH", "XILINX_IP",
]

INTERFACES = interface_names()
# Xilinx catalog IP used besides the PS; versions current from Vivado 2019.2 to 2023.x
# (design.tcl takes the newest in the catalog if one of these is missing).
XILINX_IP = {
    "axi_dma": AXI_DMA_VLNV,
    "axi_interconnect": "xilinx.com:ip:axi_interconnect:2.1",
    "smartconnect": "xilinx.com:ip:smartconnect:1.0",
    "proc_sys_reset": "xilinx.com:ip:proc_sys_reset:5.0",
    "xlconcat": "xilinx.com:ip:xlconcat:2.1",
}

def tcl_word(value: Any) -> str:
    """One Tcl word holding ``value`` literally (see :func:`hlsgen.escape.tcl_word`)."""
    return escape.tcl_word(value)


# --------------------------------------------------------------------------- spec
@dataclass
class BlockDesignSpec:
    """Everything design.tcl.j2 and build_prj.tcl.j2 need.

    Paths (``ip_repo``, ``output_dir``, ``vivado_dir``) are relative to the directory of
    the generated script unless absolute, so a project can be moved.
    """
    project_name: str
    board: Board
    interface: str = "axi_stream"
    reprogrammable: bool = False
    in_width: int = 32                 # bits per beat/word on the input bus (multiple of 8)
    out_width: int = 32
    clock_period_ns: float = 10.0
    top_name: Optional[str] = None     # default f"{project_name}_axi"
    ip_vlnv: Optional[str] = None      # default f"xilinx.com:hls:{top_name}:1.0"
    ip_repo: Optional[str] = None      # default f"{project_name}_prj/solution1/impl/ip"
    output_dir: str = "."              # where <output_name>.bit / .hwh (/.xsa) are copied
    output_name: Optional[str] = None  # default project_name
    vivado_dir: Optional[str] = None   # default f"{project_name}_vivado"
    bd_name: Optional[str] = None      # default f"{project_name}_bd"
    jobs: int = 2                      # launch_runs -jobs default (argv jobs=N overrides)
    dma_length_width: int = DMA_LENGTH_WIDTH  # AXI DMA buffer length register width (bits)
    # HLS build script
    hls_tool: str = "auto"             # "auto" detects vivado_hls / vitis_hls at run time
    hls_prj_name: Optional[str] = None  # default f"{project_name}_prj"
    hls_sources: Optional[Sequence[str]] = None      # default firmware/{project}.cpp, {top}.cpp
    hls_tb_sources: Optional[Sequence[str]] = None   # default {project}_test.cpp
    hls_tb_files: Sequence[str] = ("tb_data",)       # extra testbench files/dirs (csim/cosim)
    hls_cflags: str = "-std=c++0x"
    hls_tb_cflags: str = "-std=c++0x"
    clock_uncertainty: Optional[str] = None          # e.g. "12.5%"; None keeps the tool default
    steps: Dict[str, bool] = field(default_factory=lambda: {
        "reset": True, "csim": True, "synth": True, "cosim": False, "export": True})

    def __post_init__(self):
        if isinstance(self.board, str):
            self.board = load_board(self.board)
        if not isinstance(self.board, Board):
            raise TypeError(f"board must be a Board or a board name, got {type(self.board).__name__}")
        if not isinstance(self.project_name, str) or not self.project_name.isidentifier():
            raise ValueError(f"project_name must be a C identifier, got {self.project_name!r}")
        itf = interface_for(self.interface)  # an unknown name is an error listing the valid ones
        self.interface = itf.name
        if self.hls_tool not in HLS_TOOLS:
            raise ValueError(f"unknown hls_tool {self.hls_tool!r}; valid: {', '.join(HLS_TOOLS)}")
        self.reprogrammable = bool(self.reprogrammable)
        for name in ("in_width", "out_width"):
            w = getattr(self, name)
            if not isinstance(w, int) or isinstance(w, bool) or w <= 0 or w % 8:
                raise ValueError(f"{name} must be a positive multiple of 8 bits, got {w!r}")
            itf.check_bus_width(name, w)
        if not (isinstance(self.clock_period_ns, (int, float)) and self.clock_period_ns > 0
                and math.isfinite(self.clock_period_ns)):
            raise ValueError(f"clock_period_ns must be a positive number, got {self.clock_period_ns!r}")
        if not 8 <= int(self.dma_length_width) <= 26:
            raise ValueError(f"dma_length_width must be 8..26 bits (AXI DMA), got {self.dma_length_width}")
        if int(self.jobs) < 1:
            raise ValueError(f"jobs must be >= 1, got {self.jobs}")
        unknown = set(self.steps) - set(STEPS)
        if unknown:
            raise ValueError(f"unknown HLS steps {sorted(unknown)}; valid: {', '.join(STEPS)}")
        p = self.project_name
        self.top_name = self.top_name or f"{p}_axi"
        self.ip_vlnv = self.ip_vlnv or f"xilinx.com:hls:{self.top_name}:1.0"
        if len(self.ip_vlnv.split(":")) != 4:
            raise ValueError(f"ip_vlnv must be vendor:library:name:version, got {self.ip_vlnv!r}")
        if self.ip_vlnv.split(":")[2] != self.top_name:
            raise ValueError(f"ip_vlnv {self.ip_vlnv!r}: the IP name must be the HLS top {self.top_name!r} "
                             "(HLS names the exported IP after its top function)")
        self.hls_prj_name = self.hls_prj_name or f"{p}_prj"
        self.ip_repo = self.ip_repo or f"{self.hls_prj_name}/solution1/impl/ip"
        self.output_name = self.output_name or p
        self.vivado_dir = self.vivado_dir or f"{p}_vivado"
        self.bd_name = self.bd_name or f"{p}_bd"
        if self.hls_sources is None:
            self.hls_sources = [f"firmware/{p}.cpp", f"firmware/{self.top_name}.cpp"]
        if self.hls_tb_sources is None:
            self.hls_tb_sources = [f"{p}_test.cpp"]

    @property
    def pl_clock_mhz(self) -> float:
        """PL clock asked of the PS clock generator, from the HLS clock period."""
        return round(1000.0 / float(self.clock_period_ns), 3)

    @property
    def part(self) -> str:
        return self.board.part

    @property
    def bus_interface(self):
        """The interface object (``interfaces/``)."""
        return interface_for(self.interface)

    def hls_script(self) -> hls_script.HlsScript:
        """The HLS project of the accelerator top (build_prj.tcl, hls_config.cfg)."""
        return hls_script.HlsScript(
            project_name=self.project_name, part=self.board.part, board=self.board, top_name=self.top_name,
            ip_vlnv=self.ip_vlnv, sources=self.hls_sources, clock_period_ns=self.clock_period_ns,
            hls_tool=self.hls_tool, hls_prj_name=self.hls_prj_name, tb_sources=self.hls_tb_sources,
            tb_files=self.hls_tb_files, cflags=self.hls_cflags, tb_cflags=self.hls_tb_cflags,
            clock_uncertainty=self.clock_uncertainty, steps=self.steps)


# --------------------------------------------------------------------------- IP contract
def hls_ip_interfaces(interface: str, reprogrammable: bool) -> Dict[str, Tuple[str, str]]:
    """Bus interfaces of the accelerator IP: name -> (kind, mode).

    kind is ``aximm``, ``axilite`` or ``axis``; mode ``master`` or ``slave``.
    """
    ports = {"s_axi_control": ("axilite", "slave")}
    ports.update(interface_for(interface).ip_ports())
    if reprogrammable:
        ports["m_axi_gmem_w"] = ("aximm", "master")
    return ports


# --------------------------------------------------------------------------- design context
_fmt = hls_script.fmt_number


def _props(d: Dict[str, Any]) -> List[Tuple[str, str]]:
    return [(k, _fmt(v)) for k, v in d.items()]


def _interconnect(kind: str, cell: str, n_si: int, n_mi: int, comment: str) -> Dict[str, Any]:
    """Cell dict plus its pin names for an AXI Interconnect or a SmartConnect."""
    si = [f"{cell}/S{i:02d}_AXI" for i in range(n_si)]
    mi = [f"{cell}/M{i:02d}_AXI" for i in range(n_mi)]
    if kind == "axi_interconnect":
        clocks = [f"{cell}/ACLK"] + [f"{cell}/S{i:02d}_ACLK" for i in range(n_si)] \
            + [f"{cell}/M{i:02d}_ACLK" for i in range(n_mi)]
        # ARESETN resets the crossbar (interconnect_aresetn); port resets take peripheral_aresetn
        ic_resets = [f"{cell}/ARESETN"]
        port_resets = [f"{cell}/S{i:02d}_ARESETN" for i in range(n_si)] \
            + [f"{cell}/M{i:02d}_ARESETN" for i in range(n_mi)]
    else:
        clocks = [f"{cell}/aclk"]
        ic_resets = [f"{cell}/aresetn"]
        port_resets = []
    return {
        "name": cell, "vlnv": XILINX_IP[kind], "comment": comment,
        "props": [("NUM_SI", str(n_si)), ("NUM_MI", str(n_mi))],
        "si": si, "mi": mi, "clocks": clocks, "ic_resets": ic_resets, "port_resets": port_resets,
    }


def design_context(spec: BlockDesignSpec) -> Dict[str, Any]:
    """Everything design.tcl.j2 prints: cells, properties, connections, paths."""
    b = spec.board
    ps = b.ps.cell
    hls = f"{spec.top_name}_0"
    rst = "rst_pl_clk0"
    itf = spec.bus_interface.block_design(spec, hls)  # what the bus interface adds (interfaces/)

    # which bus masters need DDR through the PS slave port
    mem_masters: List[Tuple[str, str]] = list(itf.memory_masters)  # (interface pin, its clock pin)
    if spec.reprogrammable:
        mem_masters.append((f"{hls}/m_axi_gmem_w", None))
    ctrl_slaves = [f"{hls}/s_axi_control"] + itf.control_slaves
    irq_sources = [f"{hls}/interrupt"] + itf.interrupts

    mem = b.memory if mem_masters else None

    # PS configuration: ports we use on, preset extras off, PL clock frequency
    ps_props: Dict[str, Any] = {}
    ps_props.update(b.ps_disable)
    ps_props.update(b.control.enable)
    if mem is not None:
        ps_props.update(mem.enable)
    ps_props.update(b.pl_clock.enable)
    ps_props[b.pl_clock.freq_property] = spec.pl_clock_mhz
    ps_props.update(b.reset.enable)
    ps_props.update(b.interrupt.enable)

    cells: List[Dict[str, Any]] = []
    cells.append({"name": rst, "vlnv": XILINX_IP["proc_sys_reset"], "props": [],
                  "comment": "reset synchronised to the PL clock"})
    cells.append({"name": hls, "vlnv": spec.ip_vlnv, "props": [],
                  "comment": f"the accelerator ({spec.interface}"
                             f"{', reprogrammable weights' if spec.reprogrammable else ''})"})
    cells += [dict(c) for c in itf.cells]
    ctrl_ic = _interconnect(b.interconnect, "ctrl_interconnect", 1, len(ctrl_slaves),
                            f"control path: PS {b.control.port} -> AXI-Lite registers")
    cells.append(ctrl_ic)
    ics = [ctrl_ic]
    mem_ic = None
    if mem is not None:
        mem_ic = _interconnect(b.interconnect, "mem_interconnect", len(mem_masters), 1,
                               f"data path: memory masters -> PS {mem.port} ({mem.data_width} bits)")
        cells.append(mem_ic)
        ics.append(mem_ic)
    cells.append({"name": "irq_concat", "vlnv": XILINX_IP["xlconcat"],
                  "props": [("NUM_PORTS", str(len(irq_sources)))],
                  "comment": f"interrupts -> PS {b.interrupt.pin}"})

    intf_nets: List[Dict[str, str]] = []
    intf_nets.append({"a": f"{ps}/{b.control.port}", "b": ctrl_ic["si"][0]})
    for mi, slave in zip(ctrl_ic["mi"], ctrl_slaves):
        intf_nets.append({"a": mi, "b": slave})
    intf_nets += itf.bus_nets
    if mem_ic is not None:
        for (master, _), si in zip(mem_masters, mem_ic["si"]):
            intf_nets.append({"a": master, "b": si})
        intf_nets.append({"a": mem_ic["mi"][0], "b": f"{ps}/{mem.port}"})

    clk = f"{ps}/{b.pl_clock.pin}"
    clock_sinks = [f"{ps}/{b.control.clock}"]
    if mem is not None:
        clock_sinks.append(f"{ps}/{mem.clock}")
    clock_sinks += [f"{rst}/slowest_sync_clk", f"{hls}/ap_clk"]
    clock_sinks += itf.clocks
    for ic in ics:
        clock_sinks += ic["clocks"]
    periph_resets = [f"{hls}/ap_rst_n"] + itf.resets
    for ic in ics:
        periph_resets += ic["port_resets"]
    ic_resets = [p for ic in ics for p in ic["ic_resets"]]

    nets = [
        {"comment": f"one clock: PS {b.pl_clock.pin} at {_fmt(spec.pl_clock_mhz)} MHz",
         "pins": [clk] + clock_sinks},
        {"comment": "PS reset into the reset synchroniser", "pins": [f"{ps}/{b.reset.pin}", f"{rst}/ext_reset_in"]},
        {"comment": "peripheral resets", "pins": [f"{rst}/peripheral_aresetn"] + periph_resets},
        {"comment": "interconnect resets", "pins": [f"{rst}/interconnect_aresetn"] + ic_resets},
        {"comment": "interrupts", "pins": [f"irq_concat/dout", f"{ps}/{b.interrupt.pin}"]},
    ]
    for i, src in enumerate(irq_sources):
        nets.append({"comment": "", "pins": [src, f"irq_concat/In{i}"]})

    # properties that must be set on their own before the PL clock frequency (see the board file)
    ps_unlock = [{"comment": f"before the PL clock frequency: {', '.join(f'{k}={v}' for k, v in b.pl_clock.unlock.items())} "
                             "(a board preset may lock the PL clocks)", "props": _props(b.pl_clock.unlock)}
                 ] if b.pl_clock.unlock else []

    preset = []
    if b.apply_board_preset:
        cfg = f'apply_board_preset "1"'
        if b.ps.make_external:
            cfg = f'make_external "{b.ps.make_external}" {cfg} Master "Disable" Slave "Disable"'
        preset.append({"rule": b.ps.automation_rule, "config": cfg})
    elif b.ps.make_external:
        preset.append({"rule": b.ps.automation_rule,
                       "config": f'make_external "{b.ps.make_external}" apply_board_preset "0" '
                                 f'Master "Disable" Slave "Disable"'})

    for c in cells:
        c["prop_blocks"] = [c["props"]] if c["props"] else []
    for n in nets:
        n["comments"] = [n["comment"]] if n["comment"] else []

    return {
        "project_name": spec.project_name,
        "board_name": b.name,
        "board_file": b.path.name,
        "interface": spec.interface,
        "reprogrammable": "yes" if spec.reprogrammable else "no",
        "part": b.part,
        "min_vivado": b.min_vivado,
        "board_part": b.board_part,
        "board_part_candidates": [b.board_part] + list(b.board_part_alternates),
        "board_connections": [b.board_connections] if b.board_connections else [],
        "vivado_dir": spec.vivado_dir,
        "vivado_project": f"{spec.project_name}_vivado",
        "bd_name": spec.bd_name,
        "ip_repo": spec.ip_repo,
        # where the HLS IP may be: the Tcl flow's solution, else the unified flow's component (hls_config.cfg)
        "ip_repos": [spec.ip_repo] + ([f"{spec.hls_prj_name}/hls/impl/ip"]
                                      if spec.ip_repo == f"{spec.hls_prj_name}/solution1/impl/ip" else []),
        "ip_vlnv": spec.ip_vlnv,
        "output_dir": spec.output_dir,
        "output_name": spec.output_name,
        "jobs": int(spec.jobs),
        "pl_clock_mhz": _fmt(spec.pl_clock_mhz),
        "ps": {"cell": ps, "vlnv": b.ps.full_vlnv},
        "ps_preset": preset,
        "ps_unlock": ps_unlock,
        "ps_props": _props(ps_props),
        "cells": cells,
        "intf_nets": intf_nets,
        "nets": nets,
    }


def render_design_tcl(spec: BlockDesignSpec) -> str:
    """design.tcl: block design, bitstream, and .bit/.hwh copied side by side."""
    return render("vivado_accelerator/design.tcl.j2", **design_context(spec))


# --------------------------------------------------------------------------- HLS build script
def render_build_tcl(spec: BlockDesignSpec) -> str:
    """build_prj.tcl of the accelerator top (:mod:`hlsgen.backends.hls_script`)."""
    return hls_script.render_build_tcl(spec.hls_script())
