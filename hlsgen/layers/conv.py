"""Convolutions, channels last: Conv1D, Conv2D, DepthwiseConv1D, DepthwiseConv2D.

(Keras' SeparableConv is converted to a DepthwiseConv followed by a 1x1 Conv.)

Attributes: ``kernel`` (KH, KW) — a 1-D layer has KH = 1 —, ``strides`` (SH, SW),
``padding`` ('valid' or 'same', Keras semantics: 'same' gives ceil(n / s) outputs and
pads ``total = max((out-1)*s + k - n, 0)`` with ``total // 2`` before and the rest
after, i.e. the extra zero at the bottom/right for even kernels; 1-D layers also take
'causal': KW - 1 zeros before the sequence, none after, ceil(n / s) outputs), ``activation``
('linear' or 'relu', fused by the fuse_activation pass), ``depth_multiplier``
(depthwise only).  Dilation is always 1.

Weights: ``weight`` is Keras' kernel, (KH, KW, C, F) for Conv2D and (KW, C, F) for
Conv1D; depthwise kernels (KH, KW, C, DM) are stored reshaped as (KH, KW, C*DM)
((KW, C*DM) in 1-D) so that the last axis is the output channel c*DM + m in every kind
(batch-norm folding multiplies the last axis).  ``bias`` has one value per output
channel (zeros when the Keras layer has none).

Precision keys and 'auto' rules (as Dense): ``weight`` — ``ctx.data_width`` bits with
integer bits fitted to the values (RND_CONV, SAT); ``bias`` — integer bits fitted, as
many fractional bits as a product; ``accum`` — exact: a wrapping type with the product's
fractional bits and integer bits for the extreme sums over the input type's range
(reprogrammable weights: bounded by the weight type instead); ``result`` — the context
default.

Arithmetic (C++ ``nnet_conv.h``, identical in both io types and strategies): per output
pixel and channel acc = bias, then acc += x * w for taps kh, kw and input channels c in
ascending order (padding contributes nothing), the fused activation, one cast to the
result type.  ``golden`` does the same with an im2col matrix.  Strategy Latency or
Resource (``conv_2d_latency_cl`` / ``conv_2d_resource_cl``) changes only the pragmas.

io_stream binding (every CNN layer kind): ``cpp_stream_call_tpl`` is rendered with the
io_parallel context plus ``in_stream_t`` (one ``nnet::array<T, C>`` type per input, C =
the tensor's last dimension), ``out_stream_t`` and stream variables in ``ins`` / ``out``.
``stream_lag(layer, in_shape)`` gives the bypass-FIFO depth a window kernel needs
(see nnet_conv.h).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .base import Layer, register
from .dense import accumulate, linear_types, result_type
from .exactness import running_sum
from .plan import mac_plan

GOLDEN_CHUNK = 256  # samples per im2col block in the golden models (bounds memory)


def conv_geometry(n: int, k: int, s: int, padding: str):
    """(out, pad_before, pad_after) of one spatial axis, Keras semantics."""
    if padding == "causal":  # Keras Conv1D: k - 1 zeros before, then 'valid'
        return (n - 1) // s + 1, k - 1, 0
    if padding == "valid":
        if n < k:
            return 0, 0, 0
        return (n - k) // s + 1, 0, 0
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return out, total // 2, total - total // 2


def as_2d(shape) -> tuple:
    """(H, W, C) of a channels-last tensor shape (1-D tensors have H = 1)."""
    shape = tuple(shape)
    if len(shape) == 2:
        return (1,) + shape
    if len(shape) == 3:
        return shape
    raise ValueError(f"expected a (W, C) or (H, W, C) tensor, got shape {shape}")


def extract_patches(x, kernel, strides, pads, fill=0.0):
    """(N, OH, OW, KH*KW, C) windows of x (N, H, W, C) after padding with ``fill``."""
    kh, kw = kernel
    sh, sw = strides
    pt, pb, pl, pr = pads
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=fill)
    n, hp, wp, c = xp.shape
    oh = (hp - kh) // sh + 1
    ow = (wp - kw) // sw + 1
    out = np.empty((n, oh, ow, kh * kw, c), dtype=xp.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, :, i * kw + j, :] = xp[:, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw, :]
    return out


def stream_lag(layer, in_shape) -> int:
    """Input pixels a streaming window kernel (conv or pooling) reads before it writes its
    first output: the depth a bypass FIFO around it needs (see nnet_conv.h)."""
    g = layer.geometry(in_shape)
    w = g["in_width"]
    kh = g.get("filt_height", g.get("pool_height"))
    kw = g.get("filt_width", g.get("pool_width"))
    if layer.kind.startswith("GlobalPooling"):
        return g["in_height"] * w
    return max(kh - 1 - g["pad_top"], 0) * w + max(kw - g["pad_left"], 1)


class _Conv(Layer):
    folds_affine = fuses_relu = rounds_once = True
    precision_keys = ("result", "weight", "bias", "accum")
    weight_vars = {"weight": "w", "bias": "b"}
    cpp_headers = ("nnet_array.h", "nnet_conv.h")
    ndim = 2
    depthwise = False
    cpp_fn = "conv_2d_cl"
    cpp_stream_fn = "conv_2d_stream"
    cpp_config_tpl = """struct {{ config }} : nnet::conv_config {
    static const unsigned in_height = {{ g.in_height }}, in_width = {{ g.in_width }}, n_chan = {{ g.n_chan }};
    static const unsigned filt_height = {{ g.filt_height }}, filt_width = {{ g.filt_width }};
    static const unsigned n_filt = {{ g.n_filt }}, depth_multiplier = {{ g.depth_multiplier }};
    static const unsigned stride_height = {{ g.stride_height }}, stride_width = {{ g.stride_width }};
    static const unsigned pad_top = {{ g.pad_top }}, pad_bottom = {{ g.pad_bottom }};
    static const unsigned pad_left = {{ g.pad_left }}, pad_right = {{ g.pad_right }};
    static const unsigned out_height = {{ g.out_height }}, out_width = {{ g.out_width }};
    static const unsigned reuse_factor = {{ reuse_factor }};
    static const unsigned strategy = nnet::{{ strategy }};
    static const unsigned activation = nnet::act_{{ activation }};
{{ plan.cpp_constants() }}
    typedef {{ t.accum }} accum_t;
    typedef {{ t.weight }} weight_t;
    typedef {{ t.bias }} bias_t;
};"""
    cpp_call_tpl = (
        "nnet::{{ fn }}<{{ in_t[0] }}, {{ t.result }}, {{ config }}>"
        "({{ ins[0] }}, {{ out }}, {{ w.weight }}, {{ w.bias }});"
    )
    #: io_stream call (stream element types instead of scalar types)
    cpp_stream_call_tpl = (
        "nnet::{{ stream_fn }}<{{ in_stream_t[0] }}, {{ out_stream_t }}, {{ config }}>"
        "({{ ins[0] }}, {{ out }}, {{ w.weight }}, {{ w.bias }});"
    )

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        a = self.attrs
        a.setdefault("activation", "linear")
        a.setdefault("padding", "valid")
        a.setdefault("depth_multiplier", 1)
        if self.ndim == 1:
            k = a.get("kernel", (1, self.weights["weight"].shape[0]))
            s = a.get("strides", (1, 1))
            a["kernel"] = (1, int(k[-1])) if isinstance(k, (tuple, list)) else (1, int(k))
            a["strides"] = (1, int(s[-1])) if isinstance(s, (tuple, list)) else (1, int(s))
        else:
            w = self.weights["weight"]
            a.setdefault("kernel", (w.shape[0], w.shape[1]))
            a.setdefault("strides", (1, 1))
            a["kernel"] = tuple(int(v) for v in a["kernel"])
            a["strides"] = tuple(int(v) for v in a["strides"])
        valid = ("valid", "same", "causal") if self.ndim == 1 else ("valid", "same")
        if a["padding"] not in valid:
            raise ValueError(f"{self.kind} layer {self.source_name!r}: padding {a['padding']!r} is not supported; "
                             f"valid: {', '.join(map(repr, valid))}")
        if "bias" not in self.weights:
            self.weights["bias"] = np.zeros(self.weights["weight"].shape[-1])

    # ------------------------------------------------------------------ geometry
    def geometry(self, in_shape) -> dict:
        h, w, c = as_2d(in_shape)
        kh, kw = self.attrs["kernel"]
        sh, sw = self.attrs["strides"]
        oh, pt, pb = conv_geometry(h, kh, sh, self.attrs["padding"])
        ow, pl, pr = conv_geometry(w, kw, sw, self.attrs["padding"])
        dm = int(self.attrs["depth_multiplier"]) if self.depthwise else 1
        n_filt = c * dm if self.depthwise else int(self.weights["weight"].shape[-1])
        return dict(in_height=h, in_width=w, n_chan=c, filt_height=kh, filt_width=kw, n_filt=n_filt,
                    depth_multiplier=dm, stride_height=sh, stride_width=sw, pad_top=pt, pad_bottom=pb,
                    pad_left=pl, pad_right=pr, out_height=oh, out_width=ow)

    def _check_weights(self, c):
        wshape = self.weights["weight"].shape
        kh, kw = self.attrs["kernel"]
        if self.depthwise:
            dm = int(self.attrs["depth_multiplier"])
            want = (kw, c * dm) if self.ndim == 1 else (kh, kw, c * dm)
        else:
            want = (kw, c, wshape[-1]) if self.ndim == 1 else (kh, kw, c, wshape[-1])
        if tuple(wshape) != want:
            raise ValueError(f"{self.kind} layer {self.source_name!r}: kernel shape {tuple(wshape)} does not match "
                             f"the input's {c} channels (expected {want})")

    def output_shape(self, in_shapes):
        shape = tuple(in_shapes[0])
        if len(shape) != self.ndim + 1:
            raise ValueError(f"{self.kind} layer {self.source_name!r} expects a {self.ndim + 1}-D input "
                             f"(spatial..., channels), got shape {shape}")
        g = self.geometry(shape)
        self._check_weights(g["n_chan"])
        if g["out_height"] < 1 or g["out_width"] < 1:
            raise ValueError(f"{self.kind} layer {self.source_name!r}: kernel {self.attrs['kernel']} is larger "
                             f"than its input {shape} with padding 'valid'")
        if self.ndim == 1:
            return (g["out_width"], g["n_filt"])
        return (g["out_height"], g["out_width"], g["n_filt"])

    # ------------------------------------------------------------------ types
    def _matrix(self, w):
        """The weights as the (taps, outputs) matrix whose columns an output sums over."""
        if self.depthwise:
            return w.reshape(-1, w.shape[-1])  # (KH*KW, C*DM): one tap per row per output
        return w.reshape(-1, w.shape[-1])  # (KH*KW*C, F)

    def infer_types(self, in_types, ctx):
        w = self._matrix(self.weights["weight"])
        wt, bt, at = linear_types(self, in_types[0], w, self.weights["bias"], ctx)
        self.types.update(weight=wt, bias=bt, accum=at, result=result_type(self, at, ctx))

    # ------------------------------------------------------------------ golden
    def golden(self, xs):
        x = xs[0]
        in_shape = x.shape[1:]
        g = self.geometry(in_shape)
        x4 = x.reshape((x.shape[0], g["in_height"], g["in_width"], g["n_chan"]))
        wq = self.types["weight"].quantize(self.weights["weight"])
        bq = self.types["bias"].quantize(self.weights["bias"])
        prod_frac = self.types["weight"].fractional + self.in_types[0].fractional
        acc_t = self.types["accum"]
        pads = (g["pad_top"], g["pad_bottom"], g["pad_left"], g["pad_right"])
        outs = []
        for s in range(0, x4.shape[0], GOLDEN_CHUNK):
            p = extract_patches(x4[s : s + GOLDEN_CHUNK], self.attrs["kernel"], self.attrs["strides"], pads)
            n, oh, ow, nt, c = p.shape
            if self.depthwise:
                dm = g["depth_multiplier"]
                pr = np.repeat(p, dm, axis=4).reshape(n * oh * ow, nt, c * dm)  # input channel of output o
                wm = wq.reshape(nt, c * dm)
                b0 = acc_t.quantize(bq)
                bound = np.abs(pr).max(initial=0) * np.abs(wm).sum(axis=0).max(initial=0) + np.abs(b0).max(initial=0)
                acc = running_sum(acc_t, np.broadcast_to(b0, (pr.shape[0], c * dm)),
                                  lambda: (pr[:, t, :] * wm[t] for t in range(nt)), term_frac=prod_frac,
                                  bound=bound, total=lambda: np.einsum("ptc,tc->pc", pr, wm))
            else:
                acc = accumulate(p.reshape(n * oh * ow, nt * c), wq.reshape(nt * c, -1), bq, acc_t, prod_frac)
            outs.append(acc.reshape(n, oh, ow, -1))
        acc = np.concatenate(outs, axis=0) if outs else np.zeros((0,) + self.output_shape([in_shape]))
        if self.attrs["activation"] == "relu":
            acc = np.maximum(acc, 0.0)
        return self.types["result"].quantize(acc.reshape((x.shape[0],) + self.output_shape([in_shape])))

    def plan(self, graph, io_type="io_parallel"):
        """One output pixel per iteration (io_stream: one padded input pixel), its
        KH*KW*C*F (depthwise KH*KW*C*DM) products unrolled and shared reuse_factor times."""
        g = self.geometry(graph.input_shapes(self)[0])
        per_pixel = g["filt_height"] * g["filt_width"] * g["n_chan"] * (
            g["depth_multiplier"] if self.depthwise else g["n_filt"])
        if io_type == "io_stream":
            iterations = (g["in_height"] + g["pad_top"] + g["pad_bottom"]) * (g["in_width"] + g["pad_left"] + g["pad_right"])
        else:
            iterations = g["out_height"] * g["out_width"]
        p = mac_plan(per_pixel, iterations, self.cfg.reuse_factor, self.cfg.strategy, int(self.weights["weight"].size))
        # io_stream computes only the pixels that complete a window
        return dataclasses.replace(p, products=per_pixel * g["out_height"] * g["out_width"])

    # ------------------------------------------------------------------ C++
    def cpp_context(self, graph):
        return dict(
            g=self.geometry(graph.input_shapes(self)[0]),
            reuse_factor=self.cfg.reuse_factor,
            strategy=self.cfg.strategy.lower(),
            activation=self.attrs["activation"],
            fn=self.cpp_fn,
            stream_fn=self.cpp_stream_fn,
        )


@register
class Conv2D(_Conv):
    kind = "Conv2D"


@register
class Conv1D(_Conv):
    kind = "Conv1D"
    ndim = 1


@register
class DepthwiseConv2D(_Conv):
    kind = "DepthwiseConv2D"
    depthwise = True
    cpp_fn = "depthwise_conv_2d_cl"
    cpp_stream_fn = "depthwise_conv_2d_stream"


@register
class DepthwiseConv1D(_Conv):
    kind = "DepthwiseConv1D"
    ndim = 1
    depthwise = True
    cpp_fn = "depthwise_conv_2d_cl"
    cpp_stream_fn = "depthwise_conv_2d_stream"
