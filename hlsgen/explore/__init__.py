"""Design-space exploration on Dask: every point of a space of configurations converted,
simulated bit-accurately against the framework and estimated, in parallel.

The points are independent, so Dask (``dask.distributed``) spreads them: over the
processes of this machine (a ``LocalCluster``, the default) or over a real cluster
(``client=`` or ``scheduler_address=``: ``dask scheduler`` and ``dask worker`` on other
hosts, or dask-jobqueue on SLURM or HTCondor), with the same code.  The model is parsed
once here; the parsed graph, the inputs and the reference outputs are scattered to the
workers once.  A point that fails is recorded with its error; a point whose worker dies
is run again elsewhere by the scheduler; with ``results_dir`` each finished point is
written as it finishes and a rerun computes only what is missing.
"""
from __future__ import annotations

import contextlib
import os
import sys
import time

import numpy as np

from . import point as pointmod
from . import space as spacemod
from .result import ExploreResult
from .store import Store

__all__ = ["explore", "ExploreResult"]


def _need_dask():
    try:
        import distributed
    except ImportError:
        raise ImportError("hlsgen.explore runs on Dask: pip install 'hlsgen[explore]' (dask[distributed], pandas, "
                          "matplotlib)") from None
    return distributed


def _parse(model):
    """(frontend, parsed graph, framework model or None) of a Keras or ONNX model or file."""
    from ..convert import _keras_graph, _onnx_graph

    path = str(model) if isinstance(model, (str, os.PathLike)) else None
    if type(model).__module__.startswith("torch") or any(c.__module__.startswith("torch.nn")
                                                          for c in type(model).__mro__):
        raise TypeError("explore takes a Keras or ONNX model (object or file); for a PyTorch module, sweep its "
                        "ONNX export (torch.onnx.export) with y_ref= the module's outputs")
    if (path and path.lower().endswith(".onnx")) or type(model).__module__.startswith("onnx"):
        return "onnx", _onnx_graph(model), None
    if path:
        from ..converters.keras import load_keras_model

        model = load_keras_model(path)
    return "keras", _keras_graph(model), model


def _reference(framework_model, frontend, xs):
    if framework_model is None:
        raise ValueError(f"y_ref: give the {frontend} model's outputs on X (hlsgen computes them only for Keras models)")
    y = framework_model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    return [np.asarray(a, dtype=np.float64) for a in (y if isinstance(y, (list, tuple)) else [y])]


class _Progress:
    """``explore: 5/8 points (1 failed), 12 s left`` on one line of stderr."""

    def __init__(self, total: int, reused: int, enabled: bool):
        self.total, self.done, self.failed, self.reused = total, reused, 0, reused
        self.enabled, self.t0 = enabled and total > reused, time.perf_counter()
        self.tty = sys.stderr.isatty()
        self._show()

    def update(self, rec):
        self.done += 1
        self.failed += rec["status"] != "ok"
        self._show()

    def _show(self):
        if not self.enabled:
            return
        new = self.done - self.reused
        left = (time.perf_counter() - self.t0) / new * (self.total - self.done) if new else None
        eta = f", {left:.0f} s left" if left is not None and self.done < self.total else ""
        text = f"explore: {self.done}/{self.total} points ({self.failed} failed){eta}"
        if self.tty:
            sys.stderr.write("\r" + text.ljust(60) + ("\n" if self.done == self.total else ""))
        elif self.done == self.total or new == 0 or self.done % max(1, self.total // 10) == 0:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()


@contextlib.contextmanager
def _client(client, scheduler_address, workers):
    distributed = _need_dask()
    if client is not None:
        yield client
        return
    if scheduler_address is not None:
        with distributed.Client(scheduler_address) as c:
            yield c
        return
    import logging

    n = int(workers) if workers else max(1, os.cpu_count() or 1)
    with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=logging.ERROR) as cluster, distributed.Client(cluster) as c:
        yield c


def explore(model, X, space, y_ref=None, metric=None, backend="Vivado", board=None, io_type="io_parallel",
            workers=None, client=None, scheduler_address=None, results_dir=None, synthesize=False,
            progress=True, on_point=None, hls_config=None, **convert_options) -> ExploreResult:
    """Convert, simulate and estimate ``model`` at every point of ``space`` on Dask.

    ``space``: ``{axis: [values]}`` (every combination) or a list of ``{axis: value}``
    points; axes as ``hlsgen.explore.space`` names them (``Precision``, ``ReuseFactor``,
    ``Strategy``, ``LayerName.fc1.ReuseFactor``, ``io_type``...).  ``X``: inputs (an array,
    or a list for several inputs); ``y_ref``: the framework's outputs on X (computed once
    for a Keras model when not given); ``metric(y_hls, y_ref)``: a number of your own per
    point.  ``workers``: processes of a LocalCluster (default: one per core);
    ``client`` / ``scheduler_address``: an existing Dask cluster instead.
    ``results_dir``: each finished point is appended there; a rerun reuses them.
    ``synthesize``: also run the vendor C synthesis per point (tools on PATH) and record
    its report.  ``on_point(record)``: called here as each point finishes.  The other
    options are those of ``convert_from_keras_model`` (``hls_config`` is the base the
    points change).  Returns an :class:`ExploreResult`.
    """
    from .. import validate

    pts = spacemod.points(space)
    if workers is not None and (client is not None or scheduler_address is not None):
        raise ValueError("workers: give either workers (a local cluster) or client/scheduler_address, not both")
    if synthesize:
        _check_tools()
    frontend, graph, fw = _parse(model)
    xs = list(X) if isinstance(X, (list, tuple)) else [X]
    xs = validate.samples([np.asarray(a) for a in xs], [graph.tensors[gi.tensor].shape for gi in graph.inputs],
                          [gi.source_name for gi in graph.inputs], "X")
    refs = _reference(fw, frontend, xs) if y_ref is None else [
        np.asarray(a, dtype=np.float64) for a in (y_ref if isinstance(y_ref, (list, tuple)) else [y_ref])]
    if any(len(r) != len(xs[0]) for r in refs):
        raise ValueError(f"y_ref has {[len(r) for r in refs]} samples, X has {len(xs[0])}")
    base = dict(backend=backend, io_type=io_type, **({"board": board} if board is not None else {}), **convert_options)
    fp = pointmod.fingerprint(graph, xs, refs, hls_config, base)
    keys = [pointmod.point_key(fp, p) for p in pts]
    store = Store(results_dir) if results_dir is not None else None
    finished = store.load() if store else {}
    records = {k: finished[k] for k in keys if k in finished}
    todo = list({k: p for k, p in zip(keys, pts) if k not in records}.items())  # a repeated point runs once
    bar = _Progress(len(pts), len(records), progress)
    computed = 0
    if todo:
        distributed = _need_dask()
        with _client(client, scheduler_address, workers) as c:
            payload = c.scatter((graph, xs, refs, frontend), broadcast=True, hash=False)
            futures = {c.submit(pointmod.evaluate, payload, p, k, hls_config, base, metric, synthesize,
                                key=f"hlsgen-point-{k}", pure=False): (k, p) for k, p in todo}
            for fut in distributed.as_completed(futures):
                k, p = futures[fut]
                try:
                    rec = fut.result()
                except Exception as e:  # the point's worker died too often (KilledWorker), or the cluster failed
                    rec = dict(key=k, point=p, label=spacemod.label(p), status="failed",
                               error=f"{type(e).__name__}: {e}")
                if k in records:  # never counted twice
                    continue
                records[k] = rec
                computed += 1
                if store:
                    store.append(rec)
                bar.update(rec)
                if on_point is not None:
                    on_point(rec)
    axes = list(dict.fromkeys(a for p in pts for a in p))
    return ExploreResult([records[k] for k in keys], axes, computed=computed, reused=len(pts) - len(todo))


def _check_tools():
    import shutil

    if not any(shutil.which(t) for t in ("vitis-run", "vitis_hls", "vivado_hls")):
        raise RuntimeError("synthesize=True runs the vendor C synthesis: put Vitis HLS (vitis-run or vitis_hls) or "
                           "Vivado HLS (vivado_hls) on PATH, or sweep with estimates only (synthesize=False)")
