"""hlsgen.model.to_multi_model_graph: a model cut into a chain of projects computes what the
whole model computes, bit for bit."""
import numpy as np
import pytest

import hlsgen

from conftest import grid, needs_gxx

keras = pytest.importorskip("keras")
L = keras.layers


def _skip_model():
    """A skip connection crosses the second cut: the last part reads two tensors."""
    inp = keras.Input((8,), name="x")
    a = L.Dense(12, name="d1")(inp)
    r = L.Activation("relu", name="r1")(a)
    b = L.Dense(12, activation="tanh", name="d2")(r)
    s = L.Add(name="add")([b, r])
    o1 = L.Dense(4, name="out1")(s)
    o2 = L.Dense(3, activation="relu", name="out2")(r)
    return keras.Model(inp, [o1, o2])


def _convert(model, tmp_path, io_type, precision="ap_fixed<12,4>"):
    cfg = hlsgen.config_from_keras_model(model, granularity="name", default_precision=precision)
    return hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=str(tmp_path / "whole"), io_type=io_type)


@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_cut_model_predicts_what_the_whole_model_predicts(io_type, tmp_path):
    model = _skip_model()
    hm = _convert(model, tmp_path, io_type)
    X = grid(np.random.default_rng(3), (40, 8), -2, 2, 6)
    whole = hm.predict(X)
    # cut between a Dense and its activation (fused in the whole model) and before the Add
    multi = hlsgen.model.to_multi_model_graph(hm, ["r1", "add"])
    assert isinstance(multi, hlsgen.model.MultiModelGraph) and len(multi.graphs) == 3
    assert [g.project_name for g in multi.graphs] == [f"myproject_graph{k}" for k in (1, 2, 3)]
    assert [str(g.output_dir) for g in multi.graphs] == [str(tmp_path / f"whole_graph{k}") for k in (1, 2, 3)]
    # the skip tensor r1 crosses the second cut: the third part reads it beside d2's output
    assert [gi.source_name for gi in multi.graphs[2].graph.inputs] == ["d2_tanh", "r1"]
    # a part's input has the type the previous part's output has
    first_out = multi.graphs[0].graph
    second_in = multi.graphs[1].graph
    assert second_in.tensors[second_in.inputs[0].tensor].type == first_out.tensors[first_out.outputs[0]].type
    parts = multi.predict(X)
    for w, p in zip(whole, parts):
        np.testing.assert_array_equal(p, w)
    one = multi.predict(X[0])  # one sample without the batch axis, as HLSModel.predict
    np.testing.assert_array_equal(one[0], whole[0][0])


def test_cut_points_are_checked(tmp_path):
    hm = _convert(_skip_model(), tmp_path, "io_parallel")
    cut = hlsgen.model.to_multi_model_graph
    with pytest.raises(ValueError, match=r"split layer 'nope' is not a layer of the model; layers: d1, r1"):
        cut(hm, ["nope"])
    with pytest.raises(ValueError, match="split layer 'd1' is the model's first layer"):
        cut(hm, ["d1"])
    with pytest.raises(ValueError, match="names a layer twice"):
        cut(hm, ["r1", "r1"])
    with pytest.raises(ValueError, match="split_layers is empty"):
        cut(hm, [])


def test_accelerator_and_calibrated_models_are_refused(tmp_path):
    model = _skip_model()
    cfg = hlsgen.config_from_keras_model(model)
    cfg["Model"]["ReuseFactor"] = 4
    hm = hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=str(tmp_path / "acc"),
                                         backend="VivadoAccelerator", board="pynq-z2")
    with pytest.raises(ValueError, match="builds one accelerator for the whole model"):
        hlsgen.model.to_multi_model_graph(hm, ["add"])
    hm = hlsgen.convert_from_keras_model(model, output_dir=str(tmp_path / "cal"),
                                         calibration_data=np.ones((4, 8)))
    with pytest.raises(ValueError, match="converted with calibration_data"):
        hlsgen.model.to_multi_model_graph(hm, ["add"])
