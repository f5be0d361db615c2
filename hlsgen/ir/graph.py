"""The intermediate representation: a graph of layers connected by named tensors.

The IR knows nothing about files or C++.  Frontends build it, passes rewrite it,
backends read it.  Tensors are named edges; every tensor has exactly one producer
(a layer, or a graph input) and any number of consumers.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..fixed import FixedType


@dataclass
class Tensor:
    name: str
    shape: tuple  # without the batch dimension
    type: FixedType | None = None

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= int(d)
        return n


@dataclass
class GraphInput:
    """A model input: the tensor it produces, and its configured precision."""

    name: str  # sanitized identifier
    source_name: str
    tensor: str


class Graph:
    """Layers in topological order, tensors by name, graph inputs and outputs."""

    def __init__(self, name: str = "model"):
        self.name = name
        self.layers: list = []
        self.tensors: dict[str, Tensor] = {}
        self.inputs: list[GraphInput] = []
        self.outputs: list[str] = []  # tensor names

    # ------------------------------------------------------------------ building
    def add_tensor(self, name: str, shape, type_=None) -> Tensor:
        if name in self.tensors:
            raise ValueError(f"tensor {name!r} defined twice")
        t = Tensor(name, tuple(int(d) for d in shape), type_)
        self.tensors[name] = t
        return t

    def add_input(self, gi: GraphInput, shape) -> None:
        if any(int(d) <= 0 for d in shape):
            raise ValueError(f"input {gi.source_name!r} has shape {tuple(shape)}: every dimension must be at least 1")
        self.add_tensor(gi.tensor, shape)
        self.inputs.append(gi)

    def add_layer(self, layer) -> None:
        self.layers.append(layer)

    # ------------------------------------------------------------------ queries
    def layer(self, name: str):
        for lay in self.layers:
            if lay.name == name:
                return lay
        raise KeyError(name)

    def producer(self, tensor: str):
        for lay in self.layers:
            if tensor in lay.outputs:
                return lay
        return None

    def consumers(self, tensor: str) -> list:
        return [lay for lay in self.layers if tensor in lay.inputs]

    def is_output(self, tensor: str) -> bool:
        return tensor in self.outputs

    def input_types(self, layer) -> list:
        return [self.tensors[t].type for t in layer.inputs]

    def input_shapes(self, layer) -> list:
        return [self.tensors[t].shape for t in layer.inputs]

    # ------------------------------------------------------------------ rewriting
    def remove_layer(self, layer) -> None:
        """Remove a single-input, single-output layer, wiring its input to its consumers."""
        if len(layer.inputs) != 1 or len(layer.outputs) != 1:
            raise ValueError(f"cannot bypass layer {layer.source_name!r} with several inputs or outputs")
        src, dst = layer.inputs[0], layer.outputs[0]
        self.layers.remove(layer)
        for lay in self.layers:
            lay.inputs = [src if t == dst else t for t in lay.inputs]
        self.outputs = [src if t == dst else t for t in self.outputs]
        del self.tensors[dst]

    def merge_into(self, first, second) -> None:
        """Remove ``second`` (which consumes ``first``'s only output) and let ``first``
        produce ``second``'s output tensor instead."""
        old = first.outputs[0]
        self.layers.remove(second)
        first.outputs = list(second.outputs)
        # ``first`` now produces what ``second`` produced: it answers to its names too (trace)
        first.aliases = first.aliases + [second.source_name] + second.aliases
        # the model layer whose output ``first`` now gives (trace): an activation split off a
        # model layer gives that layer's output, any other layer its own
        first.model_layer = getattr(second, "model_layer", None) or second.source_name
        del self.tensors[old]

    def topo_sort(self) -> None:
        ready = {gi.tensor for gi in self.inputs}
        order, pending = [], list(self.layers)
        while pending:
            progress = False
            for lay in list(pending):
                if all(t in ready for t in lay.inputs):
                    order.append(lay)
                    ready.update(lay.outputs)
                    pending.remove(lay)
                    progress = True
            if not progress:
                names = ", ".join(repr(lay.source_name) for lay in pending)
                raise ValueError(f"the model graph has a cycle or unconnected inputs at layers {names}")
        self.layers = order

    def summary(self) -> str:
        rows = []
        for gi in self.inputs:
            t = self.tensors[gi.tensor]
            rows.append(f"  input  {gi.source_name:24s} {str(t.shape):16s} {t.type}")
        for lay in self.layers:
            t = self.tensors[lay.outputs[0]]
            rows.append(f"  {lay.kind:14s} {lay.source_name:24s} {str(t.shape):16s} {t.type}")
        return "\n".join(rows)


@dataclass
class LayerConfig:
    """Per-layer implementation settings, resolved from the user configuration."""

    precision: dict = field(default_factory=dict)  # key -> type string or 'auto'
    reuse_factor: int = 1
    strategy: str = "Latency"
    trace: bool = False
