"""Fuse a ReLU into the Dense layer before it, where that changes no result.

Legal when the Dense output feeds only the ReLU, and both have the same result type
with a saturating overflow mode: then quantize(relu(acc)) == relu(quantize(acc)),
because rounding is monotone and keeps 0, and saturation commutes with max(., 0).
(With AP_WRAP a large positive sum could wrap negative before the ReLU, so no fusion.)
"""

FUSABLE = ("Dense",)
SATURATING = ("SAT", "SAT_ZERO", "SAT_SYM")


def _plain_relu(layer):
    return layer.kind == "Activation" and layer.attrs.get("activation") == "relu" and not any(
        layer.attrs.get(k) for k in ("max_value", "negative_slope", "threshold")
    )


def fuse_activation(graph, ctx=None) -> bool:
    for act in graph.layers:
        if not _plain_relu(act):
            continue
        prev = graph.producer(act.inputs[0])
        if prev is None or prev.kind not in FUSABLE or prev.attrs.get("activation") != "linear":
            continue
        if len(graph.consumers(act.inputs[0])) != 1 or graph.is_output(act.inputs[0]):
            continue
        if prev.cfg.trace:  # the user wants to see the pre-activation values
            continue
        t_prev, t_act = prev.types.get("result"), act.types.get("result")
        if t_prev is None or t_prev != t_act or t_prev.saturation not in SATURATING:
            continue
        prev.attrs["activation"] = "relu"
        prev.cfg.trace = prev.cfg.trace or act.cfg.trace
        prev.source_name_fused = act.source_name
        graph.merge_into(prev, act)
        return True
    return False
