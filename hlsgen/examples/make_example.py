"""Re-create the bundled example: a jet-tagging MLP trained on synthetic data.

    python -m hlsgen.examples.make_example

Writes jet_tagger.keras and jet_X.npy beside this file.  The data are Gaussian
clusters (5 classes, 16 features), deterministic from the seeds below; inputs are
rounded to the 2^-8 grid so that the default input type holds them exactly.
"""
from pathlib import Path

import numpy as np


def make_data(n, rng):
    centers = rng.normal(size=(5, 16)) * 1.2
    y = rng.integers(0, 5, size=n)
    X = centers[y] + rng.normal(size=(n, 16))
    return np.round(X * 256) / 256, y


def main():
    import keras

    keras.utils.set_random_seed(7)
    rng = np.random.default_rng(7)
    X, y = make_data(6000, rng)
    inp = keras.Input((16,), name="input")
    x = keras.layers.Dense(64, name="dense_1")(inp)
    x = keras.layers.BatchNormalization(name="bn_1")(x)
    x = keras.layers.Activation("relu", name="relu_1")(x)
    x = keras.layers.Dropout(0.1, name="dropout")(x)
    x = keras.layers.Dense(32, activation="relu", name="dense_2")(x)
    x = keras.layers.Dense(32, activation="relu", name="dense_3")(x)
    out = keras.layers.Dense(5, activation="softmax", name="output")(x)
    model = keras.Model(inp, out, name="jet_tagger")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(X[:4000], y[:4000], epochs=8, batch_size=64, verbose=0)
    acc = model.evaluate(X[4000:], y[4000:], verbose=0)[1]
    here = Path(__file__).resolve().parent
    model.save(here / "jet_tagger.keras")
    np.save(here / "jet_X.npy", X[4000:].astype(np.float32))
    print(f"saved; test accuracy {acc:.3f}")


if __name__ == "__main__":
    main()
