"""Drivers of VivadoAccelerator projects, generated from the interface description
(``registers.json``): a PYNQ Python driver and a bare-metal C driver with ``main.c``,
``data.h`` (test data in bus words), a software reference and build files.

Templates live in ``hlsgen/templates/drivers/`` (``python/``, ``c/``); this module builds
their contexts.  ``driver_files`` lists every file; ``write_header_file`` writes ``data.h``
from C-simulation outputs (and optionally other weights for a reprogramming test).
"""
from __future__ import annotations

import json
import pprint
import re
from pathlib import Path

import numpy as np

from ..templating import render
from ..backends.vivado_accelerator.interfaces import interface_for
from ..escape import Code
from ..fixed import parse_type

DRIVERS = ("python", "c", "both")
_SUPPORTED_SAT = ("WRAP", "SAT", "SAT_ZERO", "SAT_SYM")


def _camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[^0-9A-Za-z]+", name) if p)


def c_word_type(bus: dict) -> str:
    if bus["type"] == "float":
        return "float"
    return f"{'int' if bus['signed'] else 'uint'}{bus['word_bits']}_t"


def _is_int(spelling: str) -> bool:
    return bool(re.match(r"^\s*u?int\s*<", spelling))


def _c_bus(bus: dict, what: str) -> dict:
    """The bus description plus the constants the C encoder needs."""
    b = dict(bus)
    if b["type"] == "float":
        return b
    if b["saturation"] not in _SUPPORTED_SAT:
        raise ValueError(f"{what} bus type {b['type']}: the drivers support saturation modes "
                         f"{', '.join(_SUPPORTED_SAT)}, not {b['saturation']}")
    W, F, signed = b["width"], b["fractional"], b["signed"]
    lo = -(1 << (W - 1)) if signed else 0
    hi = (1 << (W - 1)) - 1 if signed else (1 << W) - 1
    hi = min(hi, (1 << 63) - 1)

    def lit(v):
        return "(-9223372036854775807LL - 1)" if v == -(1 << 63) else f"{v}LL"

    b.update(is_int=_is_int(b["type"]), lo=lit(lo), hi=lit(hi), lo_sym=lit(lo + 1 if signed and W > 1 else lo),
             mask=f"0x{(1 << W) - 1:X}ULL", signbit=f"0x{1 << (W - 1):X}ULL",
             scale=float.hex(2.0 ** F), inv_scale=float.hex(2.0 ** -F))
    return b


def encode_words(bus: dict, values) -> np.ndarray:
    """Bus words of real values (hlsgen's reference encoding, as the C simulation's)."""
    values = np.asarray(values, dtype=np.float64)
    if bus["type"] == "float":
        return values.astype(np.float32)
    return parse_type(bus["type"]).quantize_raw(values).astype(np.dtype(bus["numpy"]))


def _fmt(words: np.ndarray, per_line: int = 8) -> str:
    flat = np.asarray(words).ravel()
    if flat.dtype == np.float32:
        items = [f"{float(v):.9g}f" if np.isfinite(v) else "0.0f" for v in flat]
        items = [s if any(c in s for c in ".en") else s[:-1] + ".0f" for s in items]
    elif flat.dtype == np.int64:
        items = ["(-9223372036854775807LL - 1)" if v == -(1 << 63) else f"{int(v)}LL" for v in flat]
    elif flat.dtype == np.uint64:
        items = [f"{int(v)}ULL" for v in flat]
    elif flat.dtype == np.uint32:
        items = [f"{int(v)}u" for v in flat]
    elif flat.dtype == np.int32:
        items = ["(-2147483647 - 1)" if v == -(1 << 31) else f"{int(v)}" for v in flat]
    else:
        items = [f"{int(v)}" for v in flat]
    lines = [", ".join(items[k:k + per_line]) for k in range(0, len(items), per_line)]
    return Code("    " + ",\n    ".join(lines) if lines else "    0")


def max_run_samples(desc: dict, align: int = 64) -> int:
    """Samples per hardware run of the C driver: as many as one AXI DMA transfer (2^26 - 1 bytes)
    holds in each direction, rounded down to a whole number of ``align``-byte blocks of both
    buffers when that leaves at least one such block (every run then starts cache-line aligned);
    at least one sample."""
    from math import gcd

    in_b = desc["words_per_sample_in"] * desc["input_bus"]["word_bits"] // 8
    out_b = desc["words_per_sample_out"] * desc["output_bus"]["word_bits"] // 8
    limit = ((1 << 26) - 1) // max(in_b, out_b, 1)
    period = (align // gcd(align, in_b)) * (align // gcd(align, out_b)) // gcd(align // gcd(align, in_b),
                                                                              align // gcd(align, out_b))
    return max(1, limit // period * period if limit >= period else limit)


def _context(desc: dict, project: str) -> dict:
    d = dict(desc)
    d["input_bus"] = _c_bus(desc["input_bus"], "input")
    d["output_bus"] = _c_bus(desc["output_bus"], "output")
    d["weights_bus"] = _c_bus(desc["weights_bus"], "weights")
    d["inputs"] = [dict(i, cpp=parse_type(i["model_type"]).cpp()) for i in desc["inputs"]]
    d["outputs"] = [dict(o, cpp=parse_type(o["model_type"]).cpp()) for o in desc["outputs"]]
    n_w = sum(w["size"] for w in desc["weights"])
    max_run = max_run_samples(desc)
    project, top = Code(project), Code(desc["top"])  # checked C identifiers
    itf = interface_for(desc["interface"])  # the interface object (backends/vivado_accelerator/interfaces)
    return dict(d=d, p=project, P=Code(project.upper()), TOP=Code(top.upper()), X=Code("X" + top.upper()),
                stream=itf.uses_dma, interface=desc["interface"], itf=itf,
                reprogrammable=bool(desc["weights"]), n_weights=n_w, regs=desc["registers"],
                in_ct=c_word_type(desc["input_bus"]), out_ct=c_word_type(desc["output_bus"]),
                w_ct=c_word_type(desc["weights_bus"]), max_run=max_run,
                cls=Code(_camel(project) + "Accelerator"), ip_cls=Code(_camel(top) + "IP"),
                proc=Code("ps7_cortexa9_0" if desc["part"].startswith("xc7z") else "psu_cortexa53_0"),
                desc_py=Code(pprint.pformat(desc, width=110, sort_dicts=False)))  # repr: a Python literal


def header_text(desc: dict, project: str, header: dict) -> str:
    """data.h from ``header``: x (n x inputs values), y (C-simulation outputs, values),
    optional y_ref (reference outputs, e.g. Keras), weights (the model's own weight
    values, quantized), alt_weights and y_alt (other weights and the C simulation's
    outputs with them), source (a note)."""
    ctx = _context(desc, project)
    n_in, n_out = desc["values_per_sample_in"], desc["values_per_sample_out"]
    x = np.asarray(header["x"], dtype=np.float64).reshape(-1, n_in)
    n = x.shape[0]
    if n == 0:
        raise ValueError("data.h needs at least one sample")
    y = np.asarray(header["y"], dtype=np.float64).reshape(n, n_out)
    slots_in, slots_out = desc["words_per_sample_in"], desc["words_per_sample_out"]

    def words(bus, values, slots):  # each sample's words, zero lanes up to a whole beat
        w = encode_words(bus, values).reshape(n, -1)
        return np.concatenate([w, np.zeros((n, slots - w.shape[1]), w.dtype)], axis=1)

    ib, ob, wb = desc["input_bus"], desc["output_bus"], desc["weights_bus"]
    y_ref = header.get("y_ref")
    has_w = bool(desc["weights"]) and header.get("weights") is not None
    has_alt = has_w and header.get("alt_weights") is not None
    ctx.update(
        source=header.get("source", "hlsgen"), n=n,
        x=_fmt(x.astype(np.float32)), x_words=_fmt(words(ib, x, slots_in)), y_words=_fmt(words(ob, y, slots_out)),
        y_ref=_fmt(np.asarray(y_ref, dtype=np.float64).reshape(n, n_out).astype(np.float32)) if y_ref is not None else "",
        ref_name=header.get("ref_name", "reference"),
        has_weights=has_w, has_alt=has_alt,
        w_words=_fmt(encode_words(wb, header["weights"])) if has_w else "",
        alt_words=_fmt(encode_words(wb, header["alt_weights"])) if has_alt else "",
        y_alt_words=_fmt(words(ob, np.asarray(header["y_alt"]).reshape(n, n_out), slots_out)) if has_alt else "")
    return render("drivers/c/data.h.j2", **ctx)


def driver_files(desc: dict, project: str, driver: str, header: dict | None = None) -> list:
    """Every driver file of a project: [(path relative to the project, text)].
    ``driver``: 'python', 'c' or 'both'; ``header``: data for data.h (see header_text)."""
    if driver not in DRIVERS:
        raise ValueError(f"unknown driver {driver!r}; valid: {', '.join(DRIVERS)}")
    ctx = _context(desc, project)
    files = []
    if driver in ("python", "both"):
        files += [(f"drivers/python/{project}_driver.py", render("drivers/python/driver.py.j2", **ctx)),
                  ("drivers/python/README.md", render("drivers/python/README.md.j2", **ctx))]
    if driver in ("c", "both"):
        files += [(f"drivers/c/{project}_driver.h", render("drivers/c/driver.h.j2", **ctx)),
                  (f"drivers/c/{project}_driver.c", render("drivers/c/driver.c.j2", **ctx)),
                  ("drivers/c/main.c", render("drivers/c/main.c.j2", **ctx)),
                  ("drivers/c/sw_reference.cpp", render("drivers/c/sw_reference.cpp.j2", **ctx)),
                  ("drivers/c/Makefile", render("drivers/c/Makefile.j2", **ctx)),
                  ("drivers/c/README.md", render("drivers/c/README.md.j2", **ctx))]
        if header is not None:
            files.append(("drivers/c/data.h", header_text(desc, project, header)))
    return files


# ------------------------------------------------------------------------------ data.h
def own_weight_values(hls_model) -> np.ndarray:
    """The converted model's own weights in weight-port order, quantized to their types."""
    from ..weights import weight_words

    by_name = {lay.name: lay for lay in hls_model.graph.layers}
    specs = [w for w in hls_model.lowering.weights if w.kind == "weight"]
    return weight_words(hls_model, [by_name[s.layer].weights[s.key] for s in specs])


def tb_header(hls_model, xs, expected, ref) -> dict:
    """data.h contents from the project's testbench data (no compile needed: the expected
    outputs are those the HLS testbench checks, identical to C simulation)."""
    acc = hls_model.accelerator
    x = np.concatenate([np.asarray(a).reshape(a.shape[0], -1) for a in xs], axis=1)
    y = np.concatenate([np.asarray(a).reshape(a.shape[0], -1) for a in expected], axis=1)
    h = dict(x=x, y=y, source="the testbench data of the project")
    if ref is not None:
        h.update(y_ref=np.concatenate([np.asarray(a).reshape(a.shape[0], -1) for a in ref], axis=1),
                 ref_name="output_data_tb")
    if acc is not None and acc.reprogrammable:
        h["weights"] = own_weight_values(hls_model)
    return h


def write_header_file(hls_model, X, y_expected=None, n_samples: int | None = None, path=None, weights=None):
    """Write ``data.h`` for the C driver's ``main.c``: inputs ``X`` (values and bus words),
    the C simulation's outputs for them (bus words, bit-exact), ``y_expected`` (e.g. Keras
    outputs) for the accuracy report, and with reprogrammable weights the model's own
    weights plus, if ``weights`` is given (a Keras model of the same architecture or a
    list of arrays), those weights and the C simulation's outputs with them.
    ``n_samples`` limits the samples; ``path`` defaults to <project>/drivers/c/data.h.
    Returns the path written."""
    acc = hls_model.accelerator
    if acc is None:
        raise ValueError("write_header_file needs a VivadoAccelerator model (backend='VivadoAccelerator')")
    xs = list(X) if isinstance(X, (list, tuple)) else [X]
    xs = [np.asarray(a, dtype=np.float64) for a in xs]
    if n_samples is not None:
        if int(n_samples) < 1:
            raise ValueError(f"n_samples must be at least 1, got {n_samples}")
        xs = [a[: int(n_samples)] for a in xs]
    n = xs[0].shape[0]
    y = hls_model.predict(xs if len(xs) > 1 else xs[0])
    ys = y if isinstance(y, list) else [y]
    header = tb_header(hls_model, xs, ys, None)
    header["source"] = "hlsgen.write_header_file, outputs from C simulation"
    if y_expected is not None:
        ye = y_expected if isinstance(y_expected, (list, tuple)) else [y_expected]
        header["y_ref"] = np.concatenate([np.asarray(a, dtype=np.float64)[:n].reshape(n, -1) for a in ye], axis=1)
        header["ref_name"] = "y_expected"
    if weights is not None:
        if not acc.reprogrammable:
            raise ValueError("weights= needs weights='reprogrammable'")
        from ..weights import weight_words

        alt = weight_words(hls_model, weights)
        own = header["weights"]
        hls_model.load_weights(list(_split(hls_model, alt)))
        try:
            ya = hls_model.predict(xs if len(xs) > 1 else xs[0])
        finally:
            hls_model.load_weights(list(_split(hls_model, own)))
        yas = ya if isinstance(ya, list) else [ya]
        header.update(alt_weights=alt, y_alt=np.concatenate([a.reshape(n, -1) for a in yas], axis=1))
    desc = json.loads(json.dumps(_describe(hls_model)))
    text = header_text(desc, hls_model.project_name, header)
    path = Path(path) if path is not None else hls_model.output_dir / "drivers" / "c" / "data.h"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _split(hls_model, flat):
    k = 0
    for w in _describe(hls_model)["weights"]:
        yield flat[k:k + w["size"]]
        k += w["size"]


def _describe(hls_model) -> dict:
    return hls_model.description
