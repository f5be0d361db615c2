"""Benchmark hlsgen on the shared benchmark models, against Keras and (when its
environment is available) the reference tool hls4ml 1.3.0, measured in the same run.

    python bench/bench_models.py [--shared ../shared] [--ref-python ref-venv/bin/python] [--models jet_mlp,...] [--one-thread]

For each model: convert, write, compile (cold cache) and recompile (cache hit) times,
C-simulation throughput (on the test set repeated to at least --samples samples, all
cores), Keras throughput at batch 256 and at its best batch size (of BATCHES), numpy
float32 BLAS throughput on the models made of Dense layers (the float model run by the
machine's BLAS at its best batch size), argmax agreement and max |diff| with Keras'
outputs.  Every rate of one model is measured in the same process, one after the other,
so their ratios hold on a loaded machine even when the absolute figures do not.  With --ref-python, hls4ml's compile time, throughput and
agreement are measured too and printed as ratios.  An extra model, the
640-128-128-128-128-8-128-128-128-128-640 Dense+BatchNorm+ReLU autoencoder, checks
that folded batch-norm weights are not truncated and that compile time does not grow
with the number of weights.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # QKeras models load with tf_keras
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import hlsgen  # noqa: E402


def load_model(path: Path, qkeras: bool):
    if qkeras:
        from hlsgen.converters.keras import load_keras_model

        return load_keras_model(path)
    import keras

    return keras.models.load_model(path, compile=False)


def sustained_rate(fn, n, min_seconds=1.0):
    """Samples per second of ``fn()`` (which processes n samples), over at least min_seconds:
    one pass over a small test set is too short to time on a shared machine."""
    out = fn()
    runs, t0 = 0, time.perf_counter()
    while True:
        fn()
        runs += 1
        dt = time.perf_counter() - t0
        if dt >= min_seconds:
            return out, runs * n / dt


BATCHES = (256, 1024, 4096, 16384)


def tile(X, n):
    """X repeated to at least n samples (a rate needs enough work to time)."""
    return np.concatenate([X] * max(1, -(-n // len(X))))[:max(n, len(X))]


def keras_rate(model, X, batch=256):
    Xb = tile(X, batch)
    model.predict(Xb[:batch], batch_size=batch, verbose=0)
    return sustained_rate(lambda: model.predict(Xb, batch_size=batch, verbose=0), len(Xb))


def keras_best(model, X):
    """(best samples/s, its batch size, samples/s at batch 256) over BATCHES (and 65536 when
    that many samples take less than 400 MB)."""
    batches = BATCHES + ((65536,) if 65536 * X[0].size * 8 < 400e6 else ())
    rates = {b: keras_rate(model, X, b)[1] for b in batches}
    best = max(rates, key=rates.get)
    return rates[best], best, rates[256]


def float_dense_forward(model):
    """The model as numpy float32 matrix products, or None if it has other than Dense
    (QDense), BatchNormalization and activation layers.  Returns f(X) -> outputs."""
    steps = []
    for lay in model.layers:
        kind = type(lay).__name__
        if kind == "InputLayer":
            continue
        if kind in ("Dense", "QDense"):
            w = lay.get_weights()
            W = np.asarray(w[0], np.float32)
            b = np.asarray(w[1], np.float32) if len(w) > 1 else np.zeros(W.shape[1], np.float32)
            steps.append(("mm", W, b))
            act = str(getattr(lay, "activation", "linear"))
        elif kind == "BatchNormalization":
            g, be, mu, var = lay.get_weights()
            sc = (g / np.sqrt(var + lay.epsilon)).astype(np.float32)
            steps.append(("affine", sc, (be - mu * sc).astype(np.float32)))
            continue
        elif kind in ("Activation", "QActivation", "ReLU", "Softmax"):
            act = kind.lower() if kind in ("ReLU", "Softmax") else str(lay.activation)
        else:
            return None
        act = act.lower()
        if "softmax" in act:
            steps.append(("softmax",))
        elif "relu" in act:
            steps.append(("relu",))

    def run(X):
        x = X
        for st in steps:
            if st[0] == "mm":
                x = x @ st[1]
                x += st[2]
            elif st[0] == "affine":
                x *= st[1]
                x += st[2]
            elif st[0] == "relu":
                np.maximum(x, 0, out=x)
            else:
                x -= x.max(1, keepdims=True)
                np.exp(x, out=x)
                x /= x.sum(1, keepdims=True)
        return x
    return run


def blas_best(model, X):
    """(best samples/s, its batch size, outputs) of the float32 BLAS forward, or None."""
    f = float_dense_forward(model)
    if f is None:
        return None
    X32 = np.asarray(X.reshape(len(X), -1), np.float32)
    y = f(X32.copy())
    rates = {}
    per_sample = max([X32.shape[1]] + [lay.get_weights()[0].shape[1] for lay in model.layers
                                       if type(lay).__name__ in ("Dense", "QDense")])
    for b in (256, 4096, 65536, 200000):
        if b * per_sample * 4 > 400e6:  # keep the batch below ~400 MB
            break
        Xb = tile(X32, b)
        rates[b] = sustained_rate(lambda: f(Xb.copy()), len(Xb))[1]
    best = max(rates, key=rates.get)
    return rates[best], best, y


def measure_hlsgen(model, X, io_type, workdir, samples):
    os.environ["HLSGEN_CACHE_DIR"] = str(Path(workdir) / "cache")  # cold cache
    t0 = time.perf_counter()
    hm = hlsgen.convert_from_keras_model(model, output_dir=Path(workdir) / "prj", io_type=io_type)
    t_convert = time.perf_counter() - t0
    t0 = time.perf_counter()
    hm.write()
    t_write = time.perf_counter() - t0
    t0 = time.perf_counter()
    hm.compile()
    t_compile = time.perf_counter() - t0
    t0 = time.perf_counter()
    hm._sim = None
    hm.compile()
    t_recompile = time.perf_counter() - t0
    y = hm.predict(X)
    Xb = tile(X, samples)
    again = lambda: sustained_rate(lambda: hm.predict(Xb), len(Xb))[1]  # noqa: E731
    return dict(convert_s=t_convert, write_s=t_write, compile_s=t_compile, recompile_s=t_recompile,
                predict_sps=again(), threads=hm._sim.threads), np.asarray(y).reshape(len(X), -1), again


def measure_ref(ref_python, model_path, x_path, io_type, qkeras, workdir):
    out = Path(workdir) / "ref"
    cmd = [ref_python, str(HERE / "ref_hls4ml.py"), str(model_path), str(x_path), io_type, str(out),
           "1" if qkeras else "0"]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("TF_USE_LEGACY_KERAS", None)
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        print(f"  reference run failed:\n{r.stderr[-2000:]}")
        return None, None
    return json.loads(r.stdout.strip().splitlines()[-1]), np.load(out / "pred.npy")


def logits_exact(model, X, workdir):
    """Fraction of pre-softmax outputs equal to QKeras's, bit for bit (hlsgen's trace)."""
    import tf_keras

    hm = hlsgen.convert_from_keras_model(model, output_dir=Path(workdir) / "prj_trace")
    _, layers = hm.trace(X)
    last = [lay for lay in model.layers if type(lay).__name__ not in ("Activation", "Softmax")][-1]
    ref = tf_keras.Model(model.inputs, last.output).predict(X, verbose=0).astype(np.float64)
    return float(np.mean(layers[last.name] == ref))


def agreement(y, yk, classifier=True):
    d = dict(max_abs_diff=float(np.abs(y - yk).max()))
    if classifier:
        d["argmax"] = float(np.mean(np.argmax(y, 1) == np.argmax(yk, 1)))
    return d


def autoencoder(seed=0):
    import keras

    keras.utils.set_random_seed(seed)
    sizes = [640, 128, 128, 128, 128, 8, 128, 128, 128, 128]
    inp = keras.Input((640,), name="input")
    x = inp
    for i, n in enumerate(sizes[1:]):
        x = keras.layers.Dense(n, name=f"dense_{i}")(x)
        x = keras.layers.BatchNormalization(name=f"bn_{i}")(x)
        x = keras.layers.Activation("relu", name=f"relu_{i}")(x)
    out = keras.layers.Dense(640, name="output")(x)
    model = keras.Model(inp, out)
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.get_weights()[0].shape[0]
            layer.set_weights([rng.uniform(0.5, 1.5, n), rng.normal(0, 0.3, n), rng.normal(0, 0.3, n),
                               rng.uniform(0.3, 3, n)])
    X = np.round(rng.normal(0, 1, (2000, 640)) * 1024) / 1024
    return model, X


ROUNDS = 3  # hlsgen, Keras (best batch) and BLAS (best batch) are timed in turn, best of each kept


def float_rates(model, X, yk, ours, again):
    """Keras (batch 256 and best) and numpy float32 BLAS rates, measured now; then ROUNDS - 1
    more rounds of hlsgen, Keras and BLAS in turn (the load of a shared machine changes by
    the second: interleaving gives each the same chances), keeping the best of each."""
    best, best_batch, at256 = keras_best(model, X)
    d = dict(keras_sps=at256, keras_best_sps=best, keras_best_batch=best_batch)
    blas = blas_best(model, X)
    if blas:
        d.update(blas_sps=blas[0], blas_batch=blas[1])
        if "QDense" not in {type(lay).__name__ for lay in model.layers}:
            # the float forward is the model: it agrees with Keras (a check that it is not a stub);
            # with QKeras layers it runs the float weights (the same work, other numbers)
            d["blas_vs_keras_max_diff"] = float(np.abs(blas[2] - yk.reshape(len(X), -1)).max())
    f = float_dense_forward(model)
    X32 = np.asarray(X.reshape(len(X), -1), np.float32)
    for _ in range(ROUNDS - 1):
        ours["predict_sps"] = max(ours["predict_sps"], again())
        d["keras_best_sps"] = max(d["keras_best_sps"], keras_rate(model, X, best_batch)[1])
        if blas:
            Xb = tile(X32, d["blas_batch"])
            d["blas_sps"] = max(d["blas_sps"], sustained_rate(lambda: f(Xb.copy()), len(Xb))[1])
    return d


def run_entry(entry, args, bench, manifest):
    """Measure one model (hlsgen first, then Keras and numpy, then the reference); returns (ours, ref)."""
    name, _, io_override = entry.partition(":")
    with tempfile.TemporaryDirectory() as work:
        if name == "autoencoder":
            model, X = autoencoder()
            ours, y, again = measure_hlsgen(model, X, "io_parallel", work, args.samples)
            yk = model.predict(X, batch_size=256, verbose=0)
            ours.update(agreement(y, yk, classifier=False), **float_rates(model, X, yk, ours, again))
            return ours, None
        m = manifest["models"][name]
        X = np.load(bench / manifest["datasets"][m["dataset"]]["X"])
        yk = np.load(bench / m["keras_pred"])
        model = load_model(bench / m["file"], m["qkeras"])
        ours, y, again = measure_hlsgen(model, X, io_override or m["io_type"], work, args.samples)
        ours.update(agreement(y, yk), **float_rates(model, X, yk, ours, again))
        if m["qkeras"]:
            ours["logits_bit_exact"] = logits_exact(model, X, work)
        ref = None
        if args.ref_python and not io_override:
            x_path = bench / manifest["datasets"][m["dataset"]]["X"]
            ref, y_ref = measure_ref(args.ref_python, bench / m["file"], x_path, m["io_type"], m["qkeras"], work)
            if ref:
                ref.update(agreement(y_ref, yk))
        return ours, ref


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(HERE.parent.parent / "shared"))
    ap.add_argument("--ref-python", default=os.environ.get("HLSGEN_REF_PYTHON"))
    ap.add_argument("--models", default="jet_mlp,jet_qmlp,cnn_small,cnn_small:io_parallel,autoencoder",
                    help="comma-separated; NAME:IO_TYPE overrides the manifest's io_type (hlsgen only)")
    ap.add_argument("--samples", type=int, default=32768,
                    help="hlsgen's throughput is timed on the test set repeated to this many samples")
    ap.add_argument("--one-thread", action="store_true",
                    help="every engine on one thread (hlsgen, TensorFlow, OpenBLAS): per-core ratios, which a "
                         "loaded machine distorts less than those of engines whose worker threads wait for cores")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one entry, print JSON
    args = ap.parse_args()
    bench = Path(args.shared) / "bench" / "models"
    manifest = json.loads((bench / "manifest.json").read_text())
    if args.one:
        ours, ref = run_entry(args.one, args, bench, manifest)
        print("RESULT " + json.dumps([ours, ref]))
        return
    rows = []
    for entry in args.models.split(","):
        # each model in a fresh process: TensorFlow's thread pools, once used, slow whatever runs next
        print(f"== {entry}", flush=True)
        cmd = [sys.executable, __file__, "--shared", args.shared, "--one", entry, "--samples", str(args.samples)]
        if args.ref_python:
            cmd += ["--ref-python", args.ref_python]
        env = dict(os.environ)
        if args.one_thread:
            env.update(HLSGEN_THREADS="1", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
                       TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1")
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        line = next((ln for ln in r.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if r.returncode != 0 or line is None:
            print(f"  failed:\n{r.stderr[-3000:]}")
            continue
        ours, ref = json.loads(line[len("RESULT "):])
        rows.append((entry, ours, ref))
        print("  hlsgen:", json.dumps({k: round(v, 4) for k, v in ours.items()}))
        if ref:
            print("  hls4ml:", json.dumps({k: round(v, 4) for k, v in ref.items()}))
    print("\nmodel                  compile s (ratio)   predict/s (x hls4ml, x Keras)   argmax   max|diff|")
    for name, o, r in rows:
        cr = f"({o['compile_s'] / r['compile_s']:.2f}x)" if r else ""
        pr = f"x{o['predict_sps'] / r['predict_sps']:.1f}" if r else "x -"
        print(f"{name:22s} {o['compile_s']:6.2f} {cr:10s} {o['predict_sps']:12,.0f} ({pr}, "
              f"x{o['predict_sps'] / o['keras_sps']:.2f})   {o.get('argmax', float('nan')):.4f}   "
              f"{o['max_abs_diff']:.4f}" + (f"   [hls4ml argmax {r['argmax']:.4f}]" if r else "")
              + (f"   QKeras logits bit-exact {o['logits_bit_exact']:.1%}" if "logits_bit_exact" in o else ""))
    print(f"\nsamples/s, same process per model ({'one thread per engine' if args.one_thread else os.cpu_count()}"
          f"{'' if args.one_thread else ' cores'}; the load average was "
          f"{os.getloadavg()[0]:.1f} at the end: on a shared machine compare ratios, not figures)")
    print("model                  hlsgen csim   Keras b256   Keras best (batch)     numpy f32 BLAS (batch)   "
          "x Keras best   x BLAS")
    for name, o, _ in rows:
        blas = f"{o['blas_sps']:12,.0f} ({o['blas_batch']:6d})" if "blas_sps" in o else f"{'-':>21s}"
        xb = f"x{o['predict_sps'] / o['blas_sps']:.2f}" if "blas_sps" in o else "-"
        print(f"{name:22s} {o['predict_sps']:11,.0f} {o['keras_sps']:12,.0f} {o['keras_best_sps']:12,.0f} "
              f"({o['keras_best_batch']:5d})   {blas}      x{o['predict_sps'] / o['keras_best_sps']:.2f}       {xb}")
    print("recompile of unchanged sources (cache hit): "
          + ", ".join(f"{n} {o['recompile_s'] * 1000:.0f} ms" for n, o, _ in rows))


if __name__ == "__main__":
    main()
