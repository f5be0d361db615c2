"""Objectives of resource-aware pruning: what a layer costs and what removing one of its
weight groups saves, per resource (hls4ml's ``ObjectiveEstimator`` interface).  Each method
is a classmethod taking a :class:`..attributes.LayerAttributes`; resources and savings are
lists, one entry per resource (an objective may count several).

``ParameterEstimator`` counts weights: a layer with a kernel costs its size and is pruned
unstructured by default; pruning a group saves its size (one weight, a neuron/filter, the
``run * consecutive_patterns`` weights of a pattern group, a block); weight sharing saves
no weights (0).  Only this objective is implemented (not hls4ml's DSP/FLOP estimators).
"""
from __future__ import annotations

import logging
from abc import ABC, abstractmethod

import numpy as np

from ..attributes import OptimizationAttributes, layer_family
from ..config import SUPPORTED_STRUCTURES

log = logging.getLogger(__name__)


class ObjectiveEstimator(ABC):
    @classmethod
    @abstractmethod
    def is_layer_optimizable(cls, layer_attributes):
        """``(optimizable, OptimizationAttributes or None)``: whether and how to optimise."""

    @classmethod
    @abstractmethod
    def layer_resources(cls, layer_attributes):
        """The layer's use of every resource, whatever its sparsity."""

    @classmethod
    @abstractmethod
    def layer_savings(cls, layer_attributes):
        """What optimising one group (per the layer's OptimizationAttributes) saves."""


def group_size(layer_attributes):
    """The number of weights in one group of the layer's structure."""
    shape, opt = tuple(layer_attributes.weight_shape), layer_attributes.optimization_attributes
    s = opt.structure_type
    if s is SUPPORTED_STRUCTURES.UNSTRUCTURED:
        return 1
    if s is SUPPORTED_STRUCTURES.STRUCTURED:
        if layer_family(layer_attributes.layer_type) is None:
            raise ValueError(f"layer {layer_attributes.name!r}: STRUCTURED groups are defined for Dense and Conv2D "
                             f"layers, not {layer_attributes.layer_type.__name__}")
        return int(np.prod(shape[:-1]))
    if s is SUPPORTED_STRUCTURES.PATTERN:
        return int(np.prod(shape)) // int(opt.pattern_offset) * int(opt.consecutive_patterns)
    return int(np.prod(opt.block_shape))


class ParameterEstimator(ObjectiveEstimator):
    @classmethod
    def is_layer_optimizable(cls, layer_attributes):
        if not layer_attributes.weight_shape:
            return False, None
        return True, OptimizationAttributes(SUPPORTED_STRUCTURES.UNSTRUCTURED, pruning=True, weight_sharing=False)

    @classmethod
    def layer_resources(cls, layer_attributes):
        return [int(np.prod(layer_attributes.weight_shape))] if layer_attributes.weight_shape else [0]

    @classmethod
    def layer_savings(cls, layer_attributes):
        if not layer_attributes.weight_shape:
            return [0]
        opt = layer_attributes.optimization_attributes
        if opt.weight_sharing or not opt.pruning:
            log.warning("layer %r: only pruning reduces the number of weights (weight_sharing=%s, pruning=%s); "
                        "its groups save nothing", layer_attributes.name, opt.weight_sharing, opt.pruning)
            return [0]
        return [group_size(layer_attributes)]
