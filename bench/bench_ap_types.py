"""Benchmark hlsgen's ap_types headers against the reference (Xilinx) headers.

Prints, in one run: g++ -O2 compile time of a small MAC program and
nanoseconds per multiply-accumulate for ap_fixed<16,6> (AP_TRN/AP_WRAP and
AP_RND/AP_SAT), accumulating into a wide exact type and into the narrow type
itself, ours vs the reference, with ratios.

    python bench/bench_ap_types.py [--n 4096] [--reps 2000]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests'))
import aptypes_util as U  # noqa: E402

PROG = r'''
#include "ap_fixed.h"
#include <cstdio>
#include <cstdlib>
#include <chrono>
#ifndef N
#define N 4096
#endif
template <class T, class ACC>
__attribute__((noinline)) double run(const T* x, const T* w, int reps, ACC* sink) {
  auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < reps; ++r) {
    ACC acc = 0;
    for (int i = 0; i < N; ++i) acc += x[i] * w[i];
    sink[r & 7] = acc;  // keep the result observable
    asm volatile("" ::: "memory");
  }
  auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / ((double)reps * N);
}
template <class T, class ACC> void bench(const char* name, int reps) {
  static T x[N], w[N];
  unsigned s = 12345;
  for (int i = 0; i < N; ++i) {
    s = s * 1103515245u + 12345u; x[i] = ((int)(s >> 8) % 2000) / 211.0;
    s = s * 1103515245u + 12345u; w[i] = ((int)(s >> 8) % 2000) / 1789.0 - 0.5;
  }
  ACC sink[8];
  run<T, ACC>(x, w, reps / 10 + 1, sink);
  double ns = run<T, ACC>(x, w, reps, sink);
  double chk = 0; for (int i = 0; i < 8; ++i) chk += sink[i].to_double();
  std::printf("%s %.4f %.6g\n", name, ns, chk);
}
int main(int argc, char** argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 2000;
  typedef ap_fixed<16, 6> TW; typedef ap_fixed<16, 6, AP_RND, AP_SAT> RS;
  bench<TW, ap_fixed<48, 20> >("trn_wrap_wide", reps);
  bench<TW, TW>("trn_wrap_self", reps);
  bench<RS, ap_fixed<48, 20, AP_RND, AP_SAT> >("rnd_sat_wide", reps);
  bench<RS, RS>("rnd_sat_self", reps);
  return 0;
}
'''


def compile_time(src, include, out, tries=3):
    best = None
    for _ in range(tries):
        t0 = time.perf_counter()
        subprocess.run([U.gxx(), '-std=c++14', '-O2', '-I', include, src, '-o', out], check=True)
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best


def run(include, tmp, tag, reps):
    src = os.path.join(tmp, 'mac.cpp')
    with open(src, 'w') as fh:
        fh.write(PROG)
    exe = os.path.join(tmp, 'mac_' + tag)
    ct = compile_time(src, include, exe)
    res = {}
    for _ in range(3):  # best of 3 runs (the machine may be shared)
        out = subprocess.run([exe, str(reps)], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            name, ns, chk = line.split()
            if name not in res or float(ns) < res[name][0]:
                res[name] = (float(ns), float(chk))
    return ct, res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--reps', type=int, default=2000)
    args = ap.parse_args()
    if U.gxx() is None:
        print('g++ not found')
        return 1
    ref = U.reference_include()
    with tempfile.TemporaryDirectory() as tmp:
        ours = run(U.OUR_INCLUDE, tmp, 'ours', args.reps)
        # the reference is ~10-50x slower per MAC: fewer repetitions
        theirs = run(ref, tmp, 'ref', max(args.reps // 5, 20)) if ref else None
    print('compile (g++ -O2, MAC program): ours %.2f s' % ours[0], end='')
    if theirs:
        print(', reference %.2f s, ratio ours/ref %.2f' % (theirs[0], ours[0] / theirs[0]))
    else:
        print(' (reference headers not found)')
    print('%-28s %10s %10s %8s %s' % ('ns per MAC, ap_fixed<16,6>', 'ours', 'reference', 'speedup', 'results equal'))
    for name in ('trn_wrap_wide', 'trn_wrap_self', 'rnd_sat_wide', 'rnd_sat_self'):
        o = ours[1][name]
        if theirs:
            t = theirs[1][name]
            print('%-28s %10.3f %10.3f %7.1fx %s' % (name, o[0], t[0], t[0] / o[0], o[1] == t[1]))
        else:
            print('%-28s %10.3f' % (name, o[0]))
    return 0


if __name__ == '__main__':
    sys.exit(main())
