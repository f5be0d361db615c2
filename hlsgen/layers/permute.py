"""Permute: a transpose of the sample axes (the batch stays first), Keras ``Permute``.

Attribute: ``dims`` — a permutation of ``range(rank)`` over the sample's axes, 0-based
(Keras writes them 1-based): output axis k is input axis ``dims[k]``; samples of rank
1 to 3.  Precision: only ``result``; 'auto' is the input type (the values are copied,
so the layer is exact).  C++: ``nnet_permute.h`` (io_stream through the generic
adapter: a transpose needs the whole tensor before its first output).
"""
from __future__ import annotations

import numpy as np

from .base import Layer, register


@register
class Permute(Layer):
    kind = "Permute"
    cpp_headers = ("nnet_permute.h",)
    cpp_config_tpl = """struct {{ config }} : nnet::permute_config {
    static const unsigned d0 = {{ d[0] }}, d1 = {{ d[1] }}, d2 = {{ d[2] }};
    static const unsigned p0 = {{ p[0] }}, p1 = {{ p[1] }}, p2 = {{ p[2] }};
};"""
    cpp_call_tpl = "nnet::permute_cl<{{ in_t[0] }}, {{ t.result }}, {{ config }}>({{ ins[0] }}, {{ out }});"

    def _dims(self, rank):
        dims = tuple(int(d) for d in self.attrs["dims"])
        if sorted(dims) != list(range(rank)):
            raise ValueError(f"Permute layer {self.source_name!r}: dims {dims} is not a permutation of the "
                             f"{rank} sample axes {tuple(range(rank))}")
        if rank > 3:
            raise ValueError(f"Permute layer {self.source_name!r}: samples of rank {rank} are not supported "
                             "(rank 1 to 3)")
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

    def cpp_context(self, graph):
        shape = tuple(graph.input_shapes(self)[0])
        dims = self._dims(len(shape))
        pad = 3 - len(shape)
        return dict(d=(1,) * pad + shape, p=tuple(range(pad)) + tuple(d + pad for d in dims))
