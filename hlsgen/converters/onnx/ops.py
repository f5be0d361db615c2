"""Handlers for ONNX operators on data tensors.  ``fn(conv, node, attrs)`` adds IR layers
through ``conv.add`` and records each output's :class:`~.layout.Val`."""
from __future__ import annotations

import numpy as np

from ...layers.conv import conv_geometry
from .frontend import SELU_ALPHA, SELU_GAMMA, OnnxConversionError, _attrs, handler
from .layout import Val, channels_last, find_perm, gather_const, perm_index, permuted_shape, transpose_index
from .quant import cast_type


def _s(x):
    return x.decode() if isinstance(x, bytes) else x


def _same(val: Val, out_ir: str) -> Val:
    return Val(out_ir, val.shape, val.index)


# ---------------------------------------------------------------------- no-ops
@handler("Identity", "Dropout")
def identity_op(c, node, a):
    if node.op_type == "Dropout" and len(node.output) > 1 and node.output[1] and c.consumers.get(node.output[1]):
        raise OnnxConversionError(f"{c.desc(node)}: the dropout mask output is used; only inference is supported")
    if node.op_type == "Dropout" and a.get("training_mode"):
        raise OnnxConversionError(f"{c.desc(node)}: training_mode is not supported")
    c.set(node, c.val(node))


# ---------------------------------------------------------------------- activations
def _act(c, node, attrs):
    x = c.val(node)
    c.set(node, _same(x, c.add("Activation", c.node_name(node), [x.ir], attrs)))


@handler("Relu")
def relu(c, node, a):
    _act(c, node, {"activation": "relu"})


@handler("LeakyRelu")
def leaky_relu(c, node, a):
    _act(c, node, {"activation": "leaky_relu", "alpha": float(a.get("alpha", 0.01))})


@handler("Sigmoid", "Tanh", "Softplus", "Softsign")
def table_act(c, node, a):
    _act(c, node, {"activation": node.op_type.lower()})


@handler("Elu")
def elu(c, node, a):
    _act(c, node, {"activation": "elu", "alpha": float(a.get("alpha", 1.0))})


@handler("Selu")
def selu(c, node, a):
    alpha, gamma = float(a.get("alpha", SELU_ALPHA)), float(a.get("gamma", SELU_GAMMA))
    if abs(alpha - SELU_ALPHA) > 1e-6 or abs(gamma - SELU_GAMMA) > 1e-6:
        raise OnnxConversionError(f"{c.desc(node)}: only the standard SELU constants (alpha {SELU_ALPHA:.6f}, "
                                  f"gamma {SELU_GAMMA:.6f}) are supported, got alpha {alpha}, gamma {gamma}")
    _act(c, node, {"activation": "selu"})


@handler("hlsgen:Threshold", "ThresholdedRelu")
def threshold(c, node, a):
    """y = x > t ? x : v: hlsgen:Threshold(x, t, v) (PyTorch's nn.Threshold, fused in
    patterns.py) and ONNX ThresholdedRelu (t = alpha, default 1, v = 0)."""
    if node.op_type == "ThresholdedRelu":
        thr, value = float(a.get("alpha", 1.0)), 0.0
    else:
        thr, value = (float(np.asarray(c.const(node, i)).reshape(-1)[0]) for i in (1, 2))
    _act(c, node, {"activation": "threshold", "threshold": thr, "value": value})


@handler("HardSigmoid")
def hard_sigmoid(c, node, a):
    alpha, beta = float(a.get("alpha", 0.2)), float(a.get("beta", 0.5))
    if abs(beta - 0.5) > 1e-7:
        raise OnnxConversionError(f"{c.desc(node)}: beta={beta}; only beta=0.5 is supported")
    if abs(alpha - 0.2) < 1e-7:
        variant = "tf_keras"
    elif abs(alpha - 1.0 / 6.0) < 1e-6:
        variant = "keras3"
    else:
        raise OnnxConversionError(f"{c.desc(node)}: alpha={alpha}; supported: 0.2 and 1/6 (PyTorch Hardsigmoid)")
    _act(c, node, {"activation": "hard_sigmoid", "variant": variant})


@handler("Clip")
def clip(c, node, a):
    if c.opset < 11:
        lo, hi = a.get("min", -np.inf), a.get("max", np.inf)
    else:
        lo = c.const(node, 1, required=False)
        hi = c.const(node, 2, required=False)
        for i in (1, 2):
            if i < len(node.input) and node.input[i] and not c.is_const(node.input[i]):
                raise OnnxConversionError(f"{c.desc(node)}: min and max must be constants")
        lo = -np.inf if lo is None else float(np.asarray(lo).reshape(-1)[0])
        hi = np.inf if hi is None else float(np.asarray(hi).reshape(-1)[0])
    x = c.val(node)
    if lo == -np.inf and hi == np.inf:
        c.set(node, x)
        return
    if lo != 0.0:
        raise OnnxConversionError(f"{c.desc(node)}: Clip(min={lo}, max={hi}) is not supported; only min=0 "
                                  "(a ReLU with an optional maximum, e.g. ReLU6)")
    attrs = {"activation": "relu"}
    if hi != np.inf:
        attrs["max_value"] = float(hi)
    _act(c, node, attrs)


@handler("PRelu")
def prelu(c, node, a):
    x = c.val(node)
    slope = c.const(node, 1)
    alpha = gather_const(slope, x, c.desc(node)).reshape(c.ir_shape(x))
    c.set(node, _same(x, c.add("PReLU", c.node_name(node), [x.ir], {}, {"alpha": alpha})))


@handler("Softmax", "LogSoftmax")
def softmax(c, node, a):
    kind = node.op_type  # the IR kinds have the ONNX names
    x = c.val(node)
    r = x.rank
    axis = int(a.get("axis", -1 if c.opset >= 13 else 1))
    axis = axis + r if axis < 0 else axis
    name = c.node_name(node)
    whole = axis == 1 and (r == 2 or c.opset < 13) or all(d == 1 for i, d in enumerate(x.shape) if i not in (0, axis))
    if whole:
        # one softmax over all features: any storage order works (it is permutation-equivariant)
        ir = c.add(kind, name, [c.vector(x, node)], {"axis": -1})
        c.set(node, Val(ir, x.shape, x.index))
        return
    for perm in (tuple(range(r)), channels_last(r)):
        if perm[-1] == axis and np.array_equal(x.index, perm_index(x.shape, perm)):
            ir = c.add(kind, name, [c.view(x, permuted_shape(x.shape, perm), name)], {"axis": -1})
            c.set(node, Val(ir, x.shape, x.index))
            return
    raise OnnxConversionError(f"{c.desc(node)}: softmax over axis {axis} of a tensor of shape {x.shape} stored in "
                              f"axis order {find_perm(x)} is not supported (only over the innermost stored axis)")


@handler("LayerNormalization")
def layer_normalization(c, node, a):
    """Over the last axis only (PyTorch nn.LayerNorm over the last dimension), where that axis
    is the innermost stored one."""
    x = c.val(node)
    r = x.rank
    axis = int(a.get("axis", -1))
    axis = axis + r if axis < 0 else axis
    if axis != r - 1:
        raise OnnxConversionError(f"{c.desc(node)}: normalisation over axes {tuple(range(axis, r))} is not "
                                  "supported; only over the last axis")
    n = int(x.shape[-1])
    scale = np.asarray(c.const(node, 1), dtype=np.float64).reshape(-1)
    bias = c.const(node, 2, required=False)
    bias = np.zeros(n) if bias is None else np.asarray(bias, dtype=np.float64).reshape(-1)
    if scale.size != n or bias.size != n:
        raise OnnxConversionError(f"{c.desc(node)}: Scale and B must have {n} values (the last axis)")
    if len(node.output) > 1 and any(o and c.consumers.get(o) for o in node.output[1:]):
        raise OnnxConversionError(f"{c.desc(node)}: the Mean / InvStdDev outputs are used; only Y is supported")
    name = c.node_name(node)
    attrs = {"epsilon": float(a.get("epsilon", 1e-5))}
    weights = {"scale": scale * np.sqrt(n), "bias": bias}
    for perm in (tuple(range(r)), channels_last(r)):
        if perm[-1] == axis and np.array_equal(x.index, perm_index(x.shape, perm)):
            ir = c.add("LayerNormalization", name, [c.view(x, permuted_shape(x.shape, perm), name)], attrs, weights)
            c.set(node, Val(ir, x.shape, x.index))
            return
    raise OnnxConversionError(f"{c.desc(node)}: the last axis of a tensor of shape {x.shape} stored in axis order "
                              f"{find_perm(x)} is not its innermost stored axis; not supported")


@handler("Gather")
def gather(c, node, a):
    """A constant table indexed by data along axis 0: an Embedding (nn.Embedding's export);
    data indexed by a constant scalar: one time step (``recurrent.gather_step``)."""
    if c.is_const(node.input[1]) and not c.is_const(node.input[0]):
        from .recurrent import gather_step

        return gather_step(c, node, a)
    if node.input[1] in c.consts or not c.is_const(node.input[0]):
        raise OnnxConversionError(f"{c.desc(node)}: Gather is supported for a constant table gathered by data "
                                  "indices (an embedding) or data gathered by a constant scalar index (a time step)")
    table = np.asarray(c.const(node, 0), dtype=np.float64)
    if int(a.get("axis", 0)) != 0 or table.ndim != 2:
        raise OnnxConversionError(f"{c.desc(node)}: only rows (axis 0) of a 2-D table are supported, got axis "
                                  f"{a.get('axis', 0)} of a table of shape {table.shape}")
    x = c.val(node, 1)
    name = c.node_name(node)
    ir = c.add("Embedding", name, [c.view(x, tuple(x.shape[1:]), name)], {}, {"embeddings": table})
    shape = tuple(x.shape) + (table.shape[1],)
    # IR row p holds the row of index x.index[p] (a lookup works in any storage order)
    d = table.shape[1]
    c.set(node, Val(ir, shape, (np.asarray(x.index)[:, None] * d + np.arange(d)).reshape(-1)))


# ---------------------------------------------------------------------- QONNX
@handler("q:Quant")
def quant(c, node, a):
    x = c.val(node)
    for i in (1, 2, 3):
        c.const(node, i)
    t = cast_type(c.desc(node), c.const(node, 1), c.const(node, 2), c.const(node, 3), bool(a.get("signed", 1)),
                  bool(a.get("narrow", 0)), _s(a.get("rounding_mode", "ROUND")))
    _cast(c, node, x, t)


def _cast(c, node, x, t, source=None):
    ir = c.add("Activation", source or c.node_name(node), [x.ir], {"activation": "linear", "types": {"result": str(t)}})
    c.casts.add(c.last_layer.name)
    c.set(node, _same(x, ir))


@handler("q:BipolarQuant")
def bipolar(c, node, a):
    raise OnnxConversionError(f"{c.desc(node)}: BipolarQuant on activations (a sign function) is not supported; "
                              "only on weights (constants), where it is folded")


@handler("q:Trunc")
def trunc(c, node, a):
    x = c.val(node)
    consts = [c.const(node, i) for i in range(1, len(node.input))]
    rounding = _s(a.get("rounding_mode", "FLOOR"))
    if len(node.input) >= 6:  # v2: a Quant to out_scale / out_bitwidth
        scale, zp, _, out_scale, out_bits = consts[:5]
        if np.any(np.asarray(zp) != 0):
            raise OnnxConversionError(f"{c.desc(node)}: zero_point must be 0")
        t = cast_type(c.desc(node), out_scale, zp, out_bits, bool(a.get("signed", 1)), bool(a.get("narrow", 0)),
                      rounding)
        _cast(c, node, x, t)
        return
    scale, zp, in_bits, out_bits = consts[:4]
    shift = int(np.asarray(in_bits).reshape(-1)[0]) - int(np.asarray(out_bits).reshape(-1)[0])
    # v1: y = rnd(x / (scale * 2^shift)) * scale  ==  cast_{lsb=scale}(x * 2^-shift), exact scaling first
    t = cast_type(c.desc(node), scale, zp, int(np.asarray(out_bits).reshape(-1)[0]) + 1, True, False, rounding)
    n = c.ir_shape(x)[-1]
    mid = c.add("BatchNormalization", f"{c.node_name(node)}_scale", [x.ir], {},
                {"scale": np.full(n, 2.0**-shift), "bias": np.zeros(n)})
    _cast(c, node, _same(x, mid), t)


# ---------------------------------------------------------------------- dense
def _dense(c, node, x: Val, w, b, wtype=None, btype=None):
    """x (logical (1, K), any storage order) @ w (K, M) + b."""
    k = x.size
    if w.shape[0] != k:
        raise OnnxConversionError(f"{c.desc(node)}: input has {k} features, the weight matrix {w.shape[0]} rows")
    types = {}
    if wtype is not None:
        types["weight"] = str(wtype)
    if btype is not None:
        types["bias"] = str(btype)
    weights = {"weight": np.asarray(w, dtype=np.float64)[x.index]}
    if b is not None:
        b = np.asarray(b, dtype=np.float64).reshape(-1)
        if b.size not in (1, w.shape[1]):
            raise OnnxConversionError(f"{c.desc(node)}: bias of shape {b.shape} does not match {w.shape[1]} outputs")
        weights["bias"] = np.broadcast_to(b, (w.shape[1],)).copy()
    attrs = {"types": types} if types else {}
    ir = c.add("Dense", c.node_name(node), [c.vector(x, node)], attrs, weights)
    m = w.shape[1]
    return Val(ir, (1, m), np.arange(m, dtype=np.int64))


@handler("Gemm")
def gemm(c, node, a):
    x = c.val(node)
    if not c.is_const(node.input[1]):
        raise OnnxConversionError(f"{c.desc(node)}: the B input must be a constant weight matrix")
    if a.get("transA", 0):
        raise OnnxConversionError(f"{c.desc(node)}: transA=1 is not supported (the data input is A)")
    if x.rank != 2:
        raise OnnxConversionError(f"{c.desc(node)}: A must be 2-D, got shape {x.shape}")
    w = np.asarray(c.const(node, 1), dtype=np.float64)
    if a.get("transB", 0):
        w = w.T
    alpha, beta = float(a.get("alpha", 1.0)), float(a.get("beta", 1.0))
    bias = c.const(node, 2, required=False)
    if len(node.input) > 2 and node.input[2] and bias is None:
        raise OnnxConversionError(f"{c.desc(node)}: the C input must be a constant bias")
    if bias is not None:
        bias = np.asarray(bias, dtype=np.float64)
        if bias.ndim == 2 and bias.shape[0] == 1:
            bias = bias[0]
        bias = bias * beta
    wt = c.const_types.get(node.input[1]) if alpha == 1.0 else None
    bt = c.const_types.get(node.input[2]) if bias is not None and beta == 1.0 else None
    c.set(node, _dense(c, node, x, w * alpha, bias, wt, bt))


@handler("MatMul")
def matmul(c, node, a):
    if node.input[0] in c.consts or not c.is_const(node.input[1]):
        raise OnnxConversionError(f"{c.desc(node)}: only data @ constant matrix is supported")
    x = c.val(node)
    w = np.asarray(c.const(node, 1), dtype=np.float64)
    if w.ndim != 2:
        raise OnnxConversionError(f"{c.desc(node)}: the weight must be 2-D, got shape {w.shape}")
    wt = c.const_types.get(node.input[1])
    if x.rank == 2:
        c.set(node, _dense(c, node, x, w, None, wt))
        return
    if x.rank not in (3, 4) or not np.array_equal(x.index, perm_index(x.shape, tuple(range(x.rank)))):
        raise OnnxConversionError(f"{c.desc(node)}: MatMul on a tensor of shape {x.shape} is supported only in ONNX "
                                  "order with rank 3 or 4 (as a 1x1 convolution over the last axis)")
    kind = "Conv1D" if x.rank == 3 else "Conv2D"
    wk = w.reshape((1,) * (x.rank - 2) + w.shape)
    attrs = dict(padding="valid", kernel=(1, 1), strides=(1, 1))
    if wt is not None:
        attrs["types"] = {"weight": str(wt)}
    ir = c.add(kind, c.node_name(node), [c.view(x, x.shape[1:], c.node_name(node))], attrs, {"weight": wk})
    shape = tuple(x.shape[:-1]) + (w.shape[1],)
    c.set(node, Val(ir, shape, np.arange(int(np.prod(shape[1:])), dtype=np.int64)))


# ---------------------------------------------------------------------- elementwise with constants
def affine(c, node, x: Val, scale=None, bias=None, bias_type=None, source=None):
    """y = x * scale + bias with constants broadcast like ONNX: one BatchNormalization layer,
    per channel when the constants vary only along the innermost stored axis."""
    what = c.desc(node)
    n = x.size
    s = np.ones(n) if scale is None else gather_const(scale, x, what)
    b = np.zeros(n) if bias is None else gather_const(bias, x, what)
    shape = c.ir_shape(x)
    ch = shape[-1]
    s2, b2 = s.reshape(-1, ch), b.reshape(-1, ch)
    name = source or c.node_name(node)
    if np.all(s2 == s2[0]) and np.all(b2 == b2[0]):
        ir = c.add("BatchNormalization", name, [x.ir], {}, {"scale": s2[0], "bias": b2[0]})
        if bias_type is not None:  # a quantized bias: kept if it folds into a Dense/Conv
            c.bias_types[c.last_layer.name] = str(bias_type)
    else:
        flat = c.view(x, (n,), name)
        mid = c.add("BatchNormalization", name, [flat], {}, {"scale": s, "bias": b})
        ir = c.view(Val(mid, x.shape, x.index), shape, name)
    return Val(ir, x.shape, x.index)


def _merge(c, node, kind):
    x, y = c.val(node, 0), c.val(node, 1)
    if tuple(x.shape) != tuple(y.shape):
        raise OnnxConversionError(f"{c.desc(node)}: broadcasting between two data tensors ({x.shape} and {y.shape}) "
                                  "is not supported")
    if not np.array_equal(x.index, y.index):
        raise OnnxConversionError(f"{c.desc(node)}: its two inputs are stored in different axis orders "
                                  f"({find_perm(x)} and {find_perm(y)}); hlsgen has no transpose kernel")
    yi = c.view(y, c.ir_shape(x), c.node_name(node))
    c.set(node, _same(x, c.add(kind, c.node_name(node), [x.ir, yi])))


def _binary(c, node, kind, const_fn):
    ins = node.input
    if ins[0] in c.consts and ins[1] in c.consts:  # pragma: no cover - folded
        raise OnnxConversionError(f"{c.desc(node)}: constant operation")
    if ins[0] in c.vals and ins[1] in c.vals:
        _merge(c, node, kind)
        return
    if const_fn is None:
        raise OnnxConversionError(f"{c.desc(node)}: a constant operand is not supported")
    di = 0 if ins[0] in c.vals else 1
    x = c.val(node, di)
    k = c.const(node, 1 - di)
    c.set(node, const_fn(x, np.asarray(k, dtype=np.float64), di, c.const_types.get(ins[1 - di])))


@handler("Add")
def add(c, node, a):
    _binary(c, node, "Add", lambda x, k, di, kt: affine(c, node, x, bias=k, bias_type=kt))


@handler("Sub")
def sub(c, node, a):
    def f(x, k, di, kt):
        if di == 0:
            return affine(c, node, x, bias=-k)
        return affine(c, node, x, scale=-np.ones_like(k), bias=k)

    _binary(c, node, "Subtract", f)


@handler("Mul")
def mul(c, node, a):
    _binary(c, node, "Multiply", lambda x, k, di, kt: affine(c, node, x, scale=k))


@handler("Div")
def div(c, node, a):
    if node.input[0] not in c.vals or not c.is_const(node.input[1]):
        raise OnnxConversionError(f"{c.desc(node)}: only division of data by a constant is supported")
    x = c.val(node)
    k = np.asarray(c.const(node, 1), dtype=np.float64)
    c.set(node, affine(c, node, x, scale=1.0 / k))


@handler("Max", "Min")
def maxmin(c, node, a):
    if len(node.input) != 2 or not all(i in c.vals for i in node.input):
        raise OnnxConversionError(f"{c.desc(node)}: only two data inputs are supported")
    _merge(c, node, "Maximum" if node.op_type == "Max" else "Minimum")


@handler("BatchNormalization")
def batchnorm(c, node, a):
    if len([o for o in node.output if o]) > 1 or a.get("training_mode", 0):
        raise OnnxConversionError(f"{c.desc(node)}: training mode (extra outputs) is not supported")
    x = c.val(node)
    gamma, beta, mean, var = (np.asarray(c.const(node, i), dtype=np.float64) for i in (1, 2, 3, 4))
    eps = float(a.get("epsilon", 1e-5))
    s = gamma / np.sqrt(var + eps)
    b = beta - mean * s
    shp = (-1,) + (1,) * (x.rank - 2)
    c.set(node, affine(c, node, x, scale=s.reshape(shp), bias=b.reshape(shp)))


# ---------------------------------------------------------------------- convolution and pooling
def _spatial(c, node, a, x: Val, kernel):
    """(strides, [(pad_before, pad_after)] per spatial axis) of a Conv or pooling node."""
    nd = x.rank - 2
    strides = list(a.get("strides", [1] * nd))
    dil = list(a.get("dilations", [1] * nd))
    if any(d != 1 for d in dil):
        raise OnnxConversionError(f"{c.desc(node)}: dilations={dil} are not supported; only 1")
    auto = _s(a.get("auto_pad", "NOTSET"))
    sizes = x.shape[2:]
    if auto == "NOTSET":
        p = list(a.get("pads", [0] * (2 * nd)))
        pads = [(int(p[i]), int(p[i + nd])) for i in range(nd)]
    elif auto == "VALID":
        pads = [(0, 0)] * nd
    elif auto in ("SAME_UPPER", "SAME_LOWER"):
        pads = []
        for n, k, s in zip(sizes, kernel, strides):
            out = -(-n // s)
            total = max((out - 1) * s + k - n, 0)
            lo = total // 2 if auto == "SAME_UPPER" else total - total // 2
            pads.append((lo, total - lo))
    else:
        raise OnnxConversionError(f"{c.desc(node)}: auto_pad={auto!r} is not supported")
    return [int(s) for s in strides], pads


def _padding_mode(sizes, kernel, strides, pads):
    """'valid', 'same' (Keras geometry: same windows as the ONNX pads) or None."""
    if all(tuple(p) == (0, 0) for p in pads):
        return "valid"
    for n, k, s, p in zip(sizes, kernel, strides, pads):
        out, lo, _ = conv_geometry(n, k, s, "same")
        if p[0] != lo or (n + p[0] + p[1] - k) // s + 1 != out:
            return None
    return "same"


def _pad_layer(c, source, x_ir, nd, pads):
    if nd == 1:
        spec = (0, 0, pads[0][0], pads[0][1])
    else:
        spec = (pads[0][0], pads[0][1], pads[1][0], pads[1][1])
    return c.add(f"ZeroPadding{nd}D", source, [x_ir], {"pads": spec})


def _geom(nd, kernel, strides):
    if nd == 1:
        return dict(kernel=(1, int(kernel[0])), strides=(1, int(strides[0])))
    return dict(kernel=tuple(int(k) for k in kernel), strides=tuple(int(s) for s in strides))


def _out_val(c, ir, rank):
    shape_cl = c.graph.tensors[ir].shape
    perm = channels_last(rank)
    logical = [1] * rank
    for i, p in enumerate(perm[1:]):
        logical[p] = shape_cl[i]
    logical = tuple(logical)
    return Val(ir, logical, perm_index(logical, perm))


@handler("Conv")
def conv(c, node, a):
    x = c.val(node)
    nd = x.rank - 2
    if nd not in (1, 2):
        raise OnnxConversionError(f"{c.desc(node)}: {nd}-D convolution is not supported; only 1-D and 2-D")
    if not c.is_const(node.input[1]):
        raise OnnxConversionError(f"{c.desc(node)}: the weight must be a constant")
    w = np.asarray(c.const(node, 1), dtype=np.float64)
    b = c.const(node, 2, required=False)
    kernel = list(a.get("kernel_shape", w.shape[2:]))
    strides, pads = _spatial(c, node, a, x, kernel)
    name = c.node_name(node)
    x_ir = c.channels_last(x, node)
    cin, cout, group = x.shape[1], w.shape[0], int(a.get("group", 1))
    mode = _padding_mode(x.shape[2:], kernel, strides, pads)
    if mode is None:
        if any(p < 0 for pr in pads for p in pr):
            raise OnnxConversionError(f"{c.desc(node)}: negative pads are not supported")
        x_ir = _pad_layer(c, f"{name}_pad", x_ir, nd, pads)
        mode = "valid"
    types = {}
    wt = c.const_types.get(node.input[1])
    if wt is not None:
        types["weight"] = str(wt)
    if b is not None and len(node.input) > 2 and c.const_types.get(node.input[2]) is not None:
        types["bias"] = str(c.const_types[node.input[2]])
    attrs = dict(padding=mode, **_geom(nd, kernel, strides))
    if types:
        attrs["types"] = types
    if group == 1:
        kind = f"Conv{nd}D"
        weight = w.transpose(2, 3, 1, 0) if nd == 2 else w.transpose(2, 1, 0)
    elif group == cin and w.shape[1] == 1 and cout % cin == 0:
        kind = f"DepthwiseConv{nd}D"
        attrs["depth_multiplier"] = cout // cin
        weight = w[:, 0].transpose(1, 2, 0) if nd == 2 else w[:, 0].transpose(1, 0)
    else:
        raise OnnxConversionError(f"{c.desc(node)}: group={group} is not supported; only 1 or the number of input "
                                  f"channels ({cin}, depthwise)")
    weights = {"weight": weight}
    if b is not None:
        weights["bias"] = np.asarray(b, dtype=np.float64).reshape(-1)
    ir = c.add(kind, name, [x_ir], attrs, weights)
    c.set(node, _out_val(c, ir, x.rank))


@handler("MaxPool", "AveragePool")
def pool(c, node, a):
    x = c.val(node)
    nd = x.rank - 2
    if nd not in (1, 2):
        raise OnnxConversionError(f"{c.desc(node)}: {nd}-D pooling is not supported; only 1-D and 2-D")
    if len([o for o in node.output if o]) > 1:
        raise OnnxConversionError(f"{c.desc(node)}: the Indices output is not supported")
    kernel = list(a["kernel_shape"])
    strides, pads = _spatial(c, node, a, x, kernel)
    name = c.node_name(node)
    x_ir = c.channels_last(x, node)
    if a.get("ceil_mode", 0):
        for n, k, s, p in zip(x.shape[2:], kernel, strides, pads):
            if (n + p[0] + p[1] - k) % s:
                raise OnnxConversionError(f"{c.desc(node)}: ceil_mode=1 changes the output size here; not supported")
    mode = _padding_mode(x.shape[2:], kernel, strides, pads)
    op = "max" if node.op_type == "MaxPool" else "average"
    if any(p < 0 for pr in pads for p in pr):
        raise OnnxConversionError(f"{c.desc(node)}: negative pads {pads} are not supported for {node.op_type}")
    attrs = {}
    if mode != "valid" and op == "average" and a.get("count_include_pad", 0):
        x_ir = _pad_layer(c, f"{name}_pad", x_ir, nd, pads)  # count_include_pad: the zeros count
        mode = "valid"
    elif mode is None:  # the pooling layer ignores padding positions: max as -inf padding, average over the valid
        attrs["pads"] = (0, 0) + tuple(pads[0]) if nd == 1 else tuple(pads[0]) + tuple(pads[1])
    g = _geom(nd, kernel, strides)
    attrs.update(op=op, pool=g["kernel"], strides=g["strides"], padding=mode or "explicit")
    ir = c.add(f"Pooling{nd}D", name, [x_ir], attrs)
    c.set(node, _out_val(c, ir, x.rank))


@handler("GlobalAveragePool", "GlobalMaxPool")
def global_pool(c, node, a):
    x = c.val(node)
    nd = x.rank - 2
    if nd not in (1, 2):
        raise OnnxConversionError(f"{c.desc(node)}: {nd}-D global pooling is not supported")
    op = "max" if node.op_type == "GlobalMaxPool" else "average"
    ir = c.add(f"GlobalPooling{nd}D", c.node_name(node), [c.channels_last(x, node)], dict(op=op, keepdims=False))
    ch = x.shape[1]
    c.set(node, Val(ir, (1, ch) + (1,) * nd, np.arange(ch, dtype=np.int64)))


@handler("ReduceMean", "ReduceMax")
def reduce_spatial(c, node, a):
    """Mean / max over the spatial axes (e.g. PyTorch's adaptive pooling to 1): global pooling."""
    x = c.val(node)
    r = x.rank
    axes = a.get("axes")
    if axes is None and len(node.input) > 1 and node.input[1]:
        axes = c.const(node, 1)
    axes = sorted({int(v) + r if int(v) < 0 else int(v) for v in np.asarray(axes).reshape(-1)}) \
        if axes is not None and np.asarray(axes).size else list(range(r))
    nd = r - 2
    others = [i for i in range(2, r) if i not in axes]
    if 0 in axes or 1 in axes or nd not in (1, 2) or any(x.shape[i] != 1 for i in others):
        raise OnnxConversionError(f"{c.desc(node)}: reducing axes {axes} of shape {x.shape} is not supported; only "
                                  "the spatial axes (global pooling)")
    op = "max" if node.op_type == "ReduceMax" else "average"
    ir = c.add(f"GlobalPooling{nd}D", c.node_name(node), [c.channels_last(x, node)], dict(op=op, keepdims=False))
    ch = x.shape[1]
    keep = int(a.get("keepdims", 1))
    shape = tuple(1 if (i in axes and keep) else d for i, d in enumerate(x.shape) if keep or i not in axes)
    c.set(node, Val(ir, shape, np.arange(ch, dtype=np.int64)))


@handler("Pad")
def pad(c, node, a):
    x = c.val(node)
    mode = _s(a.get("mode", "constant"))
    if mode != "constant":
        raise OnnxConversionError(f"{c.desc(node)}: mode={mode!r} is not supported; only 'constant'")
    r = x.rank
    if c.opset < 11:
        pads = list(a.get("pads", a.get("paddings", [])))
        value = float(a.get("value", 0.0))
    else:
        pads = [int(v) for v in np.asarray(c.const(node, 1)).reshape(-1)]
        v = c.const(node, 2, required=False)
        value = 0.0 if v is None or np.asarray(v).size == 0 else float(np.asarray(v).reshape(-1)[0])
        axes = c.const(node, 3, required=False)
        if axes is not None:
            axes = [int(v) + r if int(v) < 0 else int(v) for v in np.asarray(axes).reshape(-1)]
            full = [0] * (2 * r)
            for i, ax in enumerate(axes):
                full[ax], full[ax + r] = pads[i], pads[i + len(axes)]
            pads = full
    if value != 0.0:
        raise OnnxConversionError(f"{c.desc(node)}: constant value {value} is not supported; only 0")
    if any(pads[i] or pads[i + r] for i in (0, 1)):
        raise OnnxConversionError(f"{c.desc(node)}: padding the batch or channel axis is not supported")
    nd = r - 2
    if nd not in (1, 2):
        raise OnnxConversionError(f"{c.desc(node)}: padding a {r}-D tensor is not supported")
    sp = [(pads[i], pads[i + r]) for i in range(2, r)]
    x_ir = c.channels_last(x, node)
    flat = [p for pr in sp for p in pr]
    if all(p >= 0 for p in flat):
        ir = _pad_layer(c, c.node_name(node), x_ir, nd, sp)
    elif all(p <= 0 for p in flat):
        spec = (0, 0, -sp[0][0], -sp[0][1]) if nd == 1 else (-sp[0][0], -sp[0][1], -sp[1][0], -sp[1][1])
        ir = c.add(f"Cropping{nd}D", c.node_name(node), [x_ir], {"crops": spec})
    else:
        raise OnnxConversionError(f"{c.desc(node)}: mixed positive and negative pads are not supported")
    c.set(node, _out_val(c, ir, r))


# ---------------------------------------------------------------------- shape operators (no IR layers)
def _reshaped(c, node, x: Val, shape):
    shape = tuple(int(d) for d in shape)
    if int(np.prod(shape[1:], dtype=np.int64)) != x.size or shape[0] != 1:
        raise OnnxConversionError(f"{c.desc(node)}: reshaping {x.shape} to {shape} would mix the batch dimension "
                                  "with the features; the first dimension must stay the batch")
    c.set(node, Val(x.ir, shape, x.index))


@handler("Flatten")
def flatten(c, node, a):
    x = c.val(node)
    axis = int(a.get("axis", 1))
    axis = axis + x.rank if axis < 0 else axis
    if int(np.prod(x.shape[1:axis], dtype=np.int64)) != 1:
        raise OnnxConversionError(f"{c.desc(node)}: Flatten(axis={axis}) of {x.shape} would fold features into the "
                                  "batch dimension")
    _reshaped(c, node, x, (1, x.size))


@handler("Reshape")
def reshape(c, node, a):
    x = c.val(node)
    target = [int(v) for v in np.asarray(c.const(node, 1)).reshape(-1)]
    allowzero = int(a.get("allowzero", 0))
    out = []
    for i, d in enumerate(target):
        out.append(x.shape[i] if d == 0 and not allowzero else d)
    if out.count(-1) > 1:
        raise OnnxConversionError(f"{c.desc(node)}: more than one -1 in shape {target}")
    if -1 in out:
        known = int(np.prod([d for d in out if d != -1], dtype=np.int64))
        total = x.size  # batch is 1
        out[out.index(-1)] = total // known if known else 0
    _reshaped(c, node, x, out)


def _axes(c, node, a, r):
    axes = a.get("axes")
    if axes is None and len(node.input) > 1 and node.input[1]:
        axes = c.const(node, 1)
    if axes is None:
        return None
    return sorted(int(v) + r if int(v) < 0 else int(v) for v in np.asarray(axes).reshape(-1))


@handler("Squeeze")
def squeeze(c, node, a):
    x = c.val(node)
    axes = _axes(c, node, a, x.rank)
    if axes is None:
        axes = [i for i, d in enumerate(x.shape) if d == 1 and i > 0]
    if 0 in axes or any(x.shape[i] != 1 for i in axes):
        raise OnnxConversionError(f"{c.desc(node)}: cannot squeeze axes {axes} of {x.shape} (the batch axis, or a "
                                  "dimension that is not 1)")
    _reshaped(c, node, x, [d for i, d in enumerate(x.shape) if i not in axes])


@handler("Unsqueeze")
def unsqueeze(c, node, a):
    x = c.val(node)
    r = x.rank + len(_axes(c, node, a, 0) or [])
    axes = _axes(c, node, a, r)
    if not axes or 0 in axes:
        raise OnnxConversionError(f"{c.desc(node)}: unsqueezing axis 0 would move the batch dimension")
    shape = list(x.shape)
    for ax in axes:
        shape.insert(ax, 1)
    _reshaped(c, node, x, shape)


@handler("Transpose")
def transpose(c, node, a):
    x = c.val(node)
    perm = list(a.get("perm", list(range(x.rank))[::-1]))
    if perm[0] != 0:
        raise OnnxConversionError(f"{c.desc(node)}: perm={perm} moves the batch axis; not supported")
    shape = tuple(x.shape[p] for p in perm)
    c.set(node, Val(x.ir, shape, transpose_index(x, perm)))


@handler("Concat")
def concat(c, node, a):
    ins = [i for i in node.input if i]
    if any(i not in c.vals for i in ins):
        raise OnnxConversionError(f"{c.desc(node)}: concatenating constants with data is not supported")
    vals = [c.vals[i] for i in ins]
    r = vals[0].rank
    axis = int(a["axis"])
    axis = axis + r if axis < 0 else axis
    if axis == 0:
        raise OnnxConversionError(f"{c.desc(node)}: concatenation along the batch axis is not supported")
    name = c.node_name(node)
    out_shape = list(vals[0].shape)
    out_shape[axis] = sum(v.shape[axis] for v in vals)
    out_shape = tuple(out_shape)
    perm = find_perm(vals[0])
    if len(vals) == 1:
        c.set(node, vals[0])
        return
    if perm is not None and all(np.array_equal(v.index, perm_index(v.shape, perm)) for v in vals):
        ax = perm.index(axis) - 1
        irs = [c.view(v, permuted_shape(v.shape, perm), name) for v in vals]
        index = perm_index(out_shape, perm)
    elif r == 2:  # vectors in any order: concatenate them as stored
        ax = 0
        irs = [c.vector(v, node) for v in vals]
        offs = np.cumsum([0] + [v.size for v in vals])
        index = np.concatenate([v.index + o for v, o in zip(vals, offs)])
    else:
        raise OnnxConversionError(f"{c.desc(node)}: its inputs are stored in different axis orders; hlsgen has no "
                                  "transpose kernel")
    out = irs[0]
    for i, t in enumerate(irs[1:], start=1):
        out = c.add("Concatenate", name if i == len(irs) - 1 else f"{name}_{i}", [out, t], {"axis": ax})
    c.set(node, Val(out, out_shape, index))


@handler("Cast")
def cast(c, node, a):
    import onnx

    to = int(a.get("to", 0))
    if to not in (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16):
        raise OnnxConversionError(f"{c.desc(node)}: casting data to {onnx.TensorProto.DataType.Name(to)} is not "
                                  "supported; only float types")
    c.set(node, c.val(node))


from . import recurrent  # noqa: E402,F401  (registers hlsgen:Recurrent)
from . import resize  # noqa: E402,F401  (registers Resize)
from . import einsum  # noqa: E402,F401  (registers Einsum)

__all__ = ["_attrs"]
