"""ONNX / QONNX frontend: ONNX models (PyTorch exports, Keras-to-ONNX, QONNX) -> IR graph.

    from hlsgen.converters.onnx import parse_onnx_model
    graph = parse_onnx_model("model.onnx")       # or a ModelProto, or bytes

Layout: ONNX is channels-first, hlsgen channels-last; the frontend tracks how each
tensor is stored and never moves data (see :mod:`.layout`).  Consequences a user sees:
a graph input that feeds a convolution is stored channels-last, so ``predict`` takes it
as (N, H, W, C) (or (N, W, C) in 1-D) — ``graph.onnx_io['inputs']`` gives the axis order
of every input and output, and :func:`to_hls_layout` / :func:`from_hls_layout` convert
arrays.  Supported default-domain opsets: ``MIN_OPSET`` .. ``MAX_OPSET``.
"""
from __future__ import annotations

from ..io_layout import permute
from .frontend import HANDLERS, parse_onnx_model
from .loader import MAX_OPSET, MIN_OPSET, OnnxConversionError, load_onnx_model
from .quant import QONNX_DOMAINS


def to_hls_layout(graph_or_model, X, input_name=None):
    """ONNX-layout input array (batch first, e.g. NCHW) -> the order the HLS model takes."""
    return permute(graph_or_model, "onnx_io", "ONNX", "inputs", input_name, X)


def from_hls_layout(graph_or_model, Y, output_name=None):
    """An HLS model output (batch first, stored order) -> the ONNX layout, given its ONNX shape
    is the stored shape permuted back."""
    return permute(graph_or_model, "onnx_io", "ONNX", "outputs", output_name, Y, inverse=True)


def supported_ops() -> list:
    from . import ops  # noqa: F401

    return sorted(k for k in HANDLERS if not k.startswith("q:")) + ["Quant", "BipolarQuant", "Trunc"]


__all__ = ["MAX_OPSET", "MIN_OPSET", "OnnxConversionError", "QONNX_DOMAINS", "from_hls_layout", "load_onnx_model",
           "parse_onnx_model", "supported_ops", "to_hls_layout"]
