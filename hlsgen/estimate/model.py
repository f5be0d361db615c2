"""Resource and latency model of hlsgen's kernels, read from the implementation plans.

Every number here follows from what the backend generates: each layer's
:class:`~hlsgen.layers.plan.Plan` (multipliers, iterations, interval, weight storage),
its operand and accumulator types, its weights (constants at synthesis unless
reprogrammable), the io_stream FIFOs the backend chose, and the accelerator top.
Constants: ``costs.yml``; part facts: ``parts.yml``.
"""
from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import yaml

from ..layers.plan import ceil_div


@functools.lru_cache(maxsize=None)
def costs() -> dict:
    return yaml.safe_load((Path(__file__).parent / "costs.yml").read_text())


#: the HLS tools whose behaviour costs.yml records; Vitis HLS is the current one
TOOLS = ("vitis_hls", "vivado_hls")


def tool_costs(tool: str = "vitis_hls") -> dict:
    """costs.yml with the overrides of ``tool`` (where the tools bind operators differently)."""
    if tool not in TOOLS:
        raise ValueError(f"tool {tool!r}: expected one of {', '.join(TOOLS)}")
    c = costs()
    return {**c, **(c.get("tools") or {}).get(tool, {})}


def budget_ns(clock_ns: float, c: dict, uncertainty: float | None, part) -> float:
    """The time a path may take before it is registered, in the delays of costs.yml (those
    of UltraScale+ fabric): the clock period less its uncertainty, over the part family's
    delay scale (``family_delay_scale``: the same logic is slower in 7-series fabric)."""
    unc = c["clock_uncertainty"] if uncertainty is None else uncertainty
    scale = (c.get("family_delay_scale") or {}).get(getattr(part, "family", None), 1.0)
    return clock_ns * (1 - unc) / scale


def _cycles(ns: float, clock_ns: float) -> int:
    return max(0, math.ceil(ns / clock_ns - 1e-9))


def dsp_per_product(wa: int, wb: int, part) -> int:
    """DSP slices of one wa x wb product (0: built from LUTs)."""
    lo, hi = sorted((int(wa), int(wb)))
    if lo <= costs()["lut_mult_max_width"] or not part.dsp_a:  # narrow, or bound to fabric
        return 0
    a, b = part.dsp_a, part.dsp_b
    return ceil_div(hi - 1, a - 1) * ceil_div(lo - 1, b - 1)


def _adder_tree_cycles(terms: int, acc_bits: int, clock_ns: float, c: dict | None = None) -> int:
    c = c or costs()
    levels = math.ceil(math.log2(max(terms, 1) + 1))
    return _cycles(levels * (c["t_add_ns"] + c["t_add_ns_per_bit"] * acc_bits), clock_ns)


def memory(bits_per_word: int, words: int) -> tuple:
    """(bram_18k, lut) of an on-chip array of ``words`` words of ``bits_per_word`` bits.
    An 18 Kb block RAM is 16K x 1, 8K x 2, 4K x 4, 2K x 9, 1K x 18 or 512 x 36 (UG473,
    UG573); a wider word takes several side by side."""
    c = costs()
    if bits_per_word * words < c["bram_min_bits"]:
        return 0, ceil_div(bits_per_word * words, 64)  # LUTRAM: 64 bits per LUT6
    best = None
    for width, depth in ((1, 16384), (2, 8192), (4, 4096), (9, 2048), (18, 1024), (36, 512)):
        n = ceil_div(bits_per_word, width) * ceil_div(words, depth)
        best = n if best is None else min(best, n)
    return best, 0


def signed_digits(q: np.ndarray, lsb: float) -> np.ndarray:
    """Nonzero digits of each constant weight in its canonical signed-digit form (in
    units of the weight's LSB): 0 is a zero weight (no product), 1 a power of two (a
    shift), 2 one adder of shifted data; from 3 digits up the tools use a multiplier.
    That rule predicts, on the public KERAS_3layer model (fixed<16,6>, 16-bit data), the
    DSP products of Vivado HLS 2019.2 (3,317: astitwlathe-keras3layer-vu9p) and of Vitis
    HLS 2025.2 (per layer 881/1509/810/129: taitashaw-keras3layer-stream-zu7ev) as
    889/1536/814/131 = 3,370; counting significant bits predicts 2,406 or 3,553 at the
    neighbouring thresholds.  The digit count of k is popcount(3k XOR k)."""
    k = np.abs(np.rint(np.asarray(q, dtype=np.float64).ravel() / lsb)).astype(np.uint64)
    x = (k * np.uint64(3)) ^ k
    n = np.zeros(k.shape, dtype=np.int64)
    while x.any():
        n += (x & np.uint64(1)).astype(np.int64)
        x >>= np.uint64(1)
    return n


def magnitude_bits(q: np.ndarray, lsb: float) -> np.ndarray:
    """Bits of each constant's magnitude in units of its LSB (0 for a zero weight)."""
    k = np.abs(np.rint(np.asarray(q, dtype=np.float64).ravel() / lsb)).astype(np.int64)
    out = np.zeros(k.shape, dtype=np.int64)
    nz = k > 0
    out[nz] = np.floor(np.log2(k[nz])).astype(np.int64) + 1
    return out


def product_mix(lay, x_width: int, constant: bool, part, tool: str = "vitis_hls") -> dict:
    """Per product of one iteration (fractions of all products): how many need a DSP
    slice, how many are built in the fabric (and the mean LUTs of one), how many are
    shifts, and how many vanish.  Embedded weights are constants at synthesis: a product
    by a constant of d signed digits is d - 1 adders of shifted data unless it goes to a
    DSP slice (d above ``lut_const_mult_max_digits``, with data wider than
    ``lut_mult_max_width``)."""
    c = tool_costs(tool)
    w_t = lay.types["weight"]
    if "weight" not in lay.weights:
        return dict(dsp=1.0, fabric=0.0, area=0.0, shift=0.0, nonzero=1.0, mul=1.0)
    if not constant:  # weights read from memory or a port: every product is a full multiplier
        d = dsp_per_product(x_width, w_t.width, part) > 0
        return dict(dsp=float(d), fabric=float(not d),
                    area=float(x_width * w_t.width * c["lut_per_mult_bit2"]) * (not d), shift=0.0, nonzero=1.0,
                    mul=1.0)
    q = lay.types["weight"].quantize(lay.weights["weight"])
    digits = signed_digits(q, w_t.lsb)
    n = max(digits.size, 1)
    mult = digits > 1
    on_dsp = (mult & (digits > c["lut_const_mult_max_digits"]) & (x_width > c["lut_mult_max_width"])
              & bool(part.dsp_a))
    fabric = mult & ~on_dsp
    area = 0.0
    if fabric.any():  # d - 1 adders as wide as the data plus the constant's magnitude
        mag = magnitude_bits(q, w_t.lsb)
        area = float(((digits[fabric] - 1) * (x_width + mag[fabric])).mean() * c["lut_per_add_bit"])
    return dict(dsp=on_dsp.sum() / n, fabric=fabric.sum() / n, area=area,
                shift=(digits == 1).sum() / n, nonzero=(digits > 0).sum() / n,
                mul=mult.sum() / n)


def mac_row(lay, plan, clock_ns: float, part, reprogrammable: bool, tool: str = "vitis_hls",
            uncertainty: float | None = None) -> dict:
    """One multiply-accumulate layer: products per iteration from the plan, each mapped
    to a DSP slice, a fabric multiplier, a shift or nothing (constant weights); an adder
    tree per output; pipeline registers where the path crosses the clock."""
    c = tool_costs(tool)
    x_t, w_t, acc_t = lay.in_types[0], lay.types["weight"], lay.types["accum"]
    constant = not reprogrammable and plan.storage == "registers"
    mix = product_mix(lay, x_t.width, constant, part, tool)
    per_iter = plan.products / max(plan.iterations, 1)
    rf = plan.reuse_factor
    outs = max(lay_outputs_per_iteration(lay, plan), 1)
    # HLS's ALLOCATION limit caps the multipliers; where the kernel pipelines at II=rf
    # (convolutions) every operator is shared rf times; in Dense Latency (unrolled in the
    # top's pipeline) only the multipliers are; Dense Resource's iteration is one cycle
    share = rf if "pipeline_ii" in plan.cpp_names else 1
    hard = math.ceil(per_iter * mix["dsp"])
    d = dsp_per_product(x_t.width, w_t.width if not constant else c["lut_mult_max_width"] + 1, part) or 1
    if plan.block:
        dsp_units = plan.multipliers if mix["dsp"] else 0
    else:
        dsp_units = min(hard, plan.multipliers)
    fabric = math.ceil(per_iter * mix["fabric"] / share)
    adds = max(per_iter * mix["nonzero"] - outs, 0) / share
    dsp = dsp_units * d
    lut = c["layer_lut"] + adds * acc_t.width * c["lut_per_add_bit"] + fabric * mix["area"]
    # multipliers shared over `ways` products: each data value reaches its multiplier
    # through a multiplexer (a stream of inputs per multiplexer: about n_inputs x bits / 3
    # LUT6 in all, whatever the sharing); a weight in registers through a multiplexer too;
    # constant weights and weights read from block RAM need none (public reports of the
    # same Dense Latency design at reuse factor 1 and 2 use the same LUTs: 85,140 and
    # 84,841, hector-tutorial-part1/-part2-rf2 in bench/data/csynth_reports.yml)
    ways = ceil_div(hard, dsp_units) if dsp_units and hard > dsp_units else (rf if plan.block else 1)
    if ways > 1:
        n_inputs = max(1, round(per_iter / outs))
        x_ways = min(ways, n_inputs)
        lut += ceil_div(n_inputs, x_ways) * x_t.width * (x_ways - 1) * c["lut_per_mux_input_bit"]
        if plan.storage != "memory" and not constant:
            lut += dsp_units * w_t.width * (ways - 1) * c["lut_per_mux_input_bit"]
    # pipeline: the products (a DSP slice registers its own), then the adder tree of each
    # output, registered where a clock edge falls
    levels = math.ceil(math.log2(per_iter * mix["nonzero"] / outs + 1))
    t_level = c["t_add_ns"] + c["t_add_ns_per_bit"] * acc_t.width
    t0 = 0.0 if dsp_units else c["t_lut_mult_ns"] if fabric else 0.0
    budget = budget_ns(clock_ns, c, uncertainty, part)
    stages = _cycles(t0 + levels * t_level, budget)
    depth = stages + (c["dsp_latency"] if dsp_units else 0)
    if plan.storage == "memory":  # weights read from block RAM: its synchronous read first
        depth += c["bram_read_latency"]
    live = per_iter * mix["nonzero"] / share  # values entering the trees
    regs = 0.0
    for stage in range(1, stages + 1):  # what is alive where each stage ends
        t = stage * budget
        if t < t0:  # inside the fabric products: their partial products
            regs += live * (x_t.width + w_t.width)
            continue
        done = min(levels, math.floor((t - t0) / t_level))
        regs += max(live / 2 ** done, outs) * acc_t.width
    regs += outs * acc_t.width  # the results
    ff = c["layer_ff"] + regs * c["ff_per_add_bit"] + dsp * c["ff_per_dsp"]
    if fabric:  # a fabric product's result is registered: its bits (data + significant weight bits)
        ff += fabric * (x_t.width + w_t.width) * c["ff_per_fabric_product_bit"]
    bram = 0
    if plan.storage == "memory":
        b, l = memory(plan.reshape_factor * w_t.width, ceil_div(plan.weight_words, max(plan.reshape_factor, 1)))
        bram, lut = bram + b, lut + l
    elif reprogrammable:  # weights in registers that the top rewrites
        ff += plan.weight_words * w_t.width
    ii = plan.ii
    if not plan.block and share == 1 and rf > 1:
        # Dense Latency: unrolled in the top's pipeline, its interval is what the ALLOCATION
        # limit forces: the multiplications over the multipliers allowed, at most the reuse
        # factor.  The limit counts every product the scheduler sees as a multiplication:
        # all but the zero and power-of-two constants, wherever binding puts them later
        # (DSP slice, LUT adders, or LUTs where a project binds every product to fabric).
        # hls4ml's reports at reuse factor 100 with a limit of one multiplier show
        # intervals of 31 and 38 for 50 and 62 nonzero products, in DSP slices or LUTs
        # alike (27, 34; argykokk-breastcancer/-cardio-*reuse100 in
        # bench/data/csynth_reports.yml); counting only the products of more digits gives
        # half those intervals, and at reuse factor 2 an interval of 1 where they report 2
        mults = math.ceil(per_iter * mix["mul"])
        ii = min(rf, max(1, ceil_div(mults, max(plan.multipliers, 1))))
    if not plan.overlap:  # a loop that is not pipelined: each iteration waits for the last one
        per = (ii if not plan.block else plan.reuse_factor) + depth + c["loop_entry_exit_cycles"]
        lat = c["layer_latency"] + plan.iterations * per
        return dict(dsp=dsp, lut=lut, ff=ff, bram_18k=bram, latency_min=lat, latency_max=lat, ii=plan.iterations * per)
    lat = c["layer_latency"] + depth + ((plan.iterations - 1) * ii + ii - 1 if not plan.block else plan.iterations)
    return dict(dsp=dsp, lut=lut, ff=ff, bram_18k=bram, latency_min=lat, latency_max=lat, ii=plan.iterations * ii)


def lay_outputs_per_iteration(lay, plan) -> int:
    """Sums computed by one iteration (output channels of a pixel, or the Dense outputs)."""
    w = lay.weights.get("weight")
    return int(w.shape[-1]) if w is not None else 1


def elementwise_row(lay, plan, clock_ns: float, part, tool: str = "vitis_hls",
                    uncertainty: float | None = None) -> dict:
    c = tool_costs(tool)
    budget = budget_ns(clock_ns, c, uncertainty, part)
    if plan.style == "view":
        return dict(dsp=0, lut=0, ff=0, bram_18k=0, latency_min=0, latency_max=0, ii=1)
    res = lay.types.get("result")
    width = res.width if res is not None else 16
    per_cycle = ceil_div(plan.outputs, plan.ii)
    lut = c["layer_lut"] + per_cycle * width * c["lut_per_elem_bit"]
    ff = c["layer_ff"] + per_cycle * width * c["ff_per_elem_bit"]
    dsp = bram = 0
    depth = c["elem_latency"]  # a compare and select, registered or chained into the next layer
    tables = lay.tables()
    for _, (t, values) in tables.items():  # a ROM copy per rom_ports parallel lookups
        copies = ceil_div(per_cycle, c["rom_ports"])
        b, l = memory(t.width, len(values))
        bram, lut = bram + b * copies, lut + l * copies
        depth += _cycles(c["t_table_ns"], budget)
    kind = lay.kind
    if kind in ("Softmax",):
        in_t = lay.in_types[0]
        dsp += per_cycle * dsp_per_product(width, in_t.width, part)  # normalisation products
        depth += _adder_tree_cycles(plan.outputs, width, budget, c) + _cycles(c["t_dsp_mult_ns"], budget)
    elif kind in ("BatchNormalization",) or "scale" in lay.weights:
        dsp += per_cycle * dsp_per_product(lay.in_types[0].width, width, part)
        depth += _cycles(c["t_dsp_mult_ns"], budget)
    elif kind in ("Multiply",):
        dsp += per_cycle * dsp_per_product(lay.in_types[0].width, lay.in_types[-1].width, part)
        depth += _cycles(c["t_dsp_mult_ns"], budget)
    lat = plan.cycles + max(depth, 1 if plan.cycles > 1 else 0) - 1
    return dict(dsp=dsp, lut=lut, ff=ff, bram_18k=bram, latency_min=lat, latency_max=lat, ii=plan.cycles)


def fifo_row(name: str, width_bits: int, depth: int) -> dict:
    c = costs()
    if depth <= c["srl_max_depth"]:
        lut, bram = width_bits * ceil_div(depth, 32) + 10, 0
    else:
        bram, lut = memory(width_bits, depth)[0], 20
    return dict(name=name, kind="FIFO", dsp=0, lut=lut, ff=2 * math.ceil(math.log2(depth + 1)) + 4,
                bram_18k=bram, latency_min=0, latency_max=0, ii=1)
