"""The C-simulation fast kernels (nnet_dense_raw.h, nnet_dense_batch.h, csim_cast /
csim_from_double in nnet_array.h) and the batched network of the bridge against the synthesizable code path (the same project compiled with
-DHLSGEN_NO_FAST_CSIM) and the numpy golden, bit for bit: random layer types (WRAP, SAT,
TRN, RND, RND_CONV, narrow accumulators that wrap, accumulators wider than 64 bits,
accumulators that drop product bits), inputs off the input type's grid and out of its
range, both io types; and the saturation counters give the same table either way."""
import re

import numpy as np
import pytest

import hlsgen
from hlsgen.csim import Simulation
from hlsgen.fixed import parse_type
from hlsgen.saturation import SaturationWarning

from conftest import needs_gxx

keras = pytest.importorskip("keras")

NO_FAST = "-DHLSGEN_NO_FAST_CSIM"
NO_BATCH = "-DHLSGEN_NO_CSIM_BATCH"  # the fast kernels, one sample at a time
SIZES = (37, 53, 160, 7)  # 53 = 32 + 2 x 8 + 5 x 1 outputs: every block size; d1 (53 x 160 products) takes madd16


def _fixed(rng, widths, ints, signed=True, modes=True):
    w = int(rng.choice(widths))
    i = int(rng.choice(ints))
    s = f"{'' if signed else 'u'}fixed<{w},{i}"
    if modes:
        s += f",{rng.choice(['TRN', 'RND', 'RND_CONV'])},{rng.choice(['SAT', 'WRAP'])}"
    return s + ">"


def _accum(rng):
    kind = rng.integers(6)
    if kind == 0:  # narrow, wraps on these sums
        return f"fixed<{rng.integers(10, 18)},{rng.integers(3, 7)}>"
    if kind == 1:  # drops product bits (raw term shifted right: floor)
        return f"fixed<{rng.integers(18, 26)},{rng.integers(8, 12)}>"
    if kind == 2:  # wide, on the 64-bit path
        return f"fixed<{rng.integers(40, 62)},{rng.integers(14, 24)}>"  # (hlsgen.fixed fails at W=63)
    if kind == 3:  # wider than 64 bits: the plain code
        return "fixed<72,24>"
    if kind == 4:  # rounding or saturating accumulators: the plain code
        return str(rng.choice(["fixed<28,10,RND,WRAP>", "fixed<24,8,TRN,SAT>"]))
    return f"fixed<{rng.integers(28, 34)},{rng.integers(8, 12)}>"  # around 32 bits


def _model(seed):
    keras.utils.set_random_seed(seed)
    n_in, *outs = SIZES
    x = inp = keras.Input((n_in,), name="x")
    for k, n in enumerate(outs):
        x = keras.layers.Dense(n, name=f"d{k}", activation="relu" if k == 0 else None)(x)
        if k == 1:
            x = keras.layers.Activation("relu", name="r1")(x)
    model = keras.Model(inp, x)
    for k, n in enumerate(outs):  # weights of several magnitudes, so narrow types overflow
        lay = model.get_layer(f"d{k}")
        w, b = lay.get_weights()
        rng = np.random.default_rng(seed + k)
        lay.set_weights([w * rng.choice([0.5, 2, 6]), rng.normal(0, 0.5, b.shape)])
    return model


def _config(model, rng):
    cfg = hlsgen.config_from_keras_model(model, granularity="name")
    layers = cfg["LayerName"]
    layers["x"]["Precision"]["result"] = _fixed(rng, [8, 10, 12, 16], [2, 3, 4, 6])
    for k in range(len(SIZES) - 1):
        p = layers[f"d{k}"]["Precision"]
        p["weight"] = _fixed(rng, [4, 6, 8, 12, 16], [0, 1, 2, 3])
        p["bias"] = _fixed(rng, [8, 12, 16], [2, 4])
        p["accum"] = _accum(rng)
        p["result"] = _fixed(rng, [10, 12, 16], [2, 4, 6], signed=bool(rng.integers(2)))
    layers["r1"]["Precision"]["result"] = _fixed(rng, [6, 8, 16], [1, 3, 5], signed=False)
    return cfg


def _inputs(rng, n=301):
    """Off every input type's grid (ties included) and beyond its range."""
    X = np.round(rng.normal(0, 3, (n, SIZES[0])) * 2**12) / 2**12
    X[: n // 3] = np.round(X[: n // 3] * 64) / 64 + 2.0**-7  # exact halfway points of coarser grids
    X[n // 3: n // 2] *= 40  # saturate or wrap
    return X


def _build(hm, flags, monkeypatch):
    monkeypatch.setenv("HLSGEN_CXXFLAGS", flags)
    sim = Simulation(hm.output_dir, verbose=False)
    monkeypatch.delenv("HLSGEN_CXXFLAGS")
    return sim


def _pair(tmp_path, model, cfg, io_type, monkeypatch):
    """The same project, compiled with the fast paths and without them."""
    hm = hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=tmp_path / "fast", io_type=io_type)
    hm.write()
    fast = Simulation(hm.output_dir, verbose=False)
    slow = _build(hm, NO_FAST, monkeypatch)
    assert fast.lib_path != slow.lib_path
    return hm, fast, slow


@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
@pytest.mark.parametrize("seed", range(6))
def test_fast_kernels_equal_the_synthesizable_path_and_the_golden(seed, io_type, tmp_path, monkeypatch):
    rng = np.random.default_rng(100 + seed)
    model = _model(seed)
    cfg = _config(model, rng)
    hm, fast, slow = _pair(tmp_path, model, cfg, io_type, monkeypatch)
    X = _inputs(rng)
    y_fast, y_slow, y_gold = fast.predict(X), slow.predict(X), hm.predict_golden(X)
    np.testing.assert_array_equal(y_fast, y_slow)
    np.testing.assert_array_equal(y_fast, y_gold)
    # predict ran the batched network (io_parallel calls, in io_stream too); the fast kernels per
    # sample (in io_stream: the stream kernels) agree
    np.testing.assert_array_equal(_build(hm, NO_BATCH, monkeypatch).predict(X), y_fast)
    _, tr_fast = fast.trace(X)
    _, tr_slow = slow.trace(X)
    for name in tr_slow:
        np.testing.assert_array_equal(tr_fast[name], tr_slow[name], err_msg=name)
    assert np.unique(y_fast).size > 10  # not a degenerate (all-saturated or all-zero) network


def test_the_cases_cover_the_raw_kernel_and_its_fallbacks():
    """The random types above take the raw kernel in some layers and the plain code in others."""
    kinds = set()
    for seed in range(6):
        cfg = _config(_model(seed), np.random.default_rng(100 + seed))
        for k in range(len(SIZES) - 1):
            m = re.fullmatch(r"fixed<(\d+),-?\d+>", cfg["LayerName"][f"d{k}"]["Precision"]["accum"])
            kinds.add("raw" if m and int(m[1]) <= 64 else "plain")
    assert kinds == {"raw", "plain"}


def _batch_path(x, w, acc):
    """The path of a Dense in the batched network (nnet_dense_batch.h), from its types:
    'direct' or 'split' (the 16-bit kernel) or 'per sample' (dense() on each sample)."""
    x, w, acc = parse_type(x), parse_type(w), parse_type(acc)
    raw = acc.signed and acc.rounding == "TRN" and acc.saturation == "WRAP" and acc.width <= 64
    dw, ww = x.width + (not x.signed), w.width + (not w.signed)
    sh = acc.fractional - x.fractional - w.fractional
    if not raw or sh < 0 or x.width > 16 or not (w.width < 16 or (w.width == 16 and w.signed)):
        return "per sample"
    pn = dw + ww - (0 if x.signed and w.signed else 1)
    return "direct" if (x.width <= 8 or x.signed) and pn <= 24 else "split"


def test_the_cases_cover_the_batched_kernels_and_their_fallback():
    """The random types above take both variants of the 16-bit kernel and the per-sample code."""
    paths = set()
    for seed in range(6):
        p = _config(_model(seed), np.random.default_rng(100 + seed))["LayerName"]
        data = [p["x"]["Precision"]["result"], p["d0"]["Precision"]["result"], p["r1"]["Precision"]["result"]]
        for k, x in enumerate(data):
            d = p[f"d{k}"]["Precision"]
            paths.add(_batch_path(x, d["weight"], d["accum"]))
    assert paths == {"direct", "split", "per sample"}


@needs_gxx
@pytest.mark.parametrize("in_type", ["fixed<8,3,RND_CONV,SAT>", "fixed<10,2,RND,WRAP>", "ufixed<8,4,TRN,SAT>",
                                     "fixed<12,4>", "fixed<6,6,RND_CONV,WRAP>", "ufixed<16,0,RND,SAT>"])
def test_input_conversion_rounds_ties_and_ranges_like_the_ap_types(in_type, tmp_path, monkeypatch):
    """csim_from_double: every tie of the input grid, just off the ties, and out of range."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8,), name="x"), keras.layers.Activation("linear", name="lin")])
    cfg = hlsgen.config_from_keras_model(model, granularity="name")
    cfg["LayerName"]["x"]["Precision"]["result"] = in_type
    cfg["LayerName"]["lin"]["Precision"]["result"] = "fixed<40,20>"
    hm, fast, slow = _pair(tmp_path, model, cfg, "io_parallel", monkeypatch)
    f = parse_type(in_type).fractional
    k = np.arange(-4000, 4000, dtype=np.float64)
    ties = (k + 0.5) / 2.0**f
    X = np.concatenate([ties, np.nextafter(ties, np.inf), np.nextafter(ties, -np.inf), k / 2.0**(f - 3),
                        [1e-300, -1e-300, 5e-324, -5e-324, 1e15, -1e15, 2.0**70, -(2.0**70), 0.0, -0.0]])
    X = X[: len(X) // 8 * 8].reshape(-1, 8)
    np.testing.assert_array_equal(fast.predict(X), slow.predict(X))
    np.testing.assert_array_equal(fast.predict(X), hm.predict_golden(X))


@needs_gxx
def test_saturation_counters_are_the_same_with_the_fast_kernels(tmp_path, monkeypatch):
    """Counting (predict's counters, hm.saturation) with the fast kernels gives the table of the
    synthesizable path, for every layer but one kind: a Dense whose accumulator type is its
    result type.  There the synthesizable code wraps in ``acc += x * w``, which the counters do
    not see (it counts 0), while the C-simulation paths (the raw kernel steps aside while such
    a layer is watched, and the plain fast path it falls back to) count the final sum's
    overflow, which is checked here against the exact sums."""
    model = _model(7)
    cfg = hlsgen.config_from_keras_model(model, granularity="name")
    d0, d1, d2 = (cfg["LayerName"][f"d{k}"]["Precision"] for k in range(3))
    d0.update(accum="fixed<14,5>", result="fixed<14,5>", weight="fixed<8,2,RND_CONV,SAT>")
    d1.update(accum="fixed<30,10>", result="fixed<8,3,TRN,WRAP>")
    d2.update(accum="fixed<32,12>", result="fixed<10,4,RND_CONV,SAT>")
    cfg["LayerName"]["r1"]["Precision"]["result"] = "ufixed<6,2,RND_CONV,SAT>"
    X = _inputs(np.random.default_rng(8), 400)
    tables = {}
    for flags in ("", NO_FAST):
        if flags:
            monkeypatch.setenv("HLSGEN_CXXFLAGS", flags)
        hm = hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=tmp_path / f"p{bool(flags)}")
        with pytest.warns(SaturationWarning):
            y = hm.predict(X)  # counted: the per-sample network, with its hooks
        np.testing.assert_array_equal(hm.predict(X), y)  # not counted: the batched network
        rows = lambda t: {r.name: (r.overflow, r.underflow, r.peak) for r in t}  # noqa: E731
        tables[flags] = (y, rows(hm.last_saturation), rows(hm.saturation(X)))
        monkeypatch.delenv("HLSGEN_CXXFLAGS", raising=False)
    (y_f, last_f, exact_f), (y_s, last_s, exact_s) = tables[""], tables[NO_FAST]
    np.testing.assert_array_equal(y_f, y_s)
    assert last_s["d0"] == exact_s["d0"] == (0, 0, 0.0)  # the synthesizable path's blind spot
    d0_last, d0_exact = last_f.pop("d0"), exact_f.pop("d0")
    for t in (last_s, exact_s):
        t.pop("d0")
    assert last_f == last_s
    assert exact_f == exact_s
    # the fast paths' d0 count: the exact sums (same grid, no wrap) that fall outside fixed<14,5>
    wide = hlsgen.config_from_keras_model(model, granularity="name")
    wide["LayerName"] = {k: v for k, v in cfg["LayerName"].items()}
    wide["LayerName"]["d0"] = dict(cfg["LayerName"]["d0"], Precision=dict(d0, accum="fixed<40,31>", result="fixed<40,31>"))
    hw = hlsgen.convert_from_keras_model(model, hls_config=wide, output_dir=tmp_path / "wide")
    v = hw.trace(X)[1]["d0"]
    q = np.floor(v * 2**9)
    bad = (q > 2**13 - 1) | (q < -(2**13))
    assert bad.sum() > 0
    assert d0_exact[0] == d0_last[0] == int(bad.sum())
    assert d0_exact[2] == d0_last[2] == np.abs(v[bad]).max()


def test_thread_count_is_the_available_cores_unless_configured(monkeypatch):
    import os

    from hlsgen.csim import available_cores, default_threads

    monkeypatch.delenv("HLSGEN_THREADS", raising=False)
    if hasattr(os, "sched_getaffinity"):
        assert available_cores() == len(os.sched_getaffinity(0))
    assert default_threads() == available_cores()
    monkeypatch.setenv("HLSGEN_THREADS", "1")
    assert default_threads() == 1
    monkeypatch.setenv("HLSGEN_THREADS", str(available_cores() + 5))
    assert default_threads() == available_cores()
    for bad in ("two", "0"):
        monkeypatch.setenv("HLSGEN_THREADS", bad)
        with pytest.raises(ValueError, match=f"HLSGEN_THREADS='{bad}'"):
            default_threads()


@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_16bit_kernel_at_the_extremes_of_its_types(io_type, tmp_path, monkeypatch):
    """16-bit weights and data (signed and unsigned) at the ends of their ranges, an odd number
    of inputs above the kernel's 128-input partial sums, and more outputs than one block."""
    keras.utils.set_random_seed(3)
    n_in = 301
    # both layers have at least nnet_dense_raw.h's MADD_MIN = 8192 products (so take madd16)
    model = keras.Sequential([keras.Input((n_in,), name="x"), keras.layers.Dense(72, name="a", activation="relu"),
                              keras.layers.Dense(128, name="b")])
    rng = np.random.default_rng(3)
    for name, shape in (("a", (n_in, 72)), ("b", (72, 128))):
        w = rng.choice([-2.0, 2 - 2.0**-14, 0.0], size=shape)  # the ends of fixed<16,2>
        some = rng.random(shape) < 0.3
        w[some] = rng.uniform(-2, 2, size=int(some.sum()))
        model.get_layer(name).set_weights([w, rng.uniform(-1, 1, shape[1])])
    cfg = hlsgen.config_from_keras_model(model, granularity="name")
    cfg["LayerName"]["x"]["Precision"]["result"] = "fixed<16,6,RND_CONV,SAT>"
    for name in ("a", "b"):
        cfg["LayerName"][name]["Precision"].update(weight="fixed<16,2,RND_CONV,SAT>", bias="fixed<16,4>",
                                                   accum="fixed<56,26>")
    cfg["LayerName"]["a"]["Precision"]["result"] = "fixed<24,16>"
    cfg["LayerName"]["a_relu"]["Precision"]["result"] = "ufixed<16,8,RND,SAT>"  # raw up to 65535
    cfg["LayerName"]["b"]["Precision"]["result"] = "fixed<24,20,RND_CONV,SAT>"
    hm, fast, slow = _pair(tmp_path, model, cfg, io_type, monkeypatch)
    X = rng.choice([-32.0, 32 - 2.0**-10, 0.0, 1.5], size=(64, n_in))
    X[::7] = rng.uniform(-40, 40, size=X[::7].shape)
    y = fast.predict(X)
    np.testing.assert_array_equal(y, slow.predict(X))
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    _, tr = fast.trace(X)
    assert tr["a_relu"].max() > 200  # the unsigned 16-bit data reach the top of their range


@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_batched_network_with_two_inputs_views_and_per_sample_layers(io_type, tmp_path, monkeypatch):
    """The batched network on a graph with two inputs, a convolution and a pooling (their call
    per sample), a Flatten (a view), a Concatenate, Dense layers of both kernel variants and a
    softmax: bit for bit the per-sample network (in io_stream: its stream kernels), the
    synthesizable path and the golden; the
    trace of the batched build is that of the synthesizable one; a block of samples that is
    not full and sample counts below and above one block per thread."""
    keras.utils.set_random_seed(5)
    a = keras.Input((6, 6, 2), name="img")
    b = keras.Input((7,), name="vec")
    x = keras.layers.Conv2D(3, 3, activation="relu", name="conv")(a)
    x = keras.layers.MaxPooling2D(2, name="pool")(x)
    x = keras.layers.Flatten(name="flat")(x)
    y = keras.layers.Dense(9, activation="relu", name="dv")(b)
    z = keras.layers.Concatenate(name="cat")([x, y])
    z = keras.layers.Dense(40, activation="relu", name="dz")(z)
    out = keras.layers.Dense(4, activation="softmax", name="out")(z)
    model = keras.Model([a, b], out)
    cfg = hlsgen.config_from_keras_model(model, granularity="name")
    cfg["LayerName"]["img"]["Precision"]["result"] = "fixed<8,3,RND_CONV,SAT>"  # 8-bit data: direct
    cfg["LayerName"]["vec"]["Precision"]["result"] = "fixed<16,6,RND,SAT>"  # 16-bit data: split
    cfg["LayerName"]["dz"]["Precision"].update(accum="fixed<20,8>", result="fixed<12,5,TRN,WRAP>")  # 32-bit sums
    hm = hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=tmp_path / "p", io_type=io_type)
    hm.write()
    assert "nnet::dense_batch<" in (hm.output_dir / "myproject_bridge.cpp").read_text()
    batched, per_sample, slow = (_build(hm, f, monkeypatch) for f in ("", NO_BATCH, NO_FAST))
    rng = np.random.default_rng(6)
    for n in (1, 5, 300, 613):
        X = [np.round(rng.normal(0, 2, (n, 6, 6, 2)) * 2**9) / 2**9, np.round(rng.normal(0, 4, (n, 7)) * 2**12) / 2**12]
        y = batched.predict(X)
        np.testing.assert_array_equal(y, per_sample.predict(X))
        np.testing.assert_array_equal(y, slow.predict(X))
        np.testing.assert_array_equal(y, hm.predict_golden(X))
    assert np.unique(y).size > 20
    _, tr_b = batched.trace(X)
    _, tr_s = slow.trace(X)
    for name in tr_s:
        np.testing.assert_array_equal(tr_b[name], tr_s[name], err_msg=name)


@needs_gxx
@pytest.mark.parametrize("isa", ["-mno-avx512vnni", "-mno-avx512f", "-mno-avx512f -mno-avx2"])
def test_batched_network_on_other_vector_units(isa, tmp_path, monkeypatch):
    """The 16-bit kernel's other builds (AVX-512BW without VNNI, AVX2, none: dense() per sample),
    compiled here by turning off what the host has (x86 only), against the golden."""
    import platform

    if platform.machine() not in ("x86_64", "AMD64"):
        pytest.skip("x86 instruction-set flags")
    rng = np.random.default_rng(117)
    model = _model(2)
    cfg = _config(model, rng)
    p = cfg["LayerName"]
    data = [p["x"]["Precision"]["result"], p["d0"]["Precision"]["result"], p["r1"]["Precision"]["result"]]
    paths = [_batch_path(x, p[f"d{k}"]["Precision"]["weight"], p[f"d{k}"]["Precision"]["accum"]) for k, x in enumerate(data)]
    assert paths == ["direct", "split", "per sample"]
    hm = hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=tmp_path / "p", io_type="io_parallel")
    hm.write()
    X = _inputs(rng)
    y = _build(hm, isa, monkeypatch).predict(X)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    np.testing.assert_array_equal(y, _build(hm, f"{isa} {NO_BATCH}", monkeypatch).predict(X))
