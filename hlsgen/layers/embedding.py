"""Embedding: a table lookup, y[..., :] = embeddings[index(x[...]), :] (Keras ``Embedding``,
PyTorch ``nn.Embedding``, ONNX ``Gather`` on a constant table).

Weights: ``embeddings`` (V, D).  Input: indices of any shape (S...); output (S..., D).
The index is the input's integer part (C++ ``to_int``, truncation toward zero) clamped
to [0, V - 1]: hardware cannot raise, so an index out of range reads the first or the
last row where Keras and PyTorch raise an error.  An 'auto' graph input that feeds an
Embedding gets ``ufixed<B,B,TRN,SAT>`` with B = bits(V - 1) (``auto_input_type``), so
every valid index is exact and larger values saturate to V - 1.

Precision keys: ``result`` (auto: the ``embeddings`` type: the layer then copies values
and is exact) and ``embeddings`` (auto: ``data_width`` bits fitted to the table, as Dense
weights; with reprogrammable weights two more integer bits).  C++: ``nnet_embedding.h``
(io_stream through the generic adapter).
"""
from __future__ import annotations

import numpy as np

from ..fixed import FixedType
from .base import Layer, register
from .dense import REPROGRAMMABLE_HEADROOM_BITS, WEIGHT_MODES, weight_type


@register
class Embedding(Layer):
    kind = "Embedding"
    precision_keys = ("result", "embeddings")
    weight_vars = {"embeddings": "e"}
    cpp_headers = ("nnet_embedding.h",)
    cpp_config_tpl = """struct {{ config }} : nnet::embed_config {
    static const unsigned n_in = {{ n_in }};
    static const unsigned n_out = {{ n_out }};
    static const unsigned vocab_size = {{ vocab }};
    static const unsigned reuse_factor = {{ reuse_factor }};
    typedef {{ t.embeddings }} embeddings_t;
};"""
    cpp_call_tpl = "nnet::embedding<{{ in_t[0] }}, {{ t.result }}, {{ config }}>({{ ins[0] }}, {{ out }}, {{ w.embeddings }});"

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        e = self.weights.get("embeddings")
        if e is None or e.ndim != 2 or e.shape[0] < 1 or e.shape[1] < 1:
            shape = None if e is None else e.shape
            raise ValueError(f"Embedding layer {self.source_name!r}: embeddings must be a (vocabulary, dimension) "
                             f"matrix, got shape {shape}")

    @property
    def vocab(self) -> int:
        return int(self.weights["embeddings"].shape[0])

    def auto_input_type(self, index: int):
        b = max(1, (self.vocab - 1).bit_length())
        return FixedType(b, b, False, "TRN", "SAT")

    def output_shape(self, in_shapes):
        return tuple(in_shapes[0]) + (int(self.weights["embeddings"].shape[1]),)

    def infer_types(self, in_types, ctx):
        et = self.configured("embeddings")
        if et is None:
            et = weight_type(self.weights["embeddings"], ctx.data_width)
            if not ctx.weights_fixed:
                et = FixedType(et.width, et.integer + REPROGRAMMABLE_HEADROOM_BITS, True, **WEIGHT_MODES)
        self.types["embeddings"] = et
        self.types["result"] = self.configured("result") or et

    def golden(self, xs):
        x = np.asarray(xs[0], dtype=np.float64)
        idx = np.clip(np.trunc(x), 0, self.vocab - 1).astype(np.int64)
        table = self.types["embeddings"].quantize(self.weights["embeddings"])
        return self.types["result"].quantize(table[idx])

    def cpp_context(self, graph):
        return dict(n_in=graph.tensors[self.inputs[0]].size, n_out=int(self.weights["embeddings"].shape[1]),
                    vocab=self.vocab, reuse_factor=self.cfg.reuse_factor)
