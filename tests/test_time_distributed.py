"""Keras TimeDistributed (converters/keras/time_distributed.py): a layer acting on the last
axis is applied to the whole input; any other layer or nested model is unrolled over the
steps.  Either way the C simulation equals the wrapped layers run on each step separately
(bit for bit, both io types) and the numpy golden."""
import numpy as np
import pytest

import hlsgen

from conftest import grid, needs_gxx

IO_TYPES = ["io_parallel", "io_stream"]


def _per_step(hm, X):
    """``hm`` (a model of one step) on every step X[:, t], stacked on axis 1."""
    return np.stack([hm.predict(X[:, t]).reshape((len(X),) + hm.graph.tensors[hm.graph.outputs[0]].shape)
                     for t in range(X.shape[1])], axis=1)


def _check(td, plain, X, cfgs, io_type, tmp_path, tol):
    a = hlsgen.convert_from_keras_model(td, hls_config=cfgs[0], io_type=io_type, output_dir=tmp_path / "td")
    b = hlsgen.convert_from_keras_model(plain, hls_config=cfgs[1], io_type=io_type, output_dir=tmp_path / "plain")
    y = a.predict(X)
    ref = td.predict(X, verbose=0)
    y = y.reshape(ref.shape)
    np.testing.assert_array_equal(y, _per_step(b, X))
    np.testing.assert_array_equal(y, a.predict_golden(X).reshape(ref.shape))
    assert np.abs(y - ref).max() < tol
    return a


@needs_gxx
@pytest.mark.parametrize("io_type", IO_TYPES)
def test_time_distributed_dense_is_the_dense_on_each_step(io_type, tmp_path):
    """TimeDistributed(Dense) is configured by the wrapper's name and computes exactly what
    the same Dense applied to the last axis computes; close to Keras."""
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(4)
    x = keras.Input((6, 5), name="seq")
    td = keras.Model(x, keras.layers.TimeDistributed(keras.layers.Dense(3, activation="relu"), name="td")(x))
    dense = keras.layers.Dense(3, activation="relu", name="td")
    plain = keras.Model(x, dense(x))
    dense.set_weights(td.get_layer("td").get_weights())
    X = np.random.default_rng(5).uniform(-2, 2, (200, 6, 5)).astype("float32")
    cfg = {"Model": {"Precision": "fixed<16,6>"}, "LayerName": {"td": {"ReuseFactor": 3}}}
    a = hlsgen.convert_from_keras_model(td, hls_config=cfg, io_type=io_type, output_dir=tmp_path / "td")
    b = hlsgen.convert_from_keras_model(plain, hls_config=cfg, io_type=io_type, output_dir=tmp_path / "plain")
    assert a.resolved_config()["LayerName"]["td"]["ReuseFactor"] == 3
    y = a.predict(X)
    np.testing.assert_array_equal(y, b.predict(X))
    np.testing.assert_array_equal(y, a.predict_golden(X))
    assert np.abs(y - td.predict(X, verbose=0)).max() < 4e-3


@needs_gxx
@pytest.mark.parametrize("io_type", IO_TYPES)
def test_time_distributed_conv_and_pooling_equal_the_layers_on_each_step(io_type, tmp_path):
    """TimeDistributed(Conv2D), TimeDistributed(MaxPooling2D) over (T, H, W, C): unrolled;
    step t is the convolution and pooling of x[t] with the one set of weights; a setting
    for the wrapper's name reaches every step."""
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(6)
    conv, pool = keras.layers.Conv2D(3, 3, activation="relu"), keras.layers.MaxPooling2D(2)
    x = keras.Input((4, 7, 6, 2))
    h = keras.layers.TimeDistributed(conv, name="tdc")(x)
    td = keras.Model(x, keras.layers.TimeDistributed(pool, name="tdp")(h))
    xi = keras.Input((7, 6, 2))
    plain = keras.Model(xi, pool(conv(xi)))
    X = grid(np.random.default_rng(7), (30, 4, 7, 6, 2), -2, 2, frac=3)
    prec = {"Precision": {"result": "fixed<12,5,RND,SAT>"}}
    cfgs = [{"Model": {"Precision": "fixed<18,8>"}, "LayerName": {name: prec}} for name in ("tdc", conv.name)]
    a = _check(td, plain, X, cfgs, io_type, tmp_path, 0.05)
    steps = [lay for lay in a.graph.layers if lay.config_name == "tdc" and lay.kind == "Conv2D"]
    assert len(steps) == 4
    assert all(str(lay.types["result"]).startswith("fixed<12,5") for lay in steps)


@needs_gxx
@pytest.mark.parametrize("io_type", IO_TYPES)
def test_time_distributed_nested_model_equals_the_model_on_each_step(io_type, tmp_path):
    """TimeDistributed(Sequential[Conv1D, AveragePooling1D, Flatten, Dense]) over (T, L, C):
    the nested model on each step; its layers configured by their own names."""
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(8)
    inner = keras.Sequential([keras.Input((9, 3)), keras.layers.Conv1D(4, 3, name="c1"),
                              keras.layers.AveragePooling1D(2, name="p1"), keras.layers.Flatten(name="f1"),
                              keras.layers.Dense(5, activation="tanh", name="d1")], name="inner")
    x = keras.Input((3, 9, 3))
    td = keras.Model(x, keras.layers.TimeDistributed(inner, name="td")(x))
    xi = keras.Input((9, 3))
    plain = keras.Model(xi, inner(xi))
    X = grid(np.random.default_rng(9), (40, 3, 9, 3), -2, 2, frac=4)
    cfg = {"Model": {"Precision": "fixed<18,8>"}, "LayerName": {"c1": {"Precision": {"result": "fixed<10,4>"}}}}
    a = _check(td, plain, X, [cfg, cfg], io_type, tmp_path, 0.1)
    convs = [lay for lay in a.graph.layers if lay.kind == "Conv1D"]
    assert len(convs) == 3 and {lay.config_name for lay in convs} == {"c1"}
    assert all(str(lay.types["result"]).startswith("fixed<10,4") for lay in convs)


def test_time_distributed_nested_model_on_the_last_axis_is_applied_directly(tmp_path):
    keras = pytest.importorskip("keras")
    inner = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="relu", name="d1"),
                              keras.layers.Dense(2, name="d2")])
    x = keras.Input((6, 5))
    m = keras.Model(x, keras.layers.TimeDistributed(inner, name="td")(x))
    hm = hlsgen.convert_from_keras_model(m, output_dir=tmp_path / "prj")
    kinds = [lay.kind for lay in hm.graph.layers]
    assert "Concatenate" not in kinds and "Cropping1D" not in kinds
    assert hm.graph.tensors[hm.graph.outputs[0]].shape == (6, 2)


def test_time_distributed_of_an_unconverted_layer_is_refused(tmp_path):
    keras = pytest.importorskip("keras")
    x = keras.Input((2, 4, 4, 4, 1))
    m = keras.Model(x, keras.layers.TimeDistributed(keras.layers.Conv3D(2, 3), name="tdc")(x))
    with pytest.raises(ValueError, match=r"layer 'tdc': TimeDistributed\(Conv3D\) is not supported"):
        hlsgen.convert_from_keras_model(m, output_dir=tmp_path / "prj")
    assert not (tmp_path / "prj").exists()


@needs_gxx
def test_shared_time_distributed_is_configured_by_its_first_call(tmp_path):
    """A TimeDistributed (of a layer, of a nested model) called twice: every step of every
    call is configured as the wrapped layer's first call, and both calls compute the same."""
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(10)
    inner = keras.Sequential([keras.Input((5, 2)), keras.layers.Conv1D(3, 2, name="c1")], name="inner")
    tdm = keras.layers.TimeDistributed(inner, name="tdm")
    tdl = keras.layers.TimeDistributed(keras.layers.Conv1D(3, 2, name="c2"), name="tdl")
    a, b = keras.Input((2, 5, 2), name="a"), keras.Input((2, 5, 2), name="b")
    m = keras.Model([a, b], [tdm(a), tdm(b), tdl(a), tdl(b)])
    hm = hlsgen.convert_from_keras_model(m, hls_config={"Model": {"Precision": "fixed<18,8>"}},
                                         output_dir=tmp_path / "prj")
    convs = {lay.source_name: lay.config_name for lay in hm.graph.layers if lay.kind == "Conv1D"}
    assert convs == {"c1": "c1", "c1_t1": "c1", "c1_1": "c1", "c1_1_t1": "c1",
                     "tdl": "tdl", "tdl_t1": "tdl", "tdl_1": "tdl", "tdl_1_t1": "tdl"}
    X = grid(np.random.default_rng(11), (20, 2, 5, 2), -2, 2, frac=4)
    ys = hm.predict([X, X])
    np.testing.assert_array_equal(ys[0], ys[1])
    np.testing.assert_array_equal(ys[2], ys[3])
    for y, g in zip(ys, hm.predict_golden([X, X])):
        np.testing.assert_array_equal(y, g)
