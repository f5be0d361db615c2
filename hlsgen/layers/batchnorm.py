"""The standalone BatchNormalization layer kind (``nnet_batchnorm.h``).  After a Dense or
Conv it is folded into that layer's weights instead (``passes.fold_batchnorm``).

BatchNormalization (standalone; last axis)
==========================================
y = x * scale + bias per channel (``weight_vars`` scale, bias of shape (C,)); the product
plus bias is exact in ``accum`` then cast to the result.  Precision keys ``result``,
``scale`` (auto ``dense.weight_type``), ``bias`` (auto: its range, with the product's
fractional bits, RND_CONV/SAT), ``accum`` (auto exact).
"""
from __future__ import annotations

import numpy as np

from .base import Layer, register
from .dense import linear_types


@register
class BatchNormalization(Layer):
    kind = "BatchNormalization"
    is_channel_affine = rounds_once = True
    precision_keys = ("result", "scale", "bias", "accum")
    weight_vars = {"scale": "s", "bias": "b"}
    cpp_headers = ("nnet_batchnorm.h",)
    cpp_config_tpl = """struct {{ config }} : nnet::batchnorm_config {
    static const unsigned n_in = {{ n_in }};
    static const unsigned n_filt = {{ n_filt }};
    static const unsigned reuse_factor = {{ reuse_factor }};
    typedef {{ t.scale }} scale_t;
    typedef {{ t.bias }} bias_t;
    typedef {{ t.accum }} accum_t;
};"""
    cpp_call_tpl = (
        "nnet::normalize<{{ in_t[0] }}, {{ t.result }}, {{ config }}>"
        "({{ ins[0] }}, {{ out }}, {{ w.scale }}, {{ w.bias }});"
    )

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        s = self.weights["scale"].reshape(-1)
        self.weights["scale"] = s
        self.weights["bias"] = self.weights.get("bias", np.zeros_like(s)).reshape(-1)
        if self.weights["bias"].shape != s.shape:
            raise ValueError(f"BatchNormalization layer {self.source_name!r}: scale and bias sizes differ")

    def output_shape(self, in_shapes):
        shape = tuple(in_shapes[0])
        axis = self.attrs.get("axis", -1)
        if axis not in (-1, len(shape)) and axis != len(shape) - 1 and not (
            isinstance(axis, (list, tuple)) and list(axis) in ([-1], [len(shape)])
        ):
            raise ValueError(
                f"BatchNormalization layer {self.source_name!r}: only the last (channel) axis is supported, "
                f"got axis={axis}"
            )
        if shape[-1] != self.weights["scale"].size:
            raise ValueError(
                f"BatchNormalization layer {self.source_name!r}: {self.weights['scale'].size} channels in the "
                f"weights, input has {shape[-1]}"
            )
        return shape

    def infer_types(self, in_types, ctx):
        # one tap per output channel: y_c = x_c * scale_c + bias_c
        s = self.weights["scale"].reshape(1, -1)
        st, bt, at = linear_types(self, in_types[0], s, self.weights["bias"], ctx, wkey="scale")
        self.types.update(scale=st, bias=bt, accum=at, result=self.configured("result") or ctx.default)

    def golden(self, xs):
        x = np.asarray(xs[0], dtype=np.float64)
        s = self.types["scale"].quantize(self.weights["scale"])
        b = self.types["bias"].quantize(self.weights["bias"])
        acc = self.types["accum"].quantize(x * s + b)
        return self.types["result"].quantize(acc)

    def cpp_context(self, graph):
        n_in = int(np.prod(graph.tensors[self.inputs[0]].shape))
        return dict(n_in=n_in, n_filt=int(self.weights["scale"].size), reuse_factor=self.cfg.reuse_factor)
