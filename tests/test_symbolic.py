"""convert_from_symbolic_expression: SymPy expressions of x0, x1, ... as an HLS project (one
Expression layer): exact arithmetic where no rounding occurs, lookup tables within their
bound, the C++ equal to the golden bit for bit, and refusals naming the term."""
import numpy as np
import pytest

import hlsgen

from conftest import grid, needs_gxx

sympy = pytest.importorskip("sympy")

COS = {"cos_lut": {"math_func": "cos", "range_start": -4, "range_end": 4, "table_size": 2048}}


@needs_gxx
def test_polynomials_are_exact_on_the_grid(tmp_path):
    """No operation rounds (inputs on 2^-3, products within 16 fraction bits): Keras-free exact
    reference, several expressions, one output each."""
    exprs = ["x0*x1 - 2*x2 + x3**3", "-x1 + 0.75", sympy.parse_expr("(x0 + x2)**2")]
    hm = hlsgen.convert_from_symbolic_expression(exprs, n_symbols=4, precision="ap_fixed<24,8>",
                                                 output_dir=str(tmp_path / "p"))
    X = grid(np.random.default_rng(0), (500, 4), -2, 2, frac=3)
    want = np.stack([X[:, 0] * X[:, 1] - 2 * X[:, 2] + X[:, 3] ** 3, -X[:, 1] + 0.75, (X[:, 0] + X[:, 2]) ** 2], 1)
    np.testing.assert_array_equal(hm.predict(X), want)
    np.testing.assert_array_equal(hm.predict_golden(X), want)


@needs_gxx
@pytest.mark.parametrize("precision", ["ap_fixed<18,6>", "ap_fixed<12,4,AP_RND,AP_SAT>"])
def test_lookup_table_function_within_its_bound(precision, tmp_path):
    hm = hlsgen.convert_from_symbolic_expression("x0**2 + 2.5382*cos_lut(x3) - 0.5", n_symbols=5,
                                                 precision=precision, lut_functions=COS,
                                                 output_dir=str(tmp_path / "p"))
    X = grid(np.random.default_rng(1), (2000, 5), 0, 2, frac=10)
    y = hm.predict(X).ravel()
    np.testing.assert_array_equal(y, hm.predict_golden(X).ravel())
    t = hlsgen.parse_type(precision)
    # bin width 2^-8: cos is off by at most half a bin; then each of the 6 roundings by one lsb
    bound = 2.5382 * 2.0 ** -9 + 6 * t.lsb + abs(2.5382 - float(t.quantize(np.array([2.5382]))[0]))
    err = np.abs(y - (X[:, 0] ** 2 + 2.5382 * np.cos(X[:, 3]) - 0.5))
    assert err.max() <= bound and len(np.unique(y)) > 100
    table = dict(hm.files())
    assert "nnet::table_index" in table["firmware/parameters.h"]


def test_clamped_table_outside_its_range(tmp_path):
    hm = hlsgen.convert_from_symbolic_expression("cos_lut(x0)", lut_functions=COS, precision="ap_fixed<18,6>",
                                                 output_dir=str(tmp_path / "p"))
    y = hm.predict_golden(np.array([[-7.0], [-4.0], [3.99609375], [9.0]])).ravel()
    edge = np.cos(-4 + 2.0 ** -9), np.cos(4 - 2.0 ** -9)  # the first and last bins' centres
    np.testing.assert_allclose(y, [edge[0], edge[0], edge[1], edge[1]], atol=2.0 ** -12)


@needs_gxx
@pytest.mark.parametrize("expr,kw", [("cos_lut(x0) - 2*sin_lut(x1)", {}),
                                     ("cos(x0) - 2*sin(x1)", {"use_built_in_lut_functions": True})])
def test_built_in_sin_cos_tables_are_periodic(expr, kw, tmp_path):
    """hls4ml's built-in sin_lut / cos_lut (and sin / cos with use_built_in_lut_functions): one
    period in 1024 bins, any input (negative, many periods away)."""
    hm = hlsgen.convert_from_symbolic_expression(expr, n_symbols=2, precision="ap_fixed<18,7>",
                                                 output_dir=str(tmp_path / "p"), **kw)
    X = grid(np.random.default_rng(2), (3000, 2), -40, 40, frac=10)
    y = hm.predict(X).ravel()
    np.testing.assert_array_equal(y, hm.predict_golden(X).ravel())
    # half a bin (pi/1024) per table, the scale constant's rounding (2^-14 of x * 2pi/1024), 4 roundings of 2^-11
    per_table = np.pi / 1024 + 40 * 2.0 ** -14 * 2 * np.pi / 1024
    err = np.abs(y - (np.cos(X[:, 0]) - 2 * np.sin(X[:, 1])))
    assert err.max() <= 3 * per_table + 4 * 2.0 ** -11 and len(np.unique(y)) > 500


def test_backend_options_as_hls4ml_takes_them(tmp_path):
    hm = hlsgen.convert_from_symbolic_expression("x0 + x1", compiler="vitis_hls", clock_period=8,
                                                 output_dir=str(tmp_path / "p"), hls_include_path="",
                                                 hls_libs_path="")
    assert hm.options.backend == "Vitis" and hm.config.get_config_value("ClockUncertainty") == "27%"
    lines = dict(hm.files())["project.tcl"].splitlines()
    assert {"set part xcvu13p-flga2577-2-e", "set clock_period 8", "set clock_uncertainty 27%"} <= set(lines)
    from hlsgen.boards import PartWarning

    with pytest.warns(PartWarning, match="part 'some_part'"):
        hm = hlsgen.convert_from_symbolic_expression("x0", part="some_part", clock_uncertainty="15%",
                                                     output_dir=str(tmp_path / "q"))
    assert hm.config.get_config_value("Part") == "some_part" and hm.options.backend == "Vivado"
    assert "set clock_uncertainty 15%" in dict(hm.files())["project.tcl"].splitlines()


@pytest.mark.parametrize("expr,kw,msg", [
    ("x0/x1", {}, r"expression 'x0/x1': term 1/x1: a division is not supported"),
    ("sqrt(x0)", {}, r"term sqrt\(x0\): a fractional power is not supported"),
    ("sin(x0) + 1", {}, r"function 'sin' in sin\(x0\): only lookup-table functions"),
    ("y + x0", {}, r"symbol 'y': the inputs are x0, x1"),
    ("x5", {"n_symbols": 5}, r"symbol 'x5': n_symbols is 5"),
    ("cos_lut(x0)", {"lut_functions": {"cos_lut": dict(COS["cos_lut"], table_size=1000)}},
     r"lut_functions\['cos_lut'\]: the bin width .* is not a power of two"),
    ("cos_lut(x0)", {"lut_functions": {"cos_lut": dict(COS["cos_lut"], math_func="erf")}},
     r"math_func 'erf' is not supported"),
    ("x0", {"precision": "ap_fixed<32,8>"}, r"Expression layer 'expression': result type .* wider than 26 bits"),
    ("x0", {"compiler": "gcc"}, r"compiler 'gcc': expected one of vivado_hls, vitis_hls"),
    ("x0 +", {}, r"expression 'x0 \+' cannot be parsed"),
])
def test_unsupported_input_is_refused_naming_it(expr, kw, msg, tmp_path):
    out = tmp_path / "p"
    with pytest.raises(ValueError, match=msg):
        hlsgen.convert_from_symbolic_expression(expr, output_dir=str(out), **kw)
    assert not out.exists()


def test_hls4ml_module_path():
    assert hlsgen.converters.convert_from_symbolic_expression is hlsgen.convert_from_symbolic_expression
