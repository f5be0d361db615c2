"""The Softmax layer kind (``nnet_softmax.h``); its numpy golden is bit-exact with the C++
(the exponent stage in int64; inputs up to 44 bits).

Softmax (over the last axis; any leading dimensions)
====================================================
Robust to the input range: it never looks at absolute input values.
1. m = max(x); d = x - m <= 0 (exact).
2. e = 2^(d log2 e): t = d * log2e (log2e in ufixed<18,1>), floored onto 2^-E
   (E = log2 ``exp_table_size``, default 1024 entries) and saturated at a value below
   which every exponential is zero in the exp type; t = -k + f with k >= 1 integer and
   f in [0, 1); e = exp_table[f * 2^E] >> k, where exp_table[j] = 2^((j + 1/2) / 2^E).
   d == 0 gives e = 1 exactly.  Every other element has e <= 2^(-1/2^(E+1)) < 1, so the
   maximum stays strictly the largest exponential and the map is monotone.
3. s = sum e in ``accum`` (exact: ufixed<F_exp + I, I> with 2^I > N); 1 <= s <= N.
4. 1/s: p = position of the leading one of s; s / 2^p in [1, 2) indexes
   ``inv_table`` (``inv_table_size`` entries, default 1024, top R bits of the fraction),
   entry j = 2 / (2 + (2j + 1) / 2^R) (minimax relative error over the bin); then >> p
   (exact, the shifted type has p more fractional bits).
5. y = e * inv (exact product), one cast to the result type.
Relative error of each output <= ~8.5e-4 (exp bin 3.4e-4 + reciprocal bin 4.9e-4 +
truncations) plus one result LSB; measured in the tests.
Precision keys: ``result`` (auto ufixed<W,0,RND,SAT>: outputs lie in [0, 1], 1 saturates to
1 - 2^-W, and all W bits are fraction), ``exp_table`` (auto ufixed<18,1,RND,SAT>: entries
in [1, 2), 17 fractional bits), ``inv_table`` (auto ufixed<18,0,RND,SAT>: entries in
(1/2, 1)), ``accum`` (auto exact, as above).  ``inv_inp`` (hls4ml's ``inv_inp_t``, the type
its reciprocal table is indexed by) is accepted and has no effect: step 4 indexes the exact
sum normalized by its leading one, whatever its range.

Configuration (hls4ml's keys): ``Strategy`` ``stable`` or ``latency`` -> the algorithm above
(it is range-robust, so hls4ml's two variants are one here); ``argmax`` -> 1 at the first
largest element of each slice and 0 elsewhere (exact; through the result type, so an
all-fraction ufixed<W,0> gives 1 - 2^-W); ``skip`` -> the layer is removed (the model outputs
its input, as hls4ml's skip does).  ``table_size`` sets both table sizes, ``exp_table_size``
and ``inv_table_size`` each one; ``skip: true`` is Strategy ``skip``; ``Implementation``
``legacy`` (hls4ml's older table softmax) is the algorithm above.
"""
from __future__ import annotations

import numpy as np

from ..fixed import FixedType, bits_for_range
from .base import Layer, register
from .exactness import running_sum
from .tables import RND_SAT, cpp_literal, reciprocal_golden, reciprocal_table

LOG2E = 1.4426950408889634


@register
class Softmax(Layer):
    kind = "Softmax"
    precision_keys = ("result", "exp_table", "inv_table", "accum")
    accepted_precision_keys = ("inv_inp",)
    implementations = ("stable", "latency", "legacy", "argmax", "skip")  # Strategy / Implementation values
    config_keys = ("table_size", "exp_table_size", "inv_table_size", "skip")
    cpp_headers = ("nnet_softmax.h",)
    #: attributes holding table sizes (powers of two, default 1024)
    table_size_keys = ("exp_table_size", "inv_table_size")
    cpp_config_tpl = """{% if argmax %}struct {{ config }} {
    static const unsigned n_in = {{ n_in }};
    static const unsigned n_slice = {{ n_slice }};
    static const unsigned reuse_factor = {{ reuse_factor }};
};{% else %}struct {{ config }} : nnet::softmax_config {
    static const unsigned n_in = {{ n_in }};
    static const unsigned n_slice = {{ n_slice }};
    static const unsigned reuse_factor = {{ reuse_factor }};
    static const unsigned exp_table_size = {{ exp_table_size }};
    static const int exp_index_bits = {{ exp_bits }};
    static const unsigned inv_table_size = {{ inv_table_size }};
    static const int inv_index_bits = {{ inv_bits }};
    static const unsigned max_shift = {{ max_shift }};
    typedef {{ t.exp_table }} exp_table_t;
    typedef {{ t.inv_table }} inv_table_t;
    typedef {{ t.accum }} accum_t;
    typedef {{ diff_t }} diff_t;
    typedef {{ log2e_t }} log2e_t;
    typedef {{ exparg_t }} exparg_t;
    typedef {{ expint_t }} expint_t;
    typedef {{ exp_index_t }} exp_index_t;
    typedef {{ inv_scaled_t }} inv_scaled_t;
    static log2e_t log2e() { return log2e_t({{ log2e }}); }
};{% endif %}"""
    cpp_call_tpl = (
        "{% if argmax %}nnet::softmax_argmax<{{ in_t[0] }}, {{ t.result }}, {{ config }}>({{ ins[0] }}, {{ out }});"
        "{% else %}nnet::softmax<{{ in_t[0] }}, {{ t.result }}, {{ config }}>"
        "({{ ins[0] }}, {{ out }}, {{ tb.exp_table }}, {{ tb.inv_table }});{% endif %}"
    )

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        a = self.attrs
        a.setdefault("axis", -1)
        for k in self.table_size_keys:
            a.setdefault(k, 1024)
        self._check_sizes()
        self.n = None

    def _check_sizes(self):
        for k in self.table_size_keys:
            v = self.attrs[k]
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 2 or v & (v - 1) or v > 65536:
                raise ValueError(f"{self.kind} layer {self.source_name!r}: {k} must be a power of two in 2..65536, "
                                 f"got {v!r}")

    def configure(self, options: dict, implementation) -> None:
        if "table_size" in options:
            for k in self.table_size_keys:
                self.attrs[k] = options["table_size"]
        self.attrs.update({k: v for k, v in options.items() if k not in ("table_size", "skip")})
        self._check_sizes()
        if implementation is not None:
            self.attrs["implementation"] = implementation
        skip = options.get("skip", False)
        if not isinstance(skip, bool):
            raise ValueError(f"Softmax layer {self.source_name!r}: skip must be true or false, got {skip!r}")
        if skip:
            self.attrs["implementation"] = "skip"

    @property
    def is_identity(self):
        return self.attrs.get("implementation") == "skip"

    @property
    def argmax(self) -> bool:
        return self.attrs.get("implementation") == "argmax"

    def output_shape(self, in_shapes):
        shape = tuple(in_shapes[0])
        axis = self.attrs["axis"]
        if axis not in (-1, len(shape)) and not (isinstance(axis, int) and axis == len(shape) - 1):
            raise ValueError(
                f"{self.kind} layer {self.source_name!r}: only the last axis is supported (got axis={axis} "
                f"on an input of shape {shape})"
            )
        self.n = int(shape[-1])
        return shape

    @property
    def exp_bits(self):
        return int(self.attrs["exp_table_size"]).bit_length() - 1

    @property
    def inv_bits(self):
        return int(self.attrs["inv_table_size"]).bit_length() - 1

    def infer_types(self, in_types, ctx):
        if self.n is None:
            raise ValueError(f"{self.kind} layer {self.source_name!r}: output_shape must run before infer_types")
        x_t = in_types[0]
        if x_t.width > 44:
            raise ValueError(f"{self.kind} layer {self.source_name!r}: input type {x_t} is wider than 44 bits")
        self.types["result"] = self.configured("result") or FixedType(ctx.default.width, 0, False, **RND_SAT)
        if self.argmax:
            return
        it = self.configured("inv_table") or FixedType(18, 0, False, **RND_SAT)
        if it.max_value < 1.0 - 2.0 ** -self.inv_bits or it.min_value > 0.5:
            raise ValueError(f"Softmax layer {self.source_name!r}: inv_table type {it} must hold values in (1/2, 1)")
        self.types["inv_table"] = it
        self._exp_types(x_t)
        self._inv_scaled_t = FixedType(it.width + self._max_shift, it.integer, it.signed)

    def _exp_types(self, x_t):
        """The types of steps 1-3 (shared with LogSoftmax)."""
        et = self.configured("exp_table") or FixedType(18, 1, False, **RND_SAT)
        ev = np.exp2((np.arange(1 << self.exp_bits) + 0.5) / (1 << self.exp_bits))
        if np.abs(et.quantize(ev) - ev).max() > et.lsb or et.quantize(1.0) != 1.0:
            raise ValueError(
                f"{self.kind} layer {self.source_name!r}: exp_table type {et} must hold values in [1, 2) "
                "(e.g. ufixed<18,1>)"
            )
        ai = bits_for_range(0.0, float(self.n), signed=False)
        at = self.configured("accum") or FixedType(et.fractional + ai, ai, False)
        self.types.update(exp_table=et, accum=at)
        # internal types (derived, not configurable)
        E = self.exp_bits
        kmax = et.width + 1  # any shift beyond this gives zero
        it_bits = bits_for_range(-(kmax + 1), 0.0, signed=True)
        self._log2e_t = FixedType(18, 1, False, "RND_CONV", "SAT")
        self._diff_t = FixedType(x_t.width + 1, x_t.integer + 1, True)
        self._exparg_t = FixedType(E + it_bits, it_bits, True, "TRN", "SAT")
        self._expint_t = FixedType(it_bits, it_bits, True, "TRN", "WRAP")
        self._exp_index_t = FixedType(E, 0, False, "TRN", "SAT")
        self._max_shift = max(at.integer - 1, 0)
        if self._max_shift > 31:
            raise ValueError(f"{self.kind} layer {self.source_name!r}: accum type {at} has too many integer bits")

    def exp_table(self):
        j = np.arange(1 << self.exp_bits)
        exp_vals = np.exp2((j + 0.5) / (1 << self.exp_bits))
        return {"exp_table": (self.types["exp_table"], self.types["exp_table"].quantize(exp_vals))}

    def tables(self):
        if self.argmax:
            return {}
        inv_vals = reciprocal_table(self.inv_bits)
        return {**self.exp_table(), "inv_table": (self.types["inv_table"], self.types["inv_table"].quantize(inv_vals))}

    def exponentials(self, x2):
        """Steps 1-3 (bit-exact) on rows ``x2`` (n, N): (d = x - max, e, s = sum e)."""
        x_t = self.in_types[0]
        et, at = self.types["exp_table"], self.types["accum"]
        exp_tab = self.tables()["exp_table"][1]
        E = self.exp_bits
        # 1-2: exponentials, exponent stage in int64
        d = x2 - x2.max(axis=1, keepdims=True)
        d_raw = np.round(np.ldexp(d, x_t.fractional)).astype(np.int64)  # exact: d on the input grid
        l2 = self._log2e_t
        l_raw = int(l2.quantize_raw(LOG2E))
        t_raw = d_raw * l_raw  # fractional bits: x_t.fractional + l2.fractional
        sh = x_t.fractional + l2.fractional - E
        t_q = (t_raw >> sh) if sh >= 0 else (t_raw << -sh)  # floor onto 2^-E (as an integer of 2^-E units)
        lo_raw = self._exparg_t.min_raw
        t_q = np.maximum(t_q, lo_raw)
        ip = t_q >> E  # floor(t), <= 0
        idx = t_q - (ip << E)
        k = -ip
        e_raw_tab = np.round(np.ldexp(exp_tab[idx], et.fractional)).astype(np.int64)
        kk = np.minimum(k, 62)
        e_raw = np.where(k >= et.width, 0, e_raw_tab >> kk)
        e = np.ldexp(e_raw.astype(np.float64), -et.fractional)
        e = np.where(d == 0, 1.0, e)
        # 3: sum
        s = running_sum(at, np.zeros(e.shape[0]), lambda: (e[:, j] for j in range(e.shape[1])),
                        term_frac=et.fractional, bound=float(x2.shape[-1]), total=lambda: e.sum(axis=1))  # e <= 1
        return d, e, s

    def golden(self, xs):
        x = np.asarray(xs[0], dtype=np.float64)
        shape = x.shape
        if self.argmax:
            x2 = x.reshape(-1, shape[-1])
            onehot = np.zeros_like(x2)
            onehot[np.arange(x2.shape[0]), np.argmax(x2, axis=1)] = 1.0  # the first maximum, as the C++
            return self.types["result"].quantize(onehot).reshape(shape)
        _, e, s = self.exponentials(x.reshape(-1, shape[-1]))
        # 4: reciprocal
        inv_tab = self.tables()["inv_table"][1]
        inv_s = reciprocal_golden(s, self.types["accum"], inv_tab, self.inv_bits, self._max_shift)
        # 5: product and cast
        y = self.types["result"].quantize(e * inv_s[:, None])
        return y.reshape(shape)

    def exp_context(self, graph):
        """The C++ values of steps 1-3 (shared with LogSoftmax)."""
        shape = graph.tensors[self.inputs[0]].shape
        if self.argmax:
            return dict(argmax=True, n_in=int(np.prod(shape)), n_slice=int(shape[-1]),
                        reuse_factor=self.cfg.reuse_factor)
        return dict(argmax=False,
            n_in=int(np.prod(shape)),
            n_slice=int(shape[-1]),
            reuse_factor=self.cfg.reuse_factor,
            exp_table_size=int(self.attrs["exp_table_size"]),
            exp_bits=self.exp_bits,
            max_shift=self._max_shift,
            diff_t=self._diff_t.cpp(),
            log2e_t=self._log2e_t.cpp(),
            exparg_t=self._exparg_t.cpp(),
            expint_t=self._expint_t.cpp(),
            exp_index_t=self._exp_index_t.cpp(),
            log2e=cpp_literal(float(self._log2e_t.quantize(LOG2E))),
        )

    def cpp_context(self, graph):
        if self.argmax:
            return self.exp_context(graph)
        return dict(self.exp_context(graph), inv_table_size=int(self.attrs["inv_table_size"]), inv_bits=self.inv_bits,
                    inv_scaled_t=self._inv_scaled_t.cpp())
