"""``Resize`` in nearest mode: the UpSampling1D/2D layers.

PyTorch exports ``nn.Upsample`` / ``nn.UpsamplingNearest2d`` / ``F.interpolate`` in
'nearest' mode as Resize(mode='nearest', coordinate_transformation_mode='asymmetric',
nearest_mode='floor'): output pixel o reads input pixel floor(o / scale).  Here every
output row and column gets its source index by the operator's definition (each
coordinate_transformation_mode and nearest_mode, clamped to the input), computed once at
conversion: when that is every input pixel repeated a whole number of times the layer
has ``size`` (the whole factors), otherwise the index tables ``rows`` / ``cols``
(fractional factors such as 2.4, downsampling).  Supported: 1-D and 2-D channels-first
tensors, constant ``scales`` (or ``sizes``) that are 1 on the batch and channel axes.
Other modes (linear, cubic) and ``roi`` (tf_crop_and_resize) are refused naming the node.

PyTorch's own nearest mode (the export's 'asymmetric' / 'floor') is not computed as the
ONNX definition (o / scale in float64): it multiplies o by the float32 1 / scale_factor
(or input / output size), so at a fractional factor some indices differ (factor 2.4,
o = 12: PyTorch reads 5, the ONNX definition 4).  For the PyTorch frontend's exports
(``Converter.pytorch``) the indices are PyTorch's.
"""
from __future__ import annotations

import math

import numpy as np

from .frontend import OnnxConversionError, handler
from .ops import _out_val, _s

MODES = ("half_pixel", "pytorch_half_pixel", "asymmetric", "tf_half_pixel_for_nn", "align_corners", "half_pixel_symmetric")
NEAREST = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")


def _out_sizes(c, node, x):
    """(scale, output size, PyTorch's float32 inverse scale) of each spatial axis, from the
    constant scales or sizes."""
    r = x.rank
    scales = c.const(node, 2, required=False) if len(node.input) > 2 else None
    sizes = c.const(node, 3, required=False) if len(node.input) > 3 else None
    if scales is not None and np.asarray(scales).size:
        s = [float(v) for v in np.asarray(scales, dtype=np.float32).reshape(-1)]
        if len(s) != r:
            raise OnnxConversionError(f"{c.desc(node)}: scales {s} do not match the rank {r} of the input")
        n = [int(math.floor(x.shape[i] * s[i])) for i in range(r)]
        inv = [np.float32(1.0 / v) if v else np.float32(0) for v in s]
    elif sizes is not None and np.asarray(sizes).size:
        n = [int(v) for v in np.asarray(sizes).reshape(-1)]
        if len(n) != r:
            raise OnnxConversionError(f"{c.desc(node)}: sizes {n} do not match the rank {r} of the input")
        s = [n[i] / x.shape[i] for i in range(r)]
        inv = [np.float32(x.shape[i] / n[i]) if n[i] else np.float32(0) for i in range(r)]
    else:
        raise OnnxConversionError(f"{c.desc(node)}: constant scales or sizes are needed")
    if n[0] != x.shape[0] or n[1] != x.shape[1]:
        raise OnnxConversionError(f"{c.desc(node)}: resizing the batch or channel axis is not supported")
    if any(v < 1 for v in n[2:]):
        raise OnnxConversionError(f"{c.desc(node)}: output size {n[2:]} is empty")
    return list(zip(s[2:], n[2:], inv[2:]))


def source_index(ctm, nearest, n_in, n_out, scale, torch_inv=None) -> list:
    """The input index every output index reads (ONNX Resize, mode 'nearest'; with
    ``torch_inv``, PyTorch's float32 inverse scale, PyTorch's nearest: floor(o * inv))."""
    out = []
    for o in range(n_out):
        if torch_inv is not None:
            x = float(np.float32(o) * torch_inv)
        elif ctm == "asymmetric":
            x = o / scale
        elif ctm == "tf_half_pixel_for_nn":
            x = (o + 0.5) / scale
        elif ctm == "align_corners":
            x = o * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        elif ctm == "pytorch_half_pixel":
            x = (o + 0.5) / scale - 0.5 if n_out > 1 else 0.0
        elif ctm == "half_pixel_symmetric":
            adj = n_out / (scale * n_in)
            x = n_in / 2 * (1 - adj) + (o + 0.5) / scale - 0.5
        else:  # half_pixel
            x = (o + 0.5) / scale - 0.5
        if nearest == "floor":
            i = math.floor(x)
        elif nearest == "ceil":
            i = math.ceil(x)
        elif x - math.floor(x) == 0.5:
            i = math.floor(x) if nearest == "round_prefer_floor" else math.ceil(x)
        else:
            i = math.floor(x + 0.5)
        out.append(min(max(int(i), 0), n_in - 1))
    return out


@handler("Resize")
def resize(c, node, a):
    x = c.val(node)
    nd = x.rank - 2
    if nd not in (1, 2):
        raise OnnxConversionError(f"{c.desc(node)}: resizing a {x.rank}-D tensor is not supported; only 1-D and "
                                  "2-D channels-first ones (N, C, W) and (N, C, H, W)")
    mode = _s(a.get("mode", "nearest"))
    if mode != "nearest":
        raise OnnxConversionError(f"{c.desc(node)}: mode={mode!r} is not supported; only 'nearest'")
    ctm = _s(a.get("coordinate_transformation_mode", "half_pixel"))
    nearest = _s(a.get("nearest_mode", "round_prefer_floor"))
    if ctm not in MODES or nearest not in NEAREST:
        raise OnnxConversionError(f"{c.desc(node)}: coordinate_transformation_mode={ctm!r} with "
                                  f"nearest_mode={nearest!r} is not supported")
    if a.get("axes") is not None or int(a.get("antialias", 0)) or _s(a.get("keep_aspect_ratio_policy", "stretch")) != "stretch":
        raise OnnxConversionError(f"{c.desc(node)}: the axes, antialias and keep_aspect_ratio_policy attributes are "
                                  "not supported")
    as_torch = getattr(c, "pytorch", False) and ctm == "asymmetric" and nearest == "floor"
    tables = [source_index(ctm, nearest, int(n_in), n, s, inv if as_torch else None)
              for (s, n, inv), n_in in zip(_out_sizes(c, node, x), x.shape[2:])]
    if nd == 1:
        tables = [[0]] + tables
    h, w = (1, int(x.shape[2])) if nd == 1 else (int(x.shape[2]), int(x.shape[3]))
    attrs = {}
    size = []
    for t, n_in in zip(tables, (h, w)):
        f = len(t) // n_in
        size.append(f if len(t) == f * n_in and t == [o // f for o in range(len(t))] else None)
    if None in size:
        attrs = {"size": (1, 1), "rows": tables[0], "cols": tables[1]}
    else:
        attrs = {"size": tuple(size)}
    ir = c.add(f"UpSampling{nd}D", c.node_name(node), [c.channels_last(x, node)], attrs)
    c.set(node, _out_val(c, ir, x.rank))
