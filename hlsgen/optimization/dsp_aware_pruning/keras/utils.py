"""Per-layer measurements of a Keras model for pruning (hls4ml's ``keras.utils``): kernel
sparsity, the last layer with a kernel, and the first and (diagonal) second derivatives of a
loss with respect to every kernel (the ``oracle`` and ``saliency`` ranking metrics)."""
from __future__ import annotations

import numpy as np


def _kernel_layers(model):
    return [layer for layer in model.layers if hasattr(layer, "kernel")]


def get_model_sparsity(model):
    """``(zero kernel weights / all kernel weights, {layer name: its fraction of zero kernel weights})``."""
    per_layer, zeros, total = {}, 0, 0
    for layer in _kernel_layers(model):
        k = np.asarray(layer.kernel)
        per_layer[layer.name] = 1.0 - np.count_nonzero(k) / k.size if k.size else 0.0
        zeros += k.size - np.count_nonzero(k)
        total += k.size
    return (zeros / total if total else 0.0), per_layer


def get_last_layer_with_weights(model):
    """The index of the last layer with a kernel (its outputs are the labels: never pruned);
    ``len(model.layers)`` if there is none."""
    for i in range(len(model.layers) - 1, -1, -1):
        if hasattr(model.layers[i], "kernel"):
            return i
    return len(model.layers)


def get_model_gradients(model, loss_fn, X, y):
    """``{layer name: dL/dkernel}`` (numpy) of ``loss_fn(y, model(X))``, in training mode."""
    import tensorflow as tf
    layers = _kernel_layers(model)
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(X, training=True))
    grads = tape.gradient(loss, [layer.kernel for layer in layers])
    return {layer.name: np.asarray(g) for layer, g in zip(layers, grads)}


def get_model_hessians(model, loss_fn, X, y):
    """``{layer name: d/dkernel of sum(dL/dkernel)}`` (numpy), in inference mode: the row sums
    of the layer's Hessian block, which hls4ml uses as the estimate of its diagonal."""
    import tensorflow as tf
    layers = _kernel_layers(model)
    kernels = [layer.kernel for layer in layers]
    with tf.GradientTape(persistent=True) as outer:
        with tf.GradientTape() as inner:
            loss = loss_fn(y, model(X, training=False))
        grads = inner.gradient(loss, kernels)
    second = [outer.gradient(g, k) for g, k in zip(grads, kernels)]
    del outer
    return {layer.name: np.zeros(tuple(k.shape)) if s is None else np.asarray(s)
            for layer, k, s in zip(layers, kernels, second)}
