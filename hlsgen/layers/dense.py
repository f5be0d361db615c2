"""Dense (fully connected) layer: y = act(x @ W + b).

C++: ``nnet::dense`` in ``nnet_dense.h``.  The accumulator starts at the bias and adds
the products in ascending input order (the same order in both strategies), then
the optional fused activation (``linear`` or ``relu``) is applied to the
accumulator and the result is cast to the result type.
"""
from __future__ import annotations

import numpy as np

from ..fixed import FixedType, bits_for_range
from .base import Layer, register
from .exactness import running_sum
from .plan import dense_plan

WEIGHT_MODES = dict(rounding="RND_CONV", saturation="SAT")
#: integer bits added to 'auto' weight and bias types when weights are reprogrammable
#: (x4 the range of the initial weights); set the precisions to fit other weights exactly
REPROGRAMMABLE_HEADROOM_BITS = 2


def weight_type(values: np.ndarray, width: int) -> FixedType:
    """A ``width``-bit type whose integer bits just hold ``values`` (rounded to nearest)."""
    v = np.asarray(values, dtype=np.float64)
    lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 0.0)
    if lo == hi == 0.0:  # all zero: any type holds them; keep the product grid small
        return FixedType(width, 1, True, **WEIGHT_MODES)
    i = bits_for_range(min(lo, 0.0), max(hi, 0.0), signed=True)
    t = FixedType(width, i, True, **WEIGHT_MODES)
    # rounding up to the next power of two may need one more integer bit
    if v.size and (np.abs(t.quantize(v) - v) > t.lsb).any():
        t = FixedType(width, i + 1, True, **WEIGHT_MODES)
    return t


def exact_sum_type(lo: float, hi: float, frac: int) -> FixedType:
    """A wrapping type with ``frac`` fractional bits that holds every sum in [lo, hi] exactly."""
    i = bits_for_range(min(lo, 0.0), max(hi, 0.0), signed=True)
    return FixedType(max(i + frac, 1), i, True)


def matmul_range(x_type: FixedType, w: np.ndarray, b: np.ndarray | None):
    """Bounds of x @ w + b over every x in x_type's range, per output column."""
    lo_x, hi_x = x_type.min_value, x_type.max_value
    hi = np.maximum(w * hi_x, w * lo_x).sum(axis=0)
    lo = np.minimum(w * hi_x, w * lo_x).sum(axis=0)
    if b is not None:
        hi, lo = hi + b, lo + b
    return float(lo.min()), float(hi.max())


def linear_types(layer, x_t: FixedType, w_matrix: np.ndarray, bias: np.ndarray, ctx, wkey: str = "weight"):
    """(weight, bias, accumulator) types of a layer whose every output is bias + a sum of
    input x weight products: configured ones as given, 'auto' ones chosen here.

    ``w_matrix`` is (taps, outputs): column j holds the weights output j sums over.  The
    accumulator is exact for every input in x_t's range: bounded by the actual weights,
    or by the weight types when weights may be replaced at run time.
    """
    # weights that can be replaced at run time get headroom above the initial ones
    headroom = 0 if ctx.weights_fixed else REPROGRAMMABLE_HEADROOM_BITS
    wt = layer.configured(wkey)
    if wt is None:
        wt = weight_type(w_matrix, ctx.data_width)
        if headroom:
            wt = FixedType(wt.width, wt.integer + headroom, True, **WEIGHT_MODES)
    prod_frac = x_t.fractional + wt.fractional
    bt = layer.configured("bias")
    if bt is None:
        i = bits_for_range(min(bias.min(initial=0), 0.0), max(bias.max(initial=0), 0.0), signed=True)
        if headroom:  # zero biases still get a usable range
            i = max(i, wt.integer) + headroom
        i = max(i, 1 - prod_frac)  # at least one bit, on the product grid (all-zero biases)
        bt = FixedType(i + prod_frac, i, True, **WEIGHT_MODES)
    at = layer.configured("accum")
    if at is None:
        if ctx.weights_fixed:
            lo, hi = matmul_range(x_t, wt.quantize(w_matrix), bt.quantize(bias))
        else:
            big = lambda t: max(abs(t.min_value), abs(t.max_value))  # noqa: E731
            m = big(x_t) * big(wt) * w_matrix.shape[0] + big(bt)
            lo, hi = -m, m
        at = exact_sum_type(lo, hi, max(prod_frac, bt.fractional))
    return wt, bt, at


def result_type(layer, accum: FixedType, ctx) -> FixedType:
    """The result type: configured, else the exact accumulator when the model asks for it
    (``attrs['result_exact']``, set by the QKeras frontend), else the context default."""
    return layer.configured("result") or (accum if layer.attrs.get("result_exact") else ctx.default)


def accumulate(x: np.ndarray, w: np.ndarray, b: np.ndarray, acc_t: FixedType, prod_frac: int) -> np.ndarray:
    """Bit-exact model of ``acc = bias; for i: acc += x[i] * w[i]`` in ``acc_t``."""
    b_q = acc_t.quantize(b)
    bound = np.abs(x).max(initial=0) * np.abs(w).sum(axis=0).max(initial=0) + np.abs(b_q).max(initial=0)
    return running_sum(acc_t, np.broadcast_to(b_q, (x.shape[0], w.shape[1])),
                       lambda: (x[:, i : i + 1] * w[i] for i in range(w.shape[0])),
                       term_frac=prod_frac, bound=bound, total=lambda: x @ w)


@register
class Dense(Layer):
    kind = "Dense"
    folds_affine = fuses_relu = rounds_once = True
    precision_keys = ("result", "weight", "bias", "accum")
    weight_vars = {"weight": "w", "bias": "b"}
    cpp_headers = ("nnet_dense.h",)
    cpp_config_tpl = """struct {{ config }} : nnet::dense_config {
    static const unsigned n_in = {{ n_in }};
    static const unsigned n_out = {{ n_out }};
    static const unsigned reuse_factor = {{ reuse_factor }};
    static const unsigned strategy = nnet::{{ strategy }};
    static const unsigned activation = nnet::act_{{ activation }};
{{ plan.cpp_constants() }}
    typedef {{ t.accum }} accum_t;
    typedef {{ t.weight }} weight_t;
    typedef {{ t.bias }} bias_t;
};"""
    cpp_call_tpl = (
        "nnet::dense<{{ in_t[0] }}, {{ t.result }}, {{ config }}>"
        "({{ ins[0] }}, {{ out }}, {{ w.weight }}, {{ w.bias }});"
    )
    cpp_batch_call_tpl = (
        "nnet::dense_batch<{{ in_t[0] }}, {{ t.result }}, {{ config }}>"
        "({{ ins[0] }}, {{ out }}, {{ w.weight }}, {{ w.bias }}, {{ n }});"
    )

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.attrs.setdefault("activation", "linear")
        n_in, n_out = self.weights["weight"].shape
        if "bias" not in self.weights:
            self.weights["bias"] = np.zeros(n_out)

    def output_shape(self, in_shapes):
        shape = tuple(in_shapes[0])
        n_in, n_out = self.weights["weight"].shape
        if shape[-1] != n_in:
            raise ValueError(f"Dense layer {self.source_name!r}: input has {shape[-1]} features, kernel expects {n_in}")
        if len(shape) != 1:
            raise ValueError(
                f"Dense layer {self.source_name!r} on a {len(shape)}-D input {shape} is not supported; "
                "add a Flatten before it"
            )
        return (n_out,)

    def infer_types(self, in_types, ctx):
        wt, bt, at = linear_types(self, in_types[0], self.weights["weight"], self.weights["bias"], ctx)
        self.types.update(weight=wt, bias=bt, accum=at, result=result_type(self, at, ctx))

    def golden(self, xs):
        x = xs[0]
        w = self.types["weight"].quantize(self.weights["weight"])
        b = self.types["bias"].quantize(self.weights["bias"])
        prod_frac = self.types["weight"].fractional + self.in_types[0].fractional
        acc = accumulate(x, w, b, self.types["accum"], prod_frac)
        if self.attrs["activation"] == "relu":
            acc = np.maximum(acc, 0.0)
        return self.types["result"].quantize(acc)

    def plan(self, graph, io_type="io_parallel"):
        n_in, n_out = self.weights["weight"].shape
        return dense_plan(n_in, n_out, self.cfg.reuse_factor, self.cfg.strategy)

    def cpp_context(self, graph):
        n_in, n_out = self.weights["weight"].shape
        return dict(
            n_in=n_in,
            n_out=n_out,
            reuse_factor=self.cfg.reuse_factor,
            strategy=self.cfg.strategy.lower(),
            activation=self.attrs["activation"],
        )

