"""Merges of two tensors: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate.

(Keras' n-input Add/Multiply/Maximum/Minimum/Concatenate become chains of two-input
layers; Subtract and Average take exactly two inputs.)

Precision: only ``result``.  'auto' is the exact result type (TRN, WRAP — no rounding or
overflow can happen): with the inputs' integer bits I0, I1 (sign bits included),
fractional bits F0, F1, signedness S0, S1 and LI = max(I0 + (S1 and not S0),
I1 + (S0 and not S1)), F = max(F0, F1):
* Add: fixed<LI+1+F, LI+1> (signed if either is); Subtract: the same, always signed;
* Multiply: fixed<W0+W1, I0+I1>;
* Average ((a + b) * 0.5): fixed<LI+F+1, LI>;
* Maximum, Minimum, Concatenate: fixed<LI+F, LI> (the union of both types).
C++: ``nnet_merge.h``; every operation is exact, then one cast to the result type.
Attributes: Concatenate ``axis`` (0-based, batch excluded).
"""
from __future__ import annotations

import numpy as np

from ..fixed import FixedType
from .base import Layer, register


def _union(a: FixedType, b: FixedType):
    li = max(a.integer + (b.signed and not a.signed), b.integer + (a.signed and not b.signed))
    return li, max(a.fractional, b.fractional), a.signed or b.signed


def _make(w, i, signed):
    return FixedType(max(w, 1), i, signed)


class _Merge(Layer):
    rounds_once = True  # every operation is exact, then one cast
    cpp_headers = ("nnet_array.h", "nnet_merge.h")
    op = ""
    cpp_config_tpl = """struct {{ config }} : nnet::merge_config {
    static const unsigned n_elem = {{ n_elem }};
    static const unsigned op = nnet::merge_{{ op }};
};"""
    cpp_call_tpl = (
        "nnet::merge<{{ in_t[0] }}, {{ in_t[1] }}, {{ t.result }}, {{ config }}>"
        "({{ ins[0] }}, {{ ins[1] }}, {{ out }});"
    )
    cpp_stream_call_tpl = (
        "nnet::merge_stream<{{ in_stream_t[0] }}, {{ in_stream_t[1] }}, {{ out_stream_t }}, {{ config }}>"
        "({{ ins[0] }}, {{ ins[1] }}, {{ out }});"
    )

    def output_shape(self, in_shapes):
        if len(in_shapes) != 2:
            raise ValueError(f"{self.kind} layer {self.source_name!r} takes 2 inputs, got {len(in_shapes)}")
        a, b = (tuple(s) for s in in_shapes)
        if a != b:
            raise ValueError(f"{self.kind} layer {self.source_name!r}: input shapes {a} and {b} differ "
                             "(broadcasting is not supported)")
        return a

    def exact_type(self, a, b):
        li, f, s = _union(a, b)
        return _make(li + f, li, s)

    def infer_types(self, in_types, ctx):
        self.types["result"] = self.configured("result") or self.exact_type(*in_types)

    def compute(self, a, b):
        raise NotImplementedError

    def golden(self, xs):
        return self.types["result"].quantize(self.compute(xs[0], xs[1]))

    def cpp_context(self, graph):
        return dict(n_elem=int(np.prod(graph.input_shapes(self)[0])), op=self.op)


@register
class Add(_Merge):
    kind = "Add"
    op = "add"

    def exact_type(self, a, b):
        li, f, s = _union(a, b)
        return _make(li + 1 + f, li + 1, s)

    def compute(self, a, b):
        return a + b


@register
class Subtract(_Merge):
    kind = "Subtract"
    op = "subtract"

    def exact_type(self, a, b):
        li, f, s = _union(a, b)
        return _make(li + 1 + f, li + 1, True)

    def compute(self, a, b):
        return a - b


@register
class Multiply(_Merge):
    kind = "Multiply"
    op = "multiply"

    def exact_type(self, a, b):
        return _make(a.width + b.width, a.integer + b.integer, a.signed or b.signed)

    def compute(self, a, b):
        return a * b


@register
class Average(_Merge):
    kind = "Average"
    op = "average"

    def exact_type(self, a, b):
        li, f, s = _union(a, b)
        return _make(li + f + 1, li, s)

    def compute(self, a, b):
        return (a + b) * 0.5


@register
class Maximum(_Merge):
    kind = "Maximum"
    op = "maximum"

    def compute(self, a, b):
        return np.maximum(a, b)


@register
class Minimum(_Merge):
    kind = "Minimum"
    op = "minimum"

    def compute(self, a, b):
        return np.minimum(a, b)


@register
class Concatenate(_Merge):
    kind = "Concatenate"
    cpp_config_tpl = """struct {{ config }} : nnet::concat_config {
    static const unsigned n_outer = {{ n_outer }}, n_inner0 = {{ n_inner0 }}, n_inner1 = {{ n_inner1 }};
    static const unsigned channel_axis = {{ channel_axis }};
};"""
    cpp_call_tpl = (
        "nnet::concatenate<{{ in_t[0] }}, {{ in_t[1] }}, {{ t.result }}, {{ config }}>"
        "({{ ins[0] }}, {{ ins[1] }}, {{ out }});"
    )
    cpp_stream_call_tpl = (
        "nnet::concatenate_stream<{{ in_stream_t[0] }}, {{ in_stream_t[1] }}, {{ out_stream_t }}, {{ config }}>"
        "({{ ins[0] }}, {{ ins[1] }}, {{ out }});"
    )

    def output_shape(self, in_shapes):
        if len(in_shapes) != 2:
            raise ValueError(f"Concatenate layer {self.source_name!r} takes 2 inputs here, got {len(in_shapes)}")
        a, b = (tuple(s) for s in in_shapes)
        ax = int(self.attrs.get("axis", len(a) - 1))
        if ax < 0:
            ax += len(a)
        self.attrs["axis"] = ax
        if len(a) != len(b) or any(x != y for i, (x, y) in enumerate(zip(a, b)) if i != ax):
            raise ValueError(f"Concatenate layer {self.source_name!r}: shapes {a} and {b} differ outside axis {ax}")
        out = list(a)
        out[ax] = a[ax] + b[ax]
        return tuple(out)

    def compute(self, a, b):
        return np.concatenate([a, b], axis=self.attrs["axis"] + 1)

    def cpp_context(self, graph):
        a, b = graph.input_shapes(self)
        ax = self.attrs["axis"]
        n_outer = int(np.prod(a[:ax]))
        return dict(n_outer=n_outer, n_inner0=int(np.prod(a[ax:])), n_inner1=int(np.prod(b[ax:])),
                    channel_axis=int(ax == len(a) - 1))
