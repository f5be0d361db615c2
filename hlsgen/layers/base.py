"""Layer kinds: the base class and the registry.

A layer kind is one module in ``hlsgen/layers`` holding everything hlsgen knows
about it apart from how a frontend recognises it:

* its attributes and weights (plain data),
* ``output_shape`` (shape inference) and ``infer_types`` (precision inference),
* ``golden`` — a numpy model that is bit-exact with the C++ on fixed-point inputs,
* its C++ binding: the config struct and call templates, and the ``nnet_utils``
  header that implements it.
"""
from __future__ import annotations

import numpy as np

from ..fixed import FixedType, parse_type
from ..ir.graph import LayerConfig
from .plan import Plan

LAYER_KINDS: dict[str, type] = {}


def register(cls):
    """Class decorator: make a layer kind known by its ``kind`` name."""
    if cls.kind in LAYER_KINDS:
        raise ValueError(f"layer kind {cls.kind!r} registered twice")
    LAYER_KINDS[cls.kind] = cls
    return cls


class TypeContext:
    """What precision inference needs besides the layer itself."""

    def __init__(self, default: FixedType, data_width: int = 16, weights_fixed: bool = True):
        self.default = default  # result type for layers whose result precision is 'auto'
        self.data_width = data_width  # width used for data-driven weight types
        # False when weights can be replaced at run time (reprogrammable): ranges then
        # follow from the weight types, not from the current values
        self.weights_fixed = weights_fixed


class Layer:
    kind: str = ""
    #: Precision keys the configuration may set for this kind (``result`` always).
    precision_keys: tuple = ("result",)
    #: Precision keys accepted in a configuration (as hls4ml writes them) that the kind does
    #: not need; its docstring says why.
    accepted_precision_keys: tuple = ()
    #: Values of the configuration's ``Strategy`` that pick an implementation of this kind
    #: (besides Latency/Resource), e.g. Softmax 'argmax'; see ``configure``.
    implementations: tuple = ()
    #: Other configuration keys of this kind (e.g. Softmax 'table_size'); see ``configure``.
    config_keys: tuple = ()
    #: weight key -> C++ variable prefix; the same key names the weight's precision.
    weight_vars: dict = {}
    #: nnet_utils headers the C++ needs.
    cpp_headers: tuple = ()
    #: Jinja templates (strings) for the config struct and the call.
    cpp_config_tpl: str = ""
    cpp_call_tpl: str = ""
    #: The call on a block of ``n`` samples (the C simulation's batched network, host only:
    #: ``ins``/``out`` are then n x size arrays, ``n`` the name of the sample count); empty:
    #: ``cpp_call_tpl`` once per sample.
    cpp_batch_call_tpl: str = ""
    #: True when the C++ call does nothing but reinterpret memory (Flatten, Reshape).
    is_view: bool = False

    # Capabilities: what passes and frontends may do with a layer, declared by its kind
    # (so that no pass keeps a list of kind names).
    #: Computes nothing at inference (Dropout, noise layers): removed by ``passes.remove_identity``.
    is_identity: bool = False
    #: Is y = x * scale + bias per channel of the last axis (``weights`` ``scale`` and ``bias``).
    is_channel_affine: bool = False
    #: Each output channel (last axis) is ``bias`` plus a sum of ``weight`` x input products
    #: (``weights['weight']`` with channels last, ``weights['bias']`` per channel): a
    #: channel affine after it folds into those weights (``passes.fold_batchnorm``).
    folds_affine: bool = False
    #: Can apply a ReLU to its accumulator before the cast to its result type
    #: (``attrs['activation'] = 'relu'``, ``passes.fuse_activation``).
    fuses_relu: bool = False
    #: Is max(x, 0) and nothing else (the ReLU that ``fuses_relu`` layers absorb).
    is_plain_relu: bool = False
    #: Its output is one cast of a value computed without rounding, so a quantizer after
    #: it can take the place of that cast (one rounding instead of two; the ONNX frontend).
    rounds_once: bool = False

    def __init__(self, name, source_name, inputs, outputs, attrs=None, weights=None):
        self.name = name  # sanitized, unique
        self.source_name = source_name  # as the user's model names it
        # the name its configuration is looked up by: the source name, or for a repeated call
        # of a shared layer the first call's name (all calls share weights and settings)
        self.config_name = source_name
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.attrs = dict(attrs or {})
        self.weights = {k: np.asarray(v, dtype=np.float64) for k, v in (weights or {}).items()}
        self.types: dict[str, FixedType] = {}
        self.in_types: list = []  # set by type inference
        self.aliases: list = []  # source names of layers merged into this one (whose output it now gives)
        self.cfg = LayerConfig()

    def configure(self, options: dict, implementation) -> None:
        """Apply the configuration's ``config_keys`` values (``options``) and the chosen
        ``implementation`` (one of ``implementations``, or None); errors name the layer."""
        self.attrs.update(options)
        if implementation is not None:
            self.attrs["implementation"] = implementation

    def __repr__(self):
        return f"<{self.kind} {self.source_name!r}>"

    # ------------------------------------------------------------------ shapes and types
    def output_shape(self, in_shapes: list) -> tuple:
        return tuple(in_shapes[0])

    def infer_types(self, in_types: list, ctx: TypeContext) -> None:
        """Fill ``self.types`` (``self.in_types`` is set before this is called).
        The default: result as configured, else the context default."""
        self.types["result"] = self.configured("result") or ctx.default

    def configured(self, key: str):
        """The precision fixed for ``key``: the user's configuration first, then a type the
        model itself carries (``attrs['types']``, e.g. from a QKeras quantizer); None means
        'auto' (the layer kind chooses)."""
        p = self.cfg.precision.get(key, "auto")
        if p is None or (isinstance(p, str) and p.strip().lower() == "auto"):
            t = self.attrs.get("types", {}).get(key)
            return parse_type(t) if t is not None else None
        return parse_type(p)

    def auto_input_type(self, index: int):
        """The type a graph input whose precision is 'auto' takes when it feeds input
        ``index`` of this layer (e.g. integer indices for Embedding); None: the default."""
        return None

    def tables(self) -> dict:
        """Constant lookup tables: name -> (FixedType, 1-D array). Computed after types."""
        return {}

    # ------------------------------------------------------------------ reference model
    def golden(self, xs: list) -> np.ndarray:
        """Bit-exact numpy model. ``xs``: batch-first float64 arrays on their types' grids."""
        raise NotImplementedError(f"{self.kind} has no golden model")

    # ------------------------------------------------------------------ implementation
    def plan(self, graph, io_type: str = "io_parallel") -> Plan:
        """How the kernel is built (see ``layers.plan``). The default: an elementwise
        kernel over the output, one pipeline interval of ``reuse_factor`` cycles."""
        rf = max(1, int(self.cfg.reuse_factor))
        size = int(np.prod(graph.tensors[self.outputs[0]].shape))
        return Plan(style="view" if self.is_view else "elementwise", outputs=size, ii=rf, reuse_factor=rf)

    # ------------------------------------------------------------------ C++ binding
    def cpp_context(self, graph) -> dict:
        """Extra values for the C++ templates (sizes, modes...)."""
        return {}
