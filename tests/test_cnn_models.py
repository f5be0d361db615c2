"""Whole CNNs through the full flow, in both io types: a residual CNN, a depthwise-separable
CNN and a Conv1D network, trained briefly on synthetic data so their classes are
separated, must agree with Keras and give identical results in io_parallel and io_stream."""
import numpy as np
import pytest

import hlsgen

from conftest import needs_gxx

keras = pytest.importorskip("keras")


def blob_images(n, rng, size=12, channels=1):
    """Images with a bright blob in one of four quadrants (the class)."""
    y = rng.integers(0, 4, n)
    X = rng.normal(0, 0.3, (n, size, size, channels))
    h = size // 2
    for i, c in enumerate(y):
        r0, c0 = (c // 2) * h, (c % 2) * h
        X[i, r0 + 1:r0 + h - 1, c0 + 1:c0 + h - 1, :] += 2.0
    return np.round(X * 256) / 256, y


def train(model, X, y, epochs=6):
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    model.fit(X, y, epochs=epochs, batch_size=32, verbose=0)
    return model


def residual_cnn():
    inp = keras.Input((12, 12, 1))
    x = keras.layers.Conv2D(8, 3, padding="same")(inp)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("relu")(x)
    y = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    y = keras.layers.Conv2D(8, 3, padding="same")(y)
    x = keras.layers.Activation("relu")(keras.layers.Add()([x, y]))
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, keras.layers.Dense(4, activation="softmax")(x))


def separable_cnn():
    return keras.Sequential([
        keras.Input((12, 12, 2)),
        keras.layers.SeparableConv2D(8, 3, activation="relu"),
        keras.layers.DepthwiseConv2D(3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(4, activation="softmax"),
    ])


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(7)
    return blob_images(600, rng, channels=1), blob_images(600, rng, channels=2)


@needs_gxx
@pytest.mark.parametrize("build,channels", [(residual_cnn, 1), (separable_cnn, 2)])
def test_classifier_cnns_in_both_io_types(build, channels, images, tmp_path):
    keras.utils.set_random_seed(3)
    (X1, y1), (X2, y2) = images
    X, y = (X1, y1) if channels == 1 else (X2, y2)
    model = train(build(), X[:400], y[:400])
    Xt = X[400:]
    yk = model.predict(Xt, verbose=0)
    outs = {}
    for io_type in ("io_parallel", "io_stream"):
        # the training data calibrate the result types (the residual block grows beyond fixed<16,6>)
        hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / io_type, io_type=io_type,
                                             calibration_data=X[:400])
        outs[io_type] = hm.predict(Xt)
        assert np.mean(np.argmax(outs[io_type], 1) == np.argmax(yk, 1)) >= 0.99
        assert np.abs(outs[io_type] - yk).max() < 0.05
    np.testing.assert_array_equal(outs["io_stream"], outs["io_parallel"])
    np.testing.assert_array_equal(outs["io_parallel"][:50], hm.predict_golden(Xt[:50]))


@needs_gxx
def test_calibration_fits_result_types_to_the_data(images, tmp_path):
    keras.utils.set_random_seed(3)
    (X, y), _ = images
    model = train(residual_cnn(), X[:400], y[:400])
    Xt = X[400:]
    plain = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "plain")
    calib = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / "calib", calibration_data=X[:400])
    _, tr = calib.trace(Xt[:50])
    top = {name: lay.types["result"] for lay in calib.graph.layers for name in [lay.source_name] + lay.aliases}
    for name, values in tr.items():  # no calibrated tensor saturates on its own data
        t = top[name]
        assert np.abs(values).max() < t.max_value, (name, t)
    assert any(t.integer > 6 for t in top.values())  # this network needs more than fixed<16,6>
    yk = model.predict(Xt, verbose=0)
    err_plain = np.abs(plain.predict(Xt) - yk).max()
    err_calib = np.abs(calib.predict(Xt) - yk).max()
    assert err_calib < 0.05 < err_plain
    np.testing.assert_array_equal(calib.predict(Xt[:40]), calib.predict_golden(Xt[:40]))


@needs_gxx
def test_conv1d_regression_in_both_io_types(tmp_path):
    keras.utils.set_random_seed(5)
    rng = np.random.default_rng(5)
    X = np.round(rng.normal(0, 1, (500, 32, 3)) * 256) / 256
    target = np.stack([X[:, :16, 0].mean(1) - X[:, 16:, 1].mean(1), X[:, :, 2].max(1)], axis=1)
    model = keras.Sequential([
        keras.Input((32, 3)),
        keras.layers.Conv1D(8, 5, padding="same", activation="relu"),
        keras.layers.MaxPooling1D(2),
        keras.layers.Conv1D(8, 3, activation="relu"),
        keras.layers.GlobalMaxPooling1D(),
        keras.layers.Dense(2),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    model.fit(X[:400], target[:400], epochs=8, batch_size=32, verbose=0)
    yk = model.predict(X[400:], verbose=0)
    outs = {}
    for io_type in ("io_parallel", "io_stream"):
        hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / io_type, io_type=io_type)
        outs[io_type] = hm.predict(X[400:])
        assert np.abs(outs[io_type] - yk).max() < 0.02  # regression: max |diff| with the default types
    np.testing.assert_array_equal(outs["io_stream"], outs["io_parallel"])


def test_fifo_depths_cover_reconvergent_paths_only(tmp_path):
    """io_stream: the streams between a fork and the layer joining its branches can hold a
    whole tensor (no deadlock whatever the branch latencies); chains get short FIFOs."""
    import re

    inp = keras.Input((8, 8, 2))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inp)
    y = keras.layers.Conv2D(4, 3, padding="same")(x)
    z = keras.layers.Flatten()(keras.layers.Add()([x, y]))
    hm = hlsgen.convert_from_keras_model(keras.Model(inp, keras.layers.Dense(3)(z)), output_dir=tmp_path / "p",
                                         io_type="io_stream")
    hm.write()
    text = (hm.output_dir / "firmware" / "myproject.cpp").read_text()
    depth = dict(re.findall(r"#pragma HLS STREAM variable=(\w+) depth=(\d+)", text))
    assert depth["layer2_out"] == "2"  # conv -> clone: a chain (the input is number 1)
    assert depth["layer2_out_c0"] == depth["layer2_out_c1"] == depth["layer3_out"] == "64"  # 8x8 pixels
    assert depth["layer4_out"] == "2"  # add -> flatten: a chain
    assert depth["s_input0"] == "64"  # the whole sample is written before the network runs


@needs_gxx
def test_stream_clone_to_many_consumers(tmp_path):
    """io_stream: a tensor read by any number of layers (and a model output) is cloned to
    each of them; the C simulation equals the golden and io_parallel bit for bit."""
    from conftest import grid

    keras.utils.set_random_seed(11)
    inp = keras.Input((6, 3))
    heads = [keras.layers.Dense(4, name=f"d{k}")(inp) for k in range(5)]
    mid = keras.layers.Add(name="sum")(heads)
    branches = [keras.layers.Dense(4, name=f"e{k}")(mid) for k in range(4)]
    out = keras.layers.Add(name="join")(branches + [mid])
    model = keras.Model(inp, [out, inp])
    X = grid(np.random.default_rng(11), (20, 6, 3), -2, 2)
    outs = {}
    for io_type in ("io_parallel", "io_stream"):
        hm = hlsgen.convert_from_keras_model(model, output_dir=tmp_path / io_type, io_type=io_type,
                                             hls_config={"Model": {"Precision": "fixed<24,8>"}})
        outs[io_type] = hm.predict(X)
        for y, g in zip(outs[io_type], hm.predict_golden(X)):
            np.testing.assert_array_equal(y, g)
    text = (tmp_path / "io_stream" / "firmware" / "myproject.cpp").read_text()
    assert text.count("o5.write(e);") == 1 and text.count("o4.write(e);") == 2  # 6 and 5 readers
    for a, b in zip(outs["io_parallel"], outs["io_stream"]):
        np.testing.assert_array_equal(a, b)
