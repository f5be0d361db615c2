"""A parsed graph, configured and through the passes: what every conversion does, and what
loading weights from another model of the same architecture repeats (``hlsgen.weights``).

``validated_config`` checks a configuration against the graph's layers;
``configure_and_run_passes`` applies it and runs the optimizing and typing passes.
"""
from __future__ import annotations

from . import config as cfgmod
from .fixed import parse_type
from .layers import LAYER_KINDS, TypeContext
from .passes import OPTIMIZE, TYPED, run_flow


class PassContext:
    def __init__(self, types, input_types):
        self.types = types
        self.input_types = input_types
        self.ranges = {}  # tensor -> largest magnitude on calibration data (if any)


def precision_keys() -> dict:
    keys = {kind: cls.precision_keys for kind, cls in LAYER_KINDS.items()}
    keys[cfgmod.INPUT_KIND] = ("result",)
    return keys


def layer_list(graph) -> list:
    """(source name, kind, precision keys) of the inputs and layers, as the user names them."""
    rows = [(gi.source_name, cfgmod.INPUT_KIND, ("result",)) for gi in graph.inputs]
    rows += [(lay.config_name, lay.kind, lay.precision_keys) for lay in graph.layers]
    return rows


def kind_options() -> dict:
    """kind -> what the configuration may set for it beyond the common keys."""
    return {kind: dict(accepted_precision_keys=cls.accepted_precision_keys, implementations=cls.implementations,
                       config_keys=cls.config_keys) for kind, cls in LAYER_KINDS.items()}


def validated_config(graph, hls_config) -> dict:
    """``hls_config`` (or the default configuration) checked against the graph's layers."""
    rows = layer_list(graph)
    config = hls_config or cfgmod.make_config(rows)
    parts = getattr(graph, "config_parts", None)
    if parts:  # source names -> the names the configuration uses
        cname = {lay.source_name: lay.config_name for lay in graph.layers}
        config = cfgmod.split_parts(config, {cname.get(n, n): {d: cname.get(p, p) for d, p in ps.items()}
                                             for n, ps in parts.items()})
    moves = getattr(graph, "config_moves", None)
    if moves:  # hls4ml's keys of a layer built as two layers (a separable convolution)
        config = cfgmod.move_part_keys(config, moves)
    return cfgmod.validate(config, {n: k for n, k, _ in rows}, precision_keys(), kind_options())


def _check_bram_factor(graph, config):
    bf = (config.get("Model") or {}).get("BramFactor", cfgmod.DEFAULT_BRAM_FACTOR)
    for lay in graph.layers:
        for key, w in lay.weights.items():
            if w.size > bf:
                raise cfgmod.ConfigError(
                    f"Model.BramFactor {bf}: weight {key!r} of layer {lay.source_name!r} has {w.size} values; moving "
                    "weights above BramFactor to top-level ports (hls4ml's 'bram' storage) is not implemented: "
                    "raise BramFactor, or use backend='VivadoAccelerator' with weights='reprogrammable' for "
                    "weights that arrive through a port")


def _input_quantizer_type(graph, gi):
    """The type a frontend noted for input ``gi`` (its only reader is a quantizer: see
    ``converters.keras.qkeras``), or None."""
    name, t = getattr(graph, "quantized_inputs", {}).get(gi.tensor, (None, None))
    readers = graph.consumers(gi.tensor)
    if t is None or len(readers) != 1 or readers[0].name != name or gi.tensor in graph.outputs:
        return None
    return t


def _auto_input_type(graph, gi):
    """The type the first layer reading ``gi`` asks an 'auto' input to take (None: none asks)."""
    for lay in graph.consumers(gi.tensor):
        t = lay.auto_input_type(lay.inputs.index(gi.tensor))
        if t is not None:
            return t
    return None


def configure_and_run_passes(graph, config: dict, weights_fixed: bool, calibration_data=None):
    """Apply the (validated) configuration to the graph's layers and run the passes.
    ``weights_fixed``: the weights are constants of the design (not reloaded at run time);
    ``calibration_data``: checked sample arrays for the 'auto' result types."""
    _check_bram_factor(graph, config)
    for lay in graph.layers:
        s = cfgmod.layer_settings(config, lay.config_name, lay.kind, lay.precision_keys, lay.implementations,
                                  lay.config_keys)
        lay.cfg.precision, lay.cfg.reuse_factor = s["precision"], s["reuse_factor"]
        lay.cfg.strategy, lay.cfg.trace = s["strategy"], s["trace"]
        lay.configure(s["options"], s["implementation"])
    input_types = {}
    graph.auto_inputs = set()  # inputs whose precision is 'auto': calibration data fit them
    default = parse_type(cfgmod.model_default_precision(config))
    for gi in graph.inputs:
        p = cfgmod.layer_settings(config, gi.source_name, cfgmod.INPUT_KIND, ("result",))["precision"]["result"]
        auto = isinstance(p, str) and p.strip().lower() == "auto"
        quantizer = _input_quantizer_type(graph, gi) if auto else None
        hint = _auto_input_type(graph, gi) if auto else None
        if quantizer is not None:
            input_types[gi.name] = quantizer  # QKeras rounds the float input once: onto its quantizer's grid
        elif hint is not None:
            input_types[gi.name] = hint  # what its first layer asks for (an Embedding's integer indices)
        elif auto:
            graph.auto_inputs.add(gi.name)
            input_types[gi.name] = default  # as in hls4ml: Model.Precision, until calibration data fit it
        else:
            input_types[gi.name] = parse_type(p)
    ctx = PassContext(TypeContext(default, data_width=default.width, weights_fixed=weights_fixed), input_types)
    run_flow(graph, OPTIMIZE, ctx)
    if calibration_data is not None:
        from .passes.calibrate import calibrate

        ctx.ranges = calibrate(graph, ctx, calibration_data)
    run_flow(graph, TYPED, ctx)
    return graph
