"""Keras handlers for merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate.  n-input layers become chains of two-input IR layers."""
from __future__ import annotations

from . import handler


def _chain(kl, inputs, b, kind, attrs=None):
    """inputs[0] op inputs[1] op ...: the last link takes the layer's name, the others name_1, name_2, ..."""
    out = inputs[0]
    for i, t in enumerate(inputs[1:], start=1):
        name = kl.name if i == len(inputs) - 1 else f"{kl.name}_{i}"
        out = b.add(kind, name, [out, t], dict(attrs) if attrs else None)
    return out


@handler("Add", "Multiply", "Maximum", "Minimum")
def merge_assoc(kl, inputs, b):
    """n-ary associative merges become a chain of two-input layers (exact types)."""
    if len(inputs) < 2:
        raise ValueError(f"{kl.class_name} layer {kl.name!r} needs at least 2 inputs, got {len(inputs)}")
    return _chain(kl, inputs, b, kl.class_name)


@handler("Subtract", "Average")
def merge_pair(kl, inputs, b):
    if len(inputs) != 2:
        raise ValueError(f"{kl.class_name} layer {kl.name!r} with {len(inputs)} inputs is not supported; "
                         "only 2 inputs")
    return b.add(kl.class_name, kl.name, inputs)


@handler("Concatenate")
def concatenate(kl, inputs, b):
    if len(inputs) < 2:
        raise ValueError(f"Concatenate layer {kl.name!r} needs at least 2 inputs")
    rank = len(b.shape(inputs[0]))
    axis = int(kl.config.get("axis", -1))
    ax = axis - 1 if axis > 0 else axis + rank
    if not 0 <= ax < rank:
        raise ValueError(f"Concatenate layer {kl.name!r}: axis={axis} is out of range for rank-{rank} inputs")
    return _chain(kl, inputs, b, "Concatenate", dict(axis=ax))
