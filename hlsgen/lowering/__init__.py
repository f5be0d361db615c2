"""The lowering: a typed IR graph -> its C++ view (``ProjectCode``), which every backend's
files, the estimate, the weight port and the drivers read.

Every C++ name is generated here from layer numbers (``layer3_out``, ``config3``,
``w3``; the inputs are numbered first, as in hls4ml), never from the names in the user's model, which appear only in comments.
The layer's own templates (``Layer.cpp_config_tpl``/``cpp_call_tpl``) get the names
through the context built in ``ProjectCode._layer``.  ``stream``: the io_stream
top (FIFOs, their depths, the dataflow region).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from ..escape import Code
from ..templating import render_string


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
    index: int  # the number in the layer's C++ names (layer<index>_out, w<index>, config<index>)
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
    batch_call: str = ""  # the call on a block of hlsgen_n samples (C simulation, io_parallel)
    slot: int = 0  # the layer's position, 1-based: its trace and saturation-counter slot


def format_values(values: np.ndarray) -> str:
    """Exact decimal text for values on a binary grid (repr round-trips doubles)."""
    flat = np.asarray(values, dtype=np.float64).ravel()
    return ", ".join(repr(float(v)) for v in flat)


class ProjectCode:
    """The C++ view of a typed graph: names, typedefs, configs and calls per layer."""

    def __init__(self, graph, project: str, io_type: str = "io_parallel", namespace: str | None = None,
                 weights_txt: bool = True, emulation_constants: bool = False):
        self.graph = graph
        self.project = Code(project)  # a checked C identifier (convert._check_options)
        self.io_type = io_type
        # writer options (hls4ml's): a namespace around the project's code (a checked identifier,
        # writer_options.namespace), the weights' values in .txt files or in their headers, and
        # the emulator entry point of hls4ml's write_emulation_constants
        self.namespace = Code(namespace) if namespace else None
        self.weights_txt = weights_txt
        self.emulation_constants = emulation_constants
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
        # the model's inputs are numbered first, as hls4ml numbers its input layers: in a
        # one-input model the first layer's weights are w2 (firmware/weights/w2.txt)
        first = len(graph.inputs) + 1
        self.layers = [self._layer(first + j, lay) for j, lay in enumerate(graph.layers)]
        for j, lc in enumerate(self.layers, start=1):
            lc.slot = j
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
                         lay.source_name, lay.is_view, weights, tables, t, w, tb, self._batch_call(lay, ctx))

    def _batch_call(self, lay, ctx) -> str:
        """The layer on the block of ``hlsgen_n`` samples of the C simulation's batched network
        (``ins``/``out``: n x size arrays): its batch template, else its call once per sample
        on the sample's rows."""
        if lay.is_view or not lay.cpp_call_tpl:
            return ""
        if lay.cpp_batch_call_tpl:
            return render_string(lay.cpp_batch_call_tpl, **dict(ctx, n=Code("hlsgen_n")))
        sizes = [self.graph.tensors[t].size for t in lay.inputs]
        rows = dict(ctx, ins=[Code(f"({v} + (size_t)hlsgen_s * {n})") for v, n in zip(ctx["ins"], sizes)],
                    out=Code(f"({ctx['out']} + (size_t)hlsgen_s * {self.graph.tensors[lay.outputs[0]].size})"))
        return Code("for (unsigned hlsgen_s = 0; hlsgen_s < hlsgen_n; hlsgen_s++)\n        "
                    + render_string(lay.cpp_call_tpl, **rows))

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

    @property
    def batched(self) -> bool:
        """The C simulation has a batched network: every layer has an array call (io_parallel's;
        an io_stream project computes the same values, bit for bit, with its stream kernels)."""
        return all(lc.is_view or lc.batch_call for lc in self.layers)

    @property
    def batch_block(self) -> int:
        """Samples per block of the C simulation's batched network (io_parallel): a multiple
        of 8, at most 256, that keeps the largest layer output of a block near 64k values
        (a block's input and output stay in the core's cache while a layer runs)."""
        largest = max([i["size"] for i in self.inputs] + [lc.out_size for lc in self.layers])
        return max(8, min(256, 65536 // max(1, largest)) // 8 * 8)

    def context(self, **extra):
        ctx = dict(project=self.project, inputs=self.inputs, outputs=self.outputs, layers=self.layers,
                   weights=self.weights, headers=self.headers, io_stream=self.io_stream,
                   batch_block=self.batch_block, batched=self.batched, namespace=self.namespace,
                   ns=Code(f"{self.namespace}::" if self.namespace else ""),
                   emulation_constants=self.emulation_constants, weights_txt=self.weights_txt)
        if self.io_stream:
            ctx["stream"] = self.stream
        ctx.update(extra)
        return ctx

    @functools.cached_property
    def stream(self) -> dict:
        from .stream import stream_code

        return stream_code(self)
