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
  input_1: {Precision: {result: auto}}   # Model.Precision, or fitted to calibration_data
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

hls4ml's spellings are read too: a layer key ``<key>_t`` (``accum_t: fixed<20,8>``) is
``Precision: {<key>: ...}``; ``Strategy`` ``resource_unrolled``/``ResourceUnrolled`` is
Resource (hlsgen's Resource kernel already unrolls what the reuse factor leaves parallel);
a layer kind's own Strategy values (Softmax ``stable``, ``latency``, ``argmax``, ``skip``;
also as ``Implementation``) and keys (``table_size``/``TableSize``) go to the layer
(``Layer.configure``).  Model keys: ``PipelineStyle`` (auto, pipeline, dataflow: the
io_parallel top's pragma), ``PipelineInterval`` (the II of a pipelined top: ``PIPELINE II=n``),
``BramFactor`` (accepted while no weight array is larger: hlsgen does not move weights to
top-level ports), ``ConvImplementation`` (LineBuffer, what hlsgen builds; ``Encoded``, hls4ml's
pixel-table window for io_stream, is built as the same line buffer: the same numbers, and
the estimate describes the line buffer; in io_parallel, as in hls4ml, the key has no effect),
``ChannelsLastConversion``/``TransposeOutputs``/``ChannelsLast`` (PyTorch: the layout
``predict`` takes and gives, ``config_from_pytorch_model``).  A name-granularity
configuration holds only what differs from the model level, so ``Model.ReuseFactor`` and
``Model.Strategy`` set later still apply to every layer.
"""
from __future__ import annotations

import copy
import warnings

import yaml

from .fixed import parse_type

DEFAULT_PRECISION = "fixed<16,6,RND,SAT>"
STRATEGIES = ("Latency", "Resource")
STRATEGY_ALIASES = {"latency": "Latency", "resource": "Resource", "resourceunrolled": "Resource"}
TOP_KEYS = ("Model", "LayerType", "LayerName", "AcceleratorConfig", "InputShape")
MODEL_KEYS = ("Precision", "ReuseFactor", "Strategy", "Trace", "TraceOutput", "PipelineStyle", "PipelineInterval",
              "BramFactor", "ConvImplementation", "ChannelsLastConversion", "TransposeOutputs", "ChannelsLast")
LAYER_KEYS = ("Precision", "ReuseFactor", "Strategy", "Trace", "ConvImplementation", "Implementation")
PIPELINE_STYLES = ("auto", "pipeline", "dataflow")
CONV_IMPLEMENTATIONS = ("LineBuffer", "Encoded")
CHANNELS_LAST = ("full", "internal", "off")
REFUSED = {
    "maximum": "a maximum for the 'auto' types is not implemented ('auto' types are exact or fitted)",
}
INPUT_KIND = "Input"
DEFAULT_BRAM_FACTOR = 1_000_000_000


def strategy(value):
    """'Latency' / 'Resource' for a Strategy value (hls4ml's spellings too), else None."""
    return STRATEGY_ALIASES.get(str(value).strip().lower().replace("_", ""))


class ConfigError(ValueError):
    """An invalid configuration: the message names the key and the valid choices."""


class ConfigWarning(UserWarning):
    """A configuration that converts but does not do what it seems to (a key that is ignored)."""


def _check_keys(d, valid, where):
    if not isinstance(d, dict):
        raise ConfigError(f"{where} must be a mapping, got {type(d).__name__}")
    for k in d:
        if k in REFUSED and k not in valid:
            raise ConfigError(f"{where}.{k} is not supported: {REFUSED[k]}")
        if k not in valid:
            raise ConfigError(f"unknown key {k!r} in {where}; valid keys: {', '.join(valid)}")


def _check_precision(value, where):
    if isinstance(value, str) and value.strip().lower() == "auto":
        return
    try:
        parse_type(value)
    except ValueError as e:
        raise ConfigError(f"{where}: {e}") from None


def _check_choice(d, key, choices, where, fold=str.lower):
    if key in d and fold(str(d[key])) not in [fold(c) for c in choices]:
        raise ConfigError(f"{where}.{key} is {d[key]!r}; valid: {', '.join(choices)}")


def _check_common(d, where, precision_keys, implementations=()):
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
    for key in ("Strategy", "Implementation"):
        if key in d and strategy(d[key]) is None and str(d[key]).lower() not in implementations:
            if key == "Strategy" or implementations:
                valid = (STRATEGIES + ("ResourceUnrolled",) if key == "Strategy" else ()) + tuple(implementations)
                raise ConfigError(f"{where}.{key} is {d[key]!r}; valid: {', '.join(valid)}")
            raise ConfigError(f"{where}.Implementation is {d[key]!r}: this layer kind has one implementation; "
                              "remove the key")
    _check_choice(d, "ConvImplementation", CONV_IMPLEMENTATIONS, where)
    for key in ("Trace", "TraceOutput"):
        if key in d and not isinstance(d[key], bool):
            raise ConfigError(f"{where}.{key} must be true or false, got {d[key]!r}")


def validate(config: dict, layer_kinds: dict, layer_precision_keys: dict, kind_options: dict | None = None) -> dict:
    """Check ``config`` against the model.

    ``layer_kinds``: source layer name -> kind; ``layer_precision_keys``: kind -> keys;
    ``kind_options``: kind -> {'accepted_precision_keys', 'implementations', 'config_keys'}
    (the layer kinds' class attributes).  Returns the configuration with hls4ml's spellings
    read (``<key>_t``, ``TableSize``; the argument is not changed) or raises ConfigError.
    """
    if config is None:
        return {}
    misplaced = [k for k in config if k in MODEL_KEYS and k not in TOP_KEYS] if isinstance(config, dict) else []
    if misplaced:  # hls4ml reads them under Model only and passes over them here
        warnings.warn(f"configuration key(s) {', '.join(map(repr, misplaced))} at the top level are Model keys and "
                      "are ignored there (as hls4ml ignores them); put them under 'Model' to apply them",
                      ConfigWarning, stacklevel=3)
        config = {k: v for k, v in config.items() if k not in misplaced}
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
    _check_choice(model, "PipelineStyle", PIPELINE_STYLES, "Model")
    ii = model.get("PipelineInterval")
    if ii is not None and (isinstance(ii, bool) or not isinstance(ii, int) or ii < 1):
        raise ConfigError(f"Model.PipelineInterval must be a positive integer (the pipelined top's II), got {ii!r}")
    _check_choice(model, "ChannelsLastConversion", CHANNELS_LAST, "Model")
    for key in ("TransposeOutputs", "ChannelsLast"):
        if key in model and not isinstance(model[key], bool):
            raise ConfigError(f"Model.{key} must be True or False, got {model[key]!r}")
    bf = model.get("BramFactor", DEFAULT_BRAM_FACTOR)
    if isinstance(bf, bool) or not isinstance(bf, int) or bf < 0:
        raise ConfigError(f"Model.BramFactor must be a non-negative integer, got {bf!r}")
    kinds = sorted(set(layer_precision_keys))
    options = kind_options or {}
    normalized = {k: v for k, v in config.items() if k not in ("LayerType", "LayerName")}
    for section, entries in (("LayerType", config.get("LayerType")), ("LayerName", config.get("LayerName"))):
        if entries is None:
            continue
        if not isinstance(entries, dict):
            raise ConfigError(f"{section} must be a mapping, got {type(entries).__name__}")
        normalized[section] = {}
        for key, d in entries.items():
            if section == "LayerType" and key not in layer_precision_keys:
                raise ConfigError(f"unknown layer type {key!r} in LayerType; valid types: {', '.join(kinds)}")
            if section == "LayerName" and key not in layer_kinds:
                raise ConfigError(f"unknown layer name {key!r} in LayerName; the model's layers: "
                                  f"{', '.join(layer_kinds)}")
            kind = key if section == "LayerType" else layer_kinds[key]
            opt = options.get(kind, {})
            pkeys = tuple(layer_precision_keys[kind]) + tuple(opt.get("accepted_precision_keys", ()))
            where = f"{section}.{key}"
            d = _hls4ml_spellings(d, pkeys, opt.get("config_keys", ()), where)
            _check_keys(d, LAYER_KEYS + tuple(opt.get("config_keys", ())), where)
            _check_common(d, where, pkeys, opt.get("implementations", ()))
            normalized[section][key] = d
    return normalized


MERGE_KEYS = ("Trace",)  # what a split entry keeps for the layer that merges its parts


def split_parts(config: dict, parts: dict) -> dict:
    """hls4ml's one entry for a layer hlsgen builds from parts (a Keras ``Bidirectional``:
    ``{'Bidirectional': {'forward': 'Bidirectional_forward', 'backward': ...}}``), spread
    over the parts: ``<part>_<key>`` (``forward_reuse_factor``, ``Precision.forward_weight``,
    ``backward_weight_t``) sets ``<key>`` of that part (``reuse_factor`` is ``ReuseFactor``),
    an unprefixed key (``static``, ``Strategy``, ``ReuseFactor``, ``Precision.accum``) every
    part; ``Precision.result`` and ``Trace`` stay with the layer that merges the parts.  A
    part's own entry wins over what its layer's entry gives it (an 'auto' precision there
    does not).  ``config`` is not changed."""
    names = (config or {}).get("LayerName")
    if not isinstance(names, dict) or not any(n in names for n in parts):
        return config
    names = dict(names)
    for name, ps in parts.items():
        d = names.get(name)
        if not isinstance(d, dict):
            continue
        merged = {k: v for k, v in d.items() if k in MERGE_KEYS}
        given = {p: {} for p in ps}
        for k, v in d.items():
            if k == "Precision":
                if isinstance(v, dict):
                    if "result" in v:
                        merged["Precision"] = {"result": v["result"]}
                    for pk, pv in v.items():
                        if pk != "result":
                            _to_part(given, ps, pk, pv, precision=True)
                else:
                    merged["Precision"] = {"result": v}
                    for p in ps:
                        given[p].setdefault("Precision", {}).update(weight=v, bias=v)
            elif k not in MERGE_KEYS:
                _to_part(given, ps, k, v)
        names[name] = merged
        for direction, g in given.items():
            p = ps[direction]
            own = names.get(p) if isinstance(names.get(p), dict) else {}
            out = {**g, **{k: v for k, v in own.items() if k != "Precision"}}
            own_prec = own.get("Precision")
            if own_prec is not None and not isinstance(own_prec, dict):  # one type for the part: it wins
                out["Precision"] = own_prec
            else:
                shared = g.get("Precision", {})
                prec = {**shared, **{k: v for k, v in (own_prec or {}).items()
                                     if str(v).strip().lower() != "auto" or k not in shared}}
                if prec:
                    out["Precision"] = prec
            names[p] = out
    return {**config, "LayerName": names}


def move_part_keys(config: dict, moves: dict) -> dict:
    """hls4ml's precision keys of a layer hlsgen builds as two layers (a separable
    convolution: a depthwise then a pointwise one), moved to the layer they set:
    ``moves`` = {entry: {key: (target entry, target key)}}, e.g. ``{'sep': {'depthwise':
    ('sep_depthwise', 'weight'), 'dw_output': ('sep_depthwise', 'result'), ...}}``; a key
    is read in ``Precision`` or as ``<key>_t``.  A target entry's own explicit (not 'auto')
    value wins.  ``config`` is not changed."""
    names = (config or {}).get("LayerName")
    if not isinstance(names, dict) or not any(n in names for n in moves):
        return config
    names = {n: (dict(e) if isinstance(e, dict) else e) for n, e in names.items()}
    for name, keys in moves.items():
        d = names.get(name)
        if not isinstance(d, dict):
            continue
        prec = dict(d["Precision"]) if isinstance(d.get("Precision"), dict) else None
        for key, (target, tkey) in keys.items():
            if prec is not None and key in prec:
                value = prec.pop(key)
            elif f"{key}_t" in d:
                value = d.pop(f"{key}_t")
            else:
                continue
            if target == name:  # a key of the entry's own layer ('pointwise' -> 'weight')
                if prec is not None and (tkey not in prec or str(prec[tkey]).strip().lower() == "auto"):
                    prec[tkey] = value
                continue
            t = names.get(target)
            t = dict(t) if isinstance(t, dict) else {}
            tp = t.get("Precision")
            if tp is not None and not isinstance(tp, dict):
                continue  # one type for the whole target layer: it wins
            tp = dict(tp or {})
            if tkey not in tp or str(tp[tkey]).strip().lower() == "auto":
                tp[tkey] = value
            t["Precision"] = tp
            names[target] = t
        if prec is not None:
            d["Precision"] = prec
    return {**config, "LayerName": names}


def _to_part(given, parts, key, value, precision=False):
    for p in parts:
        if isinstance(key, str) and key.startswith(p + "_"):
            k = key[len(p) + 1:]
            targets = [p]
            break
    else:
        k, targets = key, list(parts)
    for p in targets:
        if precision:
            given[p].setdefault("Precision", {})[k] = value
        else:
            given[p]["ReuseFactor" if k == "reuse_factor" else k] = value


def _hls4ml_spellings(d, precision_keys, config_keys, where) -> dict:
    """A layer entry with hls4ml's spellings read: ``<key>_t`` -> ``Precision.<key>``,
    ``TableSize`` -> ``table_size``; the entry itself is not changed."""
    if not isinstance(d, dict):
        raise ConfigError(f"{where} must be a mapping, got {type(d).__name__}")
    out = {}
    precision = {}
    for k, v in d.items():
        if isinstance(k, str) and k.endswith("_t") and k[:-2] in precision_keys:
            precision[k[:-2]] = v
        elif k == "TableSize" and "table_size" in config_keys:
            out["table_size"] = v
        else:
            out[k] = v
    if precision:
        p = out.get("Precision")
        if p is None:
            p = {}
        elif not isinstance(p, dict):
            p = {k: p for k in ("result", "weight", "bias") if k in precision_keys}
        else:
            p = dict(p)
        for k, v in precision.items():
            if k in p and str(p[k]).strip().lower() != "auto" and p[k] != v:
                raise ConfigError(f"{where}: {k}_t={v!r} and Precision.{k}={p[k]!r} disagree; set one")
            p[k] = v
        out["Precision"] = p
    return out


def model_default_precision(config: dict) -> str:
    p = (config or {}).get("Model", {}).get("Precision", DEFAULT_PRECISION)
    if isinstance(p, dict):
        p = p.get("default", DEFAULT_PRECISION)
    return p


def layer_settings(config: dict, name: str, kind: str, precision_keys, kind_implementations=(),
                   kind_config_keys=()) -> dict:
    """Resolve one layer's settings: LayerName over LayerType over Model (a validated
    configuration: hls4ml's spellings already read)."""
    config = config or {}
    model = config.get("Model", {})
    out = {
        "precision": {k: "auto" for k in precision_keys},
        "reuse_factor": model.get("ReuseFactor", 1),
        "strategy": strategy(model.get("Strategy", "Latency")) or "Latency",
        "trace": bool(model.get("Trace", model.get("TraceOutput", False))),
        "implementation": None,  # a kind's own Strategy / Implementation value (Layer.implementations)
        "options": {},  # a kind's own keys (Layer.config_keys)
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
        for key in ("Strategy", "Implementation"):
            if key in d:
                s = strategy(d[key])
                if s is not None and key == "Strategy":
                    out["strategy"] = s
                if s is None or str(d[key]).strip().lower() in kind_implementations:
                    out["implementation"] = str(d[key]).strip().lower()
        if "Trace" in d:
            out["trace"] = d["Trace"]
        out["options"].update({k: v for k, v in d.items() if k in kind_config_keys})
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
        # only what a user edits per layer: the precisions; ReuseFactor, Strategy and Trace
        # come from Model unless a layer sets them (so changing Model later still applies)
        for name, kind, keys in layers:
            # an input's 'auto': Model.Precision, or fitted to calibration data
            config["LayerName"][name] = {"Precision": {k: "auto" for k in keys}}
    return config


def to_yaml(config: dict) -> str:
    return yaml.safe_dump(copy.deepcopy(dict(config)), sort_keys=False, default_flow_style=False)


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
