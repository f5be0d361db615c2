"""Helpers for differential tests of hlsgen's ap_types headers.

* An exact reference of the documented ap_fixed/ap_int semantics written with
  Python integers (independent of hlsgen/fixed.py).
* A generator for one C++ test program per group of formats: it reads
  operations (raw operands in hex) from a file and prints raw results, so one
  compiled program covers many formats and operations.
* Locating g++ and the reference (Xilinx) headers at run time.
"""
import importlib.util
import math
import os
import random
import shutil
import struct
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
OUR_INCLUDE = os.path.join(os.path.dirname(HERE), 'hlsgen', 'templates', 'ap_types')
QMODES = ['AP_TRN', 'AP_TRN_ZERO', 'AP_RND', 'AP_RND_ZERO', 'AP_RND_MIN_INF', 'AP_RND_INF', 'AP_RND_CONV']
OMODES = ['AP_WRAP', 'AP_SAT', 'AP_SAT_ZERO', 'AP_SAT_SYM', 'AP_WRAP_SM']


def gxx():
    return shutil.which(os.environ.get('CXX', 'g++'))


def reference_include():
    """Directory with Xilinx's ap_fixed.h, or None."""
    xil = os.environ.get('XILINX_HLS')
    if xil and os.path.exists(os.path.join(xil, 'include', 'ap_fixed.h')):
        return os.path.join(xil, 'include')
    try:
        spec = importlib.util.find_spec('hls4ml')
    except (ImportError, ValueError):
        spec = None
    if spec and spec.submodule_search_locations:
        d = os.path.join(list(spec.submodule_search_locations)[0], 'templates', 'vivado', 'ap_types')
        if os.path.exists(os.path.join(d, 'ap_fixed.h')):
            return d
    return None


class Fmt:
    """<W, I, S, Q, O, N>; isint marks ap_int/ap_uint (always TRN/WRAP)."""

    def __init__(self, W, I, S=True, Q='AP_TRN', O='AP_WRAP', N=0, isint=False):
        self.W, self.I, self.S, self.Q, self.O, self.N, self.isint = W, I, S, Q, O, N, isint
        self.F = W - I

    @property
    def lo(self):
        return -(1 << (self.W - 1)) if self.S else 0

    @property
    def hi(self):
        return (1 << (self.W - 1)) - 1 if self.S else (1 << self.W) - 1

    def cpp(self):
        if self.isint:
            return '%s<%d>' % ('ap_int' if self.S else 'ap_uint', self.W)
        return '%s<%d,%d,%s,%s,%d>' % ('ap_fixed' if self.S else 'ap_ufixed', self.W, self.I, self.Q, self.O, self.N)

    def xilinx_ok(self):
        # the reference headers assert on some formats with I < 0 or I > W
        return 0 <= self.I <= self.W

    def __repr__(self):
        return self.cpp()


def wrap(v, W, S):
    v &= (1 << W) - 1
    if S and v >> (W - 1):
        v -= 1 << W
    return v


def convert(v, F2, dst, S2=True, W2=None):
    """Raw v (value v*2^-F2, source signedness S2, width W2) -> raw of dst."""
    W, S = dst.W, dst.S
    Q, O, N = ('AP_TRN_ZERO', 'AP_WRAP', 0) if dst.isint else (dst.Q, dst.O, dst.N)
    F = 0 if dst.isint else dst.F
    d = F - F2
    if d >= 0:
        q = v << d
    else:
        sh = -d
        q = v >> sh
        rem = v - (q << sh)
        half = rem >= (1 << (sh - 1))
        tie = rem == (1 << (sh - 1))
        neg = v < 0
        if Q == 'AP_TRN' or (Q == 'AP_TRN_ZERO' and not S2):
            inc = False
        elif Q == 'AP_TRN_ZERO':
            inc = neg and rem != 0
        elif Q == 'AP_RND':
            inc = half
        elif Q == 'AP_RND_ZERO':
            inc = half and (not tie or neg)
        elif Q == 'AP_RND_MIN_INF':
            inc = half and not tie
        elif Q == 'AP_RND_INF':
            inc = half and (not tie or not neg)
        else:
            inc = half and (not tie or (q & 1) == 1)
        q += int(inc)
    if O == 'AP_WRAP' and N == 0:
        return wrap(q, W, S)
    lo = -(1 << (W - 1)) if S else 0
    hi = (1 << (W - 1)) - 1 if S else (1 << W) - 1
    if lo <= q <= hi:
        if O == 'AP_SAT_SYM' and S and S2 and q == lo:
            return wrap(lo | 1, W, S)
        return q
    neg = q < 0
    if O == 'AP_SAT':
        return lo if neg else hi
    if O == 'AP_SAT_ZERO':
        return 0
    if O == 'AP_SAT_SYM' or (O == 'AP_WRAP_SM' and not S):
        return (wrap(lo | 1, W, S) if S else 0) if neg else hi
    u = q & ((1 << W) - 1)
    msb = 1 << (W - 1)
    lo_n = max(W - N, 0)
    mid = (((1 << W) - 1) >> 1) & ~((1 << lo_n) - 1) if N >= 2 else 0
    allm = (1 << W) - 1
    if O == 'AP_WRAP':
        if S:
            u = ((u | msb) & ~mid) if neg else ((u & ~msb) | mid)
        else:
            u |= allm & ~((1 << lo_n) - 1)
        return wrap(u, W, S)
    # AP_WRAP_SM, signed
    Ro = bool(u & msb)
    if N == 0:
        pos1 = W - d
        lD = bool((v >> pos1) & 1) if (W2 is not None and 0 <= pos1 < W2) else False
        if lD != Ro:
            u = ~u & allm
            u = (u | msb) if lD else (u & ~msb)
    else:
        if N == 1:
            if neg != Ro:
                u = ~u & allm
        else:
            lNo = bool((u >> lo_n) & 1)
            if lNo == neg:
                u = ~u & allm
            u = (u & ~mid) if neg else (u | mid)
        u = (u | msb) if neg else (u & ~msb)
    return wrap(u, W, S)


def double_parts(x):
    """x = man * 2^-f2 exactly, man a signed 54-bit integer (as the C++ does)."""
    u = struct.unpack('<Q', struct.pack('<d', x))[0]
    e = (u >> 52) & 0x7ff
    m = u & ((1 << 52) - 1)
    if e == 0:
        f2 = 1074
    else:
        m |= 1 << 52
        f2 = 1075 - e
    return (-m if u >> 63 else m), f2


def from_double(x, dst):
    m, f2 = double_parts(x)
    return convert(m, f2, dst, True, 54)


def trunc_int(v, fmt):
    """Integer part toward zero (to_int64 semantics before C truncation)."""
    if fmt.isint or fmt.F == 0:
        return v
    if fmt.F < 0:
        return v << -fmt.F
    q = abs(v) >> fmt.F
    return -q if v < 0 else q


def to_double(v, fmt):
    return float(v) * 2.0 ** (-(0 if fmt.isint else fmt.F)) if abs(v) < (1 << 1000) else math.ldexp(float(v), -fmt.F)


# ---- result types ------------------------------------------------------
def res(kind, a, b):
    S1, S2 = a.S, b.S
    I1, I2, F1, F2 = a.I, b.I, a.F, b.F
    isint = a.isint and b.isint
    LI = max(I1 + (S2 and not S1), I2 + (S1 and not S2))
    F = max(F1, F2)
    if kind == 'mul':
        return Fmt(a.W + b.W, I1 + I2, S1 or S2, isint=isint)
    if kind in ('add', 'sub'):
        return Fmt(LI + 1 + F, LI + 1, (S1 or S2) if kind == 'add' else True, isint=isint)
    if kind == 'logic':
        return Fmt(LI + F, LI, S1 or S2, isint=isint)
    if kind == 'div':
        return Fmt(S2 + a.W + max(F2, 0), S2 + I1 + F2, S1 or S2, isint=isint)
    raise ValueError(kind)


def int_fmt(bits=32, signed=True):
    return Fmt(bits, bits, signed, isint=True)


def binop(kind, a, va, b, vb):
    """Exact raw result of a (op) b; returns (fmt, raw) or (None, bool)."""
    if kind in ('add', 'sub', 'and', 'or', 'xor', 'lt', 'eq', 'ge'):
        r = res('add' if kind != 'sub' else 'sub', a, b)
        F = max(a.F, b.F)
        xa, xb = va << (F - a.F), vb << (F - b.F)
        if kind == 'add':
            return r, xa + xb
        if kind == 'sub':
            return r, xa - xb
        if kind in ('lt', 'eq', 'ge'):
            return None, int(compare(kind, a, xa, b, xb))
        rl = res('logic', a, b)
        ua, ub = xa & ((1 << 200) - 1), xb & ((1 << 200) - 1)
        x = {'and': ua & ub, 'or': ua | ub, 'xor': ua ^ ub}[kind]
        return rl, wrap(x, rl.W, rl.S)
    if kind == 'mul':
        return res('mul', a, b), va * vb
    if kind == 'div':
        r = res('div', a, b)
        n = va << max(b.F, 0)
        q = abs(n) // abs(vb)
        if (n < 0) != (vb < 0):
            q = -q
        qw = max(a.W + max(b.F, 0) + (b.S and not a.S), b.W + (a.S and not b.S))
        return r, wrap(wrap(q, qw, a.S or b.S), r.W, r.S)
    raise ValueError(kind)


def compare(kind, a, xa, b, xb):
    """Exact comparison of aligned raws, except the reference's C-like rule for
    mixed signedness: unsigned (modulo 2^width) comparison when not both
    aligned widths are < 32 and the unsigned one is at least as wide."""
    F1, F2 = (0 if a.isint else a.F), (0 if b.isint else b.F)
    if F1 >= F2:
        wa = a.W
    else:
        wa = max(a.W + F2 - F1 + 1, 1)
    wb = max(b.W + F1 - F2, 1) if F1 > F2 else b.W
    wu, ws = (wb, wa) if a.S else (wa, wb)
    if a.S != b.S and not (wa < 32 and wb < 32) and wu >= ws:
        ta, tb = a.S and xa < 0, b.S and xb < 0
        if ta or tb:
            if kind in ('eq', 'ne'):
                m = (1 << wu) - 1
                return (xa & m) == (xb & m) if kind == 'eq' else (xa & m) != (xb & m)
            xa, xb = int(ta), int(tb)
    return {'lt': xa < xb, 'eq': xa == xb, 'ge': xa >= xb, 'gt': xa > xb, 'ne': xa != xb}[kind]


def neg_fmt(a):
    if a.isint:
        w = max(a.W, 1 + a.S) + 1
        return Fmt(w, w, True, isint=True)
    return Fmt(a.W + 1, a.I + 1, True)


def shift(a, va, k, left):
    if not left:
        k = -k
    if k >= 0:
        return wrap(va << k if k < 300 else 0, a.W, a.S)
    return wrap(va >> min(-k, 300), a.W, a.S)


# ---- random operands ---------------------------------------------------
def rand_raw(rng, f):
    r = rng.random()
    lo, hi = f.lo, f.hi
    if r < 0.15:
        return rng.choice([lo, hi, 0, min(hi, 1), max(lo, -1), lo + 1 if lo + 1 <= hi else lo, hi - 1 if hi > lo else hi])
    if r < 0.35:
        # small magnitudes
        return max(lo, min(hi, rng.randint(-300, 300)))
    return rng.randint(lo, hi)


def rand_double(rng, f):
    """Doubles around the format's range: ties, edges, random magnitudes."""
    F = f.F
    r = rng.random()
    lo, hi = f.lo, f.hi
    if r < 0.3:  # exact ties and near-ties at the destination LSB
        k = rng.randint(2 * lo - 4, 2 * hi + 4)
        x = (k + 0.5) if rng.random() < 0.7 else (k + rng.choice([0.25, 0.75, 0.0, 0.5 + 2 ** -30]))
        return math.ldexp(x, -F) if abs(k) < (1 << 52) else math.ldexp(float(k), -F)
    if r < 0.4:
        e = rng.choice([lo, hi, 0])
        return math.ldexp(e + rng.choice([-1, -0.5, 0, 0.5, 1, 0.25, -0.25]), -F)
    if r < 0.45:
        return rng.choice([0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0 ** -60, -(2.0 ** 70)])
    m = rng.randint(-(1 << 53) + 1, (1 << 53) - 1)
    mag = rng.randint(-F - 8, f.I + 8)
    return math.ldexp(m, mag - 53)


def hx(v, W):
    u = v & ((1 << W) - 1)
    return '%x %x' % (u >> 64, u & ((1 << 64) - 1))


def dbits(x):
    return '%x' % struct.unpack('<Q', struct.pack('<d', x))[0]


# ---- C++ program --------------------------------------------------------
CPP_HEAD = r'''
#include "ap_fixed.h"
#include "ap_int.h"
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cstdint>
typedef unsigned long long ull;
static char OUT[1 << 16]; static int ON = 0;
static void flush() { fwrite(OUT, 1, ON, stdout); ON = 0; }
static void put(const char* s) { int n = (int)strlen(s); if (ON + n > (int)sizeof(OUT)) flush(); memcpy(OUT + ON, s, n); ON += n; }
template <int W, bool S> void info(const ap_int_base<W, S>&, int& w, int& i) { w = W; i = W; }
template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N>
void info(const ap_fixed_base<W, I, S, Q, O, N>&, int& w, int& i) { w = W; i = I; }
template <class T> void out(const T& x) {
  int w, i; info(x, w, i);
  ap_uint<T::width> u = x.range(T::width - 1, 0);
  ull lo = u.to_uint64(); ull hi = 0;
  if (T::width > 64) { ap_uint<T::width> t = u >> 32; t = t >> 32; hi = t.to_uint64(); }
  char b[96]; snprintf(b, sizeof b, "%d %d %llx %llx;", w, i, hi, lo); put(b);
}
static void outb(bool v) { put(v ? "1;" : "0;"); }
static void outi(long long v) { char b[40]; snprintf(b, sizeof b, "%lld;", v); put(b); }
static void outd(double v) { char b[40]; union { double d; ull u; } c; c.d = v; snprintf(b, sizeof b, "%llx;", c.u); put(b); }
template <class T> T mk(ull hi, ull lo) {
  ap_uint<128> t = hi; t = t << 32; t = t << 32; t = t | ap_uint<128>(lo);
  ap_uint<T::width> tw = t;
  T x; x.range(T::width - 1, 0) = tw; return x;
}
template <class T> void conv(double d) {
  T x = d; out(x); outi(x.to_int64()); outd(x.to_double()); T y; if (d < 1e38 && d > -1e38) y = (float)d; else y = d; out(y);
}
template <class A, class B> void binops(ull ah, ull al, ull bh, ull bl, int k, int ci) {
  A a = mk<A>(ah, al); B b = mk<B>(bh, bl);
  out(a + b); out(a - b); out(a * b);
  if (b != 0) out(a / b); else put("-;");
  out(a & b); out(a | b); out(a ^ b);
  outb(a < b); outb(a == b); outb(a >= b);
  out(-a); out(a << k); out(a >> k); out(a << -k);
  { A c = a; c += b; out(c); } { A c = a; c -= b; out(c); } { A c = a; c *= b; out(c); }
  { A c = b; out(c); } { B c = a; out(c); }
  out(a + ci); out(ci * a); out(a - ci); { A c = a; c += ci; out(c); } { A c = a; c *= ci; out(c); }
  outb(a == ci); outb(a > ci);
  const int W = A::width; int i = k % W; int lo = (k / 3) % W; int hi = lo + (k / 7) % (W - lo);
  outb(a[i]); { A c = a; c[i] = !c[i]; out(c); }
  { ap_uint<W> r = a.range(hi, lo); out(r); }
  { A c = a; c.range(hi, lo) = (ull)ci; out(c); }
}
'''


def make_program(convfmts, pairs):
    lines = [CPP_HEAD]
    for i, f in enumerate(convfmts):
        lines.append('typedef %s C%d;' % (f.cpp(), i))
    for i, (a, b) in enumerate(pairs):
        lines.append('typedef %s A%d; typedef %s B%d;' % (a.cpp(), i, b.cpp(), i))
    lines.append('int main(int argc, char** argv) {\n  FILE* f = fopen(argv[1], "r"); char op; int idx;')
    lines.append('  while (fscanf(f, " %c %d", &op, &idx) == 2) {')
    lines.append('    if (op == \'D\') { ull u; if (fscanf(f, "%llx", &u) != 1) return 2; union { double d; ull u; } c; c.u = u;')
    lines.append('      switch (idx) {')
    for i in range(len(convfmts)):
        lines.append('        case %d: conv<C%d>(c.d); break;' % (i, i))
    lines.append('      }\n    } else {\n      ull ah, al, bh, bl; int k, ci;')
    lines.append('      if (fscanf(f, "%llx %llx %llx %llx %d %d", &ah, &al, &bh, &bl, &k, &ci) != 6) return 2;')
    lines.append('      switch (idx) {')
    for i in range(len(pairs)):
        lines.append('        case %d: binops<A%d, B%d>(ah, al, bh, bl, k, ci); break;' % (i, i, i))
    lines.append('      }\n    }\n    put("\\n");\n  }\n  flush();\n  return 0;\n}')
    return '\n'.join(lines)


def parse_out(tok):
    """'w i hi lo' -> (w, i, raw signed by the printed format's signedness unknown: raw unsigned)."""
    w, i, hi, lo = tok.split()
    return int(w), int(i), (int(hi, 16) << 64) | int(lo, 16)


def expect_fmt(tok, fmt, raw):
    """Compare an output token with an expected (fmt, signed raw)."""
    w, i, u = parse_out(tok)
    return w == fmt.W and i == (fmt.W if fmt.isint else fmt.I) and u == raw & ((1 << fmt.W) - 1)


def gen_cases(rng, convfmts, pairs, n_conv, n_bin):
    """Returns (input text, list of expected-output callables per line)."""
    text, exp = [], []
    for _ in range(n_conv):
        i = rng.randrange(len(convfmts))
        f = convfmts[i]
        x = rand_double(rng, f)
        text.append('D %d %s' % (i, dbits(x)))
        exp.append(('D', f, x))
    for _ in range(n_bin):
        i = rng.randrange(len(pairs))
        a, b = pairs[i]
        va, vb = rand_raw(rng, a), rand_raw(rng, b)
        k = rng.randint(0, 2 * max(a.W, 8))
        ci = rng.choice([0, 1, -1, 3, -7, 2 ** 31 - 1, -2 ** 31, rng.randint(-1000, 1000), rng.randint(-2 ** 31, 2 ** 31 - 1)])
        text.append('B %d %s %s %d %d' % (i, hx(va, a.W), hx(vb, b.W), k, ci))
        exp.append(('B', a, b, va, vb, k, ci))
    return '\n'.join(text) + '\n', exp


def expected_tokens(case):
    """Exact expected output tokens for one case (strings / comparators)."""
    if case[0] == 'D':
        _, f, x = case
        v = from_double(x, f)
        vf = from_double(struct.unpack('<f', struct.pack('<f', x))[0] if abs(x) < 1e38 else x, f)
        ti = trunc_int(v, f)
        ti = wrap(ti, 64, True)
        return [('F', f, v), ('I', ti), ('D', to_double(v, f)), ('F', f, vf)]
    _, a, b, va, vb, k, ci = case
    toks = []
    for kind in ('add', 'sub', 'mul'):
        r, v = binop(kind, a, va, b, vb)
        toks.append(('F', r, v))
    if vb != 0:
        r, v = binop('div', a, va, b, vb)
        toks.append(('F', r, v))
    else:
        toks.append(('S', '-'))
    for kind in ('and', 'or', 'xor'):
        r, v = binop(kind, a, va, b, vb)
        toks.append(('F', r, v))
    for kind in ('lt', 'eq', 'ge'):
        toks.append(('I', binop(kind, a, va, b, vb)[1]))
    toks.append(('F', neg_fmt(a), -va))
    plain_a = Fmt(a.W, a.I, a.S, a.Q, a.O, a.N, a.isint)
    toks.append(('F', plain_a, shift(a, va, k, True)))
    toks.append(('F', plain_a, shift(a, va, k, False)))
    toks.append(('F', plain_a, shift(a, va, -k, True)))
    bb, vbb = b, vb
    if a.isint and not b.isint:  # ap_int op= ap_fixed: rhs -> ap_int<max(I,1)> first
        bb = Fmt(max(b.I, 1), max(b.I, 1), b.S, isint=True)
        vbb = convert(vb, b.F, bb, b.S, b.W)
    for kind in ('add', 'sub', 'mul'):
        r, v = binop(kind, a, va, bb, vbb)
        toks.append(('F', a, convert(v, 0 if r.isint else r.F, a, r.S, r.W)))
    toks.append(('F', a, convert(vb, 0 if b.isint else b.F, a, b.S, b.W)))
    toks.append(('F', b, convert(va, 0 if a.isint else a.F, b, a.S, a.W)))
    ifmt = int_fmt()
    r, v = binop('add', a, va, ifmt, ci)
    toks.append(('F', r, v))
    r, v = binop('mul', ifmt, ci, a, va)
    toks.append(('F', r, v))
    r, v = binop('sub', a, va, ifmt, ci)
    toks.append(('F', r, v))
    r, v = binop('add', a, va, ifmt, ci)
    toks.append(('F', a, convert(v, 0 if r.isint else r.F, a, r.S, r.W)))
    r, v = binop('mul', a, va, ifmt, ci)
    toks.append(('F', a, convert(v, 0 if r.isint else r.F, a, r.S, r.W)))
    toks.append(('I', binop('eq', a, va, ifmt, ci)[1]))
    Fc = max(a.F, 0)
    toks.append(('I', int(compare('gt', a, va << (Fc - a.F), ifmt, ci << Fc))))
    W = a.W
    i = k % W
    lo = (k // 3) % W
    hi = lo + (k // 7) % (W - lo)
    ua = va & ((1 << W) - 1)
    toks.append(('I', (ua >> i) & 1))
    toks.append(('F', a, wrap(ua ^ (1 << i), W, a.S)))
    n = hi - lo + 1
    toks.append(('F', Fmt(W, W, False, isint=True), (ua >> lo) & ((1 << n) - 1)))
    m = ((1 << n) - 1) << lo
    cu = ci & ((1 << 64) - 1)
    toks.append(('F', a, wrap((ua & ~m) | ((cu << lo) & m), W, a.S)))
    return toks


def check_line(line, case):
    """Returns list of (index, got, expected) mismatches for one output line."""
    got = line.split(';')[:-1]
    exp = expected_tokens(case)
    bad = []
    if len(got) != len(exp):
        return [(-1, line, exp)]
    for j, (g, e) in enumerate(zip(got, exp)):
        if e[0] == 'F':
            ok = expect_fmt(g, e[1], e[2])
        elif e[0] == 'I':
            ok = int(g) == e[1]
        elif e[0] == 'D':
            ok = g == dbits(e[1])
        else:
            ok = g == e[1]
        if not ok:
            bad.append((j, g, e))
    return bad


def compile_program(src, include, workdir, name):
    cpp = os.path.join(workdir, name + '.cpp')
    exe = os.path.join(workdir, name)
    with open(cpp, 'w') as fh:
        fh.write(src)
    cmd = [gxx(), '-std=c++14', '-O1', '-w', '-I', include, cpp, '-o', exe]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError('compile failed (%s):\n%s' % (include, p.stderr[-5000:]))
    return exe


def run_program(exe, text, workdir, name):
    inp = os.path.join(workdir, name + '.in')
    with open(inp, 'w') as fh:
        fh.write(text)
    p = subprocess.run([exe, inp], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError('%s failed rc=%d: %s' % (exe, p.returncode, p.stderr[-2000:]))
    return p.stdout.splitlines()
