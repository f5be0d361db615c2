"""``Resize`` in nearest mode by whole scale factors: the UpSampling1D/2D layers.

PyTorch exports ``nn.Upsample`` / ``nn.UpsamplingNearest2d`` / ``F.interpolate`` in
'nearest' mode as Resize(mode='nearest', coordinate_transformation_mode='asymmetric',
nearest_mode='floor'): output pixel o reads input pixel floor(o / scale), which for a
whole scale s is every input pixel repeated s times -- what UpSampling1D/2D computes.
Supported: 1-D and 2-D channels-first tensors, constant ``scales`` (or ``sizes``) that are
1 on the batch and channel axes and whole numbers >= 1 on the spatial ones, and the
coordinate modes that agree with that repeat for whole scales ('asymmetric' and
'tf_half_pixel_for_nn' with nearest_mode 'floor', 'half_pixel' and 'pytorch_half_pixel'
with 'round_prefer_floor' or 'round_prefer_ceil').  Other modes, fractional scales and downsampling are
refused naming the node.
"""
from __future__ import annotations

import numpy as np

from .frontend import OnnxConversionError, handler
from .ops import _out_val, _s

# coordinate_transformation_mode -> nearest_mode values under which a whole scale s repeats
# every input pixel s times
_REPEATING = {
    "asymmetric": ("floor",),  # floor(o / s)
    "tf_half_pixel_for_nn": ("floor",),  # floor((o + 0.5) / s)
    "half_pixel": ("round_prefer_ceil", "round_prefer_floor"),  # round((o + 0.5) / s - 0.5), never a tie
    "pytorch_half_pixel": ("round_prefer_ceil", "round_prefer_floor"),
}


def _scales(c, node, x):
    """Whole scale factors of the spatial axes, or an error naming the node."""
    r = x.rank
    scales = c.const(node, 2, required=False) if len(node.input) > 2 else None
    sizes = c.const(node, 3, required=False) if len(node.input) > 3 else None
    if scales is not None and np.asarray(scales).size:
        s = [float(v) for v in np.asarray(scales).reshape(-1)]
    elif sizes is not None and np.asarray(sizes).size:
        sz = [int(v) for v in np.asarray(sizes).reshape(-1)]
        if len(sz) != r:
            raise OnnxConversionError(f"{c.desc(node)}: sizes {sz} do not match the rank {r} of the input")
        s = [(sz[i] / x.shape[i]) if i else 1.0 for i in range(r)]
        if any(sz[i] % x.shape[i] for i in range(2, r)):
            raise OnnxConversionError(f"{c.desc(node)}: sizes {sz[2:]} are not whole multiples of the input's "
                                      f"spatial shape {list(x.shape[2:])}; only whole scale factors are supported")
    else:
        raise OnnxConversionError(f"{c.desc(node)}: constant scales or sizes are needed")
    if len(s) != r:
        raise OnnxConversionError(f"{c.desc(node)}: scales {s} do not match the rank {r} of the input")
    if s[1] != 1.0:
        raise OnnxConversionError(f"{c.desc(node)}: scaling the channel axis (scale {s[1]}) is not supported")
    sp = s[2:]
    if any(v < 1 or v != int(v) for v in sp):
        raise OnnxConversionError(f"{c.desc(node)}: scale factors {sp} are not supported; only whole numbers >= 1 "
                                  "(nearest upsampling that repeats every pixel)")
    return [int(v) for v in sp]


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
    if nearest not in _REPEATING.get(ctm, ()):
        raise OnnxConversionError(f"{c.desc(node)}: coordinate_transformation_mode={ctm!r} with "
                                  f"nearest_mode={nearest!r} is not supported (only the modes under which a whole "
                                  "scale repeats every pixel, e.g. 'asymmetric' with 'floor', PyTorch's nearest)")
    sp = _scales(c, node, x)
    size = (1, sp[0]) if nd == 1 else (sp[0], sp[1])
    ir = c.add(f"UpSampling{nd}D", c.node_name(node), [c.channels_last(x, node)], {"size": size})
    c.set(node, _out_val(c, ir, x.rank))
