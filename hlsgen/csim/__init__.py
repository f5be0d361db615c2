"""Bit-accurate C simulation: compile a written project with g++ and run it via ctypes.

Works from the project folder alone (``hlsgen_meta.json`` says what is in it), so a
project can be simulated without the model that produced it (``hlsgen predict DIR``).

The shared library is cached on a hash of the compiler, the flags and every source
file except the weight values: weights are loaded at run time, so a second compile of
unchanged sources, or of the same network with other weights, is a cache hit.

The kernels that depend on no layer's types (``nnet_utils/nnet_batch16.h``) are compiled
once per compiler, flags, machine and library sources into a cached object that every
project links; the project's own translation unit sees their declarations only.  On a cold
cache that object is compiled alongside the project.
"""
from __future__ import annotations

import ctypes
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import abi

CXXFLAGS = ["-O2", "-std=c++14", "-fPIC", "-shared", "-fno-gnu-unique", "-pthread", "-march=native",
            *[f"-D{d}" for d in abi.BUILD_DEFINES]]


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, e.g. under taskset or a
    container's cpuset), not the machine's."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def default_threads() -> int:
    """Threads a predict runs on: $HLSGEN_THREADS if set (at most the available cores), else
    every available core."""
    text = os.environ.get("HLSGEN_THREADS", "").strip()
    cores = available_cores()
    if not text:
        return cores
    try:
        n = int(text)
    except ValueError:
        raise ValueError(f"HLSGEN_THREADS={text!r} is not a whole number of threads") from None
    if n < 1:
        raise ValueError(f"HLSGEN_THREADS={text!r}: the C simulation needs at least 1 thread")
    return min(n, cores)


class CompileError(RuntimeError):
    """g++ failed: the message holds the end of its log and the log's path."""


def cache_dir() -> Path:
    d = os.environ.get("HLSGEN_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "hlsgen")
    return Path(d)


def compiler() -> str:
    cxx = os.environ.get("CXX", "g++")
    path = shutil.which(cxx)
    if path is None:
        raise CompileError(f"C++ compiler {cxx!r} not found on PATH: install g++ (e.g. apt-get install g++) or set CXX")
    return path


def _compiler_id(cxx: str) -> str:
    out = subprocess.run([cxx, "--version"], capture_output=True, text=True)
    return out.stdout.splitlines()[0] if out.stdout else cxx


def _machine_id() -> str:
    import platform

    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return f"{platform.machine()} {model.strip()}"


def include_dirs(project: Path, ap_types=None) -> list:
    """Include path, relative to the project folder: its firmware, then its ap_types
    (or another copy, e.g. Xilinx's: a folder, or several as a list or an os.pathsep-separated
    string, searched in order; absolute paths), then nnet_utils."""
    ap = ap_types or os.environ.get("HLSGEN_AP_TYPES")
    if not ap:
        return ["firmware", "firmware/ap_types", "firmware/nnet_utils"]
    dirs = ap.split(os.pathsep) if isinstance(ap, str) else [ap] if isinstance(ap, os.PathLike) else list(ap)
    return ["firmware", *[str(Path(d).resolve()) for d in dirs if str(d)], "firmware/nnet_utils"]


def source_hash(project: Path, flags: list, cxx: str) -> str:
    h = hashlib.sha256()
    h.update(_compiler_id(cxx).encode())
    h.update(" ".join(flags).encode())
    meta = json.loads((project / "hlsgen_meta.json").read_text())
    h.update(_machine_id().encode())  # -march=native: a library built elsewhere may not run here
    files = [project / f"{meta['project']}_bridge.cpp"] + sorted(project.glob("*.h"))
    files += sorted(p for p in (project / "firmware").rglob("*") if p.is_file() and p.suffix != ".txt")
    for inc in flags:
        if inc.startswith("-I") and Path(inc[2:]).is_absolute():
            files += sorted(p for p in Path(inc[2:]).rglob("*.h"))
    for f in files:
        h.update(str(f.relative_to(project) if f.is_relative_to(project) else f).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:20]


#: The project-independent kernels: a header of nnet_utils compiled on its own (no -I: it
#: includes system headers only) with KERNELS_INSTANTIATE; projects built with KERNELS_OBJECT
#: see its declarations only and link the object.
KERNELS_SOURCE = "firmware/nnet_utils/nnet_batch16.h"
KERNELS_INSTANTIATE = "-DHLSGEN_BATCH16_INSTANTIATE"
KERNELS_OBJECT = "-DHLSGEN_BATCH16_OBJECT"


def _kernel_flags(flags: list) -> list:
    return [f for f in flags if not f.startswith("-I") and f != "-shared"]


def kernels_hash(project: Path, flags: list, cxx: str) -> str:
    """The cache key of the kernels object: compiler, flags (without include paths), machine
    and every file of the project's nnet_utils (whatever the kernels header includes now or later)."""
    h = hashlib.sha256()
    h.update(_compiler_id(cxx).encode())
    h.update(" ".join(_kernel_flags(flags)).encode())
    h.update(_machine_id().encode())
    for f in sorted((project / KERNELS_SOURCE).parent.iterdir()):
        if f.is_file():
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:20]


def _compile_error(returncode: int, output: str, what: Path, log: Path) -> CompileError:
    lines = output.strip().splitlines()
    shown = "\n".join(lines[:25] + (["..."] if len(lines) > 25 else []))  # g++'s first errors matter most
    return CompileError(f"g++ failed (exit {returncode}) compiling {what}; full log: {log}\n{shown}")


def _kernels_command(project: Path, flags: list, cxx: str, out: Path) -> list:
    return [cxx, *_kernel_flags(flags), KERNELS_INSTANTIATE, "-x", "c++", "-c", str(project / KERNELS_SOURCE),
            "-o", str(out)]


def build_kernels(project, ap_types=None, extra_flags=()) -> Path | None:
    """Compile (or find in the cache) the kernels object ``build`` links for this project's
    flags; None for a project written without the kernels header."""
    project = Path(project).resolve()
    cxx = compiler()
    flags = _flags(project, ap_types, extra_flags)
    if not (project / KERNELS_SOURCE).exists():
        return None
    obj = cache_dir() / f"hlsgen_kernels_{kernels_hash(project, flags, cxx)}.o"
    if obj.exists():
        return obj
    obj.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_path(obj, ".o.tmp")
    try:
        cmd = _kernels_command(project, flags, cxx, tmp)
        _finish(_popen(cmd, project), cmd, tmp, obj, project / KERNELS_SOURCE,
                project / "build" / "csim_kernels_compile.log")
    finally:
        tmp.unlink(missing_ok=True)
    return obj


def _tmp_path(final: Path, suffix: str) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=final.stem + ".", suffix=suffix, dir=final.parent)
    os.close(fd)
    return Path(tmp)


def _finish(proc, cmd: list, tmp: Path, final: Path, what: Path, log: Path, append: bool = False):
    """Wait for a compile; its command and output to ``log`` (after what it holds if ``append``);
    on success ``tmp`` becomes ``final``."""
    try:
        out, err = proc.communicate()
    except BaseException:  # Ctrl-C included: the compiler stops, its output is removed by the caller
        proc.kill()
        proc.wait()
        raise
    log.parent.mkdir(exist_ok=True)
    with open(log, "a" if append else "w") as f:
        f.write(("\n" if append else "") + " ".join(cmd) + "\n\n" + out + err)
    if proc.returncode != 0:
        raise _compile_error(proc.returncode, out + err, what, log)
    os.replace(tmp, final)


def _flags(project: Path, ap_types, extra_flags) -> list:
    extra = os.environ.get("HLSGEN_CXXFLAGS", "").split()
    return CXXFLAGS + list(extra_flags) + extra + [f"-I{d}" for d in include_dirs(project, ap_types)]


def build(project, ap_types=None, verbose: bool = True, extra_flags=()) -> Path:
    """Compile the project's C simulation library; returns its path (cached).
    ``extra_flags``: more compiler flags (e.g. ``-DHLSGEN_SAT_EXACT``, hlsgen.saturation)."""
    project = Path(project).resolve()
    meta = json.loads((project / "hlsgen_meta.json").read_text())
    cxx = compiler()
    flags = _flags(project, ap_types, extra_flags)
    kernels = None
    if (project / KERNELS_SOURCE).exists():
        kernels = cache_dir() / f"hlsgen_kernels_{kernels_hash(project, flags, cxx)}.o"
        flags = flags + [KERNELS_OBJECT]
    digest = source_hash(project, flags, cxx)
    lib = cache_dir() / f"lib{meta['project']}_{digest}.so"
    if lib.exists():
        return lib
    lib.parent.mkdir(parents=True, exist_ok=True)
    log = project / "build" / "csim_compile.log"
    log.parent.mkdir(exist_ok=True)
    bridge = f"{meta['project']}_bridge.cpp"
    if verbose:
        print(f"hlsgen: compiling the C simulation of {meta['project']} with {Path(cxx).name} ...",
              file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    tmp = _tmp_path(lib, ".so.tmp")
    temps = [tmp]
    try:
        if kernels is None or kernels.exists():  # one command: compile and link
            cmd = [cxx, *flags, bridge, *([str(kernels)] if kernels else []), "-o", str(tmp)]
            _finish(_popen(cmd, project), cmd, tmp, lib, project, log)
        else:  # the kernels object and the project's object at once, then the link
            ktmp, otmp = _tmp_path(kernels, ".o.tmp"), _tmp_path(lib, ".o.tmp")
            temps += [ktmp, otmp]
            kcmd = _kernels_command(project, flags, cxx, ktmp)
            kproc = _popen(kcmd, project)
            cmd = [cxx, *[f for f in flags if f != "-shared"], "-c", bridge, "-o", str(otmp)]
            try:
                _finish(_popen(cmd, project), cmd, otmp, otmp, project, log)
            except BaseException:
                kproc.kill()
                kproc.wait()
                raise
            _finish(kproc, kcmd, ktmp, kernels, project / KERNELS_SOURCE, project / "build" / "csim_kernels_compile.log")
            lcmd = [cxx, *_kernel_flags(flags), "-shared", str(otmp), str(kernels), "-o", str(tmp)]
            _finish(_popen(lcmd, project), lcmd, tmp, lib, project, log, append=True)
    finally:
        for t in temps:
            t.unlink(missing_ok=True)
    if verbose:
        print(f"hlsgen: compiled in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    return lib


def _popen(cmd: list, cwd: Path):
    return subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _private_load(lib: Path):
    """dlopen a private copy of ``lib``: the cached library is shared by every project with
    the same sources, and its weights are globals, so each Simulation needs its own."""
    fd, tmp = tempfile.mkstemp(prefix=lib.stem + ".", suffix=".so", dir=lib.parent)
    try:
        with os.fdopen(fd, "wb") as f, open(lib, "rb") as src:
            shutil.copyfileobj(src, f)
        return ctypes.CDLL(tmp)
    finally:
        os.unlink(tmp)  # the mapping stays valid while loaded


def _progress(done: int, total: int, t0: float):
    if not sys.stderr.isatty() and done < total:
        return
    rate = done / max(time.perf_counter() - t0, 1e-9)
    end = "\n" if done >= total else ""
    print(f"\rhlsgen: predict {done}/{total} samples ({rate:,.0f}/s)", end=end, file=sys.stderr, flush=True)


def read_weight_values(path) -> np.ndarray:
    """A weight array's values from the project file hlsgen_meta.json names: its .txt, or its
    header's ``#define HLSGEN_VALUES_<VAR> v, v, ...`` line (write_weights_txt=False)."""
    path = Path(path)
    text = path.read_text()
    if path.suffix == ".h":
        m = re.search(r"^#define HLSGEN_VALUES_\w+ (.*)$", text, re.M)
        if not m:
            raise ValueError(f"{path}: no '#define HLSGEN_VALUES_...' line with the weight values")
        text = m.group(1)
    return np.array(text.replace(",", " ").split(), dtype=np.float64)


class Simulation:
    """A loaded C simulation of a written project."""

    PROGRESS_MIN = 20000  # samples; smaller batches run in one call, silently

    def __init__(self, project, ap_types=None, verbose: bool = True, extra_flags=()):
        self.project = Path(project).resolve()
        self.meta = json.loads((self.project / "hlsgen_meta.json").read_text())
        self.ap_types = ap_types
        self.lib_path = build(self.project, ap_types, verbose, extra_flags)
        self.lib = _private_load(self.lib_path)
        if abi.version(self.lib) != self.meta["abi"] or self.meta["abi"] != abi.VERSION:
            raise RuntimeError(f"{self.lib_path} does not match the project's bridge version")
        abi.bind_network(self.lib)
        self.accelerator = self.meta.get("accelerator")
        if self.accelerator:
            abi.bind_accelerator(self.lib, bool(self.accelerator["weights"]))
        self.load_weights_from_project()
        self.threads = default_threads()

    # ------------------------------------------------------------------ weights
    def load_weights_from_project(self):
        for w in self.meta["weights"]:
            self.set_weight(w["id"], read_weight_values(self.project / w["file"]))

    def set_weight(self, wid: int, values):
        v = np.ascontiguousarray(np.asarray(values, dtype=np.float64).ravel())
        rc = getattr(self.lib, abi.SET_WEIGHT)(wid, v.ctypes.data, v.size)
        if rc != 0:
            w = self.meta["weights"][wid]
            raise ValueError(f"weight {w['var']} ({w['layer']}.{w['key']}) expects {w['size']} values, got {v.size}")

    # ------------------------------------------------------------------ running
    def _inputs(self, X):
        specs = self.meta["inputs"]
        xs = list(X) if isinstance(X, (list, tuple)) else [X]
        if len(xs) != len(specs):
            raise ValueError(f"the model has {len(specs)} inputs, got {len(xs)} arrays")
        out, n = [], None
        for x, s in zip(xs, specs):
            if np.iscomplexobj(x):
                raise TypeError(f"input {s['name']!r} is complex; hlsgen computes on real values")
            x = np.asarray(x, dtype=np.float64)
            shape = tuple(s["shape"])
            if x.shape == shape:  # one sample
                x = x[None]
            elif not (x.ndim >= 1 and (x.shape[1:] == shape or x.shape[1:] == (s["size"],))):
                flat = f" or (N, {s['size']}) in this layout" if len(shape) > 1 else ""
                raise ValueError(f"input {s['name']!r} expects shape (N, {', '.join(map(str, shape))}){flat}, "
                                 f"got {x.shape}")
            if x.shape[0] == 0:
                raise ValueError("no samples to run: X is empty")
            if not np.all(np.isfinite(x)):
                raise ValueError(f"input {s['name']!r} contains NaN or infinity")
            x = np.ascontiguousarray(x.reshape(x.shape[0], -1))
            if n is not None and x.shape[0] != n:
                raise ValueError("all inputs must have the same number of samples")
            n = x.shape[0]
            out.append(x)
        return out, n

    def load_weights(self, words):
        """Send weight values (bus order of registers.json) through the accelerator's weight port."""
        if not (self.accelerator and self.accelerator["weights"]):
            raise ValueError("this project has no weight port: convert with weights='reprogrammable'")
        v = np.ascontiguousarray(np.asarray(words, dtype=np.float64).ravel())
        n = sum(w["size"] for w in self.accelerator["weights"])
        if v.size != n or getattr(self.lib, abi.ACCEL_LOAD_WEIGHTS)(v.ctypes.data, v.size) != 0:
            raise ValueError(f"the weight port takes {n} values, got {v.size}")

    def run(self, X, trace_ids=(), top=False):
        xs, n = self._inputs(X)
        ys = [np.empty((n, o["size"]), dtype=np.float64) for o in self.meta["outputs"]]
        nlayers = len(self.meta["trace"]) + 1
        tr = {t["id"]: np.empty((n, t["size"]), dtype=np.float64) for t in self.meta["trace"] if t["id"] in trace_ids}
        step = n if n < self.PROGRESS_MIN else max(4096, n // 50)
        t0 = time.perf_counter()
        for b in range(0, n, step):
            e = min(n, b + step)
            px = (ctypes.c_void_p * len(xs))(*[x[b:e].ctypes.data for x in xs])
            py = (ctypes.c_void_p * len(ys))(*[y[b:e].ctypes.data for y in ys])
            pt = None
            if tr:
                pt = (ctypes.c_void_p * nlayers)(*[tr[k][b:e].ctypes.data if k in tr else None for k in range(nlayers)])
            if top:
                getattr(self.lib, abi.ACCEL_PREDICT)(px, py, e - b, self.threads)
            else:
                getattr(self.lib, abi.PREDICT)(px, py, e - b, self.threads, pt)
            if n >= self.PROGRESS_MIN:
                _progress(e, n, t0)
        ys = [y.reshape((n, *o["shape"])) for y, o in zip(ys, self.meta["outputs"])]
        return ys, tr

    def predict(self, X, top: bool | None = None):
        """Outputs for X; through the accelerator top when the project has one (unless top=False)."""
        if top is None:
            top = bool(self.accelerator)
        if top and not self.accelerator:
            raise ValueError("this project has no accelerator top (backend='VivadoAccelerator')")
        ys, _ = self.run(X, top=top)
        return ys[0] if len(ys) == 1 else ys

    def trace(self, X):
        """Outputs of every layer, keyed by the layer's name in the model.  A layer that
        absorbed others (a folded batch-norm, a fused ReLU) gives its output under one name
        only, the model layer's whose output it is (``hlsgen.saturation.output_name``)."""
        ids = [t["id"] for t in self.meta["trace"]]
        ys, tr = self.run(X, ids)
        out = {}
        for t in self.meta["trace"]:
            out[t.get("output") or (t.get("aliases") or [t["name"]])[-1]] = tr[t["id"]].reshape((-1, *t["shape"]))
        return (ys[0] if len(ys) == 1 else ys), out
