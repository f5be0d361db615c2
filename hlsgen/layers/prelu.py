"""The PReLU layer kind (``nnet_activation.h``: ``nnet::prelu``).

PReLU
=====
y = x > 0 ? x : alpha * x, alpha per element broadcast like Keras (shape of the input
without batch, shared axes of size 1).  ``output_shape`` reduces alpha to its last axis
when it only varies there (the common per-channel case), else expands it to the input
shape; the C++ uses ``alpha[i % n_alpha]``.  Precision keys ``result``, ``alpha``
(auto: data-driven like Dense weights, ``dense.weight_type``).
"""
from __future__ import annotations

import numpy as np

from .base import Layer, register
from .dense import weight_type


@register
class PReLU(Layer):
    kind = "PReLU"
    precision_keys = ("result", "alpha")
    weight_vars = {"alpha": "a"}
    cpp_headers = ("nnet_activation.h",)
    cpp_config_tpl = """struct {{ config }} : nnet::prelu_config {
    static const unsigned n_in = {{ n_in }};
    static const unsigned n_alpha = {{ n_alpha }};
    static const unsigned reuse_factor = {{ reuse_factor }};
    typedef {{ t.alpha }} alpha_t;
};"""
    cpp_call_tpl = "nnet::prelu<{{ in_t[0] }}, {{ t.result }}, {{ config }}>({{ ins[0] }}, {{ out }}, {{ w.alpha }});"

    def output_shape(self, in_shapes):
        shape = tuple(in_shapes[0])
        a = self.weights["alpha"]
        n = int(np.prod(shape))
        if a.ndim == 1 and a.size == n and len(shape) > 1:
            a = a.reshape(shape)  # already expanded by an earlier call
        while a.ndim > len(shape) and a.shape[0] == 1:
            a = a[0]
        try:
            full = np.broadcast_to(a.reshape((1,) * (len(shape) - a.ndim) + a.shape), shape)
        except ValueError:
            raise ValueError(
                f"PReLU layer {self.source_name!r}: alpha of shape {self.weights['alpha'].shape} "
                f"does not broadcast to the input shape {shape}"
            ) from None
        flat = full.reshape(-1, shape[-1])
        if (flat == flat[:1]).all():
            self.weights["alpha"] = flat[0].copy()  # per channel (last axis)
        else:
            self.weights["alpha"] = full.reshape(-1).copy()
        return shape

    def infer_types(self, in_types, ctx):
        self.types["alpha"] = self.configured("alpha") or weight_type(self.weights["alpha"], ctx.data_width)
        self.types["result"] = self.configured("result") or ctx.default

    def golden(self, xs):
        x = np.asarray(xs[0], dtype=np.float64)
        b = x.shape[0]
        a = self.types["alpha"].quantize(self.weights["alpha"])
        flat = x.reshape(b, -1)
        af = np.tile(a, flat.shape[1] // a.size)
        y = np.where(flat > 0, flat, af * flat)
        return self.types["result"].quantize(y).reshape(x.shape)

    def cpp_context(self, graph):
        n_in = int(np.prod(graph.tensors[self.inputs[0]].shape))
        return dict(n_in=n_in, n_alpha=int(self.weights["alpha"].size), reuse_factor=self.cfg.reuse_factor)
