"""Fixed-point types in Python: parse, print and quantize exactly like ap_fixed/ap_int.

This module is the Python mirror of the C++ headers in ``hlsgen/templates/ap_types``.
Passes use it to choose and apply types, the drivers use it to encode and decode bus
values, and tests use it as a reference.  All array operations are vectorized.

Semantics (UG1399): a value is first quantized to the type's LSB with its rounding
mode, then fitted into W bits with its overflow mode.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

ROUNDING = ("TRN", "TRN_ZERO", "RND", "RND_ZERO", "RND_MIN_INF", "RND_INF", "RND_CONV")
SATURATION = ("WRAP", "SAT", "SAT_ZERO", "SAT_SYM", "WRAP_SM")

ACCEPTED_FORMS = (
    "ap_fixed<W,I[,Q[,O[,N]]]>, ap_ufixed<W,I,...>, fixed<W,I[,RND[,SAT]]>, ufixed<W,I>, "
    "ap_int<W>, ap_uint<W>, int<W>, uint<W> (Q in TRN, TRN_ZERO, RND, RND_ZERO, RND_MIN_INF, "
    "RND_INF, RND_CONV; O in WRAP, SAT, SAT_ZERO, SAT_SYM; an AP_ prefix is optional), "
    "ac_fixed<W,I[,S[,Q[,O]]]>, ac_int<W[,S]> (S true/false; Q, O with an optional AC_ prefix)"
)

_TYPE_RE = re.compile(r"^\s*(ap_)?(u?)(fixed|int)\s*<\s*([^<>]*)>\s*$", re.IGNORECASE)
_AC_RE = re.compile(r"^\s*ac_(fixed|int)\s*<\s*([^<>]*)>\s*$", re.IGNORECASE)
_AC_SIGNED = {"true": True, "1": True, "false": False, "0": False}

MAX_WIDTH = 1024


@dataclass(frozen=True)
class FixedType:
    """An arbitrary-precision fixed-point (or integer) type."""

    width: int
    integer: int
    signed: bool = True
    rounding: str = "TRN"
    saturation: str = "WRAP"
    sat_bits: int = 0
    is_int: bool = False  # spelled as ap_int/ap_uint (integer == width, no modes)

    def __post_init__(self):
        if not 1 <= self.width <= MAX_WIDTH:
            raise ValueError(f"fixed-point width {self.width} out of range 1..{MAX_WIDTH}")
        if self.rounding not in ROUNDING:
            raise ValueError(f"unknown rounding mode {self.rounding!r}; valid: {', '.join(ROUNDING)}")
        if self.saturation not in SATURATION:
            raise ValueError(f"unknown overflow mode {self.saturation!r}; valid: {', '.join(SATURATION)}")
        if self.saturation == "WRAP_SM" and not self.signed:
            raise ValueError("AP_WRAP_SM is only defined for signed types")
        if not 0 <= self.sat_bits <= self.width:
            raise ValueError(f"saturation bits N={self.sat_bits} must lie in 0..{self.width}")
        if self.is_int and self.integer != self.width:
            raise ValueError("an integer type has integer bits == width")

    # ------------------------------------------------------------------ properties
    @property
    def fractional(self) -> int:
        return self.width - self.integer

    @property
    def lsb(self) -> float:
        return float(2.0 ** -self.fractional)

    @property
    def min_raw(self) -> int:
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def max_raw(self) -> int:
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1

    @property
    def min_value(self) -> float:
        return float(self.min_raw) * self.lsb

    @property
    def max_value(self) -> float:
        return float(self.max_raw) * self.lsb

    @property
    def storage_bits(self) -> int:
        """Bits of the smallest native integer that holds the raw value."""
        for b in (8, 16, 32, 64, 128):
            if self.width <= b:
                return b
        raise ValueError(f"{self} is wider than 128 bits")

    def with_modes(self, rounding=None, saturation=None, sat_bits=None) -> "FixedType":
        return replace(
            self,
            is_int=False,
            rounding=rounding or self.rounding,
            saturation=saturation or self.saturation,
            sat_bits=self.sat_bits if sat_bits is None else sat_bits,
        )

    # ------------------------------------------------------------------ spelling
    def cpp(self) -> str:
        """The C++ spelling (what generated code uses)."""
        u = "" if self.signed else "u"
        if self.is_int:
            return f"ap_{u}int<{self.width}>"
        s = f"ap_{u}fixed<{self.width},{self.integer}"
        if self.rounding != "TRN" or self.saturation != "WRAP" or self.sat_bits:
            s += f",AP_{self.rounding},AP_{self.saturation}"
            if self.sat_bits:
                s += f",{self.sat_bits}"
        return s + ">"

    def __str__(self) -> str:
        """The short spelling used in configurations (``fixed<16,6,RND,SAT>``)."""
        u = "" if self.signed else "u"
        if self.is_int:
            return f"{u}int<{self.width}>"
        s = f"{u}fixed<{self.width},{self.integer}"
        if self.rounding != "TRN" or self.saturation != "WRAP" or self.sat_bits:
            s += f",{self.rounding},{self.saturation}"
            if self.sat_bits:
                s += f",{self.sat_bits}"
        return s + ">"

    # ------------------------------------------------------------------ quantization
    def quantize_raw(self, x) -> np.ndarray:
        """Quantize real values to raw integers (value * 2**F), int64 for W <= 63."""
        if self.width > 63:
            raise ValueError(f"quantize_raw returns int64 and needs W <= 63, got {self}")
        r = self._round(np.asarray(x, dtype=np.float64))
        return self._overflow(r)

    def quantize(self, x) -> np.ndarray:
        """Quantize real values; returns float64 (exact for W <= 53)."""
        x = np.asarray(x, dtype=np.float64)
        if self.width > 63:
            # wide types: values this wide are exact in rounding; only saturation matters
            r = self._round(x)
            lo, hi = float(self.min_raw), float(self.max_raw)
            if self.saturation == "WRAP":  # modulo 2^W in doubles (exact whenever the result is)
                mod = float(2.0 ** self.width)
                low = np.fmod(r, mod)
                low = np.where(low < 0, low + mod, low)
                if self.signed:
                    low = np.where(low >= mod / 2, low - mod, low)
                return np.ldexp(low, -self.fractional)
            return np.ldexp(np.clip(r, lo, hi), -self.fractional)
        return self.from_raw(self.quantize_raw(x))

    def quantize_scaled(self, raw, frac: int) -> np.ndarray:
        """Quantize the exact values ``raw * 2**-frac`` (``raw``: integers, int64 or Python ints in
        an object array) with this type's rounding and overflow; no float64 rounding on the way.
        Returns float64 (exact for W <= 52)."""
        raw = np.asarray(raw)
        F = self.fractional
        shift = frac - F
        if raw.dtype != object:  # int64 stays int64 when only shifted right (no overflow)
            raw = raw.astype(np.int64) if shift > 0 else raw.astype(np.int64).astype(object)
        if shift <= 0:
            r = raw * (1 << -shift)
        else:
            fl = raw >> shift  # floor (Python ints)
            rem = raw - (fl << shift)  # 0 .. 2^shift - 1
            half = 1 << (shift - 1)
            up = fl + 1
            exact = rem == 0
            neg = raw < 0
            if self.is_int or self.rounding == "TRN_ZERO":
                r = np.where(neg & ~exact, up, fl)
            elif self.rounding == "TRN":
                r = fl
            else:
                if self.rounding == "RND":
                    tie = up
                elif self.rounding == "RND_MIN_INF":
                    tie = fl
                elif self.rounding == "RND_ZERO":
                    tie = np.where(neg, up, fl)
                elif self.rounding == "RND_INF":
                    tie = np.where(neg, fl, up)
                else:  # RND_CONV
                    tie = np.where(fl % 2 == 0, fl, up)
                r = np.where(rem > half, up, np.where(rem < half, fl, tie))
        if self.width > 52:
            return self.quantize(np.array([float(v) for v in r.ravel()]).reshape(r.shape) * 2.0 ** -F)
        # an out-of-range r has the same low W bits, direction and sign as r' within 2^W of the
        # range: r' is exact in float64, and the overflow rules act on it as on r
        lo, hi, mod = self.min_raw, self.max_raw, 1 << self.width
        r = np.where(r > hi, hi + 1 + (r - hi - 1) % mod, np.where(r < lo, lo - 1 - (lo - 1 - r) % mod, r))
        return self.from_raw(self._overflow(r.astype(np.float64)))

    def from_raw(self, raw) -> np.ndarray:
        return np.ldexp(np.asarray(raw, dtype=np.float64), -self.fractional)

    def wrap_raw(self, raw) -> np.ndarray:
        """Reinterpret raw integers (int64) modulo 2**W in this type's signedness."""
        raw = np.asarray(raw, dtype=np.int64)
        if self.width >= 64:
            return raw
        if self.signed:  # sign-extend the low W bits (int64 shifts: no Python int above 2**63)
            k = np.int64(64 - self.width)
            return np.left_shift(raw, k) >> k
        return (raw & np.int64((1 << self.width) - 1)).astype(np.int64)

    def _round(self, x: np.ndarray) -> np.ndarray:
        if not np.all(np.isfinite(x)):
            raise ValueError(f"cannot quantize NaN or infinity to {self}")
        s = np.ldexp(x, self.fractional)
        fl = np.floor(s)
        if self.is_int:
            # ap_int<W>/ap_uint<W> built from a double truncate toward zero (then wrap)
            return np.trunc(s)
        if self.rounding == "TRN":
            return fl
        if self.rounding == "TRN_ZERO":
            return np.trunc(s)
        frac = s - fl  # exact
        up = fl + 1.0
        if self.rounding == "RND":
            tie = up
        elif self.rounding == "RND_MIN_INF":
            tie = fl
        elif self.rounding == "RND_ZERO":
            tie = np.where(s < 0, up, fl)
        elif self.rounding == "RND_INF":
            tie = np.where(s < 0, fl, up)
        else:  # RND_CONV: ties to even
            tie = np.where(np.fmod(fl, 2.0) == 0, fl, up)
        return np.where(frac > 0.5, up, np.where(frac < 0.5, fl, tie))

    def _overflow(self, r: np.ndarray) -> np.ndarray:
        lo, hi = self.min_raw, self.max_raw
        over = r > hi
        under = r < lo
        if self.saturation == "SAT":
            return np.clip(r, lo, hi).astype(np.int64)
        if self.saturation == "SAT_ZERO":
            return np.where(over | under, 0.0, r).astype(np.int64)
        if self.saturation == "SAT_SYM":
            if self.signed:
                # -max; for W=1 the reference gives the pattern min|1 == -1
                return np.clip(r, lo + 1 if self.width > 1 else lo, hi).astype(np.int64)
            return np.clip(r, lo, hi).astype(np.int64)
        # WRAP / WRAP_SM: keep the low W bits (exact on doubles via fmod)
        mod = float(2.0 ** self.width)
        # |fmod| < 2^W <= 2^63 is exact and fits int64; its two's complement has the low W
        # bits of the value (adding 2^W in doubles would round once W > 53)
        low = np.fmod(r, mod).astype(np.int64) & np.int64((1 << self.width) - 1)  # 0 .. 2^W-1
        val = self.wrap_raw(low)
        if self.saturation == "WRAP_SM":
            return self._wrap_sm(r, val, over | under)
        n = self.sat_bits
        if n == 0:
            return val
        W = self.width
        flag = over | under
        if self.signed:
            neg = r < 0
            # sign bit from the source; bits W-N .. W-2 all ones for positive, zeros for negative
            u = low
            if n > 1:
                mask = ((1 << (n - 1)) - 1) << (W - n)
                u = np.where(neg, u & ~np.int64(mask), u | np.int64(mask))
            signbit = np.int64(1 << (W - 1))
            u = np.where(neg, u | signbit, u & ~signbit)
            fixed = self.wrap_raw(u)
        else:
            mask = ((1 << n) - 1) << (W - n)
            fixed = self.wrap_raw(low | np.int64(mask))
        return np.where(flag, fixed, val)

    def _wrap_sm(self, r, val, flag):
        raise NotImplementedError("AP_WRAP_SM quantization is not supported in the Python mirror")


def parse_type(text) -> FixedType:
    """Parse any common spelling of a fixed-point or integer type."""
    if isinstance(text, FixedType):
        return text
    if not isinstance(text, str):
        raise ValueError(f"invalid precision {text!r}: expected a string; accepted forms: {ACCEPTED_FORMS}")
    m = _TYPE_RE.match(text)
    if not m and _AC_RE.match(text):
        return _parse_ac(text, *_AC_RE.match(text).groups())
    if not m:
        raise ValueError(f"invalid precision {text!r}; accepted forms: {ACCEPTED_FORMS}")
    _, u, kind, args = m.groups()
    parts = [p.strip() for p in args.split(",")] if args.strip() else []
    signed = u == ""
    try:
        if kind.lower() == "int":
            if len(parts) != 1:
                raise ValueError("an integer type takes one parameter")
            w = int(parts[0])
            return FixedType(w, w, signed, is_int=True)
        if not 2 <= len(parts) <= 5:
            raise ValueError("a fixed type takes 2 to 5 parameters")
        w, i = int(parts[0]), int(parts[1])
        modes = [p.upper().removeprefix("AP_") for p in parts[2:4]]
        rounding = modes[0] if len(modes) > 0 else "TRN"
        saturation = modes[1] if len(modes) > 1 else "WRAP"
        n = int(parts[4]) if len(parts) > 4 else 0
        if saturation == "WRAP_SM":
            raise ValueError("the overflow mode WRAP_SM is not supported")
        return FixedType(w, i, signed, rounding, saturation, n)
    except ValueError as e:
        raise ValueError(f"invalid precision {text!r} ({e}); accepted forms: {ACCEPTED_FORMS}") from None


def _parse_ac(text, kind, args) -> FixedType:
    """Algorithmic C spellings (hls4ml writes them for its Intel/Catapult backends): the same
    arithmetic as the ap_ types; ac_fixed<W,I,S,Q,O>, ac_int<W,S>, S signed (default true)."""
    parts = [p.strip() for p in args.split(",")] if args.strip() else []
    try:
        n_max = 2 if kind.lower() == "int" else 5
        n_min = 1 if kind.lower() == "int" else 2
        if not n_min <= len(parts) <= n_max:
            raise ValueError(f"ac_{kind.lower()} takes {n_min} to {n_max} parameters")
        k = 1 if kind.lower() == "int" else 2
        signed = True
        if len(parts) > k:
            if parts[k].lower() not in _AC_SIGNED:
                raise ValueError(f"the signedness is {parts[k]!r}; valid: true, false")
            signed = _AC_SIGNED[parts[k].lower()]
        w = int(parts[0])
        if kind.lower() == "int":
            return FixedType(w, w, signed, is_int=True)
        modes = [p.upper().removeprefix("AC_") for p in parts[3:5]]
        rounding = modes[0] if modes else "TRN"
        saturation = modes[1] if len(modes) > 1 else "WRAP"
        return FixedType(w, int(parts[1]), signed, rounding, saturation)
    except ValueError as e:
        raise ValueError(f"invalid precision {text!r} ({e}); accepted forms: {ACCEPTED_FORMS}") from None


def bits_for_range(lo: float, hi: float, signed: bool | None = None) -> int:
    """Integer bits I (sign bit included when signed) so that fixed<W,I> holds [lo, hi].

    ``hi`` must be strictly below 2**(I-1) (2**I unsigned), ``lo`` at least -2**(I-1).
    The result may be negative for ranges much smaller than one.
    """
    lo, hi = float(lo), float(hi)
    if signed is None:
        signed = lo < 0
    if not signed and lo < 0:
        raise ValueError("an unsigned type cannot hold negative values")
    k = -64
    if hi > 0:
        k = max(k, int(np.floor(np.log2(hi))) + 1)
    if lo < 0:
        k = max(k, int(np.ceil(np.log2(-lo))))
    return k + (1 if signed else 0)
