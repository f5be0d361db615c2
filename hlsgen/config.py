"""The user configuration, in the hls4ml schema (Model / LayerType / LayerName).

```yaml
Model:
  Precision: fixed<16,6,RND,SAT>   # result type of every layer left at 'auto'
  ReuseFactor: 1
  Strategy: Latency                 # or Resource
  Trace: false
LayerType:
  Dense: {ReuseFactor: 4}
LayerName:
  input_1: {Precision: {result: auto}}   # fixed<16,6,RND_CONV,SAT>, or fitted to calibration_data
  dense:
    Precision: {weight: auto, bias: auto, accum: auto, result: auto}
    ReuseFactor: 1
    Strategy: Latency
    Trace: false
```
A precision is a type string or ``auto`` (hlsgen chooses it from the operand types and
the weights; see ``infer_types``).  A string given where a dict is expected
(``Precision: fixed<8,3>``) sets the layer's result, weight and bias types.
Every key is checked: a misspelt or misplaced key is an error listing the valid ones.
"""
from __future__ import annotations

import copy

import yaml

from .fixed import parse_type

DEFAULT_PRECISION = "fixed<16,6,RND,SAT>"
DEFAULT_INPUT_PRECISION = "fixed<16,6,RND_CONV,SAT>"
STRATEGIES = ("Latency", "Resource")
TOP_KEYS = ("Model", "LayerType", "LayerName", "AcceleratorConfig")
MODEL_KEYS = ("Precision", "ReuseFactor", "Strategy", "Trace", "TraceOutput")
LAYER_KEYS = ("Precision", "ReuseFactor", "Strategy", "Trace")
INPUT_KIND = "Input"


class ConfigError(ValueError):
    """An invalid configuration: the message names the key and the valid choices."""


def _check_keys(d, valid, where):
    if not isinstance(d, dict):
        raise ConfigError(f"{where} must be a mapping, got {type(d).__name__}")
    for k in d:
        if k not in valid:
            raise ConfigError(f"unknown key {k!r} in {where}; valid keys: {', '.join(valid)}")


def _check_precision(value, where):
    if isinstance(value, str) and value.strip().lower() == "auto":
        return
    try:
        parse_type(value)
    except ValueError as e:
        raise ConfigError(f"{where}: {e}") from None


def _check_common(d, where, precision_keys):
    if "Precision" in d:
        p = d["Precision"]
        if isinstance(p, dict):
            for k, v in p.items():
                if k not in precision_keys:
                    raise ConfigError(
                        f"unknown precision key {k!r} in {where}.Precision; valid keys: {', '.join(precision_keys)}"
                    )
                _check_precision(v, f"{where}.Precision.{k}")
        else:
            _check_precision(p, f"{where}.Precision")
    if "ReuseFactor" in d:
        rf = d["ReuseFactor"]
        if not (isinstance(rf, str) and rf.strip().lower() == "auto") and (
                not isinstance(rf, int) or isinstance(rf, bool) or rf < 1):
            raise ConfigError(f"{where}.ReuseFactor must be a positive integer or 'auto', got {rf!r}")
    if "Strategy" in d and str(d["Strategy"]).capitalize() not in STRATEGIES:
        raise ConfigError(f"{where}.Strategy is {d['Strategy']!r}; valid: {', '.join(STRATEGIES)}")
    for key in ("Trace", "TraceOutput"):
        if key in d and not isinstance(d[key], bool):
            raise ConfigError(f"{where}.{key} must be true or false, got {d[key]!r}")


def validate(config: dict, layer_kinds: dict, layer_precision_keys: dict) -> dict:
    """Check ``config`` against the model.

    ``layer_kinds``: source layer name -> kind; ``layer_precision_keys``: kind -> keys.
    Returns the config (unchanged) or raises ConfigError.
    """
    if config is None:
        return {}
    _check_keys(config, TOP_KEYS, "the configuration")
    model = config.get("Model", {})
    _check_keys(model, MODEL_KEYS, "Model")
    if isinstance(model.get("Precision"), dict):
        _check_keys(model["Precision"], ("default",), "Model.Precision")
        if str(model["Precision"].get("default", "")).strip().lower() == "auto":
            raise ConfigError("Model.Precision.default must be a type string, not 'auto'")
        _check_precision(model["Precision"].get("default", DEFAULT_PRECISION), "Model.Precision.default")
    elif "Precision" in model:
        if str(model["Precision"]).strip().lower() == "auto":
            raise ConfigError("Model.Precision must be a type string, not 'auto'")
        _check_precision(model["Precision"], "Model.Precision")
    _check_common({k: v for k, v in model.items() if k != "Precision"}, "Model", ())
    kinds = sorted(set(layer_precision_keys))
    for kind, d in (config.get("LayerType") or {}).items():
        if kind not in layer_precision_keys:
            raise ConfigError(f"unknown layer type {kind!r} in LayerType; valid types: {', '.join(kinds)}")
        _check_keys(d, LAYER_KEYS, f"LayerType.{kind}")
        _check_common(d, f"LayerType.{kind}", layer_precision_keys[kind])
    names = list(layer_kinds)
    for name, d in (config.get("LayerName") or {}).items():
        if name not in layer_kinds:
            raise ConfigError(f"unknown layer name {name!r} in LayerName; the model's layers: {', '.join(names)}")
        _check_keys(d, LAYER_KEYS, f"LayerName.{name}")
        _check_common(d, f"LayerName.{name}", layer_precision_keys[layer_kinds[name]])
    return config


def model_default_precision(config: dict) -> str:
    p = (config or {}).get("Model", {}).get("Precision", DEFAULT_PRECISION)
    if isinstance(p, dict):
        p = p.get("default", DEFAULT_PRECISION)
    return p


def layer_settings(config: dict, name: str, kind: str, precision_keys) -> dict:
    """Resolve one layer's settings: LayerName over LayerType over Model."""
    config = config or {}
    model = config.get("Model", {})
    out = {
        "precision": {k: "auto" for k in precision_keys},
        "reuse_factor": model.get("ReuseFactor", 1),
        "strategy": str(model.get("Strategy", "Latency")).capitalize(),
        "trace": bool(model.get("Trace", model.get("TraceOutput", False))),
    }
    for d in ((config.get("LayerType") or {}).get(kind), (config.get("LayerName") or {}).get(name)):
        if not d:
            continue
        p = d.get("Precision")
        if isinstance(p, dict):
            out["precision"].update(p)
        elif p is not None:
            for k in ("result", "weight", "bias"):
                if k in out["precision"]:
                    out["precision"][k] = p
        if "ReuseFactor" in d:
            out["reuse_factor"] = d["ReuseFactor"]
        if "Strategy" in d:
            out["strategy"] = str(d["Strategy"]).capitalize()
        if "Trace" in d:
            out["trace"] = d["Trace"]
    return out


def make_config(layers, granularity="model", default_precision=DEFAULT_PRECISION, default_reuse_factor=1):
    """Build a configuration dict. ``layers``: list of (source name, kind, precision keys)."""
    if granularity not in ("model", "type", "name"):
        raise ConfigError(f"granularity {granularity!r} is not one of 'model', 'type', 'name'")
    _check_precision(default_precision, "default_precision")
    config = {
        "Model": {
            "Precision": str(default_precision),
            "ReuseFactor": int(default_reuse_factor),
            "Strategy": "Latency",
            "Trace": False,
        }
    }
    if granularity == "type":
        config["LayerType"] = {}
        for _, kind, keys in layers:
            config["LayerType"].setdefault(kind, {"Precision": {k: "auto" for k in keys}})
    elif granularity == "name":
        config["LayerName"] = {}
        for name, kind, keys in layers:
            entry = {"Precision": {k: "auto" for k in keys}, "Trace": False}
            if kind == INPUT_KIND:  # 'auto': DEFAULT_INPUT_PRECISION, or fitted to calibration data
                entry["Precision"] = {"result": "auto"}
            else:
                entry["ReuseFactor"] = int(default_reuse_factor)
                entry["Strategy"] = "Latency"
            config["LayerName"][name] = entry
    return config


def to_yaml(config: dict) -> str:
    return yaml.safe_dump(copy.deepcopy(config), sort_keys=False, default_flow_style=False)


def from_yaml(text_or_path) -> dict:
    text = text_or_path
    if not isinstance(text, str) or "\n" not in text and text.endswith((".yml", ".yaml")):
        with open(text_or_path) as f:
            text = f.read()
    where = "the YAML configuration" if text is text_or_path else f"configuration file {str(text_or_path)!r}"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f", line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{where}{at}: not valid YAML: {getattr(e, 'problem', None) or e}") from None
    if not isinstance(data, dict):
        raise ConfigError("the YAML configuration must be a mapping with Model / LayerType / LayerName")
    return data
