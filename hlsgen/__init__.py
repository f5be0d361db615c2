"""hlsgen: trained neural networks -> HLS C++ accelerators for Zynq boards.

    import hlsgen
    hm = hlsgen.convert_from_keras_model(model, output_dir='prj')
    hm.compile()
    y = hm.predict(X)      # bit-accurate fixed-point outputs
"""
from .config import ConfigError, from_yaml, to_yaml
from .convert import (config_from_keras_model, config_from_onnx_model, config_from_pytorch_model,
                      convert_from_keras_model, convert_from_onnx_model, convert_from_pytorch_model,
                      convert_from_symbolic_expression)
from .csim import CompileError, Simulation
from .drivers import write_header_file
from .fixed import FixedType, parse_type
from .model import HLSModel
from .linked_project import LinkedProject, link_existing_project
from .saturation import SaturationWarning
from . import profiling  # noqa: E402  (matplotlib is imported only when a figure is made)
from . import converters, model, report, utils  # noqa: E402
from .converters import onnx as _onnx_frontend  # noqa: E402,F401  (hlsgen.converters.onnx after import hlsgen)


def _hls4ml_paths():
    """hls4ml's module paths for the same functions: ``hlsgen.converters.convert_from_*``
    (the converters sit below the conversion API, so the names are attached here rather
    than imported there), ``hlsgen.model.profiling`` and ``hlsgen.model.to_multi_model_graph``."""
    import sys

    from . import convert as _convert
    from .utils import conversion_config as _dict_config

    for name in ("convert_from_keras_model", "convert_from_onnx_model", "convert_from_pytorch_model",
                 "convert_from_symbolic_expression", "config_from_keras_model", "config_from_onnx_model", "config_from_pytorch_model"):
        setattr(converters, name, getattr(_convert, name))
    converters.link_existing_project = link_existing_project
    converters.load_saved_model = _convert.load_saved_model
    for name in ("convert_from_config", "keras_v2_to_hls", "keras_v3_to_hls", "keras_to_hls", "onnx_to_hls",
                 "pytorch_to_hls"):
        setattr(converters, name, getattr(_dict_config, name))
    model.profiling = profiling
    from . import multi_graph

    model.to_multi_model_graph = multi_graph.to_multi_model_graph
    model.MultiModelGraph = multi_graph.MultiModelGraph
    sys.modules.setdefault(__name__ + ".model.profiling", profiling)


_hls4ml_paths()

__version__ = "0.1.0"

__all__ = [
    "CompileError", "ConfigError", "FixedType", "HLSModel", "Simulation", "config_from_keras_model",
    "config_from_onnx_model", "config_from_pytorch_model", "convert_from_keras_model", "convert_from_onnx_model",
    "convert_from_pytorch_model", "convert_from_symbolic_expression", "from_yaml", "parse_type", "SaturationWarning", "to_yaml", "LinkedProject", "link_existing_project",
]
