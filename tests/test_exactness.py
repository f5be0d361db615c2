"""The one exactness helper of the numpy goldens (hlsgen.layers.exactness): summing once and
casting once gives the bits of casting after every addition exactly when it says so."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

from hlsgen import layers
from hlsgen.fixed import FixedType
from hlsgen.layers.exactness import FLOAT_EXACT_BITS, one_cast_suffices, running_sum


def stepwise(acc_t, start, terms):
    """What the C++ does: a cast after every addition."""
    acc = np.array(start, dtype=np.float64)
    for t in terms:
        acc = acc_t.quantize(acc + t)
    return acc


def on_grid(rng, shape, frac, lo, hi):
    return np.round(rng.uniform(lo, hi, shape) * 2.0**frac) / 2.0**frac


CASES = [  # accumulator type, fractional bits of the terms, term range
    (FixedType(10, 4, True), 6, 3.0),                       # wraps often: one wrap == a wrap per step
    (FixedType(9, 5, False), 4, 4.0),                       # unsigned, wrapping
    (FixedType(16, 8, True, "RND", "SAT"), 8, 1.0),         # saturating, never reaches its range
    (FixedType(12, 4, True, "TRN", "SAT"), 8, 3.0),         # saturating and overflowing: stepwise
    (FixedType(12, 6, True), 8, 2.0),                       # terms finer than the grid: stepwise
    (FixedType(12, 6, True, "TRN", "WRAP", 2), 6, 3.0),     # saturation bits: stepwise
]


@pytest.mark.parametrize("acc_t,frac,span", CASES, ids=[str(c[0]) for c in CASES])
def test_running_sum_is_the_stepwise_sum_bit_for_bit(acc_t, frac, span):
    rng = np.random.default_rng(3)
    terms = on_grid(rng, (40, 50, 3), frac, -span, span)
    start = acc_t.quantize(on_grid(rng, (50, 3), frac, -span, span))
    bound = np.abs(start).max() + np.abs(terms).sum(axis=0).max()
    got = running_sum(acc_t, start, lambda: iter(terms), term_frac=frac, bound=bound, total=lambda: terms.sum(axis=0))
    np.testing.assert_array_equal(got, stepwise(acc_t, start, terms))


def test_the_guard_names_each_condition():
    wrap = FixedType(24, 8, True)
    assert one_cast_suffices(wrap, 16, 1e3)
    assert not one_cast_suffices(wrap, 17, 1e3)                       # a term loses bits on the grid
    sat_bits = FixedType(24, 8, True, "TRN", "WRAP", 1)  # saturation bits: a wrap is no longer modular
    assert not one_cast_suffices(sat_bits, 16, 200.0) and one_cast_suffices(sat_bits, 16, 100.0)
    sat = FixedType(24, 8, True, "RND", "SAT")
    assert one_cast_suffices(sat, 16, 100.0) and not one_cast_suffices(sat, 16, 200.0)  # range 128
    # float64 exactness: partial sums of 2^FLOAT_EXACT_BITS grid units or more are refused
    wide = FixedType(64, 20, True)
    assert one_cast_suffices(wide, 44, 2.0 ** (FLOAT_EXACT_BITS - 44) * 0.99)
    assert not one_cast_suffices(wide, 44, 2.0 ** (FLOAT_EXACT_BITS - 44))


def test_running_sum_takes_the_stepwise_path_when_the_guard_refuses():
    acc_t = FixedType(64, 20, True)
    calls = []

    def total():
        calls.append("total")
        return np.zeros(1)

    running_sum(acc_t, np.zeros(1), lambda: iter([np.ones(1)]), term_frac=0, bound=2.0**40, total=total)
    assert calls == []  # 2^40 * 2^44 grid units: float64 is not exact, so no one-cast sum


def test_every_golden_uses_the_helper():
    """No layer module keeps its own copy of the 'one final wrap' argument."""
    import importlib
    import pkgutil

    for m in pkgutil.iter_modules(layers.__path__):
        if m.name == "exactness":
            continue
        src = inspect.getsource(importlib.import_module(f"hlsgen.layers.{m.name}"))
        assert 'saturation == "WRAP"' not in src and "2**52" not in src, m.name
