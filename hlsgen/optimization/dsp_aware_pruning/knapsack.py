"""The 0/1 knapsack problem with one or more budgets: keep the items of largest total value
whose weights fit every budget (hls4ml's ``solve_knapsack``, its signature and results).

    maximise  values @ x   subject to  weights @ x <= capacity,  x in {0, 1}^N

``values``: (N,); ``weights``: (M, N), one row per budget (a 1-D array is one budget);
``capacity``: (M,).  Returns ``(optimal value, sorted list of the chosen indices)``.

``implementation``:
  ``dynamic``       exact; one budget, integer weights: O(N * capacity) dynamic programming.
  ``greedy``        approximate: items by value per unit of (capacity-normalised) weight,
                    or the single best item if that is worth more.
  ``branch_bound``  exact: depth-first branch and bound, pruned by the fractional (LP)
                    bound of each budget; stops at ``time_limit`` seconds with the best so far.
  ``CBC_MIP``       exact: the integer program solved by SciPy's MILP solver (HiGHS; hls4ml
                    uses OR-Tools' CBC), within ``time_limit``.
Two cases need no solver: everything fits (all items), and equal weights within every
budget (the items of largest value, as many as the tightest budget holds).
"""
from __future__ import annotations

import math
import time

import numpy as np

IMPLEMENTATIONS = ("dynamic", "greedy", "branch_bound", "CBC_MIP")


def _check(values, weights, capacity):
    values = np.asarray(values, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    capacity = np.asarray(capacity, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"values must be one-dimensional (one value per item), got shape {values.shape}")
    if weights.ndim == 1:
        weights = weights[None, :]
    if weights.ndim != 2:
        raise ValueError(f"weights must be a matrix (one row per budget), got shape {weights.shape}")
    capacity = capacity.reshape(-1)
    if weights.shape[1] != values.shape[0]:
        raise ValueError(f"weights has {weights.shape[1]} items per row but values has {values.shape[0]}")
    if capacity.shape[0] != weights.shape[0]:
        raise ValueError(f"capacity has {capacity.shape[0]} budgets but weights has {weights.shape[0]} rows")
    if (values < 0).any() or (weights < 0).any() or (capacity < 0).any():
        raise ValueError("values, weights and capacities must be non-negative")
    if not (np.isfinite(values).all() and np.isfinite(weights).all() and np.isfinite(capacity).all()):
        raise ValueError("values, weights and capacities must be finite")
    return values, weights, capacity


def solve_knapsack(values, weights, capacity, implementation="CBC_MIP", time_limit=None, **kwargs):
    """See the module docstring.  Extra keyword arguments of hls4ml's solvers
    (``scaling_factor``) are accepted: the solvers here work on the values as given."""
    if implementation not in IMPLEMENTATIONS:
        raise ValueError(f"unknown knapsack implementation {implementation!r}; valid: {', '.join(IMPLEMENTATIONS)}")
    stray = set(kwargs) - {"scaling_factor"}
    if stray:
        raise TypeError(f"unknown argument(s) {', '.join(sorted(stray))}; valid: time_limit, scaling_factor")
    values, weights, capacity = _check(values, weights, capacity)
    n = values.shape[0]
    if n == 0:
        return 0, []
    if (weights.sum(axis=1) <= capacity).all():
        return _total(values, range(n)), list(range(n))
    if (weights == weights[:, :1]).all():
        return _equal_weights(values, weights[:, 0], capacity)
    if implementation == "dynamic":
        return _dynamic(values, weights, capacity)
    if implementation == "greedy":
        return _greedy(values, weights, capacity)
    if implementation == "branch_bound":
        return _branch_bound(values, weights, capacity, time_limit)
    return _milp(values, weights, capacity, time_limit)


def _total(values, chosen):
    t = float(sum(values[i] for i in chosen))
    return int(t) if t.is_integer() else t


def _equal_weights(values, w, capacity):
    with np.errstate(divide="ignore"):
        k = int(np.min(np.where(w > 0, np.floor(capacity / np.where(w > 0, w, 1)), len(values))))
    chosen = sorted(np.argsort(-values, kind="stable")[:k].tolist())
    return _total(values, chosen), chosen


def _dynamic(values, weights, capacity):
    if weights.shape[0] != 1:
        raise ValueError("the 'dynamic' implementation takes one budget (weights of one row); use 'branch_bound', "
                         "'CBC_MIP' or 'greedy' for several")
    w, cap = weights[0], capacity[0]
    if not (np.equal(np.mod(w, 1), 0).all() and float(cap).is_integer()):
        raise ValueError("the 'dynamic' implementation needs integer weights and capacity")
    w, cap = w.astype(np.int64), int(cap)
    n = len(values)
    best = np.zeros((n + 1, cap + 1))
    for i in range(n):
        best[i + 1] = best[i]
        if w[i] <= cap:
            best[i + 1, w[i]:] = np.maximum(best[i, w[i]:], best[i, :cap + 1 - w[i]] + values[i])
    chosen, c = [], cap
    for i in range(n, 0, -1):
        if best[i, c] != best[i - 1, c]:
            chosen.append(i - 1)
            c -= w[i - 1]
    chosen.sort()
    return _total(values, chosen), chosen


def _greedy(values, weights, capacity):
    share = (weights / np.where(capacity > 0, capacity, 1)[:, None]).sum(axis=0)
    density = np.where(share > 0, values / np.where(share > 0, share, 1), np.inf)
    used, chosen = np.zeros_like(capacity), []
    for i in np.argsort(-density, kind="stable"):
        if (used + weights[:, i] <= capacity).all():
            used += weights[:, i]
            chosen.append(int(i))
    fits = [i for i in range(len(values)) if (weights[:, i] <= capacity).all()]
    if fits:
        single = max(fits, key=lambda i: values[i])
        if values[single] > sum(values[i] for i in chosen):
            chosen = [single]
    chosen.sort()
    return _total(values, chosen), chosen


def _branch_bound(values, weights, capacity, time_limit):
    n = len(values)
    share = (weights / np.where(capacity > 0, capacity, 1)[:, None]).sum(axis=0)
    order = np.argsort(-np.where(share > 0, values / np.where(share > 0, share, 1), np.inf), kind="stable")
    v, w = values[order], weights[:, order]
    deadline = None if time_limit is None else time.monotonic() + float(time_limit)

    def bound(k, room):
        # the LP relaxation of each budget alone over the items k..n-1; the tightest holds
        b = math.inf
        for m in range(w.shape[0]):
            left, total = room[m], 0.0
            ratio = np.where(w[m, k:] > 0, v[k:] / np.where(w[m, k:] > 0, w[m, k:], 1), np.inf)
            for j in np.argsort(-ratio, kind="stable"):
                wj = w[m, k + j]
                if wj <= left:
                    left -= wj
                    total += v[k + j]
                else:
                    total += v[k + j] * left / wj
                    break
            b = min(b, total)
        return b

    best_value, best_set = 0.0, []
    stack = [(0, 0.0, capacity.copy(), [])]
    while stack:
        if deadline is not None and time.monotonic() > deadline:
            break
        k, val, room, taken = stack.pop()
        if val > best_value:
            best_value, best_set = val, taken
        if k == n or val + bound(k, room) <= best_value:
            continue
        stack.append((k + 1, val, room, taken))  # leave item k (explored after taking it)
        if (w[:, k] <= room).all():
            stack.append((k + 1, val + v[k], room - w[:, k], taken + [k]))
    chosen = sorted(int(order[i]) for i in best_set)
    return _total(values, chosen), chosen


def _milp(values, weights, capacity, time_limit):
    try:
        from scipy.optimize import Bounds, LinearConstraint, milp
    except ImportError as e:  # pragma: no cover - SciPy comes with the QKeras frontend
        raise ImportError("the 'CBC_MIP' implementation needs SciPy (pip install scipy); or choose 'branch_bound'") \
            from e
    options = {} if time_limit is None else {"time_limit": float(time_limit)}
    res = milp(-values, constraints=LinearConstraint(weights, -np.inf, capacity), integrality=np.ones(len(values)),
               bounds=Bounds(0, 1), options=options)
    if res.x is None:
        raise RuntimeError(f"the MILP solver found no solution: {res.message}")
    chosen = [i for i in range(len(values)) if res.x[i] > 0.5]
    return _total(values, chosen), chosen
