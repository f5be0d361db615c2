"""Graph passes. A pass is a function ``apply(graph, ctx) -> bool`` (True if it changed
the graph); a flow is a list of passes run in order, each until it reports no change."""
from .fold_batchnorm import fold_batchnorm
from .fuse_activation import fuse_activation
from .infer_types import infer_types
from .remove_identity import remove_identity

OPTIMIZE = [remove_identity, fold_batchnorm]
TYPED = [infer_types, fuse_activation, infer_types]


def run_flow(graph, flow, ctx=None):
    for p in flow:
        for _ in range(1000):
            if not p(graph, ctx):
                break
    return graph
