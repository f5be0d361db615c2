"""Symbolic expressions (e.g. PySR's symbolic regression results) -> an IR graph of one
Expression layer (``hlsgen.layers.expression``).

The expressions are SymPy expressions or strings SymPy parses, of the symbols x0, x1, ...
(the elements of one input vector).  Supported: numbers, + and -, * (a product of factors),
integer powers >= 0 (repeated products), and calls of the lookup-table functions the
caller defines (``lut_functions``: name -> math_func, range_start, range_end, table_size;
(range_end - range_start) / table_size must be a power of two, so the table index is exact),
and hls4ml's built-in ``sin_lut`` / ``cos_lut`` when lut_functions does not define them (with
``use_built_in_lut_functions=True`` also ``sin`` / ``cos``): periodic tables of one period
2*pi in 1024 bins (hls4ml's own built-ins are octant tables: the same functions, not the
same bits).
Everything else -- division, fractional or negative powers, and functions that are not
lookup tables (hls4ml evaluates those with the HLS math library, whose results depend on
the tool) -- is refused naming the term.  SymPy is needed (an optional dependency).
"""
from __future__ import annotations

import math
import re

from ..ir.graph import Graph, GraphInput
from ..layers import LAYER_KINDS
from ..layers.expression import FUNCTIONS

SYMBOL = re.compile(r"^x(\d+)$")
# hls4ml's built-in lookup-table functions (used when lut_functions does not define the name;
# with use_built_in_lut_functions also for sin and cos): one period in BUILT_IN_SIZE bins
BUILT_IN = {"sin_lut": "sin", "cos_lut": "cos"}
BUILT_IN_SIZE = 1024


def _sympy():
    try:
        import sympy
    except ImportError:
        raise ImportError("convert_from_symbolic_expression needs SymPy: pip install sympy") from None
    return sympy


def lut_specs(lut_functions) -> dict:
    """name -> lookup-table attributes (``luts`` entries of the Expression layer), checked."""
    out = {}
    for name, p in (lut_functions or {}).items():
        where = f"lut_functions[{name!r}]"
        if not isinstance(p, dict):
            raise ValueError(f"{where} must be a mapping with math_func, range_start, range_end, table_size")
        missing = [k for k in ("math_func", "range_start", "range_end", "table_size") if k not in p]
        if missing:
            raise ValueError(f"{where}: missing {', '.join(missing)}")
        func = str(p["math_func"])
        if func not in FUNCTIONS:
            raise ValueError(f"{where}: math_func {func!r} is not supported; supported: {', '.join(FUNCTIONS)}")
        lo, hi, n = float(p["range_start"]), float(p["range_end"]), p["table_size"]
        if isinstance(n, bool) or not isinstance(n, int) or n < 1 or not hi > lo:
            raise ValueError(f"{where}: needs range_start < range_end and a positive integer table_size")
        step = (hi - lo) / n
        s = math.frexp(step)
        if s[0] != 0.5:
            raise ValueError(f"{where}: the bin width (range_end - range_start) / table_size = {step:g} is not a "
                             "power of two (e.g. range -4..4 with 2048 entries); the table index is exact only then")
        out[name] = dict(name=name, func=func, lo=lo, step_log2=s[1] - 1, n=n)
    return out


class _Program:
    def __init__(self, luts: dict, use_built_in: bool):
        self.nodes, self.memo, self.luts = [], {}, dict(luts)
        self.lut_order = []
        self.use_built_in = use_built_in

    def _lut_name(self, name: str):
        """The table a function name calls, or None."""
        if name in self.luts:
            return name
        if self.use_built_in and name + "_lut" in BUILT_IN and name + "_lut" not in self.luts:
            name += "_lut"
        if name in BUILT_IN:
            self.luts[name] = dict(name=name, func=BUILT_IN[name], n=BUILT_IN_SIZE, periodic=True)
            return name
        return None

    def emit(self, node) -> int:
        key = tuple(node)
        if key not in self.memo:
            self.memo[key] = len(self.nodes)
            self.nodes.append(key)
        return self.memo[key]

    def fold(self, op, args) -> int:
        acc = args[0]
        for a in args[1:]:
            acc = self.emit((op, acc, a))
        return acc

    def lower(self, e, sp, n_symbols: int) -> int:
        if e.is_Symbol:
            m = SYMBOL.match(e.name)
            if not m:
                raise ValueError(f"symbol {e.name!r}: the inputs are x0, x1, ... (one input vector)")
            i = int(m.group(1))
            if i >= n_symbols:
                raise ValueError(f"symbol {e.name!r}: n_symbols is {n_symbols}, so the inputs are x0..x{n_symbols - 1}")
            return self.emit(("in", i))
        if e.is_Number:
            if not e.is_real or not e.is_finite:
                raise ValueError(f"constant {e}: only finite real numbers are supported")
            return self.emit(("const", float(e)))
        if e.is_Add:
            return self.fold("add", [self.lower(a, sp, n_symbols) for a in e.args])
        if e.is_Mul:
            return self.fold("mul", [self.lower(a, sp, n_symbols) for a in e.args])
        if e.is_Pow:
            base, ex = e.args
            if not (ex.is_Integer and int(ex) >= 0):
                what = "a division" if ex.is_negative else "a fractional power"
                raise ValueError(f"term {e}: {what} is not supported (only integer powers >= 0)")
            if int(ex) == 0:
                return self.emit(("const", 1.0))
            b = self.lower(base, sp, n_symbols)
            return self.fold("mul", [b] * int(ex))
        if isinstance(e, sp.core.function.AppliedUndef) or e.is_Function:
            name = self._lut_name(type(e).__name__)
            if name is not None:
                if len(e.args) != 1:
                    raise ValueError(f"term {e}: lookup-table function {name!r} takes one argument")
                if name not in self.lut_order:
                    self.lut_order.append(name)
                return self.emit(("lut", self.lut_order.index(name), self.lower(e.args[0], sp, n_symbols)))
            name = type(e).__name__
            raise ValueError(f"function {name!r} in {e}: only lookup-table functions (lut_functions, or the built-in "
                             "sin_lut / cos_lut) are supported; "
                             f"define one, e.g. lut_functions={{'{name}_lut': {{'math_func': '{name}', "
                             "'range_start': -4, 'range_end': 4, 'table_size': 1024}}")
        raise ValueError(f"term {e} ({type(e).__name__}) is not supported")


def parse_symbolic_expressions(expr, n_symbols=None, lut_functions=None, use_built_in_lut_functions=False) -> Graph:
    """The graph of ``expr`` (one expression or a list): input 'x' of n_symbols elements,
    one Expression layer with one output element per expression."""
    sp = _sympy()
    exprs = list(expr) if isinstance(expr, (list, tuple)) else [expr]
    if not exprs:
        raise ValueError("no expression given")
    parsed = []
    for e in exprs:
        if isinstance(e, str):
            try:
                e = sp.parsing.sympy_parser.parse_expr(e)
            except Exception as err:  # noqa: BLE001  (SymPy raises many kinds)
                raise ValueError(f"expression {e!r} cannot be parsed: {err}") from None
        if not isinstance(e, sp.Expr):
            raise ValueError(f"expression {e!r} is not a SymPy expression or a string")
        parsed.append(e)
    if n_symbols is None:
        idx = [int(m.group(1)) for e in parsed for s in e.free_symbols if (m := SYMBOL.match(s.name))]
        n_symbols = max(idx, default=0) + 1
    if isinstance(n_symbols, bool) or not isinstance(n_symbols, int) or n_symbols < 1:
        raise ValueError(f"n_symbols must be a positive integer, got {n_symbols!r}")
    luts = lut_specs(lut_functions)
    prog = _Program(luts, bool(use_built_in_lut_functions))
    outputs = []
    for e in parsed:
        try:
            outputs.append(prog.lower(e, sp, n_symbols))
        except ValueError as err:
            raise ValueError(f"expression {str(e)!r}: {err}") from None
    g = Graph("symbolic")
    gi = GraphInput("x", "x", "x_in")
    g.add_input(gi, (n_symbols,))
    layer = LAYER_KINDS["Expression"]("expression", "expression", [gi.tensor], ["expression_out"],
                                      dict(program=[list(n) for n in prog.nodes], outputs=outputs,
                                           luts=[prog.luts[n] for n in prog.lut_order],
                                           expressions=[str(e) for e in parsed]))
    g.add_tensor("expression_out", layer.output_shape([(n_symbols,)]))
    g.add_layer(layer)
    g.outputs = ["expression_out"]
    return g
