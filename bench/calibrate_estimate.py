"""Fit the first-order constants of hlsgen/estimate/costs.yml to the public C-synthesis
reports (bench/data/csynth_reports.yml): a coordinate search over a few constants that
minimises the sum over metrics of the median and 75th-percentile relative errors.
Prints the constants; copy them into costs.yml by hand (with the date and the errors).

    python bench/calibrate_estimate.py
"""
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import csynth_designs as cd  # noqa: E402

from hlsgen.estimate import estimate_code  # noqa: E402
from hlsgen.estimate.model import costs  # noqa: E402

KNOBS = ["lut_mult_max_width", "lut_per_mult_bit2", "lut_per_add_bit", "ff_per_add_bit", "lut_per_mux_input_bit",
         "layer_lut", "layer_ff", "lut_per_elem_bit", "ff_per_elem_bit", "t_lut_mult_ns", "t_add_ns", "t_add_ns_per_bit",
         "t_table_ns", "bram_min_bits", "layer_latency", "dsp_latency", "ff_per_dsp", "ff_per_fabric_product_bit", "rom_ports",
         "tools.vivado_hls.lut_mult_max_width"]
INTEGER = {"lut_mult_max_width", "bram_min_bits", "layer_latency", "dsp_latency", "ff_per_dsp", "ff_per_fabric_product_bit", "rom_ports",
           "tools.vivado_hls.lut_mult_max_width"}


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
        est = estimate_code(est0._code, e["part"], float(e["clock_ns"]), None,
                            multipliers="fabric" if e.get("multiplier_impl") == "LUT" else "auto", tool=cd.tool(e),
                            clock_uncertainty=cd.HLS4ML_UNCERTAINTY)
        errs.append(cd.compare(est, e["report"]))
    s = cd.summary(errs)
    return sum(v[0] + 0.5 * v[1] for v in s.values() if v[0] is not None), s


def _get(c, key):
    for p in key.split("."):
        c = c[p]
    return round(c, 3)


def main():
    global KNOBS
    KNOBS = sys.argv[1:] or KNOBS  # python bench/calibrate_estimate.py [knob ...]
    items = prepared()
    c = costs()
    best, summ = score(items)
    print(f"start {best:.3f}", summ)
    for rnd in range(3):
        for k in KNOBS:
            *path, leaf = k.split(".")
            d = c
            for p in path:  # e.g. tools.vivado_hls.lut_mult_max_width
                d = d[p]
            for f in (0.5, 0.7, 0.85, 1.2, 1.4, 2.0):
                old = d[leaf]
                d[leaf] = max(1, round(old * f)) if k in INTEGER else old * f
                s, summ2 = score(items)
                if s < best - 1e-6:
                    best, summ = s, summ2
                else:
                    d[leaf] = old
        print(f"round {rnd}: {best:.3f}", {k: _get(c, k) for k in KNOBS})
    print(summ)


if __name__ == "__main__":
    main()
