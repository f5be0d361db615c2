"""Reuse factors: checked against the kernels' valid values, chosen ('auto') to fit the
part, and the fit check with its advice."""
from __future__ import annotations

import warnings

from ..layers.plan import nearest_valid, valid_reuse_factors


class FitWarning(UserWarning):
    """The estimate exceeds the target share of the part."""


def valid_for(lay, graph, io_type) -> list:
    return valid_reuse_factors(lay.plan(graph, io_type).shared)


def check_reuse_factors(graph, io_type: str, auto: set) -> None:
    """Layers whose reuse factor would leave multipliers idle get the nearest valid one,
    with a warning naming the layer and both values. ``auto``: layer names left to
    :func:`choose_reuse_factors` (set to 1 here)."""
    for lay in graph.layers:
        if lay.name in auto:
            lay.cfg.reuse_factor = 1
            continue
        plan = lay.plan(graph, io_type)
        if not plan.shared:
            continue
        valid = valid_reuse_factors(plan.shared)
        rf = int(lay.cfg.reuse_factor)
        if rf not in valid:
            new = nearest_valid(rf, valid)
            warnings.warn(f"layer {lay.source_name!r}: ReuseFactor {rf} is not valid for its {lay.cfg.strategy} "
                          f"kernel ({plan.shared} products shared: valid {_short(valid)}); using {new}",
                          stacklevel=3)
            lay.cfg.reuse_factor = new


def _short(valid):
    return ", ".join(map(str, valid)) if len(valid) <= 12 else ", ".join(map(str, valid[:11])) + f", ... {valid[-1]}"


def choose_reuse_factors(graph, layers: list, estimate_fn, io_type: str):
    """'auto' reuse factors: the shortest design interval T at which the design fits the
    estimate's share, each layer at the largest valid reuse factor whose cycles stay within
    T (so the layers' intervals are balanced and nothing is faster than it needs to be).
    When no reuse factor fits with Strategy Latency (whose adders and constant products
    are not shared), the 'auto' multiply-accumulate layers switch to Strategy Resource
    (weights in block RAM, every operator shared) and the search runs again; the switch
    stays only if the design then fits.  ``estimate_fn()`` estimates the graph as it
    stands. Returns the final estimate."""
    layers = [lay for lay in layers if lay.plan(graph, io_type).shared]
    if not layers:
        return estimate_fn()
    best = _choose(graph, layers, estimate_fn, io_type)
    latency = [lay for lay in layers if lay.cfg.strategy.lower() == "latency"]
    if best.fits is not False or not latency:
        return best
    for lay in latency:
        lay.cfg.strategy = "Resource"
    resource = _choose(graph, layers, estimate_fn, io_type)
    if resource.fits is not False:
        return resource
    for lay in latency:
        lay.cfg.strategy = "Latency"
    return _choose(graph, layers, estimate_fn, io_type)


def _choose(graph, layers: list, estimate_fn, io_type: str):
    options = {}
    for lay in layers:  # (reuse factor, cycles per sample) of every valid choice
        lay.cfg.reuse_factor = 1
        plan = lay.plan(graph, io_type)
        per_rf = plan.cycles / plan.reuse_factor
        options[lay.name] = [(v, v * per_rf) for v in valid_for(lay, graph, io_type)]
    others = max((r["ii"] for r in _rows_without(estimate_fn(), layers)), default=1)

    def settle(t):
        for lay in layers:
            fitting = [v for v, cyc in options[lay.name] if cyc <= t]
            lay.cfg.reuse_factor = fitting[-1] if fitting else options[lay.name][0][0]
        return estimate_fn()

    targets = sorted({cyc for opts in options.values() for _, cyc in opts if cyc >= others} | {others})
    lo, hi = 0, len(targets) - 1
    best = settle(targets[hi])
    if best.fits is False:
        return best  # does not fit even at the largest reuse factors
    while lo < hi:  # the smallest target that fits (resources fall as the target grows)
        mid = (lo + hi) // 2
        if settle(targets[mid]).fits is False:
            lo = mid + 1
        else:
            hi = mid
    return settle(targets[lo])


def _rows_without(est, layers):
    names = {lay.source_name for lay in layers}
    return [r for r in est.layers if r["name"] not in names and r["kind"] not in ("AcceleratorTop", "FIFO")]


def advice(est) -> str:
    """What would make a design that does not fit fit: its largest layers and settings."""
    parts = []
    for res in est.over():
        top = est.dominant(res)
        names = ", ".join(f"{r['name']!r} ({r[res]:,} {res})" for r in top)
        parts.append(f"{res} {est.total[res]:,} of {est.part.capacity[res]:,} "
                     f"({100 * est.utilization[res]:.0f}%), mostly {names}")
    return "; ".join(parts)


def warn_if_unfit(est, suggestion: str = "") -> None:
    if est.fits is False:
        warnings.warn(f"the design does not fit {100 * est.share:.0f}% of {est.part.name}: {advice(est)}."
                      f"{(' ' + suggestion) if suggestion else ''}", FitWarning, stacklevel=3)
