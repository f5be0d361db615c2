"""Data-movement layers: ZeroPadding1D/2D, Cropping1D/2D, UpSampling1D/2D (nearest).

Attributes: ``pads`` / ``crops`` (top, bottom, left, right) — 1-D layers use only
left/right —, ``size`` (SH, SW) for upsampling (SH = 1 in 1-D; or ``rows`` / ``cols``, the source index of
every output row / column: nearest upsampling by any factor), ``stride`` (SH, SW) for zero
padding (default (1, 1)): SH - 1 zero rows and SW - 1 zero columns between input pixels, the
input of a transposed convolution (``converters/keras/conv.py``).
Precision: only ``result``; 'auto' is the input type (the values are copied, so the
layer is exact).  C++: ``nnet_shape.h``.
"""
from __future__ import annotations

import numpy as np

from .base import Layer, register
from .conv import as_2d


class _Shape(Layer):
    rounds_once = True  # values are moved (or zeros inserted), then one cast
    cpp_headers = ("nnet_array.h", "nnet_shape.h")
    ndim = 2
    fn = ""
    cpp_config_tpl = """struct {{ config }} : nnet::shape_config {
    static const unsigned in_height = {{ g.in_height }}, in_width = {{ g.in_width }}, n_chan = {{ g.n_chan }};
    static const unsigned out_height = {{ g.out_height }}, out_width = {{ g.out_width }};
    static const unsigned top = {{ g.top }}, left = {{ g.left }};
    static const unsigned size_height = {{ g.size_height }}, size_width = {{ g.size_width }};
};"""
    cpp_call_tpl = "nnet::{{ fn }}_cl<{{ in_t[0] }}, {{ t.result }}, {{ config }}>({{ ins[0] }}, {{ out }});"
    cpp_stream_call_tpl = (
        "nnet::{{ fn }}_stream<{{ in_stream_t[0] }}, {{ out_stream_t }}, {{ config }}>({{ ins[0] }}, {{ out }});"
    )

    def _hw(self, in_shape):
        raise NotImplementedError

    def geometry(self, in_shape):
        h, w, c = as_2d(in_shape)
        g = dict(in_height=h, in_width=w, n_chan=c, top=0, left=0, size_height=1, size_width=1)
        g.update(self._hw(h, w))
        return g

    def output_shape(self, in_shapes):
        shape = tuple(in_shapes[0])
        if len(shape) != self.ndim + 1:
            raise ValueError(f"{self.kind} layer {self.source_name!r} expects a {self.ndim + 1}-D input, got {shape}")
        g = self.geometry(shape)
        if g["out_height"] < 1 or g["out_width"] < 1:
            raise ValueError(f"{self.kind} layer {self.source_name!r}: nothing left of input {shape}")
        if self.ndim == 1:
            return (g["out_width"], g["n_chan"])
        return (g["out_height"], g["out_width"], g["n_chan"])

    def infer_types(self, in_types, ctx):
        self.types["result"] = self.configured("result") or in_types[0]

    def golden(self, xs):
        x = xs[0]
        g = self.geometry(x.shape[1:])
        x4 = x.reshape((x.shape[0], g["in_height"], g["in_width"], g["n_chan"]))
        y = self._move(x4, g)
        return self.types["result"].quantize(y).reshape((x.shape[0],) + self.output_shape([x.shape[1:]]))

    def cpp_context(self, graph):
        return dict(g=self.geometry(graph.input_shapes(self)[0]), fn=self.fn)


class _Pad(_Shape):
    fn = "zeropad_2d"

    def _stride(self):
        sh, sw = self.attrs.get("stride", (1, 1))
        return int(sh), int(sw)

    def _hw(self, h, w):
        t, b, l, r = self.attrs["pads"]
        sh, sw = self._stride()
        return dict(out_height=(h - 1) * sh + 1 + t + b, out_width=(w - 1) * sw + 1 + l + r, top=t, left=l,
                    size_height=sh, size_width=sw)

    def _move(self, x, g):
        t, b, l, r = self.attrs["pads"]
        sh, sw = self._stride()
        d = np.zeros((x.shape[0], (x.shape[1] - 1) * sh + 1, (x.shape[2] - 1) * sw + 1, x.shape[3]))
        d[:, ::sh, ::sw, :] = x
        return np.pad(d, ((0, 0), (t, b), (l, r), (0, 0)))


class _Crop(_Shape):
    fn = "cropping_2d"

    def _hw(self, h, w):
        t, b, l, r = self.attrs["crops"]
        return dict(out_height=h - t - b, out_width=w - l - r, top=t, left=l)

    def _move(self, x, g):
        return x[:, g["top"] : g["top"] + g["out_height"], g["left"] : g["left"] + g["out_width"], :]


class _Up(_Shape):
    """Nearest upsampling: output pixel (oh, ow) is input pixel (src_row(oh), src_col(ow)):
    oh / SH and ow / SW for whole factors ``size``; with ``rows`` / ``cols`` (the source
    index of every output row / column, e.g. PyTorch's fractional scale factors) those
    lists instead (io_stream then through the generic adapter)."""

    fn = "upsampling_2d"
    cpp_config_tpl = _Shape.cpp_config_tpl.replace("\n};", """
{%- if g.tables %}
    static unsigned src_row(unsigned o) {
        static const unsigned t[out_height] = { {{- g.rows | join(', ') -}} };
        return t[o];
    }
    static unsigned src_col(unsigned o) {
        static const unsigned t[out_width] = { {{- g.cols | join(', ') -}} };
        return t[o];
    }
{%- else %}
    static unsigned src_row(unsigned o) { return o / size_height; }
    static unsigned src_col(unsigned o) { return o / size_width; }
{%- endif %}
};""")

    @property
    def cpp_stream_call_tpl(self):
        return "" if self._tables() else _Shape.cpp_stream_call_tpl

    def _tables(self):
        return "rows" in self.attrs or "cols" in self.attrs

    def _index(self, h, w):
        """(source row of every output row, source column of every output column)."""
        sh, sw = (int(v) for v in self.attrs.get("size", (1, 1)))
        rows = [int(v) for v in self.attrs["rows"]] if "rows" in self.attrs else [o // sh for o in range(h * sh)]
        cols = [int(v) for v in self.attrs["cols"]] if "cols" in self.attrs else [o // sw for o in range(w * sw)]
        for what, t, n in (("rows", rows, h), ("cols", cols, w)):
            if not t or any(not 0 <= v < n for v in t):
                raise ValueError(f"{self.kind} layer {self.source_name!r}: {what} {t} must be source indices in "
                                 f"[0, {n})")
        return rows, cols

    def _hw(self, h, w):
        sh, sw = self.attrs.get("size", (1, 1))
        rows, cols = self._index(h, w)
        return dict(out_height=len(rows), out_width=len(cols), size_height=sh, size_width=sw)

    def _move(self, x, g):
        rows, cols = self._index(x.shape[1], x.shape[2])
        return x[:, rows][:, :, cols]

    def cpp_context(self, graph):
        ctx = super().cpp_context(graph)
        ctx["g"]["rows"], ctx["g"]["cols"] = self._index(ctx["g"]["in_height"], ctx["g"]["in_width"])
        ctx["g"]["tables"] = self._tables()
        return ctx


@register
class ZeroPadding2D(_Pad):
    kind = "ZeroPadding2D"


@register
class ZeroPadding1D(_Pad):
    kind = "ZeroPadding1D"
    ndim = 1


@register
class Cropping2D(_Crop):
    kind = "Cropping2D"


@register
class Cropping1D(_Crop):
    kind = "Cropping1D"
    ndim = 1


@register
class UpSampling2D(_Up):
    kind = "UpSampling2D"


@register
class UpSampling1D(_Up):
    kind = "UpSampling1D"
    ndim = 1
