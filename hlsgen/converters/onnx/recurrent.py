"""Recurrent layers in the ONNX route, and Gather of one time step.

``hlsgen:Recurrent`` is the node the PyTorch frontend exports for ``nn.RNN``/``nn.LSTM``/
``nn.GRU`` (``hlsgen/converters/pytorch/recurrent.py``): inputs X (N, T, F) batch first,
``weight_ih`` (G*H, F), ``weight_hh`` (G*H, H), ``bias_ih``, ``bias_hh`` (G*H), optionally the initial states
h0 and (LSTM) c0 (1, N, H: one sample's H values each), PyTorch's
gate order (LSTM i, f, g, o; GRU r, z, n); attributes ``kind`` (RNN, LSTM, GRU),
``hidden_size``, ``activation`` (RNN: tanh or relu); outputs Y (N, T, H), h_n (1, N, H)
and (LSTM) c_n.  The standard ONNX RNN/LSTM/GRU operators are sequence-major
(T, N, F), which this frontend's layout tracking (batch first) does not represent; they
are not converted.

``Gather`` with a constant scalar index: along an axis of size 1 it only drops the axis
(``h_n[-1]``); along the time axis of a (1, T, H) tensor it selects one step
(``y[:, -1]``, a Cropping1D).
"""
from __future__ import annotations

import numpy as np

from .frontend import OnnxConversionError, handler
from .layout import Val, find_perm, identity

#: PyTorch gate blocks -> the IR's (hlsgen/layers/recurrent.py)
TORCH_GATES = {"RNN": (0,), "LSTM": (0, 1, 3, 2), "GRU": (1, 0, 2)}
IR_KIND = {"RNN": "SimpleRNN", "LSTM": "LSTM", "GRU": "GRU"}


def _blocks(w, order):
    u = w.shape[-1] // len(order)
    return np.concatenate([w[..., g * u : (g + 1) * u] for g in order], axis=-1)


def _used(c, name) -> bool:
    return bool(name) and (bool(c.consumers.get(name)) or name in {o.name for o in c.model.graph.output})


@handler("hlsgen:Recurrent")
def recurrent(c, node, a):
    kind = a["kind"].decode() if isinstance(a["kind"], bytes) else a["kind"]
    if kind not in IR_KIND:
        raise OnnxConversionError(f"{c.desc(node)}: unknown recurrent kind {kind!r}")
    x = c.val(node)
    if x.rank != 3 or find_perm(x) != identity(3):
        raise OnnxConversionError(f"{c.desc(node)}: expects a (batch, time, features) input stored as given")
    steps, hidden = int(x.shape[1]), int(a["hidden_size"])
    w_ih, w_hh, b_ih, b_hh = (np.asarray(c.const(node, i), dtype=np.float64) for i in range(1, 5))
    order = TORCH_GATES[kind]
    weights = {"weight": _blocks(w_ih.T, order), "recurrent_weight": _blocks(w_hh.T, order)}
    attrs = {"units": hidden}
    if kind == "GRU":  # PyTorch: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)): Keras' reset_after
        weights.update(bias=_blocks(b_ih, order), recurrent_bias=_blocks(b_hh, order))
        attrs["reset_after"] = True
    else:  # the two biases only add
        weights["bias"] = _blocks(b_ih + b_hh, order)
    if kind == "RNN":
        act = a.get("activation", "tanh")
        attrs["activation"] = act.decode() if isinstance(act, bytes) else act
    outs = list(node.output) + [""] * 3
    if kind == "LSTM" and _used(c, outs[2]):
        raise OnnxConversionError(f"{c.desc(node)}: the cell state c_n is used; only the output and h_n are "
                                  "supported")
    name = c.node_name(node)
    ins = [x.ir] + [_state(c, node, k, hidden) for k in range(5, len(node.input)) if node.input[k]]
    seq, last = _used(c, outs[0]), _used(c, outs[1])
    if seq:
        ir = c.add(IR_KIND[kind], name, ins, dict(attrs, return_sequences=True), weights)
        c.set(node, Val(ir, (1, steps, hidden), np.arange(steps * hidden)), 0)
    if last:
        if seq:  # h_n is the last step of the sequence
            crop = c.add("Cropping1D", f"{name}_h_n", [ir], {"crops": (0, 0, steps - 1, 0)})
            h = c.add("Flatten", f"{name}_h_n_flatten", [crop])
        else:
            h = c.add(IR_KIND[kind], name, ins, dict(attrs, return_sequences=False), weights)
        c.set(node, Val(h, (1, 1, hidden), np.arange(hidden)), 1)


def _state(c, node, k, hidden) -> str:
    """The IR tensor (hidden,) of initial state input ``k`` (h0, c0) of one sample."""
    v = c.val(node, k)
    if v.size != hidden or (v.rank == 3 and int(v.shape[1]) != 1):
        raise OnnxConversionError(f"{c.desc(node)}: initial state {node.input[k]!r} has shape {tuple(v.shape)}; "
                                  f"expected (1, batch, {hidden}) (one layer, one direction)")
    return c.vector(v, node)


def gather_step(c, node, a):
    """Gather of data by a constant scalar index (one time step; see the module docstring)."""
    x = c.val(node)
    if not c.is_const(node.input[1]):
        raise OnnxConversionError(f"{c.desc(node)}: only a constant index is supported")
    idx = np.asarray(c.const(node, 1))
    axis = int(a.get("axis", 0))
    axis = axis + x.rank if axis < 0 else axis
    if idx.ndim != 0:
        raise OnnxConversionError(f"{c.desc(node)}: only a scalar constant index is supported, got shape {idx.shape}")
    size = int(x.shape[axis])
    k = int(idx) + size if int(idx) < 0 else int(idx)
    if not 0 <= k < size:
        raise OnnxConversionError(f"{c.desc(node)}: index {int(idx)} is out of range for axis {axis} of {x.shape}")
    shape = tuple(d for i, d in enumerate(x.shape) if i != axis)
    if size == 1:  # the only entry: the data stay as stored (with batch 1, also on axis 0 when axis 1 is 1)
        if axis == 0 and (x.rank < 2 or x.shape[1] != 1):
            raise OnnxConversionError(f"{c.desc(node)}: gathering along the batch axis is not supported")
        c.set(node, Val(x.ir, shape, x.index))
        return
    if x.rank == 3 and axis == 1 and find_perm(x) == identity(3) and len(c.ir_shape(x)) == 2:
        name = c.node_name(node)
        crop = c.add("Cropping1D", name, [x.ir], {"crops": (0, 0, k, size - 1 - k)})
        flat = c.add("Flatten", f"{name}_flatten", [crop])
        c.set(node, Val(flat, shape, np.arange(int(np.prod(shape[1:])))))
        return
    raise OnnxConversionError(f"{c.desc(node)}: Gather along axis {axis} of {x.shape} is supported only to select "
                              "one time step of a (batch, time, features) sequence")
