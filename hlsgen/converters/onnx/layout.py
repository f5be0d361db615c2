"""Layout tracking: how each ONNX tensor is stored in its IR tensor.

ONNX tensors are channels-first (NCHW); hlsgen's IR is channels-last.  The frontend
moves data to change layout only for a graph output stored in an order its framework
would not give (a Flatten of a channels-last tensor): one Permute of the IR tensor that
holds it (:func:`undoing_permute`).  Each ONNX tensor is represented by a :class:`Val`:

* ``ir`` — the IR tensor that holds its values,
* ``shape`` — the ONNX (logical) shape, batch first (the batch is always 1 here),
* ``index`` — for every element of the IR tensor, in the IR tensor's C order, the flat
  index of the same element in the logical tensor (batch excluded).

A Transpose (keeping the batch axis first), Flatten, Reshape, Squeeze and Unsqueeze only
change ``shape`` and ``index``: no IR layer is created, so Transposes always cancel or
vanish.  Layout-sensitive operators check ``index`` instead:

* Conv, pooling and Pad need the channels-last order of their logical input
  (``index == perm_index(shape, channels_last(rank))``); the graph inputs get the layout
  their first layout-sensitive consumer needs (:func:`demanded_perm`);
* Gemm / MatMul on a vector permute the rows of their weight matrix by ``index`` (this is
  how Flatten of an NHWC tensor followed by Gemm gives the ONNX result);
* constants that meet a tensor (Add/Mul/BatchNormalization parameters) are broadcast to the
  logical shape and gathered with ``index``;
* elementwise operators between two tensors need equal ``index``.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations

import numpy as np


@dataclass
class Val:
    ir: str
    shape: tuple  # logical ONNX shape, batch (1) first
    index: np.ndarray  # IR flat position -> logical flat index

    @property
    def size(self) -> int:
        return int(np.prod(self.shape[1:], dtype=np.int64))

    @property
    def rank(self) -> int:
        return len(self.shape)


def channels_last(rank: int) -> tuple:
    """The axis order (batch first) that makes an NC... tensor N...C."""
    return (0,) + tuple(range(2, rank)) + (1,)


def perm_index(shape, perm) -> np.ndarray:
    """``index`` of a tensor of logical ``shape`` stored transposed by ``perm``
    (IR axis i = logical axis perm[i])."""
    dims = tuple(int(d) for d in shape[1:])
    n = int(np.prod(dims, dtype=np.int64))
    a = np.arange(n, dtype=np.int64).reshape(dims)
    return a.transpose([p - 1 for p in perm[1:]]).reshape(-1)


def permuted_shape(shape, perm) -> tuple:
    return tuple(int(shape[p]) for p in perm[1:])


def identity(rank: int) -> tuple:
    return tuple(range(rank))


def find_perm(val: Val):
    """The axis permutation (batch first) ``val`` is stored in, or None.  Identity first."""
    r = val.rank
    cands = [identity(r), channels_last(r)] + [(0,) + p for p in permutations(range(1, r))]
    seen = set()
    for p in cands:
        if p in seen:
            continue
        seen.add(p)
        if np.array_equal(val.index, perm_index(val.shape, p)):
            return p
    return None


def undoing_permute(index, ir_shape):
    """The ``dims`` of a Permute of the IR tensor (of ``ir_shape``, rank 1 to 3) whose output,
    in C order, is the logical order of a tensor stored with ``index``; None when there is none."""
    ir_shape = tuple(int(d) for d in ir_shape)
    if not 1 <= len(ir_shape) <= 3 or int(np.prod(ir_shape, dtype=np.int64)) != len(index):
        return None
    a = np.asarray(index).reshape(ir_shape)
    want = np.arange(len(index), dtype=np.int64)
    for p in permutations(range(len(ir_shape))):
        if np.array_equal(a.transpose(p).reshape(-1), want):
            return tuple(p)
    return None


def transpose_index(val: Val, perm) -> np.ndarray:
    """``index`` after a logical Transpose(perm) (perm[0] == 0) of ``val``."""
    dims = tuple(int(d) for d in val.shape[1:])
    n = val.size
    moved = np.arange(n, dtype=np.int64).reshape(dims).transpose([p - 1 for p in perm[1:]]).reshape(-1)
    inv = np.empty(n, dtype=np.int64)
    inv[moved] = np.arange(n, dtype=np.int64)
    return inv[val.index]


def gather_const(c, val: Val, what: str) -> np.ndarray:
    """A constant that broadcasts against ``val``'s logical shape, in IR order (flat)."""
    c = np.asarray(c, dtype=np.float64)
    try:
        full = np.broadcast_shapes(c.shape, tuple(val.shape))
    except ValueError:
        raise ValueError(f"{what}: constant of shape {c.shape} does not broadcast to {tuple(val.shape)}") from None
    if tuple(full) != tuple(val.shape):
        raise ValueError(f"{what}: constant of shape {c.shape} would change the tensor shape {tuple(val.shape)} "
                         f"to {tuple(full)}")
    flat = np.broadcast_to(c, val.shape)[0].reshape(-1)
    return flat[val.index]


# operators the graph-input layout analysis walks through (layout-agnostic, one data input)
_TRANSPARENT = {
    "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Elu", "Selu", "HardSigmoid", "Clip", "Softplus", "Softsign",
    "Identity", "Dropout", "Quant", "Trunc", "Add", "Sub", "Mul", "Div", "BatchNormalization", "PRelu",
}
_CHANNELS_LAST = {"Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Pad", "ConvTranspose", "ReduceMean", "ReduceMax", "Resize"}


def demanded_perm(tensor: str, shape, consumers: dict, const: set):
    """The storage order a graph input should get: channels-last when the first
    layout-sensitive operator it reaches (through Transposes and elementwise operators)
    is a convolution, pooling or Pad; else the ONNX order."""
    rank = len(shape)
    ident = identity(rank)
    if rank < 3:
        return ident
    queue = [(tensor, ident)]
    seen = set()
    while queue:
        t, T = queue.pop(0)
        if t in seen:
            continue
        seen.add(t)
        for node in consumers.get(t, []):
            if node.input and node.input[0] != t and node.op_type not in ("Add", "Mul"):
                continue
            op = node.op_type
            if op == "Transpose":
                perm = next((list(a.ints) for a in node.attribute if a.name == "perm"), None)
                if perm is None or perm[0] != 0:
                    continue
                queue.append((node.output[0], tuple(T[p] for p in perm)))
            elif op in _CHANNELS_LAST:
                cl = channels_last(len(T))
                return tuple(T[p] for p in cl)
            elif op in _TRANSPARENT:
                others = [i for i in node.input if i and i != t]
                if op in ("Add", "Sub", "Mul", "Div") and not all(i in const for i in others):
                    continue
                queue.append((node.output[0], T))
    return ident
