"""Compatibility names: the activation-like layer kinds live in one module each --
:mod:`.activation` (Activation), :mod:`.prelu`, :mod:`.softmax`, :mod:`.batchnorm` -- and the
shared lookup-table pieces in :mod:`.tables`."""
# ruff: noqa: F401
from .activation import (ACTIVATIONS, CONST_WIDTH, SELU_ALPHA, SELU_SCALE, TAIL_CODES, Activation, bound_type,
                         const_type, float_activation, frac_bits_needed, product_type)
from .batchnorm import BatchNormalization
from .prelu import PReLU
from .softmax import LOG2E, Softmax
from .tables import RND_SAT, TableSpec, cpp_literal, plan_table, reciprocal_golden, reciprocal_table, table_samples
