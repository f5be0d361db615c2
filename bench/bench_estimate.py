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
    ap.add_argument("--rule4ml-python", metavar="PYTHON",
                    help="an interpreter with rule4ml installed (see bench/rule4ml_side.py): compare with it")
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows, skipped = cd.run_all(verbose=args.designs)
    n = len(rows) + len(skipped)
    print(f"\n{len(rows)} of {n} designs estimated ({100 * len(rows) / n:.0f}% coverage) in "
          f"{time.perf_counter() - t0:.1f} s; skipped: {', '.join(i for i, _ in skipped) or 'none'}")
    print(f"{'metric':10s} {'median':>8s} {'p75':>8s} {'designs':>8s}")
    for m, (med, p75, k) in cd.summary([r[2] for r in rows]).items():
        print(f"{m:10s} {med:8.2f} {p75:8.2f} {k:8d}" if med is not None else f"{m:10s} {'-':>8s}")
    if args.rule4ml_python:
        side_by_side(rows, args.rule4ml_python)
    else:
        print("rule4ml (the public neural estimator for hls4ml): pass --rule4ml-python to compare (bench/rule4ml_side.py)")


def side_by_side(rows, python):
    """Both estimators' errors on the designs rule4ml can take."""
    import rule4ml_side

    taken = [(e, est, err) for e, est, err in rows if rule4ml_side.takes(e)]
    t0 = time.perf_counter()
    pred = rule4ml_side.run(python, [e["id"] for e, _, _ in taken])
    taken = [t for t in taken if t[0]["id"] in pred]  # where its parser failed, neither is compared
    theirs = []
    for e, _, _ in taken:
        p = dict(pred[e["id"]])
        theirs.append(cd.compare_numbers(p, e["report"]))
    ours = cd.summary([err for _, _, err in taken])
    other = cd.summary(theirs)
    print(f"\nrule4ml on the {len(taken)} designs it can take (io_parallel MLPs on a part of its boards' families; "
          f"{time.perf_counter() - t0:.0f} s):")
    print(f"{'metric':10s} {'hlsgen median':>14s} {'rule4ml median':>15s} {'hlsgen p75':>11s} {'rule4ml p75':>12s} {'designs':>8s}")
    for m in cd.METRICS:
        a, b = ours[m], other[m]
        if a[0] is None or b[0] is None:
            continue
        print(f"{m:10s} {a[0]:14.2f} {b[0]:15.2f} {a[1]:11.2f} {b[1]:12.2f} {a[2]:8d}")


if __name__ == "__main__":
    main()
