"""Fold a BatchNormalization into the Dense layer before it.

y = (x @ W + b) * s + c  ==  x @ (W * s) + (b * s + c), computed in float64 before any
quantization, so the folded weights lose nothing (their types are chosen afterwards
from the folded values).
"""

FOLDABLE = ("Dense", "Conv1D", "Conv2D", "DepthwiseConv1D", "DepthwiseConv2D")


def fold_batchnorm(graph, ctx=None) -> bool:
    for bn in graph.layers:
        if bn.kind != "BatchNormalization":
            continue
        prev = graph.producer(bn.inputs[0])
        if prev is None or prev.kind not in FOLDABLE or prev.attrs.get("activation", "linear") != "linear":
            continue
        if len(graph.consumers(bn.inputs[0])) != 1 or graph.is_output(bn.inputs[0]):
            continue
        if bn.configured("result") is not None:  # its output precision is fixed: keep it
            continue
        if prev.configured("result") is not None:  # the user typed the pre-norm values: keep them apart
            continue
        s, c = bn.weights["scale"], bn.weights["bias"]
        prev.weights["weight"] = prev.weights["weight"] * s
        prev.weights["bias"] = prev.weights["bias"] * s + c
        carried = prev.attrs.get("types", {})
        if carried.get("weight") is not None or carried.get("bias") is not None:
            # types the model carried (QKeras quantizers) held the unfolded values: hold the folded ones exactly
            from ..quantizers import exact_type

            prev.attrs["types"] = dict(carried, weight=exact_type(prev.weights["weight"], True),
                                       bias=exact_type(prev.weights["bias"], True))
        graph.merge_into(prev, bn)
        return True
    return False
