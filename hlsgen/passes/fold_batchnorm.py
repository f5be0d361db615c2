"""Fold a per-channel affine (BatchNormalization) into the Dense/Conv layer before it.

y = (x @ W + b) * s + c  ==  x @ (W * s) + (b * s + c), computed in float64 before any
quantization, so the folded weights lose nothing (their types are chosen afterwards
from the folded values).

This is the one batch-norm folding: ``build_model`` runs it on every graph, and the ONNX
frontend runs it early (before QONNX casts merge) with its own rule for the types the
model carried.  Legal when the affine's kind declares ``is_channel_affine``, the layer
before declares ``folds_affine`` and has no fused activation, the affine is the only
reader of that layer's output (not a graph output), neither output precision is fixed
(configured or carried by the model), and there is one scale per output channel.

What happens to weight/bias types the model carried (QKeras, QONNX) is the
``carried_types`` rule: ``carried_types(prev, bn, before) -> dict | None`` is called
after the weights are folded (``before``: the weight and bias values before folding)
and returns the new ``prev.attrs['types']`` (None: unchanged).  The default,
:func:`hold_folded_exactly`, gives the folded values exact types when any were carried.
"""
from __future__ import annotations

from .base import Pass


def hold_folded_exactly(prev, bn, before):
    """Types the model carried (QKeras quantizers) held the unfolded values: hold the folded ones exactly."""
    carried = prev.attrs.get("types", {})
    if carried.get("weight") is None and carried.get("bias") is None:
        return None
    from ..quantizers import exact_type

    return dict(carried, weight=exact_type(prev.weights["weight"], True), bias=exact_type(prev.weights["bias"], True))


def foldable(graph, bn):
    """The layer ``bn`` folds into, or None when folding is not legal (see the module doc)."""
    if not bn.is_channel_affine:
        return None
    prev = graph.producer(bn.inputs[0])
    if prev is None or not prev.folds_affine or prev.attrs.get("activation", "linear") != "linear":
        return None
    if len(graph.consumers(bn.inputs[0])) != 1 or graph.is_output(bn.inputs[0]):
        return None
    if bn.configured("result") is not None:  # its output precision is fixed: keep it
        return None
    if prev.configured("result") is not None:  # the user typed the pre-norm values: keep them apart
        return None
    if bn.weights["scale"].size != prev.weights["bias"].size:  # not one scale per output channel
        return None
    return prev


def fold_batchnorm(graph, ctx=None, carried_types=hold_folded_exactly) -> bool:
    """Fold the first foldable affine; True if one was folded."""
    for bn in graph.layers:
        prev = foldable(graph, bn)
        if prev is None:
            continue
        s, c = bn.weights["scale"], bn.weights["bias"]
        before = dict(weight=prev.weights["weight"], bias=prev.weights["bias"])
        prev.weights["weight"] = prev.weights["weight"] * s
        prev.weights["bias"] = prev.weights["bias"] * s + c
        types = carried_types(prev, bn, before)
        if types is not None:
            prev.attrs["types"] = types
        graph.merge_into(prev, bn)
        return True
    return False


class FoldBatchNorm(Pass):
    name = "fold_batchnorm"

    def __init__(self, carried_types=hold_folded_exactly):
        self.carried_types = carried_types

    def apply(self, graph, ctx=None):
        return graph, fold_batchnorm(graph, ctx, self.carried_types)
