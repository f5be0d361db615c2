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


def validated_config(graph, hls_config) -> dict:
    """``hls_config`` (or the default configuration) checked against the graph's layers."""
    rows = layer_list(graph)
    return cfgmod.validate(hls_config or cfgmod.make_config(rows), {n: k for n, k, _ in rows}, precision_keys())


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
    for lay in graph.layers:
        s = cfgmod.layer_settings(config, lay.config_name, lay.kind, lay.precision_keys)
        lay.cfg.precision, lay.cfg.reuse_factor = s["precision"], s["reuse_factor"]
        lay.cfg.strategy, lay.cfg.trace = s["strategy"], s["trace"]
    input_types = {}
    graph.auto_inputs = set()  # inputs whose precision is 'auto': calibration data fit them
    for gi in graph.inputs:
        s = cfgmod.layer_settings(config, gi.source_name, cfgmod.INPUT_KIND, ("result",))
        p = s["precision"]["result"]
        auto = isinstance(p, str) and p.strip().lower() == "auto"
        hint = _auto_input_type(graph, gi) if auto else None
        if auto and hint is None:
            graph.auto_inputs.add(gi.name)
        input_types[gi.name] = hint or parse_type(cfgmod.DEFAULT_INPUT_PRECISION if auto else p)
    default = parse_type(cfgmod.model_default_precision(config))
    ctx = PassContext(TypeContext(default, data_width=default.width, weights_fixed=weights_fixed), input_types)
    run_flow(graph, OPTIMIZE, ctx)
    if calibration_data is not None:
        from .passes.calibrate import calibrate

        ctx.ranges = calibrate(graph, ctx, calibration_data)
    run_flow(graph, TYPED, ctx)
    return graph
