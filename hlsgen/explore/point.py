"""One point of a sweep, evaluated where Dask runs it: convert the parsed graph with the
point's configuration, simulate it bit-accurately on the scattered inputs, compare with
the framework's outputs, and estimate the hardware."""
from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import os
import shutil
import tempfile
import time
import traceback
import warnings

import numpy as np

from . import space as spacemod

#: the accuracy metrics of every point (higher is better for the first, lower for the others)
ACCURACY = ("argmax_agreement", "max_abs_diff", "mean_abs_diff")
ESTIMATE = ("dsp", "lut", "ff", "bram_18k", "latency_min", "latency_max", "ii", "clock_ns")


def fingerprint(graph, xs: list, y_ref: list, base_config, base_options: dict) -> str:
    """What a point's result depends on besides the point: the model (layers, weights),
    the inputs, the reference outputs and the base configuration and options."""
    h = hashlib.sha256()
    for gi in graph.inputs:
        h.update(f"input|{gi.source_name}|{graph.tensors[gi.tensor].shape}".encode())
    for lay in graph.layers:
        h.update(f"{lay.source_name}|{lay.kind}|{lay.inputs}|{getattr(lay, 'attrs', None)!r}".encode())
        for k in sorted(lay.weights):
            h.update(k.encode())
            h.update(np.ascontiguousarray(lay.weights[k], dtype=np.float64).tobytes())
    for a in list(xs) + list(y_ref):
        h.update(str(a.shape).encode())
        h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    h.update(spacemod.canonical({"config": base_config or {}, "options": base_options}).encode())
    return h.hexdigest()


def point_key(fp: str, point: dict) -> str:
    return hashlib.sha256((fp + spacemod.canonical(point)).encode()).hexdigest()[:24]


def accuracy(ys: list, refs: list, metric=None) -> dict:
    """Argmax agreement (outputs of more than one value per sample), max and mean |diff|,
    over every output; ``metric(y_hls, y_ref)``: the user's own, on the first output."""
    agree, maxd, sums, n = [], 0.0, 0.0, 0
    for y, r in zip(ys, refs):
        y, r = np.asarray(y, dtype=np.float64).reshape(len(y), -1), np.asarray(r, dtype=np.float64).reshape(len(r), -1)
        d = np.abs(y - r)
        maxd, sums, n = max(maxd, float(d.max(initial=0.0))), sums + float(d.sum()), n + d.size
        if y.shape[1] > 1:
            agree.append(float(np.mean(np.argmax(y, axis=1) == np.argmax(r, axis=1))))
    out = dict(argmax_agreement=float(np.mean(agree)) if agree else None, max_abs_diff=maxd,
               mean_abs_diff=sums / max(n, 1))
    if metric is not None:
        out["metric"] = float(metric(ys[0] if len(ys) == 1 else ys, refs[0] if len(refs) == 1 else refs))
    return out


def evaluate(payload, point: dict, key: str, base_config, base_options: dict, metric=None,
             synthesize: bool = False) -> dict:
    """The record of one point (never raises for a bad point: status 'failed' and the error)."""
    graph, xs, refs, frontend = payload
    t0 = time.perf_counter()
    rec = dict(key=key, point=point, label=spacemod.label(point), status="ok", error=None, warnings=[])
    _one_thread_per_worker()
    tmp = tempfile.mkdtemp(prefix="hlsgen-explore-")
    try:
        from ..convert import convert_from_graph

        config, options = spacemod.apply(point, base_config, base_options)
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("always")  # kept in the record; the compiler's progress lines are not
            hm = convert_from_graph(copy.deepcopy(graph), frontend=frontend, hls_config=config,
                                    output_dir=os.path.join(tmp, "prj"), **options)
            y = hm.predict(xs if len(xs) > 1 else xs[0])
            est = hm.estimate()
        rec["warnings"] = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
        rec.update(accuracy(y if isinstance(y, list) else [y], refs, metric))
        rec.update({k: est.total[k] for k in ESTIMATE}, fits=est.fits, part=est.part.name)
        if synthesize:
            rec.update(_synthesize(hm))
    except Exception as e:  # a bad point is a result, not the end of the sweep
        rec.update(status="failed", error=f"{type(e).__name__}: {e}",
                   traceback="".join(traceback.format_exception(type(e), e, e.__traceback__))[-4000:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rec["seconds"] = round(time.perf_counter() - t0, 3)
    rec["worker"] = _worker_name()
    return rec


def _synthesize(hm) -> dict:
    """The C-synthesis numbers of a real vendor run (Vitis HLS or Vivado HLS on PATH)."""
    from ..report import read_csynth

    hm.build(csim=False, synth=True, export=False)
    rep = read_csynth(hm.output_dir)
    return {f"synth_{k}": v for k, v in rep.items()}


def _one_thread_per_worker():
    """A Dask worker with one thread runs one C simulation thread (the cores are the workers')."""
    try:
        from distributed import get_worker

        n = get_worker().state.nthreads
    except (ImportError, ValueError, AttributeError):
        return
    os.environ["HLSGEN_THREADS"] = str(max(1, int(n)))


def _worker_name():
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return "local"
