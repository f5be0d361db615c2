"""Benchmark hlsgen on the shared benchmark models, against Keras and (when its
environment is available) the reference tool hls4ml 1.3.0, measured in the same run.

    python bench/bench_models.py [--shared ../shared] [--ref-python ref-venv/bin/python] [--models jet_mlp,...]

For each model: convert, write, compile (cold cache) and recompile (cache hit) times,
C-simulation throughput, Keras throughput (batch 256), argmax agreement and max |diff|
with Keras' outputs.  With --ref-python, hls4ml's compile time, throughput and
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


def keras_rate(model, X):
    model.predict(X[:256], batch_size=256, verbose=0)
    return sustained_rate(lambda: model.predict(X, batch_size=256, verbose=0), len(X))


def measure_hlsgen(model, X, io_type, workdir):
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
    y, rate = sustained_rate(lambda: hm.predict(X), len(X))
    return dict(convert_s=t_convert, write_s=t_write, compile_s=t_compile, recompile_s=t_recompile,
                predict_sps=rate), np.asarray(y).reshape(len(X), -1)


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


def run_entry(entry, args, bench, manifest):
    """Measure one model (hlsgen first, then Keras, then the reference); returns (ours, ref)."""
    name, _, io_override = entry.partition(":")
    with tempfile.TemporaryDirectory() as work:
        if name == "autoencoder":
            model, X = autoencoder()
            ours, y = measure_hlsgen(model, X, "io_parallel", work)
            yk, k_rate = keras_rate(model, X)
            ours.update(agreement(y, yk, classifier=False), keras_sps=k_rate)
            return ours, None
        m = manifest["models"][name]
        X = np.load(bench / manifest["datasets"][m["dataset"]]["X"])
        yk = np.load(bench / m["keras_pred"])
        model = load_model(bench / m["file"], m["qkeras"])
        ours, y = measure_hlsgen(model, X, io_override or m["io_type"], work)
        _, k_rate = keras_rate(model, X)
        ours.update(agreement(y, yk), keras_sps=k_rate)
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
        cmd = [sys.executable, __file__, "--shared", args.shared, "--one", entry]
        if args.ref_python:
            cmd += ["--ref-python", args.ref_python]
        r = subprocess.run(cmd, capture_output=True, text=True)
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
    print("recompile of unchanged sources (cache hit): "
          + ", ".join(f"{n} {o['recompile_s'] * 1000:.0f} ms" for n, o, _ in rows))


if __name__ == "__main__":
    main()
