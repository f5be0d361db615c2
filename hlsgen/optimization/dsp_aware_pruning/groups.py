"""Weight groups of one kernel, as a label array: ``labels[idx]`` is the group of the weight
at ``idx`` (0..n_groups-1), so masks, norms and means are numpy reductions over labels.
The structures are described in :mod:`.config`.  Pure numpy: no Keras here."""
from __future__ import annotations

import numpy as np

from .config import SUPPORTED_STRUCTURES

KINDS = ("dense", "conv2d")  # a rank-2 (n_in, n_out) kernel; a (kh, kw, channels, filters) kernel


def group_labels(shape, kind, structure, pattern_offset=1, consecutive_patterns=1, block_shape=(1, 1), name="layer"):
    """The group of every weight of a kernel of ``shape`` (see the module docstring)."""
    shape = tuple(int(s) for s in shape)
    size = int(np.prod(shape))
    if kind not in KINDS:
        raise ValueError(f"layer {name!r}: weight groups are defined for {', '.join(KINDS)} kernels, not {kind!r}")
    if not isinstance(structure, SUPPORTED_STRUCTURES):
        raise ValueError(f"layer {name!r}: structure_type must be a SUPPORTED_STRUCTURES member, got {structure!r}")
    if structure is SUPPORTED_STRUCTURES.UNSTRUCTURED:
        return np.arange(size).reshape(shape)
    if structure is SUPPORTED_STRUCTURES.STRUCTURED:
        return np.broadcast_to(np.arange(shape[-1]), shape).copy()
    if structure is SUPPORTED_STRUCTURES.PATTERN:
        return _pattern_labels(shape, size, int(pattern_offset), int(consecutive_patterns), name)
    return _block_labels(shape, tuple(int(b) for b in block_shape), name)


def _pattern_labels(shape, size, pattern_offset, consecutive, name):
    if pattern_offset < 1 or size % pattern_offset:
        raise ValueError(f"layer {name!r}: pattern_offset {pattern_offset} must divide the kernel size {size}")
    if consecutive < 1 or pattern_offset % consecutive:
        raise ValueError(f"layer {name!r}: consecutive_patterns {consecutive} must divide pattern_offset "
                         f"{pattern_offset}")
    run = size // pattern_offset  # weights per multiplier (the reuse factor)
    # positions in the output-major layout (outputs on the first axis), moved back to the kernel's axes
    out_major = np.arange(size).reshape((shape[-1],) + shape[:-1])
    return np.moveaxis(out_major, 0, -1) // (run * consecutive)


def _block_labels(shape, block, name):
    if len(shape) != 2:
        raise ValueError(f"layer {name!r}: BLOCK structures need a rank-2 kernel (Dense), this one has shape {shape}")
    if len(block) != 2 or min(block) < 1 or shape[0] % block[0] or shape[1] % block[1]:
        raise ValueError(f"layer {name!r}: block_shape {block} must divide the kernel shape {shape}")
    rows = np.arange(shape[0])[:, None] // block[0]
    cols = np.arange(shape[1])[None, :] // block[1]
    return rows * (shape[1] // block[1]) + cols


def group_sums(labels, values):
    """Per-group sums of ``values`` (same shape as ``labels``)."""
    return np.bincount(labels.reshape(-1), weights=np.asarray(values, dtype=np.float64).reshape(-1),
                       minlength=int(labels.max()) + 1 if labels.size else 0)


def group_norms(labels, scores, order):
    """Per-group l1 (``order=1``) or l2 (``order=2``) norms of ``scores``."""
    if order == 1:
        return group_sums(labels, np.abs(scores))
    return np.sqrt(group_sums(labels, np.square(scores)))


def group_means_and_variances(labels, weights):
    counts = group_sums(labels, np.ones(labels.shape))
    mean = group_sums(labels, weights) / counts
    var = group_sums(labels, np.square(np.asarray(weights, dtype=np.float64) - mean[labels])) / counts
    return mean, var
