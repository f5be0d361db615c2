"""Run a typed graph with the layers' numpy golden models (bit-exact with the C++)."""
from __future__ import annotations

import numpy as np


def evaluate(graph, inputs) -> dict:
    """Values of every tensor for ``inputs`` (one array per graph input, batch first)."""
    xs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if len(xs) != len(graph.inputs):
        raise ValueError(f"the model has {len(graph.inputs)} inputs, got {len(xs)} arrays")
    values = {}
    for gi, x in zip(graph.inputs, xs):
        t = graph.tensors[gi.tensor]
        x = np.asarray(x, dtype=np.float64).reshape((-1, *t.shape))
        values[gi.tensor] = t.type.quantize(x)
    for layer in graph.layers:
        values[layer.outputs[0]] = layer.golden([values[t] for t in layer.inputs])
    return values


def outputs(graph, inputs) -> list:
    values = evaluate(graph, inputs)
    return [values[t] for t in graph.outputs]
