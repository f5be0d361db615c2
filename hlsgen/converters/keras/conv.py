"""Keras handlers for CNN layers: convolutions, pooling, padding/cropping/upsampling, merges.

Options hlsgen does not implement raise a ValueError naming the layer and the option
(before anything is written).
"""
from __future__ import annotations

import numpy as np

from . import handler
from .core import _activation_name, add_activation


def _tuple(v, n):
    if isinstance(v, (list, tuple)):
        t = tuple(int(x) for x in v)
        return t if len(t) == n else t * n if len(t) == 1 else t
    return (int(v),) * n


def _check_common(kl, ndim):
    c = kl.config
    fmt = c.get("data_format") or "channels_last"
    if fmt != "channels_last":
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: data_format={fmt!r} is not supported; "
                         "only 'channels_last'")
    dil = _tuple(c.get("dilation_rate", 1), ndim)
    if any(d != 1 for d in dil):
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: dilation_rate={c.get('dilation_rate')} is not "
                         "supported; only 1")
    pad = str(c.get("padding", "valid")).lower()
    if pad not in ("valid", "same"):
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: padding={pad!r} is not supported; "
                         "valid: 'valid', 'same'")
    groups = int(c.get("groups", 1) or 1)
    if groups != 1:
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: groups={groups} is not supported; only 1")
    return pad


def _weight(kl, name, index):
    w = kl.weight(name)
    if w is None and len(kl.weights) > index:
        w = kl.weights[index]
    return w


def _finish_activation(kl, b, out):
    act = _activation_name(kl.config.get("activation"))
    if act != "linear":
        out = add_activation(b, kl, act, [out], f"{kl.name}_{act}")
    return out


def _geom_attrs(kl, ndim, key="kernel_size"):
    c = kl.config
    k = _tuple(c[key], ndim)
    s = _tuple(c.get("strides", 1), ndim)
    if ndim == 1:
        return dict(kernel=(1, k[0]), strides=(1, s[0]))
    return dict(kernel=k, strides=s)


@handler("Conv1D", "Conv2D")
def conv(kl, inputs, b):
    ndim = 1 if kl.class_name == "Conv1D" else 2
    pad = _check_common(kl, ndim)
    kernel = _weight(kl, "kernel", 0)
    use_bias = kl.config.get("use_bias", True)
    bias = _weight(kl, "bias", 1) if use_bias else None
    weights = {"weight": kernel}
    if bias is not None:
        weights["bias"] = bias
    attrs = dict(padding=pad, **_geom_attrs(kl, ndim))
    out = b.add(kl.class_name, kl.name, inputs, attrs, weights)
    return _finish_activation(kl, b, out)


def _depthwise_weights(kernel):
    """Keras (KH, KW, C, DM) / (KW, C, DM) -> (KH, KW, C*DM) / (KW, C*DM)."""
    k = np.asarray(kernel)
    return k.reshape(k.shape[:-2] + (k.shape[-2] * k.shape[-1],))


@handler("DepthwiseConv1D", "DepthwiseConv2D")
def depthwise(kl, inputs, b):
    ndim = 1 if kl.class_name.endswith("1D") else 2
    pad = _check_common(kl, ndim)
    kernel = _weight(kl, "depthwise_kernel", 0)
    if kernel is None:
        kernel = _weight(kl, "kernel", 0)
    dm = int(kl.config.get("depth_multiplier", 1))
    weights = {"weight": _depthwise_weights(kernel)}
    if kl.config.get("use_bias", True):
        weights["bias"] = _weight(kl, "bias", 1)
    attrs = dict(padding=pad, depth_multiplier=dm, **_geom_attrs(kl, ndim))
    out = b.add(kl.class_name, kl.name, inputs, attrs, weights)
    return _finish_activation(kl, b, out)


@handler("SeparableConv1D", "SeparableConv2D")
def separable(kl, inputs, b):
    ndim = 1 if kl.class_name.endswith("1D") else 2
    pad = _check_common(kl, ndim)
    dk = _weight(kl, "depthwise_kernel", 0)
    pk = _weight(kl, "pointwise_kernel", 1)
    dm = int(kl.config.get("depth_multiplier", 1))
    dkind = "DepthwiseConv1D" if ndim == 1 else "DepthwiseConv2D"
    attrs = dict(padding=pad, depth_multiplier=dm, **_geom_attrs(kl, ndim))
    mid = b.add(dkind, f"{kl.name}_depthwise", inputs, attrs, {"weight": _depthwise_weights(dk)})
    pk = np.asarray(pk)  # (1, C*DM, F) or (1, 1, C*DM, F)
    pkind = "Conv1D" if ndim == 1 else "Conv2D"
    weights = {"weight": pk}
    if kl.config.get("use_bias", True):
        weights["bias"] = _weight(kl, "bias", 2)
    one = (1, 1)
    out = b.add(pkind, kl.name, [mid], dict(padding="valid", kernel=one, strides=one), weights)
    return _finish_activation(kl, b, out)


# ---------------------------------------------------------------------- pooling
def _pool_attrs(kl, ndim):
    c = kl.config
    fmt = c.get("data_format") or "channels_last"
    if fmt != "channels_last":
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: data_format={fmt!r} is not supported; "
                         "only 'channels_last'")
    pad = str(c.get("padding", "valid")).lower()
    if pad not in ("valid", "same"):
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: padding={pad!r} is not supported")
    pool = _tuple(c.get("pool_size", 2), ndim)
    strides = c.get("strides")
    strides = pool if strides is None else _tuple(strides, ndim)
    if ndim == 1:
        pool, strides = (1,) + pool, (1,) + strides
    return dict(pool=pool, strides=strides, padding=pad)


@handler("MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D", "MaxPool1D", "MaxPool2D",
         "AvgPool1D", "AvgPool2D")
def pooling(kl, inputs, b):
    ndim = 1 if kl.class_name.endswith("1D") else 2
    op = "max" if kl.class_name.startswith("Max") else "average"
    return b.add(f"Pooling{ndim}D", kl.name, inputs, dict(op=op, **_pool_attrs(kl, ndim)))


@handler("GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
         "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalAvgPool1D", "GlobalAvgPool2D")
def global_pooling(kl, inputs, b):
    ndim = 1 if kl.class_name.endswith("1D") else 2
    fmt = kl.config.get("data_format") or "channels_last"
    if fmt != "channels_last":
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: data_format={fmt!r} is not supported; "
                         "only 'channels_last'")
    op = "max" if "Max" in kl.class_name else "average"
    keep = bool(kl.config.get("keepdims", False))
    return b.add(f"GlobalPooling{ndim}D", kl.name, inputs, dict(op=op, keepdims=keep))


# ---------------------------------------------------------------------- padding, cropping, upsampling
def _pairs(v, ndim):
    """Keras padding/cropping spec -> (top, bottom, left, right)."""
    if ndim == 1:
        if isinstance(v, (list, tuple)):
            return (0, 0, int(v[0]), int(v[1]))
        return (0, 0, int(v), int(v))
    if isinstance(v, (list, tuple)):
        if len(v) == 2 and all(isinstance(x, (list, tuple)) for x in v):
            return (int(v[0][0]), int(v[0][1]), int(v[1][0]), int(v[1][1]))
        if len(v) == 2:
            return (int(v[0]), int(v[0]), int(v[1]), int(v[1]))
    return (int(v),) * 4


def _channels_last(kl):
    fmt = kl.config.get("data_format") or "channels_last"
    if fmt != "channels_last":
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: data_format={fmt!r} is not supported; "
                         "only 'channels_last'")


@handler("ZeroPadding1D", "ZeroPadding2D")
def zero_padding(kl, inputs, b):
    _channels_last(kl)
    ndim = 1 if kl.class_name.endswith("1D") else 2
    return b.add(kl.class_name, kl.name, inputs, dict(pads=_pairs(kl.config.get("padding", 1), ndim)))


@handler("Cropping1D", "Cropping2D")
def cropping(kl, inputs, b):
    _channels_last(kl)
    ndim = 1 if kl.class_name.endswith("1D") else 2
    return b.add(kl.class_name, kl.name, inputs, dict(crops=_pairs(kl.config.get("cropping", 1), ndim)))


@handler("UpSampling1D", "UpSampling2D")
def upsampling(kl, inputs, b):
    _channels_last(kl)
    ndim = 1 if kl.class_name.endswith("1D") else 2
    c = kl.config
    interp = c.get("interpolation", "nearest")
    if interp != "nearest":
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: interpolation={interp!r} is not supported; "
                         "only 'nearest'")
    size = (1, int(_tuple(c.get("size", 2), 1)[0])) if ndim == 1 else _tuple(c.get("size", 2), 2)
    return b.add(kl.class_name, kl.name, inputs, dict(size=size))


# ---------------------------------------------------------------------- merges
@handler("Add", "Multiply", "Maximum", "Minimum")
def merge_assoc(kl, inputs, b):
    """n-ary associative merges become a chain of two-input layers (exact types)."""
    if len(inputs) < 2:
        raise ValueError(f"{kl.class_name} layer {kl.name!r} needs at least 2 inputs, got {len(inputs)}")
    out = inputs[0]
    for i, t in enumerate(inputs[1:], start=1):
        name = kl.name if i == len(inputs) - 1 else f"{kl.name}_{i}"
        out = b.add(kl.class_name, name, [out, t])
    return out


@handler("Subtract", "Average")
def merge_pair(kl, inputs, b):
    if len(inputs) != 2:
        raise ValueError(f"{kl.class_name} layer {kl.name!r} with {len(inputs)} inputs is not supported; "
                         "only 2 inputs")
    return b.add(kl.class_name, kl.name, inputs)


@handler("Concatenate")
def concatenate(kl, inputs, b):
    if len(inputs) < 2:
        raise ValueError(f"Concatenate layer {kl.name!r} needs at least 2 inputs")
    rank = len(b.shape(inputs[0]))
    axis = int(kl.config.get("axis", -1))
    ax = axis - 1 if axis > 0 else axis + rank
    if not 0 <= ax < rank:
        raise ValueError(f"Concatenate layer {kl.name!r}: axis={axis} is out of range for rank-{rank} inputs")
    out = inputs[0]
    for i, t in enumerate(inputs[1:], start=1):
        name = kl.name if i == len(inputs) - 1 else f"{kl.name}_{i}"
        out = b.add("Concatenate", name, [out, t], dict(axis=ax))
    return out
