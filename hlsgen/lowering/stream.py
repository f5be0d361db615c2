"""io_stream: the network top as a DATAFLOW region of layers connected by streams.

Every tensor of shape (..., C) travels as ``hls::stream<nnet::array<T, C>>``, one element
per pixel (a 1-D tensor of N features is one element of N; see nnet_array.h).

* A layer kind with a streaming kernel (``Layer.cpp_stream_call_tpl``) is called on the
  streams directly.  Any other layer gets a generated adapter function that reads its
  input tensors into arrays, runs the io_parallel code (the same call as in
  io_parallel, so the results are identical by construction) and writes the result
  back to a stream.  View layers (Flatten, Reshape) repack the elements.
* A tensor read by several layers (or also a model output) goes through a clone: a
  generated function writing each element to every reader's stream.
* FIFO depths.  A stream on a reconvergent path (between a tensor that feeds several
  layers and a layer that joins their results, e.g. a residual block) gets the element
  count of its tensor: a producer on either branch can then write its whole output
  without waiting for the other branch, so the join can never deadlock, whatever the
  branches' latencies (a line-buffered convolution, or an adapter that reads a whole
  tensor before writing).  Every other stream is a plain chain between one producer and
  one consumer, where waiting cannot deadlock: it gets ``CHAIN_DEPTH``.  Exact minimal
  depths for branches (``hlsgen.layers.conv.stream_lag``) are an optimisation for later;
  only cosim on the real tool measures them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..escape import Code
from ..templating import render_string


@dataclass
class StreamStep:
    kind: str  # "kernel" | "adapter" | "clone"
    text: str  # the call (kernel/clone) or the adapter function's call
    function: str = ""  # adapter function definition
    trace: list = field(default_factory=list)  # (layer index, stream var, element count)

    def __post_init__(self):  # C++ written here from generated names only
        self.text, self.function = Code(self.text), Code(self.function)


CHAIN_DEPTH = 2


def _reconvergent(graph) -> set:
    """Tensors on a path from a fork (a tensor read by several layers) to a join (a layer
    with several inputs) that the fork reaches along more than one of its readers."""
    consumers = {}
    for lay in graph.layers:
        for t in lay.inputs:
            consumers.setdefault(t, []).append(lay)

    def downstream(t, seen):
        if t in seen:
            return seen
        seen.add(t)
        for lay in consumers.get(t, []):
            downstream(lay.outputs[0], seen)
        return seen

    producer = {lay.outputs[0]: lay for lay in graph.layers}

    def upstream(t, seen):
        if t in seen:
            return seen
        seen.add(t)
        lay = producer.get(t)
        for u in (lay.inputs if lay else []):
            upstream(u, seen)
        return seen

    out = set()
    joins = [lay for lay in graph.layers if len(lay.inputs) > 1]
    for fork, readers in consumers.items():
        if len(readers) < 2:
            continue
        below = downstream(fork, set())
        for j in joins:
            if any(t in below for t in j.inputs):
                above = set()
                for t in j.inputs:
                    upstream(t, above)
                out |= below & above
    return out


def _channels(shape) -> int:
    return int(shape[-1]) if len(shape) else 1


def stream_code(code) -> dict:
    """Declarations, steps and port types of the io_stream top for ``code`` (a ProjectCode)."""
    g = code.graph
    arr = {}  # tensor -> array typedef
    count = {}  # tensor -> element count
    decls = []  # (typedef, element type, channels)
    for i, gi in enumerate(g.inputs):
        t = g.tensors[gi.tensor]
        arr[gi.tensor], count[gi.tensor] = f"input{i}_arr_t", t.size // _channels(t.shape)
        decls.append((arr[gi.tensor], code.tname[gi.tensor], _channels(t.shape)))
    for lc in code.layers:
        tensor = lc.layer.outputs[0]
        t = g.tensors[tensor]
        name = f"layer{lc.index}_arr_t"
        arr[tensor], count[tensor] = name, t.size // _channels(t.shape)
        decls.append((name, code.tname[tensor], _channels(t.shape)))

    # who reads each tensor: layers, then model outputs
    readers = {}
    for lc in code.layers:
        for j, tensor in enumerate(lc.layer.inputs):
            readers.setdefault(tensor, []).append(("layer", lc.index, j))
    for j, tensor in enumerate(g.outputs):
        readers.setdefault(tensor, []).append(("output", j, 0))

    source = {gi.tensor: f"input{i}" for i, gi in enumerate(g.inputs)}
    branch = _reconvergent(g)

    def depth(tensor):
        return count[tensor] if tensor in branch else min(CHAIN_DEPTH, count[tensor])

    streams = []  # (var, array type, depth)
    steps = []
    read_var = {}  # (reader) -> stream var it reads

    def route(tensor):
        """Give every reader of ``tensor`` its own stream: a model output reads into its
        port, one layer reader reads the producer's stream, several readers get a clone."""
        rs = readers.get(tensor, [])
        src = source[tensor]
        dests = []
        for n, r in enumerate(rs):
            if r[0] == "output":
                var = f"output{r[1]}"
            elif len(rs) == 1:
                var = src
            else:
                var = f"{src}_c{n}"
                streams.append((var, arr[tensor], depth(tensor)))
            read_var[r] = var
            dests.append(var)
        if not dests or dests == [src]:
            return
        if len(dests) == 1:
            steps.append(StreamStep("clone", f"nnet::copy_stream<{arr[tensor]}, {count[tensor]}>({src}, {dests[0]});"))
        else:
            steps.append(_clone(f"{src}_clone", arr[tensor], count[tensor], src, dests))

    for tensor in source:
        route(tensor)
    for lc in code.layers:
        lay = lc.layer
        tensor = lay.outputs[0]
        direct_out = [r for r in readers.get(tensor, []) if r[0] == "output"]
        only_output = len(readers.get(tensor, [])) == 1 and direct_out
        out_var = f"output{direct_out[0][1]}" if only_output else f"layer{lc.index}_out"
        if not only_output:
            # a tensor read several times goes to a clone, which never waits on it: a chain
            forked = len(readers.get(tensor, [])) > 1
            streams.append((out_var, arr[tensor], min(CHAIN_DEPTH, count[tensor]) if forked else depth(tensor)))
        source[tensor] = out_var
        ins = [read_var[("layer", lc.index, j)] for j in range(len(lay.inputs))]
        in_arr = [arr[t] for t in lay.inputs]
        stream_tpl = getattr(lay, "cpp_stream_call_tpl", "")
        if stream_tpl:
            ctx = dict(config=f"config{lc.index}", index=lc.index, t=lc.types, ins=ins, out=out_var,
                       in_arr=in_arr, out_arr=arr[tensor], in_stream_t=in_arr, out_stream_t=arr[tensor],
                       w=lc.wvars, tb=lc.tbvars, layer=lay,
                       in_shapes=g.input_shapes(lay), out_shape=g.tensors[tensor].shape)
            ctx.update(lay.cpp_context(g))
            step = StreamStep("kernel", render_string(stream_tpl, **ctx))
        else:
            step = _adapter(code, lc, ins, in_arr, out_var, arr[tensor])
        step.trace.append((lc.slot, out_var, count[tensor]))
        steps.append(step)
        route(tensor)
    return dict(arr_decls=decls, streams=streams, steps=steps,
                in_arr=[arr[gi.tensor] for gi in g.inputs], out_arr=[arr[t] for t in g.outputs],
                in_count=[count[gi.tensor] for gi in g.inputs], out_count=[count[t] for t in g.outputs])


def _clone(fname, a, n, src, dests) -> StreamStep:
    """A function copying each of the ``n`` elements of stream ``src`` to every stream of
    ``dests`` (any number of them)."""
    params = [f"hls::stream<{a}>& in"] + [f"hls::stream<{a}>& o{k}" for k in range(len(dests))]
    writes = "".join(f"        o{k}.write(e);\n" for k in range(len(dests)))
    fn = (f"static void {fname}({', '.join(params)}) {{\n    for (unsigned p = 0; p < {n}; p++) {{\n"
          f"        #pragma HLS PIPELINE\n        {a} e = in.read();\n{writes}    }}\n}}\n")
    return StreamStep("clone", f"{fname}({', '.join([src] + dests)});", fn)


def _adapter(code, lc, ins, in_arr, out_var, out_arr) -> StreamStep:
    """A function reading whole tensors, running the io_parallel call, writing the result."""
    g = code.graph
    lay = lc.layer
    fname = f"layer{lc.index}_stream"
    params = [f"hls::stream<{a}>& s_in{j}" for j, a in enumerate(in_arr)] + [f"hls::stream<{out_arr}>& s_out"]
    body = []
    seen = set()
    for j, tensor in enumerate(lay.inputs):
        var, tn, n = code.var[tensor], code.tname[tensor], g.tensors[tensor].size
        if var not in seen:
            seen.add(var)
            body.append(f"    {tn} {var}[{n}];")
            body.append(f"    nnet::read_tensor<{in_arr[j]}, {tn}, {n}>(s_in{j}, {var});")
        else:  # the same tensor twice (e.g. x * x): drain the second copy
            body.append(f"    {tn} {var}_dup{j}[{n}];")
            body.append(f"    nnet::read_tensor<{in_arr[j]}, {tn}, {n}>(s_in{j}, {var}_dup{j});")
    out_tensor = lay.outputs[0]
    n_out = g.tensors[out_tensor].size
    if not lc.is_view:
        body.append(f"    layer{lc.index}_t {lc.out_var}[{n_out}];")
        body.append(f"    #pragma HLS ARRAY_PARTITION variable={lc.out_var} complete dim=0")
        body.append("    " + lc.call)
    body.append(f"    nnet::write_tensor<{code.tname[out_tensor]}, {out_arr}, {n_out}>({lc.out_var}, s_out);")
    fn = f"static void {fname}({', '.join(params)}) {{\n" + "\n".join(body) + "\n}\n"
    return StreamStep("adapter", f"{fname}({', '.join(ins + [out_var])});", fn)
