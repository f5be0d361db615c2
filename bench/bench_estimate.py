"""Estimator error against public C-synthesis reports (bench/data/csynth_reports.yml).

Prints, per metric (DSP, LUT, FF, BRAM_18K, latency, II), the median and the 75th
percentile of the relative error |estimate - report| / report over the designs hlsgen
can rebuild, and the coverage.  ``--designs`` lists every design.

    python bench/bench_estimate.py [--designs]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import csynth_designs as cd  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--designs", action="store_true", help="print every design's numbers")
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows, skipped = cd.run_all(verbose=args.designs)
    n = len(rows) + len(skipped)
    print(f"\n{len(rows)} of {n} designs estimated ({100 * len(rows) / n:.0f}% coverage) in "
          f"{time.perf_counter() - t0:.1f} s; skipped: {', '.join(i for i, _ in skipped) or 'none'}")
    print(f"{'metric':10s} {'median':>8s} {'p75':>8s} {'designs':>8s}")
    for m, (med, p75, k) in cd.summary([r[2] for r in rows]).items():
        print(f"{m:10s} {med:8.2f} {p75:8.2f} {k:8d}" if med is not None else f"{m:10s} {'-':>8s}")
    print("rule4ml (the public neural estimator for hls4ml) is not run here: see the closing note of issue 13.")


if __name__ == "__main__":
    main()
