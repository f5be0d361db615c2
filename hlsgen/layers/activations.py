"""Activation layers: Activation, PReLU, Softmax and standalone BatchNormalization.

Every kind has a numpy ``golden`` that is bit-exact with its C++ (``nnet_activation.h``,
``nnet_softmax.h``, ``nnet_batchnorm.h``) for inputs on the input type's grid.  The golden
models compute in float64 and are exact while intermediate products stay within 53 bits
(inputs up to about 32 bits wide with the default constant types; Softmax computes its
exponent stage in int64 and accepts inputs up to 44 bits).

Activation (``attrs['activation']``)
====================================
Piecewise-linear functions are computed exactly in fixed point (constants are quantized
to the ``slope``/``bound`` types, products and sums are full precision, then one cast to
the result type):

* ``linear``: y = x.
* ``relu``, ``relu6``, ``leaky_relu`` (Keras ``ReLU``/``LeakyReLU`` semantics):
  y = x > threshold ? clip(x, 0, max_value) : negative_slope * (x - threshold)
  (the clip only when ``max_value`` is set, exactly as Keras does).  Attributes:
  ``max_value`` (None; ``relu6`` sets 6), ``negative_slope`` (0.0; ``leaky_relu`` takes
  ``alpha``, default 0.3, or ``negative_slope``), ``threshold`` (0.0).
* ``hard_sigmoid``: y = clip(slope * x + 1/2, 0, 1) with ``attrs['variant']``:
  ``'keras3'`` (default; relu6(x + 3) / 6, slope 1/6) or ``'tf_keras'`` (slope 0.2).

The others use a constant lookup table computed in Python (``tables()['table']``):

======================  ==============  =====================  ===========================
function                table domain    x below the domain     x at/above ``tail_at``
======================  ==============  =====================  ===========================
sigmoid                 [-8, 8)         first entry            last entry
tanh                    [-4, 4)         first entry            last entry
softplus                [-8, 8)         first entry            y = x   (tail_at 8)
swish / silu            [-8, 8)         first entry            y = x   (tail_at 8)
gelu (``approximate``)  [-4, 4)         first entry            y = x   (tail_at 4)
elu (``alpha``=1)       [-8, 0)         first entry            y = x   (tail_at 0)
selu                    [-8, 0)         first entry            y = scale * x (tail_at 0)
exponential             [ln(lsb/2), ln(max)) of the table type; clamps at both ends
======================  ==============  =====================  ===========================

``softsign`` = x * 1/(1 + |x|) uses the normalising reciprocal of Softmax (step 4 below):
``table_size`` (power of two, default 1024) bins of 1/s over [1, 2), entries in the
``table`` type (auto ufixed<18,0,RND,SAT>); relative error <= 2^-(log2(table_size)+1)
(4.9e-4), exactly 0 at 0, odd; ``accum`` is the exact type of 1 + |x|.

The domain is intersected with the input type's range.  The table step is a power of two
2^s, at least the input LSB and at most domain / ``table_size`` (attribute, default 1024),
so a narrow input (e.g. fixed<8,3>) gets one entry per representable input value and an
exact function.  The table starts at ``lo`` (a multiple of the step) and has
N <= table_size entries; entry j holds f at the centre of the input values that fall in
[lo + j*2^s, lo + (j+1)*2^s).  The C++ index is
``index_t d = x - lo`` with ``index_t = ap_ufixed<K, K+s, AP_TRN, AP_SAT>`` (floor onto
the step grid and clamp at 0 / the top, fixed-point only), then d / 2^s, then min(., N-1).
The table entries are quantized (round to nearest) to the ``table`` type.  Accuracy is
that of a piecewise-constant table: |error| <= max|f'| * step / 2 + tails, e.g. with
fixed<16,6> inputs and 1024 entries: sigmoid 2.0e-3, tanh 3.9e-3, elu 3.9e-3,
softplus/swish 7.8e-3 / 8.6e-3; see tests/test_layers_activation.py for the measured bounds.

Precision keys: ``result``, ``table`` (table entries; auto: the result type with RND/SAT),
``slope`` (multiplicative constants: negative_slope, hard_sigmoid slope, selu scale; auto:
18-bit signed, integer bits fitted to the value, RND_CONV/SAT), ``bound`` (additive and
comparison constants: threshold, max_value, 1/2, table lo / tail_at; auto: exact when the
value is, at least as many fractional bits as the input and >= 12), ``accum`` (internal
exact type of slope * x + offset of hard_sigmoid; auto: exact).

Result 'auto' rules (W = width of the context default D):
  bounded outputs get a same-width type placed on their range, RND/SAT:
  sigmoid ufixed<W,0>, hard_sigmoid ufixed<W,1> (holds 1 exactly), tanh and softsign
  fixed<W,1>;  non-negative outputs (relu without negative slope and threshold >= 0,
  softplus, exponential) get ufixed<W, I_D - 1> with D's modes (same range, one more
  fractional bit), or ufixed<W, bits(max_value)> for relu with ``max_value``;  all others D.

PReLU
=====
y = x > 0 ? x : alpha * x, alpha per element broadcast like Keras (shape of the input
without batch, shared axes of size 1).  ``output_shape`` reduces alpha to its last axis
when it only varies there (the common per-channel case), else expands it to the input
shape; the C++ uses ``alpha[i % n_alpha]``.  Precision keys ``result``, ``alpha``
(auto: data-driven like Dense weights, ``dense.weight_type``).

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
(1/2, 1)), ``accum`` (auto exact, as above).

BatchNormalization (standalone; last axis)
==========================================
y = x * scale + bias per channel (``weight_vars`` scale, bias of shape (C,)); the product
plus bias is exact in ``accum`` then cast to the result.  Precision keys ``result``,
``scale`` (auto ``dense.weight_type``), ``bias`` (auto: its range, with the product's
fractional bits, RND_CONV/SAT), ``accum`` (auto exact).
"""
from __future__ import annotations

import math

import numpy as np

from ..fixed import FixedType, bits_for_range
from .base import Layer, register
from .dense import WEIGHT_MODES, exact_sum_type, linear_types, weight_type
from .exactness import running_sum

RND_SAT = dict(rounding="RND", saturation="SAT")
CONST_WIDTH = 18  # width of the auto types of multiplicative constants
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
LOG2E = 1.4426950408889634

ACTIVATIONS = (
    "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "sigmoid", "hard_sigmoid",
    "tanh", "softplus", "softsign", "swish", "silu", "exponential", "gelu",
)
_ALIASES = {"silu": "swish", "relu6": "relu", "leakyrelu": "leaky_relu", "leaky": "leaky_relu"}


# ---------------------------------------------------------------------------- helpers
def cpp_literal(v: float) -> str:
    """A C++ double literal that parses to exactly ``v``."""
    v = float(v)
    if not math.isfinite(v):
        raise ValueError(f"cannot write {v} as a C++ constant")
    r = repr(v)
    return r if ("." in r or "e" in r or "n" in r) else r + ".0"


def const_type(value: float, width: int = CONST_WIDTH) -> FixedType:
    """Auto type of a multiplicative constant: ``width`` bits fitted to its magnitude."""
    return weight_type(np.array([float(value)]), width)


def frac_bits_needed(values, limit: int = 64) -> int:
    """Fractional bits that represent every value exactly (``limit`` when none do)."""
    vals = [float(v) for v in values]
    for f in range(0, limit):
        if all(math.ldexp(v, f) == math.floor(math.ldexp(v, f)) for v in vals):
            return f
    return limit


def bound_type(values, x_t: FixedType, min_frac: int = 12) -> FixedType:
    """Auto type of additive/comparison constants: exact when possible, and fine enough."""
    vals = [float(v) for v in values] or [0.0]
    # exact when that takes <= 24 fractional bits (thresholds like 0.3 are rounded there)
    f = max(min(frac_bits_needed(vals, 24), 24), x_t.fractional, min_frac)
    i = bits_for_range(min(min(vals), 0.0), max(max(vals), 0.0), signed=True)
    i = max(i, 1)
    return FixedType(i + f, i, True, **WEIGHT_MODES)


def product_type(a: FixedType, b: FixedType) -> FixedType:
    """Exact ap_fixed product type."""
    return FixedType(a.width + b.width, a.integer + b.integer, a.signed or b.signed)


def reciprocal_table(r_bits: int) -> np.ndarray:
    """1/s over [1, 2) in 2^r_bits bins: entry j = 2 / (2 + (2j + 1) / 2^r_bits), the value
    with the smallest worst-case relative error over the bin (2^-(r_bits+1))."""
    k = np.arange(1 << r_bits)
    return 2.0 / (2.0 + (2 * k + 1) / float(1 << r_bits))


def reciprocal_golden(s: np.ndarray, s_t: FixedType, table: np.ndarray, r_bits: int, max_shift: int) -> np.ndarray:
    """Bit-exact model of nnet::reciprocal: s on s_t's grid, table already quantized."""
    s = np.asarray(s, dtype=np.float64)
    _, ex = np.frexp(s)
    p = np.clip(np.where(s >= 1.0, ex - 1, 0), 0, max_shift)
    s_n = np.floor(np.ldexp(s, s_t.fractional - p)) * 2.0 ** -s_t.fractional  # s >> p in s_t
    idx = np.clip(np.floor(np.ldexp(s_n - 1.0, r_bits)), 0, (1 << r_bits) - 1).astype(np.int64)
    return np.ldexp(table[idx], -p)


def _sigmoid(x):
    return np.where(x >= 0, 1.0 / (1.0 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1.0 + np.exp(-np.abs(x))))


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def float_activation(name: str, x, attrs=None) -> np.ndarray:
    """The float (Keras) definition of each function, for tables and tests."""
    a = dict(attrs or {})
    original = str(a.get("activation", name)).lower()
    name = _ALIASES.get(name, name)
    x = np.asarray(x, dtype=np.float64)
    if name == "linear":
        return x.copy()
    if name in ("relu", "leaky_relu"):
        slope, thr, mx = _relu_params(name, a, original)
        pos = x if mx is None else np.clip(x, 0.0, mx)
        return np.where(x > thr, pos, slope * (x - thr))
    if name == "hard_sigmoid":
        return np.clip(x * _hs_slope(a) + 0.5, 0.0, 1.0)
    if name == "sigmoid":
        return _sigmoid(x)
    if name == "tanh":
        return np.tanh(x)
    if name == "softsign":
        return x / (1.0 + np.abs(x))
    if name == "softplus":
        return np.logaddexp(0.0, x)
    if name == "swish":
        return x * _sigmoid(x)
    if name == "gelu":
        if a.get("approximate", False):
            return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
        return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))
    if name == "elu":
        alpha = float(a.get("alpha", 1.0))
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))
    if name == "selu":
        return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0.0)))
    if name == "exponential":
        return np.exp(x)
    raise ValueError(f"unknown activation {name!r}; supported: {', '.join(ACTIVATIONS)}")


def _relu_params(fn, attrs, original):
    """(negative_slope, threshold, max_value or None) of the relu family."""
    if fn == "leaky_relu":
        slope = attrs.get("alpha", attrs.get("negative_slope", 0.3))
        return float(slope), 0.0, None
    mx = attrs.get("max_value")
    if original == "relu6" and mx is None:
        mx = 6.0
    slope = float(attrs.get("negative_slope", 0.0) or 0.0)
    thr = float(attrs.get("threshold", 0.0) or 0.0)
    return slope, thr, (None if mx is None else float(mx))


def _hs_slope(attrs):
    variant = attrs.get("variant", "keras3")
    if variant not in ("keras3", "tf_keras"):
        raise ValueError(f"hard_sigmoid variant {variant!r} unknown; valid: 'keras3' (relu6(x+3)/6), 'tf_keras' (0.2x+0.5)")
    return 1.0 / 6.0 if variant == "keras3" else 0.2


# table functions: name -> (domain lo, domain hi, tail) ; tail None (clamp), 'identity', 'scaled'
_TABLE_FUNCS = {
    "sigmoid": (-8.0, 8.0, None),
    "tanh": (-4.0, 4.0, None),
    "softplus": (-8.0, 8.0, "identity"),
    "swish": (-8.0, 8.0, "identity"),
    "gelu": (-4.0, 4.0, "identity"),
    "elu": (-8.0, 0.0, "identity"),
    "selu": (-8.0, 0.0, "scaled"),
    "exponential": (None, None, None),
}
TAIL_CODES = {None: "tail_clamp", "identity": "tail_identity", "scaled": "tail_scaled"}


class TableSpec:
    """A uniform lookup table over [lo, lo + n * 2^step_log2) of the input."""

    def __init__(self, lo: float, step_log2: int, n: int, tail_at):
        self.lo, self.step_log2, self.n, self.tail_at = lo, step_log2, n, tail_at

    @property
    def step(self) -> float:
        return math.ldexp(1.0, self.step_log2)

    @property
    def index_bits(self) -> int:
        return max(1, int(math.ceil(math.log2(self.n))) if self.n > 1 else 1)

    def index_type(self) -> FixedType:
        k = self.index_bits
        return FixedType(k, k + self.step_log2, False, "TRN", "SAT")

    def index(self, x: np.ndarray) -> np.ndarray:
        """floor((x - lo) / step) clamped to [0, n - 1] (what the C++ computes)."""
        i = np.floor(np.ldexp(x - self.lo, -self.step_log2))
        return np.clip(i, 0, self.n - 1).astype(np.int64)


def plan_table(dom_lo: float, dom_hi: float, x_t: FixedType, table_size: int, tail_at=None) -> TableSpec:
    """Choose step, start and size of a table covering [dom_lo, dom_hi) of x_t's range."""
    if table_size < 1:
        raise ValueError("table_size must be positive")
    lsb = x_t.lsb
    xmin, xmax = x_t.min_value, x_t.max_value
    lo, hi = max(dom_lo, xmin), min(dom_hi, xmax + lsb)
    if hi <= lo:  # the input never reaches the domain: a one-entry table at the nearest point
        p = min(max(dom_lo, xmin), xmax)
        return TableSpec(p, -x_t.fractional, 1, tail_at)
    s = max(-x_t.fractional, int(math.ceil(math.log2((hi - lo) / table_size))))
    while True:
        step = math.ldexp(1.0, s)
        lo_a = math.floor(lo / step) * step
        n = int(math.ceil((hi - lo_a) / step))
        if n <= table_size:
            return TableSpec(lo_a, s, max(n, 1), tail_at)
        s += 1


def table_samples(spec: TableSpec, x_t: FixedType) -> np.ndarray:
    """Centre of the input values present in each table bin."""
    a = spec.lo + np.arange(spec.n) * spec.step
    first = np.maximum(a, x_t.min_value)
    last = np.minimum(a + spec.step - x_t.lsb, x_t.max_value)
    return np.where(first <= last, (first + last) / 2.0, a + spec.step / 2.0)


# ---------------------------------------------------------------------------- Activation
@register
class Activation(Layer):
    kind = "Activation"
    precision_keys = ("result", "table", "slope", "bound", "accum")
    cpp_headers = ("nnet_activation.h",)
    cpp_config_tpl = """struct {{ config }} : nnet::activ_config {
    static const unsigned n_in = {{ n_in }};
    static const unsigned reuse_factor = {{ reuse_factor }};
    static const unsigned n_table = {{ n_table }};
    static const int step_log2 = {{ step_log2 }};
    static const unsigned tail = nnet::{{ tail }};
    static const bool has_max = {{ has_max }};
    static const bool has_slope = {{ has_slope }};
    static const unsigned max_shift = {{ max_shift }};
    typedef {{ table_t }} table_t;
    typedef {{ index_t }} index_t;
    typedef {{ t.slope }} slope_t;
    typedef {{ t.bound }} bound_t;
    typedef {{ t.accum }} accum_t;
    static slope_t slope() { return slope_t({{ slope }}); }
    static bound_t threshold() { return bound_t({{ threshold }}); }
    static bound_t max_value() { return bound_t({{ max_value }}); }
    static bound_t offset() { return bound_t({{ offset }}); }
    static bound_t table_lo() { return bound_t({{ table_lo }}); }
    static bound_t tail_at() { return bound_t({{ tail_at }}); }
};"""
    cpp_call_tpl = (
        "nnet::{{ func }}<{{ in_t[0] }}, {{ t.result }}, {{ config }}>"
        "({{ ins[0] }}, {{ out }}{% if uses_table %}, {{ tb.table }}{% endif %});"
    )

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        a = self.attrs
        original = str(a.get("activation", "linear")).lower()
        if original == "softmax":
            raise ValueError(
                f"layer {self.source_name!r}: softmax is its own layer kind (Softmax), not an Activation function"
            )
        if original not in ACTIVATIONS and original not in _ALIASES:
            raise ValueError(
                f"layer {self.source_name!r}: activation {original!r} is not supported; "
                f"supported: {', '.join(ACTIVATIONS)}, softmax (as a Softmax layer)"
            )
        a["activation"] = original
        self.fn = _ALIASES.get(original, original)
        a.setdefault("table_size", 1024)
        if self.fn == "hard_sigmoid":
            a.setdefault("variant", "keras3")
            _hs_slope(a)
        if self.fn == "elu":
            a.setdefault("alpha", 1.0)
        if self.fn == "gelu":
            a.setdefault("approximate", False)
        self.spec = None
        if self.fn in ("relu", "leaky_relu"):
            slope, thr, mx = _relu_params(self.fn, a, original)
            # plain max(x, 0) uses the simpler kernel
            self.relu_params = (slope, thr, mx)
            self.func = "relu" if (slope == 0.0 and thr == 0.0 and mx is None) else "keras_relu"
        elif self.fn in _TABLE_FUNCS:
            self.func = "table_activation"
        elif self.fn == "softsign":
            n = int(a["table_size"])
            if n < 2 or n & (n - 1) or n > 65536:
                raise ValueError(f"layer {self.source_name!r}: softsign table_size must be a power of two in 2..65536")
            self.func = "softsign"
        else:
            self.func = self.fn  # linear, hard_sigmoid
        self.recip = None

    # ------------------------------------------------------------------ capabilities
    @property
    def is_plain_relu(self) -> bool:
        a = self.attrs
        return a.get("activation") == "relu" and not any(a.get(k) for k in ("max_value", "negative_slope", "threshold"))

    @property
    def rounds_once(self) -> bool:
        """ReLU without a negative slope selects x or 0: one cast of an exact value."""
        return self.attrs.get("activation") == "relu" and not self.attrs.get("negative_slope")

    # ------------------------------------------------------------------ types
    def _auto_result(self, ctx) -> FixedType:
        d = ctx.default
        w = d.width
        modes = dict(rounding=d.rounding, saturation=d.saturation, sat_bits=d.sat_bits)
        nonneg = FixedType(w, d.integer - 1, False, **modes) if d.signed else d
        fn = self.fn
        if fn in ("relu", "leaky_relu"):
            slope, thr, mx = self.relu_params
            if slope == 0.0 and thr >= 0.0:
                if mx is not None:
                    return FixedType(w, bits_for_range(0.0, mx, signed=False), False, **modes)
                return nonneg
            return d
        if fn == "sigmoid":
            return FixedType(w, 0, False, **RND_SAT)
        if fn == "hard_sigmoid":
            return FixedType(w, 1, False, **RND_SAT)
        if fn in ("tanh", "softsign"):
            return FixedType(w, 1, True, **RND_SAT)
        if fn in ("softplus", "exponential"):
            return nonneg
        return d

    def infer_types(self, in_types, ctx):
        x_t = in_types[0]
        res = self.configured("result") or self._auto_result(ctx)
        self.types["result"] = res
        fn = self.fn
        slope_val, bounds = 0.0, [0.0]
        if fn in ("relu", "leaky_relu"):
            slope_val, thr, mx = self.relu_params
            bounds = [thr] + ([mx] if mx is not None else [])
        elif fn == "hard_sigmoid":
            slope_val, bounds = _hs_slope(self.attrs), [0.5]
        elif fn == "selu":
            slope_val = SELU_SCALE
        slope_t = self.configured("slope") or const_type(slope_val)
        self.types["slope"] = slope_t
        # table
        if fn in _TABLE_FUNCS:
            table_t = self.configured("table") or res.with_modes(**RND_SAT)
            self.types["table"] = table_t
            dlo, dhi, tail = _TABLE_FUNCS[fn]
            if fn == "exponential":
                dlo = math.log(table_t.lsb / 2.0)
                dhi = math.log(table_t.max_value) if table_t.max_value > 0 else 0.0
            if "table_range" in self.attrs:
                dlo, dhi = (float(v) for v in self.attrs["table_range"])
            tail_at = dhi if tail else None
            self.spec = plan_table(dlo, dhi, x_t, int(self.attrs["table_size"]), tail_at)
            bounds = [self.spec.lo] + ([tail_at] if tail else [])
        if fn == "softsign":
            table_t = self.configured("table") or FixedType(18, 0, False, **RND_SAT)
            self.types["table"] = table_t
            r_bits = int(self.attrs["table_size"]).bit_length() - 1
            u_int = bits_for_range(0.0, 1.0 + max(-x_t.min_value, x_t.max_value), signed=False)
            # at least r_bits fraction bits, so that (1 + |x|) >> p keeps the index bits
            u_t = FixedType(u_int + max(x_t.fractional, r_bits), u_int, False)
            max_shift = u_int - 1
            if max_shift > 31:
                raise ValueError(f"layer {self.source_name!r}: softsign input {x_t} is too wide")
            inv_t = FixedType(table_t.width + max_shift, table_t.integer, table_t.signed)
            self.recip = dict(r_bits=r_bits, u_t=u_t, max_shift=max_shift, inv_t=inv_t)
        bound_t = self.configured("bound") or bound_type(bounds, x_t)
        self.types["bound"] = bound_t
        acc = self.configured("accum")
        if acc is None:
            if fn == "hard_sigmoid":
                p = product_type(slope_t, x_t)
                sv = slope_t.quantize(slope_val)
                lo = min(sv * x_t.min_value, sv * x_t.max_value) + 0.5
                hi = max(sv * x_t.min_value, sv * x_t.max_value) + 0.5
                acc = exact_sum_type(lo, hi, max(p.fractional, bound_t.fractional))
            elif self.recip is not None:
                acc = self.recip["u_t"]
            else:
                acc = FixedType(2, 1, True)  # unused
        self.types["accum"] = acc

    # ------------------------------------------------------------------ tables
    def tables(self):
        if self.recip is not None:
            t = self.types["table"]
            return {"table": (t, t.quantize(reciprocal_table(self.recip["r_bits"])))}
        if self.spec is None:
            return {}
        x_t = self.in_types[0]
        xs = table_samples(self.spec, x_t)
        vals = float_activation(self.fn, xs, self.attrs)
        return {"table": (self.types["table"], self.types["table"].quantize(vals))}

    # ------------------------------------------------------------------ golden
    def _consts(self):
        sl, bd = self.types["slope"], self.types["bound"]
        q = lambda t, v: float(t.quantize(v))  # noqa: E731
        c = dict(slope=0.0, threshold=0.0, max_value=0.0, offset=0.0, table_lo=0.0, tail_at=0.0)
        if self.fn in ("relu", "leaky_relu"):
            slope, thr, mx = self.relu_params
            c.update(slope=q(sl, slope), threshold=q(bd, thr), max_value=q(bd, mx if mx is not None else 0.0))
        elif self.fn == "hard_sigmoid":
            c.update(slope=q(sl, _hs_slope(self.attrs)), offset=q(bd, 0.5))
        elif self.fn == "selu":
            c.update(slope=q(sl, SELU_SCALE))
        if self.spec is not None:
            c.update(table_lo=q(bd, self.spec.lo))
            if self.spec.tail_at is not None:
                c.update(tail_at=q(bd, self.spec.tail_at))
        return c

    def golden(self, xs):
        x = np.asarray(xs[0], dtype=np.float64)
        res = self.types["result"]
        c = self._consts()
        fn = self.fn
        if fn == "linear":
            return res.quantize(x)
        if self.func == "relu":
            return res.quantize(np.maximum(x, 0.0))
        if self.func == "keras_relu":
            slope, thr, mx = self.relu_params
            pos = x if mx is None else np.clip(x, 0.0, c["max_value"])
            neg = c["slope"] * (x - c["threshold"]) if slope != 0.0 else np.zeros_like(x)
            return res.quantize(np.where(x > c["threshold"], pos, neg))
        if fn == "hard_sigmoid":
            z = self.types["accum"].quantize(c["slope"] * x + c["offset"])
            return res.quantize(np.clip(z, 0.0, 1.0))
        if fn == "softsign":
            r = self.recip
            u = self.types["accum"].quantize(1.0 + np.abs(x))
            inv = reciprocal_golden(u, self.types["accum"], self.tables()["table"][1], r["r_bits"], r["max_shift"])
            return res.quantize(x * inv)
        # table functions
        table_t, table = self.tables()["table"]
        y = table[self.spec.index(x)]
        if self.spec.tail_at is not None:
            tail = x if fn != "selu" else c["slope"] * x
            y = np.where(x >= c["tail_at"], tail, y)
        return res.quantize(y)

    # ------------------------------------------------------------------ C++
    def cpp_context(self, graph):
        n_in = int(np.prod(graph.tensors[self.inputs[0]].shape))
        c = self._consts()
        spec = self.spec
        slope = self.relu_params[0] if self.fn in ("relu", "leaky_relu") else 0.0
        ctx = dict(
            n_in=n_in,
            reuse_factor=self.cfg.reuse_factor,
            func=self.func,
            uses_table=spec is not None or self.recip is not None,
            n_table=spec.n if spec else 1,
            step_log2=spec.step_log2 if spec else 0,
            max_shift=0,
            tail=TAIL_CODES[_TABLE_FUNCS[self.fn][2]] if spec else "tail_clamp",
            has_max="true" if (self.fn == "relu" and self.relu_params[2] is not None) else "false",
            has_slope="true" if slope != 0.0 else "false",
            table_t=self.types["table"].cpp() if spec else self.types["result"].cpp(),
            index_t=spec.index_type().cpp() if spec else "ap_uint<1>",
        )
        if self.recip is not None:
            r = self.recip
            ctx.update(n_table=1 << r["r_bits"], step_log2=-r["r_bits"], max_shift=r["max_shift"],
                       table_t=self.types["table"].cpp(), index_t=r["inv_t"].cpp())
        ctx.update({k: cpp_literal(v) for k, v in c.items()})
        return ctx


# ---------------------------------------------------------------------------- PReLU
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


# ---------------------------------------------------------------------------- Softmax
@register
class Softmax(Layer):
    kind = "Softmax"
    precision_keys = ("result", "exp_table", "inv_table", "accum")
    cpp_headers = ("nnet_softmax.h",)
    cpp_config_tpl = """struct {{ config }} : nnet::softmax_config {
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
};"""
    cpp_call_tpl = (
        "nnet::softmax<{{ in_t[0] }}, {{ t.result }}, {{ config }}>"
        "({{ ins[0] }}, {{ out }}, {{ tb.exp_table }}, {{ tb.inv_table }});"
    )

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        a = self.attrs
        a.setdefault("axis", -1)
        a.setdefault("exp_table_size", 1024)
        a.setdefault("inv_table_size", 1024)
        for k in ("exp_table_size", "inv_table_size"):
            v = int(a[k])
            if v < 2 or v & (v - 1) or v > 65536:
                raise ValueError(f"Softmax layer {self.source_name!r}: {k} must be a power of two in 2..65536, got {v}")
        self.n = None

    def output_shape(self, in_shapes):
        shape = tuple(in_shapes[0])
        axis = self.attrs["axis"]
        if axis not in (-1, len(shape)) and not (isinstance(axis, int) and axis == len(shape) - 1):
            raise ValueError(
                f"Softmax layer {self.source_name!r}: only the last axis is supported (got axis={axis} "
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
            raise ValueError(f"Softmax layer {self.source_name!r}: output_shape must run before infer_types")
        x_t = in_types[0]
        if x_t.width > 44:
            raise ValueError(f"Softmax layer {self.source_name!r}: input type {x_t} is wider than 44 bits")
        w = ctx.default.width
        self.types["result"] = self.configured("result") or FixedType(w, 0, False, **RND_SAT)
        et = self.configured("exp_table") or FixedType(18, 1, False, **RND_SAT)
        ev = np.exp2((np.arange(1 << self.exp_bits) + 0.5) / (1 << self.exp_bits))
        if np.abs(et.quantize(ev) - ev).max() > et.lsb or et.quantize(1.0) != 1.0:
            raise ValueError(
                f"Softmax layer {self.source_name!r}: exp_table type {et} must hold values in [1, 2) "
                "(e.g. ufixed<18,1>)"
            )
        it = self.configured("inv_table") or FixedType(18, 0, False, **RND_SAT)
        if it.max_value < 1.0 - 2.0 ** -self.inv_bits or it.min_value > 0.5:
            raise ValueError(f"Softmax layer {self.source_name!r}: inv_table type {it} must hold values in (1/2, 1)")
        ai = bits_for_range(0.0, float(self.n), signed=False)
        at = self.configured("accum") or FixedType(et.fractional + ai, ai, False)
        self.types.update(exp_table=et, inv_table=it, accum=at)
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
            raise ValueError(f"Softmax layer {self.source_name!r}: accum type {at} has too many integer bits")
        self._inv_scaled_t = FixedType(it.width + self._max_shift, it.integer, it.signed)

    def tables(self):
        E, R = self.exp_bits, self.inv_bits
        j = np.arange(1 << E)
        exp_vals = np.exp2((j + 0.5) / (1 << E))
        inv_vals = reciprocal_table(R)
        return {
            "exp_table": (self.types["exp_table"], self.types["exp_table"].quantize(exp_vals)),
            "inv_table": (self.types["inv_table"], self.types["inv_table"].quantize(inv_vals)),
        }

    def golden(self, xs):
        x = np.asarray(xs[0], dtype=np.float64)
        shape = x.shape
        x2 = x.reshape(-1, shape[-1])
        x_t = self.in_types[0]
        et, it, at, res = (self.types[k] for k in ("exp_table", "inv_table", "accum", "result"))
        tabs = self.tables()
        exp_tab, inv_tab = tabs["exp_table"][1], tabs["inv_table"][1]
        E, R = self.exp_bits, self.inv_bits
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
                        term_frac=et.fractional, bound=float(shape[-1]), total=lambda: e.sum(axis=1))  # e <= 1
        # 4: reciprocal
        inv_s = reciprocal_golden(s, at, inv_tab, R, self._max_shift)
        # 5: product and cast
        y = res.quantize(e * inv_s[:, None])
        return y.reshape(shape)

    def cpp_context(self, graph):
        shape = graph.tensors[self.inputs[0]].shape
        return dict(
            n_in=int(np.prod(shape)),
            n_slice=int(shape[-1]),
            reuse_factor=self.cfg.reuse_factor,
            exp_table_size=int(self.attrs["exp_table_size"]),
            exp_bits=self.exp_bits,
            inv_table_size=int(self.attrs["inv_table_size"]),
            inv_bits=self.inv_bits,
            max_shift=self._max_shift,
            diff_t=self._diff_t.cpp(),
            log2e_t=self._log2e_t.cpp(),
            exparg_t=self._exparg_t.cpp(),
            expint_t=self._expint_t.cpp(),
            exp_index_t=self._exp_index_t.cpp(),
            inv_scaled_t=self._inv_scaled_t.cpp(),
            log2e=cpp_literal(float(self._log2e_t.quantize(LOG2E))),
        )


# ---------------------------------------------------------------------------- BatchNormalization
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
