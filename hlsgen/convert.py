"""The public conversion API: framework model + configuration -> HLSModel.

Everything that can be wrong with the model, the configuration or the options is
checked here, before a single file is written.
"""
from __future__ import annotations

import copy
import functools
import os
import re
import warnings

from . import config as cfgmod
from . import validate
from .backends import backend_names, get_backend
from .flow import configure_and_run_passes, layer_list, validated_config
from .model import HLSModel, check_pipeline_style
from .options import ProjectOptions
from .writer_options import WRITER_KWARGS, writer_options

BACKENDS = backend_names()
ACCEL_KWARGS = ("board", "part", "interface", "weights", "driver", "clock_period", "input_type", "output_type",
                "weights_type", "pipeline", "bus_width")
IO_TYPES = ("io_parallel", "io_stream")
DEFAULT_OUTPUT_DIR = "hlsgen_prj"
DEFAULT_PROJECT = "myproject"


def _keras_graph(model, weights_file=None):
    from .converters.keras import load_keras_model, parse_keras_model

    if isinstance(model, (str, os.PathLike)):
        model = load_keras_model(model, weights_file)
    return parse_keras_model(model)


def _config_args(backend, max_precision):
    """hls4ml's ``backend`` and ``max_precision`` arguments of ``config_from_*``: a backend
    name is checked (the configuration is the same for every backend); a maximum precision
    is refused."""
    if backend is not None:
        get_backend(backend)
    if max_precision is not None:
        raise cfgmod.ConfigError(f"max_precision={max_precision!r} is not supported: "
                                 f"{cfgmod.REFUSED['maximum']}")


def config_from_keras_model(model, granularity="model", backend=None, default_precision=cfgmod.DEFAULT_PRECISION,
                            default_reuse_factor=1, max_precision=None):
    """An editable configuration dict for ``model`` (YAML-able, hls4ml schema; arguments as
    hls4ml's)."""
    _config_args(backend, max_precision)
    graph = _keras_graph(model)
    return cfgmod.make_config(layer_list(graph), granularity, default_precision, default_reuse_factor)


# identifiers and file names the generated code uses itself
RESERVED_PROJECT = re.compile(r"^(input\d+|output\d+|config\d+|[wbsa]\d+|layer\d+_\w+)$|\d+_(arr_)?t$|^hlsgen|^N_|"
                              r"^(defines|parameters|main|in_codec|out_codec|w_codec|nnet|hls|std)$")


def _load_config(hls_config):
    """A configuration dict, or a YAML file's path."""
    if isinstance(hls_config, (str, os.PathLike)):
        return cfgmod.from_yaml(os.fspath(hls_config))
    if hls_config is not None and not isinstance(hls_config, dict):
        raise TypeError(f"hls_config must be a dict (e.g. from config_from_keras_model) or the path of a YAML file, "
                        f"got {type(hls_config).__name__}")
    return hls_config


def _check_options(opts, accel_kwargs, config):
    backend = get_backend(opts["backend"])
    opts["backend"] = backend.name
    opts["hls_tool"] = backend.hls_tool
    opts.update(backend.target(accel_kwargs, config))
    if opts.get("part") is not None and opts.get("board") is None:
        from .estimate.parts import warn_unknown_part

        warn_unknown_part(opts["part"])
    if opts["io_type"] not in IO_TYPES:
        raise ValueError(f"io_type {opts['io_type']!r} is not supported; valid: {', '.join(IO_TYPES)}")
    name = str(opts["project_name"])
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,63}", name):
        raise ValueError(f"project_name {name!r} must be a C identifier (a letter, then letters, digits or _)")
    from .ir.names import CPP_RESERVED

    if name in CPP_RESERVED or RESERVED_PROJECT.search(name):
        raise ValueError(f"project_name {name!r} is a C++ keyword or a name the generated code uses; choose another, "
                         "e.g. 'myproject'")
    ns = opts.get("namespace")
    if ns is not None and (ns in CPP_RESERVED or RESERVED_PROJECT.search(ns) or ns in ("apx", "ap")):
        raise ValueError(f"namespace {ns!r} is a C++ keyword or a name the generated code uses; choose another")


def _prepare(fn: str, kwargs: dict, hls_config, options: dict):
    """The options every frontend shares, checked: (options, accelerator kwargs, config)."""
    accel_kwargs = {k: kwargs.pop(k, None) for k in ACCEL_KWARGS}
    options.update(writer_options({k: kwargs.pop(k) for k in WRITER_KWARGS if k in kwargs}))
    if kwargs:
        raise TypeError(f"unknown option(s) {', '.join(sorted(kwargs))} for {fn}; valid: "
                        f"{', '.join(sorted(ACCEL_KWARGS + WRITER_KWARGS))} (and the named arguments)")
    hls_config = _load_config(hls_config)
    _check_options(options, accel_kwargs, hls_config)
    return options, accel_kwargs, hls_config


def build_model(graph, hls_config, options, accel_kwargs=None, calibration_data=None, check_fit=True) -> HLSModel:
    """Validate the configuration, apply it, run the passes, and wrap the result."""
    if not graph.layers:
        raise ValueError("the model has no layers after its inputs: there is nothing to compute; add a layer")
    validate.graph_weights(graph)
    _check_sample_arrays(graph, options)
    if calibration_data is not None:
        calibration_data = _samples(graph, calibration_data, "calibration_data")
    config = validated_config(graph, hls_config)
    # what the frontend parsed and the conversion was given, for hlsgen.multi_graph to convert parts of
    source = dict(graph=copy.deepcopy(graph), config=copy.deepcopy(hls_config), options=dict(options),
                  accel_kwargs=copy.deepcopy(accel_kwargs or {}), calibration_data=calibration_data is not None)
    backend = get_backend(options["backend"])
    accel = backend.accelerator(accel_kwargs or {}, config.get("AcceleratorConfig"))
    if accel is not None:
        options.update(accelerator=accel, board=accel.board, part=accel.board.part, clock_period=accel.clock_period)
    configure_and_run_passes(graph, config, weights_fixed=not (accel and accel.reprogrammable),
                             calibration_data=calibration_data)
    from .saturation import warn_weights, weight_table

    warn_weights(weight_table(graph))
    backend.check_graph(accel, graph)
    hm = HLSModel(graph, config, ProjectOptions.make(**options))
    hm.source = source
    check_pipeline_style(hm)
    return _fit(hm) if check_fit else hm


def _is_auto(v) -> bool:
    return isinstance(v, str) and v.strip().lower() == "auto"


def _fit(hm: HLSModel) -> HLSModel:
    """Reuse factors checked ('auto' ones chosen) against the estimate, and a warning
    when the design does not fit its part."""
    from .estimate import fit

    graph, io = hm.graph, hm.options.io_type
    auto = {lay.name for lay in graph.layers if _is_auto(lay.cfg.reuse_factor)}
    fit.check_reuse_factors(graph, io, auto)
    if auto:
        fit.choose_reuse_factors(graph, [lay for lay in graph.layers if lay.name in auto],
                                 functools.partial(_fresh_estimate, hm), io)
        hm.relower()
    est = hm.estimate()
    if est.fits is False:
        fit.warn_if_unfit(est, _suggestion(hm))
    return hm


def _fresh_estimate(hm):
    """The estimate after reuse factors changed: the cached lowering holds the old ones."""
    hm.relower()
    return hm.estimate()


def _suggestion(hm) -> str:
    """What ReuseFactor 'auto' would choose, as advice."""
    import copy

    from .estimate import fit

    trial = copy.copy(hm)
    trial.graph = copy.deepcopy(hm.graph)
    trial.relower()
    layers = [lay for lay in trial.graph.layers if lay.plan(trial.graph, hm.options.io_type).shared]
    est = fit.choose_reuse_factors(trial.graph, layers, functools.partial(_fresh_estimate, trial),
                                   hm.options.io_type)
    before = {lay.name: lay.cfg.strategy for lay in hm.graph.layers}
    chosen = ", ".join(f"{lay.source_name}: {lay.cfg.reuse_factor}"
                       + (f" (Strategy {lay.cfg.strategy})" if lay.cfg.strategy != before[lay.name] else "")
                       for lay in layers)
    if est.fits:
        return f"ReuseFactor 'auto' fits it, choosing {chosen}."
    return (f"Even the largest reuse factors ({chosen}) do not fit; use Strategy Resource, narrower precisions "
            "or a larger part.")


def _samples(graph, arrays, what):
    return validate.samples(arrays, [graph.tensors[gi.tensor].shape for gi in graph.inputs],
                            [gi.source_name for gi in graph.inputs], what)


def _check_sample_arrays(graph, options):
    """input_data_tb / output_data_tb: loaded and checked against the model now, so a bad
    shape is an error that names the argument before anything is written."""
    from .model import load_array

    x = options.get("input_data_tb")
    if x is not None:
        xs = [load_array(a, "input_data_tb") for a in (x if isinstance(x, (list, tuple)) else [x])]
        options["input_data_tb"] = _samples(graph, xs, "input_data_tb")
    y = options.get("output_data_tb")
    if y is not None:
        ys = [load_array(a, "output_data_tb") for a in (y if isinstance(y, (list, tuple)) else [y])]
        shapes = [graph.tensors[t].shape for t in graph.outputs]
        ys = validate.samples(ys, shapes, [str(k) for k in range(len(shapes))], "output_data_tb",
                             kind="output")
        if x is not None and ys[0].shape[0] < options["input_data_tb"][0].shape[0]:
            raise ValueError(f"output_data_tb has {ys[0].shape[0]} samples, fewer than input_data_tb's "
                             f"{options['input_data_tb'][0].shape[0]}")
        options["output_data_tb"] = ys


def convert_from_keras_model(model, hls_config=None, output_dir=DEFAULT_OUTPUT_DIR, project_name=DEFAULT_PROJECT,
                             backend="Vivado", io_type="io_parallel", input_data_tb=None, output_data_tb=None,
                             weights_file=None, calibration_data=None, input_shape=None, **kwargs) -> HLSModel:
    """Convert a Keras 3 or tf_keras model (object, or .keras/.h5/.json file) into an HLSModel.

    ``input_shape`` (accepted as hls4ml does): a Keras model carries its own input shapes;
    when given, it is checked against them (one shape or one per input, a leading batch
    ``None`` allowed) and a mismatch is an error naming both.

    With ``backend='VivadoAccelerator'``: ``board`` (required), ``part``, ``interface``
    ('axi_stream', 'axi_master', 'axi_lite'), ``weights`` ('embedded', 'reprogrammable'),
    ``driver`` ('python', 'c', 'both'), ``clock_period`` (ns), ``input_type``/``output_type``/
    ``weights_type`` (bus types: 'float' or a fixed/int type), or the same in the
    configuration's ``AcceleratorConfig`` section.  ``calibration_data``: representative
    inputs; the 'auto' result types then get the integer bits their data need (see
    ``passes.calibrate``).  Nothing is written until ``write()``, ``compile()`` or ``predict()``.
    """
    options, accel_kwargs, hls_config = _prepare("convert_from_keras_model", kwargs, hls_config, dict(
        output_dir=output_dir, project_name=project_name, backend=backend, io_type=io_type,
        input_data_tb=input_data_tb, output_data_tb=output_data_tb))
    graph = _keras_graph(model, weights_file)
    if input_shape is not None:
        _check_keras_input_shape(graph, input_shape)
    return build_model(graph, hls_config, options, accel_kwargs, calibration_data)


def _check_keras_input_shape(graph, input_shape):
    shapes = list(input_shape) if input_shape and isinstance(input_shape[0], (list, tuple)) else [input_shape]
    model_shapes = [tuple(graph.tensors[gi.tensor].shape) for gi in graph.inputs]
    if len(shapes) != len(model_shapes):
        raise ValueError(f"input_shape gives {len(shapes)} shape(s); the model has {len(model_shapes)} input(s) "
                         f"of shapes {model_shapes}")
    for given, own in zip(shapes, model_shapes):
        dims = tuple(given)
        if len(dims) == len(own) + 1 and dims[0] is None:
            dims = dims[1:]
        if len(dims) != len(own) or any(d is not None and int(d) != o for d, o in zip(dims, own)):
            raise ValueError(f"input_shape {tuple(given)} does not match the Keras model's input shape {own} "
                             "(the model's own shape is used; leave input_shape out)")


# ---------------------------------------------------------------------- ONNX
def _onnx_graph(model):
    from .converters.onnx import parse_onnx_model

    return parse_onnx_model(model)


def _with_onnx_input_types(config, graph, force=False):
    """Input precisions imposed by QONNX Quant nodes fill the inputs whose precision the
    configuration leaves 'auto' (``force``: every input; an explicit precision wins otherwise)."""
    imposed = getattr(graph, "onnx_io", {}).get("input_types") or {}
    if not imposed:
        return config
    import copy

    config = copy.deepcopy(config)
    for name, t in imposed.items():
        p = cfgmod.layer_settings(config, name, cfgmod.INPUT_KIND, ("result",))["precision"]["result"]
        if force or str(p).strip().lower() == "auto":
            entry = config.setdefault("LayerName", {}).setdefault(name, {})
            entry["Precision"] = {"result": str(t)}
    return config


def config_from_onnx_model(model, granularity="model", backend=None, default_precision=cfgmod.DEFAULT_PRECISION,
                           default_reuse_factor=1, max_precision=None):
    """An editable configuration dict for an ONNX model (path, bytes or ModelProto).
    Inputs quantized by a QONNX Quant node get that node's exact type."""
    _config_args(backend, max_precision)
    graph = _onnx_graph(model)
    config = cfgmod.make_config(layer_list(graph), granularity, default_precision, default_reuse_factor)
    return _with_onnx_input_types(config, graph, force=True)


def convert_from_onnx_model(model, hls_config=None, output_dir=DEFAULT_OUTPUT_DIR, project_name=DEFAULT_PROJECT,
                            backend="Vivado", io_type="io_parallel", input_data_tb=None, output_data_tb=None,
                            calibration_data=None, **kwargs) -> HLSModel:
    """Convert an ONNX or QONNX model (path, bytes or ``onnx.ModelProto``) into an HLSModel.

    Options as :func:`convert_from_keras_model`.  ONNX's channels-first layout is resolved
    in the frontend: an input that feeds a convolution is taken channels-last by
    ``predict`` (``hm.graph.onnx_io`` records every input's and output's axis order;
    ``hlsgen.converters.onnx.to_hls_layout`` converts arrays).  A model with several outputs
    gives them as a list in the model's declared order (``graph.output``), which is the order
    the model's users expect; hls4ml orders them by the layer that produces them instead.
    Nothing is written until ``write()``, ``compile()`` or ``predict()``.
    """
    options, accel_kwargs, hls_config = _prepare("convert_from_onnx_model", kwargs, hls_config, dict(
        output_dir=output_dir, project_name=project_name, backend=backend, io_type=io_type,
        input_data_tb=input_data_tb, output_data_tb=output_data_tb))
    graph = _onnx_graph(model)
    if hls_config is None:
        config = _with_onnx_input_types(cfgmod.make_config(layer_list(graph)), graph, force=True)
    else:
        config = _with_onnx_input_types(hls_config, graph)
    return build_model(graph, config, options, accel_kwargs, calibration_data)


# ---------------------------------------------------------------------- parsed graphs
def convert_from_graph(graph, frontend: str = "keras", hls_config=None, output_dir=DEFAULT_OUTPUT_DIR,
                       project_name=DEFAULT_PROJECT, backend="Vivado", io_type="io_parallel", input_data_tb=None,
                       output_data_tb=None, calibration_data=None, **kwargs) -> HLSModel:
    """Convert a graph a frontend already parsed (``frontend``: 'keras' or 'onnx', whose
    input-type rules it follows), with the options of :func:`convert_from_keras_model`.
    The graph is used as it is (pass a copy to convert it again): a sweep parses a model
    once and converts it at every point (``hlsgen.explore``)."""
    if frontend not in ("keras", "onnx"):
        raise ValueError(f"frontend {frontend!r}: expected 'keras' or 'onnx'")
    options, accel_kwargs, hls_config = _prepare("convert_from_graph", kwargs, hls_config, dict(
        output_dir=output_dir, project_name=project_name, backend=backend, io_type=io_type,
        input_data_tb=input_data_tb, output_data_tb=output_data_tb))
    if frontend == "onnx":
        hls_config = _with_onnx_input_types(hls_config or cfgmod.make_config(layer_list(graph)), graph,
                                            force=hls_config is None)
    return build_model(graph, hls_config, options, accel_kwargs, calibration_data)


# ---------------------------------------------------------------------- symbolic expressions
SYMBOLIC_COMPILERS = {"vivado_hls": "Vivado", "vitis_hls": "Vitis"}


def convert_from_symbolic_expression(expr, n_symbols=None, lut_functions=None, use_built_in_lut_functions=False,
                                     output_dir=DEFAULT_OUTPUT_DIR, project_name=DEFAULT_PROJECT, input_data_tb=None,
                                     output_data_tb=None, precision="ap_fixed<16,6>", compiler="vivado_hls",
                                     hls_include_path=None, hls_libs_path=None, **kwargs) -> HLSModel:
    """Expressions of x0, x1, ... (SymPy expressions or strings; one or a list) as an HLS
    project (see ``hlsgen.converters.symbolic`` for what is supported): one output per
    expression, every operation's value in ``precision``.  ``lut_functions``: lookup-table
    functions, name -> {'math_func', 'range_start', 'range_end', 'table_size'}; ``sin_lut`` and
    ``cos_lut`` are built in (``use_built_in_lut_functions``: also for ``sin`` and ``cos``).
    ``compiler`` 'vivado_hls' (backend Vivado) or 'vitis_hls' (backend Vitis); ``part``,
    ``clock_period``, ``clock_uncertainty`` as for the other converters.  hlsgen compiles the C
    simulation with its own ap_types and needs no HLS math library: ``hls_include_path`` and
    ``hls_libs_path`` (hls4ml's) are not used.  Needs SymPy."""
    from .converters.symbolic import parse_symbolic_expressions

    if compiler not in SYMBOLIC_COMPILERS:
        raise ValueError(f"compiler {compiler!r}: expected one of {', '.join(SYMBOLIC_COMPILERS)}")
    for key, v in (("hls_include_path", hls_include_path), ("hls_libs_path", hls_libs_path)):
        if v not in (None, ""):
            warnings.warn(f"{key}={v!r} is not used: hlsgen's C simulation needs no HLS installation", stacklevel=2)
    if kwargs.get("io_type", "io_parallel") != "io_parallel":
        raise ValueError(f"io_type {kwargs['io_type']!r}: expressions are built for io_parallel only")
    kwargs.pop("io_type", None)
    hls_config = {"Model": {"Precision": str(precision), "ReuseFactor": 1}}
    options, accel_kwargs, hls_config = _prepare("convert_from_symbolic_expression", kwargs, hls_config, dict(
        output_dir=output_dir, project_name=project_name, backend=SYMBOLIC_COMPILERS[compiler],
        io_type="io_parallel", input_data_tb=input_data_tb, output_data_tb=output_data_tb))
    graph = parse_symbolic_expressions(expr, n_symbols, lut_functions, use_built_in_lut_functions)
    return build_model(graph, hls_config, options, accel_kwargs)


# ---------------------------------------------------------------------- PyTorch
def _pytorch_graph(model, input_shape, layout):
    from .converters.pytorch import parse_pytorch_model

    return parse_pytorch_model(model, input_shape, layout["channels_last"], conversion=layout["conversion"],
                               transpose_outputs=layout["transpose_outputs"])


def _layout(channels_last, conversion, transpose_outputs) -> dict:
    """The layout options of the PyTorch frontend (see ``converters.pytorch.io_layouts``):
    hlsgen's ``channels_last``, or hls4ml's ``channels_last_conversion`` ('full', 'internal',
    'off') with ``transpose_outputs``; checked here, before anything is parsed."""
    from .converters.pytorch import io_layouts

    io_layouts(channels_last, conversion, transpose_outputs)
    return {"channels_last": bool(channels_last), "conversion": conversion,
            "transpose_outputs": bool(transpose_outputs)}


def _layout_config(layout) -> dict:
    """The configuration's ``Model`` keys for ``layout``, in hls4ml's terms: hlsgen's
    default (the PyTorch layout in and out) is hls4ml's 'off', ``channels_last=True`` its
    'internal' without ``transpose_outputs``."""
    if layout["conversion"] is not None:
        return dict(ChannelsLastConversion=layout["conversion"], TransposeOutputs=layout["transpose_outputs"])
    if layout["channels_last"]:  # ChannelsLast (hlsgen's) wins over the two; InputShape is channels-last
        return dict(ChannelsLastConversion="internal", TransposeOutputs=False, ChannelsLast=True)
    return dict(ChannelsLastConversion="off", TransposeOutputs=False)


def config_from_pytorch_model(model, input_shape, granularity="model", backend=None,
                              default_precision=cfgmod.DEFAULT_PRECISION, default_reuse_factor=1,
                              channels_last_conversion=None, transpose_outputs=False, max_precision=None,
                              channels_last=False):
    """An editable configuration dict for a ``torch.nn.Module``, whose layer names are the
    module names (``fc1``, ``layers.0``; functional calls ``cat``, ``add``, ``blk.relu``) and
    whose input names are the forward's argument names.  ``input_shape``: one sample's
    shape without the batch, e.g. ``(3, 32, 32)`` (a list of shapes for several inputs); it is
    kept under ``InputShape``, so ``convert_from_pytorch_model`` may
    take it from there.  The layout ``predict`` takes and gives: the PyTorch one by default,
    channels-last in and out with ``channels_last=True`` (``input_shape`` channels-last
    too), or hls4ml's ``channels_last_conversion`` ('full': PyTorch-layout inputs,
    'internal': channels-last inputs, 'off': the PyTorch layout in and out) with
    ``transpose_outputs`` (False: channels-last outputs, True: PyTorch-layout outputs);
    kept under ``Model`` as ``ChannelsLastConversion`` and ``TransposeOutputs`` (and
    ``ChannelsLast``)."""
    _config_args(backend, max_precision)
    layout = _layout(channels_last, channels_last_conversion, transpose_outputs)
    graph = _pytorch_graph(model, input_shape, layout)
    config = cfgmod.make_config(layer_list(graph), granularity, default_precision, default_reuse_factor)
    config["InputShape"] = _shape_for_yaml(input_shape)
    config["Model"].update(_layout_config(layout))
    return _with_onnx_input_types(config, graph, force=True)


def _shape_for_yaml(shape):
    if isinstance(shape, list) and shape and isinstance(shape[0], (list, tuple)):
        return [list(s) for s in shape]
    return list(shape)


def _torch_arrays(graph, arrays, what, outputs=False):
    """Sample arrays given in the PyTorch layout -> the HLS model's storage order."""
    if arrays is None:
        return None
    import numpy as np

    from .model import load_array

    io = graph.torch_io
    perms = list((io["outputs"] if outputs else io["inputs"]).values())
    xs = [np.asarray(load_array(a, what)) for a in (arrays if isinstance(arrays, (list, tuple)) else [arrays])]
    if len(xs) != len(perms):
        raise ValueError(f"{what}: the model has {len(perms)} {'output' if outputs else 'input'}(s), got {len(xs)} "
                         "array(s)")
    out = []
    for x, p in zip(xs, perms):
        if x.ndim != len(p):
            raise ValueError(f"{what}: expected arrays of rank {len(p)} (batch first), got shape {x.shape}")
        out.append(np.transpose(x, np.argsort(p)) if outputs else np.transpose(x, p))
    return out


def convert_from_pytorch_model(model, input_shape=None, hls_config=None, output_dir=DEFAULT_OUTPUT_DIR,
                               project_name=DEFAULT_PROJECT, backend="Vivado", io_type="io_parallel",
                               input_data_tb=None, output_data_tb=None, calibration_data=None, channels_last=False,
                               **kwargs) -> HLSModel:
    """Convert a ``torch.nn.Module`` into an HLSModel.

    ``input_shape``: one sample's shape without the batch (``(16,)``, ``(3, 32, 32)``, or
    ``(None, 3, 32, 32)``; a list for several inputs).  Configuration names are the module
    names (see :func:`config_from_pytorch_model`).  ``predict``/``trace`` take and give the
    PyTorch layout (N, C, H, W / N, C, L), as do ``input_data_tb``, ``output_data_tb`` and
    ``calibration_data``; ``channels_last=True`` takes channels-last arrays (and shapes)
    instead, and the configuration's ``Model.ChannelsLastConversion`` /
    ``TransposeOutputs`` choose as in hls4ml (see :func:`config_from_pytorch_model`).  Other options as :func:`convert_from_keras_model`.  Nothing is written until
    ``write()``, ``compile()`` or ``predict()``.
    """
    from .pytorch_model import as_pytorch_model

    options, accel_kwargs, hls_config = _prepare("convert_from_pytorch_model", kwargs, hls_config, dict(
        output_dir=output_dir, project_name=project_name, backend=backend, io_type=io_type))
    if input_shape is None:
        input_shape = (hls_config or {}).get("InputShape")
        if input_shape is None:
            raise TypeError("convert_from_pytorch_model needs input_shape, as an argument or as the configuration's "
                            "InputShape (config_from_pytorch_model writes it)")
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple)):
            input_shape = [tuple(s) for s in input_shape]
        else:
            input_shape = tuple(input_shape)
    m = (hls_config or {}).get("Model") or {}
    if channels_last or m.get("ChannelsLast"):
        layout = _layout(True, None, False)
    else:
        layout = _layout(False, m.get("ChannelsLastConversion"), m.get("TransposeOutputs", False))
    graph = _pytorch_graph(model, input_shape, layout)
    options["input_data_tb"] = _torch_arrays(graph, input_data_tb, "input_data_tb")
    options["output_data_tb"] = _torch_arrays(graph, output_data_tb, "output_data_tb", outputs=True)
    calibration_data = _torch_arrays(graph, calibration_data, "calibration_data")
    if hls_config is None:
        config = _with_onnx_input_types(cfgmod.make_config(layer_list(graph)), graph, force=True)
    else:
        config = _with_onnx_input_types(hls_config, graph)
    return as_pytorch_model(build_model(graph, config, options, accel_kwargs, calibration_data))


def load_saved_model(path, output_dir=None) -> HLSModel:
    """The model a file written by ``HLSModel.save`` describes, converted again with its
    configuration and options (into ``output_dir`` if given, else where the saved model was);
    see :mod:`hlsgen.saved_model` (hls4ml's ``hls4ml.converters.load_saved_model``)."""
    from .saved_model import read

    graph, config, options, accel_kwargs = read(path)
    if output_dir is not None:
        options["output_dir"] = str(output_dir)
    hm = build_model(graph, config, options, accel_kwargs)
    if getattr(graph, "torch_io", None) is not None:  # predict takes and gives the PyTorch layouts again
        from .pytorch_model import as_pytorch_model

        hm = as_pytorch_model(hm)
    return hm
