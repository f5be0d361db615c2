"""The estimator's kernel model (hlsgen.estimate.model) on exact cases: constant
weights (zeros vanish, powers of two are shifts, narrow constants go to LUTs), block-RAM
shapes, the multiplier limit of a shared Dense layer, and the tool overrides."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import hlsgen
from hlsgen.estimate import estimate_code
from hlsgen.estimate.fit import FitWarning
from hlsgen.estimate.model import constant_widths, memory, tool_costs

keras = pytest.importorskip("keras")


def test_constant_widths_strip_trailing_zeros_and_sign():
    lsb = 1 / 64
    q = np.array([0.0, 0.5, 0.75, -0.625, 3 / 64, -1 / 64, 127 / 64])
    # integers 0, 32, 48, -40, 3, -1, 127 -> odd parts -, 1, 3, 5, 3, 1, 127
    assert constant_widths(q, lsb).tolist() == [0, 1, 2, 3, 2, 1, 7]


@pytest.mark.parametrize("bits,words,bram", [(18, 1024, 1), (9, 2048, 1), (36, 512, 1), (36, 1024, 2),
                                              (1, 16384, 1), (16, 1025, 2), (72, 512, 2), (4, 4097, 2)])
def test_block_ram_shapes(bits, words, bram):
    """An 18 Kb block RAM is 16K x 1 ... 512 x 36 (UG473): the best shape is chosen."""
    assert memory(bits, words) == (bram, 0)


def test_small_array_is_lutram():
    n = tool_costs()["bram_min_bits"] - 1
    assert memory(1, n) == (0, -(-n // 64))


def _bits(b: int) -> float:
    """A weight of ``b`` significant bits (2^b - 1) / 2^b, exact in fixed<16,6>."""
    return (2 ** b - 1) / 2 ** b


T = tool_costs()["lut_mult_max_width"]  # a constant of T significant bits + sign needs a DSP


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
    w[0, 0] = _bits(T - 1)  # T - 1 significant bits + sign: still LUTs
    assert _row(_dense(w, tmp=tmp_path / "b"))["dsp"] == 0
    w[0, 0] = _bits(T)  # one more: a DSP product for 16-bit data
    assert _row(_dense(w, tmp=tmp_path / "c"))["dsp"] == 1


def test_narrow_data_goes_to_luts(tmp_path):
    w = np.full((4, 2), _bits(T))
    wide = _row(_dense(w, tmp=tmp_path / "a"))
    narrow = _row(_dense(w, x_type="fixed<3,1>", tmp=tmp_path / "b"))
    assert wide["dsp"] == 8 and narrow["dsp"] == 0 and narrow["lut"] > 0


def test_shared_dense_is_limited_by_its_multipliers(tmp_path):
    w = np.full((8, 4), _bits(T))  # 32 products, every one a DSP product
    assert _row(_dense(w, rf=1, tmp=tmp_path / "a"))["dsp"] == 32
    assert _row(_dense(w, rf=4, tmp=tmp_path / "b"))["dsp"] == 8  # multiplier_limit = 32 / 4
    w[:, :3] = 0.5  # 8 DSP products left: below the limit of 8 at rf=2 (16)
    assert _row(_dense(w, rf=2, tmp=tmp_path / "c"))["dsp"] == 8


def test_tool_overrides(tmp_path):
    vivado = tool_costs("vivado_hls")["lut_mult_max_width"]
    assert T < vivado  # Vivado HLS binds wider constant products to LUTs
    w = np.full((4, 2), _bits(vivado - 1))  # a DSP in Vitis HLS, LUTs in Vivado HLS
    hm = _dense(w, tmp=tmp_path / "a")
    assert _row(hm)["dsp"] == 8 and _row(hm, "vivado_hls")["dsp"] == 0
    assert hm.estimate(tool="vivado_hls").total["dsp"] == 0
    with pytest.raises(ValueError, match="tool 'quartus'"):
        hm.estimate(tool="quartus")


def test_each_tool_pipelines_with_its_own_clock_uncertainty(tmp_path):
    """Vivado HLS keeps 12.5% of the clock as margin, Vitis HLS 27%: a deep adder tree is cut
    into fewer stages for Vivado HLS, and an explicit uncertainty overrides both."""
    assert (tool_costs("vitis_hls")["clock_uncertainty"], tool_costs("vivado_hls")["clock_uncertainty"]) == (0.27, 0.125)
    hm = _dense(np.full((256, 1), 0.5), tmp=tmp_path / "a")  # shifts only: the tree alone sets the depth

    def latency(clock, tool, u=None):
        est = estimate_code(hm.lowering, "xc7z020clg400-1", clock, tool=tool, clock_uncertainty=u)
        return next(r for r in est.layers if r["name"] == "fc")["latency_max"]

    clocks = [1.0 + 0.1 * k for k in range(20)]
    vitis = [latency(t, "vitis_hls") for t in clocks]
    vivado = [latency(t, "vivado_hls") for t in clocks]
    assert all(a <= b for a, b in zip(vivado, vitis)) and any(a < b for a, b in zip(vivado, vitis))
    assert [latency(t, "vitis_hls", 0.125) for t in clocks] == vivado
