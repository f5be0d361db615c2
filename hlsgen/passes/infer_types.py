"""Precision inference: give every tensor and every layer parameter a fixed-point type.

Graph inputs take their configured type.  Each layer then chooses its types from its
input types, its weights and its configuration (``Layer.infer_types``): configured
precisions are kept as given, 'auto' ones are derived (see each layer kind).

With calibration data (``ctx.ranges``: tensor -> largest magnitude seen, see
``calibrate``), the default result type of a layer keeps its width but gets the
integer bits its output needs plus one bit of headroom, instead of the model-wide
default: no saturation where the data go beyond the default range, more fractional
bits where they stay small.
"""
from ..fixed import FixedType, bits_for_range
from .base import Pass

HEADROOM_BITS = 1


def calibrated_default(default: FixedType, magnitude: float | None) -> FixedType:
    if magnitude is None or magnitude <= 0:
        return default
    i = bits_for_range(-magnitude, magnitude, signed=True) + HEADROOM_BITS
    i = min(max(i, 1), default.width)
    return FixedType(default.width, i, True, default.rounding, default.saturation, default.sat_bits)


def calibrated_input(default: FixedType, magnitude: float) -> FixedType:
    """An 'auto' input's type on calibration data: the default's width and modes, the
    integer bits the data's largest magnitude needs plus one bit of headroom."""
    return calibrated_default(default, magnitude)


def infer_types(graph, ctx) -> bool:
    for gi in graph.inputs:
        graph.tensors[gi.tensor].type = ctx.input_types[gi.name]
    ranges = getattr(ctx, "ranges", None) or {}
    default = ctx.types.default
    try:
        for layer in graph.layers:
            ctx.types.default = calibrated_default(default, ranges.get(layer.outputs[0]))
            layer.in_types = graph.input_types(layer)
            layer.infer_types(layer.in_types, ctx.types)
            graph.tensors[layer.outputs[0]].type = layer.types["result"]
    finally:
        ctx.types.default = default
    return False


class InferTypes(Pass):
    """Types every tensor and layer parameter (one application; it always reaches its fixed point)."""

    name = "infer_types"

    def apply(self, graph, ctx=None):
        if ctx is None:
            raise ValueError("infer_types needs a pass context (input types and the type context)")
        return graph, infer_types(graph, ctx)
