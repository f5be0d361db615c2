"""Keras handler for EinsumDense: the projections that are a Dense over the last axes.

An equation ``lhs,kernel->out`` (``...`` allowed in front of lhs and out) is supported
when the contracted letters C (in lhs and kernel, not in out) end lhs and start kernel
in the same order, and out is lhs without C followed by kernel without C: out = P + Q
for lhs = P + C and kernel = C + Q.  That is y = x @ K over the flattened C axes, with K
viewed as (prod C, prod Q), then a reshape to P + Q: what Keras' attention projections
(``abc,cde->abde``, ``abcd,cde->abe``) and ``...b,bc->...c`` are.  Other equations are
refused with the rule above.
"""
from __future__ import annotations

import numpy as np

from . import handler
from .core import add_layer_activation, dense_last_axis


def parse_projection(equation: str, name: str):
    """(C, Q) letter strings of a supported equation (see the module docstring)."""
    eq = equation.replace(" ", "")
    try:
        ins, out = eq.split("->")
        lhs, ker = ins.split(",")
    except ValueError:
        raise ValueError(f"EinsumDense layer {name!r}: equation {equation!r} is not of the form 'lhs,kernel->out'") from None
    lhs, out = lhs.replace("...", ""), out.replace("...", "")
    if "." in ker:
        raise ValueError(f"EinsumDense layer {name!r}: an ellipsis in the kernel of {equation!r} is not supported")
    c = "".join(ch for ch in lhs if ch in ker and ch not in out)
    p, q = lhs[: len(lhs) - len(c)], ker[len(c):]
    if not c or not lhs.endswith(c) or not ker.startswith(c) or out != p + q:
        raise ValueError(
            f"EinsumDense layer {name!r}: equation {equation!r} is not supported; only projections over the "
            "last input axes: lhs = P + C, kernel = C + Q, out = P + Q (e.g. 'abc,cd->abd', 'abc,cde->abde', "
            "'abcd,cde->abe', '...b,bc->...c')")
    return c, q


@handler("EinsumDense")
def einsum_dense(kl, inputs, b):
    c_letters, q_letters = parse_projection(str(kl.config["equation"]), kl.name)
    kernel = np.asarray(kl.weight("kernel", 0), dtype=np.float64)
    nc = len(c_letters)
    k_in, q_shape = int(np.prod(kernel.shape[:nc])), tuple(kernel.shape[nc:])
    k_out = int(np.prod(q_shape))
    bias_axes = kl.config.get("bias_axes") or ""
    bias = None
    if bias_axes:
        if any(ch not in q_letters for ch in bias_axes):
            raise ValueError(f"EinsumDense layer {kl.name!r}: bias_axes {bias_axes!r} must be kernel output axes "
                             f"({q_letters!r})")
        bw = np.asarray(kl.weight("bias", 1), dtype=np.float64)
        # the bias has the bias_axes' dimensions in output order: broadcast it over Q
        bshape = [q_shape[i] if ch in bias_axes else 1 for i, ch in enumerate(q_letters)]
        bias = np.broadcast_to(bw.reshape(bshape), q_shape).reshape(k_out)
    x = inputs[0]
    shape = b.shape(x)
    if int(np.prod(shape[len(shape) - nc:])) != k_in or len(shape) < nc:
        raise ValueError(f"EinsumDense layer {kl.name!r}: input shape {shape} does not end with the kernel's "
                         f"contracted dimensions {kernel.shape[:nc]}")
    p_shape = tuple(shape[: len(shape) - nc])
    if nc > 1:
        x = b.add("Reshape", f"{kl.name}_in", [x], {"target_shape": p_shape + (k_in,)})
    y = dense_last_axis(b, kl.name, x, kernel.reshape(k_in, k_out), bias)
    if len(q_shape) != 1:
        y = b.add("Reshape", f"{kl.name}_out", [y], {"target_shape": p_shape + q_shape})
    return add_layer_activation(kl, b, y)
