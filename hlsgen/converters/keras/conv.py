"""Keras handlers for CNN layers: convolutions, pooling, padding/cropping/upsampling
(merges: ``merge.py``).

Options hlsgen does not implement raise a ValueError naming the layer and the option
(before anything is written).
"""
from __future__ import annotations

import numpy as np

from . import handler
from .core import add_layer_activation


def _tuple(v, n):
    if isinstance(v, (list, tuple)):
        t = tuple(int(x) for x in v)
        return t if len(t) == n else t * n if len(t) == 1 else t
    return (int(v),) * n


def _ndim(kl) -> int:
    return 1 if kl.class_name.endswith("1D") else 2


def check_channels_last(kl):
    fmt = kl.config.get("data_format") or "channels_last"
    if fmt != "channels_last":
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: data_format={fmt!r} is not supported; "
                         "only 'channels_last'")


def _padding(kl, detail=True) -> str:
    pad = str(kl.config.get("padding", "valid")).lower()
    valid = ("valid", "same", "causal") if detail and _ndim(kl) == 1 else ("valid", "same")
    if pad not in valid:
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: padding={pad!r} is not supported"
                         + (f"; valid: {', '.join(map(repr, valid))}" if detail else ""))
    return pad


def _check_common(kl, ndim):
    """The options every convolution checks; returns its padding."""
    c = kl.config
    check_channels_last(kl)
    dil = _tuple(c.get("dilation_rate", 1), ndim)
    if any(d != 1 for d in dil):
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: dilation_rate={c.get('dilation_rate')} is not "
                         "supported; only 1")
    pad = _padding(kl)
    groups = int(c.get("groups", 1) or 1)
    if groups != 1:
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: groups={groups} is not supported; only 1")
    return pad


def _geom_attrs(kl, ndim, key="kernel_size"):
    c = kl.config
    k = _tuple(c[key], ndim)
    s = _tuple(c.get("strides", 1), ndim)
    if ndim == 1:
        return dict(kernel=(1, k[0]), strides=(1, s[0]))
    return dict(kernel=k, strides=s)


def _depthwise_weights(kernel):
    """Keras (KH, KW, C, DM) / (KW, C, DM) -> (KH, KW, C*DM) / (KW, C*DM)."""
    k = np.asarray(kernel)
    return k.reshape(k.shape[:-2] + (k.shape[-2] * k.shape[-1],))


def _add_conv(b, kind, source, inputs, weight, bias, **attrs):
    """An IR convolution layer of ``kind`` (attributes ``attrs``) with its weight and optional bias."""
    weights = {"weight": weight}
    if bias is not None:
        weights["bias"] = bias
    return b.add(kind, source, inputs, attrs, weights)


def _bias(kl, index):
    return kl.weight("bias", index) if kl.config.get("use_bias", True) else None


@handler("Conv1D", "Conv2D")
def conv(kl, inputs, b):
    ndim = _ndim(kl)
    pad = _check_common(kl, ndim)
    out = _add_conv(b, kl.class_name, kl.name, inputs, kl.weight("kernel", 0), _bias(kl, 1), padding=pad,
                    **_geom_attrs(kl, ndim))
    return add_layer_activation(kl, b, out)


@handler("DepthwiseConv1D", "DepthwiseConv2D")
def depthwise(kl, inputs, b):
    ndim = _ndim(kl)
    pad = _check_common(kl, ndim)
    kernel = kl.weight("depthwise_kernel", 0)
    if kernel is None:
        kernel = kl.weight("kernel", 0)
    dm = int(kl.config.get("depth_multiplier", 1))
    out = _add_conv(b, kl.class_name, kl.name, inputs, _depthwise_weights(kernel), _bias(kl, 1), padding=pad,
                    depth_multiplier=dm, **_geom_attrs(kl, ndim))
    return add_layer_activation(kl, b, out)


@handler("SeparableConv1D", "SeparableConv2D")
def separable(kl, inputs, b):
    """A depthwise convolution (no bias), then a 1x1 convolution with the layer's bias."""
    ndim = _ndim(kl)
    pad = _check_common(kl, ndim)
    dm = int(kl.config.get("depth_multiplier", 1))
    mid = _add_conv(b, f"DepthwiseConv{ndim}D", f"{kl.name}_depthwise", inputs,
                    _depthwise_weights(kl.weight("depthwise_kernel", 0)), None, padding=pad, depth_multiplier=dm,
                    **_geom_attrs(kl, ndim))
    pk = np.asarray(kl.weight("pointwise_kernel", 1))  # (1, C*DM, F) or (1, 1, C*DM, F)
    one = (1, 1)
    out = _add_conv(b, f"Conv{ndim}D", kl.name, [mid], pk, _bias(kl, 2), padding="valid", kernel=one, strides=one)
    separable_config_keys(b, kl.name)
    return add_layer_activation(kl, b, out)


def separable_config_keys(b, name):
    """hls4ml's precision keys of a separable convolution ``name``, built as the depthwise
    layer ``<name>_depthwise`` and the pointwise layer ``name``: ``depthwise``,
    ``depthwise_accum``, ``depthwise_result`` (also ``dw_output``) set the depthwise layer's
    weight, accum and result; ``pointwise``, ``pointwise_accum``, ``pointwise_result`` the
    pointwise layer's (see config.move_part_keys)."""
    dw = f"{name}_depthwise"
    moves = {"depthwise": (dw, "weight"), "depthwise_accum": (dw, "accum"), "depthwise_result": (dw, "result"),
             "dw_output": (dw, "result"), "pointwise": (name, "weight"), "pointwise_accum": (name, "accum"),
             "pointwise_result": (name, "result")}
    b.graph.config_moves = dict(getattr(b.graph, "config_moves", {}), **{name: moves})


@handler("Conv1DTranspose", "Conv2DTranspose")
def conv_transpose(kl, inputs, b):
    """A transposed convolution as what it computes: the input with stride - 1 zeros between
    pixels and k - 1 (less Keras' crop for 'same') zeros around it (one ZeroPadding layer),
    then a stride-1 'valid' convolution with the kernel flipped and its channel axes
    swapped.  Exact; the convolution multiplies the inserted zeros too (stride^2 times
    the products of a direct kernel)."""
    ndim = 1 if kl.class_name.startswith("Conv1D") else 2
    c = kl.config
    check_channels_last(kl)
    if any(d != 1 for d in _tuple(c.get("dilation_rate", 1), ndim)):
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: dilation_rate={c.get('dilation_rate')} is not "
                         "supported; only 1")
    if c.get("output_padding") is not None:
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: output_padding={c['output_padding']} is not supported")
    pad = str(c.get("padding", "valid")).lower()
    if pad not in ("valid", "same"):
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: padding={pad!r} is not supported; valid: 'valid', 'same'")
    ks, ss = _tuple(c["kernel_size"], ndim), _tuple(c.get("strides", 1), ndim)
    pads = []
    for k, s in zip(ks, ss):
        crop = max(k - s, 0) if pad == "same" else 0  # Keras: 'same' gives n * s outputs
        pads += [k - 1 - crop // 2, k - 1 + max(s - k, 0) - (crop - crop // 2)]
    if ndim == 1:
        pads, stride = [0, 0] + pads, (1, ss[0])
    else:
        stride = ss
    kernel = np.asarray(kl.weight("kernel", 0), dtype=np.float64)  # (kh, kw, filters, in) / (kw, filters, in)
    flipped = np.flip(kernel, axis=tuple(range(ndim))).swapaxes(-1, -2)
    z = b.add(f"ZeroPadding{ndim}D", f"{kl.name}_zeros", inputs, dict(pads=tuple(pads), stride=stride))
    one = (1, 1)
    out = _add_conv(b, f"Conv{ndim}D", kl.name, [z], flipped, _bias(kl, 1), padding="valid",
                    kernel=(1, ks[0]) if ndim == 1 else ks, strides=one)
    return add_layer_activation(kl, b, out)


# ---------------------------------------------------------------------- pooling
def _pool_attrs(kl, ndim):
    c = kl.config
    check_channels_last(kl)
    pad = _padding(kl, detail=False)
    pool = _tuple(c.get("pool_size", 2), ndim)
    strides = c.get("strides")
    strides = pool if strides is None else _tuple(strides, ndim)
    if ndim == 1:
        pool, strides = (1,) + pool, (1,) + strides
    return dict(pool=pool, strides=strides, padding=pad)


@handler("MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D", "MaxPool1D", "MaxPool2D",
         "AvgPool1D", "AvgPool2D")
def pooling(kl, inputs, b):
    ndim = _ndim(kl)
    op = "max" if kl.class_name.startswith("Max") else "average"
    return b.add(f"Pooling{ndim}D", kl.name, inputs, dict(op=op, **_pool_attrs(kl, ndim)))


@handler("GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
         "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalAvgPool1D", "GlobalAvgPool2D")
def global_pooling(kl, inputs, b):
    check_channels_last(kl)
    op = "max" if "Max" in kl.class_name else "average"
    keep = bool(kl.config.get("keepdims", False))
    return b.add(f"GlobalPooling{_ndim(kl)}D", kl.name, inputs, dict(op=op, keepdims=keep))


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


@handler("ZeroPadding1D", "ZeroPadding2D")
def zero_padding(kl, inputs, b):
    check_channels_last(kl)
    ndim = _ndim(kl)
    return b.add(kl.class_name, kl.name, inputs, dict(pads=_pairs(kl.config.get("padding", 1), ndim)))


@handler("Cropping1D", "Cropping2D")
def cropping(kl, inputs, b):
    check_channels_last(kl)
    ndim = _ndim(kl)
    return b.add(kl.class_name, kl.name, inputs, dict(crops=_pairs(kl.config.get("cropping", 1), ndim)))


@handler("UpSampling1D", "UpSampling2D")
def upsampling(kl, inputs, b):
    check_channels_last(kl)
    ndim = _ndim(kl)
    c = kl.config
    interp = c.get("interpolation", "nearest")
    if interp != "nearest":
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: interpolation={interp!r} is not supported; "
                         "only 'nearest'")
    size = (1, int(_tuple(c.get("size", 2), 1)[0])) if ndim == 1 else _tuple(c.get("size", 2), 2)
    return b.add(kl.class_name, kl.name, inputs, dict(size=size))
