"""Masks and offsets of resource-aware pruning for a Keras model (hls4ml's
``get_model_masks``, its arguments and results).

For every optimizable layer (Dense or Conv2D, QKeras' included) the kernel is cut into
groups (:mod:`..groups`).  A group either stays trainable (mask 1) or is frozen (mask 0):
pruned (offset 0) or, with weight sharing, set to its mean (offset = the group's mean, at
the frozen positions only).  Which groups stay is a 0/1 knapsack
(:func:`..knapsack.solve_knapsack`): each group is worth its importance and weighs what
freezing it saves under ``objective`` (``layer_savings``), and the groups kept may use at
most ``int((1 - sparsity) * resources)`` of every resource (``layer_resources``):

``local=True``   one knapsack per layer, over the layer's own resources (every layer at
                 the same sparsity);
``local=False``  one knapsack over all the optimizable layers' groups, within the summed
                 resources; importances are divided by their layer's largest, so large
                 layers (large norms) are not favoured.

A group's importance is the error of freezing it: with pruning, the norm of its weights
(``metric``, see :mod:`.config`: the error of setting them to 0); with weight sharing, the
same norm of their deviations from the group's mean (the error of setting them to the
mean; for ``oracle``/``saliency`` the l1 norm); with both, the smaller of the two, which
also decides whether a frozen group is pruned or shared (both on one scale: divided by the
layer's largest pruning norm).  Unstructured groups are single weights, which
cannot be shared (sharing is ignored, with a warning).
"""
from __future__ import annotations

import logging

import numpy as np

from ..attributes import layer_family
from ..config import SUPPORTED_STRUCTURES
from ..groups import group_labels, group_means_and_variances, group_norms
from ..knapsack import solve_knapsack
from .config import SUPPORTED_METRICS

log = logging.getLogger(__name__)


class _LayerGroups:
    """One layer's groups: labels, importance, shared-or-pruned choice and resource use."""

    def __init__(self, name, kernel, attrs, objective, metric, gradients, hessians, normalise):
        opt = attrs.optimization_attributes
        family = layer_family(attrs.layer_type)
        if family is None:
            raise ValueError(f"layer {name!r} ({attrs.layer_type.__name__}) is marked optimizable, but masks are "
                             "computed for Dense and Conv2D layers only")
        if family == "Conv2D" and kernel.ndim != 4 or family == "Dense" and kernel.ndim != 2:
            raise ValueError(f"layer {name!r}: unexpected {family} kernel of shape {kernel.shape}")
        self.name, self.kernel = name, kernel
        self.labels = group_labels(kernel.shape, family.lower(), opt.structure_type, opt.pattern_offset,
                                   opt.consecutive_patterns, opt.block_shape, name)
        n = int(self.labels.max()) + 1
        prune, share = bool(opt.pruning), bool(opt.weight_sharing)
        if share and opt.structure_type is SUPPORTED_STRUCTURES.UNSTRUCTURED:
            log.warning("layer %r: weight sharing needs groups of several weights; ignored for UNSTRUCTURED", name)
            share = False
            if not prune:
                raise ValueError(f"layer {name!r}: UNSTRUCTURED weight sharing is not possible; enable pruning or "
                                 "choose STRUCTURED, PATTERN or BLOCK")
        order = 2 if metric == "l2" else 1
        self.means, _ = group_means_and_variances(self.labels, kernel)
        prune_cost = share_cost = None
        if prune:
            prune_cost = group_norms(self.labels, _scores(name, kernel, metric, gradients, hessians), order)
        if share:
            share_cost = group_norms(self.labels, kernel - self.means[self.labels], order)
        # one scale for both costs (the layer's largest pruning cost, else its largest sharing cost)
        scale = (prune_cost if prune else share_cost).max()
        if (normalise or prune and share) and scale > 0:
            prune_cost = None if prune_cost is None else prune_cost / scale
            share_cost = None if share_cost is None else share_cost / scale
        if prune and share:
            self.shared = share_cost < prune_cost
            self.values = np.minimum(prune_cost, share_cost)
        else:
            self.shared = np.full(n, share)
            self.values = prune_cost if prune else share_cost
        self.savings = np.tile(np.asarray(objective.layer_savings(attrs), dtype=np.float64).reshape(-1, 1), (1, n))
        self.resources = np.asarray(objective.layer_resources(attrs), dtype=np.float64).reshape(-1)

    def mask_and_offset(self, kept):
        keep = np.zeros(self.values.shape[0], dtype=bool)
        keep[np.asarray(kept, dtype=np.int64)] = True
        mask = keep[self.labels].astype(self.kernel.dtype)
        shared_frozen = self.shared & ~keep
        offset = np.where(shared_frozen[self.labels], self.means[self.labels], 0.0).astype(self.kernel.dtype)
        return mask, offset


def _scores(name, kernel, metric, gradients, hessians):
    if metric == "oracle":
        return kernel * _per_layer(gradients, "gradients", name, kernel.shape)
    if metric == "saliency":
        return np.square(kernel) * _per_layer(hessians, "hessians", name, kernel.shape)
    return kernel


def _per_layer(table, what, name, shape):
    if name not in table:
        raise ValueError(f"metric needs {what}[{name!r}], which is missing")
    a = np.asarray(table[name])
    if a.shape != tuple(shape):
        raise ValueError(f"{what}[{name!r}] has shape {a.shape}, the kernel {tuple(shape)}")
    return a


def _capacity(resources, sparsity):
    return ((1 - sparsity) * resources).astype(np.int64)


def get_model_masks(keras_model, model_attributes, sparsity, objective, metric="l1", local=False, gradients=None,
                    hessians=None, knapsack_solver="CBC_MIP"):
    """``(masks, offsets)``: per optimizable layer name, arrays of the kernel's shape (see
    the module docstring)."""
    if metric not in SUPPORTED_METRICS:
        raise ValueError(f"unknown metric {metric!r}; valid: {', '.join(SUPPORTED_METRICS)}")
    if metric == "oracle" and gradients is None:
        raise ValueError("metric='oracle' needs gradients (per layer name, dL/dw of the kernel)")
    if metric == "saliency" and hessians is None:
        raise ValueError("metric='saliency' needs hessians (per layer name, d2L/dw2 of the kernel)")
    if not 0 <= sparsity <= 1:
        raise ValueError(f"sparsity must be a fraction between 0.0 and 1.0, got {sparsity!r}")
    layers = []
    for layer in keras_model.layers:
        attrs = model_attributes[layer.name]
        opt = attrs.optimization_attributes
        if not attrs.optimizable or not (opt.pruning or opt.weight_sharing):
            continue
        weights = layer.get_weights()
        if not weights:
            raise ValueError(f"layer {layer.name!r} is marked optimizable but has no weights")
        layers.append(_LayerGroups(layer.name, np.asarray(weights[0]), attrs, objective, metric, gradients or {},
                                   hessians or {}, normalise=not local))
    masks, offsets = {}, {}
    if local:
        for g in layers:
            _, kept = solve_knapsack(g.values, g.savings, _capacity(g.resources, sparsity),
                                     implementation=knapsack_solver)
            masks[g.name], offsets[g.name] = g.mask_and_offset(kept)
        return masks, offsets
    if not layers:
        return masks, offsets
    values = np.concatenate([g.values for g in layers])
    savings = np.concatenate([g.savings for g in layers], axis=1)
    _, kept = solve_knapsack(values, savings, _capacity(np.sum([g.resources for g in layers], axis=0), sparsity),
                             implementation=knapsack_solver)
    kept = np.asarray(kept, dtype=np.int64)
    start = 0
    for g in layers:
        n = g.values.shape[0]
        masks[g.name], offsets[g.name] = g.mask_and_offset(kept[(kept >= start) & (kept < start + n)] - start)
        start += n
    return masks, offsets
