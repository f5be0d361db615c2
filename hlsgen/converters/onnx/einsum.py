"""``Einsum`` between two data tensors (``torch.einsum``): a Dot layer.

An equation ``bA,bB->bO`` (one batch letter b first in every term; A, B, O the letters of
one sample) is supported when it is a matrix product over the sample axes: every letter
appears once per term; C = the letters of both A and B (summed, not in O); P = the other
letters of A, Q = the other letters of B; O holds exactly P and Q, in any order.  Then
a is arranged (P, C) and b (Q, C) (a Permute layer when the stored order differs, a view
otherwise), Dot computes out[p, q] = sum_c a[p, c] b[q, c] (exact sums, one cast to the
result type), and O is a transposition of (P, Q) that the layout tracking records without
moving data.  'bi,bj->bij' (outer product, C empty), 'bij,bjk->bik' (batched matmul) and
'ij,ij->i' (a dot product per sample) are such.  Other equations (a letter shared by A, B
and O besides the batch, a summed letter of one operand only, repeated letters, ``...``,
a constant or a single operand) are refused naming the node.
"""
from __future__ import annotations

import numpy as np

from .frontend import OnnxConversionError, handler
from .layout import Val, find_perm, perm_index, permuted_shape, transpose_index
from .ops import _s


def parse(c, node, eq: str, n_in: int):
    """(A, B, O) sample letters of a supported two-operand equation."""
    eq = eq.replace(" ", "")
    if "..." in eq:
        raise OnnxConversionError(f"{c.desc(node)}: equation {eq!r}: an ellipsis is not supported; write the axes out")
    lhs, _, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != 2 or n_in != 2:
        raise OnnxConversionError(f"{c.desc(node)}: equation {eq!r}: only two operands are supported")
    if "->" not in eq:  # implicit output: the letters that appear once, in alphabetical order
        out = "".join(sorted(ch for ch in set(lhs) - {","} if lhs.count(ch) == 1))
    if any(not t or t[0] != terms[0][0] for t in terms) or not out or out[0] != terms[0][0]:
        raise OnnxConversionError(f"{c.desc(node)}: equation {eq!r}: every term must start with the same batch letter")
    a, b, o = terms[0][1:], terms[1][1:], out[1:]
    for t in (a, b, o):
        if len(set(t)) != len(t) or terms[0][0] in t:
            raise OnnxConversionError(f"{c.desc(node)}: equation {eq!r}: repeated letters (diagonals) are not supported")
    both = set(a) & set(b)
    pq = [ch for ch in a + b if ch not in both]
    if both & set(o) or sorted(o) != sorted(pq):
        raise OnnxConversionError(
            f"{c.desc(node)}: equation {eq!r} is not supported; only matrix products over the sample axes: the letters "
            "the two operands share are summed (not in the output) and the output holds every other letter "
            "(e.g. 'bi,bj->bij', 'bij,bjk->bik', 'ij,ij->i')")
    return a, b, o


def arranged(c, x: Val, perm, source) -> str:
    """An IR tensor holding ``x``'s logical values transposed by ``perm`` (batch first), row-major."""
    target = permuted_shape(x.shape, perm)
    if np.array_equal(x.index, perm_index(x.shape, perm)):
        return c.view(x, target, source)
    p0 = find_perm(x)
    if p0 is None:
        raise OnnxConversionError(f"layer {source!r}: an input is stored flattened in a permuted order; it cannot be "
                                  "rearranged for the product")
    ir = c.view(x, permuted_shape(x.shape, p0), source)
    dims = [p0.index(p) - 1 for p in perm[1:]]
    return c.add("Permute", f"{source}_permute", [ir], {"dims": dims})


@handler("Einsum")
def einsum(c, node, a):
    ins = [i for i in node.input if i]
    if any(i not in c.vals for i in ins):
        raise OnnxConversionError(f"{c.desc(node)}: only products of data tensors are supported (an operand is a "
                                  "constant)")
    eq = _s(a["equation"])
    la, lb, lo = parse(c, node, eq, len(ins))
    x, y = c.vals[ins[0]], c.vals[ins[1]]
    dim = {}
    for letters, v in ((la, x), (lb, y)):
        if len(letters) != v.rank - 1:
            raise OnnxConversionError(f"{c.desc(node)}: equation {eq!r} does not match an input of shape {v.shape}")
        for ch, d in zip(letters, v.shape[1:]):
            if dim.setdefault(ch, int(d)) != int(d):
                raise OnnxConversionError(f"{c.desc(node)}: axis {ch!r} of {eq!r} has sizes {dim[ch]} and {d}")
    cs = [ch for ch in la if ch in lb]
    p = [ch for ch in lo if ch in la]
    q = [ch for ch in lo if ch in lb]
    name = c.node_name(node)
    k = int(np.prod([dim[ch] for ch in cs], dtype=np.int64))
    m = int(np.prod([dim[ch] for ch in p], dtype=np.int64))
    n = int(np.prod([dim[ch] for ch in q], dtype=np.int64))
    vectors = not p and not q
    irs = []
    for v, letters, free, rows, tag in ((x, la, p, m, "a"), (y, lb, q, n, "b")):
        perm = (0,) + tuple(1 + letters.index(ch) for ch in free + cs)
        ir = arranged(c, v, perm, f"{name}_{tag}")
        flat = Val(ir, (1,) + c.graph.tensors[ir].shape, np.arange(v.size, dtype=np.int64))
        irs.append(c.view(flat, (k,) if vectors else (rows, k), f"{name}_{tag}"))
    out = c.add("Dot", name, irs)
    d_shape = (1,) + tuple(dim[ch] for ch in p + q)
    d = Val(out, d_shape, np.arange(int(np.prod(d_shape[1:], dtype=np.int64)), dtype=np.int64))
    order = p + q
    perm = (0,) + tuple(1 + order.index(ch) for ch in lo)
    c.set(node, Val(out, tuple(d_shape[i] for i in perm), transpose_index(d, perm)))
