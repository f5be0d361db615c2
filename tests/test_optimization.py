"""hls4ml's resource-aware pruning helpers at hlsgen.optimization.dsp_aware_pruning: the
knapsack solvers against brute force, and the sparsity schedules step by step."""
import itertools

import numpy as np
import pytest

from hlsgen.optimization.dsp_aware_pruning.knapsack import solve_knapsack
from hlsgen.optimization.dsp_aware_pruning.scheduler import BinaryScheduler, ConstantScheduler, PolynomialScheduler


def brute_force(values, weights, capacity):
    best = (0, ())
    for r in range(len(values) + 1):
        for s in itertools.combinations(range(len(values)), r):
            if (weights[:, list(s)].sum(axis=1) <= capacity).all() and values[list(s)].sum() > best[0]:
                best = (values[list(s)].sum(), s)
    return best[0]


@pytest.mark.parametrize("budgets", [1, 3])
def test_exact_solvers_equal_brute_force_and_greedy_is_feasible(budgets):
    rng = np.random.default_rng(budgets)
    exact = ["branch_bound", "CBC_MIP"] + (["dynamic"] if budgets == 1 else [])
    for _ in range(40):
        n = int(rng.integers(1, 11))
        values = rng.integers(0, 20, n)
        weights = rng.integers(0, 9, (budgets, n))
        capacity = rng.integers(0, 25, budgets)
        opt = brute_force(values, weights, capacity)
        for impl in exact + ["greedy"]:
            value, chosen = solve_knapsack(values, weights, capacity, implementation=impl)
            assert chosen == sorted(set(chosen)) and (weights[:, chosen].sum(axis=1) <= capacity).all(), impl
            assert value == values[chosen].sum()
            assert value == opt if impl in exact else value <= opt, (impl, values, weights, capacity)


def test_knapsack_cases_without_a_solver_and_errors():
    values = np.array([10, 2, 6, 12, 3])
    assert solve_knapsack(values, np.ones((2, 5)), np.array([9, 9])) == (33, [0, 1, 2, 3, 4])  # all fit
    # equal weights per budget: the largest values, as many as the tightest budget holds
    assert solve_knapsack(values, np.array([[2] * 5, [3] * 5]), np.array([7, 7])) == (22, [0, 3])
    assert solve_knapsack(np.array([]), np.zeros((1, 0)), np.array([3])) == (0, [])
    for args, kw, msg in [
        ((values, np.ones((1, 5)), [2]), dict(implementation="simplex"), "unknown knapsack implementation 'simplex'"),
        ((values, np.ones((1, 4)), [2]), {}, "weights has 4 items per row but values has 5"),
        ((values, np.ones((2, 5)), [2]), {}, "capacity has 1 budgets but weights has 2 rows"),
        ((-values, np.ones((1, 5)), [2]), {}, "must be non-negative"),
        ((values, np.array([[1, 2, 3, 4, 5]] * 2), [4, 4]), dict(implementation="dynamic"), "takes one budget"),
        ((values, np.array([[1.5, 2, 3, 4, 5]]), [4]), dict(implementation="dynamic"), "integer weights"),
    ]:
        with pytest.raises(ValueError, match=msg):
            solve_knapsack(*args, **kw)


def test_schedules_step_by_step():
    s = ConstantScheduler(initial_sparsity=0.25, final_sparsity=0.5, update_step=0.125)
    assert s.get_sparsity() == 0.25
    assert [s.update_step(), s.repair_step(), s.update_step()] == [(True, 0.375), (True, 0.5), (False, 0.5)]

    s = BinaryScheduler(initial_sparsity=0.0, final_sparsity=1.0, threshold=0.2)
    # 0.5 meets the goal, 0.75 misses it, 0.625 meets it: [0.625, 0.75] is narrower than 0.2
    assert s.update_step() == (True, 0.5)
    assert s.update_step() == (True, 0.75)
    assert s.repair_step() == (True, 0.625)
    assert s.update_step() == (False, 0.625)  # [0.625, 0.75]: narrower than the threshold
    assert s.get_sparsity() == 0.625

    s = PolynomialScheduler(4, initial_sparsity=0.0, final_sparsity=1.0, decay_power=2)
    steps = [s.update_step() for _ in range(5)]
    assert steps == [(True, 0.4375), (True, 0.75), (True, 0.9375), (True, 1.0), (False, 1.0)]
    with pytest.raises(ValueError, match="final_sparsity must be a fraction between 0.0 and 1.0"):
        ConstantScheduler(final_sparsity=50)
