"""Design-space exploration on Dask (hlsgen.explore): a sweep on a local cluster equals
converting each point alone, a real scheduler and workers started as processes give
the same results, a worker killed mid-sweep loses no point and repeats none, an
interrupted sweep resumes from its results folder, a bad point is recorded as failed,
and the table, Pareto front and picture."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pytest

import hlsgen
from hlsgen.explore import explore, space as spacemod
from hlsgen.explore.point import accuracy

keras = pytest.importorskip("keras")
distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]
GRID = {"Precision": ["fixed<16,6>", "fixed<8,3>"], "ReuseFactor": [1, 2, 4, 8]}
BAD = {"Strategy": "Fastest"}  # not a strategy: the point fails, the others go on


def tiny():
    keras.utils.set_random_seed(3)
    i = keras.Input((8,), name="x")
    y = keras.layers.Dense(8, activation="relu", name="fc1")(i)
    return keras.Model(i, keras.layers.Dense(4, activation="softmax", name="out")(y))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return tiny(), rng.normal(size=(64, 8)).astype(np.float32)


@pytest.fixture(scope="module")
def sweep(data):
    model, X = data
    pts = spacemod.points(GRID) + [BAD]
    return explore(model, X, pts, workers=2, progress=False)


def test_space_expansion_and_errors():
    pts = spacemod.points({"Precision": ["a", "b"], "LayerName.fc1.ReuseFactor": [1, 2, 4]})
    assert len(pts) == 6 and pts[0] == {"Precision": "a", "LayerName.fc1.ReuseFactor": 1}
    assert pts[-1] == {"Precision": "b", "LayerName.fc1.ReuseFactor": 4}
    cfg, opts = spacemod.apply({"ReuseFactor": 4, "LayerName.fc1.Precision.weight": "fixed<6,1>",
                                "io_type": "io_stream"}, {"Model": {"Precision": "fixed<16,6>"}}, {"backend": "Vivado"})
    assert cfg == {"Model": {"Precision": "fixed<16,6>", "ReuseFactor": 4},
                   "LayerName": {"fc1": {"Precision": {"weight": "fixed<6,1>"}}}}
    assert opts == {"backend": "Vivado", "io_type": "io_stream"}
    with pytest.raises(spacemod.SpaceError, match=r"unknown axis 'ReuseFactr'"):
        spacemod.points({"ReuseFactr": [1]})
    with pytest.raises(spacemod.SpaceError, match=r"axis 'ReuseFactor' has no values"):
        spacemod.points({"ReuseFactor": []})
    with pytest.raises(spacemod.SpaceError, match=r"axis 'io_type': expected a list"):
        spacemod.points({"io_type": "io_stream"})


def test_local_sweep_equals_each_point_alone(sweep, data, tmp_path):
    model, X = data
    assert len(sweep.records) == 9 and sweep.computed == 9 and sweep.reused == 0
    y_ref = model.predict(X, verbose=0)
    for rec in sweep.records[:8]:
        assert rec["status"] == "ok", rec.get("error")
        cfg, _ = spacemod.apply(rec["point"], None, {})
        hm = hlsgen.convert_from_keras_model(model, hls_config=cfg, output_dir=tmp_path / rec["key"])
        alone = accuracy([hm.predict(X)], [y_ref])
        assert {k: rec[k] for k in alone} == alone  # bit-exact: the same design, the same numbers
        assert rec["dsp"] == hm.estimate().total["dsp"]
    for prec in GRID["Precision"]:  # DSPs fall as the reuse factor grows
        dsp = [r["dsp"] for r in sweep.records[:8] if r["point"]["Precision"] == prec]
        assert dsp == sorted(dsp, reverse=True) and dsp[0] > dsp[-1]


def test_a_bad_point_is_recorded_and_the_others_complete(sweep):
    bad = sweep.records[-1]
    assert bad["status"] == "failed" and "Strategy is 'Fastest'" in bad["error"]
    assert len(sweep.failed) == 1 and len(sweep.ok) == 8


def test_table_pareto_and_picture(sweep, tmp_path):
    df = sweep.to_dataframe()
    assert list(df["ReuseFactor"][:4]) == [1, 2, 4, 8] and {"dsp", "argmax_agreement", "status"} <= set(df.columns)
    assert sweep.to_csv(tmp_path / "t.csv") and (tmp_path / "t.csv").read_text().count("\n") == 10
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(sweep.to_parquet(tmp_path / "t.parquet")).to_pydict()
    assert table["dsp"][:8] == [r["dsp"] for r in sweep.records[:8]] and table["status"][-1] == "failed"
    ok = sweep.ok
    front = sweep.pareto("dsp", "argmax_agreement")
    for p in ok:  # a point is on the front iff no other point is as good on both and better on one
        beaten = any(q["dsp"] <= p["dsp"] and q["argmax_agreement"] >= p["argmax_agreement"] and
                     (q["dsp"] < p["dsp"] or q["argmax_agreement"] > p["argmax_agreement"]) for q in ok)
        assert (p in front) == (not beaten)
    svg = Path(sweep.plot(tmp_path / "sweep.svg")).read_text()
    assert all(escape(p["label"]) in svg for p in front) and "DSP slices" in svg
    assert Path(sweep.plot(tmp_path / "sweep.png")).stat().st_size > 10_000


def _start(cmd, env):
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def test_a_real_scheduler_and_two_workers(sweep, data, tmp_path):
    model, X = data
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    sched_file = tmp_path / "scheduler.json"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    procs = [_start(dask + ["--scheduler-file", str(sched_file), "--host", "127.0.0.1", "--port", "0",
                            "--no-dashboard"], env)]
    try:
        for _ in range(200):
            if sched_file.exists() and json.loads(sched_file.read_text() or "{}").get("address"):
                break
            time.sleep(0.1)
        address = json.loads(sched_file.read_text())["address"]
        for _ in range(2):
            procs.append(_start([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                 "--no-dashboard", "--host", "127.0.0.1"], env))
        with distributed.Client(address, timeout=60) as c:
            c.wait_for_workers(2, timeout=120)
        res = explore(model, X, spacemod.points(GRID) + [BAD], scheduler_address=address, progress=False)
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    strip = ("seconds", "worker", "traceback", "warnings")
    assert [{k: v for k, v in r.items() if k not in strip} for r in res.records] == \
           [{k: v for k, v in r.items() if k not in strip} for r in sweep.records]
    assert {r["worker"] for r in res.records} - {"local"} and all(r["worker"].startswith("tcp://127.0.0.1")
                                                                   for r in res.records)


def test_a_worker_killed_mid_sweep_loses_and_repeats_no_point(data):
    model, X = data
    space = {"Precision": ["fixed<14,5>", "fixed<10,4>"], "ReuseFactor": [1, 2, 4, 8]}  # not compiled yet
    killed = []
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            distributed.Client(cl) as c:
        pids = c.run(os.getpid)

        def kill_one(rec):
            if killed:
                return
            busy = [w for w, keys in c.processing().items() if keys]
            if busy:
                killed.append((busy[0], list(c.processing()[busy[0]])))
                os.kill(pids[busy[0]], signal.SIGKILL)

        res = explore(model, X, space, client=c, progress=False, on_point=kill_one)
    assert killed and killed[0][1], "no worker was busy when a point finished"
    keys = [r["key"] for r in res.records]
    assert len(res.records) == 8 and len(set(keys)) == 8 and all(r["status"] == "ok" for r in res.records)
    assert killed[0][0] not in {r["worker"] for r in res.records if r["key"] in killed[0][1]}


def test_an_interrupted_sweep_resumes_from_its_results(data, tmp_path):
    model, X = data
    model.save(tmp_path / "m.keras")
    np.save(tmp_path / "X.npy", X)
    space = {"Precision": ["fixed<12,5>", "fixed<9,4>"], "ReuseFactor": [1, 2, 4, 8]}
    (tmp_path / "space.yml").write_text(json.dumps(space))
    results = tmp_path / "results"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    p = subprocess.Popen([sys.executable, "-m", "hlsgen", "explore", str(tmp_path / "m.keras"), "--data",
                          str(tmp_path / "X.npy"), "--space", str(tmp_path / "space.yml"), "--workers", "1",
                          "--results", str(results)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    f = results / "points.jsonl"
    try:
        for _ in range(1800):
            if f.exists() and f.read_text().count("\n") >= 2:
                break
            if p.poll() is not None:
                break
            time.sleep(0.1)
    finally:
        os.killpg(p.pid, signal.SIGKILL)  # interrupted: the client and its cluster
        p.wait()
    done = [json.loads(line) for line in f.read_text().splitlines()]
    assert 2 <= len(done) < 8, "the sweep was not interrupted in the middle"
    res = explore(model, X, space, workers=1, results_dir=results, progress=False)
    assert res.reused == len(done) and res.computed == 8 - len(done)  # nothing finished is recomputed
    assert len(res.records) == 8 and all(r["status"] == "ok" for r in res.records)
    assert f.read_text().count("\n") == 8
    again = explore(model, X, space, workers=1, results_dir=results, progress=False)
    assert again.computed == 0 and again.reused == 8


def test_synthesize_needs_the_tools(data, monkeypatch):
    model, X = data
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(RuntimeError, match="synthesize=True runs the vendor C synthesis"):
        explore(model, X, {"ReuseFactor": [1]}, synthesize=True)


def test_a_pytorch_module_is_refused_with_what_to_do():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="explore takes a Keras or ONNX model.*torch.onnx.export"):
        explore(torch.nn.Linear(3, 2), np.zeros((2, 3)), {"ReuseFactor": [1]})
