"""Keras handler for EinsumDense: y = einsum(equation, x, kernel) (+ bias), as Dense layers.

Projections over the last axes -- the contracted letters C end lhs (in order), and out is
lhs without C followed by the kernel's other letters Q in any order: lhs = P + C, out =
P + Q -- are y = x @ K over the flattened C axes (K transposed to C + Q and viewed as
(prod C, prod Q)), then a reshape to P + Q: what Keras' attention projections
(``abc,cde->abde``, ``abcd,cde->abe``), ``...b,bc->...c`` and ``...i,oi->...o`` are.

Every other equation whose batch axis stays the first output axis (``...`` in front of lhs
and out, or lhs and out starting with the same letter that the kernel lacks) is one Dense
layer over the flattened input: its weight matrix is the equation applied to each basis
vector of the input (a row per input value, whose entries are kernel values or zeros), so
outer products (``bi,j->bij``), axes shared by input, kernel and output (``abcd,bcde->aeb``)
and permuted outputs compute exactly what Keras computes, with one product per kernel value
and zeros elsewhere.  A bias (``bias_axes``, broadcast over the output's trailing axes as
Keras does) is added to that Dense.  Equations outside this are refused naming the equation.
"""
from __future__ import annotations

import numpy as np

from . import handler
from .core import add_layer_activation, dense_last_axis


def _split(equation: str, name: str):
    eq = equation.replace(" ", "")
    try:
        ins, out = eq.split("->")
        lhs, ker = ins.split(",")
    except ValueError:
        raise ValueError(f"EinsumDense layer {name!r}: equation {equation!r} is not of the form 'lhs,kernel->out'") from None
    if "." in ker:
        raise ValueError(f"EinsumDense layer {name!r}: an ellipsis in the kernel of {equation!r} is not supported")
    return eq, lhs, ker, out


def parse_projection(equation: str, name: str):
    """(C, Q, kernel axis order) of a projection over the last axes (see the module
    docstring), or None for another equation."""
    _, lhs, ker, out = _split(equation, name)
    lhs, out = lhs.replace("...", ""), out.replace("...", "")
    c = "".join(ch for ch in lhs if ch in ker and ch not in out)
    p = lhs[: len(lhs) - len(c)]
    q = out[len(p):]
    if not c or not lhs.endswith(c) or not out.startswith(p) or sorted(c + q) != sorted(ker) \
            or any(ch in lhs for ch in q):
        return None
    return c, q, tuple(ker.index(ch) for ch in c + q)


def _bias(kl, out_shape):
    """The bias over the whole output shape (Keras' bias broadcasts over the trailing axes)."""
    if not kl.config.get("bias_axes"):
        return None
    bw = np.asarray(kl.weight("bias", 1), dtype=np.float64)
    try:
        return np.broadcast_to(bw, out_shape)
    except ValueError:
        raise ValueError(f"EinsumDense layer {kl.name!r}: bias of shape {bw.shape} does not broadcast to the "
                         f"output {out_shape}") from None


def _general(kl, x, b, equation, kernel):
    """One Dense over the flattened input: row k of its weight is the equation applied to basis vector k."""
    eq, lhs, _ker, out = _split(equation, kl.name)
    batch_kept = (lhs.startswith("...") and out.startswith("...")) or \
        ("." not in lhs + out and lhs[:1] == out[:1] and lhs[:1] not in _ker and lhs.count(lhs[:1]) == 1)
    if not batch_kept:
        raise ValueError(f"EinsumDense layer {kl.name!r}: equation {equation!r} is not supported: the batch axis "
                         "must stay the first output axis ('...' in front of lhs and out, or the same first "
                         "letter, not in the kernel)")
    in_shape = tuple(b.shape(x))
    n_in = int(np.prod(in_shape))
    basis = np.eye(n_in, dtype=np.float64).reshape((n_in,) + in_shape)
    try:
        y = np.einsum(eq, basis, kernel)
    except ValueError as e:
        raise ValueError(f"EinsumDense layer {kl.name!r}: equation {equation!r} does not fit input {in_shape} and "
                         f"kernel {kernel.shape}: {e}") from None
    out_shape = y.shape[1:]
    bias = _bias(kl, out_shape)
    flat = b.add("Reshape", f"{kl.name}_in", [x], {"target_shape": (n_in,)}) if len(in_shape) > 1 else x
    n_out = int(np.prod(out_shape))
    yl = dense_last_axis(b, kl.name, flat, y.reshape(n_in, n_out), None if bias is None else bias.reshape(n_out))
    if len(out_shape) != 1:
        yl = b.add("Reshape", f"{kl.name}_out", [yl], {"target_shape": tuple(out_shape)})
    return yl


@handler("EinsumDense")
def einsum_dense(kl, inputs, b):
    equation = str(kl.config["equation"])
    kernel = np.asarray(kl.weight("kernel", 0), dtype=np.float64)
    x = inputs[0]
    proj = parse_projection(equation, kl.name)
    shape = tuple(b.shape(x))
    if proj is not None:
        c_letters, q_letters, order = proj
        nc = len(c_letters)
        kt = kernel.transpose(order)
        k_in, q_shape = int(np.prod(kt.shape[:nc])), tuple(kt.shape[nc:])
        p_shape = shape[: len(shape) - nc]
        bias = _bias(kl, p_shape + q_shape)
        if len(shape) < nc or int(np.prod(shape[len(shape) - nc:])) != k_in:
            raise ValueError(f"EinsumDense layer {kl.name!r}: input shape {shape} does not end with the kernel's "
                             f"contracted dimensions {kt.shape[:nc]}")
        if bias is None or all(np.array_equal(bias[idx], bias[(0,) * len(p_shape)]) for idx in np.ndindex(p_shape)):
            k_out = int(np.prod(q_shape))
            if nc > 1:
                x = b.add("Reshape", f"{kl.name}_in", [x], {"target_shape": p_shape + (k_in,)})
            qb = None if bias is None else bias[(0,) * len(p_shape)].reshape(k_out)
            y = dense_last_axis(b, kl.name, x, kt.reshape(k_in, k_out), qb)
            if len(q_shape) != 1:
                y = b.add("Reshape", f"{kl.name}_out", [y], {"target_shape": p_shape + q_shape})
            return add_layer_activation(kl, b, y)
    return add_layer_activation(kl, b, _general(kl, x, b, equation, kernel))
