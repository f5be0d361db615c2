"""Per-layer facts that pruning decisions need (hls4ml's ``attributes`` module: its classes,
their fields and the two builders).

``get_attributes_from_keras_model(model)`` -> ``{layer name: LayerAttributes}``: the layer's
class, the names of the layers feeding it, the shape of its first weight (its kernel; ``()``
without weights), its input and output shapes without the batch axis; ``optimizable`` False
and default ``OptimizationAttributes`` until an objective (or the user) sets them.

``get_attributes_from_keras_model_and_hls4ml_config(model, config)`` adds, for Dense and
Conv2D layers (and their QKeras versions), ``args['hls4ml_attributes']``: the layer's
multiplication size, IO type, strategy, weight and result precisions and reuse and
parallelization factors, read from a config dict as ``config_from_keras_model`` writes it
(``Model`` defaults, ``LayerName`` overrides).  The multiplication size follows hls4ml's
definition: Dense ``n_in, n_out`` = input and output sizes; Conv2D ``n_in`` = the product of
the kernel's spatial sizes (``kh * kw``), ``n_out`` = the number of filters.
"""
from __future__ import annotations

import numpy as np

from ...fixed import FixedType, parse_type
from .config import SUPPORTED_STRUCTURES

MULTIPLYING_LAYERS = ("Dense", "Conv2D")  # Keras classes (or their subclasses, e.g. QKeras')


def layer_family(layer_type):
    """``'Dense'`` or ``'Conv2D'`` if the class is (a subclass of) one, else None."""
    for cls in getattr(layer_type, "__mro__", ()):
        if cls.__name__ in MULTIPLYING_LAYERS:
            return cls.__name__
    return None


class hls4mlAttributes:
    """How hls4ml builds one layer: multiplication size, IO, strategy, precisions, reuse."""

    def __init__(self, n_in, n_out, io_type, strategy, weight_precision, output_precision, reuse_factor,
                 parallelization_factor=1):
        for what, p in (("weight_precision", weight_precision), ("output_precision", output_precision)):
            if not isinstance(p, FixedType):
                raise ValueError(f"{what} must be a fixed-point type (e.g. parse_type('ap_fixed<16,6>')), got {p!r}")
        if str(strategy).lower() not in ("latency", "resource"):
            raise ValueError(f"unknown strategy {strategy!r}; valid: Latency, Resource")
        if io_type not in ("io_parallel", "io_stream"):
            raise ValueError(f"unknown io_type {io_type!r}; valid: io_parallel, io_stream")
        self.n_in, self.n_out = n_in, n_out
        self.io_type, self.strategy = io_type, strategy
        self.weight_precision, self.output_precision = weight_precision, output_precision
        self.reuse_factor, self.parallelization_factor = reuse_factor, parallelization_factor


class OptimizationAttributes:
    """What to do with a layer: the structure, pruning and/or weight sharing, and the
    structure's sizes (``block_shape`` for BLOCK; ``pattern_offset`` = parallel multipliers
    and ``consecutive_patterns`` for PATTERN)."""

    def __init__(self, structure_type=SUPPORTED_STRUCTURES.UNSTRUCTURED, pruning=False, weight_sharing=False,
                 block_shape=(1, 1), pattern_offset=1, consecutive_patterns=1):
        if not isinstance(structure_type, SUPPORTED_STRUCTURES):
            raise ValueError(f"structure_type must be a SUPPORTED_STRUCTURES member, got {structure_type!r}")
        self.structure_type = structure_type
        self.pruning, self.weight_sharing = pruning, weight_sharing
        self.block_shape = block_shape
        self.pattern_offset, self.consecutive_patterns = pattern_offset, consecutive_patterns

    def __repr__(self):
        return (f"OptimizationAttributes({self.structure_type.name}, pruning={self.pruning}, "
                f"weight_sharing={self.weight_sharing}, block_shape={self.block_shape}, "
                f"pattern_offset={self.pattern_offset}, consecutive_patterns={self.consecutive_patterns})")


class LayerAttributes:
    def __init__(self, name, layer_type, inbound_layers, weight_shape, input_shape, output_shape, optimizable,
                 optimization_attributes, args):
        self.name, self.layer_type, self.inbound_layers = name, layer_type, inbound_layers
        self.weight_shape, self.input_shape, self.output_shape = weight_shape, input_shape, output_shape
        self.optimizable, self.optimization_attributes, self.args = optimizable, optimization_attributes, args

    def update_args(self, updates):
        self.args.update(updates)

    def __repr__(self):
        return (f"LayerAttributes({self.name!r}, {self.layer_type.__name__}, inbound={self.inbound_layers}, "
                f"weight_shape={self.weight_shape}, input_shape={self.input_shape}, "
                f"output_shape={self.output_shape}, optimizable={self.optimizable}, "
                f"{self.optimization_attributes!r}, args={self.args})")


def _io_shape(layer, which):
    """The layer's input or output shape without the batch axis (Keras 2 and 3)."""
    if type(layer).__name__ == "InputLayer":
        which = "output"
    try:
        shape = getattr(layer, f"{which}_shape")
    except (AttributeError, RuntimeError):
        tensor = getattr(layer, which)
        shape = [t.shape for t in tensor] if isinstance(tensor, (list, tuple)) else tensor.shape
    if isinstance(shape, list) and shape and not isinstance(shape[0], (int, type(None))):
        shapes = [tuple(s)[1:] for s in shape]
        return shapes[0] if len(shapes) == 1 else shapes
    return tuple(shape)[1:]


def _inbound_names(model, layer, position):
    if type(model).__name__ == "Sequential":
        return [model.layers[position - 1].name] if position > 0 else []
    names = []
    for node in getattr(layer, "_inbound_nodes", []):
        parents = getattr(node, "inbound_layers", None)  # Keras 2: a layer or a list of layers
        if parents is None:  # Keras 3: the producers of the node's input tensors
            parents = [getattr(t, "_keras_history", [None])[0] for t in getattr(node, "input_tensors", [])]
        for parent in parents if isinstance(parents, (list, tuple)) else [parents]:
            if parent is not None and type(parent).__name__ != "InputLayer" and parent.name not in names:
                names.append(parent.name)
    return names


def get_attributes_from_keras_model(model):
    attributes = {}
    for i, layer in enumerate(model.layers):
        weights = layer.get_weights()
        attributes[layer.name] = LayerAttributes(
            layer.name, type(layer), _inbound_names(model, layer, i),
            tuple(weights[0].shape) if weights else (), _io_shape(layer, "input"), _io_shape(layer, "output"),
            False, OptimizationAttributes(), {})
    return attributes


def _multiplication_size(attrs):
    family = layer_family(attrs.layer_type)
    if family == "Dense":
        return int(np.prod(attrs.input_shape)), int(np.prod(attrs.output_shape))
    return int(np.prod(attrs.weight_shape[:-2])), int(attrs.weight_shape[-1])


def get_attributes_from_keras_model_and_hls4ml_config(model, config):
    attributes = get_attributes_from_keras_model(model)
    try:
        io_type = config["IOType"]
        defaults = config["Model"]
    except KeyError as e:
        raise ValueError(f"the hls4ml config has no {e.args[0]!r} entry (expected a config_from_keras_model "
                         "dict with 'IOType' and 'Model')") from None
    per_layer = config.get("LayerName", {})
    for name, attrs in attributes.items():
        if layer_family(attrs.layer_type) is None:
            continue
        own = per_layer.get(name, {})
        precision = own.get("Precision", {})
        if not isinstance(precision, dict):
            precision = {"weight": precision, "result": precision}

        def prec(key):
            p = precision.get(key, defaults["Precision"])
            if isinstance(p, dict):
                p = p.get(key, p.get("default"))
            if p == "auto":
                raise ValueError(f"layer {name!r}: precision {key} is 'auto'; pruning needs a concrete precision")
            return parse_type(p)

        n_in, n_out = _multiplication_size(attrs)
        attrs.update_args({"hls4ml_attributes": hls4mlAttributes(
            n_in, n_out, io_type, own.get("Strategy", defaults.get("Strategy", "Latency")), prec("weight"),
            prec("result"), own.get("ReuseFactor", defaults.get("ReuseFactor", 1)),
            own.get("ParallelizationFactor", 1))})
    return attributes
