"""Resource-aware pruning at hls4ml's paths: :mod:`.knapsack` (which structures to keep
under resource budgets), :mod:`.scheduler` (the sparsity targets of successive pruning
steps), :mod:`.config` (the weight structures), :mod:`.groups` (a kernel's groups, numpy),
:mod:`.attributes` (per-layer facts, from a Keras model and an hls4ml config),
:mod:`.objectives` (resources and savings; the parameter count) and :mod:`.keras.masking`
(masks and weight-sharing offsets of a Keras model)."""
from .attributes import get_attributes_from_keras_model, get_attributes_from_keras_model_and_hls4ml_config

__all__ = ["get_attributes_from_keras_model", "get_attributes_from_keras_model_and_hls4ml_config"]
