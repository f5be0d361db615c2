"""Keras handlers for merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate.  n-input layers become chains of two-input IR layers.  The elementwise merges
broadcast as Keras does (inputs of the same rank whose sizes are equal or 1 per axis): an
input of size 1 along an axis is repeated along it by Concatenate layers of copies of
itself (exact: values are only moved)."""
from __future__ import annotations

from . import handler


def _chain(kl, inputs, b, kind, attrs=None):
    """inputs[0] op inputs[1] op ...: the last link takes the layer's name, the others name_1, name_2, ..."""
    out = inputs[0]
    for i, t in enumerate(inputs[1:], start=1):
        name = kl.name if i == len(inputs) - 1 else f"{kl.name}_{i}"
        out = b.add(kind, name, [out, t], dict(attrs) if attrs else None)
    return out


def _repeat(b, name, t, axis, n):
    """``t`` repeated ``n`` times along ``axis`` (of a sample): a chain of Concatenate."""
    out = t
    for k in range(1, n):
        out = b.add("Concatenate", f"{name}_{k}", [out, t], dict(axis=axis))
    return out


def _broadcast(kl, inputs, b):
    """The inputs, each repeated along its axes of size 1 to the common shape (Keras'
    broadcasting of same-rank inputs); inputs of equal shapes are returned as they are."""
    shapes = [tuple(b.shape(t)) for t in inputs]
    if len(set(shapes)) == 1:
        return inputs
    if len({len(s) for s in shapes}) != 1:
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: inputs of shapes {', '.join(map(str, shapes))} have "
                         "different ranks; broadcasting is supported between inputs of the same rank")
    target = []
    for axis, sizes in enumerate(zip(*shapes)):
        big = set(sizes) - {1}
        if len(big) > 1:
            raise ValueError(f"{kl.class_name} layer {kl.name!r}: input shapes {', '.join(map(str, shapes))} do not "
                             f"broadcast (axis {axis + 1} has sizes {', '.join(map(str, sizes))})")
        target.append(big.pop() if big else 1)
    out = []
    for i, (t, s) in enumerate(zip(inputs, shapes)):
        for axis, (have, want) in enumerate(zip(s, target)):
            if have != want:
                t = _repeat(b, f"{kl.name}_broadcast{i}_axis{axis + 1}", t, axis, want)
        out.append(t)
    return out


@handler("Add", "Multiply", "Maximum", "Minimum")
def merge_assoc(kl, inputs, b):
    """n-ary associative merges become a chain of two-input layers (exact types)."""
    if len(inputs) < 2:
        raise ValueError(f"{kl.class_name} layer {kl.name!r} needs at least 2 inputs, got {len(inputs)}")
    return _chain(kl, _broadcast(kl, inputs, b), b, kl.class_name)


@handler("Subtract", "Average")
def merge_pair(kl, inputs, b):
    if len(inputs) != 2:
        raise ValueError(f"{kl.class_name} layer {kl.name!r} with {len(inputs)} inputs is not supported; "
                         "only 2 inputs")
    return b.add(kl.class_name, kl.name, _broadcast(kl, inputs, b))


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


@handler("Dot")
def dot(kl, inputs, b):
    """Keras Dot on two vectors, or on two matrices contracted over one axis each (the
    contracted axis is moved last with a Permute where it is the first)."""
    if len(inputs) != 2:
        raise ValueError(f"Dot layer {kl.name!r} needs 2 inputs, got {len(inputs)}")
    if kl.config.get("normalize"):
        raise ValueError(f"Dot layer {kl.name!r}: normalize=True (cosine proximity) is not supported")
    ranks = [len(b.shape(t)) for t in inputs]
    axes = kl.config.get("axes", -1)
    axes = list(axes) if isinstance(axes, (list, tuple)) else [axes, axes]
    if ranks[0] != ranks[1] or ranks[0] not in (1, 2):
        raise ValueError(f"Dot layer {kl.name!r}: inputs of shapes {[b.shape(t) for t in inputs]} are not supported; "
                         "only two vectors or two matrices (batch excluded)")
    ins = []
    for j, (t, ax) in enumerate(zip(inputs, axes)):
        ax = int(ax)
        ax = ax - 1 if ax > 0 else ax + ranks[j]  # Keras counts the batch axis
        if not 0 <= ax < ranks[j]:
            raise ValueError(f"Dot layer {kl.name!r}: axes={kl.config.get('axes')} out of range")
        if ax != ranks[j] - 1:  # a matrix contracted over its first axis: transpose it
            t = b.add("Permute", f"{kl.name}_t{j}", [t], {"dims": (1, 0)})
        ins.append(t)
    return b.add("Dot", kl.name, ins)
