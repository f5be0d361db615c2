"""Fuse a ReLU into the Dense/Conv layer before it, where that changes no result.

Legal when the layer before can apply a ReLU to its accumulator (its kind declares
``fuses_relu``), its output feeds only the ReLU, and both have the same result type
with a saturating overflow mode: then quantize(relu(acc)) == relu(quantize(acc)),
because rounding is monotone and keeps 0, and saturation commutes with max(., 0).
(With AP_WRAP a large positive sum could wrap negative before the ReLU, so no fusion.)
When the Dense result precision is 'auto', it is ours to choose: it becomes the ReLU's
result type (recorded in the layer's configuration so later inference keeps it).  That
choice is made whether or not the pair is then fused (a traced Dense stays separate),
so tracing a layer never changes any result.
"""
from .base import Pass

SATURATING = ("SAT", "SAT_ZERO", "SAT_SYM")


def fuse_activation(graph, ctx=None) -> bool:
    """Fuse the first fusable ReLU; True if one was fused."""
    for act in graph.layers:
        if not act.is_plain_relu:
            continue
        prev = graph.producer(act.inputs[0])
        if prev is None or not prev.fuses_relu or prev.attrs.get("activation") != "linear":
            continue
        if len(graph.consumers(act.inputs[0])) != 1 or graph.is_output(act.inputs[0]):
            continue
        t_act = act.types.get("result")
        if t_act is None or t_act.saturation not in SATURATING:
            continue
        if prev.configured("result") is None and not prev.attrs.get("result_exact"):
            prev.cfg.precision = dict(prev.cfg.precision, result=str(t_act))
            prev.types["result"] = t_act
            graph.tensors[prev.outputs[0]].type = t_act
        if prev.types["result"] != t_act or prev.cfg.trace:  # traced: keep its output visible
            continue
        prev.attrs["activation"] = "relu"
        prev.cfg.trace = prev.cfg.trace or act.cfg.trace
        graph.merge_into(prev, act)
        return True
    return False


class FuseActivation(Pass):
    """Needs a typed graph (run after ``infer_types``); the types must be inferred again after it."""

    name = "fuse_activation"

    def apply(self, graph, ctx=None):
        return graph, fuse_activation(graph, ctx)
