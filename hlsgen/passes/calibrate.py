"""Calibration: the range of every tensor on representative data.

Inputs whose precision is 'auto' (the default) first get the integer bits their data
need, at the width of the documented input default (``calibrated_input``).

The graph is typed with a very wide default (so that nothing saturates or loses
much precision) and run with the layers' numpy models; the largest magnitude of each
tensor is recorded.  ``infer_types`` then fits the 'auto' result types to these
ranges.  Pass only data the deployed network will see: ranges outside it saturate.
"""
from __future__ import annotations

import copy

import numpy as np

from ..fixed import FixedType
from ..ir.evaluate import evaluate

WIDE = FixedType(40, 20, True, "RND", "SAT")  # wide, yet within what every layer accepts
MAX_SAMPLES = 1000


def calibrate(graph, ctx, data) -> dict:
    """Largest |value| of every tensor of ``graph`` on ``data``.

    The probe is typed but not fused, so every tensor the typed flow sees before and after
    fusion (e.g. a Dense output before its ReLU) gets its range.
    """
    from .infer_types import calibrated_input, infer_types

    xs = [np.asarray(x, dtype=np.float64) for x in (list(data) if isinstance(data, (list, tuple)) else [data])]
    for gi, x in zip(graph.inputs, xs):  # 'auto' inputs first: the layers after them see the fitted type
        if gi.name in getattr(graph, "auto_inputs", ()):
            ctx.input_types[gi.name] = calibrated_input(ctx.input_types[gi.name], float(np.abs(x).max(initial=0.0)))
    xs = [x[:MAX_SAMPLES] for x in xs]
    probe = copy.deepcopy(graph)
    wide_ctx = copy.copy(ctx)
    wide_ctx.types = copy.copy(ctx.types)
    wide_ctx.types.default = WIDE
    wide_ctx.ranges = {}
    infer_types(probe, wide_ctx)
    values = evaluate(probe, xs)
    return {name: float(np.abs(v).max(initial=0.0)) for name, v in values.items()}
