"""Precision inference: give every tensor and every layer parameter a fixed-point type.

Graph inputs take their configured type.  Each layer then chooses its types from its
input types, its weights and its configuration (``Layer.infer_types``): configured
precisions are kept as given, 'auto' ones are derived (see each layer kind).
"""


def infer_types(graph, ctx) -> bool:
    for gi in graph.inputs:
        graph.tensors[gi.tensor].type = ctx.input_types[gi.name]
    for layer in graph.layers:
        layer.in_types = graph.input_types(layer)
        layer.infer_types(layer.in_types, ctx.types)
        graph.tensors[layer.outputs[0]].type = layer.types["result"]
    return False
