"""``hm.plot_model(path)``: a picture of the IR graph with each layer's kind, shape and types.

The DOT text is rendered from a template (``templates/plot/model_graph.dot.j2``) through
the one escaping mechanism (``hlsgen.escape.dot_text``): names from the model are label
text, node ids are indices.  Pictures (SVG, PNG, PDF) are drawn by Graphviz's ``dot``,
called through the ``graphviz`` Python package (or ``pydot``): ``pip install
hlsgen[profiling]`` and the Graphviz system package (``apt install graphviz``).  A
``.dot`` path needs neither.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from .backends.templating import render
from .escape import Code

FORMATS = ("svg", "png", "pdf", "dot")
COLORS = {"input": "#d9ead3", "Dense": "#cfe2f3", "Conv1D": "#cfe2f3", "Conv2D": "#cfe2f3",
          "DepthwiseConv1D": "#cfe2f3", "DepthwiseConv2D": "#cfe2f3", "Softmax": "#fce5cd",
          "Activation": "#fff2cc"}


class PlotError(RuntimeError):
    """What plot_model needs is missing (the message names it and how to install it)."""


def dot_source(hm, show_types: bool = True) -> str:
    """The DOT text of ``hm``'s IR graph."""
    from .saturation import absorbed, output_name

    g = hm.graph
    nodes, edges, node_of = [], [], {}
    sat = {r.name: r for r in (hm.last_saturation or [])}

    def sat_line(name):
        r = sat.get(name)
        if r is None:
            return []
        under = "" if r.underflow_fraction is None else f", underflow {100 * r.underflow_fraction:.3g}%"
        return [f"overflow {100 * r.overflow_fraction:.3g}%{under}"]

    for i, gi in enumerate(g.inputs):
        t = g.tensors[gi.tensor]
        nid = Code(f"in{i}")
        node_of[gi.tensor] = nid
        lines = [gi.source_name, f"Input {list(t.shape)}"] + ([f"result {t.type}"] if show_types else [])
        nodes.append(dict(id=nid, lines=lines + sat_line(gi.source_name), color=COLORS["input"]))
    for k, lay in enumerate(g.layers, start=1):
        t = g.tensors[lay.outputs[0]]
        nid = Code(f"n{k}")
        name = output_name(lay)
        lines = [name, f"{lay.kind} {list(t.shape)}"]
        if lay.aliases:
            lines.append("absorbed " + ", ".join(absorbed(lay)))
        if show_types and not lay.is_view:
            lines += [f"{key} {lay.types[key]}" for key in ("result", "weight", "bias", "accum") if key in lay.types]
        nodes.append(dict(id=nid, lines=lines + sat_line(name), color=COLORS.get(lay.kind, "#eeeeee")))
        for tin in lay.inputs:
            edges.append(dict(src=node_of[tin], dst=nid, label=str(list(g.tensors[tin].shape))))
        node_of[lay.outputs[0]] = nid
    for j, tname in enumerate(g.outputs):
        nid = Code(f"out{j}")
        nodes.append(dict(id=nid, lines=[f"output {j}", str(list(g.tensors[tname].shape))], color="#d9ead3"))
        edges.append(dict(src=node_of[tname], dst=nid, label=""))
    return str(render("plot/model_graph.dot.j2", title=f"{hm.project_name}", nodes=nodes, edges=edges))


def _render_graphviz(text: str, fmt: str) -> bytes:
    try:
        import graphviz
    except ImportError:
        graphviz = None
    if graphviz is not None:
        try:
            return graphviz.Source(text).pipe(format=fmt)
        except graphviz.ExecutableNotFound:
            raise PlotError("plot_model needs the Graphviz program 'dot': install the graphviz system package "
                            "(apt install graphviz, brew install graphviz, conda install graphviz)") from None
    try:
        import pydot
    except ImportError:
        raise PlotError("plot_model needs the 'graphviz' (or 'pydot') Python package: pip install hlsgen[profiling] "
                        "(or pip install graphviz), and the Graphviz system package (apt install graphviz)") from None
    if shutil.which("dot") is None:
        raise PlotError("plot_model needs the Graphviz program 'dot': install the graphviz system package "
                        "(apt install graphviz)")
    (graph,) = pydot.graph_from_dot_data(text)
    return graph.create(format=fmt)


def plot_model(hm, path, show_types: bool = True) -> Path:
    """Write the IR graph of ``hm`` to ``path``; the format is the extension's."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"plot_model: unknown picture format {path.suffix!r} in {str(path)!r}; "
                         f"use one of {', '.join('.' + f for f in FORMATS)}")
    text = dot_source(hm, show_types)
    data = text.encode() if fmt == "dot" else _render_graphviz(text, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
