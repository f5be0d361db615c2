"""Pooling: Pooling1D / Pooling2D (max or average) and GlobalPooling1D / GlobalPooling2D.

Attributes: ``op`` ('max' or 'average'); window layers: ``pool`` (PH, PW), ``strides``
(SH, SW), ``padding`` ('valid' / 'same', Keras geometry as the convolutions) or ``pads``
(top, bottom, left, right: explicit padding, as PyTorch's and ONNX's ``pads``; out =
(n + before + after - k) // s + 1 per axis, every window overlapping the input;
``padding`` is then 'explicit'); global layers: ``keepdims``.  1-D layers have PH = SH = 1
(and pads (0, 0, left, right)).  Padding positions are ignored, whichever the geometry:
max over the valid values (as padding with -infinity: PyTorch's MaxPool, ONNX's), average
over the valid count (Keras; PyTorch's and ONNX's count_include_pad=False).

Precision keys and 'auto' rules:
* ``result`` — max: the input type (max pooling only selects values, so this is exact);
  average: the context default.
* ``accum`` (average) — exact: the input's fractional bits and integer bits for
  n * min .. n * max (n = window size).
* ``recip`` (average) — the constants 1/n, n = 1 .. window size N, as a table
  ``recip[n]``: ufixed<R, 1, RND, SAT> with R = 25 + bitlength(N - 1), so every 1/n keeps
  at least 24 significant bits (relative error <= 2^-25); 1/n is exact when n is a power
  of two.

Average: res = (result)(acc * recip[n]) — the sum is exact, the product acc * recip is
exact in ap_fixed, one rounding to the result type.  ``golden`` computes the same product
in integers (the raw accumulator times the raw reciprocal) and rounds that rational value
once (``FixedType.quantize_scaled``), so no float64 rounding enters however wide the
accumulator is.
"""
from __future__ import annotations

import numpy as np

from ..fixed import FixedType
from .base import Layer, register
from .conv import GOLDEN_CHUNK, as_2d, conv_geometry, extract_patches
from .dense import exact_sum_type
from .exactness import running_sum


class _Pool(Layer):
    rounds_once = True  # max: a selection; average: exact sum times the reciprocal (exact for 2^k windows)
    precision_keys = ("result", "accum", "recip")
    cpp_headers = ("nnet_array.h", "nnet_pooling.h")
    ndim = 2
    is_global = False
    cpp_config_tpl = """struct {{ config }} : nnet::pool_config {
    static const unsigned in_height = {{ g.in_height }}, in_width = {{ g.in_width }}, n_chan = {{ g.n_chan }};
    static const unsigned pool_height = {{ g.pool_height }}, pool_width = {{ g.pool_width }};
    static const unsigned stride_height = {{ g.stride_height }}, stride_width = {{ g.stride_width }};
    static const unsigned pad_top = {{ g.pad_top }}, pad_bottom = {{ g.pad_bottom }};
    static const unsigned pad_left = {{ g.pad_left }}, pad_right = {{ g.pad_right }};
    static const unsigned out_height = {{ g.out_height }}, out_width = {{ g.out_width }};
    static const unsigned pool_op = nnet::pool_{{ op }};
    static const unsigned reuse_factor = {{ reuse_factor }};
    typedef {{ t.accum }} accum_t;
    typedef {{ t.recip }} recip_t;
};"""
    cpp_call_tpl = (
        "nnet::pooling_2d_cl<{{ in_t[0] }}, {{ t.result }}, {{ config }}>({{ ins[0] }}, {{ out }}, {{ tb.recip }});"
    )
    cpp_stream_call_tpl = (
        "nnet::{{ stream_fn }}<{{ in_stream_t[0] }}, {{ out_stream_t }}, {{ config }}>"
        "({{ ins[0] }}, {{ out }}, {{ tb.recip }});"
    )

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        a = self.attrs
        a.setdefault("op", "max")
        if a["op"] not in ("max", "average"):
            raise ValueError(f"{self.kind} layer {self.source_name!r}: op {a['op']!r}; valid: 'max', 'average'")
        if not self.is_global and a.get("pads") is not None:
            pads = tuple(int(v) for v in a["pads"])
            if len(pads) != 4 or min(pads) < 0 or (self.ndim == 1 and pads[:2] != (0, 0)):
                raise ValueError(f"{self.kind} layer {self.source_name!r}: pads {a['pads']!r}; expected "
                                 "(top, bottom, left, right), non-negative" + (", top = bottom = 0" if self.ndim == 1 else ""))
            if a.get("padding", "explicit") != "explicit":
                raise ValueError(f"{self.kind} layer {self.source_name!r}: give padding={a['padding']!r} or pads, "
                                 "not both")
            a["pads"], a["padding"] = pads, "explicit"
        if not self.is_global:
            a.setdefault("padding", "valid")
            if a["padding"] == "explicit" and a.get("pads") is None:
                raise ValueError(f"{self.kind} layer {self.source_name!r}: padding 'explicit' needs pads")
            a["pool"] = tuple(int(v) for v in a.get("pool", (1, 2) if self.ndim == 1 else (2, 2)))
            a["strides"] = tuple(int(v) for v in a.get("strides") or a["pool"])
        self._recip_t = None

    def geometry(self, in_shape) -> dict:
        h, w, c = as_2d(in_shape)
        if self.is_global:
            ph, pw, sh, sw, pad = h, w, 1, 1, "valid"
        else:
            (ph, pw), (sh, sw), pad = self.attrs["pool"], self.attrs["strides"], self.attrs["padding"]
        if pad == "explicit":
            pt, pb, pl, pr = self.attrs["pads"]
            oh, ow = (h + pt + pb - ph) // sh + 1, (w + pl + pr - pw) // sw + 1
        else:
            oh, pt, pb = conv_geometry(h, ph, sh, pad)
            ow, pl, pr = conv_geometry(w, pw, sw, pad)
        return dict(in_height=h, in_width=w, n_chan=c, pool_height=ph, pool_width=pw, stride_height=sh,
                    stride_width=sw, pad_top=pt, pad_bottom=pb, pad_left=pl, pad_right=pr, out_height=oh,
                    out_width=ow)

    def output_shape(self, in_shapes):
        shape = tuple(in_shapes[0])
        if len(shape) != self.ndim + 1:
            raise ValueError(f"{self.kind} layer {self.source_name!r} expects a {self.ndim + 1}-D input, "
                             f"got shape {shape}")
        g = self.geometry(shape)
        self._in_shape = shape  # type inference needs the window size
        if g["out_height"] < 1 or g["out_width"] < 1:
            raise ValueError(f"{self.kind} layer {self.source_name!r}: pool larger than its input {shape}")
        if self.attrs.get("padding") == "explicit":
            for n, k, s, p0, o in ((g["in_height"], g["pool_height"], g["stride_height"], g["pad_top"], g["out_height"]),
                                   (g["in_width"], g["pool_width"], g["stride_width"], g["pad_left"], g["out_width"])):
                if p0 >= k or (o - 1) * s - p0 >= n:
                    raise ValueError(f"{self.kind} layer {self.source_name!r}: pads {self.attrs['pads']} on input "
                                     f"{shape} leave a window without an input value")
        c = g["n_chan"]
        if self.is_global:
            if self.attrs.get("keepdims"):
                return (1, c) if self.ndim == 1 else (1, 1, c)
            return (c,)
        if self.ndim == 1:
            return (g["out_width"], c)
        return (g["out_height"], g["out_width"], c)

    @property
    def window(self) -> int:
        return int(self._g["pool_height"] * self._g["pool_width"])

    def infer_types(self, in_types, ctx):
        x_t = in_types[0]
        self._g = g = self.geometry(self._in_shape)
        n = g["pool_height"] * g["pool_width"]
        at = self.configured("accum") or exact_sum_type(n * min(x_t.min_value, 0.0), n * max(x_t.max_value, 0.0),
                                                        x_t.fractional)
        rt = self.configured("recip") or FixedType(25 + (n - 1).bit_length(), 1, False, "RND", "SAT")
        self._recip_t = rt
        self.types["accum"] = at
        if self.attrs["op"] == "max":
            self.types["result"] = self.configured("result") or x_t
        elif self.attrs.get("result_exact") and n & (n - 1) == 0:  # QKeras: the exact average, n = 2^k
            k = n.bit_length() - 1
            self.types["result"] = self.configured("result") or FixedType(at.width, at.integer - k, at.signed)
        else:
            self.types["result"] = self.configured("result") or ctx.default

    def tables(self):
        n = self.window
        vals = np.array([0.0] + [1.0 / k for k in range(1, n + 1)])
        return {"recip": (self._recip_t, vals)}

    def golden(self, xs):
        x = xs[0]
        g = self.geometry(x.shape[1:])
        x4 = x.reshape((x.shape[0], g["in_height"], g["in_width"], g["n_chan"]))
        kern = (g["pool_height"], g["pool_width"])
        strides = (g["stride_height"], g["stride_width"])
        pads = (g["pad_top"], g["pad_bottom"], g["pad_left"], g["pad_right"])
        res_t, acc_t = self.types["result"], self.types["accum"]
        outs = []
        for s in range(0, x4.shape[0], GOLDEN_CHUNK):
            xc = x4[s : s + GOLDEN_CHUNK]
            if self.attrs["op"] == "max":
                p = extract_patches(xc, kern, strides, pads, fill=-np.inf)
                outs.append(res_t.quantize(p.max(axis=3)))
                continue
            p = extract_patches(xc, kern, strides, pads, fill=0.0)
            cnt = extract_patches(np.ones(xc.shape[:3] + (1,)), kern, strides, pads, fill=0.0).sum(axis=(3, 4))
            acc = running_sum(acc_t, np.zeros(p.shape[:3] + (p.shape[4],)),
                              lambda: (p[:, :, :, t, :] for t in range(p.shape[3])),
                              term_frac=self.in_types[0].fractional, bound=np.abs(p).max(initial=0) * p.shape[3],
                              total=lambda: p.sum(axis=3))
            rt = self._recip_t
            recip = rt.quantize_raw(1.0 / cnt)[..., None]
            acc_raw = np.rint(np.ldexp(acc, acc_t.fractional)).astype(np.int64)
            if acc_t.width + rt.width <= 62:  # the raw product fits int64
                prod = acc_raw * np.broadcast_to(recip, acc_raw.shape)
            else:
                prod = acc_raw.astype(object) * np.broadcast_to(recip, acc_raw.shape).astype(object)
            outs.append(res_t.quantize_scaled(prod, acc_t.fractional + rt.fractional))
        y = np.concatenate(outs, axis=0)
        return y.reshape((x.shape[0],) + self.output_shape([x.shape[1:]]))

    def cpp_context(self, graph):
        return dict(
            g=self.geometry(graph.input_shapes(self)[0]),
            op=self.attrs["op"],
            reuse_factor=self.cfg.reuse_factor,
            stream_fn="global_pooling_2d_stream" if self.is_global else "pooling_2d_stream",
        )


@register
class Pooling2D(_Pool):
    kind = "Pooling2D"


@register
class Pooling1D(_Pool):
    kind = "Pooling1D"
    ndim = 1


@register
class GlobalPooling2D(_Pool):
    kind = "GlobalPooling2D"
    is_global = True


@register
class GlobalPooling1D(_Pool):
    kind = "GlobalPooling1D"
    is_global = True
    ndim = 1
