"""Activation, PReLU, Softmax and BatchNormalization: C++ vs golden (bit-exact) and
golden vs the float (Keras) functions (documented tolerances).

All cases go into one C++ program per header set (ours, and Xilinx's when found), so
the module compiles at most twice.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

from hlsgen.fixed import parse_type
from hlsgen.layers.activations import Activation, BatchNormalization, PReLU, Softmax, float_activation

from cpp_harness import LayerCase, as_samples, build_program, grid_values, gxx, our_ap_types, xilinx_ap_types

IN_TYPES = ["fixed<16,6>", "fixed<8,3>", "ufixed<10,4>", "fixed<24,10,RND,SAT>"]
FUNCS = [
    ("linear", {}), ("relu", {}), ("relu6", {}), ("leaky_relu", {}), ("elu", {}), ("selu", {}),
    ("sigmoid", {}), ("hard_sigmoid", {"variant": "keras3"}), ("hard_sigmoid", {"variant": "tf_keras"}),
    ("tanh", {}), ("softplus", {}), ("softsign", {}), ("swish", {}), ("silu", {}), ("exponential", {}),
    ("gelu", {}), ("gelu", {"approximate": True}), ("threshold", {"threshold": 1.0, "value": 0.0}),
]

# |golden - float| bounds with 1024-entry tables (documented in activations.py), on top of
# one LSB of the table and result types; exponential is relative.
TABLE_TOL = {
    "sigmoid": 0.0023, "tanh": 0.0046, "softplus": 0.0082, "swish": 0.0115,
    "gelu": 0.0046, "elu": 0.0043, "selu": 0.0075, "exponential": 0.0079,
}


def _tag(s):
    return s.replace("<", "").replace(">", "").replace(",", "_")


def make_cases():
    rng = np.random.default_rng(1234)
    cases = []

    def act(cid, attrs, in_type, shape=(8,), precision=None, default="fixed<16,6>", special=(), count=1600):
        t = parse_type(in_type)
        x = as_samples(grid_values(t, rng, count, special), shape)
        cases.append(LayerCase(cid, Activation, attrs, in_type, shape, precision=precision or {}, default=default, x=x))

    special = (-16, -8, -6, -4, -3, -2.5, -1, -0.5, 0.5, 1, 2.5, 3, 4, 6, 8, 16)
    for fn, extra in FUNCS:
        for it in IN_TYPES:
            name = fn + "".join(f"_{v}" for v in extra.values())
            act(f"{name}-{_tag(it)}", dict(activation=fn, **extra), it, special=special)
    # Keras ReLU parameters
    act("relu_all", dict(activation="relu", max_value=4.5, negative_slope=0.1, threshold=0.5), "fixed<16,6>", special=special)
    act("relu_negthr", dict(activation="relu", threshold=-1.0), "fixed<16,6>", special=special)
    act("relu_negthr_max", dict(activation="relu", threshold=-1.0, max_value=2.0), "fixed<12,4>", special=special)
    act("relu6_slope", dict(activation="relu6", negative_slope=0.2), "fixed<8,3>")
    act("relu_thr03_slope", dict(activation="relu", threshold=0.3, negative_slope=0.25), "fixed<16,6>", special=special)
    act("leaky_001", dict(activation="leaky_relu", alpha=0.01), "fixed<16,6>")
    # the negative side floored (QKeras quantized_relu with a negative slope)
    act("leaky_floor", dict(activation="leaky_relu", alpha=0.25, min_value=-1.0), "fixed<16,6>", special=special,
        precision=dict(result="fixed<6,3,RND_CONV,SAT>"))
    act("relu_slope_floor", dict(activation="relu", negative_slope=0.5, threshold=0.5, min_value=-2.5), "fixed<12,5>",
        special=special)
    # PyTorch nn.Threshold: y = x > threshold ? x : value
    f32_03 = float(np.float32(0.3))  # as PyTorch's export carries it: 24 fractional bits
    act("thr_f32_03_neg", dict(activation="threshold", threshold=f32_03, value=-2.5), "fixed<16,6>", special=special)
    act("thr_neg_value", dict(activation="threshold", threshold=-1.0, value=0.75), "fixed<8,3>", special=special)
    act("thr_tiny_pos", dict(activation="threshold", threshold=1e-12, value=-0.5), "fixed<16,6>", special=special)
    act("thr_tiny_neg", dict(activation="threshold", threshold=-1e-12, value=3.0), "fixed<12,4>", special=special)
    act("thr_value_rounded", dict(activation="threshold", threshold=0.5, value=0.1), "fixed<16,6>", special=special,
        precision=dict(result="fixed<8,3,RND,SAT>"))
    act("thr_value_wraps", dict(activation="threshold", threshold=0.5, value=100.0), "fixed<16,6>", special=special,
        precision=dict(result="fixed<8,3>"))
    act("thr_bound_cfg", dict(activation="threshold", threshold=0.3, value=-0.3), "fixed<16,6>", special=special,
        precision=dict(bound="fixed<8,2,RND,SAT>"))
    # configured / narrow result types, small tables, other defaults
    act("relu_wrap8", dict(activation="relu"), "fixed<16,6>", precision=dict(result="fixed<8,3>"))
    act("linear_sat8", dict(activation="linear"), "fixed<16,6>", precision=dict(result="fixed<8,3,RND,SAT>"))
    act("sigmoid_res8", dict(activation="sigmoid"), "fixed<16,6>", precision=dict(result="ufixed<8,0,RND,SAT>"))
    act("tanh_tab64", dict(activation="tanh", table_size=64), "fixed<16,6>")
    act("softsign_tab16", dict(activation="softsign", table_size=16), "fixed<16,6>")  # step 2: s > 0
    act("elu_a05_def8", dict(activation="elu", alpha=0.5), "fixed<16,6>", default="fixed<8,3>")
    act("sigmoid_table_t", dict(activation="sigmoid"), "fixed<16,6>", precision=dict(table="ufixed<10,0,RND,SAT>"))
    act("hs_def8", dict(activation="hard_sigmoid"), "fixed<8,3>", default="fixed<8,2>")
    act("exp_def8", dict(activation="exponential"), "fixed<10,4>", default="fixed<8,4>")
    act("relu_4d", dict(activation="relu"), "fixed<16,6>", shape=(2, 3, 2))

    # PReLU
    for cid, shape, alpha in [
        ("prelu_1d", (6,), rng.uniform(-0.5, 0.9, size=(6,))),
        ("prelu_chan", (4, 3), rng.uniform(0, 0.5, size=(1, 3))),
        ("prelu_full", (4, 3), rng.uniform(0, 0.5, size=(4, 3))),
    ]:
        for it in ("fixed<16,6>", "fixed<8,3>"):
            t = parse_type(it)
            x = as_samples(grid_values(t, rng, 1200), shape)
            cases.append(LayerCase(f"{cid}-{_tag(it)}", PReLU, {}, it, shape, weights=dict(alpha=alpha), x=x))

    # BatchNormalization
    for cid, shape in [("bn_1d", (5,)), ("bn_2d", (3, 4))]:
        c = shape[-1]
        w = dict(scale=rng.uniform(-3, 3, size=c), bias=rng.uniform(-2, 2, size=c))
        for it in ("fixed<16,6>", "fixed<8,3>", "ufixed<12,4>"):
            t = parse_type(it)
            x = as_samples(grid_values(t, rng, 1200), shape)
            cases.append(LayerCase(f"{cid}-{_tag(it)}", BatchNormalization, {}, it, shape, weights=w, x=x))
    w = dict(scale=np.array([1e-3, 250.0, -0.7]), bias=np.array([100.0, -0.001, 0.0]))
    x = as_samples(grid_values(parse_type("fixed<16,6>"), rng, 900), (3,))
    cases.append(LayerCase("bn_extreme", BatchNormalization, {}, "fixed<16,6>", (3,), weights=w, x=x))
    cases.append(LayerCase("bn_narrow_res", BatchNormalization, {}, "fixed<16,6>", (3,), weights=w, x=x,
                           precision=dict(result="fixed<10,4,RND,SAT>", accum="fixed<20,8>")))

    # Softmax
    def smx(cid, in_type, shape, scale, n=300, precision=None, default="fixed<16,6>", attrs=None):
        t = parse_type(in_type)
        raw = np.round(rng.normal(0, scale, size=(n,) + shape) / t.lsb)
        x = t.quantize(raw * t.lsb)
        k = shape[-1]
        # ties, near ties, extremes
        x[0] = 0.0
        x[1] = t.max_value
        x[2] = t.min_value
        x[3] = t.quantize(np.linspace(t.min_value, t.max_value, k))
        if k > 1:
            x[4, ..., 0] = t.max_value
            x[4, ..., 1] = t.min_value
            x[5] = t.quantize(x[5])
            x[5, ..., -1] = x[5].max(axis=-1)  # tie with the max at the end
            x[6, ..., 1:] = x[6, ..., :1] - t.lsb  # near tie, one LSB
        cases.append(LayerCase(cid, Softmax, attrs or {}, in_type, shape, precision=precision or {}, default=default, x=x))

    for n in (2, 5, 10, 64):
        smx(f"softmax_n{n}", "fixed<16,6>", (n,), 4.0)
    smx("softmax_wide_5000", "fixed<24,14>", (10,), 2500.0)
    smx("softmax_wide_small", "fixed<24,14>", (10,), 1.0)
    smx("softmax_n1", "fixed<16,6>", (1,), 4.0)
    smx("softmax_8bit", "fixed<8,3>", (5,), 2.0)
    smx("softmax_unsigned", "ufixed<10,4>", (7,), 6.0)
    smx("softmax_2d", "fixed<16,6>", (3, 8), 3.0)
    smx("softmax_fine", "fixed<20,2>", (16,), 0.01)
    smx("softmax_res8", "fixed<16,6>", (6,), 3.0, default="fixed<8,3>")
    smx("softmax_tables", "fixed<16,6>", (12,), 3.0, attrs=dict(exp_table_size=256, inv_table_size=128),
        precision=dict(exp_table="ufixed<14,1,RND,SAT>", inv_table="ufixed<12,0,RND,SAT>"))
    smx("softmax_accum_narrow", "fixed<16,6>", (12,), 1.0, precision=dict(accum="ufixed<12,3,TRN,SAT>"))
    return cases


CASES = make_cases()
CASE_IDS = [c.id for c in CASES]
for _c in CASES:
    _c.build()


def _in_xilinx_subset(case):
    """Xilinx's headers compile 3x slower than ours: by default they check one input type
    per function plus every PReLU/BN/Softmax case; HLSGEN_TEST_XILINX=all checks all."""
    if os.environ.get("HLSGEN_TEST_XILINX", "") == "all":
        return True
    return case.cls is not Activation or case.id.endswith("fixed16_6") or "-" not in case.id


_RESULTS = {}


def _cpp_results(hset, tmp_path_factory):
    """Run every case of one header set in one compiled program (cached per module)."""
    if hset not in _RESULTS:
        if gxx() is None:
            pytest.skip("g++ not installed")
        inc = our_ap_types() if hset == "ours" else xilinx_ap_types()
        if inc is None:
            pytest.skip(f"{hset} ap_types not found")
        cases = CASES if hset == "ours" else [c for c in CASES if _in_xilinx_subset(c)]
        work = tmp_path_factory.mktemp(f"act_{hset}")
        _RESULTS[hset] = build_program(cases, work, inc).run(work / "data")
    return _RESULTS[hset]


_PAIRS = [("ours", c) for c in CASES] + [("xilinx", c) for c in CASES if _in_xilinx_subset(c)]


@pytest.mark.parametrize("hset,case", _PAIRS, ids=[f"{h}-{c.id}" for h, c in _PAIRS])
def test_cpp_matches_golden(hset, case, tmp_path_factory):
    got = _cpp_results(hset, tmp_path_factory)[case.id]
    want = case.golden()
    np.testing.assert_array_equal(got, want, err_msg=f"{case.id}: types {case.layer.types}")


# ------------------------------------------------------------------ golden vs float
def _act_cases():
    """Activation cases with the default table (the accuracy bounds are documented for it)."""
    return [c for c in CASES if c.cls is Activation and not (
        c.layer.attrs.get("table_size", 1024) != 1024 or "table" in c.precision or "table_range" in c.layer.attrs)]


@pytest.mark.parametrize("case", _act_cases(), ids=[c.id for c in _act_cases()])
def test_activation_vs_float(case):
    lay = case.layer
    x = case.x
    g = case.golden()
    f = float_activation(lay.fn, x, lay.attrs)
    res = lay.types["result"]
    inside = (f >= res.min_value) & (f <= res.max_value)
    if lay.recip is not None:  # softsign: reciprocal table, relative error
        tol = 4.9e-4 * np.abs(f) + 4 * lay.types["table"].lsb + 2 * res.lsb
    elif lay.spec is None:
        # exact arithmetic: the result rounding plus the constants' quantization
        sl = lay.types["slope"]
        tol = res.lsb + sl.lsb * np.abs(x).max() + lay.types["bound"].lsb
    else:
        tol = TABLE_TOL[lay.fn] + lay.types["table"].lsb + res.lsb
        if lay.fn == "exponential":
            tol = TABLE_TOL["exponential"] * np.abs(f) + lay.types["table"].lsb + res.lsb
    err = np.where(inside, np.abs(g - f), 0.0)
    assert (err <= tol).all(), f"{case.id}: max error {err.max():.3g} > tolerance at x={x.reshape(-1)[np.argmax(err)]}"


def test_table_accuracy_summary(report):
    """Measured worst errors for fixed<16,6> inputs (the numbers in the report)."""
    rows = []
    for c in _act_cases():
        if c.in_type != "fixed<16,6>" or c.precision or c.default != "fixed<16,6>":
            continue
        if c.layer.spec is None and c.layer.recip is None:
            continue
        if c.layer.attrs.get("table_size") != 1024:
            continue
        t = c.in_t
        x = t.from_raw(np.arange(t.min_raw, t.max_raw + 1))[:, None]
        g = c.layer.golden([x])
        f = float_activation(c.layer.fn, x, c.layer.attrs)
        res = c.layer.types["result"]
        m = (f >= res.min_value) & (f <= res.max_value)
        err = np.abs(g - f)[m]
        if c.layer.fn == "exponential":
            err = (np.abs(g - f) / np.maximum(f, res.lsb))[m & (f > 0.5)]
        if c.layer.recip is not None:
            rel = (np.abs(g - f) / np.maximum(np.abs(f), 1e-300))[m & (np.abs(f) > 0.01)]
            rows.append((c.id, 1024, 1.0, 2.0**-10, float(err.max())))
            assert err.max() <= 4.9e-4 + 3 * res.lsb and rel.max() <= 4.9e-4 + 0.01
            continue
        rows.append((c.id, c.layer.spec.n, c.layer.spec.lo, c.layer.spec.step, float(err.max())))
        assert err.max() <= TABLE_TOL[c.layer.fn] + c.layer.types["table"].lsb + res.lsb
    report("\n" + "\n".join("  %-28s n=%5d lo=%8.4f step=%.6f max_err=%.2e" % r for r in rows))


def _softmax_float(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _smx_cases():
    return [c for c in CASES if c.cls is Softmax]


@pytest.mark.parametrize("case", _smx_cases(), ids=[c.id for c in _smx_cases()])
def test_softmax_vs_float_and_order(case):
    x = case.x
    g = case.golden()
    f = _softmax_float(x)
    res = case.layer.types["result"]
    default_tables = not case.precision and not case.layer.attrs.get("exp_table_size", 1024) != 1024
    if default_tables:
        err = np.abs(g - f) - np.minimum(f, res.max_value) * 1e-3
        assert err.max() <= 2 * res.lsb, f"{case.id}: max |err| - 1e-3 * f = {err.max():.3g}"
    # the maximum input always gets a maximal output
    x2, g2 = x.reshape(-1, x.shape[-1]), g.reshape(-1, x.shape[-1])
    top = x2.argmax(axis=1)
    assert (g2[np.arange(len(top)), top] == g2.max(axis=1)).all()
    # monotone: larger input, output not smaller
    order = np.argsort(x2, axis=1, kind="stable")
    gs = np.take_along_axis(g2, order, axis=1)
    assert (np.diff(gs, axis=1) >= 0).all()
    if default_tables and res.width >= 16:
        # argmax agreement whenever the runner-up is clearly below the maximum
        xs = np.sort(x2, axis=1)
        clear = (xs[:, -1] - xs[:, -2] > 0.01) if x2.shape[1] > 1 else np.ones(len(x2), bool)
        assert (g2.argmax(axis=1)[clear] == top[clear]).all()


def test_softmax_relative_error_measured(report):
    """1e-3 relative accuracy for outputs above 1e-2, over a huge input range."""
    rng = np.random.default_rng(7)
    for in_type, scale in (("fixed<16,6>", 3.0), ("fixed<24,14>", 2000.0), ("fixed<24,14>", 2.0)):
        c = LayerCase("m", Softmax, {}, in_type, (10,))
        c.build()
        t = c.in_t
        x = t.quantize(rng.normal(0, scale, size=(4000, 10)))
        g = c.layer.golden([x])
        f = _softmax_float(x)
        m = f > 1e-2
        rel = (np.abs(g - f) / np.maximum(f, 1e-300))[m].max()
        rel1 = (np.abs(g - f) / np.maximum(f, 1e-300))[f > 0.1].max()
        report(f"\n  softmax {in_type} scale {scale}: max rel err (f > 0.01) {rel:.2e}, (f > 0.1) {rel1:.2e}, "
               f"max abs {np.abs(g - f).max():.2e}")
        assert rel1 < 1e-3
        assert rel < 1e-3 + 2 * c.layer.types["result"].lsb / 1e-2
        assert (g.argmax(axis=1) == x.argmax(axis=1)).mean() >= 0.999


def test_float_functions_match_keras():
    keras = pytest.importorskip("keras")
    x = np.linspace(-9, 9, 721).astype(np.float32)
    ops = keras.activations
    pairs = [
        ("sigmoid", {}, ops.sigmoid), ("tanh", {}, ops.tanh), ("softplus", {}, ops.softplus),
        ("softsign", {}, ops.softsign), ("swish", {}, ops.silu), ("elu", {}, ops.elu), ("selu", {}, ops.selu),
        ("exponential", {}, ops.exponential), ("hard_sigmoid", {"variant": "keras3"}, ops.hard_sigmoid),
        ("gelu", {}, lambda v: ops.gelu(v, approximate=False)),
        ("gelu", {"approximate": True}, lambda v: ops.gelu(v, approximate=True)),
        ("relu", {"max_value": 4.5, "negative_slope": 0.1, "threshold": 0.5},
         lambda v: ops.relu(v, negative_slope=0.1, max_value=4.5, threshold=0.5)),
        ("relu", {"threshold": -1.0}, lambda v: ops.relu(v, threshold=-1.0)),
        ("relu", {"threshold": -1.0, "max_value": 2.0}, lambda v: ops.relu(v, threshold=-1.0, max_value=2.0)),
        ("leaky_relu", {"alpha": 0.3}, lambda v: ops.leaky_relu(v, negative_slope=0.3)),
    ]
    for fn, attrs, kf in pairs:
        want = np.asarray(kf(keras.ops.convert_to_tensor(x)), dtype=np.float64)
        got = float_activation(fn, x.astype(np.float64), attrs)
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6, err_msg=fn)
    # tf_keras hard_sigmoid is 0.2 x + 0.5 clipped
    got = float_activation("hard_sigmoid", np.array([-3.0, -1.0, 0.0, 1.0, 2.5]), {"variant": "tf_keras"})
    np.testing.assert_allclose(got, [0.0, 0.3, 0.5, 0.7, 1.0])


def test_auto_types():
    def typ(attrs, key="result", default="fixed<16,6>", in_type="fixed<16,6>"):
        c = LayerCase("t", Activation, attrs, in_type, (4,), default=default)
        return str(c.build().types[key])

    assert typ(dict(activation="sigmoid")) == "ufixed<16,0,RND,SAT>"
    assert typ(dict(activation="tanh")) == "fixed<16,1,RND,SAT>"
    assert typ(dict(activation="hard_sigmoid")) == "ufixed<16,1,RND,SAT>"
    assert typ(dict(activation="relu")) == "ufixed<16,5>"
    assert typ(dict(activation="relu6")) == "ufixed<16,3>"
    assert typ(dict(activation="leaky_relu")) == "fixed<16,6>"
    assert typ(dict(activation="elu")) == "fixed<16,6>"
    assert typ(dict(activation="sigmoid"), "table") == "ufixed<16,0,RND,SAT>"
    assert typ(dict(activation="threshold", threshold=1.0)) == "ufixed<16,5>"
    assert typ(dict(activation="threshold", threshold=1.0, value=-1.0)) == "fixed<16,6>"
    assert typ(dict(activation="threshold", threshold=-1.0)) == "fixed<16,6>"
    # exact float32 0.3 (24 fractional bits), floored otherwise; never coarser than the input
    assert typ(dict(activation="threshold", threshold=float(np.float32(0.3))), "bound") == "fixed<25,1,TRN,SAT>"
    assert typ(dict(activation="threshold", threshold=2.0, value=-0.5), "bound") == "fixed<15,3,TRN,SAT>"
    assert typ(dict(activation="threshold", threshold=1e-12), "bound") == "fixed<33,1,TRN,SAT>"
    c = LayerCase("s", Softmax, {}, "fixed<16,6>", (10,))
    lay = c.build()
    assert str(lay.types["result"]) == "ufixed<16,0,RND,SAT>"
    assert str(lay.types["accum"]) == "ufixed<21,4>"
    assert set(lay.tables()) == {"exp_table", "inv_table"}


def test_bad_attributes():
    with pytest.raises(ValueError, match="Softmax"):
        Activation("a", "a", ["x"], ["y"], dict(activation="softmax"))
    with pytest.raises(ValueError, match="supported"):
        Activation("a", "a", ["x"], ["y"], dict(activation="mish"))
    with pytest.raises(ValueError, match="variant"):
        Activation("a", "a", ["x"], ["y"], dict(activation="hard_sigmoid", variant="torch"))
    with pytest.raises(ValueError, match="needs a 'threshold'"):
        Activation("a", "a", ["x"], ["y"], dict(activation="threshold", value=1.0))
    with pytest.raises(ValueError, match="finite"):
        Activation("a", "a", ["x"], ["y"], dict(activation="threshold", threshold=float("inf")))
    with pytest.raises(ValueError, match="power of two"):
        Softmax("s", "s", ["x"], ["y"], dict(exp_table_size=1000))
    s = Softmax("s", "s", ["x"], ["y"], dict(axis=1))
    with pytest.raises(ValueError, match="last axis"):
        s.output_shape([(4, 5, 6)])
    p = PReLU("p", "p", ["x"], ["y"], weights=dict(alpha=np.ones((2, 5))))
    with pytest.raises(ValueError, match="broadcast"):
        p.output_shape([(4, 3)])
