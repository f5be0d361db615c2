"""Rewrites of ONNX subgraphs that exporters emit for one operator, back into that operator,
applied to a copy of the ModelProto before conversion (the converter then sees one node).

* ``x / (|x| + 1)`` (PyTorch exports ``nn.Softsign`` / ``F.softsign`` so: Abs, Add of the
  constant 1, Div) -> ``Softsign(x)``, when the Abs and Add results are used only there.
  The new node takes the Div's name and metadata (so it keeps the module it came from).
* ``Where(LessOrEqual(x, t), v, x)`` (PyTorch's torch.export-based exporter writes
  ``nn.Threshold`` / ``F.threshold`` so; its TorchScript exporter refuses a non-zero
  threshold) and ``Where(Greater(x, t), x, v)``, with constant one-element t and v and
  the comparison used only there -> ``hlsgen:Threshold(x, t, v)``: y = x > t ? x : v.
  The new node takes the Where's name and metadata.

:func:`fuse_patterns` applies all of them.
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


def _links(g):
    """(producer of each value, number of uses of each value; a graph output counts as one)."""
    producer = {o: n for n in g.node for o in n.output}
    uses: dict = {}
    for n in g.node:
        for i in n.input:
            uses[i] = uses.get(i, 0) + 1
    for o in g.output:
        uses[o.name] = uses.get(o.name, 0) + 1
    return producer, uses


def _rewritten(model, replaced: dict, dead: set, domain: str | None = None):
    """A copy of ``model`` with the nodes in ``replaced`` (by id) swapped for their new node and
    those in ``dead`` dropped (``domain``: an opset the new nodes need); ``model`` itself when
    nothing is replaced."""
    import onnx

    if not replaced:
        return model
    out = onnx.ModelProto()
    out.CopyFrom(model)
    del out.graph.node[:]
    out.graph.node.extend(replaced.get(id(n), n) for n in model.graph.node if id(n) not in dead)
    if domain and not any(o.domain == domain for o in out.opset_import):
        out.opset_import.append(onnx.helper.make_opsetid(domain, 1))
    return out


def fuse_softsign(model):
    """``model`` with every ``Div(x, Add(Abs(x), 1))`` replaced by ``Softsign(x)``: a copy
    when there is one (the caller's model is never changed), else ``model`` itself."""
    import onnx

    g = model.graph
    consts, producer, uses = _constants(g), *_links(g)

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
    return _rewritten(model, replaced, dead)


THRESHOLD_DOMAIN = "hlsgen"


def fuse_threshold(model):
    """``model`` with every ``Where(LessOrEqual(x, t), v, x)`` / ``Where(Greater(x, t), x, v)``
    (t, v constants of one element) replaced by ``hlsgen:Threshold(x, t, v)``: a copy when
    there is one (the caller's model is never changed), else ``model`` itself."""
    import onnx

    g = model.graph
    consts, producer, uses = _constants(g), *_links(g)

    def scalar(name):
        v = consts.get(name)
        return v is not None and np.asarray(v).size == 1 and np.issubdtype(np.asarray(v).dtype, np.floating)

    dead, replaced = set(), {}
    for where in g.node:
        if where.op_type != "Where" or len(where.input) != 3 or len(where.output) != 1:
            continue
        cond = producer.get(where.input[0])
        if cond is None or uses.get(cond.output[0]) != 1 or len(cond.input) != 2:
            continue
        x, t = cond.input
        if cond.op_type == "LessOrEqual" and where.input[2] == x:  # x <= t ? v : x
            v = where.input[1]
        elif cond.op_type == "Greater" and where.input[1] == x:  # x > t ? x : v
            v = where.input[2]
        else:
            continue
        if x in consts or not scalar(t) or not scalar(v):
            continue
        new = onnx.helper.make_node("Threshold", [x, t, v], [where.output[0]], name=where.name,
                                    domain=THRESHOLD_DOMAIN)
        new.metadata_props.extend(where.metadata_props)
        replaced[id(where)] = new
        dead.add(id(cond))
    return _rewritten(model, replaced, dead, THRESHOLD_DOMAIN)


def fuse_patterns(model):
    """Every rewrite of this module, in turn (a copy when any applies)."""
    return fuse_threshold(fuse_softsign(model))
