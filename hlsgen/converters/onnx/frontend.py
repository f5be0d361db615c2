"""ONNX (and QONNX) graph -> hlsgen IR graph.

Steps, all before anything is written:
1. load, ``onnx.checker``, opset range, ``onnx.shape_inference`` (:mod:`.loader`);
2. inputs: float, batch symbolic or 1, every other dimension fixed;
3. every operator on data is supported (the error lists each node and op type);
4. one pass over the nodes in order: nodes whose inputs are all constant are folded
   (``onnx.reference`` for standard operators, numpy for QONNX nodes; quantized
   constants remember their exact fixed-point type), the others go to their handler,
   which adds IR layers and records the layout of its outputs (:mod:`.layout`);
5. clean-up of what only the whole graph shows: batch-norms (and bias Adds) fold into
   the Dense/Conv before them, QONNX casts merge into the layer that computes their input
   exactly (one rounding instead of two) or become the graph input's type.
"""
from __future__ import annotations

import numpy as np

from ... import validate
from ...ir.graph import Graph, GraphInput
from ...ir.names import sanitize
from ...layers import LAYER_KINDS
from ...passes.base import Pass, run_to_fixed_point
from ...passes.fold_batchnorm import FoldBatchNorm
from .layout import (Val, channels_last, demanded_perm, find_perm, identity, perm_index, permuted_shape,
                     undoing_permute)
from .loader import (OnnxConversionError, check_model, constant_names, graph_inputs, is_quant_node,
                     load_onnx_model, to_numpy)
from .quant import QONNX_DOMAINS, bipolar_values, exact_type, pow2_exponent, quant_values

HANDLERS: dict = {}


def handler_key(node) -> str:
    """The HANDLERS key of a node: its op type in the default domain, ``q:<op>`` for QONNX,
    ``<domain>:<op>`` for hlsgen's own nodes (``hlsgen:Recurrent``)."""
    if node.domain in ("", "ai.onnx"):
        return node.op_type
    return ("q:" if node.domain in QONNX_DOMAINS else f"{node.domain}:") + node.op_type


def handler(*ops):
    def deco(fn):
        for op in ops:
            HANDLERS[op] = fn
        return fn

    return deco


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_GAMMA = 1.0507009873554804934193349852946


def _attrs(node) -> dict:
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class Converter:
    def __init__(self, model, pytorch: bool = False):
        self.model = model
        self.pytorch = pytorch  # exported by the PyTorch frontend: Resize follows PyTorch's arithmetic
        self.opset, self.inferred = check_model(model)
        g = model.graph
        self.graph = Graph(sanitize(g.name or "model"))
        self.taken: set = set()
        self.vals: dict = {}
        self.consts: dict = {}
        self.const_types: dict = {}  # constant name -> exact FixedType (quantized constants)
        self.casts: set = set()  # IR layer names of QONNX casts
        self.bias_types: dict = {}  # IR BatchNormalization name -> imposed bias type (quantized Add constant)
        self.input_types: dict = {}  # graph input source name -> FixedType imposed by a Quant
        self.inputs = graph_inputs(model)
        data = [n for n, _ in self.inputs]
        self.const_names = constant_names(model, data)
        self.consumers: dict = {}
        for node in g.node:
            for i in node.input:
                self.consumers.setdefault(i, []).append(node)
        self.output_names = [o.name for o in g.output]
        self._check_supported()

    # ------------------------------------------------------------------ validation
    def node_name(self, node) -> str:
        if node.name:
            return node.name
        return f"{node.op_type}_{node.output[0]}" if node.output else node.op_type

    def desc(self, node) -> str:
        return f"node {self.node_name(node)!r} ({node.op_type})"

    def _check_supported(self):
        bad = []
        for node in self.model.graph.node:
            outs = [o for o in node.output if o]
            is_const = outs and all(o in self.const_names for o in outs)
            custom = node.domain not in ("", "ai.onnx")
            if custom and not is_quant_node(node) and handler_key(node) not in HANDLERS:
                bad.append(f"{self.desc(node)} in domain {node.domain!r}")
            elif is_const:
                continue
            elif not custom and node.op_type not in HANDLERS:
                bad.append(self.desc(node))
        if bad:
            raise OnnxConversionError(
                "unsupported ONNX operator(s): " + "; ".join(bad)
                + f". Supported operators on data: {', '.join(sorted(k for k in HANDLERS if ':' not in k))}, and the QONNX Quant, "
                "BipolarQuant and Trunc (any operator on constants is folded)")

    # ------------------------------------------------------------------ helpers for handlers
    def add(self, kind, source, inputs, attrs=None, weights=None) -> str:
        cls = LAYER_KINDS[kind]
        name = sanitize(source, self.taken)
        out = f"{name}_out"
        layer = cls(name, source, inputs, [out], attrs, weights)
        try:
            shape = layer.output_shape([self.graph.tensors[t].shape for t in inputs])
        except ValueError as e:
            raise OnnxConversionError(f"layer {source!r}: {e}") from None
        self.graph.add_tensor(out, shape)
        self.graph.add_layer(layer)
        self.last_layer = layer
        return out

    def ir_shape(self, val: Val) -> tuple:
        return self.graph.tensors[val.ir].shape

    def view(self, val: Val, shape, source) -> str:
        """``val``'s IR tensor viewed with ``shape`` (a Reshape layer only when needed)."""
        shape = tuple(int(d) for d in shape)
        if self.ir_shape(val) == shape:
            return val.ir
        if len(shape) == 1:
            return self.add("Flatten", f"{source}_flatten", [val.ir])
        return self.add("Reshape", f"{source}_reshape", [val.ir], {"target_shape": shape})

    def channels_last(self, val: Val, node) -> str:
        """The IR tensor of ``val`` in channels-last order, or an error naming the node."""
        perm = channels_last(val.rank)
        if not np.array_equal(val.index, perm_index(val.shape, perm)):
            p = find_perm(val)
            got = f"stored in axis order {p}" if p else "stored flattened in a permuted order"
            raise OnnxConversionError(
                f"{self.desc(node)}: its input must be channels-last (axis order {perm}) but is {got}; hlsgen "
                "has no transpose kernel, so this layout cannot be produced here")
        return self.view(val, permuted_shape(val.shape, perm), self.node_name(node))

    def vector(self, val: Val, node) -> str:
        return self.view(val, (val.size,), self.node_name(node))

    def const(self, node, i, required=True):
        name = node.input[i] if i < len(node.input) else ""
        if not name:
            if required:
                raise OnnxConversionError(f"{self.desc(node)}: input {i} is missing")
            return None
        if name not in self.consts:
            if required:
                raise OnnxConversionError(f"{self.desc(node)}: input {i} ({name!r}) must be a constant "
                                          "(an initializer or computed from initializers only)")
            return None
        return self.consts[name]

    def val(self, node, i=0) -> Val:
        name = node.input[i]
        if name not in self.vals:
            raise OnnxConversionError(f"{self.desc(node)}: input {name!r} is not a data tensor produced earlier")
        return self.vals[name]

    def set(self, node, val: Val, k=0):
        self.vals[node.output[k]] = val

    def is_const(self, name) -> bool:
        return name in self.consts

    # ------------------------------------------------------------------ main loop
    def run(self) -> Graph:
        g = self.model.graph
        for init in g.initializer:
            a = to_numpy(init)
            if a.dtype.kind == "f":
                validate.finite(a, f"ONNX initializer {init.name!r}")
            self.consts[init.name] = a
        self.input_perms = {}
        for name, shape in self.inputs:
            perm = demanded_perm(name, shape, self.consumers, self.const_names)
            # the permutation the input is stored in, as chosen (find_perm could not tell it from
            # the data order when that is the same, e.g. one channel)
            self.input_perms[name] = tuple(perm)
            ir_name = sanitize(name, self.taken)
            gi = GraphInput(ir_name, name, f"{ir_name}_in")
            self.graph.add_input(gi, permuted_shape(shape, perm))
            self.vals[name] = Val(gi.tensor, shape, perm_index(shape, perm))
            self.consts.pop(name, None)
        for node in g.node:
            outs = [o for o in node.output if o]
            if outs and all(o in self.const_names for o in outs) and self._fold(node):
                continue
            fn = HANDLERS.get(handler_key(node))
            if fn is None:  # pragma: no cover - _check_supported ran first
                raise OnnxConversionError(f"unsupported {self.desc(node)}")
            try:
                fn(self, node, _attrs(node))
            except OnnxConversionError:
                raise
            except (ValueError, KeyError, IndexError) as e:
                raise OnnxConversionError(f"{self.desc(node)}: {e}") from None
        self._finish_outputs()
        self._fold_affine()
        self._merge_casts()
        self.graph.topo_sort()
        self.graph.onnx_io = {"inputs": self.input_perms, "outputs": self.output_perms,
                              "input_types": dict(self.input_types), "opset": self.opset}
        return self.graph

    # ------------------------------------------------------------------ constant folding
    def _fold(self, node) -> bool:
        """Evaluate a node whose inputs are all constant.  False when it is not (Shape of data)."""
        op = node.op_type
        if node.domain in QONNX_DOMAINS:
            self._fold_quant(node)
            return True
        if op == "Shape":
            src = node.input[0]
            if src in self.vals:
                shape = np.array(self.vals[src].shape, dtype=np.int64)
                a = _attrs(node)
                start, end = a.get("start", 0), a.get("end", None)
                self.consts[node.output[0]] = shape[start:end]
                return True
            if src not in self.consts:
                raise OnnxConversionError(f"{self.desc(node)}: shape of unknown tensor {src!r}")
        if op == "Constant":
            self.consts[node.output[0]] = self._constant_value(node)
            return True
        ins = [self.consts[i] if i else None for i in node.input]
        if op in ("Identity", "Dropout") and ins:
            self.consts[node.output[0]] = ins[0]
            if node.input[0] in self.const_types:
                self.const_types[node.output[0]] = self.const_types[node.input[0]]
            return True
        try:
            from onnx.reference import ReferenceEvaluator

            ref = ReferenceEvaluator(node, opsets={"": self.opset})
            feeds = {n: v for n, v in zip(node.input, ins) if n}
            outs = ref.run(None, feeds)
        except Exception as e:  # noqa: BLE001
            raise OnnxConversionError(f"{self.desc(node)}: cannot fold this constant subgraph: {e}") from None
        for name, v in zip([o for o in node.output], outs):
            if name:
                self.consts[name] = np.asarray(v)
        # data movement keeps the exact type of a quantized constant
        if op in ("Transpose", "Reshape", "Squeeze", "Unsqueeze", "Flatten") and node.input[0] in self.const_types:
            self.const_types[node.output[0]] = self.const_types[node.input[0]]
        return True

    def _constant_value(self, node):
        import onnx

        for a in node.attribute:
            if a.name == "value":
                return to_numpy(a.t)
            if a.name in ("value_float", "value_int"):
                return np.array(onnx.helper.get_attribute_value(a))
            if a.name in ("value_floats", "value_ints"):
                return np.array(list(onnx.helper.get_attribute_value(a)))
        raise OnnxConversionError(f"{self.desc(node)}: unsupported Constant attribute "
                                  f"{[a.name for a in node.attribute]}")

    def _fold_quant(self, node):
        a = _attrs(node)
        c = [self.consts[i] if i else None for i in node.input]
        out = node.output[0]
        if node.op_type == "Quant":
            bits = int(np.asarray(c[3]).reshape(-1)[0])
            signed, narrow = bool(a.get("signed", 1)), bool(a.get("narrow", 0))
            rounding = a.get("rounding_mode", "ROUND")
            rounding = rounding.decode() if isinstance(rounding, bytes) else rounding
            v = quant_values(c[0], c[1], c[2], bits, signed, narrow, rounding)
            self.consts[out] = v
            t = exact_type(v)
            if t is not None and pow2_exponent(np.unique(np.asarray(c[1]))[:1]) is not None:
                self.const_types[out] = t
        elif node.op_type == "BipolarQuant":
            v = bipolar_values(c[0], c[1])
            self.consts[out] = v
            t = exact_type(v)
            if t is not None:
                self.const_types[out] = t
        else:
            v = self._trunc_values(node, a, c)
            self.consts[out] = v

    def _trunc_values(self, node, a, c):
        rounding = a.get("rounding_mode", "FLOOR")
        rounding = rounding.decode() if isinstance(rounding, bytes) else rounding
        from .quant import _round, int_range

        x, scale, zp = (np.asarray(v, dtype=np.float64) for v in c[:3])
        y = np.round(x / scale + zp)
        if len(c) >= 6:
            out_scale, out_bits = np.asarray(c[4], dtype=np.float64), int(np.asarray(c[5]).reshape(-1)[0])
            ts = 2.0 ** np.round(np.log2(out_scale / scale))
            lo, hi = int_range(bool(a.get("signed", 1)), bool(a.get("narrow", 0)), out_bits)
            y = _round(np.clip(y / ts, lo, hi), rounding)
            return (y - zp / ts) * out_scale
        ts = 2.0 ** (int(np.asarray(c[3]).reshape(-1)[0]) - int(np.asarray(c[4]).reshape(-1)[0]))
        return (_round(y / ts, rounding) - zp) * scale

    # ------------------------------------------------------------------ outputs
    def _finish_outputs(self):
        self.output_perms = {}
        outs = []
        for name in self.output_names:
            if name not in self.vals:
                raise OnnxConversionError(f"graph output {name!r} is a constant or was not computed; hlsgen needs "
                                          "every output to depend on an input")
            v = self.vals[name]
            perm = find_perm(v)
            if perm is None:  # e.g. a Flatten of a channels-last tensor: transpose it back
                dims = undoing_permute(v.index, self.ir_shape(v))
                if dims is not None:
                    out = self.add("Permute", f"{name}_permute", [v.ir], {"dims": dims})
                    v, perm = Val(out, v.shape, np.arange(v.size, dtype=np.int64)), identity(v.rank)
            if perm is None:
                raise OnnxConversionError(f"graph output {name!r} would be stored in a permuted order hlsgen cannot "
                                          "undo (no transpose of the tensor that holds it gives that order)")
            want = permuted_shape(v.shape, perm)
            # (a stored order that is the identity may still have another shape: a channels-last
            # tensor of one channel, (H, W, 1), holds an output of shape (1, H, W))
            if tuple(self.ir_shape(v)) != tuple(want) or perm != identity(v.rank):
                v = Val(self.view(v, want, f"{name}_out"), v.shape, v.index)
            self.output_perms[name] = perm
            if v.ir in outs or any(gi.tensor == v.ir for gi in self.graph.inputs):
                v = Val(self.add("Activation", f"{name}_copy", [v.ir], {"activation": "linear"}), v.shape, v.index)
            outs.append(v.ir)
        self.graph.outputs = outs

    # ------------------------------------------------------------------ clean-up passes
    def _single_use(self, tensor) -> bool:
        return len(self.graph.consumers(tensor)) == 1 and not self.graph.is_output(tensor)

    def _fold_affine(self):
        """BatchNormalization (from BN nodes and constant Add/Sub/Mul/Div) into the Dense/Conv
        before it: the one folding pass, with the ONNX rule for quantized weight/bias types."""
        run_to_fixed_point(self.graph, FoldBatchNorm(self._carried_types))

    def _carried_types(self, prev, bn, before) -> dict:
        """Quantized weight/bias types are kept only where the folded values stay exact: a unit
        scale keeps the weight type, a zero offset the bias type, and the quantized constant
        of a bias Add becomes the bias type of a layer that had none."""
        s, c = bn.weights["scale"], bn.weights["bias"]
        types = dict(prev.attrs.get("types", {}))
        unit = bool(np.all(s == 1.0))
        if not unit:
            types.pop("weight", None)
            types.pop("bias", None)
        had_bias = bool(np.any(before["bias"] != 0))
        bt = self.bias_types.get(bn.name)
        if unit and bt is not None and not had_bias:
            types["bias"] = bt
        elif np.any(c != 0):
            types.pop("bias", None)
        return types

    def _merge_casts(self):
        run_to_fixed_point(self.graph, MergeCasts(self))

    def _merge_one_cast(self) -> bool:
        """Merge the first QONNX cast that can go; True if one went."""
        for cast in list(self.graph.layers):
            if cast.name not in self.casts:
                continue
            src = cast.inputs[0]
            t = cast.attrs["types"]["result"]
            gi = next((g for g in self.graph.inputs if g.tensor == src), None)
            if gi is not None and self._single_use(src) and gi.source_name not in self.input_types:
                self.input_types[gi.source_name] = t
                self.graph.remove_layer(cast)
                self.casts.discard(cast.name)
                return True
            prev = self.graph.producer(src)
            if prev is None or not self._single_use(src):
                continue
            # a layer whose output is one cast of an exact value: the QONNX cast replaces that cast
            if not prev.rounds_once or "result" in prev.attrs.get("types", {}):
                continue
            prev.attrs["types"] = dict(prev.attrs.get("types", {}), result=t)
            self.graph.merge_into(prev, cast)
            self.casts.discard(cast.name)
            return True
        return False


class MergeCasts(Pass):
    """QONNX casts (Quant nodes on data) merge into the layer that computes their input
    exactly (one rounding instead of two), or become the type of the graph input they read."""

    name = "merge_qonnx_casts"

    def __init__(self, converter: Converter):
        self.converter = converter

    def apply(self, graph, ctx=None):
        return graph, self.converter._merge_one_cast()


def parse_onnx_model(model_or_path, pytorch: bool = False) -> Graph:
    """Convert an ONNX model (path, bytes or ModelProto) into an IR graph (no passes yet).
    ``graph.onnx_io`` records the storage order of every input and output (see layout.py)
    and the input types QONNX Quant nodes impose.  ``pytorch``: the model is the PyTorch
    frontend's export, whose nearest Resize computes source indices as PyTorch does
    (see resize.py)."""
    from . import ops  # noqa: F401  (registers the handlers)

    from .patterns import fuse_patterns

    model = load_onnx_model(model_or_path)
    model = fuse_patterns(model)  # Softsign, Threshold: see patterns.py
    return Converter(model, pytorch).run()
