"""Loading and validating ONNX models.  Everything here runs before any IR exists, so
every problem is reported before anything is written."""
from __future__ import annotations

import os

import numpy as np

from .quant import QONNX_DOMAINS, QUANT_OPS

MIN_OPSET = 7
# Handlers follow the operator semantics up to this default-domain opset: the handled operators
# revised in opsets 23-28 (Cast, Einsum, Flatten, Identity, Pad, Reshape, Squeeze, Transpose,
# Unsqueeze) only gained element types (float4e2m1, float8e8m0, int2/uint2, float6, bfloat16),
# and Cast-24's round_mode concerns float8e8m0 only; hlsgen reads float tensors
# (tests/test_onnx.py checks this against onnx's operator schemas).
MAX_OPSET = 28

class OnnxConversionError(ValueError):
    """The ONNX model cannot be converted (the message names the node or input)."""


def _onnx():
    try:
        import onnx
    except ImportError as e:  # pragma: no cover - onnx is a dependency of the ONNX frontend
        raise OnnxConversionError("the ONNX frontend needs the 'onnx' package (pip install onnx)") from e
    return onnx


def load_onnx_model(model_or_path):
    """A ``ModelProto`` from a path, bytes, a ``ModelProto`` or a qonnx ``ModelWrapper`` (its
    ``.model``); clear errors for anything else."""
    onnx = _onnx()
    if isinstance(model_or_path, onnx.ModelProto):
        return model_or_path
    inner = getattr(model_or_path, "model", None)  # a qonnx ModelWrapper holds its ModelProto as .model
    if isinstance(inner, onnx.ModelProto):
        return inner
    if isinstance(model_or_path, (bytes, bytearray)):
        data, where = bytes(model_or_path), "the given bytes"
    elif isinstance(model_or_path, (str, os.PathLike)):
        path = os.fspath(model_or_path)
        if not os.path.exists(path):
            raise FileNotFoundError(f"ONNX model file {path!r} does not exist")
        if os.path.isdir(path):
            raise OnnxConversionError(f"{path!r} is a directory, not an ONNX model file")
        with open(path, "rb") as f:
            data = f.read()
        where = repr(path)
    else:
        raise TypeError(f"expected an onnx.ModelProto, a qonnx ModelWrapper or a path to an .onnx file, got "
                        f"{type(model_or_path).__name__}")
    if not data:
        raise OnnxConversionError(f"{where} is empty, not an ONNX model")
    try:
        model = onnx.load_model_from_string(data)
    except Exception as e:  # noqa: BLE001 - protobuf raises several kinds
        raise OnnxConversionError(f"{where} is not a valid ONNX model (cannot be parsed: {e})") from None
    if not model.HasField("graph") or not model.graph.node:
        raise OnnxConversionError(f"{where} is not a valid ONNX model (no graph or no nodes)")
    return model


def default_opset(model) -> int:
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            return int(o.version)
    raise OnnxConversionError("the ONNX model imports no default-domain opset (opset_import has no '' entry)")


def _ir4_if_initializers_are_not_inputs(model):
    """IR versions below 4 require every initializer to be a graph input too; tools (e.g.
    qonnx's cleanup) leave IR 3 models without those inputs, which mean the same as in IR 4.
    Such a model is read as IR 4 (a copy; the caller's model is not changed)."""
    if model.ir_version >= 4:
        return model
    inputs = {i.name for i in model.graph.input}
    if all(init.name in inputs for init in model.graph.initializer):
        return model
    fixed = type(model)()
    fixed.CopyFrom(model)
    fixed.ir_version = 4
    return fixed


def check_model(model):
    """onnx.checker, the opset range, and shape inference (which must succeed)."""
    onnx = _onnx()
    model = _ir4_if_initializers_are_not_inputs(model)
    opset = default_opset(model)
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise OnnxConversionError(f"the model uses ONNX opset {opset}; hlsgen supports opsets {MIN_OPSET} to "
                                  f"{MAX_OPSET} (re-export it, e.g. torch.onnx.export(..., opset_version=17))")
    try:
        onnx.checker.check_model(model)
    except Exception as e:  # noqa: BLE001 - ValidationError and friends
        raise OnnxConversionError(f"the ONNX model is malformed (onnx.checker): {str(e).strip()[:800]}") from None
    custom = any(n.domain not in ("", "ai.onnx") for n in model.graph.node)
    try:
        inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=not custom)
    except Exception as e:  # noqa: BLE001
        raise OnnxConversionError(f"ONNX shape inference fails on the model: {str(e).strip()[:800]}") from None
    return opset, inferred


def _dims(vi):
    t = vi.type
    if not t.HasField("tensor_type"):
        return None, None
    tt = t.tensor_type
    if not tt.HasField("shape"):
        return tt.elem_type, None
    return tt.elem_type, [(d.dim_value if d.HasField("dim_value") else None,
                           d.dim_param if d.HasField("dim_param") else None) for d in tt.shape.dim]


def graph_inputs(model):
    """[(name, logical shape with batch 1)] of the real inputs (not initializers)."""
    onnx = _onnx()
    floats = {onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16}
    # integer inputs are indices (an Embedding's Gather); predict takes their values as numbers
    ints = {onnx.TensorProto.INT64, onnx.TensorProto.INT32, onnx.TensorProto.INT16, onnx.TensorProto.INT8,
            onnx.TensorProto.UINT8, onnx.TensorProto.UINT16}
    inits = {i.name for i in model.graph.initializer}
    out = []
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        elem, dims = _dims(vi)
        if elem is None:
            raise OnnxConversionError(f"input {vi.name!r} is not a tensor")
        if elem not in floats | ints:
            raise OnnxConversionError(f"input {vi.name!r} has element type "
                                      f"{onnx.TensorProto.DataType.Name(elem)}; hlsgen needs float inputs "
                                      "(or integer indices)")
        if dims is None:
            raise OnnxConversionError(f"input {vi.name!r} has no shape (dynamic rank); hlsgen needs fixed shapes "
                                      "except the batch dimension")
        if len(dims) < 2:
            raise OnnxConversionError(f"input {vi.name!r} has shape of rank {len(dims)}; hlsgen needs a batch "
                                      "dimension followed by at least one feature dimension")
        shape = [1]
        b, bp = dims[0]
        if b not in (None, 0, 1):
            raise OnnxConversionError(f"input {vi.name!r} has a fixed batch dimension of {b}; hlsgen needs the "
                                      "batch dimension symbolic or 1 (export with a dynamic batch or batch size 1)")
        for i, (v, p) in enumerate(dims[1:], start=1):
            if not v:
                what = f"symbolic ({p!r})" if p else "unknown"
                raise OnnxConversionError(f"input {vi.name!r}: dimension {i} is {what}; hlsgen needs fixed shapes "
                                          "except the batch dimension (dimension 0)")
            shape.append(int(v))
        out.append((vi.name, tuple(shape)))
    if not out:
        raise OnnxConversionError("the ONNX graph has no inputs")
    return out


def is_quant_node(node) -> bool:
    return node.op_type in QUANT_OPS and node.domain in QONNX_DOMAINS


def constant_names(model, data_inputs) -> set:
    """Names of the tensors that depend on initializers and Constant nodes only (plus
    Shape of data tensors, whose shapes are fixed)."""
    const = {i.name for i in model.graph.initializer} - set(data_inputs)
    for node in model.graph.node:
        ins = [i for i in node.input if i]
        if node.op_type in ("Constant",) or node.op_type == "Shape" or all(i in const for i in ins):
            if node.op_type == "Shape" or ins or node.op_type == "Constant":
                const.update(o for o in node.output if o)
    return const


def to_numpy(tensor) -> np.ndarray:
    from onnx import numpy_helper

    return np.asarray(numpy_helper.to_array(tensor))
