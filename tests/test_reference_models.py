"""Real models: the shared benchmark models and the reference tool's own test zoo.

They skip cleanly where ../shared is absent. Their files are never copied into the repo.
"""
import numpy as np
import pytest

import hlsgen
from hlsgen.converters.keras import load_keras_model

from conftest import needs_gxx

pytest.importorskip("tf_keras")


@needs_gxx
def test_jet_mlp_default_config_agrees_with_keras(shared, tmp_path):
    d = shared / "bench" / "models"
    X, yk = np.load(d / "jet_X_test.npy"), np.load(d / "jet_mlp_keras_pred.npy")
    hm = hlsgen.convert_from_keras_model(load_keras_model(d / "jet_mlp.h5"), output_dir=tmp_path / "prj")
    y = hm.predict(X)
    assert np.mean(np.argmax(y, 1) == np.argmax(yk, 1)) >= 0.99  # hls4ml 1.3.0: 0.131
    assert np.abs(y - yk).max() < 0.05
    np.testing.assert_array_equal(y[:200], hm.predict_golden(X[:200]))


@needs_gxx
def test_peer_keras_3layer_json_weights(shared, tmp_path):
    d = shared / "peer-models" / "keras_3layer"
    model = load_keras_model(d / "KERAS_3layer.json", d / "KERAS_3layer_weights.h5")
    X, ref = np.load(d / "input.npy"), np.load(d / "ref_output.npy")
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
    y = hm.predict(X)
    assert np.mean(np.argmax(y, 1) == np.argmax(ref, 1)) >= 0.99
    np.testing.assert_array_equal(y[:200], hm.predict_golden(X[:200]))


@needs_gxx
def test_autoencoder_batchnorm_not_truncated(tmp_path):
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    sizes = [640, 128, 128, 128, 128, 8, 128, 128, 128, 128]
    inp = keras.Input((640,))
    x = inp
    for n in sizes[1:]:
        x = keras.layers.Dense(n)(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.Activation("relu")(x)
    model = keras.Model(inp, keras.layers.Dense(640)(x))
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.get_weights()[0].shape[0]
            layer.set_weights([rng.uniform(0.5, 1.5, n), rng.normal(0, 0.3, n), rng.normal(0, 0.3, n),
                               rng.uniform(0.3, 3, n)])
    X = np.round(rng.normal(0, 1, (300, 640)) * 1024) / 1024
    hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "prj")
    assert [lay.kind for lay in hm.graph.layers] == ["Dense"] * 10  # BN folded, ReLU fused
    y = hm.predict(X)
    assert np.abs(y - model.predict(X, verbose=0)).max() <= 0.05  # hls4ml 1.3.0: 0.91
    np.testing.assert_array_equal(y[:20], hm.predict_golden(X[:20]))
