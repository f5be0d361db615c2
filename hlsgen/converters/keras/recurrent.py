"""Keras handlers for recurrent layers: SimpleRNN, LSTM, GRU and Bidirectional.

The IR kinds (``hlsgen/layers/recurrent.py``) take the weights in their own gate order:
LSTM's Keras blocks i, f, c, o become i, f, o, c; GRU's z, r, h and SimpleRNN stay.
Options without an inference meaning (dropout, initializers, ``unroll``) are ignored;
``stateful``, masking and a ``return_state`` whose cell state is used are refused,
naming the layer.
"""
from __future__ import annotations

import numpy as np

from . import KerasLayer, handler
from .core import ACTIVATIONS, _activation_name

KINDS = {"SimpleRNN": "SimpleRNN", "LSTM": "LSTM", "GRU": "GRU"}
#: the IR gate block order, as indices of the Keras blocks
GATE_ORDER = {"SimpleRNN": (0,), "LSTM": (0, 1, 3, 2), "GRU": (0, 1, 2)}
MERGE_KINDS = {"concat": "Concatenate", "sum": "Add", "mul": "Multiply", "ave": "Average"}


def _activation(kl, key, default):
    """(IR activation, its attributes) of the cell option ``key``."""
    name = _activation_name(kl.config.get(key, default))
    if name == "hard_sigmoid":
        return name, {"variant": "keras3" if kl.flavour == "keras3" else "tf_keras"}
    if name not in ACTIVATIONS:
        valid = ", ".join(sorted(list(ACTIVATIONS) + ["hard_sigmoid"]))
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: {key} {name!r} is not supported; supported: {valid}")
    return ACTIVATIONS[name]


def reorder_gates(w, kind):
    """Columns of ``w`` (..., G*u) from the Keras gate blocks to the IR's."""
    order = GATE_ORDER[kind]
    u = w.shape[-1] // len(order)
    return np.concatenate([w[..., g * u : (g + 1) * u] for g in order], axis=-1)


def recurrent_attrs_weights(kl):
    """(IR kind, attrs, weights) of a Keras SimpleRNN/LSTM/GRU layer."""
    c = kl.config
    kind = KINDS[kl.class_name]
    for key in ("stateful",):
        if c.get(key):
            raise ValueError(f"{kl.class_name} layer {kl.name!r}: {key}=True is not supported "
                             "(every sample starts from a zero state)")
    if c.get("time_major"):
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: time_major=True is not supported")
    act, act_attrs = _activation(kl, "activation", "tanh")
    attrs = dict(units=int(c["units"]), activation=act, activation_attrs=act_attrs,
                 return_sequences=bool(c.get("return_sequences", False)),
                 go_backwards=bool(c.get("go_backwards", False)))
    if kind != "SimpleRNN":
        ract, ract_attrs = _activation(kl, "recurrent_activation", "sigmoid")
        attrs.update(recurrent_activation=ract, recurrent_activation_attrs=ract_attrs)
    kernel = kl.weight("kernel", 0)
    rec = kl.weight("recurrent_kernel", 1)
    u = int(c["units"])
    g = len(GATE_ORDER[kind]) * u
    bias = kl.weight("bias", 2) if c.get("use_bias", True) else None
    rbias = np.zeros(g)
    if kind == "GRU":
        attrs["reset_after"] = bool(c.get("reset_after", True))
        if bias is not None and np.asarray(bias).ndim == 2:  # reset_after: [input bias, recurrent bias]
            bias, rbias = bias[0], bias[1]
    bias = np.zeros(g) if bias is None else np.asarray(bias, dtype=np.float64)
    weights = {"weight": reorder_gates(kernel, kind), "recurrent_weight": reorder_gates(rec, kind),
               "bias": reorder_gates(bias, kind), "recurrent_bias": reorder_gates(rbias, kind)}
    return kind, attrs, weights


def _add_recurrent(kl, inputs, b, source_name=None, extra=None):
    kind, attrs, weights = recurrent_attrs_weights(kl)
    attrs.update(extra or {})
    return b.add(kind, source_name or kl.name, inputs, attrs, weights)


def _check_mask(kl, inputs, b):
    prod = b.graph.producer(inputs[0])
    if prod is not None and prod.attrs.get("mask_zero"):
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: its input is masked (mask_zero=True); "
                         "masked sequences are not supported")


@handler("SimpleRNN", "LSTM", "GRU")
def recurrent(kl, inputs, b):
    _check_mask(kl, inputs, b)
    out = _add_recurrent(kl, inputs, b)
    if kl.config.get("return_state"):
        # [output, h] (+ c for LSTM): h is the output unless every step is returned
        if kl.config.get("return_sequences"):
            return [out]
        return [out, out]
    return out


def _sublayer(kl, obj, part):
    cfg = obj.get_config()
    weights = [np.asarray(w) for w in obj.get_weights()]
    names = [getattr(w, "path", None) or w.name for w in obj.weights]
    cls = type(obj).__name__
    if cls not in KINDS:
        raise ValueError(f"Bidirectional layer {kl.name!r}: its {part} layer is a {cls}; supported: "
                         f"{', '.join(KINDS)}")
    return KerasLayer(cls, kl.name, cfg, weights, kl.flavour, obj, names)


@handler("Bidirectional")
def bidirectional(kl, inputs, b):
    c = kl.config
    if c.get("layer", {}).get("config", {}).get("return_state"):
        raise ValueError(f"Bidirectional layer {kl.name!r}: return_state=True is not supported")
    mode = c.get("merge_mode", "concat")
    if mode not in MERGE_KINDS:
        raise ValueError(f"Bidirectional layer {kl.name!r}: merge_mode={mode!r} is not supported; supported: "
                         f"{', '.join(MERGE_KINDS)}")
    if kl.obj is None:
        raise ValueError(f"Bidirectional layer {kl.name!r}: needs the Keras layer object")
    _check_mask(kl, inputs, b)
    fwd = _sublayer(kl, kl.obj.forward_layer, "forward")
    bwd = _sublayer(kl, kl.obj.backward_layer, "backward")
    # initial states: the forward layer's first, then the backward layer's (as Keras splits them)
    half = (len(inputs) - 1) // 2
    f_out = _add_recurrent(fwd, inputs[: 1 + half], b, f"{kl.name}_forward")
    # Keras returns the backward sequence in input order
    extra = {"reverse_output": bool(bwd.config.get("return_sequences"))}
    b_out = _add_recurrent(bwd, inputs[:1] + inputs[1 + half :], b, f"{kl.name}_backward", extra)
    attrs = {"axis": len(b.shape(f_out)) - 1} if mode == "concat" else None
    out = b.add(MERGE_KINDS[mode], kl.name, [f_out, b_out], attrs)
    # hls4ml configures the layer as one entry with forward_/backward_ keys (config.split_parts)
    b.graph.config_parts = dict(getattr(b.graph, "config_parts", {}),
                                **{kl.name: {"forward": f"{kl.name}_forward", "backward": f"{kl.name}_backward"}})
    return out
