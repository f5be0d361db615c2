"""The estimator's kernel model (hlsgen.estimate.model) on exact cases: constant
weights (zeros vanish, powers of two are shifts, constants of few signed digits are
adders in LUTs), block-RAM shapes, the multiplier limit of a shared Dense layer, and the
tool overrides."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import hlsgen
from hlsgen.estimate import estimate_code
from hlsgen.estimate.fit import FitWarning
from hlsgen.estimate.model import costs, magnitude_bits, memory, signed_digits, tool_costs

keras = pytest.importorskip("keras")


def _naf_digits(k: int) -> int:
    """Nonzero digits of k's non-adjacent (canonical signed-digit) form, by its definition."""
    k, n = abs(k), 0
    while k:
        if k & 1:
            d = 2 - (k & 3)  # +1 or -1: the digit that leaves a multiple of 4
            k -= d
            n += 1
        k >>= 1
    return n


def test_signed_digits_of_constants():
    lsb = 1 / 64
    # integers 0, 32, 48 = 64 - 16, -40 = -(32 + 8), 7 = 8 - 1, 11 = 16 - 4 - 1, 127 = 128 - 1, 85 = 64 + 16 + 4 + 1
    q = np.array([0, 32, 48, -40, 7, 11, 127, 85]) * lsb
    assert signed_digits(q, lsb).tolist() == [0, 1, 2, 2, 2, 3, 2, 4]
    assert magnitude_bits(q, lsb).tolist() == [0, 6, 6, 6, 3, 4, 7, 7]
    k = np.arange(-5000, 5000)
    assert signed_digits(k * lsb, lsb).tolist() == [_naf_digits(int(v)) for v in k]


@pytest.mark.parametrize("bits,words,bram", [(18, 1024, 1), (9, 2048, 1), (36, 512, 1), (36, 1024, 2),
                                              (1, 16384, 1), (16, 1025, 2), (72, 512, 2), (4, 4097, 2)])
def test_block_ram_shapes(bits, words, bram):
    """An 18 Kb block RAM is 16K x 1 ... 512 x 36 (UG473): the best shape is chosen."""
    assert memory(bits, words) == (bram, 0)


def test_small_array_is_lutram():
    n = tool_costs()["bram_min_bits"] - 1
    assert memory(1, n) == (0, -(-n // 64))


D = tool_costs()["lut_const_mult_max_digits"]  # a constant of more signed digits needs a DSP


def _digits(d: int) -> float:
    """A weight of exactly ``d`` signed digits, 0b1010...1 / 2^9, exact in fixed<16,6>."""
    return sum(4 ** i for i in range(d)) / 2 ** 9


def _dense(weights, x_type="fixed<16,6>", w_type="fixed<16,6>", rf=1, tmp=None):
    n_in, n_out = weights.shape
    i = keras.Input((n_in,), name="x")
    lay = keras.layers.Dense(n_out, name="fc")
    m = keras.Model(i, lay(i))
    lay.set_weights([weights, np.zeros(n_out)])
    cfg = {"Model": {"Precision": "fixed<16,6>", "ReuseFactor": rf},
           "LayerName": {"x": {"Precision": {"result": x_type}}, "fc": {"Precision": {"weight": w_type}}}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)
        return hlsgen.convert_from_keras_model(m, hls_config=cfg, output_dir=str(tmp))


def _row(hm, tool="vitis_hls"):
    est = estimate_code(hm.lowering, "xc7z020clg400-1", 10.0, tool=tool)
    return next(r for r in est.layers if r["name"] == "fc")


def test_zero_and_power_of_two_weights_need_no_multiplier(tmp_path):
    w = np.array([[0.0, 0.5, -2.0, 0.25], [1.0, 0.0, 0.0, -0.125]])
    assert _row(_dense(w, tmp=tmp_path / "a"))["dsp"] == 0
    w[0, 0] = _digits(D)  # D signed digits: shifts and adders in LUTs
    assert _row(_dense(w, tmp=tmp_path / "b"))["dsp"] == 0
    w[0, 0] = _digits(D + 1)  # one more: a DSP product for 16-bit data
    assert _row(_dense(w, tmp=tmp_path / "c"))["dsp"] == 1


def test_narrow_data_goes_to_luts(tmp_path):
    w = np.full((4, 2), _digits(D + 1))
    wide = _row(_dense(w, tmp=tmp_path / "a"))
    narrow = _row(_dense(w, x_type="fixed<3,1>", tmp=tmp_path / "b"))
    assert wide["dsp"] == 8 and narrow["dsp"] == 0 and narrow["lut"] > 0


def test_shared_dense_is_limited_by_its_multipliers(tmp_path):
    w = np.full((8, 4), _digits(D + 1))  # 32 products, every one a DSP product
    assert _row(_dense(w, rf=1, tmp=tmp_path / "a"))["dsp"] == 32
    assert _row(_dense(w, rf=4, tmp=tmp_path / "b"))["dsp"] == 8  # multiplier_limit = 32 / 4
    w[:, :3] = 0.5  # 8 DSP products left: below the limit of 8 at rf=2 (16)
    assert _row(_dense(w, rf=2, tmp=tmp_path / "c"))["dsp"] == 8


def test_shared_dense_interval_counts_every_multiplication(tmp_path):
    """The ALLOCATION limit holds every product that stays a multiplication, in LUTs too
    (constants of D digits: shift-and-add in LUTs, no DSP): 32 of them over 8 multipliers
    (rf 4) take 4 cycles; zero and power-of-two weights are no multiplication."""
    w = np.full((8, 4), _digits(D))
    row = _row(_dense(w, rf=4, tmp=tmp_path / "a"))
    assert row["dsp"] == 0 and row["ii"] == 4
    w[:, :3] = 0.5  # 8 multiplications left: one cycle with 8 multipliers
    assert _row(_dense(w, rf=4, tmp=tmp_path / "b"))["ii"] == 1
    w[:, 3] = 0.0  # none at all
    assert _row(_dense(w, rf=4, tmp=tmp_path / "c"))["ii"] == 1


def test_family_delay_scale(tmp_path):
    """Paths are cut by the part family's delays: a deep adder tree takes at least as many
    stages in 7-series fabric as in UltraScale+ (family_delay_scale in costs.yml)."""
    scale = costs()["family_delay_scale"]
    assert scale["ultrascale_plus"] == 1.0 and scale["7series"] >= 1.0
    hm = _dense(np.full((256, 1), _digits(D)), tmp=tmp_path / "a")

    def latency(part):
        est = estimate_code(hm.lowering, part, 3.0, tool="vitis_hls")
        return next(r for r in est.layers if r["name"] == "fc")["latency_max"]

    assert latency("xc7z020clg400-1") >= latency("xczu7ev-ffvc1156-2-e")
    if scale["7series"] > 1.5:
        assert latency("xc7z020clg400-1") > latency("xczu7ev-ffvc1156-2-e")


def test_a_loop_that_is_not_pipelined_waits_for_each_iteration(tmp_path):
    """Plan.overlap False (each pixel waits for the kernel call before, as hls4ml's
    io_stream Resource convolution does): every iteration costs its interval, its depth
    and the loop's entry and exit; pipelined, the depth is paid once."""
    import dataclasses

    i = keras.Input((6, 6, 2), name="x")
    m = keras.Model(i, keras.layers.Conv2D(3, 3, name="conv")(i))
    m.layers[-1].set_weights([np.full((3, 3, 2, 3), _digits(D + 1)), np.zeros(3)])
    cfg = {"Model": {"Precision": "fixed<16,6>", "ReuseFactor": 2}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitWarning)
        hm = hlsgen.convert_from_keras_model(m, hls_config=cfg, output_dir=str(tmp_path / "p"), io_type="io_stream")

    def row(plan_of=None):
        est = estimate_code(hm.lowering, "xczu7ev-ffvc1156-2-e", 5.0, plan_of=plan_of)
        return next(r for r in est.layers if r["name"] == "conv")

    piped = row()
    seq = row(lambda lay, p: dataclasses.replace(p, overlap=False))
    plan = next(lc.layer for lc in hm.lowering.layers if lc.layer.source_name == "conv").plan(
        hm.lowering.graph, "io_stream")
    depth = piped["latency_max"] - costs()["layer_latency"] - plan.iterations * plan.ii + 1
    assert depth >= 1 and plan.iterations > 1
    assert seq["ii"] == plan.iterations * (plan.ii + depth + costs()["loop_entry_exit_cycles"])
    assert seq["dsp"] == piped["dsp"]
    assert seq["latency_max"] == costs()["layer_latency"] + seq["ii"]


def test_weights_in_block_ram_are_read_before_the_products(tmp_path):
    """Strategy Resource reads its weights from block RAM: its pipeline is deeper by the
    RAM's read latency than the same kernel's with registers (costs.yml bram_read_latency)."""
    import dataclasses

    hm = _dense(np.full((64, 8), _digits(D + 1)), rf=4, tmp=tmp_path / "a")
    base = estimate_code(hm.lowering, "xczu7ev-ffvc1156-2-e", 5.0)
    mem = estimate_code(hm.lowering, "xczu7ev-ffvc1156-2-e", 5.0,
                        plan_of=lambda lay, p: dataclasses.replace(p, storage="memory", reshape_factor=p.multipliers))
    fc = [next(r for r in e.layers if r["name"] == "fc") for e in (base, mem)]
    assert fc[1]["latency_max"] == fc[0]["latency_max"] + costs()["bram_read_latency"] and fc[1]["bram_18k"] > 0


def test_trained_model_dsp_products_match_both_tools():
    """On the public KERAS_3layer model the rule gives the DSP products that Vivado HLS
    2019.2 and Vitis HLS 2025.2 reported for it (bench/data/csynth_reports.yml): per layer
    881/1509/810/129 (Vitis), 3,317 in all (Vivado HLS)."""
    from conftest import SHARED

    h5py = pytest.importorskip("h5py")
    path = SHARED / "peer-models" / "keras_3layer" / "KERAS_3layer_weights.h5"
    if not path.exists():
        pytest.skip(f"peer model not found at {path}")
    with h5py.File(path, "r") as f:
        kernels = [np.asarray(f[n][n]["kernel:0"]) for n in ("fc1_relu", "fc2_relu", "fc3_relu", "output_softmax")]
    lsb = 2.0 ** -10  # fixed<16,6>
    per_layer = [int((signed_digits(np.clip(np.rint(k / lsb) * lsb, -32, 32 - lsb), lsb) > D).sum()) for k in kernels]
    reported = [881, 1509, 810, 129]
    assert all(abs(a - b) <= 0.03 * b for a, b in zip(per_layer, reported)), per_layer
    assert abs(sum(per_layer) - 3317) <= 0.03 * 3317


def test_tool_overrides(tmp_path):
    assert tool_costs("vivado_hls")["clock_uncertainty"] != tool_costs()["clock_uncertainty"]
    with pytest.raises(ValueError, match="tool 'quartus'"):
        _row(_dense(np.full((4, 2), 0.5), tmp=tmp_path / "a"), "quartus")


def test_each_tool_pipelines_with_its_own_clock_uncertainty(tmp_path):
    """Vivado HLS keeps 12.5% of the clock as margin, Vitis HLS 27% (and Vivado HLS chains
    more adders per stage): a deep adder tree is cut into fewer stages for Vivado HLS, and
    an explicit uncertainty overrides the tool's."""
    assert (tool_costs("vitis_hls")["clock_uncertainty"], tool_costs("vivado_hls")["clock_uncertainty"]) == (0.27, 0.125)
    hm = _dense(np.full((256, 1), 0.5), tmp=tmp_path / "a")  # shifts only: the tree alone sets the depth

    def latency(clock, tool, u=None):
        est = estimate_code(hm.lowering, "xc7z020clg400-1", clock, tool=tool, clock_uncertainty=u)
        return next(r for r in est.layers if r["name"] == "fc")["latency_max"]

    clocks = [1.0 + 0.1 * k for k in range(20)]
    vitis = [latency(t, "vitis_hls") for t in clocks]
    vivado = [latency(t, "vivado_hls") for t in clocks]
    assert all(a <= b for a, b in zip(vivado, vitis)) and any(a < b for a, b in zip(vivado, vitis))
    assert [latency(t, "vitis_hls", 0.27) for t in clocks] == vitis
    narrow = [latency(t, "vitis_hls", 0.125) for t in clocks]  # an explicit uncertainty overrides the tool's
    assert all(a <= b for a, b in zip(narrow, vitis)) and any(a < b for a, b in zip(narrow, vitis))
