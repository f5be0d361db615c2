"""Sparsity schedules for iterative pruning (hls4ml's ``scheduler`` module, its classes and
their step semantics).

A schedule holds the current target sparsity (a fraction in [0, 1]).  After a pruning step
whose fine-tuning met the accuracy goal, the trainer calls ``update_step()``; after one that
did not, ``repair_step()``.  Both return ``(changed, sparsity)``: ``changed`` False means the
schedule is finished and the trainer stops.

``ConstantScheduler``   +``update_step`` per step (update and repair alike) while it stays
                        within ``final_sparsity``.
``BinaryScheduler``     bisection between the last sparsity that met the goal (lower) and the
                        first that did not (upper, initially ``final_sparsity``); stops once
                        the interval is narrower than ``threshold``.
``PolynomialScheduler`` ``final + (initial - final) * (1 - step / maximum_steps) ** decay_power``
                        for steps 1..maximum_steps (update and repair alike).
"""
from __future__ import annotations

from abc import ABC, abstractmethod


def _fraction(name, v):
    if not 0 <= v <= 1:
        raise ValueError(f"{name} must be a fraction between 0.0 and 1.0 (not a percentage), got {v!r}")
    return float(v)


class OptimizationScheduler(ABC):
    """A sparsity schedule from ``initial_sparsity`` towards ``final_sparsity``."""

    def __init__(self, initial_sparsity=0, final_sparsity=1):
        self.initial_sparsity = _fraction("initial_sparsity", initial_sparsity)
        self.final_sparsity = _fraction("final_sparsity", final_sparsity)
        self.sparsity = self.initial_sparsity

    @abstractmethod
    def update_step(self):
        """The next, higher target after a successful step: (changed, sparsity)."""

    @abstractmethod
    def repair_step(self):
        """The next target after a step that missed the goal: (changed, sparsity)."""

    def get_sparsity(self):
        return self.sparsity


class ConstantScheduler(OptimizationScheduler):
    def __init__(self, initial_sparsity=0, final_sparsity=1, update_step=0.05):
        super().__init__(initial_sparsity, final_sparsity)
        if not update_step > 0:
            raise ValueError(f"update_step must be positive, got {update_step!r}")
        self.step = float(update_step)

    def update_step(self):
        nxt = self.sparsity + self.step
        if nxt > self.final_sparsity + 1e-12:
            return False, self.sparsity
        self.sparsity = nxt
        return True, self.sparsity

    def repair_step(self):
        return self.update_step()


class BinaryScheduler(OptimizationScheduler):
    def __init__(self, initial_sparsity=0, final_sparsity=1, threshold=0.01):
        super().__init__(initial_sparsity, final_sparsity)
        if not threshold > 0:
            raise ValueError(f"threshold must be positive, got {threshold!r}")
        self.threshold = float(threshold)
        self.lower, self.upper = self.initial_sparsity, self.final_sparsity

    def _bisect(self):
        if self.upper - self.lower < self.threshold:
            return False, self.sparsity
        self.sparsity = 0.5 * (self.lower + self.upper)
        return True, self.sparsity

    def update_step(self):
        self.lower = self.sparsity  # the current target met the goal
        return self._bisect()

    def repair_step(self):
        self.upper = self.sparsity  # the current target is too high
        return self._bisect()


class PolynomialScheduler(OptimizationScheduler):
    def __init__(self, maximum_steps, initial_sparsity=0, final_sparsity=1, decay_power=3):
        super().__init__(initial_sparsity, final_sparsity)
        if not (isinstance(maximum_steps, int) and maximum_steps >= 1):
            raise ValueError(f"maximum_steps must be a positive integer, got {maximum_steps!r}")
        self.maximum_steps = maximum_steps
        self.decay_power = decay_power
        self.current_step = 0

    def update_step(self):
        if self.current_step >= self.maximum_steps:
            return False, self.sparsity
        self.current_step += 1
        left = 1 - self.current_step / self.maximum_steps
        self.sparsity = self.final_sparsity + (self.initial_sparsity - self.final_sparsity) * left ** self.decay_power
        return True, self.sparsity

    def repair_step(self):
        return self.update_step()
