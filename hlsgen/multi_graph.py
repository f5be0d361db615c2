"""One converted model cut into a chain of smaller projects (hls4ml's ``to_multi_model_graph``).

``to_multi_model_graph(hm, ['dense2', 'avg_pool'])`` cuts the model before each named layer:
three subgraphs, each converted on its own (its own project, ``<output_dir>_graph<k>``,
project ``<project>_graph<k>``) from the graph the frontend parsed, with the same
configuration and options.  A tensor that crosses a cut leaves one subgraph as an output and
enters a later one as an input whose precision is the type that output has, so the chain
computes what the whole model computes, bit for bit, as long as no pass fused layers across
a cut in the whole model (a cut between a Dense and its activation computes the Dense's
result type first, as the stitched hardware would).

``predict`` runs the subgraphs' C simulations in turn; the model's outputs come back in the
whole model's order.  Only a real stitched design (each subgraph synthesized, connected by
streams in Vivado) can confirm timing and the interfaces between the parts; hlsgen writes
the parts, not the stitching.
"""
from __future__ import annotations

import copy

from .ir.graph import GraphInput
from .ir.names import sanitize


class MultiModelGraph:
    """The subgraphs of a cut model, in order (``graphs``: their HLSModels)."""

    def __init__(self, graphs: list, pieces: list, source):
        self.graphs = graphs
        self._inputs = [p[1] for p in pieces]  # per subgraph: the whole-graph tensors it reads, in its input order
        self._outputs = [p[2] for p in pieces]  # per subgraph: the whole-graph tensors it gives, in its output order
        self._model_inputs = [gi.tensor for gi in source.inputs]
        self._input_shapes = [tuple(source.tensors[t].shape) for t in self._model_inputs]
        self._model_outputs = list(source.outputs)

    def __repr__(self):
        return f"<MultiModelGraph of {len(self.graphs)} subgraphs: {', '.join(g.project_name for g in self.graphs)}>"

    def __len__(self):
        return len(self.graphs)

    def __getitem__(self, i):
        return self.graphs[i]

    def write(self):
        return [g.write() for g in self.graphs]

    def compile(self, ap_types=None):
        return [g.compile(ap_types) for g in self.graphs]

    def build(self, **kwargs):
        """Each subgraph's ``build(**kwargs)``, in order: their reports, as a list."""
        return [g.build(**kwargs) for g in self.graphs]

    def predict(self, X):
        """The whole model's outputs for X (as ``HLSModel.predict``), through the subgraphs."""
        import numpy as np

        xs = list(X) if isinstance(X, (list, tuple)) else [X]
        if len(xs) != len(self._model_inputs):
            raise ValueError(f"the model has {len(self._model_inputs)} input(s); got {len(xs)} array(s)")
        # one sample without the batch axis: its outputs without it (as HLSModel.predict)
        single = all(np.shape(x) == s for x, s in zip(xs, self._input_shapes))
        values = {t: (np.asarray(x)[None] if single else np.asarray(x)) for t, x in zip(self._model_inputs, xs)}
        for g, ins, outs in zip(self.graphs, self._inputs, self._outputs):
            ys = g.predict([values[t] for t in ins])
            ys = ys if isinstance(ys, list) else [ys]
            values.update(zip(outs, ys))
        ys = [values[t][0] if single else values[t] for t in self._model_outputs]
        return ys[0] if len(ys) == 1 else ys


def _cut_points(graph, split_layers) -> list:
    """The index in ``graph.layers`` where each named layer's subgraph begins, ascending."""
    if isinstance(split_layers, str):
        split_layers = [split_layers]
    names = list(split_layers or [])
    if not names:
        raise ValueError("to_multi_model_graph: split_layers is empty; name the layers where new subgraphs begin")
    if len(set(names)) != len(names):
        raise ValueError(f"to_multi_model_graph: split_layers {names} names a layer twice")
    points = []
    for name in names:
        idx = [i for i, lay in enumerate(graph.layers) if name in (lay.source_name, lay.config_name)]
        if not idx:
            valid = ", ".join(dict.fromkeys(lay.source_name for lay in graph.layers))
            raise ValueError(f"to_multi_model_graph: split layer {name!r} is not a layer of the model; layers: {valid}")
        if idx[0] == 0:
            raise ValueError(f"to_multi_model_graph: split layer {name!r} is the model's first layer: the subgraph "
                             "before it would be empty")
        points.append(idx[0])
    if len(set(points)) != len(points):
        raise ValueError(f"to_multi_model_graph: split_layers {names} cut the model twice at the same place")
    return sorted(points)


def _pieces(graph, points):
    """Per piece: (layers, input tensors, output tensors) of the whole graph."""
    bounds = [0] + points + [len(graph.layers)]
    chunks = [graph.layers[a:b] for a, b in zip(bounds, bounds[1:])]
    pieces = []
    for k, chunk in enumerate(chunks):
        own = {t for lay in chunk for t in lay.outputs}
        ins = list(dict.fromkeys(t for lay in chunk for t in lay.inputs if t not in own))
        later = {t for c in chunks[k + 1:] for lay in c for t in lay.inputs}
        outs = [t for lay in chunk for t in lay.outputs if t in later or t in graph.outputs]
        if not outs:
            raise ValueError(f"to_multi_model_graph: the subgraph from {chunk[0].source_name!r} to "
                             f"{chunk[-1].source_name!r} gives nothing to the rest of the model")
        pieces.append((chunk, ins, outs))
    return pieces


def _subgraph(source, chunk, ins, outs, in_types, k):
    """A graph of ``chunk`` reading ``ins`` and giving ``outs`` (copies of ``source``'s parts:
    the chunk's layers and tensors, and what the frontend noted on the graph)."""
    parsed = ("layers", "tensors", "inputs", "outputs")
    g = copy.copy(source)
    g.__dict__ = {n: copy.deepcopy(v) for n, v in source.__dict__.items() if n not in parsed}
    g.name = f"{source.name}_graph{k}"
    g.layers = copy.deepcopy(chunk)
    model_inputs = {gi.tensor: copy.copy(gi) for gi in source.inputs}
    taken = {lay.name for lay in g.layers} | {lay.source_name for lay in g.layers}
    inputs, entries = [], {}
    for t in ins:
        if t in model_inputs:
            inputs.append(model_inputs[t])
            continue
        producer = source.producer(t)
        src = producer.source_name if len(producer.outputs) == 1 else f"{producer.source_name}_{producer.outputs.index(t)}"
        ir = sanitize(f"{src}_in", taken)
        inputs.append(GraphInput(ir, src, t))
        entries[src] = {"Precision": {"result": str(in_types[t])}}
    g.inputs = inputs
    g.outputs = list(outs)
    used = set(ins) | {t for lay in g.layers for t in lay.outputs}
    g.tensors = {n: copy.copy(t) for n, t in source.tensors.items() if n in used}
    for t in ins:
        g.tensors[t].type = None  # the configured input precision sets it
    parts = getattr(g, "config_parts", None)
    if parts:
        g.config_parts = {n: p for n, p in parts.items() if n in {lay.source_name for lay in g.layers}}
    moves = getattr(g, "config_moves", None)
    if moves:  # only the keys whose entry and target are both layers of this part
        here = {lay.config_name for lay in g.layers}
        g.config_moves = {n: {k: t for k, t in ks.items() if t[0] in here} for n, ks in moves.items() if n in here}
    return g, entries


def _config(config, graph, entries):
    """``config`` with only the entries of ``graph``'s layers and inputs, plus ``entries``."""
    from .flow import layer_list

    if config is None:
        from . import config as cfgmod

        config = cfgmod.make_config(layer_list(graph))
    config = copy.deepcopy(dict(config))
    names = {n for n, _, _ in layer_list(graph)}
    parts = getattr(graph, "config_parts", None) or {}
    keep = names | {p for ps in parts.values() for p in ps.values()} | set(parts)
    layer_names = {n: e for n, e in (config.get("LayerName") or {}).items() if n in keep}
    layer_names.update(entries)
    if layer_names or "LayerName" in config:
        config["LayerName"] = layer_names
    return config


def to_multi_model_graph(hm, split_layers) -> MultiModelGraph:
    """Cut ``hm`` (an HLSModel from ``convert_from_keras_model`` or ``_onnx_model``) before each
    layer named in ``split_layers``: a :class:`MultiModelGraph` of ``len(split_layers) + 1``
    subgraphs."""
    from .convert import build_model
    from .model import HLSModel

    source = getattr(hm, "source", None)
    if type(hm) is not HLSModel or source is None:
        raise TypeError(f"to_multi_model_graph takes an HLSModel from convert_from_keras_model or "
                        f"convert_from_onnx_model, got {type(hm).__name__}")
    if hm.accelerator is not None:
        raise ValueError(f"to_multi_model_graph: backend {hm.options.backend!r} builds one accelerator for the whole "
                         "model; cut a plain project (backend='Vivado' or 'Vitis')")
    if source["calibration_data"]:
        raise ValueError("to_multi_model_graph: the model was converted with calibration_data; set its 'auto' "
                         "precisions (e.g. from hm.resolved_config()) and convert again without it")
    graph = source["graph"]
    pieces = _pieces(graph, _cut_points(graph, split_layers))
    graphs, types = [], {}
    out_dir = str(hm.output_dir)
    for k, (chunk, ins, outs) in enumerate(pieces, 1):
        sub, entries = _subgraph(graph, chunk, ins, outs, types, k)
        options = dict(source["options"], output_dir=f"{out_dir}_graph{k}",
                       project_name=f"{hm.project_name}_graph{k}", input_data_tb=None, output_data_tb=None)
        part = build_model(sub, _config(source["config"], sub, entries), options,
                           copy.deepcopy(source["accel_kwargs"]), check_fit=False)
        # the types the outputs came out with: what the next subgraphs read (a pass may have
        # renamed an output tensor, never reordered them)
        types.update({t: part.graph.tensors[p].type for t, p in zip(outs, part.graph.outputs)})
        graphs.append(part)
    return MultiModelGraph(graphs, pieces, graph)
