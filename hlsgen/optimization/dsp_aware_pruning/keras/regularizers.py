"""Group-sparsity regularizers for Keras kernels (hls4ml's ``DenseRegularizer`` and
``Conv2DRegularizer``: their arguments, serialization names and penalty).

    penalty = alpha * || (||g||_2 for every group g) ||_norm  +  beta * || (var(g) for every group g) ||_norm

The first term drives whole groups to zero (pruning); the second pulls each group's weights
together (weight sharing).  Groups are those of :mod:`..groups` (``UNSTRUCTURED``: single
weights, whose variance term is the whole kernel's variance).  ``DenseRegularizer`` takes
rank-2 kernels (all structures), ``Conv2DRegularizer`` rank-4 ones (not ``BLOCK``).
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from ..config import SUPPORTED_STRUCTURES
from ..groups import group_labels


def _structure(structure_type, who):
    if isinstance(structure_type, str):
        try:
            structure_type = SUPPORTED_STRUCTURES(structure_type)
        except ValueError:
            raise ValueError(f"{who}: unknown structure_type {structure_type!r}; valid: "
                             f"{', '.join(s.value for s in SUPPORTED_STRUCTURES)}") from None
    if not isinstance(structure_type, SUPPORTED_STRUCTURES):
        raise ValueError(f"{who}: structure_type must be a SUPPORTED_STRUCTURES member, got {structure_type!r}")
    return structure_type


def _safe_sqrt(x):
    positive = x > 0
    return tf.where(positive, tf.sqrt(tf.where(positive, x, tf.ones_like(x))), tf.zeros_like(x))


class _GroupRegularizer(tf.keras.regularizers.Regularizer):
    rank, kind = None, None

    def __init__(self, alpha, beta=0, norm=1, structure_type=SUPPORTED_STRUCTURES.UNSTRUCTURED, block_shape=(1, 1),
                 pattern_offset=1, consecutive_patterns=1):
        who = type(self).__name__
        if norm not in (1, 2):
            raise ValueError(f"{who}: norm must be 1 or 2, got {norm!r}")
        self.structure_type = _structure(structure_type, who)
        if self.structure_type is SUPPORTED_STRUCTURES.BLOCK and self.rank != 2:
            raise ValueError(f"{who}: BLOCK structures need a rank-2 kernel (use DenseRegularizer)")
        self.alpha, self.beta, self.norm = alpha, beta, norm
        self.block_shape, self.pattern_offset, self.consecutive_patterns = block_shape, pattern_offset, \
            consecutive_patterns

    def _norm(self, v):
        return tf.reduce_sum(tf.abs(v)) if self.norm == 1 else _safe_sqrt(tf.reduce_sum(tf.square(v)))

    def __call__(self, weights):
        who = type(self).__name__
        shape = tuple(weights.shape)
        if len(shape) != self.rank:
            raise ValueError(f"{who} regularizes rank-{self.rank} kernels, got one of shape {shape}")
        labels = group_labels(shape, self.kind, self.structure_type, self.pattern_offset, self.consecutive_patterns,
                              self.block_shape, name=who)
        n = int(labels.max()) + 1
        w = tf.reshape(tf.convert_to_tensor(weights), [-1])
        ids = tf.constant(labels.reshape(-1), dtype=tf.int32)
        counts = tf.constant(np.bincount(labels.reshape(-1), minlength=n), dtype=w.dtype)
        sparse = self._norm(_safe_sqrt(tf.math.unsorted_segment_sum(tf.square(w), ids, n)))
        if self.structure_type is SUPPORTED_STRUCTURES.UNSTRUCTURED:
            variance = tf.math.reduce_variance(w)
        else:
            mean = tf.math.unsorted_segment_sum(w, ids, n) / counts
            variance = self._norm(tf.math.unsorted_segment_sum(tf.square(w - tf.gather(mean, ids)), ids, n) / counts)
        return self.alpha * sparse + self.beta * variance

    def get_config(self):
        return {"alpha": self.alpha, "beta": self.beta, "norm": self.norm, "structure_type": self.structure_type.value,
                "block_shape": tuple(self.block_shape), "pattern_offset": self.pattern_offset,
                "consecutive_patterns": self.consecutive_patterns}


@tf.keras.utils.register_keras_serializable(name="DenseRegularizer")
class DenseRegularizer(_GroupRegularizer):
    rank, kind = 2, "dense"


@tf.keras.utils.register_keras_serializable(name="Conv2DRegularizer")
class Conv2DRegularizer(_GroupRegularizer):
    rank, kind = 4, "conv2d"

    def __init__(self, alpha, beta=0, norm=1, structure_type=SUPPORTED_STRUCTURES.UNSTRUCTURED, pattern_offset=1,
                 consecutive_patterns=1):
        super().__init__(alpha, beta, norm, structure_type, (1, 1), pattern_offset, consecutive_patterns)

    def get_config(self):
        config = super().get_config()
        del config["block_shape"]
        return config
