"""Remove inference no-ops (Dropout, noise layers, linear activations): layers whose kind
declares ``is_identity``."""
from .base import Pass


def remove_identity(graph, ctx=None) -> bool:
    """Remove the first identity layer; True if there was one."""
    for layer in graph.layers:
        if layer.is_identity:
            graph.remove_layer(layer)
            return True
    return False


class RemoveIdentity(Pass):
    name = "remove_identity"

    def apply(self, graph, ctx=None):
        return graph, remove_identity(graph, ctx)
