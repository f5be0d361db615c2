"""LayerNormalization over the last axis (Keras ``LayerNormalization``, PyTorch
``nn.LayerNorm`` over the last dimension): y = (x - mean) / sqrt(var + eps) * gamma + beta.

Computed without a division (``nnet_layernorm.h``; the numpy golden is bit-exact, in int64):
1. s = sum x, d_j = N x_j - s (= N (x_j - mean)), exact.
2. V = sum d_j^2 + eps N^3 (= N^3 (var + eps)), exact on the grid of d^2 (eps N^3 rounded
   there), so y_j = d_j sqrt(N) / sqrt(V).
3. With V's raw integer 2^q (1 + f) (q its leading-one position), b = q mod 2, h = floor(q/2):
   sqrt(V_raw) = 2^h sqrt(2^b (1 + f)).  ``inv_sqrt_table`` has 2 x 2^R entries (R =
   log2 ``table_size``, default 1024 per octave), indexed by b and the top R fraction bits j
   of f: entry = 2 / (sqrt(lo) + sqrt(hi)) over the bin [lo, hi) = 2^b [1 + j/2^R,
   1 + (j+1)/2^R) (relative error <= (sqrt(hi) - sqrt(lo)) / (sqrt(hi) + sqrt(lo)) <=
   2^-(R+2) = 2.4e-4).
4. n_j = (d_raw_j 2^-h) truncated to 2^-18 (|n_j| < 2), times the entry, rounded to 2^-18
   (``norm``), then y_j = norm_j * scale_j + bias_j in ``accum`` (exact), one cast.  ``scale``
   is gamma sqrt(N) and ``bias`` beta (weights, quantized like Dense weights).
Error against the float layer: relative 2.4e-4 of the table plus the truncations (2^-18)
and the quantized scale (16 bits), plus one result LSB; where var is comparable to eps the
rounding of eps N^3 onto the 2^-2F grid (F: the input's fractional bits) adds to it.  The
exact integers must fit 62 bits (V's width, about 2 (W + log2 N) for W-bit inputs):
wider inputs or longer axes are refused.
Precision keys: ``result`` (auto: the context default), ``scale``, ``bias`` (auto as Dense),
``accum`` (auto exact), ``table`` (auto ufixed<18,0,RND,SAT>: entries in (1/2, 1)).
"""
from __future__ import annotations

import math

import numpy as np

from ..fixed import FixedType, bits_for_range
from .base import Layer, register
from .dense import REPROGRAMMABLE_HEADROOM_BITS, WEIGHT_MODES, exact_sum_type, weight_type
from .tables import RND_SAT, cpp_literal

NORM_FRAC = 18  # fractional bits of the normalised values n_j and norm_j


def inv_sqrt_table(r_bits: int) -> np.ndarray:
    """1/sqrt(u) over u in [1, 4): 2^r_bits bins of [1, 2), then of [2, 4)."""
    j = np.arange(1 << r_bits, dtype=np.float64)
    lo = 1.0 + j / (1 << r_bits)
    hi = lo + 1.0 / (1 << r_bits)
    return np.concatenate([2.0 / (np.sqrt(lo) + np.sqrt(hi)), 2.0 / (np.sqrt(2 * lo) + np.sqrt(2 * hi))])


def _bit_length(v: np.ndarray) -> np.ndarray:
    """Exact bit length of non-negative int64 values."""
    flat = [int(x).bit_length() for x in np.asarray(v, dtype=np.int64).ravel()]
    return np.array(flat, dtype=np.int64).reshape(np.shape(v))


@register
class LayerNormalization(Layer):
    kind = "LayerNormalization"
    precision_keys = ("result", "scale", "bias", "accum", "table")
    weight_vars = {"scale": "s", "bias": "b"}
    cpp_headers = ("nnet_layernorm.h",)
    cpp_config_tpl = """struct {{ config }} : nnet::layernorm_config {
    static const unsigned n_in = {{ n_in }};
    static const unsigned n_slice = {{ n_slice }};
    static const unsigned reuse_factor = {{ reuse_factor }};
    static const int table_bits = {{ table_bits }};
    static const int frac_x = {{ frac_x }};
    typedef {{ sum_t }} sum_t;
    typedef {{ diff_t }} diff_t;
    typedef {{ var_t }} var_t;
    typedef {{ shift_t }} shift_t;
    typedef {{ dn_t }} dn_t;
    typedef {{ norm_t }} norm_t;
    typedef {{ t.table }} table_t;
    typedef {{ t.scale }} scale_t;
    typedef {{ t.bias }} bias_t;
    typedef {{ t.accum }} accum_t;
    static var_t epsilon() { return var_t({{ eps }}); }
};"""
    cpp_call_tpl = (
        "nnet::layernorm<{{ in_t[0] }}, {{ t.result }}, {{ config }}>"
        "({{ ins[0] }}, {{ out }}, {{ w.scale }}, {{ w.bias }}, {{ tb.table }});"
    )

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        a = self.attrs
        a.setdefault("epsilon", 1e-3)
        a.setdefault("table_size", 1024)
        v = int(a["table_size"])
        if v < 2 or v & (v - 1) or v > 65536:
            raise ValueError(f"LayerNormalization layer {self.source_name!r}: table_size must be a power of two in "
                             f"2..65536, got {v}")
        if float(a["epsilon"]) < 0:
            raise ValueError(f"LayerNormalization layer {self.source_name!r}: epsilon must be >= 0")

    @property
    def r_bits(self) -> int:
        return int(self.attrs["table_size"]).bit_length() - 1

    def output_shape(self, in_shapes):
        shape = tuple(in_shapes[0])
        n = int(shape[-1])
        for k in ("scale", "bias"):
            if k in self.weights and self.weights[k].shape != (n,):
                raise ValueError(f"LayerNormalization layer {self.source_name!r}: {k} has shape "
                                 f"{self.weights[k].shape}, the last axis has {n} values")
        self.weights.setdefault("scale", np.full(n, math.sqrt(n)))
        self.weights.setdefault("bias", np.zeros(n))
        self.n = n
        return shape

    def infer_types(self, in_types, ctx):
        x_t = in_types[0]
        n, F = self.n, x_t.fractional
        L = max(1, (n - 1).bit_length())  # n <= 2^L
        self._sum_t = FixedType(x_t.width + L, x_t.integer + L, True)
        self._diff_t = FixedType(x_t.width + L + 1, x_t.integer + L + 1, True)
        dmax = 2.0 ** (x_t.integer + L + 1)
        self._eps_raw = int(round(float(self.attrs["epsilon"]) * n**3 * 2.0 ** (2 * F)))
        vi = bits_for_range(0.0, n * dmax * dmax + self._eps_raw * 2.0 ** (-2 * F), signed=False)
        self._var_t = FixedType(vi + 2 * F, vi, False)
        if self._var_t.width > 62:
            raise ValueError(
                f"LayerNormalization layer {self.source_name!r}: input type {x_t} over {n} values needs a "
                f"{self._var_t.width}-bit variance (at most 62); give the layer's input a narrower type")
        self._fn = max(NORM_FRAC, F)
        self._shift_t = FixedType(self._diff_t.width + self._fn, self._diff_t.width, True)
        self._dn_t = FixedType(self._fn + 3, 3, True)
        self._norm_t = FixedType(NORM_FRAC + 3, 3, True, "RND", "SAT")
        tt = self.configured("table") or FixedType(18, 0, False, **RND_SAT)
        if tt.max_value < 1.0 - 2.0 ** -(self.r_bits + 1) or tt.min_value > 0.5:
            raise ValueError(f"LayerNormalization layer {self.source_name!r}: table type {tt} must hold values in "
                             "(1/2, 1) (e.g. ufixed<18,0>)")
        headroom = 0 if ctx.weights_fixed else REPROGRAMMABLE_HEADROOM_BITS
        st = self.configured("scale")
        if st is None:
            st = weight_type(self.weights["scale"], ctx.data_width)
            st = FixedType(st.width, st.integer + headroom, True, **WEIGHT_MODES)
        prod_frac = NORM_FRAC + st.fractional
        bt = self.configured("bias")
        if bt is None:
            b = self.weights["bias"]
            i = bits_for_range(min(b.min(initial=0), 0.0), max(b.max(initial=0), 0.0), signed=True) + headroom
            i = max(i, 1 - prod_frac)
            bt = FixedType(i + prod_frac, i, True, **WEIGHT_MODES)
        at = self.configured("accum")
        if at is None:
            big = lambda t: max(abs(t.min_value), abs(t.max_value))  # noqa: E731
            m = 2.0 * big(st) + big(bt)
            at = exact_sum_type(-m, m, max(prod_frac, bt.fractional))
        self.types.update(table=tt, scale=st, bias=bt, accum=at, result=self.configured("result") or ctx.default)

    def tables(self):
        tt = self.types["table"]
        return {"table": (tt, tt.quantize(inv_sqrt_table(self.r_bits)))}

    def golden(self, xs):
        x = np.asarray(xs[0], dtype=np.float64)
        shape = x.shape
        x_t, n, R, fn = self.in_types[0], self.n, self.r_bits, self._fn
        xr = np.round(np.ldexp(x.reshape(-1, n), x_t.fractional)).astype(np.int64)  # exact: x on its grid
        d = n * xr - xr.sum(axis=1, keepdims=True)
        v = (d * d).sum(axis=1) + self._eps_raw
        q = np.maximum(_bit_length(v) - 1, 0)
        top = np.where(q >= R, v >> np.maximum(q - R, 0), v << np.maximum(R - q, 0)) & ((1 << R) - 1)
        idx = ((q & 1) << R) | top
        h = q >> 1
        dn = np.ldexp(((d << fn) >> h[:, None]).astype(np.float64), -fn)
        t = self.tables()["table"][1][idx]
        norm = self._norm_t.quantize(dn * t[:, None])
        s = self.types["scale"].quantize(self.weights["scale"])
        b = self.types["bias"].quantize(self.weights["bias"])
        acc = self.types["accum"].quantize(norm * s + b)
        return self.types["result"].quantize(acc).reshape(shape)

    def cpp_context(self, graph):
        shape = graph.tensors[self.inputs[0]].shape
        return dict(n_in=int(np.prod(shape)), n_slice=self.n, reuse_factor=self.cfg.reuse_factor, table_bits=self.r_bits,
                    frac_x=self.in_types[0].fractional, sum_t=self._sum_t.cpp(), diff_t=self._diff_t.cpp(),
                    var_t=self._var_t.cpp(), shift_t=self._shift_t.cpp(), dn_t=self._dn_t.cpp(),
                    norm_t=self._norm_t.cpp(), eps=cpp_literal(math.ldexp(self._eps_raw, -2 * self.in_types[0].fractional)))
