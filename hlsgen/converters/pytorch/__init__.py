"""PyTorch frontend: ``torch.nn.Module`` -> IR graph, through the ONNX frontend.

    from hlsgen.converters.pytorch import parse_pytorch_model
    graph = parse_pytorch_model(model, input_shape=(3, 32, 32))

Steps, all before anything is written:

1. every module of a type from ``torch.nn`` is one hlsgen supports (:data:`SUPPORTED_MODULES`;
   containers are walked into) — an ``nn.LSTM`` is refused here, naming it;
2. the module is traced and exported to ONNX in memory (:mod:`.export`), and every ONNX
   node is renamed after the ``nn.Module`` it came from, so the configuration names are
   the module names users see (``fc1``, ``conv2``, ``layers.0``; functional calls in a
   forward are ``cat``, ``add``, ``blk.relu``, numbered when repeated);
3. every operation on data is one the ONNX frontend converts; an unsupported one is
   refused naming the module whose forward calls it, and its type;
4. the ONNX frontend builds the IR graph (channels-first layouts resolved there once,
   batch-norms folded, QONNX Quant nodes become types); its errors are given the
   module's type;
5. the layout record: ``graph.torch_io`` holds, per input and output, the permutation
   between the layout the user's arrays have (:func:`io_layouts`) and the order the HLS
   model stores (:func:`to_hls_layout`, :func:`from_hls_layout`); the HLSModel applies it
   in ``predict``.

``input_shape``: the shape of one sample without the batch (``(16,)``, ``(3, 32, 32)``),
or with a leading ``None`` for the batch as in ``(None, 3, 32, 32)``; a list of those for
a forward with several inputs.  With ``channels_last=True`` it is given channels-last too;
with hls4ml's ``conversion`` it is the PyTorch shape whatever the layout of the arrays.
"""
from __future__ import annotations

import numpy as np

from ..io_layout import permute
from ..onnx.layout import channels_last as _cl_perm
from .export import PyTorchConversionError, export_onnx, forward_arg_names, rename_nodes, type_name

# torch.nn module classes the frontend converts (their ONNX export maps to supported layers)
SUPPORTED_MODULES = (
    "Linear", "Conv1d", "Conv2d", "BatchNorm1d", "BatchNorm2d", "ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU",
    "Sigmoid", "Tanh", "Softplus", "Softsign", "Hardsigmoid", "Threshold", "Softmax", "LogSoftmax", "LayerNorm", "Embedding", "PReLU", "MaxPool1d", "MaxPool2d",
    "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "Flatten", "Unflatten", "Identity",
    "Dropout", "Dropout1d", "Dropout2d", "ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "Upsample",
    "UpsamplingNearest2d", "RNN", "LSTM", "GRU",
)
CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")
SUPPORTED_CALLS = ("+", "-", "*", "/ (by a constant)", "torch.cat", "flatten", "view", "reshape", "squeeze",
                   "unsqueeze", "permute (where it is a layout change)", "torch.relu", "torch.sigmoid", "torch.tanh",
                   "torch.maximum", "torch.minimum", "F.threshold", "F.pad (constant 0)", "F.interpolate (nearest)",
                   "torch.einsum (matrix products of two tensors)", "torch.nn.functional versions of the modules (log_softmax, layer_norm ...)")
# packages whose modules export QONNX nodes (checked through the exported graph, not by type)
QUANT_PACKAGES = ("brevitas",)


def supported_modules() -> list:
    return [f"torch.nn.{n}" for n in SUPPORTED_MODULES]


def _supported_text() -> str:
    return (f"supported modules: {', '.join(supported_modules())} (and containers "
            f"{', '.join('torch.nn.' + c for c in CONTAINERS)}); supported calls in a forward: "
            f"{', '.join(SUPPORTED_CALLS)}")


def _is_torch_nn(cls) -> bool:
    return cls.__module__.startswith("torch.nn.")


def check_modules(model):
    """Refuse every module of a torch.nn type hlsgen does not convert (outermost ones only;
    the insides of supported and of Brevitas modules are theirs, checked through the export)."""
    import torch

    bad = []
    closed: list = []  # modules whose insides are not walked into
    for fqn, mod in model.named_modules():
        if any(fqn.startswith(r + ".") for r in closed):
            continue
        cls = type(mod)
        if cls.__module__.split(".")[0] in QUANT_PACKAGES:
            closed.append(fqn)
            continue
        if not _is_torch_nn(cls) or cls.__name__ in CONTAINERS:
            continue
        closed.append(fqn)
        if cls.__name__ in SUPPORTED_MODULES or getattr(torch.nn, cls.__name__, None) is not cls:
            continue  # supported, or an internal torch.nn class (its export is checked)
        bad.append(f"module {fqn or '(the top module)'!r} of type {type_name(cls)}")
    if bad:
        raise PyTorchConversionError("not supported: " + "; ".join(bad) + ". " + _supported_text())


def input_shapes(input_shape) -> list:
    """[shape of one sample] from ``input_shape`` (see the module docstring)."""
    def one(s):
        try:
            s = tuple(s)
        except TypeError:
            raise TypeError(f"input_shape {input_shape!r}: expected a tuple of dimensions, e.g. (3, 32, 32)") from None
        if s and s[0] is None:
            s = s[1:]
        if not s or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0 for d in s):
            raise ValueError(f"input_shape {input_shape!r}: every dimension of a sample must be a positive int "
                             "(the batch dimension is left out, or given as None first)")
        return tuple(int(d) for d in s)

    if isinstance(input_shape, list) and input_shape and all(isinstance(s, (tuple, list)) for s in input_shape):
        return [one(s) for s in input_shape]
    return [one(input_shape)]


def _module_desc(fqn, mod) -> str:
    return f"module {fqn!r} ({type_name(mod)})" if fqn else f"the forward of the top module ({type_name(mod)})"


def check_ops(om, info):
    """Every ONNX operation on data must have a handler; else name the modules and types."""
    from ..onnx import ops  # noqa: F401  (registers the handlers)
    from ..onnx.frontend import HANDLERS, handler_key
    from ..onnx.loader import constant_names, graph_inputs, is_quant_node

    const = constant_names(om, [n for n, _ in graph_inputs(om)])
    bad: dict = {}
    for node in om.graph.node:
        outs = [o for o in node.output if o]
        if outs and all(o in const for o in outs):
            continue
        custom = node.domain not in ("", "ai.onnx")
        if handler_key(node) not in HANDLERS and not (custom and is_quant_node(node)):
            fqn, mod = info[node.name]
            bad.setdefault(_module_desc(fqn, mod), []).append(node.op_type)
    if bad:
        parts = [f"{d} uses {', '.join(sorted(set(o)))} (as exported to ONNX), which hlsgen does not convert"
                 for d, o in bad.items()]
        raise PyTorchConversionError("; ".join(parts) + ". " + _supported_text())


def _explain(msg: str, info: dict) -> str:
    """An ONNX frontend message, with the module and its type for each node it names."""
    seen = [n for n in info if f"node {n!r}" in msg or f"layer {n!r}" in msg]
    if not seen:
        return msg
    return msg + " [" + "; ".join(_module_desc(*info[n]) for n in seen) + "]"


def _perm_user_to_hls(hls_perm, rank, channels_last):
    """q with hls_array = user_array.transpose(q)."""
    user = _cl_perm(rank) if channels_last and rank >= 3 else tuple(range(rank))
    pos = {a: j for j, a in enumerate(user)}  # logical axis -> its position in the user's array
    return tuple(pos[a] for a in hls_perm)


CONVERSIONS = ("full", "internal", "off")


def io_layouts(channels_last=False, conversion=None, transpose_outputs=False, layer_norm_output=False):
    """(inputs channels-last, this output channels-last): the layout of the arrays ``predict``
    takes and gives (the channels axis moved last, e.g. (N, C, L) -> (N, L, C); arrays of
    rank 2 are the same either way).

    hlsgen's own choice is ``channels_last`` (both, default False: the PyTorch layout).
    hls4ml's ``channels_last_conversion`` (``conversion``) and ``transpose_outputs``, as
    hls4ml 1.3.0 applies them: 'full' takes PyTorch-layout inputs, 'internal' channels-last
    ones; both give channels-last outputs unless ``transpose_outputs`` -- except an output
    computed by a LayerNorm, which hls4ml gives the other way round (it normalizes the last
    PyTorch axis and transposes around it), and one computed by an einsum, which it leaves in
    the PyTorch layout, as it reads an einsum's inputs (``parse_pytorch_model``); 'off' is the
    PyTorch layout in and out."""
    if conversion is None:
        return bool(channels_last), bool(channels_last)
    if conversion not in CONVERSIONS:
        raise ValueError(f"channels_last_conversion={conversion!r}: expected one of {', '.join(map(repr, CONVERSIONS))}")
    if channels_last:
        raise ValueError(f"channels_last=True and channels_last_conversion={conversion!r}: give one of them")
    if conversion == "off":
        return False, False
    return conversion == "internal", (not transpose_outputs) != bool(layer_norm_output)


def _outputs_computed_by(om, info, op_type, module_type) -> set:
    """Names of the ONNX outputs an ``op_type`` node (or a module of ``module_type``) computes last."""
    made = {o: n for n in om.graph.node for o in n.output if o}
    out = set()
    for o in (v.name for v in om.graph.output):
        node = made.get(o)
        while node is not None and node.op_type == "Identity":
            node = made.get(node.input[0])
        if node is None:
            continue
        fqn, mod = info.get(node.name, ("", None))
        if node.op_type == op_type or (fqn and type(mod).__name__ == module_type):
            out.add(o)
    return out


def _inputs_read_by(om, op_type) -> set:
    """Names of the ONNX graph inputs an ``op_type`` node reads (directly or through Identity)."""
    made = {o: n for n in om.graph.node for o in n.output if o}
    out = set()
    for node in om.graph.node:
        if node.op_type != op_type:
            continue
        for i in node.input:
            while i in made and made[i].op_type == "Identity":
                i = made[i].input[0]
            out.add(i)
    return out & {v.name for v in om.graph.input}


def parse_pytorch_model(model, input_shape, channels_last: bool = False, exporter: str = "auto",
                        conversion=None, transpose_outputs: bool = False):
    """Convert a ``torch.nn.Module`` into an IR graph (no passes yet); see the module docstring.
    ``exporter``: 'auto', 'torchscript' or 'dynamo' (see :func:`.export.export_onnx`).
    ``channels_last``, ``conversion``, ``transpose_outputs``: the layout of the arrays
    ``predict`` takes and gives (:func:`io_layouts`)."""
    try:
        import torch
    except ImportError as e:  # pragma: no cover - torch is the point of this frontend
        raise PyTorchConversionError("the PyTorch frontend needs torch (pip install 'hlsgen[pytorch]')") from e
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"expected a torch.nn.Module, got an object of type {type(model).__module__}."
                        f"{type(model).__name__}")
    in_cl, _ = io_layouts(channels_last, conversion, transpose_outputs)  # checks the options first
    shapes = input_shapes(input_shape)
    if channels_last:  # the exporter traces the PyTorch (channels-first) layout
        shapes_t = [(s[-1],) + s[:-1] if len(s) >= 2 else s for s in shapes]
    else:
        shapes_t = shapes
    check_modules(model)
    names = forward_arg_names(model, len(shapes))
    if exporter not in ("auto", "torchscript", "dynamo"):
        raise ValueError(f"exporter {exporter!r}: expected 'auto', 'torchscript' or 'dynamo'")
    from .recurrent import exporting

    model = exporting(model)  # nn.RNN/LSTM/GRU export as hlsgen:Recurrent nodes (see .recurrent)
    from .threshold import exporting as threshold_exporting

    model = threshold_exporting(model)  # nn.Threshold through torch.where (see .threshold)
    om = export_onnx(model, shapes_t, names, exporter)
    from ..onnx.patterns import fuse_patterns

    om = fuse_patterns(om)  # nn.Softsign is exported as x / (|x| + 1), nn.Threshold as Where(x <= t, v, x)
    info = rename_nodes(model, om, names)
    check_ops(om, info)
    # hls4ml reads an einsum's inputs in their PyTorch shape whatever the conversion
    in_cls = {n: in_cl and not (conversion is not None and n in _inputs_read_by(om, "Einsum")) for n in names}
    # one sample as the user gives it
    shapes = [s[1:] + s[:1] if in_cls[n] and len(s) >= 2 else s for n, s in zip(names, shapes_t)]
    from ..onnx import OnnxConversionError, parse_onnx_model

    try:
        graph = parse_onnx_model(om, pytorch=True)
    except OnnxConversionError as e:
        raise PyTorchConversionError(_explain(str(e), info)) from None
    io = graph.onnx_io
    ln = _outputs_computed_by(om, info, "LayerNormalization", "LayerNorm")
    einsum = _outputs_computed_by(om, info, "Einsum", "")  # hls4ml does not transpose an einsum's output
    out_cl = {n: io_layouts(channels_last, conversion, transpose_outputs, n in ln)[1] and
              not (conversion is not None and n in einsum) for n in io["outputs"]}
    ins = {n: _perm_user_to_hls(p, len(p), in_cls[n]) for n, p in io["inputs"].items()}
    outs = {n: tuple(np.argsort(_perm_user_to_hls(p, len(p), out_cl[n])).tolist())
            for n, p in io["outputs"].items()}
    graph.torch_io = {"inputs": ins, "outputs": outs, "input_shapes": dict(zip(names, shapes)),
                      "channels_last": in_cls, "outputs_channels_last": out_cl,
                      "modules": {n: f for n, (f, _) in info.items()}}
    return graph


def to_hls_layout(graph_or_model, X, input_name=None):
    """A PyTorch-layout input array (batch first) -> the order the HLS model stores."""
    return permute(graph_or_model, "torch_io", "PyTorch", "inputs", input_name, X)


def from_hls_layout(graph_or_model, Y, output_name=None):
    """An HLS model output (batch first, stored order) -> the PyTorch layout."""
    return permute(graph_or_model, "torch_io", "PyTorch", "outputs", output_name, Y)


__all__ = ["CONTAINERS", "CONVERSIONS", "SUPPORTED_MODULES", "PyTorchConversionError", "check_modules", "from_hls_layout",
           "input_shapes", "io_layouts", "parse_pytorch_model", "supported_modules", "to_hls_layout"]
