"""QKeras quantizers -> exact fixed-point types, and QKeras' weight quantization in numpy.

Semantics are those of QKeras 0.9.0 (``qkeras/quantizers.py``), evaluated in float32
like QKeras.  Every quantizer hlsgen accepts is mapped *exactly*; anything that cannot be
(stochastic rounding, non-power-of-two scales, data-dependent activation scales, the
'real'/'smooth' internal sigmoid, ...) raises a ``ValueError`` naming the layer, the
quantizer and the reason.  Nothing is silently approximated.

Activation quantizers (``activation_plan``) -> IR steps
=======================================================
============================================  ===============================================
QKeras (forward pass)                          hlsgen
============================================  ===============================================
quantized_bits(b, i, keep_negative=1)          Activation linear -> fixed<b, i+1, RND_CONV, SAT>
quantized_bits(b, i, symmetric=1)              ... fixed<b, i+1, RND_CONV, SAT_SYM>
quantized_bits(b, i, keep_negative=0)          ... ufixed<b, i, RND_CONV, SAT>
quantized_relu(b, i)                           Activation relu -> ufixed<b, i, RND_CONV, SAT>
quantized_relu(..., relu_upper_bound=U,        relu with max_value U (U on the output grid)
  is_quantized_clip=False) (object only)
quantized_tanh(b) (hard tanh, the default)     Activation linear -> fixed<b, 1, RND_CONV, SAT>
quantized_tanh(b, symmetric=1)                 ... fixed<b, 1, RND_CONV, SAT_SYM>
quantized_sigmoid(b) (hard sigmoid)            BatchNormalization x*0.5 + 0.5 (exact) ->
                                               ufixed<b, 0, RND_CONV, SAT>
============================================  ===============================================
QKeras rounds with ``tf.round`` (half to even) = AP_RND_CONV; it rounds first and clips
after, like ap_fixed (quantization, then overflow).  quantized_bits(b, i) keeps
2^(b-1) - 1 positive levels of 2^(i-b+1): exactly ap_fixed<b, i+1>.

Weight quantizers (``quantize_weights`` + ``weight_type``)
==========================================================
The weights are quantized here exactly as QKeras computes them (float32 arithmetic,
straight-through ``x + (-x + xq)`` included); the IR stores those values and the weight
type holds every one of them exactly: the quantizer's own type when it has one
(quantized_bits with alpha None/1: fixed<b, i+1>), otherwise the narrowest type holding
the values (``exact_type``).  Power-of-two scales (alpha arrays, 'auto_po2', 'auto' when
every scale it computes happens to be a power of two) are folded into the values: a
product by 2^k is exact, so the weight type just gets more bits.  binary, ternary,
quantized_po2 and quantized_relu_po2 weights are exact values as well.
ternary weights with alpha 'auto'/'auto_po2' take QKeras' own output (the scale is a float32
per-channel mean whose summation order TensorFlow picks by CPU and shape, so only QKeras
reproduces it bit for bit): the levels -s, 0, +s per output channel are exactly the float32
weights QKeras multiplies by, held exactly as unquantized weights are.  Refused: without the
QKeras object (a quantizer given as text), and when the straight-through sum rounds a weight
off its level (a weight beyond 2s: QKeras' eager and traced runs then differ by an ulp).
Rejected: stochastic rounding, qnoise_factor != 1, quantized_bits 'auto' scales that are not
powers of two (QKeras multiplies integer levels by an arbitrary float32 scale: not
reproducible bit for bit).

Limits of bit-exactness (QKeras computes in float32): a sum or product QKeras evaluates in
float32 is exact only while it fits 24 significant bits; hlsgen's fixed point is always
exact, so the two agree whenever QKeras' own float32 arithmetic is exact (true for usual
quantized networks: e.g. 6-bit weights x 6-bit activations, sums of up to ~2^12 terms).
Inputs: QKeras takes the float input as is; hlsgen quantizes it to the input type (an
input read only by a quantizer takes that quantizer's grid, so it is rounded once as in
QKeras; otherwise Model.Precision), so other inputs must be exact in that type (or set the
input precision).  Accumulators are exact by default and can get wide (a BatchNormalization
folded into quantized weights: float32 scales); set ``accum``/``result`` in the
configuration to trade exactness for size.
binary, binary_tanh and ternary activations (fixed alpha and threshold) are Step layers
(``layers.step``): exact comparisons against QKeras' float32 thresholds; QKeras returns the
level through a float32 straight-through sum x + (-x + q), which can miss q by one float32
ulp of x (large |x|), where hlsgen gives q.
quantized_relu with a negative slope (QKeras takes powers of two) is a leaky ReLU whose
negative side is floored at -2^integer * slope (QKeras' clip), exact.
Not implemented (rejected with a message): quantized_relu with use_sigmoid, 1-bit sign / po2 *activations*, alpha='auto'
on binary/ternary activations (data-dependent scales), use_real_tanh/sigmoid (float32
transcendental functions of every value).
QBatchNormalization in QKeras multiplies by a float32 rsqrt: exact agreement after the
next quantizer then holds unless a float32 rounding of x*inv lands exactly across a
rounding boundary of that quantizer (probability ~2^-18 per value with 24-bit scales;
none with scales of few significant bits).
"""
from __future__ import annotations

import ast
import math
import os
import sys
import warnings
from dataclasses import dataclass, field

import numpy as np

from .fixed import FixedType, bits_for_range

WEIGHT_MODES = dict(rounding="RND_CONV", saturation="SAT")
EPS = 1e-7  # tf.keras.backend.epsilon()

# positional parameter order of each QKeras 0.9 quantizer's __init__, with defaults
PARAMS = {
    "quantized_bits": [("bits", 8), ("integer", 0), ("symmetric", 0), ("keep_negative", True), ("alpha", None),
                       ("use_stochastic_rounding", False), ("scale_axis", None), ("qnoise_factor", 1.0),
                       ("var_name", None), ("use_ste", True), ("use_variables", False)],
    "quantized_relu": [("bits", 8), ("integer", 0), ("use_sigmoid", 0), ("negative_slope", 0.0),
                       ("use_stochastic_rounding", False), ("relu_upper_bound", None), ("is_quantized_clip", True),
                       ("qnoise_factor", 1.0), ("var_name", None), ("use_ste", True), ("use_variables", False)],
    "quantized_tanh": [("bits", 8), ("use_stochastic_rounding", False), ("symmetric", False),
                       ("use_real_tanh", False)],
    "quantized_sigmoid": [("bits", 8), ("symmetric", False), ("use_real_sigmoid", False),
                          ("use_stochastic_rounding", False)],
    "binary": [("use_01", False), ("alpha", None), ("use_stochastic_rounding", False)],
    "ternary": [("alpha", None), ("threshold", None), ("use_stochastic_rounding", False),
                ("number_of_unrolls", 5)],
    "binary_tanh": [],
    "quantized_po2": [("bits", 8), ("max_value", None), ("use_stochastic_rounding", False),
                      ("quadratic_approximation", False), ("log2_rounding", "rnd"), ("qnoise_factor", 1.0),
                      ("var_name", None), ("use_ste", True), ("use_variables", False)],
    "quantized_relu_po2": [("bits", 8), ("max_value", None), ("negative_slope", 0), ("use_stochastic_rounding", False),
                           ("quadratic_approximation", False), ("log2_rounding", "rnd"), ("qnoise_factor", 1.0),
                           ("var_name", None), ("use_ste", True), ("use_variables", False)],
}
ALWAYS_REJECTED = {
    "stochastic_binary": "it rounds stochastically",
    "stochastic_ternary": "it rounds stochastically",
    "bernoulli": "it samples randomly",
    "quantized_ulaw": "its mu-law companding has no exact fixed-point form",
    "quantized_hswish": "hard swish is not implemented exactly",
}
SUPPORTED = ", ".join(sorted(PARAMS))


# ---------------------------------------------------------------------------- parsing
@dataclass
class Quantizer:
    """A QKeras quantizer in plain data: its class name and its full parameter set."""

    name: str
    params: dict
    obj: object = None  # the QKeras object, when there is one
    where: str = ""  # "layer 'fc1' kernel_quantizer", for messages
    text: str = field(default="", repr=False)

    def __getitem__(self, k):
        return self.params[k]

    def fail(self, why: str):
        raise ValueError(f"{self.where or 'quantizer'}: {self.text or self.name} cannot be mapped exactly: {why}")


def _literal(node):
    try:
        return ast.literal_eval(node)
    except ValueError:
        if isinstance(node, ast.Name) and node.id in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[node.id]
        raise


def parse_quantizer(q, where: str = "") -> Quantizer | None:
    """A QKeras quantizer object, its serialized dict, or its string form -> ``Quantizer``.
    Returns None for None (no quantizer)."""
    if q is None:
        return None
    obj = None
    if isinstance(q, str):
        text = q.strip()
        try:
            tree = ast.parse(text, mode="eval").body
        except SyntaxError:
            raise ValueError(f"{where}: cannot parse quantizer {q!r}") from None
        if isinstance(tree, ast.Name):
            name, args, kwargs = tree.id, [], {}
        elif isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name):
            name = tree.func.id
            args = [_literal(a) for a in tree.args]
            kwargs = {k.arg: _literal(k.value) for k in tree.keywords}
        else:
            raise ValueError(f"{where}: cannot parse quantizer {q!r}")
    elif isinstance(q, dict):
        name = q.get("class_name")
        args, kwargs = [], dict(q.get("config") or {})
        text = f"{name}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"
    elif callable(q) and getattr(q, "__name__", None) == "binary_tanh" and \
            str(getattr(q, "__module__", "")).startswith("qkeras"):
        name, args, kwargs, text = "binary_tanh", [], {}, "binary_tanh"  # a function, not a class
    elif hasattr(q, "get_config") and type(q).__module__.startswith("qkeras"):
        obj = q
        name = type(q).__name__
        args, kwargs = [], dict(q.get_config())
        # attributes the config does not serialize but the forward pass uses
        for extra in ("is_quantized_clip", "use_ste", "scale_axis"):
            if hasattr(q, extra):
                kwargs.setdefault(extra, getattr(q, extra))
        text = str(q)
    else:
        raise ValueError(f"{where}: {q!r} is not a QKeras quantizer (object, dict or string)")
    if name in ALWAYS_REJECTED:
        raise ValueError(f"{where}: {name} cannot be mapped exactly: {ALWAYS_REJECTED[name]}")
    if name not in PARAMS:
        raise ValueError(f"{where}: quantizer {name!r} is not supported; supported: {SUPPORTED}")
    spec = PARAMS[name]
    if len(args) > len(spec):
        raise ValueError(f"{where}: {text}: too many arguments for {name}")
    params = {k: d for k, d in spec}
    for (k, _), v in zip(spec, args):
        params[k] = v
    for k, v in kwargs.items():
        if k in params:
            params[k] = v
    for k in ("integer", "qnoise_factor"):
        v = params.get(k)
        if v is not None and hasattr(v, "numpy"):
            params[k] = v.numpy()
    if isinstance(params.get("alpha"), (list, tuple)):
        params["alpha"] = np.asarray(params["alpha"], dtype=np.float32)
    qz = Quantizer(name, params, obj, where, text)
    if params.get("use_stochastic_rounding"):
        qz.fail("use_stochastic_rounding=True rounds randomly")
    qn = params.get("qnoise_factor", 1.0)
    if qn is not None and float(np.asarray(qn)) != 1.0:
        qz.fail(f"qnoise_factor={qn} mixes unquantized values into the output")
    return qz


# ---------------------------------------------------------------------------- exact types
def frac_bits(values, limit: int = 160) -> int:
    """Fewest fractional bits (may be negative) representing every value exactly."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[v != 0]
    if v.size == 0:
        return 0
    if not np.all(np.isfinite(v)):
        raise ValueError("cannot represent NaN or infinity in fixed point")
    # v = m * 2^e with integer m (53 bits): fractional bits needed = -(e + trailing zeros of m)
    m, e = np.frexp(v)  # v = m * 2^e, 0.5 <= |m| < 1
    mi = np.abs(np.ldexp(m, 53)).astype(np.int64)  # exact integer mantissa
    tz = np.zeros_like(mi)
    t = mi.copy()
    for _ in range(53):
        even = (t & 1) == 0
        if not even.any():
            break
        tz += even
        t = np.where(even, t >> 1, t)
    need = -(e.astype(np.int64) - 53 + tz)
    f = int(need.max())
    if f > limit:
        raise ValueError(f"values need {f} fractional bits")
    return f


def exact_type(values, signed: bool | None = None) -> FixedType:
    """The narrowest fixed-point type holding every value exactly (RND_CONV, SAT)."""
    v = np.asarray(values, dtype=np.float64)
    lo = float(v.min()) if v.size else 0.0
    hi = float(v.max()) if v.size else 0.0
    if signed is None:
        signed = lo < 0
    f = frac_bits(v)
    if lo == 0.0 and hi == 0.0:
        return FixedType(2, 2, True, **WEIGHT_MODES)
    i = bits_for_range(min(lo, 0.0), max(hi, 0.0), signed=signed)
    return FixedType(max(i + f, 1), i if i + f >= 1 else 1 - f, signed, **WEIGHT_MODES)


def _pow2(x) -> bool:
    x = np.abs(np.asarray(x, dtype=np.float64))
    m, _ = np.frexp(x)
    return bool(np.all((x > 0) & (m == 0.5)))


# ---------------------------------------------------------------------------- weights (numpy)
def _f32(x):
    return np.asarray(x, dtype=np.float32)


def _ste(x, xq):
    """QKeras' forward value x + stop_gradient(-x + xq), in float32 like TF."""
    x, xq = _f32(x), _f32(xq)
    return (x + ((-x) + xq)).astype(np.float32)


def _bits_core(qz: Quantizer, x):
    """quantized_bits with a fixed scale: (xq before the scale, scale)."""
    bits, integer = int(qz["bits"]), int(np.asarray(qz["integer"]))
    keep_neg, sym = bool(qz["keep_negative"]), bool(qz["symmetric"])
    unsigned_bits = bits - int(keep_neg)
    m = np.float32(2.0**unsigned_bits)
    m_i = np.float32(2.0**integer)
    if unsigned_bits > 0:
        p = x * m / m_i
        lo = np.float32(int(keep_neg) * (-m + int(sym)))
        xq = m_i * np.clip(np.round(p), lo, m - 1) / m
    else:
        xq = np.sign(x)
        xq = xq + (np.float32(1.0) - np.abs(xq))
        if not keep_neg:
            xq = (xq + 1) / 2
    return xq.astype(np.float32)


def _scale_axes(x, scale_axis):
    n = x.ndim
    if scale_axis is not None:
        return tuple(a for a in range(n) if a != scale_axis)
    return tuple(range(n - 1)) if n > 1 else (0,)


def _auto_bits(qz: Quantizer, x):
    """quantized_bits with alpha 'auto'/'auto_po2' (float32 like QKeras); returns (xq, scale)."""
    bits, integer = int(qz["bits"]), int(np.asarray(qz["integer"]))
    keep_neg = bool(qz["keep_negative"])
    m = np.float32(2.0 ** (bits - int(keep_neg)))
    m_i = np.float32(2.0**integer)
    axis = _scale_axes(x, qz["scale_axis"])
    xs = (x / m_i).astype(np.float32)
    levels = np.float32((2 ** (bits - 1) - 1) * 2)  # alpha 'auto*' forces symmetric
    scale = (np.max(np.abs(xs), axis=axis, keepdims=True) * 2 / levels).astype(np.float32)

    def z_of(scale):
        v = np.floor(np.abs(xs) / scale + np.float32(0.5)).astype(np.float32)
        return (np.sign(xs) * np.where(v < levels / 2, v, levels / 2)).astype(np.float32)

    def po2(s):
        return np.power(np.float32(2.0), np.round(np.log(s + np.float32(EPS)) / np.float32(np.log(2.0)))).astype(
            np.float32)

    if "po2" in qz["alpha"]:
        scale = po2(scale)
        for _ in range(5):
            z = z_of(scale)
            if x.ndim > 1:
                qx = np.mean((xs * z).astype(np.float64), axis=axis, keepdims=True)
                qq = np.mean((z * z).astype(np.float64), axis=axis, keepdims=True)
            else:
                qx, qq = xs * z, z * z
            scale = po2(_f32(qx) / (_f32(qq) + np.float32(EPS)))
    else:
        z = z_of(scale)
    z = z_of(scale) if "po2" in qz["alpha"] else z
    scale = scale * m
    xq = (m_i * z / m).astype(np.float32)
    return xq, scale.astype(np.float32)


def _po2_exponents(qz, x_abs, min_exp, max_exp):
    eps = np.float32(EPS)
    xf = np.where(x_abs < eps, eps, x_abs).astype(np.float32)
    mv = qz["max_value"]
    if mv is not None:
        xf = np.where(xf >= mv, np.float32(mv), xf).astype(np.float32)
    qf = 1.0
    if qz["quadratic_approximation"]:
        qf, xf = 2.0, np.sqrt(xf)
    lg = (np.log(xf) / np.float32(np.log(2.0))).astype(np.float32)
    lg = np.floor(lg) if qz["log2_rounding"] == "floor" else np.round(lg)
    e = qf * np.clip(lg, min_exp, max_exp)
    return np.where(x_abs < eps, float(min_exp), e)


def _po2_range(qz, bits_excl_sign):
    mv = qz["max_value"]
    sign_bit = 1 if (mv is None or mv > 1) else 0
    eff = bits_excl_sign - sign_bit
    lo, hi = -(2**eff), 2**eff - 1
    if qz["quadratic_approximation"]:
        hi = 2 * (hi // 2)
    return lo, hi


def quantize_weights(qz: Quantizer, w) -> np.ndarray:
    """The weights as QKeras' forward pass sees them (float64 array of float32 values)."""
    x = _f32(w)
    name = qz.name
    if name == "quantized_bits":
        alpha = qz["alpha"]
        if isinstance(alpha, str):
            if alpha not in ("auto", "auto_po2"):
                qz.fail(f"alpha={alpha!r} is unknown")
            xq, scale = _auto_bits(qz, x)
            if not _pow2(scale):
                qz.fail(f"alpha={alpha!r} gives per-channel scales {np.unique(scale)[:4]}... that are not powers "
                        "of two (a float multiply QKeras does in float32); use alpha='auto_po2' or alpha=1")
            xq = scale * xq
        else:
            xq = _bits_core(qz, x)
            if alpha is not None:
                a = _f32(alpha)
                if not _pow2(a):
                    qz.fail(f"alpha={alpha} is not a power of two")
                xq = a * xq
    elif name == "binary":
        alpha = qz["alpha"]
        s = np.sign(x)
        s = s + (np.float32(1.0) - np.abs(s))
        if qz["use_01"]:
            s = (s + 1) / 2
        if alpha is None:
            x = np.tanh(x).astype(np.float32)  # STE only: forward value is scale * sign
            scale = np.float32(1.0)
        elif isinstance(alpha, str):
            axis = _scale_axes(x, None)
            if x.ndim > 1:
                qx = np.mean((x * s).astype(np.float64), axis=axis, keepdims=True)
                qq = np.mean((s * s).astype(np.float64), axis=axis, keepdims=True)
            else:
                qx, qq = x * s, s * s
            scale = _f32(qx) / (_f32(qq) + np.float32(EPS))
            if alpha == "auto_po2":
                scale = np.power(np.float32(2.0), np.round(np.log(scale + np.float32(EPS)) / np.float32(np.log(2.0))))
            elif not _pow2(scale):
                qz.fail("alpha='auto' gives scales that are not powers of two")
        else:
            scale = _f32(alpha)
            if not _pow2(scale):
                qz.fail(f"alpha={alpha} is not a power of two")
        xq = (scale * s).astype(np.float32)
    elif name == "ternary":
        alpha, thr = qz["alpha"], qz["threshold"]
        if isinstance(alpha, str):
            qz.fail("alpha='auto'/'auto_po2' ternary weights: pass the QKeras layer object (its per-channel scale "
                    "is a float32 mean whose summation order TensorFlow chooses, so QKeras computes it at conversion)")
        t = np.float32(0.33 if thr is None else thr)
        q = (np.abs(x) >= t).astype(np.float32) * np.sign(x)
        scale = np.float32(1.0) if alpha is None else _f32(alpha)
        if not _pow2(scale):
            qz.fail(f"alpha={alpha} is not a power of two")
        if alpha is None:
            x = np.tanh(x).astype(np.float32)
        xq = (scale * q).astype(np.float32)
    elif name == "quantized_po2":
        sgn = np.sign(x)
        sgn = sgn + (np.float32(1.0) - np.abs(sgn))
        lo, hi = _po2_range(qz, int(qz["bits"]) - 1)
        e = _po2_exponents(qz, np.abs(x), lo, hi)
        xq = (sgn * np.power(np.float32(2.0), e.astype(np.float32))).astype(np.float32)
    elif name == "quantized_relu_po2":
        if qz["negative_slope"]:
            qz.fail("negative_slope on a weight quantizer is not supported")
        lo, hi = _po2_range(qz, int(qz["bits"]))
        xr = np.maximum(x, 0)
        mv = qz["max_value"]
        xu = xr if mv is None else np.where(x <= mv, xr, np.float32(mv))
        e = _po2_exponents(qz, np.maximum(x, 0), lo, hi)
        xq = np.power(np.float32(2.0), e.astype(np.float32)).astype(np.float32)
        x = xu.astype(np.float32)
    else:
        qz.fail("it is an activation quantizer, not supported on weights")
    return _ste(x, xq).astype(np.float64)


def _check_levels(qz: Quantizer, y):
    """ternary 'auto' weights must be exactly -s, 0, +s per output channel (the last axis): QKeras'
    straight-through sum x + (-x + s*q) is then exact (|x| within [s/2, 2s]), so eager and traced
    runs of QKeras agree; a weight that sum rounds is refused."""
    cols = np.abs(y).reshape(-1, y.shape[-1]) if y.ndim > 1 else np.abs(y).reshape(1, -1)  # 1-D: per element
    for c in range(cols.shape[1]):
        levels = np.unique(cols[:, c][cols[:, c] != 0])
        if len(levels) > 1:
            qz.fail(f"alpha={qz['alpha']!r}: in output channel {c} QKeras' straight-through sum x + (-x + s*q) "
                    f"rounds some weights off the level s (|w| {levels[:3]}): a weight far outside [s/2, 2s], "
                    "whose float32 value QKeras' own eager and traced runs do not agree on")


def quantize_weights_qkeras(qz: Quantizer, w):
    """The same, computed by QKeras itself (needs its object); None when unavailable."""
    if qz.obj is None or not callable(qz.obj):
        return None
    import tensorflow as tf

    y = qz.obj(tf.constant(np.asarray(w, dtype=np.float32)))
    y = np.asarray(y.numpy() if hasattr(y, "numpy") else y, dtype=np.float64)
    if qz.name == "ternary" and isinstance(qz.params.get("alpha"), str):
        _check_levels(qz, y)
        return y
    if qz.name in ("quantized_bits", "binary", "ternary"):
        scale = getattr(qz.obj, "scale", None)
        if isinstance(qz.params.get("alpha"), str) and scale is not None:
            s = np.asarray(scale.numpy() if hasattr(scale, "numpy") else scale, dtype=np.float64)
            if not _pow2(s):
                qz.fail(f"alpha={qz['alpha']!r} gives scales that are not powers of two (e.g. {s.ravel()[:3]}); "
                        "QKeras multiplies by them in float32, which fixed point cannot reproduce")
    return y


def declared_type(qz: Quantizer) -> FixedType | None:
    """The fixed-point type a quantizer's outputs lie in, when it has one of its own."""
    if qz.name == "quantized_bits" and qz["alpha"] in (None, 1, 1.0):
        bits, integer = int(qz["bits"]), int(np.asarray(qz["integer"]))
        keep_neg = bool(qz["keep_negative"])
        if bits - int(keep_neg) <= 0:
            return FixedType(2, 2, True, **WEIGHT_MODES)  # {-1, +1}
        sat = "SAT_SYM" if (qz["symmetric"] and keep_neg) else "SAT"
        if keep_neg:
            return FixedType(bits, integer + 1, True, "RND_CONV", sat)
        return FixedType(bits, integer, False, "RND_CONV", sat)
    return None


def weight_type(qz: Quantizer | None, values) -> FixedType:
    """The exact type of quantized weights: the quantizer's own type if it holds them, else
    the narrowest exact type of the values."""
    v = np.asarray(values, dtype=np.float64)
    t = declared_type(qz) if qz is not None else None
    if t is not None and np.array_equal(t.quantize(v), v):
        return t
    return exact_type(v, signed=True if v.size and v.min() < 0 else None)


# ---------------------------------------------------------------------------- activations
@dataclass
class Step:
    """One IR layer an activation quantizer becomes: kind, attrs (types included), weights."""

    kind: str
    attrs: dict
    weights: dict = field(default_factory=dict)


def _internal_sigmoid_is_hard(qz):
    """QKeras' global internal sigmoid (set_internal_sigmoid); 'hard' unless changed."""
    mod = sys.modules.get("qkeras.quantizers")
    if mod is None:
        return True
    return getattr(mod, "_sigmoid", None) is getattr(mod, "hard_sigmoid", None)


def activation_plan(qz: Quantizer) -> list:
    """The IR layers computing activation quantizer ``qz`` exactly (see the module table)."""
    n = qz.name
    if n == "quantized_bits":
        if qz["alpha"] not in (None, 1, 1.0):
            qz.fail(f"alpha={qz['alpha']!r} on activations scales by a data-dependent or non-unit factor")
        bits, keep_neg = int(qz["bits"]), bool(qz["keep_negative"])
        if bits - int(keep_neg) <= 0:
            qz.fail("a 1-bit sign activation is not implemented")
        return [Step("Activation", {"activation": "linear", "types": {"result": declared_type(qz)}})]
    if n == "quantized_relu":
        if qz["use_sigmoid"]:
            qz.fail("use_sigmoid=1 gives a non-uniform output grid (not implemented)")
        bits, integer = int(qz["bits"]), int(np.asarray(qz["integer"]))
        if float(qz["negative_slope"] or 0.0) != 0.0:
            return [_leaky_relu_plan(qz, bits, integer)]
        t = FixedType(bits, integer, False, "RND_CONV", "SAT")
        attrs = {"activation": "relu", "types": {"result": t}}
        ub = qz["relu_upper_bound"]
        if ub is not None and not qz.params.get("is_quantized_clip", True) and float(ub) < t.max_value:
            if float(t.quantize(ub)) != float(ub):
                qz.fail(f"relu_upper_bound={ub} is not on the output grid (step {t.lsb})")
            attrs["max_value"] = float(ub)
        return [Step("Activation", attrs)]
    if n == "quantized_tanh":
        if qz["use_real_tanh"]:
            qz.fail("use_real_tanh=True needs float32 tanh of every input value (not implemented exactly)")
        if not _internal_sigmoid_is_hard(qz):
            qz.fail("QKeras' internal sigmoid is not 'hard' (set_internal_sigmoid): not implemented")
        sat = "SAT_SYM" if qz["symmetric"] else "SAT"
        t = FixedType(int(qz["bits"]), 1, True, "RND_CONV", sat)
        return [Step("Activation", {"activation": "linear", "types": {"result": t}})]
    if n == "quantized_sigmoid":
        if qz["use_real_sigmoid"]:
            qz.fail("use_real_sigmoid=True needs float32 sigmoid of every input value (not implemented exactly)")
        if qz["symmetric"]:
            qz.fail("symmetric=True (lowest output 2^-bits) is not implemented")
        if not _internal_sigmoid_is_hard(qz):
            qz.fail("QKeras' internal sigmoid is not 'hard' (set_internal_sigmoid): not implemented")
        t = FixedType(int(qz["bits"]), 0, False, "RND_CONV", "SAT")
        half = FixedType(2, 0, False, **WEIGHT_MODES)  # holds 0.5 exactly
        return [Step("BatchNormalization", {"types": {"result": t, "scale": half, "bias": half}},
                     {"scale": np.array([0.5]), "bias": np.array([0.5])})]
    if n in ("binary", "ternary", "binary_tanh"):
        return [_step_plan(qz)]
    qz.fail(f"{n} as an activation is not implemented")


def _leaky_relu_plan(qz, bits, integer):
    """quantized_relu(bits, integer, negative_slope=s), s = 2^e (QKeras asserts a power of two):
    x >= 0: clip(round(x / q), 0, 2^(bits-1) - 1) * q and x < 0: max(round(s x / q), -2^(bits-1) s) * q,
    q = 2^(integer - bits + 1), rounding half to even (tf.round) with every float32 step exact:
    a leaky ReLU into a signed type of step q reaching -2^integer s, RND_CONV, SAT, whose
    negative side is floored at -2^integer s."""
    s = float(qz["negative_slope"])
    if qz["relu_upper_bound"] is not None and not qz.params.get("is_quantized_clip", True):
        qz.fail("relu_upper_bound with a negative slope is not implemented")
    e = math.log2(s) if s > 0 else float("nan")
    if e != int(e) if math.isfinite(e) else True:
        qz.fail(f"negative_slope={s} is not a power of two: QKeras' float32 products s * x are then not exact, so "
                "no fixed-point kernel matches them bit for bit")
    e = int(e)
    if -e > bits - 1:
        qz.fail(f"negative_slope={s} is below one step of the {bits}-bit output (2^-{bits - 1}): QKeras' negative "
                "floor is then off its own grid")
    up = max(e, 0)  # integer bits the negative side needs beyond the positive side's mirror
    t = FixedType(bits + up, integer + 1 + up, True, "RND_CONV", "SAT")
    attrs = {"activation": "leaky_relu", "alpha": s}
    if up:  # the positive side keeps its own top, 2^integer - q, below the type's
        attrs = {"activation": "relu", "negative_slope": s, "max_value": 2.0 ** integer - 2.0 ** (integer - bits + 1)}
    return Step("Activation", {**attrs, "min_value": -(2.0 ** integer) * s, "types": {"result": t}})


F32_HALF_ULP_HALF = 2.0 ** -25  # half an ulp of 0.5 in float32


def _scale(qz):
    alpha = qz["alpha"]
    if isinstance(alpha, str):
        qz.fail(f"alpha={alpha!r} on activations scales by a data-dependent factor")
    if alpha is not None and np.ndim(alpha) != 0:
        qz.fail("an alpha array on activations is not implemented")
    return 1.0 if alpha is None else float(np.float32(alpha))


def _step_plan(qz):
    """binary / binary_tanh / ternary activations as a Step layer (``layers.step``): the value
    QKeras' quantizer defines, q = scale * sign-like(x), with QKeras' float32 thresholds.
    (QKeras returns it as x + (-x + q) in float32, which can differ from q by one float32
    ulp of x for large |x|; hlsgen gives q.)"""
    if qz.params.get("use_stochastic_rounding"):
        qz.fail("it rounds stochastically")
    if qz.name == "binary_tanh":
        # 2 * round(clip(0.5 x + 0.5, 0, 1)) - 1 in float32: +1 once 0.5 x + 0.5 rounds above 0.5,
        # i.e. x > 2^-24 (0.5 + 2^-25 ties to even, back to 0.5)
        return Step("Step", {"thresholds": [2 * F32_HALF_ULP_HALF], "levels": [-1.0, 1.0], "strict": True})
    s = _scale(qz)
    if qz.name == "binary":  # sign(x) with sign(0) -> +1; use_01: (sign + 1) / 2
        lo = 0.0 if qz["use_01"] else -s
        return Step("Step", {"thresholds": [0.0], "levels": [lo, s], "strict": False})
    thr = qz["threshold"]
    thr = 0.33 if thr is None else thr
    if isinstance(thr, str) or np.ndim(thr) != 0:
        qz.fail(f"threshold={thr!r} is not a number")
    t = float(np.float32(thr))
    if t <= 0:
        qz.fail(f"threshold={thr!r} must be positive")
    # (|x| >= t) * sign(x): -s for x <= -t, 0 in between, s for x >= t
    return Step("Step", {"thresholds": [-t, t], "levels": [-s, 0.0, s], "strict": [True, False]})


# ---------------------------------------------------------------------------- environment
def ensure_legacy_keras(path=None):
    """QKeras 0.9 runs on tf_keras only: set TF_USE_LEGACY_KERAS=1 before TensorFlow is
    imported; if TensorFlow is already imported without it, explain what to do."""
    if "tensorflow" not in sys.modules:
        os.environ["TF_USE_LEGACY_KERAS"] = "1"
        return True
    if os.environ.get("TF_USE_LEGACY_KERAS", "").lower() in ("1", "true", "yes"):
        return True
    what = f" to load {os.fspath(path)!r}" if path is not None else ""
    raise RuntimeError(
        "QKeras 0.9 needs tf_keras" + what + ", but TensorFlow was imported before TF_USE_LEGACY_KERAS=1 was set. "
        "Set the environment variable TF_USE_LEGACY_KERAS=1 before importing tensorflow (or import hlsgen's "
        "loader first), or run in a fresh process.")


def qkeras_available() -> bool:
    try:
        import qkeras  # noqa: F401
    except Exception:  # noqa: BLE001 - any import failure means 'not usable'
        return False
    return True


def warn_mismatch(where, n):
    warnings.warn(f"{where}: hlsgen's numpy quantization differs from QKeras' in {n} values; using QKeras' values")


QKERAS_MARKERS = ('"QDense"', '"QConv', '"QActivation"', '"QBatchNormalization"', '"QDepthwiseConv2D"',
                  '"QSeparableConv', '"QAveragePooling2D"', '"QGlobalAveragePooling2D"', "quantized_bits",
                  "quantized_relu")


def uses_qkeras(path) -> bool:
    """Whether a .h5/.hdf5/.json Keras model file names QKeras layers or quantizers."""
    path = os.fspath(path)
    text = ""
    try:
        if path.lower().endswith(".json"):
            with open(path) as f:
                text = f.read()
        else:
            import h5py

            with h5py.File(path, "r") as f:
                t = f.attrs.get("model_config", "")
                text = t.decode() if isinstance(t, bytes) else str(t)
    except Exception:  # noqa: BLE001 - unreadable here: the loader reports it
        return False
    return any(m in text for m in QKERAS_MARKERS)


def prepare_qkeras_env(path) -> None:
    """Called by the Keras loader: a QKeras model file needs tf_keras (TF_USE_LEGACY_KERAS=1)."""
    if uses_qkeras(path):
        ensure_legacy_keras(path)
