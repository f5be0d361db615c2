"""Cold compile time of the C simulation of each benchmark model (issue 20: the batched
network must not make a project's compile slower).

    PYTHONPATH=<tree> python bench/bench_compile.py [--shared ../shared] [--models jet_mlp,...] [--repeat 3]

For each model: convert and write the project once, then time ``hlsgen.csim.build``
(g++ on the project, every cached object rebuilt: an empty HLSGEN_CACHE_DIR) --repeat
times and keep the best.  The hlsgen imported is the one on PYTHONPATH when it is set
(to time another commit: ``git worktree add /tmp/wt OLD`` and PYTHONPATH=/tmp/wt), else
this tree's.  With --warm-kernels the build also runs with the project-independent
objects already in the cache (what every project after the first pays).

Measured 2026-12-02 (2 shared cores at load 5-8, g++ 12, -O2 -march=native).  Times there
swung by 2x between runs (wall 1.15-1.35 s and 1.63-1.82 s for jet_mlp at 7923c35 and
238bc77), so the figure compared is the instructions the compile executes (--instructions,
valgrind: the same count on any load), the project's own compile with the kernels object
in the cache (every project after the first on a machine):

    G instructions         7923c35 (before batching)   238bc77 (batched, one TU)   this tree
    jet_mlp                        5.79                        6.52                   4.69
    jet_qmlp                       6.88                        7.61                   5.68
    cnn_small (io_stream)          8.16                        9.34                   7.97
    cnn_small:io_parallel          6.22                          -                    5.56
    autoencoder                    8.22                          -                    6.09

The kernels object itself (nnet_batch16.h, every raw signature) is 2.75 G instructions,
compiled once per compiler, flags, machine and nnet_utils sources, on a cold cache at the
same time as the first project (its own process: the second core).  Compiler CPU seconds of
this tree at that load (best of 3, kernels cached): jet_mlp 1.30, jet_qmlp 1.46,
cnn_small:io_parallel 1.28, autoencoder 1.34 (7923c35: 1.34, 1.49, 1.49, 1.78).

Open: this tree's one-thread C-simulation rate of jet_mlp is below 238bc77's (2.2-2.4 M/s
against 3.0-3.1 M/s, interleaved in one process on a quiet machine): about half of it
comes back when dense_raw_outputs is inlined again (2.6 M/s), the rest is the out-of-line
sums of the cached object (no constant sizes).  Not yet traded against the compile time.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
HERE = Path(__file__).resolve().parent
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(HERE.parent))

import hlsgen  # noqa: E402
from hlsgen import csim  # noqa: E402

MODELS = "jet_mlp,jet_qmlp,cnn_small,cnn_small:io_parallel,autoencoder"


def write_project(entry, shared: Path, out: Path):
    sys.path.insert(0, str(HERE))
    import bench_models

    name, _, io_override = entry.partition(":")
    if name == "autoencoder":
        model, _ = bench_models.autoencoder()
        io = "io_parallel"
    else:
        bench = shared / "bench" / "models"
        m = json.loads((bench / "manifest.json").read_text())["models"][name]
        model = bench_models.load_model(bench / m["file"], m["qkeras"])
        io = io_override or m["io_type"]
    hm = hlsgen.convert_from_keras_model(model, output_dir=out, io_type=io)
    hm.write()
    return out


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cold_build(project: Path, repeat: int, warm_kernels: bool):
    """(best wall seconds, best compiler CPU seconds) of ``repeat`` builds, each into an empty cache."""
    wall = cpu = float("inf")
    with tempfile.TemporaryDirectory() as cache:
        for k in range(repeat):
            d = Path(cache) / str(k)
            os.environ["HLSGEN_CACHE_DIR"] = str(d)
            if warm_kernels and hasattr(csim, "build_kernels"):
                csim.build_kernels(project)
            c0, t0 = _child_cpu(), time.perf_counter()
            csim.build(project, verbose=False)
            wall = min(wall, time.perf_counter() - t0)
            cpu = min(cpu, _child_cpu() - c0)
    return wall, cpu


def instructions(project: Path, warm_kernels: bool) -> float:
    """Instructions (billions) the compile of ``project`` executes, every process of it counted
    by valgrind (deterministic, unlike times on a loaded machine): the logged commands of a
    build into an empty cache (with --warm-kernels: the kernels object already there), rerun."""
    import re
    import shlex
    import subprocess

    with tempfile.TemporaryDirectory() as cache:
        os.environ["HLSGEN_CACHE_DIR"] = cache
        logs = [project / "build" / "csim_compile.log"]
        if hasattr(csim, "build_kernels") and csim.build_kernels(project):  # first: the project's log is one command
            logs += [] if warm_kernels else [project / "build" / "csim_kernels_compile.log"]
        csim.build(project, verbose=False)
        total = 0
        for k, log in enumerate(logs):
            cmd = shlex.split(log.read_text().splitlines()[0])
            cmd[cmd.index("-o") + 1] = str(Path(cache) / f"counted{k}")
            r = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no", "--trace-children=yes",
                                "--cachegrind-out-file=/dev/null", *cmd], cwd=project, capture_output=True, text=True)
            if not (Path(cache) / f"counted{k}").exists():
                raise RuntimeError(f"the counted compile failed: {r.stderr[-2000:]}")
            total += sum(int(x.replace(",", "")) for x in re.findall(r"I\s+refs:\s+([\d,]+)", r.stderr))
    return total / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(HERE.parent.parent / "shared"))
    ap.add_argument("--models", default=MODELS)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--warm-kernels", action="store_true")
    ap.add_argument("--keep", help="write the projects here (kept) instead of a temporary folder")
    ap.add_argument("--instructions", action="store_true",
                    help="also count the compile's instructions with valgrind (slow: about a minute a model)")
    args = ap.parse_args()
    print(f"hlsgen from {Path(hlsgen.__file__).parent}", flush=True)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep or tmp)
        for entry in args.models.split(","):
            prj = write_project(entry, Path(args.shared), work / entry.replace(":", "_"))
            wall, cpu = cold_build(prj, args.repeat, args.warm_kernels)
            rows[entry] = dict(wall_s=wall, cpu_s=cpu)
            if args.instructions:
                rows[entry]["ginstr"] = instructions(prj, args.warm_kernels)
            print(f"{entry:22s} {wall:6.2f} s wall  {cpu:6.2f} s compiler CPU"
                  + (f"  {rows[entry]['ginstr']:6.3f} G instructions" if args.instructions else ""), flush=True)
    print("RESULT " + json.dumps(rows))


if __name__ == "__main__":
    main()
