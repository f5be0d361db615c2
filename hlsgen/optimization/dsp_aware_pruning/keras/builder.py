"""Model-building helpers of resource-aware pruning: ``remove_custom_regularizers`` (a copy
of the model, same weights, without this package's regularizers, loadable where hlsgen is
not installed).  hls4ml's tuner-driven ``build_optimizable_model`` is not implemented."""
from __future__ import annotations

import importlib

from .regularizers import Conv2DRegularizer, DenseRegularizer


def _custom_objects():
    try:
        from qkeras.utils import _add_supported_quantized_objects
    except ImportError:
        return {}
    objects = {}
    _add_supported_quantized_objects(objects)
    return objects


def remove_custom_regularizers(model):
    weights = model.get_weights()
    for layer in model.layers:
        if isinstance(getattr(layer, "kernel_regularizer", None), (DenseRegularizer, Conv2DRegularizer)):
            layer.kernel_regularizer = None
    rebuilt = importlib.import_module(type(model).__module__.split(".")[0]).models.model_from_json(model.to_json(), custom_objects=_custom_objects())
    rebuilt.set_weights(weights)
    return rebuilt
