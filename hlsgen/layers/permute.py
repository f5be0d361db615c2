"""Permute: a transpose of the sample axes (the batch stays first), Keras ``Permute``.

Attribute: ``dims`` — a permutation of ``range(rank)`` over the sample's axes, 0-based
(Keras writes them 1-based): output axis k is input axis ``dims[k]``; samples of any
rank.  Precision: only ``result``; 'auto' is the input type (the values are copied, so
the layer is exact).  C++: ``nnet_permute.h``, which walks the output in row-major
order and the input with the strides computed here (``walk``); io_stream through the
generic adapter (a transpose needs the whole tensor before its first output).
"""
from __future__ import annotations

import numpy as np

from .base import Layer, register


@register
class Permute(Layer):
    kind = "Permute"
    cpp_headers = ("nnet_permute.h",)
    cpp_config_tpl = """struct {{ config }} : nnet::permute_config {
    static const unsigned n = {{ n }}, rank = {{ dim | length }};
    static unsigned dim(unsigned k) {
        static const unsigned t[rank] = { {{- dim | join(', ') -}} };
        return t[k];
    }
    static unsigned stride(unsigned k) {
        static const unsigned t[rank] = { {{- stride | join(', ') -}} };
        return t[k];
    }
};"""
    cpp_call_tpl = "nnet::permute_cl<{{ in_t[0] }}, {{ t.result }}, {{ config }}>({{ ins[0] }}, {{ out }});"

    def _dims(self, rank):
        dims = tuple(int(d) for d in self.attrs["dims"])
        if sorted(dims) != list(range(rank)):
            raise ValueError(f"Permute layer {self.source_name!r}: dims {dims} is not a permutation of the "
                             f"{rank} sample axes {tuple(range(rank))}")
        return dims

    def output_shape(self, in_shapes):
        shape = tuple(in_shapes[0])
        return tuple(shape[d] for d in self._dims(len(shape)))

    def infer_types(self, in_types, ctx):
        self.types["result"] = self.configured("result") or in_types[0]

    def golden(self, xs):
        x = xs[0]
        dims = self._dims(x.ndim - 1)
        return self.types["result"].quantize(np.transpose(x, (0,) + tuple(d + 1 for d in dims)))

    def walk(self, shape) -> dict:
        """The output's dimensions and, for each output axis, the input's row-major stride
        along it: output element (i_0, ..., i_r-1) is input element sum_k i_k * stride[k]."""
        dims = self._dims(len(shape))
        in_strides = [int(np.prod(shape[a + 1:], dtype=np.int64)) for a in range(len(shape))]
        return dict(n=int(np.prod(shape, dtype=np.int64)), dim=[int(shape[d]) for d in dims],
                    stride=[in_strides[d] for d in dims])

    def cpp_context(self, graph):
        return self.walk(tuple(graph.input_shapes(self)[0]))
