"""The estimator's validation set: public C-synthesis reports of hls4ml designs
(bench/data/csynth_reports.yml: numbers and configurations only, each with its source
repository, path and commit), rebuilt as the equivalent hlsgen design and estimated.

A design is rebuilt from its recorded layers as a Keras model with random weights (the
recorded share of zero weights where known) or, where the entry names the public trained
model it was built from (``trained_weights``) and ../shared holds it, that model's
kernels; converted with the recorded precision (hls4ml's model precision is the default
of the weight, bias and accumulator types too),
reuse factor, strategy and io type, and estimated on the recorded part and clock with
``hlsgen.estimate.estimate_code``.  Shared by bench/bench_estimate.py and the tests.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import warnings
from pathlib import Path

import numpy as np
import yaml

DATA = Path(__file__).resolve().parent / "data" / "csynth_reports.yml"
METRICS = ("dsp", "lut", "ff", "bram_18k", "latency", "ii")
#: the clock uncertainty hls4ml's projects set where the entry does not record the report's
#: (``clock_uncertainty``): its Vivado backend's default, 12.5% (the report of hls4ml's own
#: test, Vivado HLS 2020.1: ClockUncertainty 0.62 of 5.00 ns); its Vitis backend's is 27%
HLS4ML_UNCERTAINTY = 0.125


def load() -> list:
    return yaml.safe_load(DATA.read_text())


def _t(s):
    """hls4ml's ap_fixed<W,I> spelling as hlsgen's (same meaning)."""
    return None if s in (None, "", "auto") else str(s).replace("ap_", "")


class Unsupported(Exception):
    pass


#: where the peer models (public trained models of the reference tool's zoo) live; never copied
SHARED = Path(os.environ.get("HLSGEN_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))


def trained_kernels(entry) -> list | None:
    """The Dense kernels (in order) of the trained public model a design was built from
    (``trained_weights: <peer model>``), or None where that model is not at hand: real
    weights decide which constant products the tools bind to LUTs, random ones do not."""
    name = entry.get("trained_weights")
    path = SHARED / "peer-models" / str(name) if name else None
    if path is None or not path.is_dir():
        return None
    import h5py

    (h5,) = path.glob("*.h5")
    kernels = []
    with h5py.File(h5, "r") as f:
        for lname in f.attrs["layer_names"]:
            g = f[lname.decode() if isinstance(lname, bytes) else lname]
            ks = []
            g.visititems(lambda n, o: ks.append(np.asarray(o)) if n.endswith("kernel:0") else None)
            kernels += ks
    return kernels


def _prune(k, n_zeros):
    """Magnitude pruning (as the tools users prune with do): the n_zeros smallest |w| become 0."""
    flat = k.reshape(-1).copy()
    if n_zeros:
        flat[np.argsort(np.abs(flat), kind="stable")[: int(n_zeros)]] = 0.0
    return flat.reshape(k.shape)


def keras_model(entry, seed=0):
    import keras

    rng = np.random.default_rng(seed)
    layers = entry["layers"]
    first = layers[0]
    if "n_in" in first and first["type"] == "Dense":
        shape = (first["n_in"],)
    elif "in_shape" in first:
        shape = tuple(first["in_shape"])
    else:
        raise Unsupported(f"no input shape for {first['type']}")
    x = inp = keras.Input(shape, name="input_1")
    cfg = {}
    trained = trained_kernels(entry)
    for k, lay in enumerate(layers):
        t = lay["type"]
        name = f"l{k}_{t.lower()}"
        entry_cfg = {}
        if lay.get("reuse_factor"):
            entry_cfg["ReuseFactor"] = int(lay["reuse_factor"])
        if t in ("Activation", "Softmax") and entry["io_type"] == "io_parallel":
            # hls4ml's io_parallel activations are unrolled whatever the reuse factor
            # (hlsgen's share their operators over it): rebuild the reference's design
            entry_cfg["ReuseFactor"] = 1
        prec = {key: _t(lay.get(key)) for key in ("weight", "result", "accum") if _t(lay.get(key))}
        if t in ("Dense", "Conv2D", "Conv1D") and "weight" not in prec and entry.get("weight_inferred"):
            prec["weight"] = _t(entry["weight_inferred"])
        if t in ("Dense", "Conv2D", "Conv1D"):
            # hls4ml's Model precision is every type's default (weight, bias, accumulator),
            # where hlsgen's 'auto' would fit them: rebuild what the report's design used
            for key in ("weight", "bias", "accum"):
                prec.setdefault(key, _t(entry.get("precision")) or "fixed<16,6>")
        if t == "Dense":
            if len(x.shape) > 2:
                x = keras.layers.Flatten(name=f"{name}_flat")(x)
            layer = keras.layers.Dense(int(lay["n_out"]), name=name)
            x = layer(x)
            n_zeros = _zeros(lay, entry, int(lay["n_in"]) * int(lay["n_out"]))
            k_trained = trained.pop(0) if trained else None
            if k_trained is not None and k_trained.shape == (int(lay["n_in"]), int(lay["n_out"])):
                layer.set_weights([_prune(k_trained, n_zeros)] + [rng.uniform(-0.5, 0.5, w.shape) for w in layer.get_weights()[1:]])
            else:
                _weights(layer, rng, n_zeros)
        elif t in ("Conv2D", "Conv1D"):
            conv = keras.layers.Conv2D if t == "Conv2D" else keras.layers.Conv1D
            k_ = lay["kernel"] if t == "Conv2D" else (lay["kernel"][-1] if isinstance(lay["kernel"], list) else lay["kernel"])
            s_ = lay.get("strides", 1)
            if t == "Conv1D" and isinstance(s_, list):
                s_ = s_[-1]
            layer = conv(int(lay["filters"]), k_, strides=s_, padding=lay.get("padding", "valid"), name=name)
            x = layer(x)
            _weights(layer, rng, lay.get("n_zeros"))
        elif t == "Activation":
            fn = lay.get("fn", "relu")
            x = keras.layers.Activation(fn, name=name)(x)
            if "weight" in prec:
                prec.pop("weight")
        elif t == "Softmax":
            x = keras.layers.Activation("softmax", name=name)(x)
        elif t == "MaxPooling2D":
            x = keras.layers.MaxPooling2D(tuple(lay["pool"]), name=name)(x)
        elif t == "Flatten":
            x = keras.layers.Flatten(name=name)(x)
        elif t == "ZeroPadding2D":
            x = keras.layers.ZeroPadding2D(lay["pad"], name=name)(x)
        elif t == "ZeroPadding1D":
            x = keras.layers.ZeroPadding1D(lay["pad"], name=name)(x)
        elif t == "UpSampling2D":
            x = keras.layers.UpSampling2D(lay["size"], name=name)(x)
        elif t == "GlobalAveragePooling1D":
            x = keras.layers.GlobalAveragePooling1D(name=name)(x)
        elif t == "GlobalMaxPooling1D":
            x = keras.layers.GlobalMaxPooling1D(name=name)(x)
        elif t in ("Dropout", "ApplyAlpha"):
            continue  # nothing at inference / a scale hlsgen folds into the layer before
        else:
            raise Unsupported(f"layer type {t}")
        if prec:
            entry_cfg["Precision"] = prec
        if entry_cfg:
            cfg[name] = entry_cfg
    return keras.Model(inp, x), cfg


def _zeros(lay, entry, n_weights):
    """Zero weights of a layer: recorded, or the design's recorded sparsity of every layer."""
    if lay.get("n_zeros") is not None:
        return lay["n_zeros"]
    return round(float(entry["sparsity"]) * n_weights) if entry.get("sparsity") else None


def _weights(layer, rng, n_zeros):
    ws = layer.get_weights()
    # at the scale of a trained layer: Keras's default initialiser (Glorot uniform)
    shape = ws[0].shape
    field = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    limit = np.sqrt(6.0 / (field * (shape[-2] + shape[-1])))
    k = rng.uniform(-limit, limit, shape)
    if n_zeros:
        flat = k.reshape(-1)
        flat[rng.choice(flat.size, min(int(n_zeros), flat.size), replace=False)] = 0.0
    layer.set_weights([k] + [rng.uniform(-0.5, 0.5, w.shape) for w in ws[1:]])


def estimate_entry(entry, tmp="/tmp/hlsgen-bench-estimate"):
    """(estimate, report numbers) of one design; raises Unsupported when it cannot be rebuilt."""
    import hlsgen

    model, layer_cfg = keras_model(entry)
    cfg = {"Model": {"Precision": _t(entry.get("precision")) or "fixed<16,6>",
                     "ReuseFactor": int(entry.get("reuse_factor") or 1),
                     "Strategy": entry.get("strategy") or "Latency"},
           "LayerName": layer_cfg}
    inp = _t(entry["layers"][0].get("input"))
    cfg["LayerName"]["input_1"] = {"Precision": {"result": inp or cfg["Model"]["Precision"]}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hm = hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=tmp, io_type=entry["io_type"])
    return estimate_design(entry, hm.lowering), entry["report"]


def estimate_design(entry, code):
    """hlsgen's estimate of a rebuilt design (its lowering ``code``) on the entry's part,
    clock and tool, seen as the reference design it stands for."""
    from hlsgen.estimate import estimate_code

    fabric = entry.get("multiplier_impl") == "LUT"
    return estimate_code(code, entry["part"], float(entry["clock_ns"]), None,
                         multipliers="fabric" if fabric else "auto", tool=tool(entry),
                         clock_uncertainty=float(entry.get("clock_uncertainty") or HLS4ML_UNCERTAINTY),
                         plan_of=functools.partial(reference_plan, entry))


def reference_plan(entry, lay, plan):
    """The plan of the reference tool's kernel for one rebuilt layer (a translation, not a
    property of hlsgen's code).  For io_parallel Dense layers hls4ml takes the reuse factor as
    configured, where hlsgen moves one that would idle multipliers to the nearest valid
    value (for Dense Resource a divisor of the inputs, so never above them).

    - dense_latency limits its multipliers to ceil(n_in * n_out / RF) - floor(n_zeros /
      RF), the zero weights' share taken off (nnet_dense_latency.h); its reports agree:
      argykokk-arrythmia-dspreuse100, RF 100, 2,192 weights of which 924 are zero: 13 DSP
      slices in fc1.
    - dense_resource runs ceil(n_in * n_out / RF) multipliers over RF pipelined steps,
      RF above the inputs too (its rf_gt_nin variant; nnet_dense_resource.h): e.g.
      mgrailoo-mnist-qmlp-resource-rf7840, RF 7,840 on 784 x 10 weights: one multiplier,
      II 7,840."""
    k = _layer_index(lay.source_name)
    if k is None or plan.style != "mac":
        return plan
    rec = entry["layers"][k]
    if entry["io_type"] == "io_stream" and rec["type"] in ("Conv2D", "Conv1D"):
        # hls4ml's io_stream convolution pipelines its pixel loop (II = RF) only with
        # Strategy Latency; with Resource the loop is not pipelined and each pixel waits for
        # the kernel call before (nnet_conv2d_stream.h / nnet_conv1d_stream.h,
        # conv_2d_buffer_cl: the PIPELINE pragma under strategy == latency)
        strategy = rec.get("strategy") or entry.get("strategy") or "Latency"
        return dataclasses.replace(plan, overlap=strategy.lower() != "resource")
    if entry["io_type"] != "io_parallel":
        return plan
    if rec["type"] != "Dense":
        return plan
    rf = int(rec.get("reuse_factor") or entry.get("reuse_factor") or 1)
    n_in, n = int(rec["n_in"]), int(rec["n_in"]) * int(rec["n_out"])
    mult = -(-n // rf)
    if plan.block:  # Strategy Resource
        return dataclasses.replace(plan, reuse_factor=rf, iterations=rf, ii=1, multipliers=mult,
                                   block=-(-n_in // rf), reshape_factor=mult)
    zeros = _zeros(rec, entry, n) or 0
    return dataclasses.replace(plan, reuse_factor=rf, ii=rf, multipliers=max(1, mult - int(zeros) // rf))


def _layer_index(name):
    """The recorded layer a rebuilt one stands for (keras_model names them l<k>_<type>)."""
    head = str(name).split("_", 1)[0]
    return int(head[1:]) if head[:1] == "l" and head[1:].isdigit() else None


def tool(entry) -> str:
    """The estimator's tool for a report: 'vivado_hls' or 'vitis_hls'."""
    return "vivado_hls" if str(entry.get("tool", "")).startswith("vivado_hls") else "vitis_hls"


def compare(est, rep) -> dict:
    """Relative error per metric (None where the report has no number or is 0)."""
    got = dict(est.total)
    got["latency"] = got["latency_max"]
    return compare_numbers(got, rep)


def compare_numbers(got: dict, rep: dict) -> dict:
    """Relative error per metric of ``got`` (metric -> number) against a report."""
    want = dict(rep)
    want["latency"] = rep.get("latency_max")
    want["ii"] = rep.get("ii_max")
    out = {}
    for m in METRICS:
        w = want.get(m)
        if w in (None, 0) or got.get(m) is None:  # no relative error against 0
            out[m] = None
            continue
        out[m] = abs(got[m] - w) / w
    return out


def summary(errors: list) -> dict:
    """Median and 75th percentile of each metric's relative error."""
    res = {}
    for m in METRICS:
        v = [e[m] for e in errors if e.get(m) is not None]
        res[m] = (float(np.median(v)), float(np.percentile(v, 75)), len(v)) if v else (None, None, 0)
    return res


def run_all(verbose=False):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    rows, skipped = [], []
    for e in load():
        try:
            est, rep = estimate_entry(e)
        except Unsupported as ex:
            skipped.append((e["id"], str(ex)))
            continue
        err = compare(est, rep)
        rows.append((e, est, err))
        if verbose:
            t = est.total
            print(f"{e['id'][:44]:44s} dsp {t['dsp']:>6}/{rep['dsp']:<6} lut {t['lut']:>7}/{rep['lut']:<7} "
                  f"ff {t['ff']:>7}/{rep['ff']:<7} bram {t['bram_18k']:>4}/{rep['bram_18k']:<4} "
                  f"lat {t['latency_max']:>6}/{rep.get('latency_max')!s:<6} ii {t['ii']:>6}/{rep.get('ii_max')!s:<6}")
    return rows, skipped
