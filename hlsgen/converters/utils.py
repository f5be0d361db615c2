"""Convolution geometry helpers under hls4ml's module path (``hls4ml.converters.utils``).

Both read :func:`hlsgen.layers.conv.conv_geometry`, the one rule the frontends and the
generated code use, so a caller computing shapes by hand gets the numbers hlsgen writes.
"""

from __future__ import annotations

from ..layers.conv import conv_geometry

PADDINGS = ("valid", "same")


def _axis(padding, n, stride, k, what):
    pad = str(padding).lower()
    if pad not in PADDINGS:
        raise ValueError(f"{what}: padding {padding!r} is not one of {', '.join(PADDINGS)}")
    for name, value in (("input size", n), ("stride", stride), ("filter size", k)):
        if int(value) != value or value < 1:
            raise ValueError(f"{what}: {name} must be a positive integer, got {value!r}")
    return conv_geometry(int(n), int(k), int(stride), pad)


def compute_padding_1d(pad_type, in_size, stride, filt_size):
    """(out_width, pad_left, pad_right) of a 1-D convolution or pooling window."""
    return _axis(pad_type, in_size, stride, filt_size, "compute_padding_1d")


def compute_padding_2d(pad_type, in_height, in_width, stride_height, stride_width, filt_height, filt_width):
    """(out_height, out_width, pad_top, pad_bottom, pad_left, pad_right) of a 2-D window."""
    out_h, top, bottom = _axis(pad_type, in_height, stride_height, filt_height, "compute_padding_2d")
    out_w, left, right = _axis(pad_type, in_width, stride_width, filt_width, "compute_padding_2d")
    return out_h, out_w, top, bottom, left, right
