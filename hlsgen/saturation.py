"""Saturation and overflow accounting: where the fixed-point network departs from the model.

The C simulation counts, per layer output, the values whose conversion into the layer's
result type overflowed (saturated, or wrapped, whatever the overflow mode) and those
that a nonzero value turned into 0 (underflow).  The counting is done inside hlsgen's
own ap_types (``apx::sat_slot`` in ``ap_common.h``: only conversions into the layer's
result type count) and never changes a value.  The inputs are counted here, in numpy,
with the exact semantics of their type (``hlsgen.fixed``).

``HLSModel.predict`` keeps the table of its last run (``hm.last_saturation``) and warns
once per call (:class:`SaturationWarning`) when a layer overflows on more than
``WARN_FRACTION`` of its values; ``hm.saturation(X)`` returns the table.  Layers whose
type the model itself carries (a QKeras or QONNX quantizer) clip by design, as the
model does: they are listed, marked, and never warned about.  Weights that do not fit
their type are reported at conversion (:func:`weight_table`, :func:`warn_weights`).
"""
from __future__ import annotations

import ctypes
import warnings
from dataclasses import dataclass

import numpy as np

from .csim import abi
from .fixed import FixedType, bits_for_range

WARN_FRACTION = 1e-3  # warn above 0.1 % of a layer's values overflowing


class SaturationWarning(UserWarning):
    """Values saturated or wrapped in the fixed-point network (or weights do not fit their type)."""


@dataclass
class Row:
    name: str  # the model's name for this output (an input, a layer, or layer.weight key)
    kind: str  # 'input', the layer kind, or 'weight'
    type: FixedType
    values: int  # values converted into the type
    overflow: int  # saturated or wrapped
    underflow: int | None  # nonzero values that became 0 (None: not measured, see rails_counted)
    peak: float | None  # largest |value| among the overflowing ones (0.0 if none; None: not measured)
    configured: bool = False  # the type was set in the configuration (calibration cannot change it)
    by_model: bool = False  # the model's own quantizer: clipping is the model's semantics

    @property
    def overflow_fraction(self) -> float:
        return self.overflow / self.values if self.values else 0.0

    @property
    def underflow_fraction(self) -> float | None:
        if self.underflow is None:
            return None
        return self.underflow / self.values if self.values else 0.0

    def needed_type(self) -> FixedType | None:
        """The type of the same width and modes whose integer bits hold ``peak`` (one bit of
        headroom); None when the peak was not measured."""
        t = self.type
        if self.peak is None:
            return None
        if self.peak <= 0:
            return t
        i = bits_for_range(-self.peak if t.signed else 0.0, self.peak, signed=t.signed) + 1
        i = min(max(i, 1 if t.signed else 0), t.width)
        return FixedType(t.width, i, t.signed, t.rounding, t.saturation, t.sat_bits)


class SaturationTable:
    """Per input and layer: values, overflowed (saturated or wrapped) and underflowed counts."""

    def __init__(self, rows: list, samples: int, exact: bool = True):
        self.rows = list(rows)
        self.samples = int(samples)
        self.exact = exact  # False: saturating types counted at their range's ends, no underflow/peak

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, name: str) -> Row:
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)

    def to_dict(self) -> dict:
        return {r.name: dict(kind=r.kind, type=str(r.type), values=r.values, overflow=r.overflow,
                             underflow=r.underflow, overflow_fraction=r.overflow_fraction,
                             underflow_fraction=r.underflow_fraction, peak=r.peak, by_model=r.by_model)
                for r in self.rows}

    def saturating(self, threshold: float = WARN_FRACTION) -> list:
        """Rows that overflow on more than ``threshold`` of their values (model quantizers excluded)."""
        return [r for r in self.rows if r.overflow_fraction > threshold and not r.by_model]

    def __str__(self) -> str:
        head = f"{'name':28s} {'kind':18s} {'type':26s} {'overflow':>9s} {'underflow':>9s}  largest |overflowing value|"
        how = "" if self.exact else " (saturating types: values at either end of their range; hm.saturation(X) is exact)"
        lines = [f"saturation on {self.samples} samples{how}", head]
        for r in self.rows:
            note = "-" if not r.overflow else "?" if r.peak is None else f"{r.peak:.6g}"
            if r.by_model:
                note += "  (the model's quantizer: clips by design)"
            lines.append(f"{_ascii(r.name)[:28]:28s} {r.kind[:18]:18s} {str(r.type)[:26]:26s} "
                         f"{_pct(r.overflow_fraction)} {_pct(r.underflow_fraction)}  {note}")
        return "\n".join(lines)

    __repr__ = __str__

    def warning_text(self, threshold: float = WARN_FRACTION) -> str | None:
        bad = self.saturating(threshold)
        if not bad:
            return None
        parts = [f"{r.name!r} ({r.kind}, {r.type}) {100 * r.overflow_fraction:.3g}% of its values"
                 + (f" (largest |value| {r.peak:.4g})" if r.peak else "") for r in bad]
        auto = [r for r in bad if not r.configured]
        fixed = [r for r in bad if r.configured]
        remedy = []
        if auto:
            remedy.append("convert with calibration_data=<representative inputs>, which fits every 'auto' type "
                          "(inputs included) to the data;")
        sets = [f"{r.name!r}: {r.needed_type()}" for r in bad if r.needed_type() is not None]
        either = "or " if auto else ""
        if sets:
            remedy.append(either + "set the precision (LayerName -> Precision -> result) to e.g. " + ", ".join(sets))
        else:
            remedy.append(either + "set a precision with more integer bits (LayerName -> Precision -> result)")
        if fixed:
            remedy.append(f"({', '.join(repr(r.name) for r in fixed)}: set in the configuration, which calibration "
                          "keeps)")
        return (f"hlsgen: fixed-point values saturated or wrapped on more than {100 * threshold:g}% of the values of "
                f"{len(bad)} layer(s) on this data, so the outputs differ from the model's: "
                + "; ".join(parts) + ". Remedy: " + " ".join(remedy) + ". hm.saturation(X) gives the table.")

    def warn(self, threshold: float = WARN_FRACTION, stacklevel: int = 3):
        text = self.warning_text(threshold)
        if text:
            warnings.warn(text, SaturationWarning, stacklevel=stacklevel)
        return text


def _pct(f) -> str:
    return f"{'-':>9s}" if f is None else f"{100 * f:8.3f}%"


def _ascii(s: str) -> str:
    return "".join(c if c.isprintable() and c.isascii() else "?" for c in str(s))


# ---------------------------------------------------------------------- counting
def count_values(t: FixedType, x) -> tuple:
    """(overflow, underflow, peak) of converting the real values ``x`` to ``t``, exactly."""
    x = np.asarray(x).ravel()
    if x.size == 0:
        return 0, 0, 0.0
    over = under = 0
    peak = 0.0
    if x.min() < t.min_value or x.max() > t.max_value:  # only then can the rounded value leave the range
        xd = x.astype(np.float64)
        r = t._round(xd)
        bad = (r > t.max_raw) | (r < t.min_raw)
        over = int(np.count_nonzero(bad))
        if over:
            peak = float(np.abs(xd[bad]).max())
    lsb2 = 2.0 * t.lsb  # only values with 0 < |x| < 2 LSB can round to 0
    small = (x < lsb2) & (x > -lsb2)
    n_small = int(np.count_nonzero(small))
    if n_small and n_small > int(np.count_nonzero(x == 0)):  # not just zeros
        xs = x[small].astype(np.float64)
        xs = xs[xs != 0]
        under = int(np.count_nonzero(t._round(xs) == 0))
    return over, under, peak


def _model_typed(lay) -> bool:
    p = lay.cfg.precision.get("result", "auto")
    return (p is None or str(p).strip().lower() == "auto") and lay.attrs.get("types", {}).get("result") is not None


def _configured(config, lay) -> bool:
    """Whether the user's configuration sets the result type of ``lay`` (or of a layer it
    absorbed): passes record their own choices in ``lay.cfg``, so the configuration decides."""

    names = (config or {}).get("LayerName") or {}
    kinds = (config or {}).get("LayerType") or {}
    for d in [names.get(n) for n in [lay.source_name] + list(lay.aliases)] + [kinds.get(lay.kind)]:
        p = (d or {}).get("Precision")
        p = p.get("result", "auto") if isinstance(p, dict) else p
        if p is not None and str(p).strip().lower() != "auto":
            return True
    return False


# layers whose outputs are selections or means of their inputs (or zeros): when the result
# type holds every input type's range, nothing can overflow (a value at the end of the range
# is an input's value, not a saturation)
RANGE_KEEPING = ("Pooling1D", "Pooling2D", "GlobalPooling1D", "GlobalPooling2D", "Maximum", "Minimum", "Average",
                 "Concatenate", "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "UpSampling1D",
                 "UpSampling2D")


def cannot_overflow(graph, lay) -> bool:
    t = lay.types.get("result")
    relu = lay.kind == "Activation" and lay.attrs.get("activation") == "relu" and not any(
        lay.attrs.get(k) for k in ("max_value", "negative_slope", "threshold"))
    if t is None or not (lay.kind in RANGE_KEEPING or relu):
        return False
    for name in lay.inputs:
        ti = graph.tensors[name].type
        lo = 0.0 if relu else ti.min_value
        if ti.max_value > t.max_value or lo < t.min_value:
            return False
    return True


def output_name(lay) -> str:
    """The model's name for a layer's output: for a layer that absorbed others, the model
    layer whose output it gives (the last one absorbed, or the model layer an absorbed
    activation was split from, e.g. Dense(activation='relu')); else its own."""
    if lay.aliases:
        return getattr(lay, "model_layer", None) or lay.aliases[-1]
    return lay.source_name


def absorbed(lay) -> list:
    """The model layers ``lay`` absorbed, apart from the one its output answers to."""
    name = output_name(lay)
    return [n for n in [lay.source_name] + list(lay.aliases) if n != name]


def model_output(graph, lay):
    """The framework layer whose output equals ``lay``'s, or None: like ``output_name``,
    except that an activation split off a model layer and kept apart (a softmax, a traced
    ReLU) gives that model layer's output, and the layer it was split from gives the value
    before the activation, which no framework layer outputs."""
    if not lay.aliases and getattr(lay, "model_layer", None):
        return lay.model_layer
    name = output_name(lay)
    if any(not other.aliases and getattr(other, "model_layer", None) == name for other in graph.layers):
        return None
    return name


class Counter:
    """Reads the C simulation's counters (the library's ``hlsgen_sat_*`` entry points)."""

    def __init__(self, lib):
        self.lib = lib
        self.n = 0
        if hasattr(lib, abi.SAT_ENABLE):
            self.n = int(getattr(lib, abi.SAT_ENABLE)(1))
            getattr(lib, abi.SAT_ENABLE)(0)  # on only while run_counted counts

    @property
    def available(self) -> bool:
        return self.n > 0

    def enable(self, on: bool) -> None:
        if self.available:
            getattr(self.lib, abi.SAT_ENABLE)(1 if on else 0)

    def read(self):
        counts = (ctypes.c_ulonglong * (2 * max(self.n, 1)))()
        peak = (ctypes.c_double * max(self.n, 1))()
        if self.available:
            getattr(self.lib, abi.SAT_READ)(counts, peak)
        c = np.frombuffer(counts, dtype=np.uint64).reshape(-1, 2).astype(np.int64)
        return c, np.frombuffer(peak, dtype=np.float64).copy()


def counter(sim) -> Counter:
    c = getattr(sim, "_sat_counter", None)
    if c is None:
        c = sim._sat_counter = Counter(sim.lib)
    return c


EXACT_FLAGS = ("-DHLSGEN_SAT_EXACT",)


def rails_counted(t: FixedType) -> bool:
    """A saturating result type: predict counts its outputs at either end of the range
    (exact overflow counts, underflow and peak need the exact build, ``hm.saturation``)."""
    return t.saturation in ("SAT", "SAT_SYM") and t.sat_bits == 0 and not t.is_int


def exact_simulation(hm):
    """A second C simulation of ``hm``'s project in which every conversion into a layer's
    result type is checked (compiled once, cached like any other)."""
    from .csim import Simulation

    sim = hm._simulation()
    built_for, ex = getattr(hm, "_sat_exact_sim", (None, None))
    if built_for is not sim:  # rebuilt with the plain one (write/compile): the same sources
        # the project's weights (weights sent later through load_weights are not copied)
        ex = Simulation(sim.project, getattr(sim, "ap_types", None), extra_flags=EXACT_FLAGS)
        hm._sat_exact_sim = (sim, ex)
    return ex


#: predict counts on the first this many samples an HLSModel simulates (then its counters
#: stay off: later calls run at full speed): enough to see a 0.1% rate at a cost that does
#: not grow with the data; hm.saturation(X) counts every sample of X, exactly
PREDICT_SAMPLES = 10_000


def _head(X, n):
    return [x[:n] for x in X] if isinstance(X, (list, tuple)) else X[:n]


def _tail(X, n):
    return [x[n:] for x in X] if isinstance(X, (list, tuple)) else X[n:]


def run_counted(hm, sim, X, top, exact: bool = False, limit: int | None = None):
    """(outputs, SaturationTable) of one predict run on ``sim``; ``exact``: ``sim`` is the
    exact build (every count exact, with underflow and peak); ``limit``: count on the first
    ``limit`` samples only (the others run with the counters off)."""
    c = counter(sim)
    if not c.available:
        raise RuntimeError("saturation accounting needs hlsgen's own ap_types headers; this C simulation was "
                           "compiled with other headers (ap_types=...)")
    n_all = len(X[0] if isinstance(X, (list, tuple)) else X)
    c.read()  # clear what earlier runs counted
    c.enable(True)
    try:
        if limit is None or n_all <= limit:
            y = sim.predict(X, top)
            counts, peak = c.read()
        else:
            y1 = sim.predict(_head(X, limit), top)
            counts, peak = c.read()
            c.enable(False)
            y2 = sim.predict(_tail(X, limit), top)
            y = ([np.concatenate([a, b]) for a, b in zip(y1, y2)] if isinstance(y1, list)
                 else np.concatenate([y1, y2]))
            X = _head(X, limit)
    finally:
        c.enable(False)  # the counters run only here: any other run is at full speed
    graph = hm.graph
    xs = list(X) if isinstance(X, (list, tuple)) else [X]
    n = None
    rows = []
    acc = hm.accelerator
    through_top = bool(sim.accelerator) if top is None else bool(top)
    for gi, x in zip(graph.inputs, xs):
        t = graph.tensors[gi.tensor]
        x = np.asarray(x, dtype=np.float64).reshape(-1, t.size)
        n = x.shape[0]
        o1 = u1 = 0
        p1 = 0.0
        if through_top and acc is not None and isinstance(acc.input_type, FixedType):
            o1, u1, p1 = count_values(acc.input_type, x)
            x = acc.input_type.quantize(x)
        o, u, p = count_values(t.type, x)
        configured = gi.name not in getattr(graph, "auto_inputs", ())
        rows.append(Row(gi.source_name, "input", t.type, int(x.size), max(o, o1), u + u1, max(p, p1),
                        configured=configured))
    for k, lay in enumerate(graph.layers, start=1):
        if lay.is_view:
            continue
        size = graph.tensors[lay.outputs[0]].size
        t = lay.types["result"]
        at_rails = not exact and rails_counted(t)
        if at_rails and cannot_overflow(graph, lay):
            counts[k, 0] = 0  # its values at the range's ends are its inputs' (see RANGE_KEEPING)
        rows.append(Row(output_name(lay), lay.kind, t, int(n * size), int(counts[k, 0]),
                        None if at_rails else int(counts[k, 1]), None if at_rails else float(peak[k]),
                        configured=_configured(hm.config, lay), by_model=_model_typed(lay)))
    return y, SaturationTable(rows, n, exact)


# ---------------------------------------------------------------------- weights
def weight_table(graph) -> SaturationTable:
    """Weights against their types: the values that do not fit (saturated or wrapped) and
    the nonzero ones that become 0."""
    rows = []
    for lay in graph.layers:
        for key in lay.weight_vars:
            if key not in lay.weights or key not in lay.types:
                continue
            w = lay.weights[key]
            t = lay.types[key]
            o, u, p = count_values(t, w)
            p_ = lay.cfg.precision.get(key, "auto")
            configured = not (p_ is None or str(p_).strip().lower() == "auto")
            rows.append(Row(f"{output_name(lay)}.{key}", "weight", t, int(w.size), o, u, p, configured=configured))
    return SaturationTable(rows, 1)


def warn_weights(table: SaturationTable, stacklevel: int = 4):
    bad = [r for r in table if r.overflow]
    if not bad:
        return None
    parts = [f"{r.name} ({r.type}): {r.overflow} of {r.values} values ({100 * r.overflow_fraction:.3g}%), largest "
             f"|weight| {r.peak:.4g}, needs e.g. {r.needed_type()}" for r in bad]
    text = ("hlsgen: weights do not fit their configured type (they saturate or wrap): " + "; ".join(parts)
            + ". Remedy: leave their precision 'auto' (it fits the weights) or set a wider one.")
    warnings.warn(text, SaturationWarning, stacklevel=stacklevel)
    return text


# ---------------------------------------------------------------------- summary
def summary(hm) -> str:
    """The model's layers with kinds, shapes, types and (after a predict) saturation fractions."""
    g = hm.graph
    sat = {r.name: r for r in (hm.last_saturation or [])}
    head = f"  {'kind':18s} {'name':28s} {'shape':16s} {'types':60s}"
    if sat:
        head += f" {'overflow':>9s} {'underflow':>9s}"
    rows = [head]

    def cols(name):
        r = sat.get(name)
        if r is None:
            return ""
        return f" {_pct(r.overflow_fraction)} {_pct(r.underflow_fraction)}"

    for gi in g.inputs:
        t = g.tensors[gi.tensor]
        rows.append(f"  {'Input':18s} {_ascii(gi.source_name)[:28]:28s} {str(t.shape):16s} "
                    f"{'result=' + str(t.type):60s}" + cols(gi.source_name))
    for lay in g.layers:
        t = g.tensors[lay.outputs[0]]
        name = output_name(lay)
        if lay.is_view:
            types = "(view: no code)"
        else:
            types = " ".join(f"{k}={lay.types[k]}" for k in ("result", "weight", "bias", "accum") if k in lay.types)
        rows.append(f"  {lay.kind:18s} {_ascii(name)[:28]:28s} {str(t.shape):16s} {types:60s}" + cols(name))
        if lay.aliases:
            rows[-1] += f"  (absorbed: {', '.join(_ascii(n) for n in absorbed(lay))})"
    if hm.last_saturation is not None:
        rows.append(f"  (saturation fractions from the last predict, {hm.last_saturation.samples} samples)")
    return "\n".join(rows)
