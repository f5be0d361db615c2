"""Test harness: run hlsgen layer kinds' C++ against their numpy goldens.

Many cases go into ONE translation unit (compile time dominates): each case gets its
typedefs, tables, weights, the layer's own config struct and call rendered from
``cpp_config_tpl`` / ``cpp_call_tpl`` (Jinja2, StrictUndefined, the same context names the
backend provides), and a function that reads a binary file of doubles, runs the layer
sample by sample and writes the outputs.

    cases = [LayerCase("relu8", Activation, dict(activation="relu"), in_type="fixed<8,3>", shape=(4,))]
    prog = build_program(cases, tmpdir, include_dir)      # compiles once
    out = prog.run(tmpdir)                                  # {case id: array}
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import numpy as np

from hlsgen.fixed import FixedType, parse_type
from hlsgen.ir.graph import Graph
from hlsgen.layers.activations import cpp_literal
from hlsgen.layers.base import TypeContext

REPO = Path(__file__).resolve().parents[1]
NNET = REPO / "hlsgen" / "templates" / "nnet_utils"
OUR_AP = REPO / "hlsgen" / "templates" / "ap_types"


def gxx():
    return shutil.which(os.environ.get("CXX", "g++"))


def xilinx_ap_types():
    """Xilinx's ap_types headers (user's XILINX_HLS, else the hls4ml wheel), or None."""
    xil = os.environ.get("XILINX_HLS")
    if xil and (Path(xil) / "include" / "ap_fixed.h").exists():
        return Path(xil) / "include"
    try:
        spec = importlib.util.find_spec("hls4ml")
    except (ImportError, ValueError):
        spec = None
    if spec and spec.submodule_search_locations:
        d = Path(list(spec.submodule_search_locations)[0]) / "templates" / "vivado" / "ap_types"
        if (d / "ap_fixed.h").exists():
            return d
    return None


def our_ap_types():
    return OUR_AP if (OUR_AP / "ap_fixed.h").exists() and (OUR_AP / "ap_int.h").exists() else None


@dataclass
class LayerCase:
    """One layer instance with its input type, shape and input samples."""

    id: str
    cls: type
    attrs: dict
    in_type: str
    shape: tuple
    weights: dict = field(default_factory=dict)
    precision: dict = field(default_factory=dict)
    default: str = "fixed<16,6>"
    x: np.ndarray | None = None  # batch-first, on the input grid

    def build(self):
        """Instantiate the layer, run shape and type inference (what the compiler does)."""
        self.in_t = parse_type(self.in_type)
        g = Graph("h")
        g.add_tensor(f"{self.id}_x", self.shape, self.in_t)
        lay = self.cls(self.id, self.id, [f"{self.id}_x"], [f"{self.id}_y"], dict(self.attrs), dict(self.weights))
        lay.cfg.precision = dict(self.precision)
        self.out_shape = lay.output_shape([tuple(self.shape)])
        g.add_tensor(f"{self.id}_y", self.out_shape)
        lay.in_types = [self.in_t]
        lay.infer_types([self.in_t], TypeContext(parse_type(self.default)))
        g.tensors[f"{self.id}_y"].type = lay.types["result"]
        g.add_layer(lay)
        self.layer, self.graph = lay, g
        return lay

    def golden(self):
        return self.layer.golden([self.x])


_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def _array(ctype, name, values, inits):
    """A table/weight array.  The values are stored as doubles and converted once at start
    up: g++ -O2 takes about a second per 1024 ap_fixed initializers with Xilinx's headers
    (superlinear in one translation unit), which a test program with dozens of tables
    cannot afford.  The kernels still receive ``const T[]``."""
    body = ", ".join(cpp_literal(v) for v in np.asarray(values, dtype=np.float64).reshape(-1))
    n = np.size(values)
    inits.append(f"for (unsigned i = 0; i < {n}; i++) {name}[i] = {name}_d[i];")
    return f"static const double {name}_d[{n}] = {{{body}}};\nstatic {ctype} {name}[{n}];"


def render_case(k: int, case: LayerCase) -> str:
    lay = case.layer
    p = f"c{k}"
    lines = [f"// ---- case {case.id}", f"typedef {case.in_t.cpp()} {p}_in_t;"]
    t = {}
    for key, ft in lay.types.items():
        t[key] = f"{p}_{key}_t"
        lines.append(f"typedef {ft.cpp()} {t[key]};")
    tb, inits = {}, []
    for name, (ft, vals) in lay.tables().items():
        if name not in t:
            t[name] = f"{p}_{name}_t"
            lines.append(f"typedef {ft.cpp()} {t[name]};")
        tb[name] = f"{p}_tb_{name}"
        lines.append(_array(t[name], tb[name], vals, inits))
    w = {}
    for key, prefix in lay.weight_vars.items():
        w[key] = f"{p}_{prefix}"
        lines.append(_array(t[key], w[key], lay.types[key].quantize(lay.weights[key]), inits))
    ctx = dict(
        config=f"{p}_config", index=k, t=t, in_t=[f"{p}_in_t"], ins=["x"], out="y", w=w, tb=tb,
        layer=lay, in_shapes=[tuple(case.shape)], out_shape=tuple(case.out_shape),
    )
    ctx.update(lay.cpp_context(case.graph))
    lines.append(_ENV.from_string(lay.cpp_config_tpl).render(**ctx))
    call = _ENV.from_string(lay.cpp_call_tpl).render(**ctx)
    n_in = int(np.prod(case.shape))
    n_out = int(np.prod(case.out_shape))
    lines.append(
        f"""static void run_{p}(const char *dir) {{
    {" ".join(inits)}
    std::vector<double> buf = read_doubles(dir, "{p}.in");
    const size_t n_in = {n_in}, n_out = {n_out};
    const size_t batch = buf.size() / n_in;
    std::vector<double> res(batch * n_out);
    for (size_t b = 0; b < batch; b++) {{
        {p}_in_t x[{n_in}];
        {t['result']} y[{n_out}];
        for (size_t i = 0; i < n_in; i++) x[i] = buf[b * n_in + i];
        {call}
        for (size_t i = 0; i < n_out; i++) res[b * n_out + i] = y[i].to_double();
    }}
    write_doubles(dir, "{p}.out", res);
}}"""
    )
    return "\n".join(lines)


PRELUDE = """#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>
#include "ap_fixed.h"
{includes}

static std::vector<double> read_doubles(const char *dir, const char *name) {{
    std::string path = std::string(dir) + "/" + name;
    FILE *f = std::fopen(path.c_str(), "rb");
    if (!f) {{ std::perror(path.c_str()); std::exit(2); }}
    std::vector<double> v;
    double d;
    while (std::fread(&d, sizeof d, 1, f) == 1) v.push_back(d);
    std::fclose(f);
    return v;
}}

static void write_doubles(const char *dir, const char *name, const std::vector<double> &v) {{
    std::string path = std::string(dir) + "/" + name;
    FILE *f = std::fopen(path.c_str(), "wb");
    if (!f) {{ std::perror(path.c_str()); std::exit(2); }}
    std::fwrite(v.data(), sizeof(double), v.size(), f);
    std::fclose(f);
}}
"""


class Program:
    def __init__(self, exe: Path, cases: list):
        self.exe, self.cases = exe, cases

    def run(self, data_dir: Path) -> dict:
        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        for k, c in enumerate(self.cases):
            np.ascontiguousarray(c.x, dtype="<f8").tofile(data_dir / f"c{k}.in")
        r = subprocess.run([str(self.exe), str(data_dir)], capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise RuntimeError(f"test program failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        out = {}
        for k, c in enumerate(self.cases):
            y = np.fromfile(data_dir / f"c{k}.out", dtype="<f8")
            out[c.id] = y.reshape((c.x.shape[0],) + tuple(c.out_shape))
        return out


def build_program(cases: list, work: Path, ap_include: Path, extra_flags=()) -> Program:
    """Render every case into one C++ file and compile it with g++ -std=c++14 -O2."""
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    for c in cases:
        if not hasattr(c, "layer"):
            c.build()
    headers = sorted({h for c in cases for h in c.layer.cpp_headers})
    parts = [PRELUDE.format(includes="\n".join(f'#include "{h}"' for h in headers))]
    for k, c in enumerate(cases):
        parts.append(render_case(k, c))
    parts.append("int main(int argc, char **argv) {\n    const char *dir = argc > 1 ? argv[1] : \".\";")
    for k, _ in enumerate(cases):
        parts.append(f"    run_c{k}(dir);")
    parts.append("    return 0;\n}\n")
    src = work / "cases.cpp"
    src.write_text("\n\n".join(parts))
    exe = work / "cases"
    # HLSGEN_CXXFLAGS as for hlsgen.csim (CI sets -DHLSGEN_NO_FAST_CSIM to test the synthesizable code path)
    env_flags = os.environ.get("HLSGEN_CXXFLAGS", "").split()
    cmd = [gxx(), "-std=c++14", "-O2", "-w", f"-I{NNET}", f"-I{ap_include}", *env_flags, *extra_flags, str(src), "-o",
           str(exe)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"g++ failed:\n{' '.join(cmd)}\n{r.stderr[-20000:]}")
    return Program(exe, cases)


def grid_values(t: FixedType, rng, count: int, special=()) -> np.ndarray:
    """Values on t's grid: all of them if there are few, else the edges, ``special``
    points and their neighbours, and random raw values."""
    n_all = t.max_raw - t.min_raw + 1
    if n_all <= count:
        return t.from_raw(np.arange(t.min_raw, t.max_raw + 1))
    raws = [t.min_raw, t.min_raw + 1, t.max_raw, t.max_raw - 1, 0, 1, -1 if t.signed else 2]
    for s in special:
        r = int(np.floor(s / t.lsb))
        raws += [r - 1, r, r + 1]
    raws = [r for r in raws if t.min_raw <= r <= t.max_raw]
    rnd = rng.integers(t.min_raw, t.max_raw + 1, size=count - len(raws))
    # half of the random values concentrated near zero, where the functions bend
    near = rng.integers(max(t.min_raw, -int(16 / t.lsb)), min(t.max_raw, int(16 / t.lsb)) + 1, size=rnd.size // 2)
    rnd[: near.size] = near
    return t.from_raw(np.concatenate([np.array(raws, dtype=np.int64), rnd]))


def as_samples(values: np.ndarray, shape) -> np.ndarray:
    """Pack a 1-D array of values into samples of ``shape`` (repeating to fill the last)."""
    n = int(np.prod(shape))
    m = -(-values.size // n) * n
    v = np.resize(values, m)
    return v.reshape((-1,) + tuple(shape))
