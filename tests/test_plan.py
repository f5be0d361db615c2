"""Implementation plans (hlsgen.layers.plan): the constants in the generated C++ config
structs are the plan's, for every layer kind and strategy, and no kernel derives them."""
from __future__ import annotations

import re

import pytest

import hlsgen
from hlsgen.backends.templating import TEMPLATES
from hlsgen.layers.plan import ceil_div, nearest_valid, valid_reuse_factors

keras = pytest.importorskip("keras")


def _models():
    keras.utils.set_random_seed(0)
    i = keras.Input((10, 10, 3), name="img")
    x = keras.layers.Conv2D(4, 3, padding="same", name="conv")(i)
    x = keras.layers.DepthwiseConv2D(3, depth_multiplier=2, name="dw")(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = keras.layers.Dense(7, name="fc")(x)
    cnn2 = keras.Model(i, x)
    j = keras.Input((12, 5), name="seq")
    y = keras.layers.Conv1D(3, 4, strides=2, name="c1")(j)
    y = keras.layers.DepthwiseConv1D(3, name="dw1")(y)
    y = keras.layers.Flatten(name="f1")(y)
    cnn1 = keras.Model(j, keras.layers.Dense(2, name="d1")(y))
    return {"cnn2": cnn2, "cnn1": cnn1}


MODELS = _models()


def _struct(text: str, k: int) -> dict:
    body = re.search(rf"struct config{k} : nnet::\w+ \{{(.*?)\n\}};", text, re.S)
    assert body, f"config{k} not found"
    return {m[0]: int(m[1]) for m in re.findall(r"static const unsigned (\w+) = (\d+);", body.group(1))}


@pytest.mark.parametrize("model", sorted(MODELS))
@pytest.mark.parametrize("strategy", ["Latency", "Resource"])
@pytest.mark.parametrize("rf", [1, 3, 4, 9])
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_cpp_constants_are_the_plan(model, strategy, rf, io_type, tmp_path):
    cfg = {"Model": {"Precision": "fixed<16,6>", "ReuseFactor": rf, "Strategy": strategy}}
    hm = hlsgen.convert_from_keras_model(MODELS[model], hls_config=cfg, output_dir=tmp_path, io_type=io_type)
    text = dict(hm.files())["firmware/parameters.h"]
    checked = 0
    for lay, lc in zip(hm.graph.layers, hm.lowering.layers):
        k = lc.index  # the number in config<k> (the inputs are numbered first)
        plan = lay.plan(hm.graph, io_type)
        if not plan.cpp_names:
            continue
        consts = _struct(text, k)
        for name in plan.cpp_names:
            assert consts[name] == plan.cpp_value(name), (lay, name)
        assert consts["reuse_factor"] == lay.cfg.reuse_factor
        checked += 1
    assert checked == sum(lay.kind in ("Dense", "Conv2D", "Conv1D", "DepthwiseConv2D", "DepthwiseConv1D")
                          for lay in hm.graph.layers) >= 3


def test_plan_numbers():
    m = MODELS["cnn2"]
    hm = hlsgen.convert_from_keras_model(m, hls_config={"Model": {"ReuseFactor": 4, "Strategy": "Resource",
                                                                  "Precision": "fixed<16,6>"}}, output_dir="unused")
    g = hm.graph
    conv, dw, _, fc = g.layers
    p = conv.plan(g)
    assert (p.products, p.multipliers, p.iterations, p.ii) == (10 * 10 * 3 * 3 * 3 * 4, ceil_div(108, 4), 100, 4)
    assert p.reshape_factor == p.multipliers and p.storage == "memory"
    p = dw.plan(g)
    assert (p.products, p.multipliers, p.iterations) == (8 * 8 * 3 * 3 * 4 * 2, ceil_div(72, 4), 64)
    p = conv.plan(g, "io_stream")  # one padded input pixel per iteration
    assert p.iterations == 12 * 12 and p.products == 10 * 10 * 108
    p = fc.plan(g)
    assert (p.block, p.multipliers, p.iterations, p.ii) == (ceil_div(512, 4), 128 * 7, 4, 1)
    lat = hlsgen.convert_from_keras_model(m, hls_config={"Model": {"ReuseFactor": 1, "Precision": "fixed<16,6>"},
                                                         "LayerName": {"fc": {"ReuseFactor": 7}}},
                                          output_dir="unused").graph
    p = lat.layers[3].plan(lat)
    assert (p.multipliers, p.iterations, p.ii, p.storage) == (512, 1, 7, "registers")


def test_no_kernel_derives_plan_numbers():
    """Multiplier limits, blocks and reshape factors come from the config struct."""
    for h in (TEMPLATES / "nnet_utils").glob("*.h"):
        code = "\n".join(line.split("//")[0] for line in h.read_text().splitlines())
        assert not re.search(r"reuse_factor\s*-\s*1\)\s*/", code), h
        assert not re.search(r"(limit|factor)=\(", code), h


def test_valid_reuse_factors():
    assert valid_reuse_factors(12) == [1, 2, 3, 4, 6, 12]
    assert valid_reuse_factors(12, limit=5) == [1, 2, 3, 4]
    assert nearest_valid(5, valid_reuse_factors(12)) == 4 and nearest_valid(9, valid_reuse_factors(12)) == 6
    assert valid_reuse_factors(1) == [1]
