"""Weights for the reprogrammable weight port: from another model, in bus order."""
from __future__ import annotations

import numpy as np

from .fixed import parse_type


def weight_words(hm, source) -> np.ndarray:
    """Values for the weight port of ``hm``'s accelerator, in the order of registers.json.

    ``source``: a Keras model with the same architecture as the converted one (it goes
    through the same passes, e.g. batch-norm folding), or a list of arrays, one per
    weight array of registers.json.  Each array is quantized to its weight type, so the
    bus carries the values exactly.
    """
    acc = hm.accelerator
    if acc is None or not acc.reprogrammable:
        raise ValueError("the model has no weight port: convert with backend='VivadoAccelerator', "
                         "weights='reprogrammable'")
    from .backends.vivado import ProjectCode

    specs = [w for w in ProjectCode(hm.graph, hm.project_name).weights if w.kind == "weight"]
    if isinstance(source, (list, tuple)):
        arrays = [np.asarray(a, dtype=np.float64) for a in source]
    else:
        arrays = _arrays_from_model(hm, source, specs)
    if len(arrays) != len(specs):
        raise ValueError(f"the weight port takes {len(specs)} arrays, got {len(arrays)}")
    out = []
    for a, s in zip(arrays, specs):
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


def _arrays_from_model(hm, model, specs):
    from .convert import _keras_graph, build_model

    opts = dict(hm.options, accelerator=None, backend="Vivado")
    other = build_model(_keras_graph(model), {k: v for k, v in hm.config.items() if k != "AcceleratorConfig"},
                        opts)
    by_name = {lay.name: lay for lay in other.graph.layers}
    arrays = []
    for s in specs:
        lay = by_name.get(s.layer)
        if lay is None or s.key not in lay.weights:
            raise ValueError(f"the model has no weights for layer {s.layer!r} ({s.key}): is it the same architecture?")
        arrays.append(lay.weights[s.key])
    return arrays
