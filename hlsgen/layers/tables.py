"""Shared pieces of the table-driven kernels (Activation, Softmax): uniform lookup tables
over an input range, the normalising reciprocal, and exact C++ constant literals.

Every table is computed in Python, quantized to its ``table`` type and written as a
weight array; the numpy goldens index the same quantized entries the C++ does.
"""
from __future__ import annotations

import math

import numpy as np

from ..fixed import FixedType

RND_SAT = dict(rounding="RND", saturation="SAT")


def cpp_literal(v: float) -> str:
    """A C++ double literal that parses to exactly ``v``."""
    v = float(v)
    if not math.isfinite(v):
        raise ValueError(f"cannot write {v} as a C++ constant")
    r = repr(v)
    return r if ("." in r or "e" in r or "n" in r) else r + ".0"


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
