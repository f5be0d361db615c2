"""Remove inference no-ops (Dropout, noise layers, linear activations)."""


def remove_identity(graph, ctx=None) -> bool:
    for layer in graph.layers:
        if layer.kind == "Identity":
            graph.remove_layer(layer)
            return True
    return False
