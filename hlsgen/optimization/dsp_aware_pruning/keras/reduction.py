"""Removing pruned neurons and filters from a Keras Sequential model (hls4ml's
``reduce_model``, which delegates to Keras Surgeon; this is a self-contained version for
Sequential models).

A Dense neuron or Conv2D filter whose kernel column/filter and bias are all zero is removed,
and so are the matching input channels of the layers downstream: BatchNormalization (its
per-channel parameters), channel-wise layers (activations, pooling, dropout, ...), Flatten
(the flattened positions of those channels) and the next Dense/Conv2D (its kernel's input
rows).  The last layer with a kernel keeps all its outputs (they are the labels).  A removed
channel is taken to carry zeros, which holds when the layers up to the next Dense/Conv2D map
zero to zero (ReLU, linear, pooling; not a BatchNormalization shift or a sigmoid).
"""
from __future__ import annotations

import importlib

import numpy as np

from ..attributes import layer_family
from .utils import get_last_layer_with_weights

# layers that act on every channel alike (shape-preserving in the channel axis)
CHANNEL_WISE = ("Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "Dropout", "QActivation",
                "MaxPooling2D", "AveragePooling2D", "MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling2D",
                "GlobalMaxPooling2D", "ZeroPadding2D", "UpSampling2D", "ActivityRegularization", "GaussianNoise")


def _keras_of(model):
    """The Keras package the model was built with (``keras`` or ``tf_keras``)."""
    return importlib.import_module(type(model).__module__.split(".")[0])


def reduce_model(model):
    if type(model).__name__ != "Sequential":
        raise ValueError(f"reduce_model handles Sequential models; {model.name!r} is a {type(model).__name__}")
    last = get_last_layer_with_weights(model)
    keep = None  # the kept channels of the current feature map (None: all)
    rebuilt = []  # (layer class, config, weights)
    for i, layer in enumerate(model.layers):
        cls, cfg, weights = type(layer), layer.get_config(), [np.asarray(w) for w in layer.get_weights()]
        for key in ("batch_input_shape", "batch_shape", "input_shape"):
            cfg.pop(key, None)
        family, name = layer_family(cls), cls.__name__
        if family is not None:
            if keep is not None:
                weights[0] = np.take(weights[0], keep, axis=weights[0].ndim - 2)
            keep = None
            if i != last:
                k = weights[0].reshape(-1, weights[0].shape[-1])
                has_bias = cfg.get("use_bias", True) and len(weights) > 1
                bias_alive = weights[1] != 0 if has_bias else np.zeros(k.shape[1], dtype=bool)
                alive = np.flatnonzero(np.any(k != 0, axis=0) | bias_alive)
                if alive.size == 0:
                    alive = np.array([0])  # keep one channel: a layer of width zero is not a layer
                if alive.size < k.shape[1]:
                    keep = alive
                    weights = [np.take(w, alive, axis=-1) for w in weights]
                    cfg["units" if family == "Dense" else "filters"] = int(alive.size)
        elif keep is not None:
            if name == "BatchNormalization":
                weights = [np.take(w, keep, axis=-1) for w in weights]
            elif name == "Flatten":
                channels = int(layer.input.shape[-1])
                positions = int(np.prod(layer.input.shape[1:-1]))
                keep = (np.arange(positions)[:, None] * channels + keep[None, :]).reshape(-1)
            elif name not in CHANNEL_WISE:
                raise ValueError(f"reduce_model: layer {layer.name!r} ({name}) follows removed channels, and only "
                                 f"Dense, Conv2D, BatchNormalization, Flatten and channel-wise layers can be rewired")
        rebuilt.append((cls, cfg, weights))
    first_input = model.layers[0].input.shape[1:]
    k = _keras_of(model)
    reduced = k.Sequential([k.Input(tuple(first_input))] + [cls.from_config(cfg)
                                                                         for cls, cfg, _ in rebuilt], name=model.name)
    for layer, (_, _, weights) in zip(reduced.layers, rebuilt):
        if weights:
            layer.set_weights(weights)
    return reduced
