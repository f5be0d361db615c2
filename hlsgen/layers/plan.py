"""Implementation plans: how each layer's kernel is built, decided in Python.

A layer's :class:`Plan` holds the numbers its C++ kernel uses (multiplier instances,
block and reshape factors, pipeline iterations and interval) and the facts an estimate
needs (products per sample, weight words and where they live).  The backend renders
``Plan.cpp_constants`` into the layer's config struct, and the kernels in ``nnet_utils``
read those constants instead of deriving them; the estimator (``hlsgen.estimate``)
reads the same plan.  So what is estimated is what is generated.

Reuse factors: a kernel that shares ``products`` multiplications over ``reuse_factor``
cycles runs ``ceil(products / reuse_factor)`` multipliers.  A reuse factor is *valid*
for a kernel when no multiplier idles: it divides the shared dimension (Dense
Resource: the inputs, whose blocks are read one per cycle; the other kernels: the
products of one iteration).  :func:`valid_reuse_factors` lists them and
:func:`nearest_valid` picks the closest one.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..escape import Code


def ceil_div(a: int, b: int) -> int:
    return -(-int(a) // int(b))


@dataclass(frozen=True)
class Plan:
    """How one layer is implemented (per sample, io_parallel call)."""

    #: 'mac' (multiply-accumulate kernels), 'elementwise', 'table', 'window', 'view'
    style: str = "elementwise"
    #: multiplications per iteration and per sample
    products: int = 0
    #: multiplier instances (the HLS ALLOCATION limit)
    multipliers: int = 0
    #: pipeline iterations per sample and the interval between them (cycles)
    iterations: int = 1
    ii: int = 1
    reuse_factor: int = 1
    #: Dense Resource: inputs read per iteration (0: not blocked)
    block: int = 0
    #: weight array partitioning: cyclic reshape factor (0: complete partition)
    reshape_factor: int = 0
    #: weight values stored, and where: 'registers' (partitioned), 'memory' (reshaped
    #: RAM), 'port' (reprogrammable copy in on-chip memory) or 'none'
    weight_words: int = 0
    storage: str = "none"
    #: elementwise outputs per sample (activations, merges, pooling outputs)
    outputs: int = 0
    #: what the reuse factor divides (0: the reuse factor only sets the interval); the
    #: valid reuse factors are its divisors
    shared: int = 0
    #: the names rendered into the C++ config struct
    cpp_names: tuple = ()
    #: iterations overlap (a pipelined loop: one starts every ``ii`` cycles); False: each
    #: starts when the one before has finished (a loop that is not pipelined)
    overlap: bool = True

    @property
    def cycles(self) -> int:
        """Cycles from the first iteration's start to the last one's (without pipeline depth)."""
        return self.iterations * self.ii

    def cpp_value(self, name: str) -> int:
        return int(getattr(self, _FIELD[name]))

    def cpp_constants(self) -> Code:
        """``static const unsigned`` lines for the layer's config struct."""
        return Code("\n".join(f"    static const unsigned {n} = {self.cpp_value(n)};" for n in self.cpp_names))


_FIELD = {"multiplier_limit": "multipliers", "block_factor": "block", "reshape_factor": "reshape_factor",
          "pipeline_ii": "ii"}


def mac_plan(products_per_iteration: int, iterations: int, reuse_factor: int, strategy: str,
             weight_words: int) -> Plan:
    """A kernel whose iteration unrolls ``products_per_iteration`` multiplications,
    shared ``reuse_factor`` times: one iteration every ``reuse_factor`` cycles."""
    rf = max(1, int(reuse_factor))
    mult = ceil_div(products_per_iteration, rf)
    resource = strategy.lower() == "resource"
    return Plan(style="mac", products=products_per_iteration * iterations, multipliers=mult, iterations=iterations,
                ii=rf, reuse_factor=rf, shared=products_per_iteration, reshape_factor=mult if resource else 0, weight_words=weight_words,
                storage="memory" if resource else "registers",
                cpp_names=("multiplier_limit", "reshape_factor", "pipeline_ii"))


def dense_plan(n_in: int, n_out: int, reuse_factor: int, strategy: str) -> Plan:
    rf = max(1, int(reuse_factor))
    if strategy.lower() == "resource":
        block = ceil_div(n_in, rf)
        return Plan(style="mac", products=n_in * n_out, multipliers=block * n_out, iterations=rf, ii=1,
                    reuse_factor=rf, block=block, shared=n_in, reshape_factor=block * n_out, weight_words=n_in * n_out,
                    storage="memory", cpp_names=("multiplier_limit", "block_factor", "reshape_factor"))
    return Plan(style="mac", products=n_in * n_out, multipliers=ceil_div(n_in * n_out, rf), iterations=1, ii=rf,
                reuse_factor=rf, shared=n_in * n_out, weight_words=n_in * n_out, storage="registers",
                cpp_names=("multiplier_limit",))


def valid_reuse_factors(shared: int, limit: int | None = None) -> list:
    """Reuse factors that leave no multiplier idle: the divisors of ``shared``."""
    shared = max(1, int(shared))
    small = [d for d in range(1, int(math.isqrt(shared)) + 1) if shared % d == 0]
    out = sorted(set(small + [shared // d for d in small]))
    return [d for d in out if limit is None or d <= limit]


def nearest_valid(rf: int, valid: list) -> int:
    """The valid reuse factor closest to ``rf`` (the smaller one on a tie: more parallel)."""
    return min(valid, key=lambda v: (abs(v - rf), v))
