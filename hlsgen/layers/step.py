"""The Step layer kind (``nnet_step.h``): a piecewise-constant function of each element.

Step
====
y = levels[k], k = the number of ``thresholds`` t_j (ascending) with x > t_j (``strict[j]``)
or x >= t_j (not strict).  The comparisons are exact: each threshold is a constant of an
exact fixed-point type (``threshold``, chosen from the values), and the levels are cast to
the result type (auto: the narrowest type holding every level exactly).  QKeras' binary,
binary_tanh and ternary activation quantizers are Steps (``hlsgen.quantizers``).
Precision keys: ``result``, ``threshold`` (auto, exact).
"""
from __future__ import annotations

import numpy as np

from ..fixed import FixedType, bits_for_range
from .base import Layer, register
from .tables import cpp_literal


def exact_constant_type(values) -> FixedType:
    """The narrowest signed fixed type holding every value exactly (values of a double)."""
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    frac = 0
    while np.any(np.ldexp(v, frac) != np.round(np.ldexp(v, frac))):
        frac += 1
        if frac > 1100:
            raise ValueError(f"values {v} have no exact fixed-point form")
    integer = bits_for_range(min(float(v.min()), 0.0), max(float(v.max()), 0.0), signed=True)
    return FixedType(max(integer + frac, 1), integer, True)


@register
class Step(Layer):
    kind = "Step"
    precision_keys = ("result", "threshold")
    cpp_headers = ("nnet_step.h",)
    cpp_config_tpl = """struct {{ config }} : nnet::step_config {
    static const unsigned n_in = {{ n_in }};
    static const unsigned reuse_factor = {{ reuse_factor }};
    typedef {{ t.threshold }} threshold_t;
    template <class data_T> static unsigned level(data_T x) {
        unsigned k = 0;
{% for thr, op in thresholds %}
        if (x {{ op }} threshold_t({{ thr }})) k = {{ loop.index }};
{% endfor %}
        return k;
    }
    template <class res_T> static res_T value(unsigned k) {
        switch (k) {
{% for v in levels %}
        case {{ loop.index0 }}: return res_T({{ v }});
{% endfor %}
        }
        return res_T(0);
    }
};"""
    cpp_call_tpl = "nnet::step<{{ in_t[0] }}, {{ t.result }}, {{ config }}>({{ ins[0] }}, {{ out }});"

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        thr = [float(t) for t in self.attrs["thresholds"]]
        levels = [float(v) for v in self.attrs["levels"]]
        if len(levels) != len(thr) + 1 or sorted(thr) != thr or len(set(thr)) != len(thr):
            raise ValueError(f"Step layer {self.source_name!r}: needs ascending distinct thresholds and one more "
                             f"level than thresholds, got {thr} and {levels}")
        strict = self.attrs.get("strict", False)
        strict = [bool(v) for v in strict] if isinstance(strict, (list, tuple)) else [bool(strict)] * len(thr)
        if len(strict) != len(thr):
            raise ValueError(f"Step layer {self.source_name!r}: one strict flag per threshold, got {strict}")
        self.attrs.update(thresholds=thr, levels=levels, strict=strict)

    def infer_types(self, in_types, ctx):
        self.types["threshold"] = self.configured("threshold") or exact_constant_type(self.attrs["thresholds"])
        self.types["result"] = self.configured("result") or exact_constant_type(self.attrs["levels"])

    def golden(self, xs):
        x = np.asarray(xs[0], dtype=np.float64)
        thr = self.types["threshold"].quantize(np.asarray(self.attrs["thresholds"]))
        k = np.zeros(x.shape, dtype=np.int64)
        for t, strict in zip(thr, self.attrs["strict"]):
            k += (x > t) if strict else (x >= t)
        return self.types["result"].quantize(np.asarray(self.attrs["levels"])[k])

    def cpp_context(self, graph):
        thr = self.types["threshold"].quantize(np.asarray(self.attrs["thresholds"]))
        return dict(n_in=int(np.prod(graph.tensors[self.inputs[0]].shape)), reuse_factor=self.cfg.reuse_factor,
                    thresholds=[(cpp_literal(t), ">" if st else ">=") for t, st in zip(thr, self.attrs["strict"])],
                    levels=[cpp_literal(v) for v in self.attrs["levels"]])
