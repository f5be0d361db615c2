"""Keras handlers for QKeras 0.9 recurrent layers: QSimpleRNN, QLSTM, QGRU.

They become the IR recurrent kinds with exact types in ``attrs['types']``:

* kernel, recurrent kernel and bias as QKeras' forward pass sees them, with types
  holding them exactly (as for QDense);
* the cell's activations: a quantizer with a one-layer plan (``quantized_tanh``,
  ``quantized_bits``, ``quantized_relu``: a cast to its grid; ``quantized_sigmoid``:
  clip(0.5 x + 0.5) on its grid) or QKeras' own ``hard_sigmoid`` (clip(0.5 x + 0.5),
  exact); other (float) activations use the tables of the Keras layers and are not
  bit-exact;
* ``state_quantizer`` (quantized_bits): the h and c the next step sees
  (``result_carry``/``state_carry``); the layer's output h is then exact
  (QKeras' float32 cell computes it exactly while the values are narrow).

So with quantizer activations and a state quantizer the layer is bit-exact with QKeras.
"""
from __future__ import annotations

import numpy as np

from ...quantizers import activation_plan, declared_type, parse_quantizer
from . import KerasLayer, handler
from .core import ACTIVATIONS
from .qkeras import _is_quantizer, quantized
from .recurrent import _check_mask, reorder_gates

KINDS = {"QSimpleRNN": "SimpleRNN", "QLSTM": "LSTM", "QGRU": "GRU"}


def _cell_activation(kl, obj, key):
    """(IR activation, its attributes, the result type or None) of the cell's ``key``."""
    where = f"{kl.class_name} layer {kl.name!r} {key}"
    if _is_quantizer(obj):
        qz = parse_quantizer(obj, where=where)
        steps = activation_plan(qz)
        st = steps[0]
        if len(steps) == 1 and st.kind == "Activation":
            attrs = dict(st.attrs)
            t = attrs.pop("types")["result"]
            return attrs.pop("activation"), attrs, t
        if len(steps) == 1 and st.kind == "BatchNormalization" and \
                all(np.all(np.asarray(st.weights[k]) == 0.5) for k in ("scale", "bias")):
            return "hard_sigmoid", {"variant": "qkeras"}, st.attrs["types"]["result"]
        raise ValueError(f"{where}: {qz.text} has no single-layer implementation inside a recurrent cell")
    name = getattr(obj, "__name__", None) or str(obj)
    if name == "hard_sigmoid":
        qkeras_own = getattr(obj, "__module__", "").startswith("qkeras")
        return "hard_sigmoid", {"variant": "qkeras" if qkeras_own else "tf_keras"}, None
    if name not in ACTIVATIONS:
        raise ValueError(f"{where}: activation {name!r} is not supported")
    ir, attrs = ACTIVATIONS[name]
    return ir, dict(attrs), None


@handler("QSimpleRNN", "QLSTM", "QGRU")
def qrecurrent(kl, inputs, b):
    c = kl.config
    kind = KINDS[kl.class_name]
    if kl.obj is None:
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: needs the QKeras layer object")
    if c.get("stateful"):
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: stateful=True is not supported")
    if c.get("return_state"):
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: return_state=True is not supported")
    _check_mask(kl, inputs, b)
    cell = kl.obj.cell
    ql = KerasLayer(kl.class_name, kl.name, c, kl.weights, kl.flavour, cell, kl.weight_names)
    if kind == "GRU" and cell.recurrent_quantizer is None:
        raise ValueError(f"QGRU layer {kl.name!r}: without a recurrent_quantizer QKeras 0.9 multiplies the state "
                         "by the input kernel (its QGRUCell uses self.kernel); set recurrent_quantizer")
    u = int(c["units"])
    kv, kt = quantized(ql, "kernel_quantizer", kl.weight("kernel", 0))
    rv, rt = quantized(ql, "recurrent_quantizer", kl.weight("recurrent_kernel", 1))
    g = kv.shape[1]
    weights = {"weight": reorder_gates(kv, kind), "recurrent_weight": reorder_gates(rv, kind)}
    types = {"weight": kt, "recurrent_weight": rt}
    attrs = dict(units=u, return_sequences=bool(c.get("return_sequences", False)),
                 go_backwards=bool(c.get("go_backwards", False)), exact_activations=True)
    if c.get("use_bias", True):
        bv, bt = quantized(ql, "bias_quantizer", kl.weight("bias", 2))
        rbias = np.zeros(g)
        if bv.ndim == 2:  # QGRU reset_after: [input bias, recurrent bias]
            bv, rbias = bv[0], bv[1]
            types["recurrent_bias"] = bt
        weights.update(bias=reorder_gates(bv, kind), recurrent_bias=reorder_gates(rbias, kind))
        types["bias"] = bt
    act, act_attrs, act_t = _cell_activation(kl, cell.activation, "activation")
    attrs.update(activation=act, activation_attrs=act_attrs)
    if act_t is not None:
        types["candidate"] = act_t
        if kind == "SimpleRNN":
            types["result"] = act_t
        if kind == "LSTM":
            types["state_act"] = act_t
    if kind != "SimpleRNN":
        ract, ract_attrs, ract_t = _cell_activation(kl, cell.recurrent_activation, "recurrent_activation")
        attrs.update(recurrent_activation=ract, recurrent_activation_attrs=ract_attrs)
        if ract_t is not None:
            types["gate"] = ract_t
    if kind == "GRU":
        attrs["reset_after"] = bool(c.get("reset_after", True))
    sq = getattr(cell, "state_quantizer", None)
    if sq:
        qz = parse_quantizer(sq, where=f"{kl.class_name} layer {kl.name!r} state_quantizer")
        st = declared_type(qz)
        if st is None:
            qz.fail("only quantized_bits (alpha=1) is supported as a state quantizer")
        types["result_carry"] = st
        if kind == "LSTM":
            types["state_carry"] = st
        attrs["result_exact"] = kind != "SimpleRNN"
    attrs["types"] = types
    return b.add(kind, kl.name, inputs, attrs, weights)
