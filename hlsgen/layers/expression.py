"""The Expression layer kind: closed-form expressions of the input vector (symbolic
regression results, ``hlsgen.converters.symbolic``), evaluated in fixed point.

Expression
==========
``attrs['program']`` is a list of nodes, each computed from earlier ones:
``('in', i)`` input element i, ``('const', c)``, ``('add', a, b)``, ``('mul', a, b)``,
``('neg', a)``, ``('lut', j, a)`` (lookup table j of ``attrs['luts']`` at node a);
``attrs['outputs']`` lists the node of each output element.  Every node's value is cast
to the ``result`` type (its rounding and overflow modes): the C++ keeps each node in a
``result`` variable, the golden quantizes after every operation, so the two agree bit for
bit (products and sums of two result values are exact in float64 while the result type is
at most 26 bits wide, which is checked).  Constants are quantized to the result type.
A lookup table ``{'name', 'func', 'lo', 'step_log2', 'n'}`` covers [lo, lo + n * 2^step_log2)
in n bins (the index is floor((x - lo) / step), clamped to [0, n - 1], as Activation's
tables); bin j holds func at the centre of the result values in the bin, quantized to the
result type.  A periodic table ``{'name', 'func', 'n', 'periodic': True}`` (sin, cos: the
built-in sin_lut / cos_lut) holds one period 2*pi in n bins (n a power of two): the index is
floor(x * c) mod n with c = n / (2*pi) as the constant of ``PERIOD_SCALE_TYPE`` (exact product,
floor and wrap: ``ap_ufixed<log2 n, log2 n, AP_TRN, AP_WRAP>``), bin j holds func(2*pi*(j + 1/2)/n).
Precision keys: ``result``.
"""
from __future__ import annotations

import numpy as np

from ..fixed import FixedType
from .base import Layer, register
from .step import exact_constant_type
from .tables import TableSpec, cpp_literal, table_samples

MAX_WIDTH = 26  # products of two such values are exact in float64 (the golden)
PERIOD_SCALE_TYPE = FixedType(26, 13, False)  # n / (2*pi) for n <= 2^12: x * c is exact in float64

# numpy definitions of the functions a lookup table may hold
FUNCTIONS = {"sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log, "sqrt": np.sqrt,
             "tanh": np.tanh, "sinh": np.sinh, "cosh": np.cosh, "arcsin": np.arcsin, "arccos": np.arccos,
             "arctan": np.arctan, "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan}
OPS = {"in": 1, "const": 1, "add": 2, "mul": 2, "neg": 1, "lut": 2}


@register
class Expression(Layer):
    kind = "Expression"
    cpp_headers = ("nnet_activation.h",)  # nnet::table_index
    cpp_config_tpl = """struct {{ config }} {
    static const unsigned n_in = {{ n_in }};
    static const unsigned n_out = {{ n_out }};
{% for lut in luts %}
    struct {{ lut.struct }} {
        static const unsigned n_table = {{ lut.n }};
        static const int step_log2 = {{ lut.step_log2 }};
        typedef {{ lut.index_t }} index_t;
        typedef {{ lut.lo_t }} bound_t;
        static bound_t table_lo() { return bound_t({{ lut.lo }}); }
{% if lut.periodic %}
        static bound_t scale() { return bound_t({{ lut.scale }}); }
{% endif %}
    };
{% endfor %}
    template <class data_T, class res_T, class table_T>
    static void compute(const data_T x[n_in], res_T y[n_out]{% for lut in luts %}, const table_T {{ lut.struct }}_table[{{ lut.n }}]{% endfor %}) {
        #pragma HLS INLINE
{% for line in body %}
        {{ line }}
{% endfor %}
    }
};"""
    cpp_call_tpl = ("{{ config }}::compute<{{ in_t[0] }}, {{ t.result }}, {{ t.result }}>({{ ins[0] }}, {{ out }}"
                    "{% for lut in luts %}, {{ tb[lut.table] }}{% endfor %});")

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        prog, luts = self.attrs.get("program"), self.attrs.get("luts", [])
        if not prog:
            raise ValueError(f"Expression layer {self.source_name!r}: no program")
        for k, node in enumerate(prog):
            op = node[0]
            if op not in OPS:
                raise ValueError(f"Expression layer {self.source_name!r}: unknown operation {op!r}")
            refs = {"add": node[1:], "mul": node[1:], "neg": node[1:], "lut": node[2:]}.get(op, ())
            if any(not 0 <= int(r) < k for r in refs):
                raise ValueError(f"Expression layer {self.source_name!r}: node {k} reads a later node")
            if op == "lut" and not 0 <= int(node[1]) < len(luts):
                raise ValueError(f"Expression layer {self.source_name!r}: node {k} reads an unknown table")
        for lut in luts:
            if lut.get("periodic") and (int(lut["n"]) & (int(lut["n"]) - 1) or not 2 <= int(lut["n"]) <= 4096):
                raise ValueError(f"Expression layer {self.source_name!r}: periodic table {lut['name']!r}: n must be "
                                 f"a power of two from 2 to 4096, got {lut['n']}")
            if lut["func"] not in FUNCTIONS:
                raise ValueError(f"Expression layer {self.source_name!r}: table {lut['name']!r}: function "
                                 f"{lut['func']!r} is not supported; supported: {', '.join(FUNCTIONS)}")
        if not all(0 <= int(o) < len(prog) for o in self.attrs["outputs"]):
            raise ValueError(f"Expression layer {self.source_name!r}: an output names no node")

    def output_shape(self, in_shapes):
        n_in = int(np.prod(in_shapes[0]))
        for node in self.attrs["program"]:
            if node[0] == "in" and not 0 <= int(node[1]) < n_in:
                raise ValueError(f"Expression layer {self.source_name!r}: input x{node[1]} does not exist "
                                 f"(the input has {n_in} elements)")
        return (len(self.attrs["outputs"]),)

    def infer_types(self, in_types, ctx):
        t = self.configured("result") or ctx.default
        if t.width > MAX_WIDTH:
            raise ValueError(f"Expression layer {self.source_name!r}: result type {t} is wider than {MAX_WIDTH} "
                             "bits; the expression evaluation is implemented up to that width")
        self.types["result"] = t

    def _specs(self):
        """Per table: its TableSpec (a range table) or None (periodic)."""
        return [None if lut.get("periodic") else TableSpec(float(lut["lo"]), int(lut["step_log2"]), int(lut["n"]), None)
                for lut in self.attrs.get("luts", [])]

    @staticmethod
    def period_scale(n: int) -> float:
        return float(PERIOD_SCALE_TYPE.quantize(np.array([n / (2 * np.pi)]))[0])

    def _index(self, j: int, x):
        lut, spec = self.attrs["luts"][j], self._specs()[j]
        if spec is not None:
            return spec.index(x)
        n = int(lut["n"])
        return np.mod(np.floor(x * self.period_scale(n)), n).astype(np.int64)

    def tables(self):
        t = self.types["result"]
        out = {}
        for j, (lut, spec) in enumerate(zip(self.attrs.get("luts", []), self._specs())):
            if spec is None:
                n = int(lut["n"])
                xs = 2 * np.pi * (np.arange(n) + 0.5) / n
                where = "one period"
            else:
                xs = table_samples(spec, t)
                where = f"its range [{spec.lo}, {spec.lo + spec.n * spec.step})"
            with np.errstate(all="ignore"):
                vals = FUNCTIONS[lut["func"]](xs)
            if not np.all(np.isfinite(vals)):
                raise ValueError(f"Expression layer {self.source_name!r}: table {lut['name']!r}: {lut['func']} "
                                 f"is not finite over {where}")
            out[f"lut{j}_"] = (t, t.quantize(vals))
        return out

    def golden(self, xs):
        x = np.asarray(xs[0], dtype=np.float64).reshape(len(xs[0]), -1)
        t = self.types["result"]
        tabs = [v for _, v in self.tables().values()]
        v = []
        for node in self.attrs["program"]:
            op = node[0]
            if op == "in":
                r = x[:, int(node[1])]
            elif op == "const":
                r = np.full(len(x), float(node[1]))
            elif op == "add":
                r = v[node[1]] + v[node[2]]
            elif op == "mul":
                r = v[node[1]] * v[node[2]]
            elif op == "neg":
                r = -v[node[1]]
            else:
                r = tabs[int(node[1])][self._index(int(node[1]), v[node[2]])]
            v.append(t.quantize(r))
        return np.stack([v[int(o)] for o in self.attrs["outputs"]], axis=1)

    def cpp_context(self, graph):
        from ..escape import Code

        t = self.types["result"]
        luts = []
        for j, (lut, spec) in enumerate(zip(self.attrs.get("luts", []), self._specs())):
            if spec is None:  # periodic: index_t floors and wraps x * scale onto the n bins
                n = int(lut["n"])
                k = n.bit_length() - 1
                luts.append(dict(struct=f"lut{j}", table=f"lut{j}_", n=n, step_log2=0, periodic=True,
                                 index_t=f"ap_ufixed<{k},{k},AP_TRN,AP_WRAP>", lo_t=PERIOD_SCALE_TYPE.cpp(),
                                 lo=Code("0.0"), scale=Code(cpp_literal(self.period_scale(n)))))
                continue
            lo = float(spec.lo)
            luts.append(dict(struct=f"lut{j}", table=f"lut{j}_", n=spec.n, step_log2=spec.step_log2, periodic=False,
                             index_t=spec.index_type().cpp(), lo_t=exact_constant_type([lo]).cpp(),
                             lo=Code(cpp_literal(lo))))
        body = []
        for k, node in enumerate(self.attrs["program"]):
            op = node[0]
            if op == "in":
                e = f"x[{int(node[1])}]"
            elif op == "const":
                e = cpp_literal(float(t.quantize(np.array([float(node[1])]))[0]))
            elif op == "add":
                e = f"n{int(node[1])} + n{int(node[2])}"
            elif op == "mul":
                e = f"n{int(node[1])} * n{int(node[2])}"
            elif op == "neg":
                e = f"-n{int(node[1])}"
            else:
                j = int(node[1])
                if luts[j]["periodic"]:
                    e = f"lut{j}_table[typename lut{j}::index_t(n{int(node[2])} * lut{j}::scale()).to_uint()]"
                else:
                    e = f"lut{j}_table[nnet::table_index<res_T, lut{j}>(n{int(node[2])})]"
            body.append(Code(f"const res_T n{k} = {e};"))
        for i, o in enumerate(self.attrs["outputs"]):
            body.append(Code(f"y[{i}] = n{int(o)};"))
        return dict(n_in=int(np.prod(graph.tensors[self.inputs[0]].shape)), n_out=len(self.attrs["outputs"]),
                    luts=luts, body=body)
