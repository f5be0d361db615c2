"""Keras frontend: Keras 3 and tf_keras (Keras 2) models -> IR graph.

The flavour is read from each model object (its class's module), never from which
``keras`` happens to be importable.  The topology comes from ``model.get_config()``
(both flavours spell inbound nodes differently; both are handled here), the weights
from each layer object.  Layer handlers live in the modules of this package and
register themselves with ``@handler('ClassName', ...)``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from ... import validate
from ...ir.graph import Graph, GraphInput
from ...ir.names import sanitize
from ...layers import LAYER_KINDS

HANDLERS: dict = {}


def handler(*class_names):
    def deco(fn):
        for c in class_names:
            HANDLERS[c] = fn
        return fn

    return deco


@dataclass
class KerasLayer:
    """What a handler sees of one Keras layer."""

    class_name: str
    name: str
    config: dict
    weights: list  # numpy arrays, in the layer's get_weights() order
    flavour: str  # 'keras3' or 'tf_keras'
    obj: object = None
    weight_names: list = field(default_factory=list)

    def weight(self, suffix: str, index: int | None = None):
        """The weight whose variable name ends with ``suffix`` (e.g. 'kernel'); else the one at
        ``index`` in get_weights() order (when given and present); else None."""
        for n, w in zip(self.weight_names, self.weights):
            base = n.split("/")[-1].split(":")[0]
            if base == suffix:
                return w
        if index is not None and len(self.weights) > index:
            return self.weights[index]
        return None


class Builder:
    """Adds IR layers for one Keras layer and keeps tensor names and shapes."""

    def __init__(self, graph: Graph, taken: set):
        self.graph = graph
        self.taken = taken
        self.source_names: dict = {}  # IR layer name -> user-facing (config) name

    def shape(self, tensor: str) -> tuple:
        return self.graph.tensors[tensor].shape

    def add(self, kind: str, source_name: str, inputs: list, attrs=None, weights=None) -> str:
        """Create a layer of ``kind``; returns its output tensor name."""
        cls = LAYER_KINDS[kind]
        name = sanitize(source_name, self.taken)
        out = f"{name}_out"
        layer = cls(name, source_name, inputs, [out], attrs, weights)
        shape = layer.output_shape([self.shape(t) for t in inputs])
        self.graph.add_tensor(out, shape)
        self.graph.add_layer(layer)
        return out


def keras_flavour(model) -> str:
    """'keras3' or 'tf_keras', from the Keras classes the model's class derives from.
    Only Sequential and functional models describe their graph; a subclassed model's
    ``call`` is Python code that hlsgen cannot read."""
    flavour, graph_model = None, False
    for cls in type(model).__mro__:
        root = cls.__module__.split(".")[0]
        if root in ("keras", "tf_keras", "qkeras", "tensorflow"):
            flavour = flavour or ("keras3" if root == "keras" else "tf_keras")
            graph_model = graph_model or cls.__name__ in ("Sequential", "Functional")
    if flavour is None:
        raise TypeError(f"expected a Keras model (Keras 3 or tf_keras), got an object of type "
                        f"{type(model).__module__}.{type(model).__name__}")
    if not graph_model:
        raise TypeError(
            f"{type(model).__name__} is a subclassed Keras model, which is not supported: its graph is Python "
            "code. Build the same layers as a functional model (x = keras.Input(shape); y = layer(x) ...; "
            "model = keras.Model(x, y)) or a keras.Sequential, and copy the weights with set_weights")
    return flavour


def _history(arg):
    """[(layer name, node index, tensor index)] from one inbound argument, in either flavour."""
    if isinstance(arg, dict) and arg.get("class_name") == "__keras_tensor__":
        return [tuple(arg["config"]["keras_history"])]
    if isinstance(arg, (list, tuple)):
        if len(arg) >= 3 and isinstance(arg[0], str) and isinstance(arg[1], int):
            return [tuple(arg[:3])]
        out = []
        for a in arg:
            out.extend(_history(a))
        return out
    return []


def _calls(layer_cfg):
    """Per call of the layer (its inbound nodes in the model's numbering): the
    [(layer name, node index, tensor index)] it reads, in either flavour.  A recurrent
    layer's ``initial_state`` tensors follow its sequence (tf_keras lists them as inputs;
    Keras 3 passes them as a keyword argument)."""
    out = []
    for node in layer_cfg.get("inbound_nodes") or []:
        if isinstance(node, dict):  # Keras 3
            kwargs = node.get("kwargs") or {}
            out.append(_history(node.get("args", [])) + _history(kwargs.get("initial_state", [])))
        else:  # tf_keras: [[name, node, tensor, kwargs], ...]
            out.append(_history(node))
    return out


def _io_list(entry):
    if entry and isinstance(entry[0], str):
        return [tuple(entry[:3])]
    return [tuple(e[:3]) for e in entry or []]


def _is_model(layer) -> bool:
    return any(c.__name__ in ("Sequential", "Functional") for c in type(layer).__mro__)


def parse_keras_model(model) -> Graph:
    """Convert a Keras model object into an IR graph (no passes applied yet).

    Nested models (a Sequential or functional model used as a layer) are flattened into
    the graph; a layer or nested model called several times (a shared layer) becomes one
    IR layer per call with the same weights.  Call k >= 1 of layer ``name`` is named
    ``name_k`` (a layer inside a nested model called k >= 1 times: ``inner_k``) and
    configured as ``name`` (``Layer.config_name``), so one configuration entry sets every call.
    """
    from . import conv, core, einsum, merge, qkeras, qkeras_recurrent, recurrent, time_distributed  # noqa: F401  (registers the handlers)

    flavour = keras_flavour(model)
    cfg = model.get_config()
    if not getattr(model, "inputs", None):
        raise ValueError("the Keras model is not built (it has no inputs): build it or give it an Input first")
    graph = Graph(sanitize(cfg.get("name") or model.name or "model"))
    builder = Builder(graph, set())
    sequential = "input_layers" not in cfg
    if sequential:
        layer_cfgs = cfg["layers"] if isinstance(cfg.get("layers"), list) else []
        first = layer_cfgs[0] if layer_cfgs and layer_cfgs[0]["class_name"] == "InputLayer" else None
        names = [(first or {}).get("config", {}).get("name", "input")]
    else:
        names = [n for n, _, _ in _io_list(cfg["input_layers"])]
    ins = [_add_input(graph, builder, name, t.shape) for name, t in zip(names, model.inputs)]
    graph.outputs = _convert_model(model, ins, builder, flavour, "")
    graph.topo_sort()
    return graph


def _convert_model(model, ins, builder, flavour, suffix):
    """The IR tensors of ``model``'s outputs on IR tensors ``ins`` (its layers' source names
    end with ``suffix``)."""
    cfg = model.get_config()
    if "input_layers" not in cfg:  # Sequential
        prev = list(ins)
        for layer in model.layers:
            if type(layer).__name__ != "InputLayer":
                prev = _call_layer(layer, prev, builder, flavour, suffix, 0)
        return prev
    tensors = {}  # (keras layer name, node index, tensor index) -> IR tensor
    for (name, node, ti), t in zip(_io_list(cfg["input_layers"]), ins):
        tensors[(name, node, ti)] = t
    for lc in cfg["layers"]:
        if lc["class_name"] == "InputLayer":
            continue
        name = lc.get("name") or lc["config"]["name"]
        for k, srcs in enumerate(_calls(lc)):
            missing = [src for src in srcs if src not in tensors]
            if missing:
                (src, _, ti) = missing[0]
                what = f"output {ti} of {src!r}" if ti else repr(src)
                raise ValueError(f"layer {name!r}: its input {what} was not converted (not an output hlsgen computes)")
            layer = model.get_layer(name)
            outs = _call_layer(layer, [tensors[src] for src in srcs], builder, flavour, suffix, k)
            for ti, t in enumerate(outs):
                tensors[(name, k + _first_node(layer, flavour), ti)] = t
    return [tensors[spec] for spec in _io_list(cfg["output_layers"])]


def _first_node(layer, flavour) -> int:
    """The node index the model's config gives the layer's first call.  0, except in tf_keras
    for a nested model built on an Input: its own construction is its node 0, which the
    config leaves out, so its calls are numbered from 1."""
    if flavour != "tf_keras" or not _is_model(layer):
        return 0
    tracked = getattr(layer, "_self_tracked_trackables", None)
    return int(not tracked or type(tracked[0]).__name__ == "InputLayer")


def _call_layer(layer, ins, builder, flavour, suffix, k):
    """Call ``k`` of a layer (or of a nested model) on IR tensors ``ins``; its output tensors."""
    call = f"_{k}" if k else ""
    if _is_model(layer):
        return _convert_model(layer, ins, builder, flavour, suffix + call)
    out = _convert_layer(layer, ins, builder, flavour, suffix + call)
    return out if isinstance(out, list) else [out]  # a list: the layer's outputs by index


def _convert_layer(layer, ins, builder, flavour, suffix):
    name = layer.name
    cls = type(layer).__name__
    fn = HANDLERS.get(cls)
    if fn is None:
        supported = ", ".join(sorted(HANDLERS))
        raise ValueError(f"layer {name!r} of type {cls} is not supported; supported layer types: {supported}")
    weights = [np.asarray(w) for w in layer.get_weights()]
    weight_names = [getattr(w, "path", None) or w.name for w in layer.weights]
    for w, wn in zip(weights, weight_names):
        if w.dtype.kind == "f":
            validate.finite(w, f"layer {name!r}: weight {wn.split('/')[-1].split(':')[0]!r}")
    kl = KerasLayer(cls, name + suffix, layer.get_config(), weights, flavour, layer, weight_names)
    first = len(builder.graph.layers)
    out = fn(kl, ins, builder)
    if suffix:  # a repeated call: configured as the first call's layers
        for lay in builder.graph.layers[first:]:
            if lay.config_name.startswith(kl.name):
                lay.config_name = name + lay.config_name[len(kl.name):]
    return out


def _add_input(graph, builder, name, shape):
    shape = tuple(shape)[1:]
    if any(d is None for d in shape):
        raise ValueError(f"input {name!r} has an undefined dimension in shape {shape}; give it a fixed shape")
    ir_name = sanitize(name, builder.taken)
    gi = GraphInput(ir_name, name, f"{ir_name}_in")
    graph.add_input(gi, shape)
    return gi.tensor


def load_keras_model(path, weights=None):
    """Load a model from ``.keras``, ``.h5``/``.hdf5``, or ``.json`` (+ ``weights`` .h5)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"model file {path!r} does not exist")
    ext = os.path.splitext(path)[1].lower()
    if ext in (".h5", ".hdf5", ".json"):
        from ...quantizers import prepare_qkeras_env

        prepare_qkeras_env(path)  # QKeras models need tf_keras: TF_USE_LEGACY_KERAS=1 before TF loads
    if ext == ".keras":
        import keras

        return keras.models.load_model(path, compile=False)
    if ext == ".json":
        import tf_keras

        import json

        with open(path) as f:
            text = f.read()
        try:
            json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"model file {path!r} is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
        model = tf_keras.models.model_from_json(text, custom_objects=_custom_objects())
        if weights:
            model.load_weights(os.fspath(weights))
        return model
    if ext in (".h5", ".hdf5"):
        errors = []
        try:
            import tf_keras

            return tf_keras.models.load_model(path, compile=False, custom_objects=_custom_objects())
        except Exception as e:  # noqa: BLE001 - try the other flavour, report both
            errors.append(f"tf_keras: {e}")
        try:
            import keras

            return keras.models.load_model(path, compile=False)
        except Exception as e:  # noqa: BLE001
            errors.append(f"keras 3: {e}")
        raise ValueError(f"cannot load Keras model {path!r}: " + "; ".join(errors))
    raise ValueError(f"unknown model file type {ext!r} for {path!r}; expected .keras, .h5, .hdf5 or .json")


def _custom_objects():
    """QKeras custom objects when QKeras can be imported (it needs tf_keras)."""
    co: dict = {}
    try:
        from qkeras.utils import _add_supported_quantized_objects

        _add_supported_quantized_objects(co)
    except Exception:  # noqa: BLE001 - QKeras is optional
        pass
    return co
