"""Test helper: run the io_stream kernels of a converted model's layers in a C++ harness.

For every layer of the kinds asked for, the harness pushes the layer's golden input
tensors (one nnet::array<T, C> per pixel, row-major) into hls::streams, calls the layer's
``cpp_stream_call_tpl`` (rendered with the same names the io_parallel project uses, from
the written project's ``parameters.h`` with constant weights), pops the output pixels,
and checks that every input stream was consumed and no extra output was written.
Returns {layer source name: (stream output, golden output)}.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np

from hlsgen.backends import vivado
from hlsgen.backends.templating import render_string
from hlsgen.ir.evaluate import evaluate


def _channels(shape):
    return int(shape[-1])


def run_stream_layers(hm, X, kinds, workdir):
    graph = hm.graph
    hm.write()
    prj = Path(hm.output_dir)
    code = vivado.ProjectCode(graph, hm.project_name)
    values = evaluate(graph, X)
    n = int(np.asarray(X[0] if isinstance(X, (list, tuple)) else X).shape[0])
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    funcs, calls, cases = [], [], []
    for lay, lc in zip(graph.layers, code.layers):
        k = lc.index  # the number in the project's names (the inputs are numbered first)
        if lay.kind not in kinds:
            continue
        in_shapes = graph.input_shapes(lay)
        out_shape = graph.tensors[lay.outputs[0]].shape
        in_el = [f"nnet::array<{code.tname[t]}, {_channels(s)}>" for t, s in zip(lay.inputs, in_shapes)]
        out_el = f"nnet::array<layer{k}_t, {_channels(out_shape)}>"
        t = {key: (f"layer{k}_t" if key == "result" else f"{key}{k}_t") for key in lay.types}
        tb = {}
        for name in lay.tables():
            tb[name], t[name] = f"{name}{k}", f"{name}{k}_t"
        w = {key: f"{prefix}{k}" for key, prefix in lay.weight_vars.items()}
        ctx = dict(config=f"config{k}", index=k, t=t, in_t=[code.tname[x] for x in lay.inputs],
                   ins=[f"s_in{i}" for i in range(len(lay.inputs))], out="s_out", w=w, tb=tb, layer=lay,
                   in_shapes=in_shapes, out_shape=out_shape, in_stream_t=in_el, out_stream_t=out_el)
        ctx.update(lay.cpp_context(graph))
        call = render_string(lay.cpp_stream_call_tpl, **ctx)
        sizes = [int(np.prod(s)) for s in in_shapes]
        out_size = int(np.prod(out_shape))
        body = [f"static int test{k}(long n) {{"]
        for i, sz in enumerate(sizes):
            body.append(f"    std::vector<double> x{i} = load(\"in{k}_{i}.bin\", n * {sz});")
        body.append(f"    std::vector<double> y(n * {out_size});")
        body.append("    for (long s = 0; s < n; s++) {")
        for i, (sz, el, shp) in enumerate(zip(sizes, in_el, in_shapes)):
            c = _channels(shp)
            body += [f"        hls::stream<{el} > s_in{i};",
                     f"        for (unsigned p = 0; p < {sz // c}; p++) {{ {el} a;",
                     f"            for (unsigned c = 0; c < {c}; c++) a[c] = x{i}[s * {sz} + p * {c} + c];",
                     f"            s_in{i}.write(a); }}"]
        co = _channels(out_shape)
        body += [f"        hls::stream<{out_el} > s_out;",
                 f"        {call}",
                 *[f"        if (!s_in{i}.empty()) return 1;" for i in range(len(sizes))],
                 f"        if (s_out.size() != {out_size // co}) return 2;",
                 f"        for (unsigned p = 0; p < {out_size // co}; p++) {{ {out_el} a = s_out.read();",
                 f"            for (unsigned c = 0; c < {co}; c++) y[s * {out_size} + p * {co} + c] = a[c].to_double(); }}",
                 "    }",
                 f"    save(\"out{k}.bin\", y);",
                 "    return 0;", "}"]
        funcs.append("\n".join(body))
        calls.append(f"    if (int rc = test{k}(n)) {{ std::printf(\"layer {k}: error %d\\n\", rc); return rc; }}")
        for i, x in enumerate(lay.inputs):
            np.ascontiguousarray(values[x], dtype=np.float64).tofile(work / f"in{k}_{i}.bin")
        cases.append((k, lay, out_shape))
    src = "\n".join([
        "#include <cstdio>", "#include <vector>", "#include <cstdlib>", '#include "hls_stream.h"',
        '#include "parameters.h"',
        "static std::vector<double> load(const char* f, long n) { std::vector<double> v(n);",
        "  FILE* fp = std::fopen(f, \"rb\"); if (!fp || (long)std::fread(v.data(), 8, n, fp) != n) std::abort();",
        "  std::fclose(fp); return v; }",
        "static void save(const char* f, const std::vector<double>& v) { FILE* fp = std::fopen(f, \"wb\");",
        "  std::fwrite(v.data(), 8, v.size(), fp); std::fclose(fp); }",
        *funcs,
        "int main(int argc, char** argv) { long n = std::atol(argv[1]);",
        *calls, "    return 0; }", ""])
    (work / "stream_test.cpp").write_text(src)
    cxx = shutil.which(os.environ.get("CXX", "g++"))
    fw = prj / "firmware"
    cmd = [cxx, "-O1", "-std=c++14", "-march=native", f"-I{fw}", f"-I{fw / 'ap_types'}", f"-I{fw / 'nnet_utils'}",
           "stream_test.cpp", "-o", "stream_test"]
    r = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError("stream harness failed to compile:\n" + r.stderr[-4000:])
    r = subprocess.run([str(work / "stream_test"), str(n)], cwd=work, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"stream harness failed: {r.stdout}{r.stderr}")
    out = {}
    for k, lay, shape in cases:
        y = np.fromfile(work / f"out{k}.bin").reshape((n,) + tuple(shape))
        out[lay.source_name] = (y, values[lay.outputs[0]])
    return out
