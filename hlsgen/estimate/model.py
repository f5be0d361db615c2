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


def _cycles(ns: float, clock_ns: float) -> int:
    return max(0, math.ceil(ns / clock_ns - 1e-9))


def dsp_per_product(wa: int, wb: int, part) -> int:
    """DSP slices of one wa x wb product (0: built from LUTs)."""
    lo, hi = sorted((int(wa), int(wb)))
    if lo <= costs()["lut_mult_max_width"] or not part.dsp_a:  # narrow, or bound to fabric
        return 0
    a, b = part.dsp_a, part.dsp_b
    return ceil_div(hi - 1, a - 1) * ceil_div(lo - 1, b - 1)


def _adder_tree_cycles(terms: int, acc_bits: int, clock_ns: float) -> int:
    c = costs()
    levels = math.ceil(math.log2(max(terms, 1) + 1))
    return _cycles(levels * (c["t_add_ns"] + c["t_add_ns_per_bit"] * acc_bits), clock_ns)


def memory(bits_per_word: int, words: int) -> tuple:
    """(bram_18k, lut) of an on-chip array of ``words`` words of ``bits_per_word`` bits."""
    c = costs()
    if bits_per_word * words < c["bram_min_bits"]:
        return 0, ceil_div(bits_per_word * words, 64)  # LUTRAM: 64 bits per LUT6
    return ceil_div(bits_per_word, c["bram_width"]) * ceil_div(words, c["bram_depth"]), 0


def _weight_stats(lay, constant: bool):
    """(products that need a multiplier, products that are shifts) as fractions of all
    products: with constant weights zeros vanish and powers of two become shifts."""
    if not constant or "weight" not in lay.weights:
        return 1.0, 0.0
    q = np.abs(lay.types["weight"].quantize(lay.weights["weight"])).ravel()
    if q.size == 0:
        return 0.0, 0.0
    nz = q[q > 0]
    pow2 = np.isclose(np.exp2(np.round(np.log2(nz))), nz).sum() if nz.size else 0
    return (nz.size - pow2) / q.size, pow2 / q.size


def mac_row(lay, plan, clock_ns: float, part, reprogrammable: bool) -> dict:
    c = costs()
    x_t, w_t, acc_t = lay.in_types[0], lay.types["weight"], lay.types["accum"]
    constant = not reprogrammable and plan.storage == "registers"
    f_mult, f_shift = _weight_stats(lay, constant)
    per_iter = plan.products / max(plan.iterations, 1)
    rf = plan.reuse_factor
    if plan.block:  # Dense Resource: block * n_out products per cycle, one block each of rf cycles
        mult = plan.multipliers
        shifts = 0
    else:
        mult = ceil_div(round(per_iter * f_mult), rf) if f_mult else 0
        shifts = ceil_div(round(per_iter * f_shift), rf) if f_shift else 0
    d = dsp_per_product(x_t.width, w_t.width, part)
    dsp = mult * d
    lut = c["layer_lut"] + (mult + shifts) * acc_t.width * c["lut_per_add_bit"]
    if d == 0:
        lut += mult * x_t.width * w_t.width * c["lut_per_mult_bit2"]
    if rf > 1:
        lut += mult * (x_t.width + w_t.width) * c["lut_per_mux_bit_per_level"] * math.ceil(math.log2(rf))
    ff = c["layer_ff"] + (mult + shifts) * acc_t.width * c["ff_per_add_bit"]
    bram = 0
    if plan.storage == "memory":
        b, l = memory(plan.reshape_factor * w_t.width, ceil_div(plan.weight_words, max(plan.reshape_factor, 1)))
        bram, lut = bram + b, lut + l
    elif reprogrammable:  # weights in registers that the top rewrites
        ff += plan.weight_words * w_t.width
    t_mult = c["t_dsp_mult_ns"] if d else c["t_lut_mult_ns"]
    terms = per_iter / max(lay_outputs_per_iteration(lay, plan), 1)
    depth = 1 + _cycles(t_mult, clock_ns) + _adder_tree_cycles(int(terms), acc_t.width, clock_ns)
    lat = (plan.iterations - 1) * plan.ii + rf + depth - 1 if not plan.block else plan.iterations + depth
    return dict(dsp=dsp, lut=lut, ff=ff, bram_18k=bram, latency_min=lat, latency_max=lat, ii=plan.cycles)


def lay_outputs_per_iteration(lay, plan) -> int:
    """Sums computed by one iteration (output channels of a pixel, or the Dense outputs)."""
    w = lay.weights.get("weight")
    return int(w.shape[-1]) if w is not None else 1


def elementwise_row(lay, plan, clock_ns: float, part) -> dict:
    c = costs()
    if plan.style == "view":
        return dict(dsp=0, lut=0, ff=0, bram_18k=0, latency_min=0, latency_max=0, ii=1)
    res = lay.types.get("result")
    width = res.width if res is not None else 16
    per_cycle = ceil_div(plan.outputs, plan.ii)
    lut = c["layer_lut"] + per_cycle * width * c["lut_per_elem_bit"]
    ff = c["layer_ff"] + per_cycle * width * c["ff_per_elem_bit"]
    dsp = bram = 0
    depth = 1
    tables = lay.tables()
    for _, (t, values) in tables.items():  # one ROM copy per parallel lookup (dual port: two)
        copies = ceil_div(per_cycle, 2)
        b, l = memory(t.width, len(values))
        bram, lut = bram + b * copies, lut + l * copies
        depth += _cycles(c["t_table_ns"], clock_ns)
    kind = lay.kind
    if kind in ("Softmax",):
        in_t = lay.in_types[0]
        dsp += per_cycle * dsp_per_product(width, in_t.width, part)  # normalisation products
        depth += _adder_tree_cycles(plan.outputs, width, clock_ns) + _cycles(c["t_dsp_mult_ns"], clock_ns)
    elif kind in ("BatchNormalization",) or "scale" in lay.weights:
        dsp += per_cycle * dsp_per_product(lay.in_types[0].width, width, part)
        depth += _cycles(c["t_dsp_mult_ns"], clock_ns)
    elif kind in ("Multiply",):
        dsp += per_cycle * dsp_per_product(lay.in_types[0].width, lay.in_types[-1].width, part)
        depth += _cycles(c["t_dsp_mult_ns"], clock_ns)
    lat = plan.cycles + depth - 1
    return dict(dsp=dsp, lut=lut, ff=ff, bram_18k=bram, latency_min=lat, latency_max=lat, ii=plan.cycles)


def fifo_row(name: str, width_bits: int, depth: int) -> dict:
    c = costs()
    if depth <= c["srl_max_depth"]:
        lut, bram = width_bits * ceil_div(depth, 32) + 10, 0
    else:
        bram, lut = ceil_div(width_bits, c["bram_width"]) * ceil_div(depth, c["bram_depth"]), 20
    return dict(name=name, kind="FIFO", dsp=0, lut=lut, ff=2 * math.ceil(math.log2(depth + 1)) + 4,
                bram_18k=bram, latency_min=0, latency_max=0, ii=1)
