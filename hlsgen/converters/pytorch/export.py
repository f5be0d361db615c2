"""PyTorch module -> ONNX ModelProto in memory, with every node named after the
``nn.Module`` that produced it.

The exporter is PyTorch's TorchScript-based ``torch.onnx.export(..., dynamo=False)``:
it traces the module (any Python control flow is run once, as in ``torch.fx`` /
``torch.export``), and names each ONNX node after the module scopes it was created in
(``/layers/layers.0/Gemm``).  The torch.export-based exporter (``dynamo=True``) was
tried first: it fails on modules registered under names that are not Python
identifiers (its generated code quotes them), and it folds a batch-norm into the
convolution before it under the batch-norm's name.  PyTorch deprecates the TorchScript
exporter, so when it fails (or is gone) the torch.export-based one is used, whose nodes
carry their module path as metadata.

Names are never parsed from those strings by splitting on ``/`` (a module may be
registered under any name without a dot, ``/`` included).  Instead the scope string of
every module is *predicted* from ``named_modules()`` with the exporter's rule (each
scope level is the module's qualified name from its last non-numeric atom on:
``blk.fc`` -> ``fc``, ``layers.0`` -> ``layers.0``) and each node is given to the module
with the longest predicted prefix; a node that reads a parameter (``fc1.weight``) is
given to that parameter's module first, which needs no prediction at all.
"""
from __future__ import annotations

import inspect
import io
import warnings

from ..onnx.loader import constant_names, graph_inputs

OPSET = 17

# ONNX operator -> the name of the torch function users write, for functional calls
TORCH_NAMES = {"Concat": "cat", "Gemm": "linear", "MatMul": "matmul", "Add": "add", "Sub": "sub", "Mul": "mul",
               "Div": "div", "Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Flatten": "flatten",
               "Reshape": "view", "Transpose": "permute", "Softmax": "softmax", "Max": "maximum",
               "Min": "minimum", "MaxPool": "max_pool", "AveragePool": "avg_pool", "Conv": "conv",
               "LeakyRelu": "leaky_relu", "Clip": "clamp", "Elu": "elu", "Pad": "pad", "Resize": "interpolate", "Einsum": "einsum"}


class PyTorchConversionError(ValueError):
    """The PyTorch module cannot be converted (the message names the module and its type)."""


def type_name(obj_or_cls) -> str:
    """``torch.nn.LSTM`` for torch's own classes (as users write them), else module.qualname."""
    import torch

    cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
    if cls.__module__.startswith("torch.nn.") and getattr(torch.nn, cls.__name__, None) is cls:
        return f"torch.nn.{cls.__name__}"
    return f"{cls.__module__}.{cls.__qualname__}"


def forward_arg_names(model, n: int) -> list:
    """The names of the first ``n`` positional arguments of ``model.forward`` (the user's
    input names), or input, input_1, ... when they cannot be read."""
    try:
        params = [p for p in inspect.signature(model.forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params[:n]]
    if len(names) < n:
        names = ["input" if i == 0 else f"input_{i}" for i in range(n)]
    return names


def _unqualified(fqn: str) -> str:
    atoms = fqn.split(".")
    for i in range(len(atoms) - 1, -1, -1):
        if not atoms[i].isnumeric():
            return ".".join(atoms[i:])
    return fqn


def scope_prefixes(model) -> dict:
    """Predicted node-name prefix (``/layers/layers.0``) -> module qualified name."""
    modules = dict(model.named_modules())
    out = {}
    for fqn in modules:
        if not fqn:
            continue
        atoms = fqn.split(".")
        chain = [".".join(atoms[:i]) for i in range(1, len(atoms) + 1)]
        chain = [c for c in chain if c in modules]
        out.setdefault("/" + "/".join(_unqualified(c) for c in chain), fqn)
    return out


def is_brevitas(model) -> bool:
    return any(type(m).__module__.split(".")[0] == "brevitas" for m in model.modules())


def _export(model, args, f, dynamo, input_names, output_names):
    """One export into the file object ``f``; Brevitas models through Brevitas's QONNX
    exporter (Quant nodes for its quantizers), which calls torch.onnx.export itself."""
    import torch

    kw = dict(input_names=list(input_names), output_names=output_names)
    if dynamo:  # batch 1 (fixed), which the ONNX frontend takes as the batch
        kw.update(opset_version=max(OPSET, 18))
    else:
        kw.update(dynamic_axes={n: {0: "N"} for n in list(input_names) + output_names}, opset_version=OPSET,
                  do_constant_folding=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if is_brevitas(model):
            from brevitas.export import export_qonnx

            om = export_qonnx(model, args, export_path=None, dynamo=dynamo, **kw)
            f.write(om.SerializeToString())
        else:
            torch.onnx.export(model, args, f, dynamo=dynamo, **({"verbose": False} if dynamo else {}), **kw)


def _forward(model, args):
    """(outputs, the inputs that worked): float zeros, or, when the forward refuses floats,
    integer zeros (a model that takes indices, nn.Embedding first)."""
    try:
        return model(*args), args
    except Exception as e:  # noqa: BLE001
        err = e
    int_args = tuple(a.long() for a in args)
    try:
        return model(*int_args), int_args
    except Exception:  # noqa: BLE001 - report the float error
        pass
    raise PyTorchConversionError(
        f"{type_name(model)} fails on inputs of shape {[tuple(a.shape) for a in args]} "
        f"({type(err).__name__}: {str(err).strip()[:300]}); check input_shape") from None


def export_onnx(model, shapes, input_names, exporter="auto"):
    """The module traced into an ONNX ModelProto.  ``exporter``: 'torchscript', 'dynamo'
    (torch.export-based), or 'auto': TorchScript, and the torch.export-based exporter
    when that fails (PyTorch deprecates the TorchScript exporter; the names then come
    from the ``pkg.torch.onnx.name_scopes`` metadata of each node, see :func:`node_owners`)."""
    import logging

    import onnx
    import torch

    args = tuple(torch.zeros((1,) + tuple(s)) for s in shapes)
    modes = [(m, m.training) for m in model.modules()]  # restored module by module afterwards
    model.eval()
    errors = []
    try:
        with torch.no_grad():
            outs, args = _forward(model, args)
        n_out = len(outs) if isinstance(outs, (tuple, list)) else 1
        output_names = ["output" if i == 0 else f"output_{i}" for i in range(n_out)]
        order = {"auto": (False, True), "torchscript": (False,), "dynamo": (True,)}[exporter]
        for dynamo in order:
            f = io.BytesIO()
            level = logging.getLogger("torch.onnx").level
            logging.getLogger("torch.onnx").setLevel(logging.ERROR)
            try:
                _export(model, args, f, dynamo, input_names, output_names)
                return onnx.load_from_string(f.getvalue())
            except Exception as e:  # noqa: BLE001 - tracing / export raise many kinds
                lines = str(e).strip().splitlines()
                errors.append(f"{'torch.export' if dynamo else 'TorchScript'}: {type(e).__name__}: "
                              f"{(lines[0] if lines else '')[:300]}")
            finally:
                logging.getLogger("torch.onnx").setLevel(level)
    finally:
        for m, training in modes:
            m.training = training
    raise PyTorchConversionError(
        f"PyTorch could not trace {type_name(model)} into a graph ({'; '.join(errors)}); hlsgen needs a forward "
        "pass without data-dependent control flow, on float inputs of the given input_shape")


def _scopes(node):
    """The module path of a node from the torch.export-based exporter's metadata, or None."""
    import ast

    for p in node.metadata_props:
        if p.key == "pkg.torch.onnx.name_scopes":
            try:
                v = ast.literal_eval(p.value)
            except (ValueError, SyntaxError):
                return None
            return [str(x) for x in v] if isinstance(v, (list, tuple)) else None
    return None


def is_library_module(mod) -> bool:
    """A module of torch.nn (not a container) or Brevitas: its insides are not the user's."""
    cls = type(mod)
    root = cls.__module__.split(".")[0]
    if root == "brevitas":
        return True
    return cls.__module__.startswith("torch.nn.") and cls.__name__ not in ("Sequential", "ModuleList", "ModuleDict")


def _atomic(fqn: str, modules: dict) -> str:
    """The outermost library module on the path to ``fqn`` (a QuantReLU, not its
    act_quant proxy), else ``fqn``."""
    if not fqn:
        return fqn
    atoms = fqn.split(".")
    for i in range(1, len(atoms) + 1):
        p = ".".join(atoms[:i])
        if p in modules and is_library_module(modules[p]):
            return p
    return fqn


def node_owners(model, om) -> dict:
    """ONNX node index -> qualified name of the module it belongs to ('' for the top module)."""
    modules = dict(model.named_modules())
    params = {}
    for fqn, mod in modules.items():
        for pname, _ in list(mod.named_parameters(recurse=False)) + list(mod.named_buffers(recurse=False)):
            params[f"{fqn}.{pname}" if fqn else pname] = fqn
    prefixes = scope_prefixes(model)
    by_len = sorted(prefixes, key=len, reverse=True)
    owners = {}
    for k, node in enumerate(om.graph.node):
        owner = next((params[i] for i in node.input if i in params), None)
        scopes = _scopes(node)
        if owner is None and scopes is not None:  # ['', 'block', 'block.conv', 'conv1d_1']
            owner = scopes[-2] if len(scopes) >= 2 and scopes[-2] in modules else ""
        elif owner is None:
            name = node.name
            exact = [p for p in by_len if name.startswith(p + "/") and "/" not in name[len(p) + 1:]]
            loose = [p for p in by_len if name.startswith(p + "/")]
            best = (exact or loose or [None])[0]
            owner = prefixes[best] if best is not None else ""
        owners[k] = _atomic(owner, modules)
    return owners


def rename_nodes(model, om, input_names) -> dict:
    """Give every ONNX node of ``om`` the user-facing name of its module (in place):
    a leaf module's first operation on data takes the module's name (``fc1``), its
    further ones (a second call, a custom forward) ``fc1_1``, ``fc1_2``; a functional call in a module's forward takes
    ``<module>.<torch function>`` (``cat``, ``blk.add``), numbered when repeated.
    Returns {new node name: (module qualified name, module)}."""
    modules = dict(model.named_modules())
    owners = node_owners(model, om)
    data = [n for n, _ in graph_inputs(om)]
    const = constant_names(om, data)
    taken = set(input_names) | set(modules) - {""}
    used_module = set()
    info = {}

    def unique(base):
        name, i = base, 1
        while name in taken:
            name = f"{base}_{i}"
            i += 1
        taken.add(name)
        return name

    nodes = list(enumerate(om.graph.node))
    is_const = {k: bool([o for o in n.output if o]) and all(o in const for o in n.output if o) for k, n in nodes}
    # operations on data first, so that folded constants never take the names users see
    for k, node in [kn for kn in nodes if not is_const[kn[0]]] + [kn for kn in nodes if is_const[kn[0]]]:
        fqn = owners[k]
        mod = modules[fqn]
        leaf = fqn and (is_library_module(mod) or not any(True for _ in mod.children()))
        if is_const[k]:
            node.name = unique(f"{fqn}_{node.op_type.lower()}" if fqn else node.op_type.lower())
        elif leaf and fqn not in used_module:
            used_module.add(fqn)
            node.name = fqn
        elif leaf and node.op_type == "Quant":  # a Brevitas quantizer after the module's operation
            node.name = unique(f"{fqn}_quant")
        elif leaf:  # a module called twice, or one whose forward has several operations
            node.name = unique(fqn)
        else:
            fn = TORCH_NAMES.get(node.op_type, node.op_type.lower())
            node.name = unique(f"{fqn}.{fn}" if fqn else fn)
        info[node.name] = (fqn, mod)
    return info
