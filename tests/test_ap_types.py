"""Differential tests of hlsgen's clean-room ap_int/ap_fixed headers.

Random operations are written to a file and run by one compiled C++ program
per group (our headers; the reference headers when found); every result is
compared with an exact Python-integer reference (tests/aptypes_util.py).
"""
import os
import random
import subprocess

import numpy as np
import pytest

import aptypes_util as U
from aptypes_util import Fmt

needs_gxx = pytest.mark.skipif(U.gxx() is None, reason="g++ not found")

SHAPES = [  # (W, I, S)
    (16, 6, True), (8, 3, False), (3, 1, True), (1, 1, True), (2, 0, False), (2, 2, True),
    (12, 12, False), (24, 1, True), (40, 20, True), (64, 32, False), (70, 30, True), (128, 64, True),
    (5, -2, True), (6, 9, True), (4, -3, False), (100, -3, True), (3, 7, False),
]


def conv_formats(xilinx_only):
    out = []
    for (W, I, S) in SHAPES:
        f0 = Fmt(W, I, S)
        if xilinx_only and not f0.xilinx_ok():
            continue
        for q in U.QMODES:
            for o in U.OMODES[:4]:
                out.append(Fmt(W, I, S, q, o, 0))
        for n in (1, 2, 3):
            if n <= W:
                out.append(Fmt(W, I, S, 'AP_RND', 'AP_WRAP', n))
                if S:
                    out.append(Fmt(W, I, S, 'AP_TRN', 'AP_WRAP_SM', n))
        if S:  # AP_WRAP_SM is signed-only
            out.append(Fmt(W, I, S, 'AP_RND_CONV', 'AP_WRAP_SM', 0))
            out.append(Fmt(W, I, S, 'AP_TRN', 'AP_WRAP_SM', 0))
    for W in (1, 2, 3, 8, 16, 31, 32, 33, 64, 65, 128):
        out.append(Fmt(W, W, True, isint=True))
        out.append(Fmt(W, W, False, isint=True))
    return out


def pair_list(xilinx_only):
    F = Fmt
    base = [
        (F(16, 6), F(16, 6)),
        (F(16, 6, True, 'AP_RND', 'AP_SAT'), F(16, 6)),
        (F(8, 3, True, 'AP_RND_CONV', 'AP_SAT_SYM'), F(6, 2, False)),
        (F(6, 2, False, 'AP_RND_INF', 'AP_SAT'), F(8, 3)),
        (F(10, 4, True, 'AP_TRN_ZERO', 'AP_SAT_ZERO'), F(8, 8, True, isint=True)),
        (F(8, 8, True, isint=True), F(10, 4)),
        (F(5, 5, False, isint=True), F(7, 7, True, isint=True)),
        (F(7, 7, True, isint=True), F(5, 5, False, isint=True)),
        (F(32, 32, True, isint=True), F(32, 32, False, isint=True)),
        (F(64, 64, True, isint=True), F(16, 16, True, isint=True)),
        (F(64, 64, False, isint=True), F(64, 64, False, isint=True)),
        (F(1, 1, True), F(1, 0, False)),
        (F(2, 1, True, 'AP_RND_MIN_INF', 'AP_SAT'), F(3, 3, False)),
        (F(3, 1, False, 'AP_RND_ZERO', 'AP_WRAP', 1), F(2, 1)),
        (F(12, 4, True, 'AP_RND', 'AP_WRAP', 2), F(9, 5, True)),
        (F(20, 8, True, 'AP_RND', 'AP_WRAP_SM', 0), F(12, 3, True)),
        (F(20, 8, True, 'AP_TRN', 'AP_WRAP_SM', 2), F(12, 3, False)),
        (F(40, 20, True, 'AP_RND_CONV', 'AP_SAT'), F(24, 10, True)),
        (F(60, 30, True, 'AP_RND', 'AP_SAT_SYM'), F(16, 6)),
        (F(70, 30, True), F(16, 6)),
        (F(90, 40, True, 'AP_RND', 'AP_SAT'), F(18, 8)),
        (F(96, 40, False, 'AP_TRN_ZERO', 'AP_SAT'), F(30, 15, True)),
        (F(96, 96, True, isint=True), F(20, 20, False, isint=True)),
        (F(32, 16, True, 'AP_RND', 'AP_SAT'), F(16, 6, True, 'AP_RND', 'AP_SAT')),
        (F(18, 2, True, 'AP_RND_INF', 'AP_SAT'), F(4, 4, True, isint=True)),
        (F(24, 24, False, 'AP_RND', 'AP_SAT'), F(8, 0, False)),
        # I < 0 / I > W (Python reference only)
        (F(8, -2, True, 'AP_RND', 'AP_SAT'), F(8, 3)),
        (F(6, 10, True, 'AP_RND', 'AP_SAT'), F(8, 3)),
        (F(6, 10, False, 'AP_TRN', 'AP_WRAP'), F(5, -1, True)),
        (F(10, -4, True, 'AP_RND_CONV', 'AP_WRAP'), F(4, 8, False)),
    ]
    return [p for p in base if not xilinx_only or (p[0].xilinx_ok() and p[1].xilinx_ok())]


def reference_bug(case, j):
    """Known bugs of the reference headers that ours deliberately does not copy."""
    if case[0] != 'D' or not case[1].isint:
        return False
    f, x = case[1], case[2]
    if -0.5 < x < 0:  # ap_int(double) of a small negative value gives 1 there (ours: 0)
        return True
    return j == 2 and f.W > 64  # to_double() of ap_int wider than 64 bits is wrong there


def run_group(tmp_path, include, name, xilinx_only, seed, n_conv, n_bin):
    convfmts, pairs = conv_formats(xilinx_only), pair_list(xilinx_only)
    src = U.make_program(convfmts, pairs)
    exe = U.compile_program(src, include, str(tmp_path), name)
    rng = random.Random(seed)
    text, cases = U.gen_cases(rng, convfmts, pairs, n_conv, n_bin)
    lines = U.run_program(exe, text, str(tmp_path), name)
    assert len(lines) == len(cases)
    nops, bad = 0, []
    for line, case in zip(lines, cases):
        nops += line.count(';')
        for j, g, e in U.check_line(line, case):
            if xilinx_only and reference_bug(case, j):
                continue
            if len(bad) < 20:
                bad.append((case, j, g, e))
            else:
                bad.append(None)
    return nops, bad


def fmt_bad(bad):
    return '\n'.join('%r op#%d got %r expected %r' % b for b in bad[:20] if b)


@needs_gxx
def test_ours_vs_python_reference(tmp_path):
    nops, bad = run_group(tmp_path, U.OUR_INCLUDE, 'ours', False, 1234, 120000, 22000)
    print('ours vs python: %d operations, %d mismatches' % (nops, len(bad)))
    assert nops >= 900000
    assert not bad, fmt_bad(bad)


@needs_gxx
@pytest.mark.skipif(U.reference_include() is None, reason='reference (Xilinx) headers not found')
def test_reference_headers_vs_python_reference(tmp_path):
    """Validates the Python reference itself against Xilinx's headers."""
    nops, bad = run_group(tmp_path, U.reference_include(), 'xil', True, 99, 40000, 6000)
    print('reference headers vs python: %d operations, %d mismatches' % (nops, len(bad)))
    assert not bad, fmt_bad(bad)


@needs_gxx
def test_compile_error_beyond_128_bits(tmp_path):
    src = '#include "ap_fixed.h"\nint main(){ ap_int<129> x = 1; return x.to_int(); }\n'
    p = tmp_path / 'w.cpp'
    p.write_text(src)
    r = subprocess.run([U.gxx(), '-std=c++14', '-fsyntax-only', '-I', U.OUR_INCLUDE, str(p)],
                       capture_output=True, text=True)
    assert r.returncode != 0 and 'above 128' in r.stderr


@needs_gxx
def test_python_mirror_matches_cpp(tmp_path):
    """hlsgen.fixed quantize/quantize_raw agree bit-for-bit with the C++ types."""
    from hlsgen.fixed import parse_type
    fmts = []
    for (W, I, S) in [(16, 6, True), (8, 3, False), (3, 1, True), (1, 1, True), (2, 0, False),
                      (12, 12, False), (24, 1, True), (40, 20, True), (5, -2, True), (6, 9, True)]:
        for q in U.QMODES:
            for o in U.OMODES[:4]:
                fmts.append(Fmt(W, I, S, q, o, 0))
        fmts.append(Fmt(W, I, S, 'AP_RND', 'AP_WRAP', 1 if W < 3 else 2))
    for W in (1, 3, 8, 16, 32):
        fmts.append(Fmt(W, W, True, isint=True))
        fmts.append(Fmt(W, W, False, isint=True))
    exe = U.compile_program(U.make_program(fmts, []), U.OUR_INCLUDE, str(tmp_path), 'mirror')
    rng = random.Random(7)
    xs = {i: [U.rand_double(rng, f) for _ in range(400)] for i, f in enumerate(fmts)}
    text = ''.join('D %d %s\n' % (i, U.dbits(x)) for i in xs for x in xs[i])
    lines = U.run_program(exe, text, str(tmp_path), 'mirror')
    k, bad, n = 0, [], 0
    for i, f in enumerate(fmts):
        t = parse_type(f.cpp())
        raws = t.quantize_raw(np.array(xs[i], dtype=np.float64))
        vals = t.quantize(np.array(xs[i], dtype=np.float64))
        for j, x in enumerate(xs[i]):
            w, _, u = U.parse_out(lines[k].split(';')[0])
            k += 1
            n += 1
            c = U.wrap(u, w, f.S)
            if int(raws[j]) != c or float(vals[j]) != float(c) * 2.0 ** -(0 if f.isint else f.F):
                bad.append((f.cpp(), x, c, int(raws[j]), float(vals[j])))
    print('hlsgen.fixed vs C++: %d conversions, %d mismatches' % (n, len(bad)))
    assert not bad, bad[:20]


def test_parse_type_error_message():
    from hlsgen.fixed import parse_type
    with pytest.raises(ValueError) as ei:
        parse_type('fixd<16,6>')
    msg = str(ei.value)
    assert 'fixd<16,6>' in msg and 'ap_fixed<' in msg and 'ap_int<' in msg


def test_quantize_scaled_rounds_the_exact_rational_once():
    """raw * 2^-frac with far more bits than float64 holds: every rounding and overflow mode
    agrees with the value computed in exact rationals (fractions)."""
    from fractions import Fraction
    import math

    from hlsgen.fixed import parse_type

    rng = np.random.default_rng(7)
    raws = [int(v) for v in rng.integers(-(2**62), 2**62, 300)] + [3 << 40, -(3 << 40), (1 << 70) + 5, -(1 << 70)]
    raws += [(2 * k + 1) << 39 for k in range(-4, 4)]  # exact ties at 40 fractional bits -> 0
    frac = 80
    arr = np.array(raws, dtype=object)
    for rnd in ("TRN", "TRN_ZERO", "RND", "RND_ZERO", "RND_INF", "RND_MIN_INF", "RND_CONV"):
        for sat in ("SAT", "WRAP", "SAT_SYM", "SAT_ZERO"):
            for signed in (True, False):
                t = parse_type(f"{'' if signed else 'u'}fixed<24,-16,{rnd},{sat}>")  # 40 fractional bits
                got = t.quantize_scaled(arr, frac)
                for raw, g in zip(raws, got):
                    q = Fraction(raw, 1 << (frac - t.fractional))  # value in LSBs of t
                    fl = math.floor(q)
                    d = q - fl
                    up = fl + 1
                    tie = {"RND": up, "RND_ZERO": up if q < 0 else fl, "RND_INF": fl if q < 0 else up,
                           "RND_MIN_INF": fl, "RND_CONV": fl if fl % 2 == 0 else up}.get(rnd)
                    if rnd == "TRN":
                        r = fl
                    elif rnd == "TRN_ZERO":
                        r = math.trunc(q)
                    else:
                        r = up if d > Fraction(1, 2) else fl if d < Fraction(1, 2) else tie
                    lo, hi = t.min_raw, t.max_raw
                    if sat == "SAT":
                        r = min(max(r, lo), hi)
                    elif sat == "SAT_SYM":
                        r = min(max(r, lo + 1 if signed else lo), hi)
                    elif sat == "SAT_ZERO":
                        r = r if lo <= r <= hi else 0
                    else:
                        r = (r - lo) % (1 << t.width) + lo
                    assert g == r * 2.0 ** -t.fractional, (rnd, sat, signed, raw)
