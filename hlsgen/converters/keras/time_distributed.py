"""Keras ``TimeDistributed(f)``: ``f`` applied to each of the T slices x[t] of its input
(T, ...) with the same weights, the results stacked on a new leading axis.

* ``f`` acting on the last axis alone (Dense, activations, ... or a nested model made only
  of such layers): ``f`` applied to the whole input, which it already does step by step.
  Configured by the wrapper's name (a nested model: by its layers' names).
* any other ``f`` (a convolution, pooling, a nested model of any layers hlsgen converts):
  unrolled over the T steps.  The input is seen as (T, N) rows (a Reshape); step t is the
  first row of rows t.. (a Cropping1D; another one drops that row for the next step, so
  no tensor feeds more than two layers), a Reshape to the step's shape, ``f`` on it, a
  Reshape to (1, ...); the steps are joined by Concatenate on axis 0.  Every one of these layers
  moves values without rounding, so the result is exactly ``f`` per step.  The IR layers
  of step t >= 1 are named ``<name>_t<t>`` and configured as step 0 (one configuration
  entry sets every step); each step's C++ holds its own copy of ``f``'s weights (the IR
  has no weight sharing between layers), so the weights cost T times their size.
"""
from __future__ import annotations

import numpy as np

from . import HANDLERS, KerasLayer, _convert_model, _is_model, handler

#: layers that act on the last axis alone: TimeDistributed over the axes before it is the layer itself
PER_STEP = ("Dense", "QDense", "Activation", "QActivation", "Dropout", "ReLU", "LeakyReLU", "Softmax")


def _acts_on_last_axis(layer) -> bool:
    if _is_model(layer):
        return all(_acts_on_last_axis(inner) for inner in layer.layers if type(inner).__name__ != "InputLayer")
    return type(layer).__name__ in PER_STEP and (type(layer).__name__ != "Softmax"
                                                  or layer.get_config().get("axis", -1) == -1)


def _apply(kl, inner, ins, b, step):
    """``inner`` on IR tensors ``ins`` for time step ``step`` (None: the whole input); its output tensor."""
    suffix = f"_t{step}" if step else ""
    first = len(b.graph.layers)
    if _is_model(inner):
        call = kl.name[len(kl.obj.name):]  # '_k' for call k >= 1 of the wrapper (a shared layer)
        outs = _convert_model(inner, ins, b, kl.flavour, call + suffix)
        if len(outs) != 1:
            raise ValueError(f"layer {kl.name!r}: TimeDistributed of a model with {len(outs)} outputs is not supported")
        return outs[0]
    cls = type(inner).__name__
    fn = HANDLERS.get(cls)
    if fn is None:
        raise ValueError(f"layer {kl.name!r}: TimeDistributed({cls}) is not supported: hlsgen does not convert {cls}")
    names = [getattr(w, "path", None) or w.name for w in inner.weights]
    sub = KerasLayer(cls, kl.name + suffix, inner.get_config(), kl.weights, kl.flavour, inner, names)
    out = fn(sub, ins, b)
    if isinstance(out, list):
        if len(out) != 1:
            raise ValueError(f"layer {kl.name!r}: TimeDistributed({cls}) has {len(out)} outputs; only 1 is supported")
        out = out[0]
    if suffix:  # step t >= 1: configured as step 0
        for lay in b.graph.layers[first:]:
            if lay.source_name.startswith(sub.name):
                lay.config_name = kl.name + lay.source_name[len(sub.name):]
    return out


@handler("TimeDistributed")
def time_distributed(kl, inputs, b):
    inner = getattr(kl.obj, "layer", None)
    if inner is None:
        raise ValueError(f"layer {kl.name!r}: TimeDistributed without a wrapped layer")
    if _acts_on_last_axis(inner):
        return _apply(kl, inner, inputs, b, None)
    shape = tuple(b.shape(inputs[0]))
    if len(shape) < 2:
        raise ValueError(f"layer {kl.name!r}: TimeDistributed needs an input of shape (steps, ...), got {shape}")
    steps, step_shape = shape[0], shape[1:]
    rest = b.add("Reshape", f"{kl.name}_steps", inputs, {"target_shape": (steps, int(np.prod(step_shape)))})
    acc = None
    for t in range(steps):
        x = rest  # rows t.. of the input; its first row is step t (each tensor read at most twice: io_stream)
        if t < steps - 1:
            x = b.add("Cropping1D", f"{kl.name}_slice{t}", [rest], {"crops": (0, 0, 0, steps - 1 - t)})
            rest = b.add("Cropping1D", f"{kl.name}_rest{t}", [rest], {"crops": (0, 0, 1, 0)})
        x = b.add("Reshape", f"{kl.name}_in{t}", [x], {"target_shape": step_shape})
        y = _apply(kl, inner, [x], b, t)
        y = b.add("Reshape", f"{kl.name}_out{t}", [y], {"target_shape": (1,) + tuple(b.shape(y))})
        acc = y if acc is None else b.add("Concatenate", f"{kl.name}_stack{t}", [acc, y], {"axis": 0})
    return acc
