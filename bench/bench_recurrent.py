"""C-simulation throughput of recurrent models against the framework, measured in one run.

A Keras LSTM classifier and GRU regressor (trained briefly on synthetic sequences, as in
tests/test_recurrent.py), converted at the default configuration: samples per second of
``hm.predict`` (g++ C simulation, both io types) and of ``model.predict`` (Keras, CPU),
with their ratio, and the agreement figures (argmax agreement / max |diff|).

    python bench/bench_recurrent.py [--n 4000] [--steps 20] [--units 16]
"""
import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))


def rate(fn, X, reps=3):
    fn(X[:64])  # warm up (compile / load)
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        fn(X)
        best = min(best, time.perf_counter() - t)
    return len(X) / best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--units", type=int, default=16)
    args = ap.parse_args()
    import keras
    from test_recurrent import _classify_data

    import hlsgen

    keras.utils.set_random_seed(11)
    rng = np.random.default_rng(12)
    X, y = _classify_data(rng, 1500, args.steps)
    lstm = keras.Sequential([keras.Input(X.shape[1:]), keras.layers.LSTM(args.units, name="lstm"),
                             keras.layers.Dense(3, activation="softmax", name="out")])
    lstm.compile("adam", "sparse_categorical_crossentropy")
    lstm.fit(X, y, epochs=6, batch_size=64, verbose=0)
    Xt, _ = _classify_data(rng, args.n, args.steps)

    Xg = np.round(rng.uniform(-1, 1, (2000, 16, 3)) * 256) / 256
    yg = (0.5 * Xg[:, :, 0].mean(1) + 0.3 * np.tanh(Xg[:, -4:, 1].sum(1)) - 0.2 * Xg[:, :, 2].max(1))[:, None]
    gru = keras.Sequential([keras.Input(Xg.shape[1:]), keras.layers.GRU(12, name="gru"),
                            keras.layers.Dense(1, name="out")])
    gru.compile("adam", "mse")
    gru.fit(Xg, yg, epochs=8, batch_size=64, verbose=0)
    Xgt = np.round(rng.uniform(-1, 1, (args.n, 16, 3)) * 256) / 256

    print(f"{'model':<16}{'io':<13}{'agreement':>22}{'hls samples/s':>15}{'keras samples/s':>17}{'ratio':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, model, data, metric in (("LSTM classifier", lstm, Xt, "argmax"), ("GRU regressor", gru, Xgt, "diff")):
            ref = model.predict(data, verbose=0)
            k_rate = rate(lambda a, m=model: m.predict(a, verbose=0, batch_size=256), data)
            for io in ("io_parallel", "io_stream"):
                hm = hlsgen.convert_from_keras_model(model, output_dir=os.path.join(tmp, f"{name[:4]}_{io}"), io_type=io)
                out = hm.predict(data)
                agree = (f"argmax {np.mean(out.argmax(1) == ref.argmax(1)):.4f}" if metric == "argmax"
                         else f"max|diff| {np.abs(out - ref).max():.4f}")
                h_rate = rate(hm.predict, data)
                print(f"{name:<16}{io:<13}{agree:>22}{h_rate:>15.0f}{k_rate:>17.0f}{h_rate / k_rate:>8.2f}")


if __name__ == "__main__":
    main()
