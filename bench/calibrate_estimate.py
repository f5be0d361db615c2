"""Fit the first-order constants of hlsgen/estimate/costs.yml to the public C-synthesis
reports (bench/data/csynth_reports.yml): a coordinate search over a few constants that
minimises the sum over metrics of the median and 75th-percentile relative errors.
Prints the constants; copy them into costs.yml by hand (with the date and the errors).
``--held-out K`` fits K times, each time without one group of repositories, and prints
the errors on the designs left out (what a new user's design can expect).

    python bench/calibrate_estimate.py [knob ...] [--rounds 3] [--held-out 4]
"""
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import csynth_designs as cd  # noqa: E402

from hlsgen.estimate.model import costs  # noqa: E402

KNOBS = ["lut_mult_max_width", "lut_per_mult_bit2", "lut_per_add_bit", "ff_per_add_bit", "lut_per_mux_input_bit",
         "layer_lut", "layer_ff", "lut_per_elem_bit", "ff_per_elem_bit", "t_lut_mult_ns", "t_add_ns", "t_add_ns_per_bit",
         "t_table_ns", "bram_min_bits", "layer_latency", "dsp_latency", "ff_per_dsp", "ff_per_fabric_product_bit", "rom_ports",
         "t_dsp_mult_ns", "elem_latency", "tools.vivado_hls.t_add_ns", "tools.vivado_hls.layer_latency",
         "tools.vivado_hls.elem_latency", "family_delay_scale.7series", "bram_read_latency"]
INTEGER = {"lut_mult_max_width", "bram_min_bits", "layer_latency", "dsp_latency", "ff_per_dsp", "ff_per_fabric_product_bit", "rom_ports",
           "lut_const_mult_max_digits", "elem_latency", "bram_read_latency", "tools.vivado_hls.layer_latency", "tools.vivado_hls.elem_latency"}


def prepared():
    items = []
    for e in cd.load():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model, layer_cfg = cd.keras_model(e)
                est, rep = cd.estimate_entry(e)
        except cd.Unsupported:
            continue
        items.append((e, est))
    return items


def score(items):
    errs = []
    for e, est0 in items:
        errs.append(cd.compare(cd.estimate_design(e, est0._code), e["report"]))
    s = cd.summary(errs)
    return sum(v[0] + 0.5 * v[1] for v in s.values() if v[0] is not None), s


def _get(c, key):
    for p in key.split("."):
        c = c[p]
    return round(c, 3)


def fit(items, c, rounds=3, log=print):
    """Coordinate search over KNOBS on ``items``, changing the live constants ``c`` in place."""
    best, summ = score(items)
    log(f"start {best:.3f} {summ}")
    for rnd in range(rounds):
        for k in KNOBS:
            *path, leaf = k.split(".")
            d = c
            for p in path:  # e.g. tools.vivado_hls.t_add_ns
                d = d[p]
            for f in (0.5, 0.7, 0.85, 1.2, 1.4, 2.0):
                old = d[leaf]
                d[leaf] = max(0, round(old * f) if round(old * f) != old else old + (1 if f > 1 else -1)) if k in INTEGER else old * f
                s, summ2 = score(items)
                if s < best - 1e-6:
                    best, summ = s, summ2
                else:
                    d[leaf] = old
        log(f"round {rnd}: {best:.3f} " + str({k: _get(c, k) for k in KNOBS}))
    return summ


def held_out(items, c, folds, rounds):
    """Grouped cross-validation: the designs of each repository are estimated with constants
    fitted on the other folds only (repositories assigned to folds by size), so no design
    is scored by constants it helped to fit."""
    import copy

    by_repo = {}
    for it in items:
        by_repo.setdefault(it[0]["source"]["repo"], []).append(it)
    groups = [[] for _ in range(folds)]
    for repo, its in sorted(by_repo.items(), key=lambda kv: -len(kv[1])):
        min(groups, key=len).extend(its)
    start = copy.deepcopy(c)
    errs = []
    for k, test in enumerate(groups):
        c.clear()
        c.update(copy.deepcopy(start))
        train = [it for g in groups if g is not test for it in g]
        fit(train, c, rounds, log=lambda *a: None)
        for e, est0 in test:
            errs.append(cd.compare(cd.estimate_design(e, est0._code), e["report"]))
        repos = sorted({e["source"]["repo"] for e, _ in test})
        print(f"fold {k}: {len(test)} designs of {len(repos)} repositories held out", flush=True)
    c.clear()
    c.update(start)
    return cd.summary(errs)


def main():
    global KNOBS
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("knobs", nargs="*", help="constants to fit (default: all of KNOBS)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--held-out", type=int, metavar="FOLDS",
                    help="do not fit: print the errors of grouped-by-repository cross-validation with FOLDS folds")
    args = ap.parse_args()
    KNOBS = args.knobs or KNOBS
    items = prepared()
    c = costs()
    if args.held_out:
        print(f"{'metric':10s} {'held-out median':>16s} {'p75':>6s} {'designs':>8s}")
        for m, (med, p75, n) in held_out(items, c, args.held_out, args.rounds).items():
            print(f"{m:10s} {med:16.2f} {p75:6.2f} {n:8d}")
        return
    print(fit(items, c, args.rounds))


if __name__ == "__main__":
    main()
