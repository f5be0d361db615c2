"""The layout record a frontend leaves on its graph (``graph.onnx_io``, ``graph.torch_io``):
for each input and output, the axis permutation between the framework's layout and the
order the HLS model stores (batch first).  One reader for every frontend."""
from __future__ import annotations

import numpy as np


def record(graph_or_model, attr: str, frontend: str) -> dict:
    """The layout record ``attr`` of a graph or an HLS model (an error naming ``frontend``
    when the model was not converted from it)."""
    g = getattr(graph_or_model, "graph", graph_or_model)
    io = getattr(g, attr, None)
    if io is None:
        raise ValueError(f"not a model converted from {frontend} (no {attr} layout record)")
    return io


def permute(graph_or_model, attr: str, frontend: str, side: str, name, array, inverse: bool = False):
    """``array`` (batch first) transposed by the permutation of input or output ``name``
    (``side``: 'inputs' or 'outputs'; the first one when ``name`` is None); ``inverse``:
    by the inverse permutation."""
    perms = record(graph_or_model, attr, frontend)[side]
    perm = perms[name] if name else next(iter(perms.values()))
    return np.transpose(np.asarray(array), np.argsort(perm) if inverse else perm)
