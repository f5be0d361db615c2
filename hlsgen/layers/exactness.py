"""When the numpy goldens may sum in float64 and cast once, instead of casting after every
addition as the C++ does.

The C++ accumulates ``acc = start; for each term t: acc = accum_t(acc + t)``.  Summing
every term in float64 and casting once to ``accum_t`` gives the same bits when all of:

* every term and ``start`` lie on ``accum_t``'s grid (``term_frac`` fractional bits at
  most those of ``accum_t``): then every partial sum is on the grid too and no rounding
  mode changes it;
* overflow is harmless: ``accum_t`` wraps (AP_WRAP without saturation bits, so the cast
  is reduction modulo 2^W, and wrapping once equals wrapping at every step), or no
  partial sum can leave its range;
* float64 is exact: every partial sum, counted in units of the grid, is an integer below
  2^52 (``bound`` bounds the magnitude of every partial sum).

The C-simulation fast paths in ``nnet_utils`` rest on the same argument
(``nnet_common.h``: ``fast_accum``; ``nnet_array.h``: ``raw_mac``); CI runs the layer
tests with them disabled as well (``-DHLSGEN_NO_FAST_CSIM``).
"""
from __future__ import annotations

import numpy as np

#: partial sums stay below 2^FLOAT_EXACT_BITS units of the accumulator's grid (float64
#: holds integers exactly up to 2^53; one bit of margin for the bound's rounding)
FLOAT_EXACT_BITS = 52


def one_cast_suffices(acc_t, term_frac: int, bound: float) -> bool:
    """True when casting the float64 sum once equals casting after every addition (see above)."""
    if acc_t.fractional < term_frac:
        return False
    wraps = acc_t.saturation == "WRAP" and acc_t.sat_bits == 0
    if not wraps and not (acc_t.min_value <= -bound and bound <= acc_t.max_value):
        return False
    return float(bound) * 2.0 ** acc_t.fractional < 2.0**FLOAT_EXACT_BITS


def running_sum(acc_t, start, terms, *, term_frac: int, bound: float, total=None) -> np.ndarray:
    """Bit-exact model of ``acc = start; for t in terms(): acc = acc_t(acc + t)``.

    ``start``: the initial accumulator, on ``acc_t``'s grid and of the result's shape;
    ``terms``: a callable returning the terms in the C++ order; ``total``: an optional
    callable returning their float64 sum faster (e.g. a matrix product); ``term_frac``:
    fractional bits of the terms; ``bound``: a bound on |partial sum|.
    """
    if one_cast_suffices(acc_t, term_frac, bound):
        return acc_t.quantize(start + (total() if total is not None else sum(terms())))
    acc = np.array(start, dtype=np.float64)
    for t in terms():
        acc = acc_t.quantize(acc + t)
    return acc
