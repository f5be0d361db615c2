"""Recurrent layers: SimpleRNN, LSTM and GRU over a (timesteps, features) input.

C++: ``nnet::recurrent`` / ``nnet::recurrent_stream`` in ``nnet_recurrent.h``; the step
of each cell there and the numpy ``golden`` here do the same operations in the same
order, so they agree bit for bit.

Weights (IR layout; the frontends reorder their framework's gates into it)
==========================================================================
``weight`` (n_in, G*u), ``recurrent_weight`` (u, G*u), ``bias`` (G*u), and for GRU
``recurrent_bias`` (G*u) (zero when the framework has none).  Gate blocks of u columns:

* SimpleRNN (G=1): the state.
* LSTM (G=4): input i, forget f, output o, candidate c (Keras stores i, f, c, o).
* GRU (G=3): update z, reset r, candidate h (Keras' order).

One time step (h, c start at zero; every sum is exact in ``accum``, added in the order
bias, inputs ascending, states ascending):

* SimpleRNN: h = act(b + x W + h U)
* LSTM: a = b + x W + h U; i, f, o = ract(a[i, f, o]); g = act(a[c]);
  c = state(f * c + i * g); h = result(o * act(c))
* GRU: ax = b + x W; ah = br + h U (``reset_after``) or br + h U over z, r only;
  z, r = ract(accum(ax + ah)[z, r]);
  reset_after:      hh = act(cand(ax[h] + r * ah[h]))
  not reset_after:  hh = act(cand(ax[h] + br[h] + reset(r * h) U[h]))
  h = result(z * h + (1 - z) * hh)

``act``/``ract`` are Activation layers (``hlsgen.layers.activation``), planned on the
type of their input: table functions (sigmoid over [-8, 8), tanh over [-4, 4),
``table_size`` entries, default 1024) have the documented table error (sigmoid
<= 2.0e-3, tanh <= 3.9e-3 with 1024 entries and fine inputs), the piecewise-linear ones
(hard_sigmoid, relu, linear) are exact up to the final cast.  Over time steps the error
of a bounded cell stays of that order (each step contracts the old state by f or z);
tests/test_recurrent.py measures it against Keras and PyTorch.

Attributes: ``units``, ``activation`` (tanh), ``recurrent_activation`` (sigmoid; LSTM and
GRU), ``return_sequences`` (False: the output is the last h, shape (u,); True: every h,
(T, u)), ``go_backwards`` (read the sequence last step first, as Keras does),
``reverse_output`` (write the returned sequence last step first: Bidirectional's
backward half), ``reset_after`` (GRU, True), ``table_size`` (1024), the activations'
own attributes (``activation_attrs``, ``recurrent_activation_attrs``), ``exact_activations``
(False; True: an 'auto' cell activation result of a piecewise-linear function is its exact
type, as QKeras' float32 cells compute it).

Precision keys and 'auto' (W = width of the context default D):

* ``result``: h. fixed<W, 1, RND, SAT> when the activation bounds h to [-1, 1] (tanh,
  sigmoid, hard_sigmoid, softsign), else D;
* ``weight``, ``recurrent_weight``, ``bias``, ``recurrent_bias``: data-driven as Dense;
* ``accum``: exact for every input in its type's range and every h in ``result``'s;
* ``gate`` (ract's output), ``candidate`` (act's output on the candidate): the
  Activation's auto rules (sigmoid ufixed<W, 0>, tanh fixed<W, 1>, RND/SAT);
* ``state`` (LSTM cell c): RND/SAT, integer bits holding T * max|g| (|c_t| <= t * max|g|),
  the gate's fractional bits;
* ``state_act`` (act(c), LSTM): the Activation's auto rules;
* ``reset_state`` (GRU without reset_after: r * h, exact), ``candidate_accum`` (GRU: the
  candidate's pre-activation, exact; the candidate activation is planned on it; when that
  exact type is wider than 64 bits and the activation is a table without a tail, it keeps
  only the table's step of fractional bits, truncating: the table index floors
  (x - lo) / step, so the index and the result are the same and the C++ stays within
  ap_types' widths);
* ``result_carry``, ``state_carry``: the h and c the next step sees (QKeras'
  ``state_quantizer``); 'auto': ``result`` and ``state`` (nothing is rounded).  With a
  ``state_carry``, 'auto' ``state`` is the exact type of f * c + i * g.

Initial states: inputs after the sequence, h0 (u,) and for LSTM c0 (u,) (PyTorch's hx);
without them the state starts at zero.  The first step sees hc = result_carry(h0) and
c = state(state_carry(c0)), as after any step.  'auto' types then hold them exactly:
``result_carry`` holds ``result`` and h0's type; a GRU's bounded ``result`` gets h0's
integer bits (h is a convex mix of h0 and candidates: |h| <= max(|h0|, 1)); an LSTM's
``state`` bounds |c_t| by |c0| + t * max|g| and keeps c0's fractional bits.

Configuration key ``static`` (hls4ml's; True or False): hls4ml keeps the cell state in
static variables (True) or in arrays of the call (False); both start each sequence from
zero (or the initial states) and compute the same numbers.  hlsgen's kernel holds h (and
c) in arrays of the call, set per sequence, for either value: the key is checked and has
no other effect.

io_parallel: the time loop runs inside the network's pipeline (unrolled there; the
multiplier limit is the per-step products over the reuse factor).  io_stream: one time
step per input beat, and with ``return_sequences`` one output beat per step (the whole
sequence is buffered first only for ``go_backwards``/``reverse_output``); with initial
states io_stream runs the io_parallel kernel in the generic adapter.  Only a
synthesis run reports the interval and resources the tool achieves.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..escape import Code
from ..fixed import FixedType, bits_for_range
from ..templating import render_string
from .activation import Activation
from .base import Layer, register
from .dense import REPROGRAMMABLE_HEADROOM_BITS, WEIGHT_MODES, exact_sum_type, linear_types, matmul_range, weight_type
from .exactness import running_sum
from .plan import mac_plan
from .tables import RND_SAT

BOUNDED = ("tanh", "sigmoid", "hard_sigmoid", "softsign")
#: raw integers of the exact sums stay below 2^RAW_BITS (int64)
RAW_BITS = 62


def _holding(a: FixedType, b: FixedType, **modes) -> FixedType:
    """The narrowest signed type holding every value of ``a`` and of ``b`` (``a``'s modes, or ``modes``)."""
    i = max(a.integer + (not a.signed), b.integer + (not b.signed))
    f = max(a.fractional, b.fractional)
    modes = modes or dict(rounding=a.rounding, saturation=a.saturation)
    return FixedType(i + f, i, True, **modes)


def _big(t: FixedType) -> float:
    """The largest magnitude of type ``t``."""
    return max(abs(t.min_value), abs(t.max_value))


def _raw(v, frac: int) -> np.ndarray:
    """Values on the 2^-frac grid as raw integers: int64, or Python integers (exact: scaling
    a float64 by a power of two is exact) when they do not fit 62 bits."""
    r = np.rint(np.ldexp(np.asarray(v, dtype=np.float64), frac))
    if np.abs(r).max(initial=0) < 2.0**RAW_BITS:
        return r.astype(np.int64)
    return np.array([int(x) for x in r.ravel()], dtype=object).reshape(r.shape)


def cast_exact(out_t: FixedType, *terms) -> np.ndarray:
    """``out_t(sum of terms)`` computed exactly, as ap_fixed does: a term is ``(value, frac)``
    or a product ``((a, frac_a), (b, frac_b))`` of values on those grids.  The sum is
    formed in integers (int64, or Python integers when wider); its bits below ``out_t``'s
    grid are kept as a sticky fraction, so every rounding mode rounds it as the exact
    value.  Exact for results up to 53 bits wide (float64), like ``FixedType.quantize``."""
    def frac(term):
        return term[0][1] + term[1][1] if isinstance(term[0], tuple) else term[1]

    def magnitude(term):
        if isinstance(term[0], tuple):
            return float(np.abs(term[0][0]).max(initial=0)) * float(np.abs(term[1][0]).max(initial=0))
        return float(np.abs(term[0]).max(initial=0))

    F = max(frac(t) for t in terms)
    wide = sum(magnitude(t) for t in terms) * 2.0**F >= 2.0**RAW_BITS
    conv = (lambda r: r.astype(object)) if wide else (lambda r: r)  # noqa: E731
    total = 0
    for term in terms:
        if isinstance(term[0], tuple):
            (a, fa), (b, fb) = term
            r = conv(_raw(a, fa)) * conv(_raw(b, fb))
        else:
            r = conv(_raw(term[0], term[1]))
        total = total + r * (1 << (F - frac(term)))
    d = F - out_t.fractional
    if d <= 0:
        return out_t.quantize(np.ldexp(np.asarray(total, dtype=np.float64), -F))
    q = total >> d
    rem = total - q * (1 << d)
    half = 1 << (d - 1)
    sticky = np.where(rem == 0, 0.0, np.where(rem < half, 0.25, np.where(rem == half, 0.5, 0.75)))
    return out_t.quantize(np.ldexp(np.asarray(q, dtype=np.float64) + sticky, -out_t.fractional))


def _exact_result(act, in_t: FixedType):
    """The type holding every output of a piecewise-linear cell activation exactly (None for
    table functions): ``exact_activations`` (QKeras' float32 cells compute them exactly)."""
    if act.fn == "linear":
        return in_t
    if act.fn == "hard_sigmoid":  # clip(slope * x + offset, 0, 1) in [0, 1]
        return FixedType(act.types["accum"].fractional + 1, 1, False)
    if act.func == "relu":
        return FixedType(in_t.width, in_t.integer, False) if in_t.signed else in_t
    return None


class Recurrent(Layer):
    """The shared part of SimpleRNN, LSTM and GRU."""

    gates = 1
    #: activations of the cell: (name, attribute holding its function, default, n gates)
    cell_activations: tuple = ()
    precision_keys = ("result", "weight", "recurrent_weight", "bias", "recurrent_bias", "accum", "gate",
                      "candidate", "state", "state_act", "result_carry", "state_carry", "reset_state",
                      "candidate_accum")
    weight_vars = {"weight": "w", "recurrent_weight": "wr", "bias": "b", "recurrent_bias": "br"}
    config_keys = ("static",)  # hls4ml's state storage choice; the same arithmetic either way
    cpp_headers = ("nnet_activation.h", "nnet_recurrent.h")
    cell = ""
    cpp_config_tpl = """{{ layer.activation_configs(config) }}
struct {{ config }} : nnet::recurrent_config {
    static const unsigned n_in = {{ n_in }};
    static const unsigned n_units = {{ units }};
    static const unsigned n_timesteps = {{ timesteps }};
    static const unsigned n_gates = {{ gates }};
    static const bool return_sequences = {{ return_sequences }};
    static const bool go_backwards = {{ go_backwards }};
    static const bool reverse_output = {{ reverse_output }};
    static const bool reset_after = {{ reset_after }};
    static const unsigned reuse_factor = {{ reuse_factor }};
{{ plan.cpp_constants() }}
    typedef nnet::{{ cell }} cell;
    typedef {{ t.weight }} weight_t;
    typedef {{ t.recurrent_weight }} recurrent_weight_t;
    typedef {{ t.bias }} bias_t;
    typedef {{ t.recurrent_bias }} recurrent_bias_t;
    typedef {{ t.accum }} accum_t;
    typedef {{ t.gate }} gate_t;
    typedef {{ t.candidate }} candidate_t;
    typedef {{ t.state }} state_t;
    typedef {{ t.state_act }} state_act_t;
    typedef {{ t.result_carry }} result_carry_t;
    typedef {{ t.state_carry }} state_carry_t;
    typedef {{ t.reset_state }} reset_state_t;
    typedef {{ t.candidate_accum }} candidate_accum_t;
{{ layer.activation_calls(config, tb) }}
};"""
    cpp_call_tpl = ("nnet::recurrent{{ '_init' if ins|length > 1 }}<{% for x in in_t %}{{ x }}, {% endfor %}"
                    "{{ t.result }}, {{ config }}>({% for x in ins %}{{ x }}, {% endfor %}{{ out }}, {{ w.weight }}, "
                    "{{ w.recurrent_weight }}, {{ w.bias }}, {{ w.recurrent_bias }});")
    _stream_call_tpl = ("nnet::recurrent_stream<{{ in_stream_t[0] }}, {{ out_stream_t }}, {{ config }}>"
                        "({{ ins[0] }}, {{ out }}, {{ w.weight }}, {{ w.recurrent_weight }}, {{ w.bias }}, "
                        "{{ w.recurrent_bias }});")

    @property
    def cpp_stream_call_tpl(self) -> str:
        """The streaming kernel; with initial states, io_stream runs the io_parallel call (the
        generic adapter: the states are whole tensors read before the first step)."""
        return "" if self.initial_states else self._stream_call_tpl

    @property
    def initial_states(self) -> int:
        """How many initial states are inputs: 0, 1 (h0) or 2 (LSTM: h0, c0)."""
        return len(self.inputs) - 1

    def configure(self, options: dict, implementation) -> None:
        v = options.get("static")
        if v is not None and not isinstance(v, bool):
            raise ValueError(f"{self.kind} layer {self.source_name!r}: static is {v!r}; valid: True, False")
        super().configure(options, implementation)

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        a = self.attrs
        a.setdefault("activation", "tanh")
        a.setdefault("return_sequences", False)
        a.setdefault("go_backwards", False)
        a.setdefault("reverse_output", False)
        a.setdefault("table_size", 1024)
        w, u = self.weights.get("weight"), self.weights.get("recurrent_weight")
        if w is None or u is None or w.ndim != 2 or u.ndim != 2:
            raise ValueError(f"{self.kind} layer {self.source_name!r}: needs 2-D 'weight' and 'recurrent_weight'")
        units = u.shape[0]
        a.setdefault("units", units)
        g = self.gates * units
        if u.shape != (units, g) or w.shape[1] != g or int(a["units"]) != units:
            raise ValueError(f"{self.kind} layer {self.source_name!r}: weight {w.shape} / recurrent_weight {u.shape} "
                             f"do not fit {a['units']} units and {self.gates} gate(s)")
        for key in ("bias", "recurrent_bias"):
            b = self.weights.setdefault(key, np.zeros(g))
            if b.shape != (g,):
                raise ValueError(f"{self.kind} layer {self.source_name!r}: {key} has shape {b.shape}, expected ({g},)")
        # the cell's activations, as Activation layers (their tables, types and goldens)
        self.acts = {}
        for name, attr, default, _ in self.cell_activations:
            fn = a.setdefault(attr, default)
            extra = dict(a.get(f"{attr}_attrs") or {})
            self.acts[name] = Activation(f"{self.name}_{name}", f"{self.source_name}/{name}", ["x"], ["y"],
                                         {"activation": fn, "table_size": a["table_size"], **extra})

    # ------------------------------------------------------------------ shapes
    @property
    def units(self) -> int:
        return int(self.attrs["units"])

    def output_shape(self, in_shapes):
        shape = tuple(in_shapes[0])
        n_in = self.weights["weight"].shape[0]
        if len(shape) != 2 or shape[-1] != n_in:
            raise ValueError(f"{self.kind} layer {self.source_name!r}: expects a (timesteps, {n_in}) input, got {shape}")
        self.attrs["timesteps"] = int(shape[0])  # bounds the LSTM cell state
        most = 2 if self.kind == "LSTM" else 1
        if len(in_shapes) - 1 > most:
            raise ValueError(f"{self.kind} layer {self.source_name!r}: {len(in_shapes) - 1} initial states given; "
                             f"it takes at most {most} ({'h0, c0' if most == 2 else 'h0'})")
        for k, s in enumerate(in_shapes[1:]):
            if tuple(s) != (self.units,):
                raise ValueError(f"{self.kind} layer {self.source_name!r}: initial state {('h0', 'c0')[k]} has "
                                 f"shape {tuple(s)}, expected ({self.units},)")
        return (shape[0], self.units) if self.attrs["return_sequences"] else (self.units,)

    # ------------------------------------------------------------------ types
    def _bounded(self) -> bool:
        """h stays in [-1, 1]: the activation does (LSTM: h = o * act(c); GRU: a convex mix)."""
        return self.acts["activation"].fn in BOUNDED

    def infer_types(self, in_types, ctx):
        x_t = in_types[0]
        d = ctx.default
        h_t = self.configured("result")
        h0_t = in_types[1] if len(in_types) > 1 else None
        if h_t is None:
            h_t = FixedType(d.width, 1, True, **RND_SAT) if self._bounded() else d
            if h0_t is not None and self.kind == "GRU" and self._bounded():  # |h| <= max(|h0|, 1)
                h_t = _holding(h_t, h0_t, **RND_SAT)
        hc_t = self.configured("result_carry")  # the h the next step sees
        if hc_t is None:
            hc_t = h_t if h0_t is None else _holding(h_t, h0_t)  # the initial h0 exactly
        w, u = self.weights["weight"], self.weights["recurrent_weight"]
        wt, bt, _ = linear_types(self, x_t, w, self.weights["bias"], ctx)
        ut = self.configured("recurrent_weight")
        if ut is None:
            ut = weight_type(u, ctx.data_width)
            if not ctx.weights_fixed:
                ut = FixedType(ut.width, ut.integer + REPROGRAMMABLE_HEADROOM_BITS, True, **WEIGHT_MODES)
        br = self.weights["recurrent_bias"]
        rec_frac = hc_t.fractional + ut.fractional
        brt = self.configured("recurrent_bias")
        if brt is None:
            i = bits_for_range(min(br.min(initial=0), 0.0), max(br.max(initial=0), 0.0), signed=True)
            if not ctx.weights_fixed:
                i = max(i, ut.integer) + REPROGRAMMABLE_HEADROOM_BITS
            i = max(i, 1 - rec_frac)
            brt = FixedType(i + rec_frac, i, True, **WEIGHT_MODES)
        at = self.configured("accum")
        if at is None:
            if ctx.weights_fixed:
                lo1, hi1 = matmul_range(x_t, wt.quantize(w), bt.quantize(self.weights["bias"]))
                lo2, hi2 = matmul_range(hc_t, ut.quantize(u), brt.quantize(br))
                lo, hi = lo1 + lo2, hi1 + hi2
            else:
                m = (_big(x_t) * _big(wt) * w.shape[0] + _big(bt) + _big(hc_t) * _big(ut) * u.shape[0]
                     + _big(brt))
                lo, hi = -m, m
            frac = max(x_t.fractional + wt.fractional, rec_frac, bt.fractional, brt.fractional)
            at = exact_sum_type(lo, hi, frac)
        self.types.update(result=h_t, weight=wt, recurrent_weight=ut, bias=bt, recurrent_bias=brt, accum=at,
                          result_carry=hc_t)
        self._infer_cell_types(at, h_t, ctx)
        self.types["state_carry"] = self.configured("state_carry") or self.types["state"]
        self.types.setdefault("reset_state", hc_t)  # GRU's own (the others do not use them)
        self.types.setdefault("candidate_accum", at)
        if self.attrs.get("result_exact") and self.configured("result") is None and \
                self.configured("result_carry") is not None:
            self.types["result"] = self._exact_h()  # (the accumulator reads the carried h only)

    def _exact_h(self) -> FixedType:
        """The type holding the cell's output h exactly (``result_exact``, QKeras)."""
        raise ValueError(f"{self.kind} layer {self.source_name!r}: no exact output type")

    def _act_types(self, name, in_t, result_key, ctx, result=None):
        """Type the cell activation ``name`` on input type ``in_t``; its result is ``result_key``."""
        act = self.acts[name]
        fixed = result or self.configured(result_key)
        act.cfg.precision = {"result": str(fixed) if fixed is not None else "auto"}
        act.in_types = [in_t]
        act.infer_types([in_t], ctx)
        if fixed is None and self.attrs.get("exact_activations"):
            exact = _exact_result(act, in_t)
            if exact is not None:
                act.cfg.precision = {"result": str(exact)}
                act.infer_types([in_t], ctx)
        self.types[result_key] = act.types["result"]
        return act.types["result"]

    def _infer_cell_types(self, at, h_t, ctx):
        raise NotImplementedError

    def tables(self):
        out = {}
        for name, act in self.acts.items():
            for key, val in act.tables().items():
                out[f"{name}_{key}"] = val
        return out

    # ------------------------------------------------------------------ golden
    def _act(self, name, z):
        return self.acts[name].golden([z])

    def _matmul(self, acc_t, start, pairs):
        """Bit-exact ``acc = start; for (x, w) in pairs: for i: acc += x[:, i] * w[i]``."""
        term_frac = max(t.fractional for _, _, t in pairs)
        bound = np.abs(start).max(initial=0) + sum(np.abs(x).max(initial=0) * np.abs(w).sum(axis=0).max(initial=0)
                                                   for x, w, _ in pairs)

        def terms():
            for x, w, _ in pairs:
                for i in range(w.shape[0]):
                    yield x[:, i : i + 1] * w[i]

        return running_sum(acc_t, np.broadcast_to(start, (pairs[0][0].shape[0], start.shape[-1])), terms,
                           term_frac=term_frac, bound=bound, total=lambda: sum(x @ w for x, w, _ in pairs))

    def golden(self, xs):
        x = np.asarray(xs[0], dtype=np.float64)
        n, steps = x.shape[0], x.shape[1]
        q = {k: self.types[k].quantize(self.weights[k]) for k in ("weight", "recurrent_weight", "bias",
                                                                  "recurrent_bias")}
        u = self.units
        h = hc = c = np.zeros((n, u))
        seq = []
        order = range(steps - 1, -1, -1) if self.attrs["go_backwards"] else range(steps)
        hc_t, sc_t = self.types["result_carry"], self.types["state_carry"]
        if len(xs) > 1:  # initial states, as the kernel's initial_h / initial_c set them
            hc = hc_t.quantize(np.asarray(xs[1], dtype=np.float64).reshape(n, u))
        if len(xs) > 2:
            c = self.types["state"].quantize(sc_t.quantize(np.asarray(xs[2], dtype=np.float64).reshape(n, u)))
        for t in order:
            h, c = self._step(x[:, t, :], hc, c, q)
            hc, c = hc_t.quantize(h), sc_t.quantize(c)
            seq.append(h)
        if not self.attrs["return_sequences"]:
            return h
        if self.attrs["reverse_output"]:
            seq = seq[::-1]
        return np.stack(seq, axis=1)

    def _step(self, x, h, c, q):
        raise NotImplementedError

    # ------------------------------------------------------------------ plan and C++
    def _products_per_step(self) -> int:
        n_in = self.weights["weight"].shape[0]
        return (n_in + self.units) * self.gates * self.units

    def plan(self, graph, io_type="io_parallel"):
        steps = int(graph.tensors[self.inputs[0]].shape[0])
        words = sum(int(self.weights[k].size) for k in self.weight_vars)
        return mac_plan(self._products_per_step(), steps, self.cfg.reuse_factor, "latency", words)

    def cpp_context(self, graph):
        shape = graph.tensors[self.inputs[0]].shape
        a = self.attrs
        b = lambda v: "true" if v else "false"  # noqa: E731
        return dict(n_in=int(shape[1]), units=self.units, timesteps=int(shape[0]), gates=self.gates,
                    return_sequences=b(a["return_sequences"]), go_backwards=b(a["go_backwards"]),
                    reverse_output=b(a["reverse_output"]), reset_after=b(a.get("reset_after", True)),
                    reuse_factor=self.cfg.reuse_factor, cell=self.cell)

    def activation_configs(self, config: str) -> Code:
        """The config structs of the cell's activations (``<config>_<name>``)."""
        parts = []
        for name, _, _, n in self.cell_activations:
            act = self.acts[name]
            ctx = act.cpp_context(SimpleNamespace(tensors={"x": SimpleNamespace(shape=(n * self.units,))}))
            parts.append(render_string(act.cpp_config_tpl, config=f"{config}_{name}", layer=act,
                                       t={k: Code(v.cpp()) for k, v in act.types.items()}, **ctx))
        return Code("\n".join(parts))

    def activation_calls(self, config: str, tb: dict) -> Code:
        """Static member functions ``<name>(x, y)`` of the layer config calling each activation."""
        parts = []
        for name, _, _, n in self.cell_activations:
            act = self.acts[name]
            ctx = act.cpp_context(SimpleNamespace(tensors={"x": SimpleNamespace(shape=(n * self.units,))}))
            call = render_string(act.cpp_call_tpl, config=f"{config}_{name}", in_t=["x_T"], t={"result": "y_T"},
                                 ins=["x"], out="y", tb={k: tb[f"{name}_{k}"] for k in act.tables()}, **ctx)
            parts.append(f"    template <class x_T, class y_T> static void {name}(const x_T x[{n * self.units}], "
                         f"y_T y[{n * self.units}]) {{\n        #pragma HLS INLINE\n        {call}\n    }}")
        return Code("\n".join(parts))


@register
class SimpleRNN(Recurrent):
    kind = "SimpleRNN"
    gates = 1
    cell = "simple_rnn_cell"
    cell_activations = (("activation", "activation", "tanh", 1),)

    def _infer_cell_types(self, at, h_t, ctx):
        self._act_types("activation", at, "candidate", ctx, result=h_t)
        self.types.update(gate=h_t, state=h_t, state_act=h_t)

    def _step(self, x, h, c, q):
        z = self._matmul(self.types["accum"], q["bias"], [(x, q["weight"], self.in_types[0]),
                                                           (h, q["recurrent_weight"], self.types["result_carry"])])
        return self._act("activation", z), c


@register
class LSTM(Recurrent):
    kind = "LSTM"
    gates = 4
    cell = "lstm_cell"
    cell_activations = (("recurrent_activation", "recurrent_activation", "sigmoid", 3),
                        ("activation", "activation", "tanh", 1),
                        ("state_activation", "activation", "tanh", 1))

    def _infer_cell_types(self, at, h_t, ctx):
        gate = self._act_types("recurrent_activation", at, "gate", ctx)
        cand = self._act_types("activation", at, "candidate", ctx)
        st = self.configured("state")
        sc = self.configured("state_carry")
        if st is None and sc is not None:  # a quantized carry: f * c + i * g exactly
            m = _big(gate) * (_big(sc) + _big(cand))
            i = bits_for_range(-m, m, signed=True)
            f = max(gate.fractional + sc.fractional, gate.fractional + cand.fractional)
            st = FixedType(i + f, i, True)
        c0_t = self.in_types[2] if len(self.in_types) > 2 else None
        if st is None:  # |c_t| <= |c0| + t * max|g|
            steps = int(self.attrs["timesteps"])
            m = steps * _big(cand) + (_big(sc or c0_t) if c0_t is not None else 0.0)
            i = bits_for_range(-m, m, signed=True)
            f = max(gate.fractional, (sc or c0_t).fractional if c0_t is not None else 0)
            st = FixedType(i + f, i, True, **RND_SAT)
        self.types["state"] = st
        self._act_types("state_activation", st, "state_act", ctx)

    def _exact_h(self):
        g, sa = self.types["gate"], self.types["state_act"]
        return FixedType(g.width + sa.width, g.integer + sa.integer, g.signed or sa.signed)

    def _step(self, x, h, c, q):
        u = self.units
        a = self._matmul(self.types["accum"], q["bias"], [(x, q["weight"], self.in_types[0]),
                                                           (h, q["recurrent_weight"], self.types["result_carry"])])
        g = self._act("recurrent_activation", a[:, : 3 * u])
        i, f, o = g[:, :u], g[:, u : 2 * u], g[:, 2 * u :]
        cand = self._act("activation", a[:, 3 * u :])
        fg, fc, fs = (self.types[k].fractional for k in ("gate", "candidate", "state"))
        c = cast_exact(self.types["state"], ((f, fg), (c, fs)), ((i, fg), (cand, fc)))
        h = cast_exact(self.types["result"], ((o, fg), (self._act("state_activation", c),
                                                         self.types["state_act"].fractional)))
        return h, c


@register
class GRU(Recurrent):
    kind = "GRU"
    gates = 3
    cell = "gru_cell"
    cell_activations = (("recurrent_activation", "recurrent_activation", "sigmoid", 2),
                        ("activation", "activation", "tanh", 1))

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.attrs.setdefault("reset_after", True)

    def _infer_cell_types(self, at, h_t, ctx):
        gate = self._act_types("recurrent_activation", at, "gate", ctx)
        hc, ut, brt = (self.types[k] for k in ("result_carry", "recurrent_weight", "recurrent_bias"))
        # the candidate's pre-activation, exact: |ax + r * ah| <= |ax| + |ah| (one more integer bit)
        i = at.integer + 1
        rs = self.configured("reset_state")
        if self.attrs["reset_after"]:
            rs = rs or hc
            f = at.fractional + gate.fractional
        else:
            rs = rs or FixedType(gate.width + hc.width, gate.integer + hc.integer, gate.signed or hc.signed)
            f = max(at.fractional, rs.fractional + ut.fractional, brt.fractional)
        ca = self.configured("candidate_accum") or FixedType(i + f, i, True)
        self.types.update(reset_state=rs, candidate_accum=ca)
        self._act_types("activation", ca, "candidate", ctx)
        spec = self.acts["activation"].spec
        if not self.configured("candidate_accum") and ca.width > 64 and spec is not None and spec.tail_at is None:
            # a table activation reads floor((x - lo) / 2^s) only: truncated to -s fractional
            # bits the index (so the result) is the same, and the type stays narrow
            narrow = FixedType(i - spec.step_log2, i, True, "TRN", "WRAP")
            if narrow.fractional < f:
                self.types["candidate_accum"] = narrow
                self._act_types("activation", narrow, "candidate", ctx)
                assert self.acts["activation"].spec.step_log2 == spec.step_log2
        self.types.update(state=h_t, state_act=h_t)

    def _exact_h(self):
        g, hc, cand = self.types["gate"], self.types["result_carry"], self.types["candidate"]
        big = max(abs(t.min_value) for t in (hc, cand)) + max(t.max_value for t in (hc, cand))
        i = bits_for_range(-big, big, signed=True)
        f = g.fractional + max(hc.fractional, cand.fractional)
        return FixedType(i + f, i, True)

    def _step(self, x, h, c, q):
        u = self.units
        acc_t, h_t, hc_t = self.types["accum"], self.types["result"], self.types["result_carry"]
        ax = self._matmul(acc_t, q["bias"], [(x, q["weight"], self.in_types[0])])
        ur, br = q["recurrent_weight"], q["recurrent_bias"]
        if self.attrs["reset_after"]:
            ah = self._matmul(acc_t, br, [(h, ur, hc_t)])
        else:
            ah = self._matmul(acc_t, br[: 2 * u], [(h, ur[:, : 2 * u], hc_t)])
        zr = self._act("recurrent_activation", acc_t.quantize(ax[:, : 2 * u] + ah[:, : 2 * u]))
        z, r = zr[:, :u], zr[:, u:]
        fa, fg, fh = acc_t.fractional, self.types["gate"].fractional, hc_t.fractional
        ca_t, rs_t = self.types["candidate_accum"], self.types["reset_state"]
        if self.attrs["reset_after"]:
            pre = cast_exact(ca_t, (ax[:, 2 * u :], fa), ((r, fg), (ah[:, 2 * u :], fa)))
        else:
            rh = cast_exact(rs_t, ((r, fg), (h, fh)))
            ahh = self._matmul(ca_t, br[2 * u :], [(rh, ur[:, 2 * u :], rs_t)])
            pre = cast_exact(ca_t, (ax[:, 2 * u :], fa), (ahh, ca_t.fractional))
        hh = self._act("activation", pre)
        fc = self.types["candidate"].fractional
        return cast_exact(h_t, ((z, fg), (h, fh)), ((1.0 - z, fg), (hh, fc))), c
