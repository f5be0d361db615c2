"""Weights for the reprogrammable weight port: from another model, in bus order."""
from __future__ import annotations

import os

import numpy as np

from . import validate
from .fixed import parse_type
from .flow import configure_and_run_passes, validated_config
from .ir.graph import Graph


def weight_words(hm, source) -> np.ndarray:
    """Values for the weight port of ``hm``'s accelerator, in the order of registers.json.

    ``source``: a Keras model with the same architecture as the converted one, or its
    already-parsed IR graph (either goes through the same configuration and passes, e.g.
    batch-norm folding), or a list of arrays, one per weight array of registers.json.  Each
    array is quantized to its weight type, so the bus carries the values exactly.
    """
    acc = hm.accelerator
    if acc is None or not acc.reprogrammable:
        raise ValueError("the model has no weight port: convert with backend='VivadoAccelerator', "
                         "weights='reprogrammable'")
    specs = [w for w in hm.lowering.weights if w.kind == "weight"]
    if isinstance(source, (list, tuple)):
        arrays = list(source)
    else:
        arrays = arrays_from_graph(hm, source if isinstance(source, Graph) else _parse_keras(source), specs)
    if len(arrays) != len(specs):
        raise ValueError(f"the weight port takes {len(specs)} arrays, got {len(arrays)}")
    out = []
    for a, s in zip(arrays, specs):
        a = validate.finite(a, f"load_weights: weight {s.key!r} of layer {s.layer!r}")
        if a.size != s.size:
            raise ValueError(f"weight array {s.var} ({s.layer}.{s.key}) has {s.size} values, got {a.size}")
        t = parse_type(s.precision)
        q = t.quantize(a.ravel())
        if np.any(np.abs(q - a.ravel()) > t.lsb):
            raise ValueError(
                f"weights of layer {s.layer!r} ({s.key}) reach {np.abs(a).max():.4g}, beyond their type {t} "
                f"(range {t.min_value:.4g} .. {t.max_value:.4g}): they would saturate. Convert with an explicit "
                f"Precision for {s.key} in the configuration that holds every weight you will load")
        out.append(q)
    return np.concatenate(out) if out else np.zeros(0)


def _parse_keras(model) -> Graph:
    """A Keras model (object, or .keras/.h5 file) parsed by the Keras frontend."""
    from .converters.keras import load_keras_model, parse_keras_model

    if isinstance(model, (str, os.PathLike)):
        model = load_keras_model(model)
    return parse_keras_model(model)


def arrays_from_graph(hm, graph: Graph, specs) -> list:
    """The weights of ``graph`` (a parsed model of ``hm``'s architecture) for the weight
    port, in the order of ``specs``: configured as ``hm`` was, through the same passes."""
    config = {k: v for k, v in hm.config.items() if k not in ("AcceleratorConfig", "LayerName")}
    validate.graph_weights(graph)
    other = configure_and_run_passes(graph, validated_config(graph, config), weights_fixed=True)
    # layers correspond by position (a second instance of an architecture has other names)
    mine, theirs = hm.graph.layers, other.layers
    if [lay.kind for lay in mine] != [lay.kind for lay in theirs]:
        raise ValueError("the model does not have the converted model's architecture: layer kinds "
                         f"{[lay.kind for lay in theirs]} instead of {[lay.kind for lay in mine]}")
    position = {lay.name: k for k, lay in enumerate(mine)}
    arrays = []
    for s in specs:
        lay = theirs[position[s.layer]]
        w = lay.weights.get(s.key)
        if w is None or w.size != s.size:
            raise ValueError(f"layer {lay.source_name!r} of the model has no {s.key} of {s.size} values "
                             f"like {s.layer!r}: is it the same architecture?")
        arrays.append(w)
    return arrays
