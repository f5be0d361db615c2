"""Vivado (HLS) backend: the lowered graph (:mod:`hlsgen.lowering`) -> the files of the HLS
project: firmware, C simulation side, build scripts, README."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ...csim import abi
from ...escape import Code
from ...lowering import ArrayDecl, LayerCode, ProjectCode, format_values  # noqa: F401  (also the backends' API)
from ...templating import TEMPLATES, render
from ...writer import CopyFrom
from ..hls_script import HlsScript, render_build_tcl, render_hls_config, render_project_tcl

AP_TYPES_DIR = TEMPLATES / "ap_types"
NNET_DIR = TEMPLATES / "nnet_utils"


def values_macro(var: str) -> str:
    """The macro holding a weight array's values in its header (write_weights_txt=False)."""
    return f"HLSGEN_VALUES_{var.upper()}"


def weights_file(code: ProjectCode, var: str) -> str:
    """The file holding a weight array's values: its .txt, or its header (write_weights_txt=False,
    on the line ``#define HLSGEN_VALUES_<VAR> v, v, ...``)."""
    return f"firmware/weights/{var}.txt" if code.weights_txt else f"firmware/weights/{var}.h"


def firmware_files(code: ProjectCode, strategy_dataflow: bool, reprogrammable: bool = False, synth_top: bool = True,
                   pipeline_ii: int | None = None):
    """The HLS firmware: top function, typedefs, configs, weights, and the C++ libraries.
    ``synth_top``: the network function is the synthesis top (backend 'Vivado'); under an
    accelerator top it is a sub-function, which must carry no INTERFACE pragmas.
    ``pipeline_ii``: the II of a pipelined (not DATAFLOW) network function, or None."""
    p = code.project
    ctx = code.context(dataflow=strategy_dataflow, reprogrammable=reprogrammable, synth_top=synth_top,
                       pipeline_ii=pipeline_ii)
    files = [
        (f"firmware/{p}.cpp", render("firmware/myproject.cpp.j2", **ctx)),
        (f"firmware/{p}.h", render("firmware/myproject.h.j2", **ctx)),
        ("firmware/defines.h", render("firmware/defines.h.j2", **ctx)),
        ("firmware/parameters.h", render("firmware/parameters.h.j2", **ctx)),
        ("firmware/hlsgen_trace.h", render("firmware/hlsgen_trace.h.j2", **ctx)),
    ]
    for lc in code.layers:
        for arr in lc.weights + lc.tables:
            values, macro = Code(format_values(arr.values)), Code(values_macro(arr.var))
            if code.weights_txt:
                files.append((f"firmware/weights/{arr.var}.txt", values + "\n"))
            init = Code(f'#include "{arr.var}.txt"') if code.weights_txt else macro
            files.append((f"firmware/weights/{arr.var}.h", render(
                "firmware/weight.h.j2", a=arr, layer=lc, values=None if code.weights_txt else values,
                values_macro=macro, init=init)))
    for d, sub in ((AP_TYPES_DIR, "ap_types"), (NNET_DIR, "nnet_utils")):
        for f in sorted(Path(d).glob("*.h")):
            files.append((f"firmware/{sub}/{f.name}", CopyFrom(f)))
    return files


def csim_files(code: ProjectCode, tb_inputs: list, tb_expected: list, tb_reference, accel_ctx=None,
               accel_desc=None, board: str | None = None):
    """The C-simulation side: bridge for Python, testbench, its data, and the manifest (which
    names the ``board``). With ``accel_ctx`` the bridge and the testbench also drive the accelerator top."""
    from ...saturation import model_output, output_name

    p = code.project
    ctx = dict(accel_ctx) if accel_ctx else code.context(accel=False)
    files = [
        (f"{p}_bridge.cpp", render("myproject_bridge.cpp.j2", **ctx)),
        (f"{p}_test.cpp", render("myproject_test.cpp.j2", has_reference=tb_reference is not None, **ctx)),
    ]

    def dat(arrays):
        rows = np.concatenate([a.reshape(a.shape[0], -1) for a in arrays], axis=1)
        return "\n".join(" ".join(repr(float(v)) for v in row) for row in rows) + "\n"

    files.append(("tb_data/tb_input_features.dat", dat(tb_inputs)))
    files.append(("tb_data/tb_expected_csim.dat", dat(tb_expected)))
    if tb_reference is not None:
        files.append(("tb_data/tb_output_predictions.dat", dat(tb_reference)))
    meta = dict(
        project=p,
        abi=abi.VERSION,
        inputs=[dict(name=i["source_name"], shape=i["shape"], size=i["size"], precision=i["precision"])
                for i in code.inputs],
        outputs=[dict(shape=o["shape"], size=o["size"], precision=o["precision"]) for o in code.outputs],
        weights=[dict(id=n, var=a.var, file=weights_file(code, a.var), size=a.size, layer=a.layer, key=a.key,
                      kind=a.kind, precision=a.precision)
                 for n, a in enumerate(code.weights)],
        trace=[dict(id=lc.slot, name=lc.layer.source_name, aliases=list(lc.layer.aliases), output=output_name(lc.layer),
                    model_output=model_output(code.graph, lc.layer), kind=lc.layer.kind, **({} if lc.is_view else {"precision": str(lc.layer.types["result"])}),
                    shape=list(code.graph.tensors[lc.layer.outputs[0]].shape), size=lc.out_size)
               for lc in code.layers],
        tb_samples=int(tb_inputs[0].shape[0]),
        board=board,
        accelerator=accel_desc,
    )
    files.append(("hlsgen_meta.json", json.dumps(meta, indent=1) + "\n"))
    return files


def build_files(code: ProjectCode, part: str, board, clock_period: float, hls_tool: str = "auto",
                clock_uncertainty: str | None = None, backend: str = "Vivado") -> list:
    """build_prj.tcl (and hls_config.cfg, the same for the Vitis unified flow) for the bare network
    top (backend 'Vivado'): HLS csim/synth/cosim/export for ``part`` (on ``board``, if one is given);
    project.tcl, the same settings as Tcl variables."""
    from ...model_config import tool_uncertainty

    p = code.project
    s = HlsScript(project_name=p, part=part, board=board, top_name=p, ip_vlnv=f"xilinx.com:hls:{p}:1.0",
                  sources=[f"firmware/{p}.cpp"], clock_period_ns=float(clock_period), hls_tool=hls_tool,
                  clock_uncertainty=clock_uncertainty,
                  top_function=f"{code.namespace}::{p}" if code.namespace else None)
    return [("build_prj.tcl", render_build_tcl(s)), ("hls_config.cfg", render_hls_config(s)),
            ("project.tcl", render_project_tcl(s, backend, tool_uncertainty(backend, hls_tool)))]


def project_readme(code: ProjectCode, board: str | None, part: str, accel_desc: dict | None, estimate=None) -> str:
    """The generated project's README: what is in it and how to build and check it, for
    ``part`` (on ``board``, if there is one)."""
    rows = []
    for i in code.inputs:
        rows.append(("input", i["source_name"], i["shape"], i["precision"], "", ""))
    for lc in code.layers:
        t = code.graph.tensors[lc.layer.outputs[0]]
        mac = lc.layer.plan(code.graph, code.io_type).style == "mac"
        rows.append((lc.layer.kind, lc.layer.source_name, list(t.shape), str(t.type), lc.layer.cfg.reuse_factor,
                     lc.layer.cfg.strategy if mac else ""))
    t = estimate.total if estimate is not None else None
    summary = (f"{t['dsp']:,} DSP, {t['lut']:,} LUT, {t['ff']:,} FF, {t['bram_18k']:,} BRAM_18K; latency "
               f"{t['latency_max']:,} cycles, interval {t['ii']:,} cycles at {t['clock_ns']:g} ns") if t else "none"
    return render("project_README.md.j2", project=code.project, io_type=code.io_type, rows=rows, estimate=summary,
                  accel=accel_desc, board=board, part=part)
