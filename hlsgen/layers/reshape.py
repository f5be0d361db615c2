"""Layers that only change how a tensor is viewed, or do nothing at inference.

In io_parallel every tensor is a flat array in channels-last order, so Flatten and
Reshape emit no C++: the backend gives their output the input's variable.
``Identity`` stands for inference no-ops (Dropout, noise layers, linear activation);
a pass removes it.
"""
from __future__ import annotations

import numpy as np

from .base import Layer, register


class _View(Layer):
    is_view = True

    def infer_types(self, in_types, ctx):
        self.types["result"] = in_types[0]

    def golden(self, xs):
        return xs[0].reshape((xs[0].shape[0],) + self.output_shape([xs[0].shape[1:]]))


@register
class Flatten(_View):
    kind = "Flatten"

    def output_shape(self, in_shapes):
        return (int(np.prod(in_shapes[0])),)


@register
class Reshape(_View):
    kind = "Reshape"

    def output_shape(self, in_shapes):
        target = list(self.attrs["target_shape"])
        n = int(np.prod(in_shapes[0]))
        if target.count(-1) == 1:
            known = int(np.prod([d for d in target if d != -1]))
            target[target.index(-1)] = n // known if known else 0
        if int(np.prod(target)) != n:
            raise ValueError(
                f"Reshape layer {self.source_name!r}: cannot reshape {tuple(in_shapes[0])} to {tuple(self.attrs['target_shape'])}"
            )
        return tuple(target)


@register
class Identity(_View):
    kind = "Identity"
    is_identity = True
