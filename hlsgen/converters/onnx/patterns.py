"""Rewrites of ONNX subgraphs that exporters emit for one operator, back into that operator,
applied to a copy of the ModelProto before conversion (the converter then sees one node).

* ``x / (|x| + 1)`` (PyTorch exports ``nn.Softsign`` / ``F.softsign`` so: Abs, Add of the
  constant 1, Div) -> ``Softsign(x)``, when the Abs and Add results are used only there.
  The new node takes the Div's name and metadata (so it keeps the module it came from).
"""
from __future__ import annotations

import numpy as np


def _constants(g) -> dict:
    from onnx import numpy_helper

    out = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    for n in g.node:
        if n.op_type == "Constant" and len(n.output) == 1:
            for a in n.attribute:
                if a.name == "value":
                    out[n.output[0]] = numpy_helper.to_array(a.t)
                elif a.name == "value_float":
                    out[n.output[0]] = np.array(a.f)
    return out


def fuse_softsign(model):
    """``model`` with every ``Div(x, Add(Abs(x), 1))`` replaced by ``Softsign(x)``: a copy
    when there is one (the caller's model is never changed), else ``model`` itself."""
    import onnx

    g = model.graph
    consts = _constants(g)
    producer = {o: n for n in g.node for o in n.output}
    uses: dict = {}
    for n in g.node:
        for i in n.input:
            uses[i] = uses.get(i, 0) + 1
    for o in g.output:
        uses[o.name] = uses.get(o.name, 0) + 1

    def is_one(name):
        v = consts.get(name)
        return v is not None and np.asarray(v).size == 1 and float(np.asarray(v).ravel()[0]) == 1.0

    dead, replaced = set(), {}
    for div in g.node:
        if div.op_type != "Div" or len(div.input) != 2:
            continue
        add = producer.get(div.input[1])
        if add is None or add.op_type != "Add" or uses.get(add.output[0]) != 1:
            continue
        a, b = add.input
        abs_out = a if is_one(b) else b if is_one(a) else None
        ab = producer.get(abs_out) if abs_out else None
        if ab is None or ab.op_type != "Abs" or uses.get(ab.output[0]) != 1 or ab.input[0] != div.input[0]:
            continue
        new = onnx.helper.make_node("Softsign", [div.input[0]], [div.output[0]], name=div.name)
        new.metadata_props.extend(div.metadata_props)
        replaced[id(div)] = new
        dead.update({id(add), id(ab)})
    if not replaced:
        return model
    nodes = [replaced.get(id(n), n) for n in g.node if id(n) not in dead]
    out = onnx.ModelProto()
    out.CopyFrom(model)
    del out.graph.node[:]
    out.graph.node.extend(nodes)
    return out
