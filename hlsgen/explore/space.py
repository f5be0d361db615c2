"""The points of a sweep: configuration axes expanded into points, and a point applied
to a base configuration and the conversion options.

An axis is named as the configuration names it:

* ``Precision``, ``ReuseFactor``, ``Strategy``: the model level (``Model.<key>``);
* ``Model.<key>``, ``LayerType.<kind>.<key>``, ``LayerName.<layer>.<key>``, with
  ``.Precision.<what>`` for one precision of a layer (``LayerName.fc1.Precision.weight``);
* a conversion option: ``io_type``, ``backend``, ``board``, ``part``, ``interface``,
  ``weights``, ``clock_period``.

A space is a dict ``axis -> list of values`` (every combination is a point) or an explicit
list of points, each a dict ``axis -> value``.
"""
from __future__ import annotations

import copy
import itertools
import json

from .. import config as cfgmod

CONVERT_AXES = ("io_type", "backend", "board", "part", "interface", "weights", "clock_period")
MODEL_AXES = ("Precision", "ReuseFactor", "Strategy")


class SpaceError(ValueError):
    """A sweep space that names an unknown axis or gives no values."""


def points(space) -> list:
    """The points of ``space``, in order (the first axis varies slowest)."""
    if isinstance(space, dict):
        if not space:
            raise SpaceError("the space is empty: give at least one axis, e.g. {'ReuseFactor': [1, 2, 4]}")
        axes = []
        for axis, values in space.items():
            _check_axis(axis)
            if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
                raise SpaceError(f"axis {axis!r}: expected a list of values, got {values!r}")
            values = list(values)
            if not values:
                raise SpaceError(f"axis {axis!r} has no values")
            axes.append((axis, values))
        return [dict(zip([a for a, _ in axes], combo)) for combo in itertools.product(*[v for _, v in axes])]
    if isinstance(space, (list, tuple)):
        out = []
        for k, p in enumerate(space):
            if not isinstance(p, dict) or not p:
                raise SpaceError(f"point {k} of the space: expected a non-empty dict axis -> value, got {p!r}")
            for axis in p:
                _check_axis(axis)
            out.append(dict(p))
        if not out:
            raise SpaceError("the space is an empty list of points")
        return out
    raise SpaceError(f"the space must be a dict of axes or a list of points, got {type(space).__name__}")


def _check_axis(axis) -> None:
    if not isinstance(axis, str):
        raise SpaceError(f"axis {axis!r}: axes are strings such as 'ReuseFactor' or 'LayerName.fc1.ReuseFactor'")
    if axis in CONVERT_AXES or axis in MODEL_AXES:
        return
    parts = axis.split(".")
    top = parts[0]
    if top == "Model" and len(parts) == 2 and parts[1] in cfgmod.MODEL_KEYS:
        return
    if top in ("LayerName", "LayerType") and len(parts) >= 3 and parts[2] in cfgmod.LAYER_KEYS:
        if len(parts) == 3 or (len(parts) == 4 and parts[2] == "Precision"):
            return
    raise SpaceError(f"unknown axis {axis!r}; axes: {', '.join(MODEL_AXES)}, Model.<key>, "
                     f"LayerType.<kind>.<key>, LayerName.<layer>.<key> (keys: {', '.join(cfgmod.LAYER_KEYS)}; "
                     f"Precision.<what> for one precision), or a conversion option: {', '.join(CONVERT_AXES)}")


def apply(point: dict, base_config: dict | None, base_options: dict) -> tuple:
    """(hls_config, conversion options) of ``point`` over the base ones (copies)."""
    config = copy.deepcopy(base_config) if base_config else {}
    options = dict(base_options)
    for axis, value in point.items():
        if axis in CONVERT_AXES:
            options[axis] = value
            continue
        parts = ["Model", axis] if axis in MODEL_AXES else axis.split(".")
        node = config
        for p in parts[:-1]:
            nxt = node.get(p)
            if not isinstance(nxt, dict):  # e.g. Precision given as one string: keep it for the others
                nxt = {} if nxt is None else {"result": nxt, "weight": nxt, "bias": nxt}
                node[p] = nxt
            node = nxt
        node[parts[-1]] = value
    return config, options


def label(point: dict) -> str:
    """A short text for a point: ``ReuseFactor=4, Precision=fixed<8,3>``."""
    return ", ".join(f"{axis.split('.')[-1] if axis.startswith('Model.') else axis}={v}" for axis, v in point.items())


def canonical(point: dict) -> str:
    return json.dumps(point, sort_keys=True, default=str)
