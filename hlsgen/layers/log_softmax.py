"""The LogSoftmax layer kind (Keras ``log_softmax`` activation, ONNX ``LogSoftmax``, torch
``log_softmax``) over the last axis; ``nnet::log_softmax`` in ``nnet_softmax.h``.

y = d - ln(s), d = x - max(x) (exact), s = sum 2^(d log2 e): steps 1-3 of Softmax
(``hlsgen.layers.softmax``: the same exp table and exact sum in ``accum``, so 1 <= s <= N).
ln(s) = p ln2 + L: p is the position of the leading one of s (s >> p in [1, 2), the shift
truncating in ``accum``), and L = ``log_table``[j] for the top R = log2(``log_table_size``)
fraction bits j of s >> p, entry j = (ln(1 + j/2^R) + ln(1 + (j+1)/2^R)) / 2 (the midpoint
of the bin in the log domain: |error| <= 2^-(R+1) = 4.9e-4 at 1024 entries); ln2 is a
ufixed<18,0,RND_CONV> constant.  p ln2 + L is exact in an internal type, then y = d - that,
one cast to the result type.
Error against the float function: |y - log_softmax(x)| <= ~1.2e-3 + one result LSB
(the exp table's relative bin error 3.4e-4 and the shifts' truncations move ln(s) by at
most about as much, plus the log table's 4.9e-4 and ln2's p * 2^-19); measured in
tests/test_layers_more.py.
Precision keys: ``result`` (auto: the context default: outputs lie in [min(x) - max(x) -
ln N, 0]), ``exp_table``, ``accum`` (as Softmax), ``log_table`` (auto ufixed<18,0,RND,SAT>:
entries in [0, ln 2)).  The golden is exact while d and ln(s) fit float64 (inputs up to 32
bits; wider inputs are refused).
"""
from __future__ import annotations

import math

import numpy as np

from ..fixed import FixedType, bits_for_range
from .base import register
from .softmax import Softmax
from .tables import RND_SAT, cpp_literal

LN2_T = FixedType(18, 0, False, "RND_CONV", "SAT")


def log_table(r_bits: int) -> np.ndarray:
    """ln over [1, 2) in 2^r_bits bins: the mean of ln at each bin's ends."""
    j = np.arange(1 << r_bits, dtype=np.float64)
    return (np.log1p(j / (1 << r_bits)) + np.log1p((j + 1) / (1 << r_bits))) / 2.0


@register
class LogSoftmax(Softmax):
    kind = "LogSoftmax"
    precision_keys = ("result", "exp_table", "log_table", "accum")
    table_size_keys = ("exp_table_size", "log_table_size")
    implementations = ("stable", "latency", "legacy", "skip")
    config_keys = ("table_size", "exp_table_size", "log_table_size", "skip")
    cpp_config_tpl = """struct {{ config }} : nnet::softmax_config {
    static const unsigned n_in = {{ n_in }};
    static const unsigned n_slice = {{ n_slice }};
    static const unsigned reuse_factor = {{ reuse_factor }};
    static const unsigned exp_table_size = {{ exp_table_size }};
    static const int exp_index_bits = {{ exp_bits }};
    static const unsigned log_table_size = {{ log_table_size }};
    static const int log_index_bits = {{ log_bits }};
    static const unsigned max_shift = {{ max_shift }};
    typedef {{ t.exp_table }} exp_table_t;
    typedef {{ t.log_table }} log_table_t;
    typedef {{ t.accum }} accum_t;
    typedef {{ diff_t }} diff_t;
    typedef {{ log2e_t }} log2e_t;
    typedef {{ exparg_t }} exparg_t;
    typedef {{ expint_t }} expint_t;
    typedef {{ exp_index_t }} exp_index_t;
    typedef {{ ln2_t }} ln2_t;
    typedef {{ lse_t }} lse_t;
    static log2e_t log2e() { return log2e_t({{ log2e }}); }
    static ln2_t ln2() { return ln2_t({{ ln2 }}); }
};"""
    cpp_call_tpl = (
        "nnet::log_softmax<{{ in_t[0] }}, {{ t.result }}, {{ config }}>"
        "({{ ins[0] }}, {{ out }}, {{ tb.exp_table }}, {{ tb.log_table }});"
    )

    @property
    def log_bits(self):
        return int(self.attrs["log_table_size"]).bit_length() - 1

    def infer_types(self, in_types, ctx):
        if self.n is None:
            raise ValueError(f"LogSoftmax layer {self.source_name!r}: output_shape must run before infer_types")
        x_t = in_types[0]
        if x_t.width > 32:
            raise ValueError(f"LogSoftmax layer {self.source_name!r}: input type {x_t} is wider than 32 bits")
        self.types["result"] = self.configured("result") or ctx.default
        lt = self.configured("log_table") or FixedType(18, 0, False, **RND_SAT)
        if lt.min_value > 0.0 or lt.max_value < math.log(2.0) - 2.0 ** -self.log_bits:
            raise ValueError(f"LogSoftmax layer {self.source_name!r}: log_table type {lt} must hold values in "
                             "[0, ln 2) (e.g. ufixed<18,0>)")
        self.types["log_table"] = lt
        self._exp_types(x_t)
        # p ln2 + L, exact: up to (max_shift + 1) ln2, on the finer of the two grids
        frac = max(lt.fractional, LN2_T.fractional)
        i = bits_for_range(0.0, (self._max_shift + 1) * math.log(2.0) + lt.max_value, signed=False)
        self._lse_t = FixedType(i + frac, i, False)

    def tables(self):
        lt = self.types["log_table"]
        return {**self.exp_table(), "log_table": (lt, lt.quantize(log_table(self.log_bits)))}

    def golden(self, xs):
        x = np.asarray(xs[0], dtype=np.float64)
        shape = x.shape
        d, _, s = self.exponentials(x.reshape(-1, shape[-1]))
        at, R = self.types["accum"], self.log_bits
        _, ex = np.frexp(s)
        p = np.clip(np.where(s >= 1.0, ex - 1, 0), 0, self._max_shift)
        s_n = np.floor(np.ldexp(s, at.fractional - p)) * 2.0 ** -at.fractional  # s >> p in accum_t
        idx = np.clip(np.floor(np.ldexp(s_n - 1.0, R)), 0, (1 << R) - 1).astype(np.int64)
        lse = self.tables()["log_table"][1][idx] + p * float(LN2_T.quantize(math.log(2.0)))
        return self.types["result"].quantize(d - lse[:, None]).reshape(shape)

    def cpp_context(self, graph):
        return dict(self.exp_context(graph), log_table_size=int(self.attrs["log_table_size"]), log_bits=self.log_bits,
                    ln2_t=LN2_T.cpp(), lse_t=self._lse_t.cpp(), ln2=cpp_literal(float(LN2_T.quantize(math.log(2.0)))))
