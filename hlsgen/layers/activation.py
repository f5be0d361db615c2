"""The Activation layer kind (``attrs['activation']``): piecewise-linear functions computed
exactly, table functions, and softsign.

The numpy ``golden`` is bit-exact with ``nnet_activation.h`` for inputs on the input type's
grid; it computes in float64 and is exact while intermediate products stay within 53 bits
(inputs up to about 32 bits wide with the default constant types).

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
  ``alpha``, default 0.3, or ``negative_slope``), ``threshold`` (0.0), ``min_value``
  (None: the floor of the negative side, max(negative_slope * (x - threshold), min_value),
  as QKeras' quantized_relu with a negative slope bounds it).
* ``threshold`` (PyTorch ``nn.Threshold`` / ``F.threshold``): y = x > threshold ? x : value.
  Attributes: ``threshold`` (required), ``value`` (0.0).  Both are quantized into the
  ``bound`` type, whose auto type is signed with the integer bits of both values and as
  many fractional bits as the larger of: those the two values need exactly (at most 32),
  the input's, 12; rounding TRN (floor), SAT.  So a threshold or value needing at most 32
  fractional bits (every float32 of magnitude >= 2^-9 does, 0.3f needs 24) is exact;
  a finer threshold is floored, which changes no comparison: for x on the input grid
  (fractional bits <= those of ``bound``), x > t exactly when x > floor(t).  The value
  (exact, or floored on the same terms) is then cast to the result type, as x is.
* ``hard_sigmoid``: y = clip(slope * x + 1/2, 0, 1) with ``attrs['variant']``:
  ``'keras3'`` (default; relu6(x + 3) / 6, slope 1/6), ``'tf_keras'`` (slope 0.2) or
  ``'qkeras'`` (QKeras' hard_sigmoid and quantized_sigmoid, slope 0.5).

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
comparison constants: threshold, max_value, 1/2, table lo / tail_at, the threshold
function's value (its own auto type: above); auto: exact when the
value is, at least as many fractional bits as the input and >= 12), ``accum`` (internal
exact type of slope * x + offset of hard_sigmoid; auto: exact).

Result 'auto' rules (W = width of the context default D):
  bounded outputs get a same-width type placed on their range, RND/SAT:
  sigmoid ufixed<W,0>, hard_sigmoid ufixed<W,1> (holds 1 exactly), tanh and softsign
  fixed<W,1>;  non-negative outputs (relu without negative slope and threshold >= 0,
  threshold with threshold >= 0 and value >= 0, softplus, exponential) get
  ufixed<W, I_D - 1> with D's modes (same range, one more
  fractional bit), or ufixed<W, bits(max_value)> for relu with ``max_value``;  all others D.
"""
from __future__ import annotations

import math

import numpy as np

from ..fixed import FixedType, bits_for_range
from .base import Layer, register
from .dense import WEIGHT_MODES, exact_sum_type, weight_type
from .tables import RND_SAT, cpp_literal, plan_table, reciprocal_golden, reciprocal_table, table_samples

CONST_WIDTH = 18  # width of the auto types of multiplicative constants
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

ACTIVATIONS = (
    "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "sigmoid", "hard_sigmoid",
    "tanh", "softplus", "softsign", "swish", "silu", "exponential", "gelu", "threshold",
)
_ALIASES = {"silu": "swish", "relu6": "relu", "leakyrelu": "leaky_relu", "leaky": "leaky_relu"}


# ---------------------------------------------------------------------------- constants
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


# ---------------------------------------------------------------------------- float definitions
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
        neg = slope * (x - thr)
        if a.get("min_value") is not None and slope != 0.0:
            neg = np.maximum(neg, float(a["min_value"]))
        return np.where(x > thr, pos, neg)
    if name == "threshold":
        thr, value = _threshold_params(a)
        return np.where(x > thr, x, value)
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


def _threshold_params(attrs):
    """(threshold, value) of the threshold function (PyTorch nn.Threshold)."""
    if attrs.get("threshold") is None:
        raise ValueError("the threshold activation needs a 'threshold' attribute")
    thr, value = float(attrs["threshold"]), float(attrs.get("value", 0.0) or 0.0)
    if not (math.isfinite(thr) and math.isfinite(value)):
        raise ValueError(f"the threshold activation needs a finite threshold and value, got {thr} and {value}")
    return thr, value


def threshold_bound_type(values, x_t: FixedType, min_frac: int = 12, max_exact: int = 32) -> FixedType:
    """Auto ``bound`` type of the threshold activation: exact for values needing at most
    ``max_exact`` fractional bits, and at least as fine as the input; TRN (floor), so that a
    threshold that is not exact still gives every comparison with an input exactly."""
    vals = [float(v) for v in values] or [0.0]
    f = max(frac_bits_needed(vals, max_exact), x_t.fractional, min_frac)
    i = max(bits_for_range(min(min(vals), 0.0), max(max(vals), 0.0), signed=True), 1)
    return FixedType(i + f, i, True, rounding="TRN", saturation="SAT")


def _hs_slope(attrs):
    variant = attrs.get("variant", "keras3")
    slopes = {"keras3": 1.0 / 6.0, "tf_keras": 0.2, "qkeras": 0.5}
    if variant not in slopes:
        raise ValueError(f"hard_sigmoid variant {variant!r} unknown; valid: 'keras3' (relu6(x+3)/6), 'tf_keras' "
                         "(0.2x+0.5), 'qkeras' (0.5x+0.5)")
    return slopes[variant]


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


# ---------------------------------------------------------------------------- Activation
@register
class Activation(Layer):
    kind = "Activation"
    precision_keys = ("result", "table", "slope", "bound", "accum")
    config_keys = ("table_size",)  # entries of a table function's table (hls4ml's table_size / TableSize)
    cpp_headers = ("nnet_activation.h",)
    cpp_config_tpl = """struct {{ config }} : nnet::activ_config {
    static const unsigned n_in = {{ n_in }};
    static const unsigned reuse_factor = {{ reuse_factor }};
    static const unsigned n_table = {{ n_table }};
    static const int step_log2 = {{ step_log2 }};
    static const unsigned tail = nnet::{{ tail }};
    static const bool has_max = {{ has_max }};
    static const bool has_slope = {{ has_slope }};
    static const bool has_min = {{ has_min }};
    static const unsigned max_shift = {{ max_shift }};
    typedef {{ table_t }} table_t;
    typedef {{ index_t }} index_t;
    typedef {{ t.slope }} slope_t;
    typedef {{ t.bound }} bound_t;
    typedef {{ t.accum }} accum_t;
    static slope_t slope() { return slope_t({{ slope }}); }
    static bound_t threshold() { return bound_t({{ threshold }}); }
    static bound_t max_value() { return bound_t({{ max_value }}); }
    static bound_t min_value() { return bound_t({{ min_value }}); }
    static bound_t offset() { return bound_t({{ offset }}); }
    static bound_t table_lo() { return bound_t({{ table_lo }}); }
    static bound_t tail_at() { return bound_t({{ tail_at }}); }
    static bound_t value() { return bound_t({{ value }}); }
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
        self.neg_floor = None
        if self.fn in ("relu", "leaky_relu"):
            slope, thr, mx = _relu_params(self.fn, a, original)
            # plain max(x, 0) uses the simpler kernel
            self.relu_params = (slope, thr, mx)
            if a.get("min_value") is not None and slope != 0.0:
                self.neg_floor = float(a["min_value"])
            self.func = "relu" if (slope == 0.0 and thr == 0.0 and mx is None) else "keras_relu"
        elif self.fn == "threshold":
            try:
                self.threshold_params = _threshold_params(a)
            except ValueError as e:
                raise ValueError(f"layer {self.source_name!r}: {e}") from None
            a["threshold"], a["value"] = self.threshold_params
            self.func = "threshold_activation"
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

    def configure(self, options: dict, implementation) -> None:
        if "table_size" in options:
            n = options["table_size"]
            if isinstance(n, bool) or not isinstance(n, int) or n < 2 or n & (n - 1) or n > 65536:
                raise ValueError(f"layer {self.source_name!r}: table_size must be a power of two in 2..65536, "
                                 f"got {n!r}")
            self.attrs["table_size"] = n

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
        if fn == "threshold":
            thr, value = self.threshold_params
            return nonneg if thr >= 0.0 and value >= 0.0 else d
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
            bounds = [thr] + ([mx] if mx is not None else []) + ([self.neg_floor] if self.neg_floor is not None else [])
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
        if fn == "threshold":
            bound_t = self.configured("bound") or threshold_bound_type(self.threshold_params, x_t)
        else:
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
        c = dict(slope=0.0, threshold=0.0, max_value=0.0, min_value=0.0, offset=0.0, table_lo=0.0, tail_at=0.0,
                 value=0.0)
        if self.fn in ("relu", "leaky_relu"):
            slope, thr, mx = self.relu_params
            c.update(slope=q(sl, slope), threshold=q(bd, thr), max_value=q(bd, mx if mx is not None else 0.0),
                     min_value=q(bd, self.neg_floor if self.neg_floor is not None else 0.0))
        elif self.fn == "threshold":
            thr, value = self.threshold_params
            c.update(threshold=q(bd, thr), value=q(bd, value))
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
            if self.neg_floor is not None:
                neg = np.maximum(neg, c["min_value"])
            return res.quantize(np.where(x > c["threshold"], pos, neg))
        if fn == "threshold":
            return np.where(x > c["threshold"], res.quantize(x), res.quantize(c["value"]))
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
            has_min="true" if self.neg_floor is not None else "false",
            table_t=self.types["table"].cpp() if spec else self.types["result"].cpp(),
            index_t=spec.index_type().cpp() if spec else "ap_uint<1>",
        )
        if self.recip is not None:
            r = self.recip
            ctx.update(n_table=1 << r["r_bits"], step_log2=-r["r_bits"], max_shift=r["max_shift"],
                       table_t=self.types["table"].cpp(), index_t=r["inv_t"].cpp())
        ctx.update({k: cpp_literal(v) for k, v in c.items()})
        return ctx
