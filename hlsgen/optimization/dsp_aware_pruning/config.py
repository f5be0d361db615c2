"""The weight structures that resource-aware pruning removes or shares as one unit
(hls4ml's ``SUPPORTED_STRUCTURES``, the same names and values).

``UNSTRUCTURED``  one weight per group (pruning only: a single weight has nothing to share).
``STRUCTURED``    a Dense neuron (a kernel column: one output's incoming weights) or a
                  Conv2D filter (``kh x kw x channels`` weights of one output channel).
``PATTERN``       the weights one multiplier processes under hls4ml's Resource strategy: the
                  kernel is laid out output-major (Dense ``(n_out, n_in)``, Conv2D
                  ``(filters, kh, kw, channels)``), flattened, and cut into ``pattern_offset``
                  contiguous runs of ``size / pattern_offset`` (= the reuse factor) weights;
                  ``consecutive_patterns`` neighbouring runs form one group.
``BLOCK``         a ``block_shape`` tile of a rank-2 kernel (Dense), tiles numbered row-major.
"""
from enum import Enum


class SUPPORTED_STRUCTURES(Enum):
    UNSTRUCTURED = "unstructured"
    STRUCTURED = "structured"
    PATTERN = "pattern"
    BLOCK = "block"
