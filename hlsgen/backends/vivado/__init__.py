"""Vivado (HLS) backend: IR graph -> list of project files.

Every C++ name is generated here from layer indices (``layer3_out``, ``config3``,
``w3``), never from the names in the user's model, which appear only in comments.
The layer's own templates (``Layer.cpp_config_tpl``/``cpp_call_tpl``) get the names
through the context built in ``layer_context``.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...escape import Code
from ...writer import CopyFrom
from ..templating import TEMPLATES, render, render_string

AP_TYPES_DIR = TEMPLATES / "ap_types"
NNET_DIR = TEMPLATES / "nnet_utils"


@dataclass
class ArrayDecl:
    """A constant array of the project: a weight (loadable at run time) or a table."""

    var: str
    type: str  # C++ typedef name
    values: np.ndarray
    layer: str
    key: str
    kind: str = "weight"  # or "table" (a constant the user never reprograms)
    precision: str = ""  # the element type, as a type string

    @property
    def size(self) -> int:
        return int(self.values.size)


@dataclass
class LayerCode:
    index: int
    layer: object
    config: str
    call: str
    typedefs: list  # (name, cpp type)
    out_var: str
    out_size: int
    source_name: str
    is_view: bool
    weights: list = field(default_factory=list)
    tables: list = field(default_factory=list)
    types: dict = field(default_factory=dict)  # type key -> C++ typedef name
    wvars: dict = field(default_factory=dict)  # weight key -> variable
    tbvars: dict = field(default_factory=dict)  # table name -> variable


def format_values(values: np.ndarray) -> str:
    """Exact decimal text for values on a binary grid (repr round-trips doubles)."""
    flat = np.asarray(values, dtype=np.float64).ravel()
    return ", ".join(repr(float(v)) for v in flat)


class ProjectCode:
    """The C++ view of a typed graph: names, typedefs, configs and calls per layer."""

    def __init__(self, graph, project: str, io_type: str = "io_parallel"):
        self.graph = graph
        self.project = Code(project)  # a checked C identifier (convert._check_options)
        self.io_type = io_type
        self.var = {}  # tensor -> C++ variable
        self.tname = {}  # tensor -> C++ type name
        self.inputs = []
        for i, gi in enumerate(graph.inputs):
            t = graph.tensors[gi.tensor]
            self.var[gi.tensor] = f"input{i}"
            self.tname[gi.tensor] = f"input{i}_t"
            self.inputs.append(
                dict(var=f"input{i}", type=f"input{i}_t", cpp=t.type.cpp(), size=t.size, shape=list(t.shape),
                     name=gi.name, source_name=gi.source_name, precision=str(t.type), size_macro=f"N_INPUT{i}")
            )
        self.layers = [self._layer(k, lay) for k, lay in enumerate(graph.layers, start=1)]
        self.outputs = []
        for j, tensor in enumerate(graph.outputs):
            t = graph.tensors[tensor]
            self.outputs.append(
                dict(var=f"output{j}", type=f"result{j}_t", cpp=t.type.cpp(), size=t.size, shape=list(t.shape),
                     src=self.var[tensor], precision=str(t.type), size_macro=f"N_OUTPUT{j}")
            )

    def _layer(self, k, lay):
        g = self.graph
        ins = [self.var[t] for t in lay.inputs]
        in_t = [self.tname[t] for t in lay.inputs]
        out_tensor = g.tensors[lay.outputs[0]]
        typedefs, t = [], {}
        if lay.is_view:
            self.var[lay.outputs[0]] = ins[0]
            self.tname[lay.outputs[0]] = in_t[0]
            t["result"] = in_t[0]
        else:
            self.var[lay.outputs[0]] = f"layer{k}_out"
            self.tname[lay.outputs[0]] = f"layer{k}_t"
            for key, ft in lay.types.items():
                name = f"layer{k}_t" if key == "result" else f"{key}{k}_t"
                t[key] = name
                typedefs.append((name, ft.cpp()))
        w, weights = {}, []
        for key, prefix in lay.weight_vars.items():
            var = f"{prefix}{k}"
            w[key] = var
            ft = lay.types[key]
            weights.append(ArrayDecl(var, t[key], ft.quantize(lay.weights[key]).ravel(), lay.name, key,
                                     precision=str(ft)))
        tb, tables = {}, []
        for name, (ft, values) in lay.tables().items():
            var, tn = f"{name}{k}", f"{name}{k}_t"
            tb[name] = var
            if name not in t:  # a table's element type may already be one of the layer's types
                t[name] = tn
                typedefs.append((tn, ft.cpp()))
            tn = t[name]
            tables.append(ArrayDecl(var, tn, ft.quantize(values).ravel(), lay.name, name, "table", str(ft)))
        ctx = dict(
            config=f"config{k}", index=k, t=t, in_t=in_t, ins=ins, out=self.var[lay.outputs[0]], w=w, tb=tb,
            layer=lay, in_shapes=g.input_shapes(lay), out_shape=out_tensor.shape, plan=lay.plan(g, self.io_type),
        )
        ctx.update(lay.cpp_context(g))
        config = render_string(lay.cpp_config_tpl, **ctx) if lay.cpp_config_tpl else ""
        call = render_string(lay.cpp_call_tpl, **ctx) if lay.cpp_call_tpl else ""
        return LayerCode(k, lay, config, call, typedefs, self.var[lay.outputs[0]], out_tensor.size,
                         lay.source_name, lay.is_view, weights, tables, t, w, tb)

    @property
    def weights(self):
        """Every constant array (weights and tables), in a fixed order: they are loaded at
        run time in C simulation and embedded for synthesis."""
        return [w for lc in self.layers for w in lc.weights + lc.tables]

    @property
    def headers(self):
        seen = ["nnet_stream.h"] if self.io_stream else []
        for lc in self.layers:
            for h in lc.layer.cpp_headers:
                if h not in seen:
                    seen.append(h)
        return seen

    @property
    def io_stream(self) -> bool:
        return self.io_type == "io_stream"

    def context(self, **extra):
        ctx = dict(project=self.project, inputs=self.inputs, outputs=self.outputs, layers=self.layers,
                   weights=self.weights, headers=self.headers, io_stream=self.io_stream)
        if self.io_stream:
            ctx["stream"] = self.stream
        ctx.update(extra)
        return ctx

    @functools.cached_property
    def stream(self) -> dict:
        from .stream import stream_code

        return stream_code(self)


def firmware_files(code: ProjectCode, strategy_dataflow: bool, reprogrammable: bool = False, synth_top: bool = True):
    """The HLS firmware: top function, typedefs, configs, weights, and the C++ libraries.
    ``synth_top``: the network function is the synthesis top (backend 'Vivado'); under an
    accelerator top it is a sub-function, which must carry no INTERFACE pragmas."""
    p = code.project
    ctx = code.context(dataflow=strategy_dataflow, reprogrammable=reprogrammable, synth_top=synth_top)
    files = [
        (f"firmware/{p}.cpp", render("firmware/myproject.cpp.j2", **ctx)),
        (f"firmware/{p}.h", render("firmware/myproject.h.j2", **ctx)),
        ("firmware/defines.h", render("firmware/defines.h.j2", **ctx)),
        ("firmware/parameters.h", render("firmware/parameters.h.j2", **ctx)),
        ("firmware/hlsgen_trace.h", render("firmware/hlsgen_trace.h.j2", **ctx)),
    ]
    for lc in code.layers:
        for arr in lc.weights + lc.tables:
            files.append((f"firmware/weights/{arr.var}.h", render("firmware/weight.h.j2", a=arr, layer=lc)))
            files.append((f"firmware/weights/{arr.var}.txt", format_values(arr.values) + "\n"))
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
        abi=1,
        inputs=[dict(name=i["source_name"], shape=i["shape"], size=i["size"], precision=i["precision"])
                for i in code.inputs],
        outputs=[dict(shape=o["shape"], size=o["size"], precision=o["precision"]) for o in code.outputs],
        weights=[dict(id=n, var=a.var, file=f"firmware/weights/{a.var}.txt", size=a.size, layer=a.layer, key=a.key,
                      kind=a.kind, precision=a.precision)
                 for n, a in enumerate(code.weights)],
        trace=[dict(id=lc.index, name=lc.layer.source_name, aliases=list(lc.layer.aliases), output=output_name(lc.layer),
                    model_output=model_output(code.graph, lc.layer), kind=lc.layer.kind, **({} if lc.is_view else {"precision": str(lc.layer.types["result"])}),
                    shape=list(code.graph.tensors[lc.layer.outputs[0]].shape), size=lc.out_size)
               for lc in code.layers],
        tb_samples=int(tb_inputs[0].shape[0]),
        board=board,
        accelerator=accel_desc,
    )
    files.append(("hlsgen_meta.json", json.dumps(meta, indent=1) + "\n"))
    return files


def build_files(code: ProjectCode, options: dict) -> list:
    """build_prj.tcl (and hls_config.cfg, the same for the Vitis unified flow) for the bare network
    top (backend 'Vivado'): HLS csim/synth/cosim/export."""
    from ..vivado_accelerator.hls_config import render_hls_config
    from ..vivado_accelerator.tcl import BlockDesignSpec, render_build_tcl

    p = code.project
    spec = BlockDesignSpec(project_name=p, board=options["board"], top_name=p, ip_vlnv=f"xilinx.com:hls:{p}:1.0",
                           hls_sources=[f"firmware/{p}.cpp"], clock_period_ns=float(options["clock_period"]))
    return [("build_prj.tcl", render_build_tcl(spec)), ("hls_config.cfg", render_hls_config(spec))]


def project_readme(code: ProjectCode, options: dict, accel_desc: dict | None, estimate=None) -> str:
    """The generated project's README: what is in it and how to build and check it."""
    rows = []
    for i in code.inputs:
        rows.append(("input", i["source_name"], i["shape"], i["precision"], ""))
    for lc in code.layers:
        t = code.graph.tensors[lc.layer.outputs[0]]
        rows.append((lc.layer.kind, lc.layer.source_name, list(t.shape), str(t.type), lc.layer.cfg.reuse_factor))
    t = estimate.total if estimate is not None else None
    summary = (f"{t['dsp']:,} DSP, {t['lut']:,} LUT, {t['ff']:,} FF, {t['bram_18k']:,} BRAM_18K; latency "
               f"{t['latency_max']:,} cycles, interval {t['ii']:,} cycles at {t['clock_ns']:g} ns") if t else "none"
    return render("project_README.md.j2", project=code.project, io_type=code.io_type, rows=rows, estimate=summary,
                  accel=accel_desc, board=(accel_desc or {}).get("board") or options["board"].name,
                  part=(accel_desc or {}).get("part") or options["board"].part)
