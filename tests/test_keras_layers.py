"""Every core Keras layer and activation the frontend maps, end to end: the C++ equals the
numpy golden bit for bit, and both follow Keras within the documented table accuracy."""
import numpy as np
import pytest

import hlsgen

from conftest import grid, needs_gxx

keras = pytest.importorskip("keras")

# (name, layer factory, tolerance against Keras in output units)
CASES = [
    ("relu", lambda: keras.layers.Activation("relu"), 2e-3),
    ("relu6", lambda: keras.layers.Activation("relu6"), 2e-3),
    ("relu_params", lambda: keras.layers.ReLU(max_value=2.5, negative_slope=0.1, threshold=0.5), 3e-3),
    ("leaky", lambda: keras.layers.LeakyReLU(negative_slope=0.2), 3e-3),
    ("elu_layer", lambda: keras.layers.ELU(alpha=0.7), 8e-3),
    ("elu", lambda: keras.layers.Activation("elu"), 8e-3),
    ("selu", lambda: keras.layers.Activation("selu"), 1.2e-2),
    ("sigmoid", lambda: keras.layers.Activation("sigmoid"), 4e-3),
    ("hard_sigmoid", lambda: keras.layers.Activation("hard_sigmoid"), 2e-3),
    ("tanh", lambda: keras.layers.Activation("tanh"), 6e-3),
    ("softplus", lambda: keras.layers.Activation("softplus"), 1.2e-2),
    ("softsign", lambda: keras.layers.Activation("softsign"), 3e-3),
    ("swish", lambda: keras.layers.Activation("swish"), 1.2e-2),
    ("silu", lambda: keras.layers.Activation("silu"), 1.2e-2),
    ("exponential", lambda: keras.layers.Activation("exponential"), 0.02),
    ("softmax_layer", lambda: keras.layers.Softmax(), 2e-3),
    ("prelu", lambda: keras.layers.PReLU(alpha_initializer=keras.initializers.RandomUniform(0.05, 0.4)), 3e-3),
]


@needs_gxx
@pytest.mark.parametrize("name,make,tol", CASES, ids=[c[0] for c in CASES])
def test_activation_layers_end_to_end(name, make, tol, tmp_path):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((12,)), keras.layers.Dense(10, name="d"), make()])
    X = grid(np.random.default_rng(2), (200, 12), lo=-1.5, hi=1.5)
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
    y = hm.predict(X)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    yk = model.predict(X, verbose=0)
    scale = max(1.0, float(np.abs(yk).max()))
    assert np.abs(y - yk).max() <= tol * scale, name


@needs_gxx
def test_tf_keras_hard_sigmoid_and_reshape(tmp_path):
    tfk = pytest.importorskip("tf_keras")
    tfk.utils.set_random_seed(1)
    model = tfk.Sequential([tfk.Input((12,)), tfk.layers.Dense(12), tfk.layers.Activation("hard_sigmoid"),
                            tfk.layers.Reshape((3, 4)), tfk.layers.Flatten(), tfk.layers.Dense(3)])
    X = grid(np.random.default_rng(3), (200, 12))
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
    y = hm.predict(X)
    np.testing.assert_array_equal(y, hm.predict_golden(X))
    assert np.abs(y - model.predict(X, verbose=0)).max() < 0.01  # tf_keras: clip(0.2 x + 0.5)


def test_unknown_activation_is_named(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="mish", name="dd")])
    with pytest.raises(ValueError, match=r"layer 'dd': activation 'mish' is not supported; supported: .*relu"):
        hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")


@needs_gxx
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_elementwise_merges_broadcast_as_keras(io_type, tmp_path):
    """Add/Subtract/Multiply of inputs whose sizes are 1 along some axes: repeated to the common
    shape (Concatenate of copies), so the result equals Keras' broadcast exactly."""
    rng = np.random.default_rng(4)
    for k, (s1, s2) in enumerate([((2, 2, 3), (2, 2, 1)), ((1, 1, 2), (3, 4, 2)), ((4, 1), (1, 3))]):
        i1, i2 = keras.Input(s1), keras.Input(s2)
        out = keras.layers.Add()([keras.layers.Multiply()([i1, i2]), keras.layers.Subtract()([i2, i1])])
        m = keras.Model([i1, i2], out)
        cfg = hlsgen.utils.config_from_keras_model(m, granularity="model", default_precision="fixed<32,16>")
        hm = hlsgen.convert_from_keras_model(m, output_dir=str(tmp_path / f"p{k}"), io_type=io_type, hls_config=cfg)
        hm.compile()
        X1 = rng.integers(-60, 60, (5,) + s1).astype(float)
        X2 = rng.integers(-60, 60, (5,) + s2).astype(float)
        np.testing.assert_array_equal(hm.predict([X1, X2]).reshape((5,) + out.shape[1:]), X1 * X2 + (X2 - X1))
