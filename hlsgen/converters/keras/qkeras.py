"""Keras handlers for QKeras 0.9 layers.

Each QKeras layer becomes the float IR layer kind (Dense, Conv1D/2D, DepthwiseConv2D,
Activation, BatchNormalization, Pooling) with exact types attached in
``attrs['types']`` (see ``hlsgen/quantizers.py`` for the quantizer -> type table):

* weights and biases are stored as QKeras' forward pass sees them (quantized, scales
  folded in) with a type holding every value exactly;
* a Dense/Conv layer's result is its exact accumulator (``attrs['result_exact']``), so a
  quantizer after it rounds the exact value, and a layer no quantizer follows (the
  logits) is exact;
* an activation quantizer (QActivation, or a Q layer's ``activation``) becomes the IR
  layer(s) whose output type *is* the quantizer's grid, with its rounding (RND_CONV) and
  clipping (SAT / SAT_SYM);
* QBatchNormalization is y = x * inv + off with QKeras' own float32 ``inv`` and ``off``
  (read back from the layer, parameter quantizers included); after a Dense/Conv it is
  folded into the weights with exact types (``passes.fold_batchnorm``).

Anything not mappable exactly raises a ValueError naming the layer and the quantizer.
"""
from __future__ import annotations


import numpy as np

from ...fixed import FixedType, parse_type
from ...quantizers import (activation_plan, exact_type, parse_quantizer, quantize_weights, quantize_weights_qkeras,
                           warn_mismatch, weight_type)
from . import handler
from .conv import _check_common, _depthwise_weights, _geom_attrs, _pool_attrs, separable_config_keys
from .core import _activation_name, add_activation, check_last_axis, dense_last_axis

QUANTIZER_CLASSES = ("quantized_bits", "quantized_relu", "quantized_tanh", "quantized_sigmoid", "binary", "ternary",
                     "quantized_po2", "quantized_relu_po2", "stochastic_binary", "stochastic_ternary", "bernoulli",
                     "quantized_ulaw", "quantized_hswish", "binary_tanh")


def _is_quantizer(a) -> bool:
    if a is None:
        return False
    if isinstance(a, str):
        return a.strip().split("(")[0].strip() in QUANTIZER_CLASSES
    if isinstance(a, dict):
        return a.get("class_name") in QUANTIZER_CLASSES
    if callable(a) and getattr(a, "__name__", None) == "binary_tanh":  # a QKeras function, not a class
        return str(getattr(a, "__module__", "")).startswith("qkeras")
    return type(a).__name__ in QUANTIZER_CLASSES and type(a).__module__.startswith("qkeras")


def _quantizer(kl, attr: str):
    """The layer's quantizer ``attr`` (e.g. 'kernel_quantizer'): the live object if any, else its config."""
    q = None
    if kl.obj is not None:
        q = getattr(kl.obj, f"{attr}_internal", None)
        if q is None and _is_quantizer(getattr(kl.obj, attr, None)):
            q = getattr(kl.obj, attr)
    if q is None:
        q = kl.config.get(attr)
    if not q:
        return None
    return parse_quantizer(q, where=f"{kl.class_name} layer {kl.name!r} {attr}")


def quantized(kl, attr: str, w):
    """(values, exact type) of weight ``w`` under the layer's quantizer ``attr``."""
    qz = _quantizer(kl, attr)
    w = np.asarray(w, dtype=np.float32)
    if qz is None:  # unquantized float32 weights: held exactly
        v = w.astype(np.float64)
        return v, exact_type(v, True)
    v = quantize_weights_qkeras(qz, w)
    if v is None:
        v = quantize_weights(qz, w)
    else:
        try:
            mine = quantize_weights(qz, w)
            bad = int(np.sum(mine != v))
        except ValueError:
            bad = 0
        if bad:
            warn_mismatch(qz.where, bad)
    return v, weight_type(qz, v)


def _finish(kl, b, out, attr="activation"):
    """The layer's own activation (a quantizer or a Keras activation)."""
    act = getattr(kl.obj, attr, None) if kl.obj is not None else None
    if not _is_quantizer(act):
        act = kl.config.get(attr)
    if _is_quantizer(act):
        qz = parse_quantizer(act, where=f"{kl.class_name} layer {kl.name!r} {attr}")
        return apply_plan(b, qz, out, f"{kl.name}_{qz.name}")
    name = _activation_name(act) if act is not None else "linear"
    if name in ("linear", "None"):
        return out
    prod = b.graph.producer(out)
    if name == "relu" and prod is not None and prod.attrs.get("result_exact") and \
            prod.attrs.get("activation", "linear") == "linear":
        prod.attrs["activation"] = "relu"  # exact: max(acc, 0) in the exact accumulator
        return out
    return add_activation(b, kl, name, [out], f"{kl.name}_{name}")


def apply_plan(b, qz, inp, name):
    steps = activation_plan(qz)
    out = inp
    for i, st in enumerate(steps):
        weights = dict(st.weights)
        if st.kind == "BatchNormalization":
            c = b.shape(out)[-1]
            weights = {k: np.broadcast_to(v, (c,)).copy() for k, v in weights.items()}
        nm = name if i == len(steps) - 1 else f"{name}_{i}"
        out = b.add(st.kind, nm, [out], dict(st.attrs), weights)
        if i == 0:
            _note_input_quantizer(b.graph, inp, b.graph.producer(out), st)
    return out


def _note_input_quantizer(graph, inp, layer, step):
    """A quantizer reading a float graph input: QKeras rounds the input once, onto the
    quantizer's grid.  The input type that makes hlsgen round once too (the same grid, modes
    and range; signed for a relu) is noted here; ``flow`` gives it to the input when the
    configuration leaves the input 'auto' and the quantizer is its only reader."""
    if step.kind != "Activation" or inp not in {gi.tensor for gi in graph.inputs}:
        return
    t = step.attrs.get("types", {}).get("result")
    act = step.attrs.get("activation")
    if t is None or act not in ("linear", "relu") or step.attrs.get("max_value") is not None:
        return
    if act == "relu" and not t.signed:
        t = FixedType(t.width + 1, t.integer + 1, True, t.rounding, t.saturation)
    graph.quantized_inputs = dict(getattr(graph, "quantized_inputs", {}), **{inp: (layer.name, t)})


def _bias(kl, index):
    return kl.weight("bias", index) if kl.config.get("use_bias", True) else None


def _typed_weights(kl, kernel, bias, kernel_attr="kernel_quantizer"):
    wv, wt = quantized(kl, kernel_attr, kernel)
    weights, types = {"weight": wv}, {"weight": wt}
    if bias is not None:
        bv, bt = quantized(kl, "bias_quantizer", bias)
        weights["bias"], types["bias"] = bv, bt
    return weights, types


# ---------------------------------------------------------------------------- layers
@handler("QDense")
def qdense(kl, inputs, b):
    kernel = kl.weight("kernel", 0)
    weights, types = _typed_weights(kl, kernel, _bias(kl, 1))
    out = dense_last_axis(b, kl.name, inputs[0], weights["weight"], weights.get("bias"),
                          {"types": types, "result_exact": True})  # on N-D inputs: the last axis
    return _finish(kl, b, out)


@handler("QConv1D", "QConv2D")
def qconv(kl, inputs, b):
    ndim = 1 if kl.class_name == "QConv1D" else 2
    pad = _check_common(kl, ndim)
    weights, types = _typed_weights(kl, kl.weight("kernel", 0), _bias(kl, 1))
    attrs = dict(padding=pad, types=types, result_exact=True, **_geom_attrs(kl, ndim))
    out = b.add("Conv1D" if ndim == 1 else "Conv2D", kl.name, inputs, attrs, weights)
    return _finish(kl, b, out)


@handler("QDepthwiseConv2D")
def qdepthwise(kl, inputs, b):
    pad = _check_common(kl, 2)
    kernel = kl.weight("depthwise_kernel", 0)
    weights, types = _typed_weights(kl, kernel, _bias(kl, 1), "depthwise_quantizer")
    weights["weight"] = _depthwise_weights(weights["weight"])
    dm = int(kl.config.get("depth_multiplier", 1))
    attrs = dict(padding=pad, depth_multiplier=dm, types=types, result_exact=True, **_geom_attrs(kl, 2))
    out = b.add("DepthwiseConv2D", kl.name, inputs, attrs, weights)
    return _finish(kl, b, out)


@handler("QSeparableConv1D", "QSeparableConv2D")
def qseparable(kl, inputs, b):
    ndim = 1 if kl.class_name.endswith("1D") else 2
    pad = _check_common(kl, ndim)
    dv, dt = quantized(kl, "depthwise_quantizer", kl.weight("depthwise_kernel", 0))
    pv, pt = quantized(kl, "pointwise_quantizer", kl.weight("pointwise_kernel", 1))
    dm = int(kl.config.get("depth_multiplier", 1))
    dkind = "DepthwiseConv1D" if ndim == 1 else "DepthwiseConv2D"
    attrs = dict(padding=pad, depth_multiplier=dm, types={"weight": dt, "bias": FixedType(2, 2, True)},
                 result_exact=True, **_geom_attrs(kl, ndim))
    mid = b.add(dkind, f"{kl.name}_depthwise", inputs, attrs, {"weight": _depthwise_weights(dv)})
    weights, types = {"weight": pv}, {"weight": pt}
    bias = _bias(kl, 2)
    if bias is not None:
        weights["bias"], types["bias"] = quantized(kl, "bias_quantizer", bias)
    one = (1, 1)
    out = b.add("Conv1D" if ndim == 1 else "Conv2D", kl.name, [mid],
                dict(padding="valid", kernel=one, strides=one, types=types, result_exact=True), weights)
    separable_config_keys(b, kl.name)
    return _finish(kl, b, out)


@handler("QActivation")
def qactivation(kl, inputs, b):
    act = getattr(kl.obj, "quantizer", None) if kl.obj is not None else None
    if not _is_quantizer(act):
        act = kl.config.get("activation")
    if _is_quantizer(act):
        qz = parse_quantizer(act, where=f"QActivation layer {kl.name!r}")
        return apply_plan(b, qz, inputs[0], kl.name)
    return add_activation(b, kl, _activation_name(act), inputs, kl.name)


def _bn_affine(kl):
    """(inv, off) per channel: QKeras' float32 BN is y = x * inv + off; read back from the layer."""
    import tensorflow as tf

    obj = kl.obj
    shape = tuple(obj.input_shape[1:])
    c = shape[-1]
    zeros = np.zeros((1,) + shape, dtype=np.float32)
    off = np.asarray(obj(tf.constant(zeros), training=False))[0].reshape(-1, c)[0].astype(np.float64)
    # estimate |inv| from the raw parameters to choose a probe 2^k that makes off negligible
    cfg = kl.config
    w = list(kl.weights)
    gamma = w.pop(0) if cfg.get("scale", True) else np.ones(c)
    if cfg.get("center", True):
        w.pop(0)
    var = w[1]
    est = np.abs(np.asarray(gamma, np.float64)) / np.sqrt(np.asarray(var, np.float64) + float(cfg.get("epsilon", 1e-3)))
    est = np.where(est > 0, est, 1.0)
    k = np.clip(100 - np.ceil(np.log2(est)), -100, 120).astype(np.int64)
    probe = np.broadcast_to(np.ldexp(1.0, k).astype(np.float32), (1,) + shape)
    y = np.asarray(obj(tf.constant(probe), training=False))[0].reshape(-1, c)[0].astype(np.float64)
    inv = np.ldexp(y, -k)
    inv = np.where(np.abs(y) < 2.0**60, 0.0, inv)  # gamma == 0 (or a zero quantized gamma)
    # check the affine model on a few exact inputs
    rng = np.random.default_rng(0)
    xs = (np.round(rng.uniform(-4, 4, size=(4,) + shape) * 64) / 64).astype(np.float32)
    got = np.asarray(obj(tf.constant(xs), training=False), dtype=np.float64).reshape(-1, c)
    want = xs.reshape(-1, c).astype(np.float64) * inv + off
    if not np.allclose(got, want, rtol=1e-5, atol=1e-6 * (1 + np.abs(off).max())):
        raise ValueError(f"QBatchNormalization layer {kl.name!r}: its output is not x * scale + offset per channel "
                         "in inference mode; cannot convert it")
    return inv, off


@handler("QBatchNormalization")
def qbatchnorm(kl, inputs, b):
    check_last_axis(kl, b, inputs)
    if kl.obj is None:
        raise ValueError(f"QBatchNormalization layer {kl.name!r}: needs the QKeras layer object")
    inv, off = _bn_affine(kl)
    types = {"scale": exact_type(inv, True), "bias": exact_type(off, True)}
    prod = b.graph.producer(inputs[0])
    x_t = prod.attrs.get("types", {}).get("result") if prod is not None else None
    if x_t is not None and not prod.attrs.get("result_exact"):
        # the input type is known now (a quantizer's grid): make the output exact
        x_t = parse_type(x_t)
        from ...layers.dense import exact_sum_type

        p = np.stack([inv * x_t.min_value, inv * x_t.max_value])
        lo, hi = float((p.min(axis=0) + off).min()), float((p.max(axis=0) + off).max())
        t = exact_sum_type(lo, hi, max(x_t.fractional + types["scale"].fractional, types["bias"].fractional))
        types.update(accum=t, result=t)
    return b.add("BatchNormalization", kl.name, inputs, {"types": types}, {"scale": inv, "bias": off})


def _avg_factor(kl, area):
    """QKeras' average: keras mean, then (if average_quantizer) * area * q(1/area); exact for areas 2^k."""
    if area & (area - 1):
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: pooling area {area} is not a power of two; "
                         "QKeras divides by it in float32, which fixed point cannot reproduce exactly")
    qz = _quantizer(kl, "average_quantizer")
    if qz is not None:
        f = quantize_weights(qz, np.array([1.0 / area], dtype=np.float32))[0]
        if f != 1.0 / area:
            raise ValueError(f"{kl.class_name} layer {kl.name!r}: average_quantizer {qz.text} turns 1/{area} into "
                             f"{f}; only quantizers that keep 1/{area} exactly are supported")


@handler("QAveragePooling2D")
def qavgpool(kl, inputs, b):
    attrs = _pool_attrs(kl, 2)
    if attrs["padding"] != "valid":
        raise ValueError(f"QAveragePooling2D layer {kl.name!r}: padding='same' averages over partial windows "
                         "(non-power-of-two counts); only 'valid' is exact")
    _avg_factor(kl, int(np.prod(attrs["pool"])))
    out = b.add("Pooling2D", kl.name, inputs, dict(op="average", result_exact=True, **attrs))
    return _finish(kl, b, out)


@handler("QGlobalAveragePooling2D")
def qglobalavg(kl, inputs, b):
    shape = b.shape(inputs[0])
    _avg_factor(kl, int(shape[0] * shape[1]))
    keep = bool(kl.config.get("keepdims", False))
    out = b.add("GlobalPooling2D", kl.name, inputs, dict(op="average", keepdims=keep, result_exact=True))
    return _finish(kl, b, out)




@handler("QConv2DBatchnorm", "QDepthwiseConv2DBatchnorm")
def qconv_batchnorm(kl, inputs, b):
    raise ValueError(
        f"{kl.class_name} layer {kl.name!r} is not supported: it folds the batch normalization into the kernel "
        "in float32 (kernel * gamma / sqrt(variance + epsilon), moving statistics from training) and quantizes "
        "the folded kernel, so its weights are not the stored ones and the folding's float32 roundings decide "
        "the quantized values; hlsgen does not reproduce that bit for bit.  Build the model with QConv2D followed "
        "by QBatchNormalization (hlsgen folds those exactly), or export the folded, quantized weights into a "
        "QConv2D")
