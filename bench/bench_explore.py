"""Sweep throughput on Dask: points per minute with 1 and 2 local workers, and the
per-point overhead of the engine against the same points run one after the other in
this process, in one run; then the Pareto picture of jet_mlp over precision x reuse factor.

Every measurement compiles from an empty compile cache of its own, so each one does the
same work.

    python bench/bench_explore.py [--shared ../shared] [--points 12] [--out DIR]
"""
import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = Path(__file__).resolve().parent

PRECISIONS = ["fixed<16,6>", "fixed<12,5>", "fixed<10,4>", "fixed<8,3>"]
REUSE = [1, 2, 4, 8, 16, 64]
BASE = {"Model": {"Strategy": "Resource"}}  # weights in block RAM: the larger reuse factors fit a Pynq-Z2


def fresh_cache():
    os.environ["HLSGEN_CACHE_DIR"] = tempfile.mkdtemp(prefix="hlsgen-bench-explore-cache-")


def serial(model, X, y_ref, pts):
    """The points one after the other in this process: no Dask."""
    from hlsgen.explore import point as pointmod
    from hlsgen.explore import _parse

    frontend, graph, _ = _parse(model)
    payload = (graph, [X], [y_ref], frontend)
    t0 = time.perf_counter()
    recs = [pointmod.evaluate(payload, p, str(k), BASE, {"backend": "Vivado", "io_type": "io_parallel"})
            for k, p in enumerate(pts)]
    return time.perf_counter() - t0, recs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(HERE.parent.parent / "shared"))
    ap.add_argument("--points", type=int, default=24)
    ap.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "hlsgen-bench-explore"))
    args = ap.parse_args()
    import numpy as np

    from hlsgen.converters.keras import load_keras_model
    from hlsgen.explore import explore, space

    models = Path(args.shared) / "bench" / "models"
    if (models / "jet_mlp.h5").exists():
        name, model = "jet_mlp", load_keras_model(str(models / "jet_mlp.h5"))
        X = np.load(models / "jet_X_test.npy")[:2000]
    else:
        from hlsgen.cli import EXAMPLES

        name, model = "jet_tagger (bundled example)", load_keras_model(str(EXAMPLES / "jet_tagger.keras"))
        X = np.load(EXAMPLES / "jet_X.npy")
    y_ref = model.predict(X, verbose=0)
    pts = space.points({"Precision": PRECISIONS, "ReuseFactor": REUSE})[:args.points]
    n = len(pts)
    print(f"{name}: {n} points (precision x reuse factor, Strategy Resource), {len(X)} samples each, "
          f"{os.cpu_count()} cores")

    fresh_cache()
    t_serial, _ = serial(model, X, y_ref, pts)
    rates = {}
    results = {}
    for w in (1, 2):
        fresh_cache()
        t0 = time.perf_counter()
        res = explore(model, X, pts, y_ref=y_ref, workers=w, progress=False, hls_config=BASE)
        rates[w] = n / (time.perf_counter() - t0) * 60
        results[w] = res
        assert not res.failed, res.failed
    print(f"{'engine':28s} {'points/min':>10s}")
    print(f"{'serial, in this process':28s} {n / t_serial * 60:10.1f}")
    for w in (1, 2):
        print(f"{f'Dask LocalCluster, {w} worker' + ('s' if w > 1 else ''):28s} {rates[w]:10.1f}")
    overhead = (60 / rates[1] - t_serial / n)
    print(f"2 workers / 1 worker: {rates[2] / rates[1]:.2f}x (target >= 1.6x); per-point overhead of the engine "
          f"(1 worker against serial): {overhead:+.2f} s of {t_serial / n:.2f} s per point")
    os.makedirs(args.out, exist_ok=True)
    path = results[2].plot(os.path.join(args.out, f"{name.split()[0]}_pareto.png"))
    print(f"Pareto picture: {path}")
    print(results[2])


if __name__ == "__main__":
    main()
