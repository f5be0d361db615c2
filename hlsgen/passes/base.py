"""The pass contract, and the runner that applies passes to a fixed point.

A pass is an object with a ``name`` and a method

    apply(graph, ctx=None) -> (graph, changed)

* ``graph`` is the IR graph (``hlsgen.ir.graph.Graph``); a pass may rewrite it in place
  and return it, or return another graph.  The runner continues with the returned graph.
* ``ctx`` is what the pass needs besides the graph (the type context and input types of
  ``flow.PassContext``); passes that need nothing ignore it.
* ``changed`` is True when the application rewrote anything.  A pass may do one rewrite
  per application (the runner calls it again) or all of them at once; it must report
  False once there is nothing left to do, so that a fixed point exists.
* A pass never changes what the network computes where that is its promise (folding,
  fusion, removal of no-ops: the numpy goldens give the same outputs before and after);
  ``tests/test_passes.py`` checks that for every pass on a small graph.

:func:`run_to_fixed_point` applies one pass until it reports no change, and raises
:class:`PassError` naming the pass when it does not settle within its
``max_applications`` or when it leaves the graph inconsistent (a layer reading a tensor
nothing produces, an output nothing computes).  :func:`run_flow` runs a list of passes
(a *flow*) in order, each to its fixed point.
"""
from __future__ import annotations


class PassError(RuntimeError):
    """A pass broke its contract: it did not settle, or left the graph inconsistent."""


class Pass:
    """Base class of graph passes: subclasses set ``name`` and implement :meth:`apply`."""

    name: str = ""

    def apply(self, graph, ctx=None):
        """Rewrite ``graph``; return ``(graph, changed)``."""
        raise NotImplementedError(f"pass {self.name or type(self).__name__} has no apply()")

    def max_applications(self, graph) -> int:
        """The most applications that may report a change before the runner gives up.
        The default suits passes that remove or merge one layer per change."""
        return 2 * len(graph.layers) + 10

    def __call__(self, graph, ctx=None) -> bool:
        """One application, in place; True if it changed the graph."""
        new, changed = self.apply(graph, ctx)
        if new is not graph:
            raise PassError(f"pass {self.name} returned a new graph: call run_to_fixed_point to use it")
        return changed

    def __repr__(self):
        return f"<pass {self.name}>"


def check_graph(graph) -> None:
    """Every layer reads tensors produced before it (or graph inputs) and every graph
    output is produced; raises ValueError naming the first violation."""
    ready = {gi.tensor for gi in graph.inputs}
    for gi in graph.inputs:
        if gi.tensor not in graph.tensors:
            raise ValueError(f"graph input {gi.source_name!r} has no tensor {gi.tensor!r}")
    for layer in graph.layers:
        for t in layer.inputs:
            if t not in ready:
                raise ValueError(f"layer {layer.source_name!r} reads tensor {t!r}, which no earlier layer produces")
        for t in layer.outputs:
            if t not in graph.tensors:
                raise ValueError(f"layer {layer.source_name!r} produces tensor {t!r}, which the graph does not know")
            ready.add(t)
    for t in graph.outputs:
        if t not in ready:
            raise ValueError(f"graph output {t!r} is not produced by any layer or input")


def run_to_fixed_point(graph, pass_, ctx=None):
    """Apply ``pass_`` until it reports no change; returns the final graph."""
    if not isinstance(pass_, Pass):
        raise TypeError(f"{pass_!r} is not a Pass (a flow is a list of Pass objects, see hlsgen.passes.base)")
    limit = pass_.max_applications(graph)
    for _ in range(limit):
        graph, changed = pass_.apply(graph, ctx)
        try:
            check_graph(graph)
        except ValueError as e:
            raise PassError(f"pass {pass_.name} left the graph inconsistent: {e}") from None
        if not changed:
            return graph
    raise PassError(f"pass {pass_.name} still changed the graph after {limit} applications: it does not reach a "
                    "fixed point (a pass must report changed=False once there is nothing left to rewrite)")


def run_flow(graph, flow, ctx=None):
    """Run every pass of ``flow`` in order, each to its fixed point; returns the graph."""
    for p in flow:
        graph = run_to_fixed_point(graph, p, ctx)
    return graph
