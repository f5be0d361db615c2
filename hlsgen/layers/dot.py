"""Dot: the product of two tensors contracted over their last axis (Keras ``Dot``; the
frontend moves the contracted axes last with ``Permute``).

Inputs a (K,) and b (K,) give (1,) = sum_k a_k b_k; a (M, K) and b (N, K) give (M, N) with
out[i, j] = sum_k a[i, k] b[j, k].  The sum starts at 0 and adds the products in ascending
k in ``accum`` (auto: exact for every input in the input types' ranges), then one cast to
the result type (auto: the context default, as Dense), so the layer is exact up to that
cast.  Precision keys: ``result``, ``accum``.  C++: ``nnet_dot.h`` (io_stream through the
generic adapter).
"""
from __future__ import annotations

import numpy as np

from .base import Layer, register
from .dense import exact_sum_type
from .exactness import running_sum


@register
class Dot(Layer):
    kind = "Dot"
    precision_keys = ("result", "accum")
    cpp_headers = ("nnet_dot.h",)
    cpp_config_tpl = """struct {{ config }} : nnet::dot_config {
    static const unsigned n_rows_a = {{ m }};
    static const unsigned n_rows_b = {{ n }};
    static const unsigned n_inner = {{ k }};
    static const unsigned reuse_factor = {{ reuse_factor }};
    typedef {{ t.accum }} accum_t;
};"""
    cpp_call_tpl = "nnet::dot<{{ in_t[0] }}, {{ in_t[1] }}, {{ t.result }}, {{ config }}>({{ ins[0] }}, {{ ins[1] }}, {{ out }});"

    def _dims(self, in_shapes):
        if len(in_shapes) != 2:
            raise ValueError(f"Dot layer {self.source_name!r} needs 2 inputs, got {len(in_shapes)}")
        a, b = (tuple(s) for s in in_shapes)
        if len(a) != len(b) or len(a) not in (1, 2) or a[-1] != b[-1]:
            raise ValueError(f"Dot layer {self.source_name!r}: inputs {a} and {b} are not supported; only two "
                             "vectors (K,) or matrices (M, K) and (N, K) contracted over their last axis")
        return (a[0] if len(a) == 2 else 1), (b[0] if len(b) == 2 else 1), a[-1], len(a)

    def output_shape(self, in_shapes):
        m, n, self.k, rank = self._dims(in_shapes)
        return (1,) if rank == 1 else (m, n)

    def infer_types(self, in_types, ctx):
        ta, tb = in_types
        k = self.k
        prods = [ta.min_value * tb.min_value, ta.min_value * tb.max_value, ta.max_value * tb.min_value,
                 ta.max_value * tb.max_value]
        at = self.configured("accum") or exact_sum_type(k * min(prods), k * max(prods), ta.fractional + tb.fractional)
        self.types.update(accum=at, result=self.configured("result") or ctx.default)

    def golden(self, xs):
        a, b = (np.asarray(x, dtype=np.float64) for x in xs)
        a3 = a.reshape(a.shape[0], -1, a.shape[-1])
        b3 = b.reshape(b.shape[0], -1, b.shape[-1])
        k = a3.shape[-1]
        frac = self.in_types[0].fractional + self.in_types[1].fractional
        bound = k * np.abs(a3).max(initial=0) * np.abs(b3).max(initial=0)
        acc = running_sum(self.types["accum"], np.zeros((a3.shape[0], a3.shape[1], b3.shape[1])),
                          lambda: (a3[:, :, None, i] * b3[:, None, :, i] for i in range(k)),
                          term_frac=frac, bound=bound, total=lambda: np.einsum("bmk,bnk->bmn", a3, b3))
        out = self.types["result"].quantize(acc)
        return out.reshape((a.shape[0], 1) if a.ndim == 2 else out.shape)

    def cpp_context(self, graph):
        m, n, k, _ = self._dims(graph.input_shapes(self))
        return dict(m=m, n=n, k=k, reuse_factor=self.cfg.reuse_factor)
