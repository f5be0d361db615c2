"""VivadoAccelerator backend: the Vivado project plus an accelerator top with bus
interfaces, HLS and Vivado build scripts for a board, and the interface description
(registers.json / registers.md) that the drivers are generated from."""
from __future__ import annotations

import json
import re

from ...templating import render
from .interface import AcceleratorOptions, check_bus_types, describe, resolve_options  # noqa: F401
from .hls_config import render_hls_config
from .tcl import BlockDesignSpec, render_build_tcl, render_design_tcl


def _with_offsets(items):
    out, off = [], 0
    for it in items:
        out.append(dict(it, offset=off))
        off += it["size"]
    return out


def top_args(opts: AcceleratorOptions, n_in: int, n_out: int, n_weights: int, tb_samples: int):
    """(declarations, pragmas) of the top function, in s_axilite register order: the
    interface's data arguments (``interfaces/``), then the weight port.

    The m_axi ``depth`` is what C/RTL co-simulation models of each buffer: the testbench
    sends all its samples in one call, so it is sized for them (it does not limit hardware).
    """
    itf = opts.bus_interface
    args, pragmas = itf.data_args(opts.in_packing.beats(n_in), opts.out_packing.beats(n_out), tb_samples)
    if opts.reprogrammable:
        args += ["const w_word_t* weights", "bool load_weights"]
        pragmas += [f"INTERFACE m_axi port=weights offset=slave bundle=gmem_w depth={max(n_weights, 1)}",
                    "INTERFACE s_axilite port=weights bundle=control",
                    "INTERFACE s_axilite port=load_weights bundle=control"]
    args.append("unsigned* cycles")  # an output register: start-to-done cycles of the last run
    pragmas.append("INTERFACE s_axilite port=cycles bundle=control")
    pragmas.append("INTERFACE s_axilite port=return bundle=control")
    return [dict(decl=a, name=re.search(r"(\w+)\s*(\[[^\]]*\])?$", a).group(1)) for a in args], pragmas


def context(code, opts: AcceleratorOptions, tb_samples: int = 1, timing: dict | None = None,
            dataflow: bool = False) -> dict:
    weights, off = [], 0
    if opts.reprogrammable:
        for w in code.weights:
            if w.kind == "weight":
                weights.append(dict(var=w.var, type=w.type, size=w.size, offset=off))
                off += w.size
    n_in, n_out = sum(i["size"] for i in code.inputs), sum(o["size"] for o in code.outputs)
    args, pragmas = top_args(opts, n_in, n_out, off, tb_samples)
    ctx = code.context(
        accel=True, interface=opts.interface, itf=opts.bus_interface, reprogrammable=opts.reprogrammable,
        in_bus=opts.input_type, out_bus=opts.output_type, w_bus=opts.weights_type,
        n_in=n_in, n_out=n_out, n_weight_words=off, args=args, pragmas=pragmas, tb_samples=tb_samples,
        pin=opts.in_packing, pout=opts.out_packing, pipelined=opts.pipelined, dataflow=dataflow,
        timing=dict(timing or dict(ii=1, latency=1)))
    ctx["wport"] = weights
    ctx["inputs"] = _with_offsets(code.inputs)
    ctx["outputs"] = _with_offsets(code.outputs)
    return ctx


def spec(code, opts: AcceleratorOptions, hls_tool: str = "auto", clock_uncertainty=None) -> BlockDesignSpec:
    return BlockDesignSpec(
        project_name=code.project, board=opts.board, interface=opts.interface,
        reprogrammable=opts.reprogrammable, in_width=opts.in_packing.bus_bits,
        out_width=opts.out_packing.bus_bits, clock_period_ns=opts.clock_period, hls_tool=hls_tool,
        clock_uncertainty=clock_uncertainty,
        hls_cflags="-std=c++0x -DHLSGEN_REPROGRAMMABLE_WEIGHTS" if opts.reprogrammable else "-std=c++0x",
        hls_tb_cflags="-std=c++0x -DHLSGEN_REPROGRAMMABLE_WEIGHTS" if opts.reprogrammable else "-std=c++0x",
    )


def accelerator_files(code, opts: AcceleratorOptions, tb_samples: int = 1, timing: dict | None = None,
                      dataflow: bool = False, hls_tool: str = "auto", clock_uncertainty=None):
    """Top, host-side runner, build scripts and the interface description. ``timing``: the
    estimated ``ii``/``latency`` of the top (the C simulation's model cycle count)."""
    p = code.project
    ctx = context(code, opts, tb_samples, timing, dataflow)
    desc = describe(code, opts, timing)
    s = spec(code, opts, hls_tool, clock_uncertainty)
    return [
        (f"firmware/{p}_axi.h", render("vivado_accelerator/myproject_axi.h.j2", **ctx)),
        (f"firmware/{p}_axi.cpp", render("vivado_accelerator/myproject_axi.cpp.j2", **ctx)),
        (f"{p}_axi_host.h", render("vivado_accelerator/myproject_axi_host.h.j2", **ctx)),
        ("build_prj.tcl", render_build_tcl(s)),
        ("hls_config.cfg", render_hls_config(s)),
        ("design.tcl", render_design_tcl(s)),
        ("registers.json", json.dumps(desc, indent=1) + "\n"),
        ("registers.md", render("vivado_accelerator/registers.md.j2", d=desc)),
    ], ctx, desc
