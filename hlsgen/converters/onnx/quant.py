"""QONNX quantization nodes: ``Quant``, ``BipolarQuant`` and ``Trunc``.

Semantics (QONNX operator spec, v1): ``Quant(x, scale, zeropt, bitwidth)`` with attributes
``signed``, ``narrow`` and ``rounding_mode`` computes

    q = clamp(x / scale + zeropt, qmin, qmax), rounded with ``rounding_mode``
    y = (q - zeropt) * scale

with qmin/qmax the range of a ``bitwidth``-bit integer (signed: -2^(b-1) .. 2^(b-1)-1,
``narrow`` raises the minimum by one; unsigned: 0 .. 2^b-1, ``narrow`` lowers the maximum
by one).  A signed 1-bit Quant is bipolar (x >= 0 ? 1 : -1).  Clamping before rounding
equals rounding before clamping because the bounds are integers and every rounding mode
maps integers to themselves, so with a power-of-two scale 2^-F and zero point 0 the node
is exactly a cast to ``ap_fixed<b, b-F, Q, O>`` (``ap_ufixed`` when unsigned) with

    ROUND / HALF_EVEN -> RND_CONV    FLOOR -> TRN          DOWN (toward 0) -> TRN_ZERO
    HALF_UP (ties away from 0) -> RND_INF                  HALF_DOWN (ties to 0) -> RND_ZERO
    O = SAT, or SAT_SYM for signed narrow ranges.

CEIL and UP have no ap_fixed rounding mode; unsigned narrow ranges (max 2^b - 2) have no
overflow mode: both are rejected for data tensors.  On constants (weights, biases) every
variant is folded in numpy (:func:`quant_values`) and an exact type is derived from the
folded values when one exists.

``BipolarQuant(x, scale)``: y = (x >= 0 ? 1 : -1) * scale (constants only here).

``Trunc``: version 1 (5 inputs: x, scale, zeropt, in_bitwidth, out_bitwidth) computes
q = round(x / scale); y = rnd(q / 2^(in_bw - out_bw)) * scale; version 2 (6 inputs: x,
scale, zeropt, in_bitwidth, out_scale, out_bitwidth; attributes signed, narrow) computes
y = clamp(rnd(round(x / scale) / (out_scale / scale))) * out_scale.  With x on the
``scale`` grid (it is, after a Quant), v2 is a Quant to ``out_scale`` and ``out_bitwidth``,
and v1 is a multiplication by 2^-(in_bw - out_bw) followed by a truncation onto the
``scale`` grid.
"""
from __future__ import annotations

import math

import numpy as np

from ...fixed import FixedType

QONNX_DOMAINS = ("qonnx.custom_op.general", "finn.custom_op.general", "onnx.brevitas", "finn",
                 "qonnx.custom_op", "qonnx")
QUANT_OPS = ("Quant", "BipolarQuant", "Trunc")

ROUNDING_TO_AP = {
    "ROUND": "RND_CONV",
    "HALF_EVEN": "RND_CONV",
    "FLOOR": "TRN",
    "DOWN": "TRN_ZERO",
    "HALF_UP": "RND_INF",
    "HALF_DOWN": "RND_ZERO",
}


def _round(x, mode: str):
    mode = mode.upper()
    if mode in ("ROUND", "HALF_EVEN"):
        return np.round(x)
    if mode == "FLOOR":
        return np.floor(x)
    if mode == "CEIL":
        return np.ceil(x)
    if mode == "DOWN":
        return np.trunc(x)
    if mode == "UP":
        return np.sign(x) * np.ceil(np.abs(x))
    if mode == "HALF_UP":
        return np.sign(x) * np.floor(np.abs(x) + 0.5)
    if mode == "HALF_DOWN":
        return np.sign(x) * np.ceil(np.abs(x) - 0.5)
    raise ValueError(f"unknown rounding_mode {mode!r}")


def int_range(signed: bool, narrow: bool, bits: int) -> tuple:
    if signed:
        return -(2 ** (bits - 1)) + (1 if narrow else 0), 2 ** (bits - 1) - 1
    return 0, 2**bits - 1 - (1 if narrow else 0)


def quant_values(x, scale, zeropt, bits, signed, narrow, rounding) -> np.ndarray:
    """The Quant node on constant values (float64)."""
    x = np.asarray(x, dtype=np.float64)
    scale = np.asarray(scale, dtype=np.float64)
    zeropt = np.asarray(zeropt, dtype=np.float64)
    b = int(np.asarray(bits).reshape(-1)[0])
    q = x / scale + zeropt
    if b == 1 and signed:
        q = np.where(q >= 0, 1.0, -1.0)
    else:
        lo, hi = int_range(bool(signed), bool(narrow), b)
        q = _round(np.clip(q, lo, hi), rounding)
    return (q - zeropt) * scale


def bipolar_values(x, scale) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return np.where(x >= 0, 1.0, -1.0) * np.asarray(scale, dtype=np.float64)


def pow2_exponent(scale) -> int | None:
    """e with every element of ``scale`` equal to 2^e, else None."""
    s = np.unique(np.asarray(scale, dtype=np.float64).reshape(-1))
    if s.size != 1 or not s[0] > 0:
        return None
    m, e = math.frexp(float(s[0]))
    return e - 1 if m == 0.5 else None


def cast_type(node_desc: str, scale, zeropt, bits, signed: bool, narrow: bool, rounding: str) -> FixedType:
    """The ap_fixed type a Quant on a data tensor is exactly; ValueError naming the node otherwise."""
    b = np.asarray(bits).reshape(-1)
    if b.size != 1 or b[0] != int(b[0]) or int(b[0]) < 1:
        raise ValueError(f"{node_desc}: bitwidth {bits!r} must be one positive integer")
    b = int(b[0])
    e = pow2_exponent(scale)
    if e is None:
        raise ValueError(f"{node_desc}: scale {np.asarray(scale).reshape(-1)[:4]} is not a single power of two; "
                         "hlsgen maps Quant nodes on activations to fixed-point types, which need a "
                         "power-of-two scale")
    if np.any(np.asarray(zeropt) != 0):
        raise ValueError(f"{node_desc}: zero_point {np.asarray(zeropt).reshape(-1)[:4]} is not 0; only zero_point 0 "
                         "maps to a fixed-point type")
    mode = str(rounding).upper()
    if mode not in ROUNDING_TO_AP:
        raise ValueError(f"{node_desc}: rounding_mode {rounding!r} has no ap_fixed equivalent; supported: "
                         f"{', '.join(ROUNDING_TO_AP)}")
    if b == 1 and signed:
        raise ValueError(f"{node_desc}: a signed 1-bit Quant is bipolar (a sign function), which hlsgen supports "
                         "only on weights")
    if narrow and not signed:
        raise ValueError(f"{node_desc}: an unsigned narrow range (0 .. 2^b-2) has no ap_fixed overflow mode")
    sat = "SAT_SYM" if (narrow and signed) else "SAT"
    return FixedType(b, b + e, bool(signed), ROUNDING_TO_AP[mode], sat)


def exact_type(values, bits: int | None = None) -> FixedType | None:
    """The narrowest signed/unsigned type holding every value exactly (quantized
    constants), or None when the values need more than 64 bits."""
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    v = v[v != 0]
    if v.size == 0:
        return FixedType(1, 1, False, "RND_CONV", "SAT")
    if not np.all(np.isfinite(v)):
        return None
    frac = 0
    while frac < 64 and np.any(v * 2.0**frac != np.round(v * 2.0**frac)):
        frac += 1
    while frac > -64 and np.all(v * 2.0 ** (frac - 1) == np.round(v * 2.0 ** (frac - 1))):
        frac -= 1
    ints = np.round(v * 2.0**frac)
    signed = bool(np.any(ints < 0))
    hi = float(ints.max(initial=0))
    lo = float(ints.min(initial=0))
    if signed:
        w = max(int(hi).bit_length(), int(-lo - 1).bit_length() if lo < 0 else 0) + 1
    else:
        w = int(hi).bit_length()
    if bits is not None:
        w = max(w, 1)
    if not 1 <= w <= 64:
        return None
    return FixedType(w, w - frac, signed, "RND_CONV", "SAT")
