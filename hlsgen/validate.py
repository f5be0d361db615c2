"""Checks of user input that several entry points share; each error names its culprit."""
from __future__ import annotations

import math

import numpy as np


def clock_period(value, default: float, name: str = "clock_period") -> float:
    """A clock period in ns: a positive finite number (``None``: ``default``)."""
    if value is None:
        return float(default)
    try:
        period = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number of nanoseconds (e.g. 10 for 100 MHz), got {value!r}") from None
    if not (math.isfinite(period) and period > 0):
        raise ValueError(f"{name} must be a positive number of nanoseconds (e.g. 10 for 100 MHz), got {value!r}")
    return period


def finite(values, what: str) -> np.ndarray:
    """``values`` as float64, refusing NaN and infinity with a message naming ``what``."""
    a = np.asarray(values)
    if np.iscomplexobj(a):
        raise TypeError(f"{what} is complex; hlsgen computes on real values")
    try:
        a = a.astype(np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be numbers, got an array of {a.dtype}") from None
    bad = ~np.isfinite(a)
    if bad.any():
        n_nan = int(np.isnan(a).sum())
        raise ValueError(f"{what} has {n_nan} NaN and {int(bad.sum()) - n_nan} infinite values "
                         f"(of {a.size}); every value must be a finite number")
    return a


def graph_weights(graph):
    """Every weight of every layer of a parsed graph is finite (before any pass uses it)."""
    for lay in graph.layers:
        for key, w in (lay.weights or {}).items():
            finite(w, f"layer {lay.source_name!r}: weight {key!r}")


def samples(arrays, shapes: list, names: list, what: str, kind: str = "input") -> list:
    """``arrays`` (one array, or one per model input) as float64 batches of the model's
    input shapes: ``(N, *shape)``, or ``(N, size)`` flat. Refuses other shapes, complex
    values and NaN, naming ``what`` (the argument) and the input."""
    xs = list(arrays) if isinstance(arrays, (list, tuple)) else [arrays]
    if len(xs) != len(shapes):
        raise ValueError(f"{what}: the model has {len(shapes)} {kind}s, got {len(xs)} arrays")
    out, n = [], None
    for x, shape, name in zip(xs, shapes, names):
        label = f"{what}" if len(shapes) == 1 else f"{what} ({kind} {name!r})"
        x = finite(x, label)
        shape = tuple(shape)
        size = int(np.prod(shape))
        if x.shape == shape:
            x = x[None]
        if x.ndim < 1 or x.shape[1:] not in (shape, (size,)):
            raise ValueError(f"{label}: expected shape (N, {', '.join(map(str, shape))})"
                             f"{f' or (N, {size})' if len(shape) > 1 else ''} for {kind} {name!r}, got {x.shape}")
        if x.shape[0] == 0:
            raise ValueError(f"{label}: no samples (the array is empty)")
        if n is not None and x.shape[0] != n:
            raise ValueError(f"{what}: the {kind}s have different numbers of samples ({n} and {x.shape[0]})")
        n = x.shape[0]
        out.append(x.reshape(x.shape[0], *shape))
    return out
