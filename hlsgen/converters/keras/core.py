"""Keras handlers for core layers: Dense, activations, BatchNormalization, reshapes, no-ops
(TimeDistributed: ``time_distributed.py``)."""
from __future__ import annotations

import numpy as np

from . import handler

# Keras activation name -> (IR activation name, extra attrs)
ACTIVATIONS = {
    "linear": ("linear", {}),
    "relu": ("relu", {}),
    "relu6": ("relu", {"max_value": 6.0}),
    "sigmoid": ("sigmoid", {}),
    "tanh": ("tanh", {}),
    "softplus": ("softplus", {}),
    "softsign": ("softsign", {}),
    "elu": ("elu", {"alpha": 1.0}),
    "selu": ("selu", {}),
    "swish": ("swish", {}),
    "silu": ("swish", {}),
    "exponential": ("exponential", {}),
    "gelu": ("gelu", {}),
    "leaky_relu": ("leaky_relu", {"alpha": 0.2}),
}


def _activation_name(act):
    if isinstance(act, dict):  # serialized function (Keras 3) or custom object
        act = act.get("config", act.get("class_name"))
        if isinstance(act, dict):
            act = act.get("name")
    return str(act) if act is not None else "linear"


def add_layer_activation(kl, b, out):
    """The ``activation`` option of a Dense/Conv layer, as its own IR layer after ``out``."""
    act = _activation_name(kl.config.get("activation"))
    if act != "linear":
        out = add_activation(b, kl, act, [out], f"{kl.name}_{act}")
    return out


def add_activation(b, kl, act, inputs, source_name):
    """Append the IR layer for Keras activation ``act``; returns the output tensor."""
    out = _add_activation(b, kl, act, inputs, source_name)
    if source_name != kl.name and b.graph.layers and b.graph.layers[-1].outputs == [out]:
        b.graph.layers[-1].model_layer = kl.name  # split off a layer with an activation: its output is that layer's
    return out


def _add_activation(b, kl, act, inputs, source_name):
    name = _activation_name(act)
    if name == "softmax":
        return b.add("Softmax", source_name, inputs, {"axis": -1})
    if name == "log_softmax":
        return b.add("LogSoftmax", source_name, inputs, {"axis": -1})
    if name == "hard_sigmoid":
        variant = "keras3" if kl.flavour == "keras3" else "tf_keras"
        return b.add("Activation", source_name, inputs, {"activation": "hard_sigmoid", "variant": variant})
    if name not in ACTIVATIONS:
        valid = ", ".join(sorted(list(ACTIVATIONS) + ["softmax", "log_softmax", "hard_sigmoid"]))
        raise ValueError(f"layer {kl.name!r}: activation {name!r} is not supported; supported: {valid}")
    ir, attrs = ACTIVATIONS[name]
    if ir == "linear":
        return b.add("Identity", source_name, inputs)
    return b.add("Activation", source_name, inputs, {"activation": ir, **attrs})


def check_last_axis(kl, b, inputs, what="channels-last (axis=-1)"):
    """Refuse a layer that works on another axis than the last (channels-last) one."""
    axis = kl.config.get("axis", -1)
    if isinstance(axis, (list, tuple)):
        axis = axis[0] if len(axis) == 1 else axis
    if axis not in (-1, len(b.shape(inputs[0]))):
        raise ValueError(f"{kl.class_name} layer {kl.name!r}: axis={axis} is not supported; only {what}")


def dense_last_axis(b, name, x, kernel, bias, attrs=None):
    """y = x @ kernel + bias over the last axis of ``x`` (Keras Dense on any rank): a Dense
    layer on a vector; a 1x1 convolution on (steps, C) or (H, W, C), which is the same sum
    per position; rank 4 and more viewed as (positions, C) around the convolution.
    ``attrs``: extra attributes of that layer (QDense: its exact types)."""
    attrs = dict(attrs or {})
    weights = {"weight": np.asarray(kernel)}
    if bias is not None:
        weights["bias"] = np.asarray(bias)
    shape = b.shape(x)
    if len(shape) == 1:
        return b.add("Dense", name, [x], attrs, weights)
    k_in, k_out = weights["weight"].shape
    if shape[-1] != k_in:
        raise ValueError(f"Dense layer {name!r}: input has {shape[-1]} features, kernel expects {k_in}")
    one = dict(attrs, padding="valid", kernel=(1, 1), strides=(1, 1))
    if len(shape) == 3:
        weights["weight"] = weights["weight"].reshape(1, 1, k_in, k_out)
        return b.add("Conv2D", name, [x], one, weights)
    weights["weight"] = weights["weight"].reshape(1, k_in, k_out)
    if len(shape) == 2:
        return b.add("Conv1D", name, [x], one, weights)
    rows = b.add("Reshape", f"{name}_rows", [x], {"target_shape": (-1, k_in)})
    y = b.add("Conv1D", name, [rows], one, weights)
    return b.add("Reshape", f"{name}_shape", [y], {"target_shape": tuple(shape[:-1]) + (k_out,)})


@handler("Dense")
def dense(kl, inputs, b):
    bias = kl.weight("bias", 1) if kl.config.get("use_bias", True) else None
    return add_layer_activation(kl, b, dense_last_axis(b, kl.name, inputs[0], kl.weight("kernel", 0), bias))


@handler("Activation")
def activation(kl, inputs, b):
    return add_activation(b, kl, kl.config["activation"], inputs, kl.name)


@handler("ReLU")
def relu(kl, inputs, b):
    c = kl.config
    attrs = {"activation": "relu"}
    if c.get("max_value") is not None:
        attrs["max_value"] = float(c["max_value"])
    if float(c.get("negative_slope") or 0.0) != 0.0:
        attrs["negative_slope"] = float(c["negative_slope"])
    if float(c.get("threshold") or 0.0) != 0.0:
        attrs["threshold"] = float(c["threshold"])
    return b.add("Activation", kl.name, inputs, attrs)


@handler("ThresholdedReLU")
def thresholded_relu(kl, inputs, b):
    """tf_keras' ThresholdedReLU: x where x > theta, else 0 (the relu family's threshold)."""
    theta = float(kl.config.get("theta", 1.0))
    if theta < 0:
        raise ValueError(f"ThresholdedReLU layer {kl.name!r}: theta={theta} < 0 is not supported (negative outputs "
                         "between theta and 0 would pass)")
    return b.add("Activation", kl.name, inputs, {"activation": "relu", "threshold": theta} if theta else
                 {"activation": "relu"})


@handler("LeakyReLU")
def leaky_relu(kl, inputs, b):
    alpha = kl.config.get("negative_slope", kl.config.get("alpha", 0.3))
    return b.add("Activation", kl.name, inputs, {"activation": "leaky_relu", "alpha": float(alpha)})


@handler("ELU")
def elu(kl, inputs, b):
    return b.add("Activation", kl.name, inputs, {"activation": "elu", "alpha": float(kl.config.get("alpha", 1.0))})


@handler("PReLU")
def prelu(kl, inputs, b):
    if kl.config.get("shared_axes"):
        alpha = kl.weights[0]
        alpha = np.broadcast_to(alpha, b.shape(inputs[0])).copy()
    else:
        alpha = kl.weights[0]
    return b.add("PReLU", kl.name, inputs, {}, {"alpha": alpha})


@handler("Softmax")
def softmax(kl, inputs, b):
    check_last_axis(kl, b, inputs, "the last axis (-1)")
    return b.add("Softmax", kl.name, inputs, {"axis": -1})


@handler("BatchNormalization")
def batchnorm(kl, inputs, b):
    c = kl.config
    check_last_axis(kl, b, inputs)
    w = list(kl.weights)
    gamma = w.pop(0) if c.get("scale", True) else None
    beta = w.pop(0) if c.get("center", True) else None
    mean, var = w[0], w[1]
    n = mean.shape[0]
    gamma = np.ones(n) if gamma is None else gamma.astype(np.float64)
    beta = np.zeros(n) if beta is None else beta.astype(np.float64)
    scale = gamma / np.sqrt(var.astype(np.float64) + float(c.get("epsilon", 1e-3)))
    bias = beta - mean.astype(np.float64) * scale
    return b.add("BatchNormalization", kl.name, inputs, {}, {"scale": scale, "bias": bias})


@handler("Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise", "GaussianDropout",
         "AlphaDropout", "ActivityRegularization")
def noop(kl, inputs, b):
    return b.add("Identity", kl.name, inputs)


@handler("Flatten")
def flatten(kl, inputs, b):
    return b.add("Flatten", kl.name, inputs)


@handler("Reshape")
def reshape(kl, inputs, b):
    return b.add("Reshape", kl.name, inputs, {"target_shape": tuple(kl.config["target_shape"])})


@handler("Permute")
def permute(kl, inputs, b):
    dims = tuple(int(d) - 1 for d in kl.config["dims"])  # Keras counts the sample axes from 1
    if dims == tuple(range(len(dims))):
        return b.add("Identity", kl.name, inputs)
    return b.add("Permute", kl.name, inputs, {"dims": dims})


@handler("Embedding")
def embedding(kl, inputs, b):
    if kl.config.get("mask_zero"):
        raise ValueError(f"Embedding layer {kl.name!r}: mask_zero=True is not supported (masks are not "
                         "propagated); use mask_zero=False")
    return b.add("Embedding", kl.name, inputs, {}, {"embeddings": kl.weight("embeddings", 0)})


@handler("LayerNormalization")
def layer_normalization(kl, inputs, b):
    c = kl.config
    check_last_axis(kl, b, inputs, "the last axis (-1)")
    if c.get("rms_scaling"):
        raise ValueError(f"LayerNormalization layer {kl.name!r}: rms_scaling=True is not supported")
    n = b.shape(inputs[0])[-1]
    scale, center = c.get("scale", True), c.get("center", True)
    gamma = np.asarray(kl.weight("gamma", 0), dtype=np.float64) if scale else np.ones(n)
    beta = np.asarray(kl.weight("beta", 1 if scale else 0), dtype=np.float64) if center else np.zeros(n)
    return b.add("LayerNormalization", kl.name, inputs, {"epsilon": float(c.get("epsilon", 1e-3))},
                 {"scale": gamma * np.sqrt(n), "bias": beta})
