"""Permute (a transpose of the sample axes): the C++ equals the numpy golden bit for bit in
both io types and follows Keras; the layer's own checks."""
import numpy as np
import pytest

import hlsgen
from hlsgen.layers import LAYER_KINDS

from conftest import grid, needs_gxx


def test_golden_is_a_transpose():
    from hlsgen.fixed import parse_type

    lay = LAYER_KINDS["Permute"]("p", "p", ["x"], ["y"], {"dims": (2, 0, 1)})
    assert lay.output_shape([(4, 5, 3)]) == (3, 4, 5)
    lay.types["result"] = parse_type("fixed<16,6>")
    x = grid(np.random.default_rng(0), (7, 4, 5, 3), -2, 2)
    np.testing.assert_array_equal(lay.golden([x]), x.transpose(0, 3, 1, 2))
    for dims, shape, match in (((0, 0), (3, 4), "not a permutation"), ((1, 0), (2, 3, 4), "not a permutation"),
                               ((3, 2, 1, 0, 0), (2, 2, 2, 2, 2), "not a permutation")):
        with pytest.raises(ValueError, match=match):
            LAYER_KINDS["Permute"]("p", "p", ["x"], ["y"], {"dims": dims}).output_shape([shape])



def test_walk_strides():
    """Output axis k steps the input by the input's stride along axis dims[k]."""
    lay = LAYER_KINDS["Permute"]("p", "p", ["x"], ["y"], {"dims": (2, 4, 3, 0, 1)})
    w = lay.walk((2, 3, 4, 5, 6))
    assert w == dict(n=720, dim=[4, 6, 5, 2, 3], stride=[30, 1, 6, 360, 120])


@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_high_rank_permute(io_type, tmp_path):
    """Rank-5 and rank-4 samples (the last axis moved or kept): exactly np.transpose."""
    keras = pytest.importorskip("keras")
    x = keras.Input((2, 3, 4, 5, 6))
    a = keras.layers.Permute((3, 5, 4, 1, 2), name="p5")(x)
    v = keras.Input((3, 1, 4, 2))
    b = keras.layers.Permute((4, 2, 1, 3), name="p4")(v)
    c = keras.layers.Permute((2, 1, 3, 4), name="p4_keep_last")(v)
    model = keras.Model([x, v], [a, b, c])
    rng = np.random.default_rng(7)
    X = [grid(rng, (5, 2, 3, 4, 5, 6), -2, 2), grid(rng, (5, 3, 1, 4, 2), -2, 2)]
    hm = hlsgen.convert_from_keras_model(model, io_type=io_type, output_dir=tmp_path / "prj",
                                         hls_config={"Model": {"Precision": "fixed<16,6>"}})
    ys = hm.predict(X)
    refs = [X[0].transpose(0, 3, 5, 4, 1, 2), X[1].transpose(0, 4, 2, 1, 3), X[1].transpose(0, 2, 1, 3, 4)]
    for y, r in zip(ys, refs):
        np.testing.assert_array_equal(np.asarray(y).reshape(r.shape), r)


@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_keras_permute(io_type, tmp_path):
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(3)
    x = keras.Input((4, 5, 3))
    h = keras.layers.Conv2D(2, 3, padding="same", name="conv")(x)
    h = keras.layers.Permute((3, 1, 2), name="to_chw")(h)      # (2, 4, 5)
    h = keras.layers.Permute((1, 2, 3), name="same")(h)        # no change
    y = keras.layers.Dense(3, name="rows")(keras.layers.Flatten()(keras.layers.Permute((2, 1, 3), name="swap")(h)))
    seq = keras.Input((6, 4))
    z = keras.layers.Permute((2, 1), name="t")(seq)             # (4, 6)
    z = keras.layers.Flatten()(z)
    model = keras.Model([x, seq], [y, keras.layers.Dense(2, name="fc")(z)])
    rng = np.random.default_rng(4)
    X = [grid(rng, (60, 4, 5, 3), -2, 2), grid(rng, (60, 6, 4), -2, 2)]
    ref = model.predict(X, verbose=0)
    hm = hlsgen.convert_from_keras_model(model, io_type=io_type, output_dir=tmp_path / "prj")
    kinds = [lay.kind for lay in hm.graph.layers]
    assert kinds.count("Permute") == 3 and "Identity" not in kinds  # the no-op Permute removed
    ys = hm.predict(X)
    gold = hm.predict_golden(X)
    for y, g, r in zip(ys, gold, ref):
        np.testing.assert_array_equal(y, g)
        assert np.abs(y - r).max() < 0.02
