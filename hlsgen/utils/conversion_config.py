"""hls4ml's conversion-configuration dict (or YAML file of one): ``create_config`` and
``convert_from_config`` / ``keras_v2_to_hls`` / ``keras_v3_to_hls`` / ``onnx_to_hls`` /
``pytorch_to_hls``, which read it and call the ``convert_from_*`` functions.

The dict's keys, as hls4ml writes them (every other key is an error naming it):

=============================  ==================================================================
``KerasModel``                 a Keras model object; or ``KerasH5`` (a .h5/.keras file), or
                               ``KerasJson`` (architecture) with ``KerasH5`` (weights)
``OnnxModel``                  an ONNX model or the path of one
``PytorchModel``               a torch.nn.Module (with ``InputShape``)
``OutputDir``, ``ProjectName``  ``output_dir``, ``project_name``
``Backend``, ``Part``,          the same arguments of ``convert_from_*`` (``Part`` None: the
``Board``, ``ClockPeriod``,     backend's default)
``ClockUncertainty``,
``IOType``
``HLSConfig``                  the layer configuration (``hls_config``)
``InputShape``                 ``input_shape``
``WriterConfig``               ``Namespace``, ``WriteWeightsTxt``, ``WriteTar``,
                               ``TBOutputStream``, ``WriteEmulationConstants``: the writer
                               options of the same names (see ``hlsgen.writer_options``)
``Version``                    the project's version; '1.0.0' only (hlsgen's IP exports carry no
                               other)
``Stamp``                      accepted and not used (hls4ml's project stamp)
=============================  ==================================================================
"""
from __future__ import annotations

from .. import convert as _convert
from ..config import ConfigError, from_yaml

MODEL_SOURCES = ("KerasModel", "KerasH5", "KerasJson", "OnnxModel", "PytorchModel")
ARGUMENTS = {"OutputDir": "output_dir", "ProjectName": "project_name", "Backend": "backend", "Part": "part",
             "Board": "board", "ClockPeriod": "clock_period", "ClockUncertainty": "clock_uncertainty",
             "IOType": "io_type", "HLSConfig": "hls_config", "InputShape": "input_shape"}
WRITER = {"Namespace": "namespace", "WriteWeightsTxt": "write_weights_txt", "WriteTar": "write_tar",
          "TBOutputStream": "tb_output_stream", "WriteEmulationConstants": "write_emulation_constants"}
OTHER = ("WriterConfig", "Version", "Stamp")
DEFAULT_VERSION = "1.0.0"


def create_config(output_dir="my-hls-test", project_name="myproject", backend="Vivado", version=DEFAULT_VERSION,
                  part=None, clock_period=5, clock_uncertainty=None, io_type="io_parallel", namespace=None,
                  write_weights_txt=True, write_tar=False, tb_output_stream="both", **kwargs) -> dict:
    """hls4ml's initial conversion configuration: project, backend and writer settings, to
    which the caller adds the model (``KerasModel``, ...) and ``HLSConfig``.  ``part`` None:
    the plain backends' default part (hls4ml's), or the board's for the accelerator
    backends; ``clock_uncertainty`` None: the HLS tool's."""
    from ..backends import get_backend
    from ..boards import DEFAULT_PART

    name = get_backend(backend).name  # an unknown backend lists the valid ones
    if part is None and name in ("Vivado", "Vitis"):
        part = DEFAULT_PART  # the accelerator backends take their board's
    if kwargs:
        raise TypeError(f"create_config() got unexpected argument(s) {', '.join(sorted(kwargs))}; "
                        f"valid: output_dir, project_name, backend, version, part, clock_period, clock_uncertainty, "
                        "io_type, namespace, write_weights_txt, write_tar, tb_output_stream")
    return {"OutputDir": output_dir, "ProjectName": project_name, "Backend": backend, "Version": version,
            "Part": part, "ClockPeriod": clock_period, "ClockUncertainty": clock_uncertainty, "IOType": io_type,
            "HLSConfig": {}, "WriterConfig": {"Namespace": namespace, "WriteWeightsTxt": write_weights_txt,
                                              "WriteTar": write_tar, "TBOutputStream": tb_output_stream}}


def _arguments(config: dict) -> tuple:
    """(model source key, keyword arguments of convert_from_*) of a conversion dict."""
    if not isinstance(config, dict):
        raise ConfigError(f"the conversion configuration must be a mapping or a YAML file, got {type(config).__name__}")
    valid = MODEL_SOURCES + tuple(ARGUMENTS) + OTHER
    for k in config:
        if k not in valid:
            raise ConfigError(f"unknown key {k!r} in the conversion configuration; valid keys: {', '.join(valid)}")
    version = config.get("Version", DEFAULT_VERSION)
    if str(version) != DEFAULT_VERSION:
        raise ConfigError(f"Version {version!r} is not supported: hlsgen's projects are version {DEFAULT_VERSION}")
    kwargs = {arg: config[key] for key, arg in ARGUMENTS.items() if config.get(key) is not None}
    writer = config.get("WriterConfig") or {}
    if not isinstance(writer, dict):
        raise ConfigError(f"WriterConfig must be a mapping, got {type(writer).__name__}")
    for k, v in writer.items():
        if k not in WRITER:
            raise ConfigError(f"unknown key {k!r} in WriterConfig; valid keys: {', '.join(WRITER)}")
        if v is not None:
            kwargs[WRITER[k]] = v
    sources = [k for k in MODEL_SOURCES if k in config and not (k == "KerasH5" and "KerasJson" in config)]
    if len(sources) != 1:
        raise ConfigError("the conversion configuration needs one model: KerasModel, KerasH5 (or KerasJson with "
                          f"KerasH5), OnnxModel or PytorchModel; got {', '.join(sources) or 'none'}")
    return sources[0], kwargs


def convert_from_config(config):
    """An HLSModel from hls4ml's conversion configuration: a dict, or the path of a YAML file
    holding one (where ``KerasH5``/``KerasJson``/``OnnxModel`` are file paths)."""
    if isinstance(config, str) or hasattr(config, "__fspath__"):
        config = from_yaml(str(config))
    source, kwargs = _arguments(config)
    if source in ("KerasModel", "KerasH5", "KerasJson"):
        weights = config["KerasH5"] if source == "KerasJson" else None
        return _convert.convert_from_keras_model(config[source], weights_file=weights, **kwargs)
    if source == "OnnxModel":
        kwargs.pop("input_shape", None)  # an ONNX graph declares its input shapes
        return _convert.convert_from_onnx_model(config[source], **kwargs)
    return _convert.convert_from_pytorch_model(config[source], **kwargs)


def _from(sources: tuple, what: str):
    def convert(config):
        if isinstance(config, dict) and not any(k in config for k in sources):
            raise ConfigError(f"{what} needs one of {', '.join(sources)} in the configuration")
        return convert_from_config(config)

    convert.__name__ = what
    convert.__doc__ = f"hls4ml's {what}(config): ``convert_from_config`` of a configuration holding {sources[0]}."
    return convert


keras_v2_to_hls = _from(("KerasModel", "KerasH5", "KerasJson"), "keras_v2_to_hls")
_keras_v3 = _from(("KerasModel", "KerasH5"), "keras_v3_to_hls")


def keras_v3_to_hls(config, allow_da_fallback=True, allow_v2_fallback=True):
    """hls4ml's keras_v3_to_hls(config): ``convert_from_config`` of a configuration holding a
    Keras 3 model.  The fallback flags choose among hls4ml's converters; hlsgen has one."""
    return _keras_v3(config)


keras_to_hls = _from(("KerasModel", "KerasH5", "KerasJson"), "keras_to_hls")
onnx_to_hls = _from(("OnnxModel",), "onnx_to_hls")
pytorch_to_hls = _from(("PytorchModel",), "pytorch_to_hls")
