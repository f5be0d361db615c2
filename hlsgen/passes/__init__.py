"""Graph passes (the contract: :mod:`hlsgen.passes.base`).

A pass is a :class:`~hlsgen.passes.base.Pass` object, ``apply(graph, ctx) -> (graph,
changed)``; a flow is a list of passes, run in order, each to its fixed point
(:func:`run_flow`), with a loud :class:`PassError` naming a pass that does not settle.
"""
from .base import Pass, PassError, check_graph, run_flow, run_to_fixed_point  # noqa: F401
from .fold_batchnorm import FoldBatchNorm
from .fuse_activation import FuseActivation
from .infer_types import InferTypes
from .remove_identity import RemoveIdentity

remove_identity = RemoveIdentity()
fold_batchnorm = FoldBatchNorm()
infer_types = InferTypes()
fuse_activation = FuseActivation()

OPTIMIZE = [remove_identity, fold_batchnorm]
TYPED = [infer_types, fuse_activation, infer_types]
